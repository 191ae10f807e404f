"""Compose the submission's Hydra configs exactly as the documented command would, with Hydra itself.

For every experiment run and every mode of the profile, the train command's overrides
(``run=<id> results_dir=<p>`` plus ``mode=trial|full`` or ``trial_mode=true``) are parsed by Hydra's
override parser and applied by Hydra's defaults-list and config loader, over the submission's config
folder held in memory: Hydra's file config source answers from the submission's files, so nothing is
written or read on disk, and a config path that leaves the folder (``../``, an absolute path) does not
exist for Hydra. Only YAML is read; no submission code runs.

Hydra's public ``compose()`` also composes its own ``hydra`` node (launchers, logging, sweepers),
which costs ~100 ms per call and never reaches the application: Hydra deletes it before calling
the task function. This module drives the same hydra-core 1.3 internals without that node
(``prepend_hydra=False``) unless a config's defaults list names one of Hydra's own groups
(``override hydra/job_logging: disabled``), and reuses one caching repository per submission, so the
application config, the override semantics and the error messages are Hydra's own
(tests/test_compose_parity.py checks that against the public API). Each distinct override set is
composed once per submission (a failing group selection fails once), each override string is parsed
once per process (a plain one read without Hydra's ANTLR parser, exactly as that parser reads it:
facts/hydra_overrides.py), config files are read under OmegaConf's YAML rules from the node trees the
submission's YAML parse already composed (facts/omegaconf_yaml.py; else with libyaml), a defaults list of plain configs
is merged as plain data where that is exactly OmegaConf's merge (facts/hydra_merge.py), and an override
that only replaces a top-level value is applied to the cached plain config directly.
"""

from __future__ import annotations

import ast
import functools
import os
import posixpath
import re
import shlex
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from expcheck.facts import Facts, experiment_runs, hydra_import
from expcheck.facts.astindex import code_modules, index_of
from expcheck.facts.hydra_app import HydraApp, entry_app
from expcheck.facts.hydra_merge import merged_defaults
from expcheck.facts.hydra_overrides import certainly_refused, plain_override
from expcheck.facts.launches import reached_functions
from expcheck.facts.omegaconf_nodes import empty_list, plain_config, plain_data, tree_copy
from expcheck.facts.omegaconf_yaml import UNREAD, omegaconf_data
from expcheck.submission import RunSpec

RESULTS_DIR = "/tmp/expcheck-results"


@dataclass(frozen=True)
class Composition:
    run_id: str
    mode: str  # "trial", "full", or "default" when the profile has no mode switch
    overrides: tuple[str, ...]
    config: dict[str, Any] | None  # the composed application config as plain data; None on failure
    error: str | None  # Hydra's message (first lines) when composing failed
    error_type: str | None

    @property
    def failure(self) -> str | None:
        """Hydra's message with the run id and the override values masked: the same text for every run
        and mode that fail for one reason (``+mode=full`` and ``+mode=trial`` name one missing key)."""
        if self.error is None:
            return None
        text = self.error.replace(self.run_id, "<run_id>")
        for override in self.overrides:
            key, sep, value = override.partition("=")
            if sep and value and self.run_id not in value:
                text = text.replace(override, f"{key}=<{key.lstrip('+~')}>")
        return text


@dataclass(frozen=True)
class ComposeSetup:
    """Which app is composed from which folder; why nothing could be composed, if so."""

    app: HydraApp | None
    config_dir: str | None
    config_name: str | None
    compositions: tuple[Composition, ...]
    skipped: str | None  # reason compose did not run (no app, no runs, unresolved path, ...)
    # Defaults entries whose config path leaves the config folder (../, or an absolute path): never
    # read; for Hydra they do not exist.
    outside: tuple[OutsideEntry, ...] = ()


@dataclass(frozen=True)
class OutsideEntry:
    config_path: str  # as Hydra resolved it, e.g. ../../shared/base
    path: str  # the config file whose defaults list names it
    line: int


@functools.cache  # of the profile's command: one of a few constant strings
def _override_templates(command: str) -> tuple[str, ...]:
    try:
        tokens = shlex.split(command)
    except ValueError:
        tokens = command.split()
    return tuple(t for t in tokens if "=" in t and not t.startswith("-"))


def _mode_value(override: str | None) -> str | None:
    return override.split("=", 1)[1] if override and "=" in override else None


def command_overrides(facts: Facts, run_id: str, mode: str, quote: bool = False) -> tuple[str, ...]:
    """The overrides the profile's train command passes for ``run_id`` in ``mode`` (with ``quote``, the run
    id written as a quoted Hydra value)."""
    profile = facts.profile
    templates = _override_templates(profile.commands.train)
    modes = profile.modes
    mode_value = None
    if modes is not None:
        mode_value = _mode_value(modes.trial_override if mode == "trial" else modes.full_override)
    out: list[str] = []
    for template in templates:
        if "{mode}" in template and mode_value is None:
            continue
        shown = (_quoted(run_id) or run_id) if quote else run_id
        out.append(template.format(run_id=shown, results_dir=RESULTS_DIR, mode=mode_value or ""))
    has_mode_slot = any("{mode}" in t for t in templates)
    if modes is not None and not has_mode_slot:
        extra = modes.trial_override if mode == "trial" else modes.full_override
        if extra:
            out.append(extra)
    return tuple(out)


def profile_modes(facts: Facts) -> tuple[str, ...]:
    return ("trial", "full") if facts.profile.modes is not None else ("default",)


def _first_lines(message: str, count: int = 4) -> str:
    lines = [line.rstrip() for line in message.strip().splitlines() if line.strip()]
    kept = [line for line in lines if not line.strip().startswith(("provider=", "Config search path"))]
    return _RECURSION_DETAIL.sub("", " ".join(kept[:count]).replace("\t", " "))


# What Python adds to "maximum recursion depth exceeded" depends on where the stack ran out ("while calling a
# Python object", "in comparison"), so on how deep the caller already was: dropped, for reports that do not
# depend on how expcheck was started.
_RECURSION_DETAIL = re.compile(
    r"(?<=maximum recursion depth exceeded)(?: while calling a Python object| in comparison| during compilation"
    r"| while getting the (?:repr|str) of an object| in __(?:instance|subclass)check__| while pickling an object"
    r"| while (?:de|en)coding a JSON (?:array|object)(?: from a unicode string)?)"
)


class _Composer:
    """Hydra's defaults-list and override machinery over one config folder held in memory (hydra-core 1.3).

    ``files`` maps each path inside the config folder to its text (None for a file that is not YAML: it
    only shapes the folder's groups, as a file on disk would). Nothing is read from disk, and a config
    path that leaves the folder (``../``, or an absolute path) exists for Hydra as little as one that is
    not there: it is recorded in ``outside``. ``label`` stands for the folder in Hydra's messages. With
    ``hydra_groups``, Hydra's own ``hydra`` config groups are on the search path, as they are for a real
    run, so that ``override hydra/...`` entries compose; the ``hydra`` node is then dropped from the
    result, as Hydra drops it before calling the task function. ``nodes`` holds, for files already parsed by
    PyYAML's safe loader, the node tree it composed (see :func:`omegaconf_data`).
    """

    def __init__(
        self,
        files: Mapping[str, str | None],
        label: str,
        hydra_groups: bool = False,
        nodes: Mapping[str, Any] | None = None,
    ) -> None:
        hydra_import.prepare()
        from hydra._internal.config_search_path_impl import ConfigSearchPathImpl

        _register_sources()
        search = ConfigSearchPathImpl()
        if hydra_groups:
            _register_core_plugin_configs()
            search.append("hydra", "pkg://hydra.conf")
        search.append("main", f"file://{label}")
        search.append("schema", "structured://")
        repository = _repository_type()(config_search_path=search)
        main = 1 if hydra_groups else 0
        self.source = _memory_source()("main", f"file://{label}", files, nodes or {})
        repository.sources[main] = self.source
        self.repository = repository
        self.repo = _caching_repository(repository)  # group lookups only: a composition gets its own
        self.hydra_groups = hydra_groups
        self._groups: dict[str, bool] = {}  # config group name -> whether the folder has it
        self._composed: dict[tuple[str, tuple[str, ...]], dict[str, Any] | Exception] = {}
        self._unparsable: dict[str, Exception] = {}  # override -> the exception Hydra's parser raised

    @property
    def outside(self) -> tuple[str, ...]:
        """Config paths Hydra asked for that leave the config folder, in the order it asked."""
        return tuple(self.source.outside)

    def compose(self, config_name: str, overrides: list[str]) -> dict[str, Any]:
        """The application config for ``overrides``, as Hydra composes it (struct mode, overrides applied).

        Hydra builds the defaults list from the overrides that select config groups, composes it, then
        applies the remaining (value) overrides to the result. The composed config is cached per group
        selection, so runs and modes that differ only in values (mode=, results_dir=, trial_mode=) pay
        for one composition.
        """
        from hydra._internal.config_loader_impl import ConfigLoaderImpl
        from omegaconf import OmegaConf

        parsed = [self._parse(override) for override in overrides]
        group_overrides = [o for o in parsed if self._selects_group(o)]
        value_overrides = [o for o in parsed if not self._selects_group(o)]
        key = (config_name, tuple(o.input_line for o in group_overrides))
        if key not in self._composed:
            try:
                composed = self._compose_groups(config_name, group_overrides)
            except Exception as exc:  # the same selection fails the same way for every run and mode
                self._composed[key] = exc
                raise
            self._composed[key] = composed
        base = self._composed[key]
        if isinstance(base, Exception):
            raise base
        replaced = _replace_values(base, value_overrides)
        if replaced is not None:
            return replaced
        # A fresh struct config from the cached plain data: cheaper than deep-copying the OmegaConf tree,
        # and interpolations stay unresolved as they were.
        cfg = plain_config(base)
        if cfg is None:
            cfg = OmegaConf.create(base)
        OmegaConf.set_struct(cfg, True)
        ConfigLoaderImpl._apply_overrides_to_config(value_overrides, cfg)
        return _container(cfg)

    def _parse(self, override: str) -> Any:
        """Hydra's parse of ``override``; one that Hydra refuses is refused again with the same exception (the
        run id of a run that cannot be parsed comes back in every mode)."""
        refused = self._unparsable.get(override)
        if refused is not None:
            raise refused
        try:
            return _parse(override)
        except Exception as exc:
            self._unparsable[override] = exc
            raise

    def _selects_group(self, override: Any) -> bool:
        """Whether Hydra treats ``override`` as a config-group choice rather than a value."""
        if override.key_or_group.startswith("hydra"):
            return False
        group = override.key_or_group.split("@", 1)[0]
        if override.package:
            return True
        if group not in self._groups:
            self._groups[group] = self.repo.group_exists(group)
        return self._groups[group]

    def _compose_groups(self, config_name: str, group_overrides: list[Any]) -> dict[str, Any]:
        """The application config Hydra composes for ``group_overrides``, as plain data."""
        from hydra._internal.config_loader_impl import ConfigLoaderImpl
        from hydra._internal.defaults_list import create_defaults_list
        from omegaconf import OmegaConf

        # A fresh caching repository per composition, as Hydra makes one per compose call: Hydra merges a
        # loaded config into the result by moving its nodes, so a loaded config must never serve two
        # compositions (one run's values would leak into the next run's config). The source keeps each
        # file's parsed YAML, so loading a file again only rebuilds its tree.
        repo = _caching_repository(self.repository)
        defaults = create_defaults_list(
            repo=repo,
            config_name=config_name,
            overrides_list=group_overrides,
            prepend_hydra=self.hydra_groups,
            skip_missing=False,
        )
        if not defaults.config_overrides and not self.hydra_groups:
            merged = merged_defaults(defaults.defaults, repo)
            if merged is not None:
                return _task_config(merged)
        loader = _loader_type().__new__(_loader_type())  # its compose helpers use no instance state
        cfg = loader._compose_config_from_defaults_list(defaults=defaults.defaults, repo=repo)
        if not defaults.config_overrides and not self.hydra_groups:
            return _task_config(_container(cfg))  # struct mode would only matter to overrides applied to it
        OmegaConf.set_struct(cfg, True)
        if self.hydra_groups:
            OmegaConf.set_readonly(cfg.hydra, False)  # as Hydra's own loader does
        ConfigLoaderImpl._apply_overrides_to_config(defaults.config_overrides, cfg)
        return _task_config(_container(cfg))


def _task_config(composed: dict[str, Any]) -> dict[str, Any]:
    """The composed config as the task function receives it: without the ``hydra`` node. Hydra merges a
    config's own ``hydra:`` key (``hydra: {run: {dir: ...}}``) into its own settings and removes the whole
    node before it calls the task, as its public ``compose()`` returns the config."""
    composed.pop("hydra", None)
    return composed


@functools.cache
def _repository_type() -> type:
    """Hydra's config repository, whose taking of a loaded config's defaults list skips, for a config of plain
    data, the work that cannot change it."""
    from hydra._internal.config_repository import ConfigRepository
    from omegaconf import DictConfig, ListConfig

    class Repository(ConfigRepository):  # type: ignore[misc]
        def _extract_defaults_list(self, config_path: str, cfg: Any) -> Any:
            """Hydra's ``_extract_defaults_list``: the config's ``defaults`` list, taken out of it (an empty list
            when it has none). Hydra's makes the config writable and not struct for the time it pops the key and
            then puts both flags back as they were; for an untyped mapping whose ``defaults`` is a list (or absent)
            that pop is a plain removal of the node, and the list is the node itself. Anything else (a typed
            config, a ``defaults`` that is not a list) goes through Hydra's own code and its errors."""
            if type(cfg) is DictConfig and not cfg._is_typed():
                content = cfg.__dict__["_content"]
                if type(content) is dict:
                    node = content.get("defaults")
                    if node is None:
                        empty = empty_list()
                        if empty is not None:
                            return empty
                    elif type(node) is ListConfig and type(node.__dict__["_content"]) is list:
                        del content["defaults"]
                        return node
            return ConfigRepository._extract_defaults_list(self, config_path, cfg)

    return Repository


@functools.cache
def _loader_type() -> type:
    """Hydra's config loader, whose embedding of a config under its package copies the cached config with
    :func:`tree_copy` where it can, rather than ``copy.deepcopy``."""
    import copy

    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from omegaconf import OmegaConf, flag_override

    class Loader(ConfigLoaderImpl):  # type: ignore[misc]
        @staticmethod
        def _embed_result_config(ret: Any, package_override: str | None) -> Any:
            """Hydra's ``_embed_result_config``: the loaded config set at its package in a new config. Hydra's
            sets it with OmegaConf's deep copy (the loaded config stays in the repository's cache for the next
            composition); here the copy is made first and then set as it is."""
            package = ret.header["package"]
            if package_override is not None:
                package = package_override
            if package is None or package == "":
                return ret
            fresh = tree_copy(ret.config)
            if fresh is None:
                return ConfigLoaderImpl._embed_result_config(ret, package_override)
            cfg = OmegaConf.create()
            with flag_override(cfg, "no_deepcopy_set_nodes", True):
                OmegaConf.update(cfg, package, fresh, merge=False)
            ret = copy.copy(ret)
            ret.config = cfg
            return ret

    return Loader


def _container(config: Any) -> dict[str, Any]:
    """``OmegaConf.to_container(config, resolve=False, throw_on_missing=False)`` of a composed config."""
    from omegaconf import OmegaConf

    data = plain_data(config)
    if data is None:
        data = OmegaConf.to_container(config, resolve=False, throw_on_missing=False)
    assert isinstance(data, dict)
    return data


_PARSED: dict[str, Any] = {}  # override string -> Hydra's Override, shared by every submission of the process
_PARSED_LIMIT = 4096


def forget_parsed_overrides() -> None:
    """Empty the process's table of parsed overrides (a benchmark timing a check as the first of its kind)."""
    _PARSED.clear()


def _parse(override: str) -> Any:
    """Hydra's parse of one override string (``mode=trial``, ``results_dir=...`` recur in every submission).

    A string Hydra refuses raises its OverrideParseException, as ``parse_overrides`` does on a list.
    Overrides are never changed after parsing, so one parse serves every composition.
    """
    found = _PARSED.get(override)
    if found is None:
        parser = _parser()
        found = plain_override(override, parser.config_loader)
        if found is None:
            found = parser.parse_overrides(overrides=[override])[0]
        _remember(override, found)
    return found


_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JOINT_AT_LEAST = 2


def _preparse(overrides: Sequence[str]) -> None:
    """Parse, in one pass of Hydra's parser, many overrides that differ only in a plain value (``run=<id>``
    for every run), before they are composed; the others are parsed one by one when used.

    ``key=a,b,c`` is Hydra's grammar for a choice of values, each parsed by the same rule as the value of
    ``key=a`` (an ``element``), so its elements are the values the single overrides have; the values taken
    here hold no comma, space, quote or bracket that could join or split them. Hydra's parser costs about
    as much per call as per value, so a hundred runs cost one call instead of a hundred. Overrides whose
    reading is certain from their characters (most run ids: facts/hydra_overrides.py) need no parse at all.
    """
    from hydra.core.override_parser.types import ChoiceSweep, OverrideType

    by_key: dict[str, list[str]] = {}
    config_loader = _parser().config_loader
    for override in dict.fromkeys(overrides):
        if override in _PARSED:
            continue
        read = plain_override(override, config_loader)
        if read is not None:
            _remember(override, read)
            continue
        key, eq, value = override.partition("=")
        if eq and _PLAIN_KEY.fullmatch(key) and _PLAIN_VALUE.fullmatch(value):
            by_key.setdefault(key, []).append(value)
    for key, values in by_key.items():
        if len(values) < _JOINT_AT_LEAST:
            continue
        try:
            joint = _parser().parse_overrides(overrides=[f"{key}={','.join(values)}"])[0]
        except Exception:  # left to the single parses, which give Hydra's own message
            continue
        choice = joint._value
        if joint.type is not OverrideType.CHANGE or not isinstance(choice, ChoiceSweep):
            continue
        if not choice.simple_form or len(choice.list) != len(values):
            continue
        for value, element in zip(values, choice.list, strict=True):
            _remember_element(joint, f"{key}={value}", element)


def _remember_element(like: Any, input_line: str, value: Any) -> None:
    """Remember for ``input_line`` the override Hydra's parser gives it: ``like`` (a parsed ``key=...`` of the
    same key) with the single element ``value`` in place of its value."""
    from hydra.core.override_parser.types import Override, OverrideType, ValueType

    single = Override(
        type=OverrideType.CHANGE,
        key_or_group=like.key_or_group,
        value_type=ValueType.ELEMENT,
        _value=value,
        package=like.package,
        input_line=input_line,
        config_loader=like.config_loader,
    )
    single.validate()
    _remember(input_line, single)


def _remember(override: str, parsed: Any) -> None:
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.clear()
    _PARSED[override] = parsed


@functools.cache
def _parser() -> Any:
    hydra_import.prepare()
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create()


@functools.cache
def _register_sources() -> None:
    """The config source types the search path names (Hydra registers them when it scans its plugins)."""
    from hydra._internal.core_plugins.file_config_source import FileConfigSource
    from hydra._internal.core_plugins.importlib_resources_config_source import ImportlibResourcesConfigSource
    from hydra._internal.core_plugins.structured_config_source import StructuredConfigSource
    from hydra._internal.sources_registry import SourcesRegistry

    registry = SourcesRegistry.instance()
    for source in (FileConfigSource, ImportlibResourcesConfigSource, StructuredConfigSource):
        registry.register(source)


def prepare_hydra() -> None:
    """Import Hydra and build what every composition shares (override parser, config sources, YAML loader)
    ahead of time: a batch does it once in the parent before its workers fork."""
    hydra_import.prepare()
    _parser()
    _register_sources()
    _yaml_loader()
    _memory_source()
    from hydra._internal.config_loader_impl import ConfigLoaderImpl  # noqa: F401
    from hydra._internal.defaults_list import create_defaults_list  # noqa: F401


@functools.cache
def _register_core_plugin_configs() -> None:
    """The configs of Hydra's own launcher and sweeper (``hydra/launcher/basic``, ``hydra/sweeper/basic``),
    which its ``hydra/config`` selects: Hydra's plugin scan registers them when their modules are imported.
    Plugins installed beside Hydra (other launchers, sweepers) are not looked for."""
    import importlib

    for module in ("basic_launcher", "basic_sweeper"):
        importlib.import_module(f"hydra._internal.core_plugins.{module}")


_PLAIN_VALUES = (str, int, float, bool, type(None))


def _replace_values(data: dict[str, Any], value_overrides: list[Any]) -> dict[str, Any] | None:
    """A copy of ``data`` with ``value_overrides`` applied, when each one only replaces a top-level plain value.

    That is all OmegaConf does then (``OmegaConf.update`` on an untyped struct config sets the existing
    node's value), so the result equals the one built through OmegaConf; None when any override needs
    OmegaConf itself: a nested or missing key, an addition or deletion, a container value, or a string
    with an interpolation in it (OmegaConf validates those).
    """
    from hydra.core.override_parser.types import OverrideType

    updated = dict(data)
    for override in value_overrides:
        key = override.key_or_group
        if override.type is not OverrideType.CHANGE or override.package is not None:
            return None
        if not key.isidentifier() or key.startswith("_") or key not in updated:
            return None
        value = override.value()
        if type(updated[key]) not in _PLAIN_VALUES or type(value) not in _PLAIN_VALUES:
            return None
        if isinstance(value, str) and "${" in value:
            return None
        updated[key] = value
    return _plain_copy(updated)


def _plain_copy(value: Any) -> Any:
    """A deep copy of plain config data (dicts, lists and leaves); leaves are immutable values."""
    if isinstance(value, dict):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_copy(item) for item in value]
    return value


@functools.cache
def _yaml_loader() -> type | None:
    """OmegaConf's YAML loader (duplicate keys refused, its float rule, no timestamps) on libyaml's parser,
    or None without libyaml."""
    import yaml

    if not yaml.__with_libyaml__:
        return None
    from omegaconf._utils import get_yaml_loader
    from yaml.cyaml import CParser

    python_loader = get_yaml_loader()

    class Loader(CParser, python_loader):  # type: ignore[misc,valid-type]
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    return Loader


def _inside(config_path: str) -> str | None:
    """``config_path`` as a path inside the config folder, or None when it leaves the folder."""
    if not config_path:
        return ""
    normal = posixpath.normpath(config_path)
    if normal.startswith("/") or normal == ".." or normal.startswith("../"):
        return None
    return "" if normal == "." else normal


@functools.cache
def _memory_source() -> type:
    """Hydra's file config source over a config folder held in memory.

    Each answer is the one FileConfigSource gives for the same files on disk: which paths are groups and
    configs, what a group lists, the loaded config, its header and, for a file YAML refuses, OmegaConf's
    own error (the file named as it would be on disk). YAML is read with :func:`_yaml_loader` when libyaml
    is there; a file the libyaml parser refuses, an empty file or a lone scalar goes through OmegaConf's
    pure-Python loader, so a broken file gets Hydra's own message.
    """
    import io

    import yaml
    from hydra.plugins.config_source import ConfigLoadError, ConfigResult, ConfigSource
    from omegaconf import OmegaConf

    class MemoryConfigSource(ConfigSource):
        def __init__(
            self, provider: str, path: str, files: Mapping[str, str | None], nodes: Mapping[str, Any] | None = None
        ) -> None:
            super().__init__(provider=provider, path=path)
            self.files = dict(files)
            self.nodes = nodes or {}  # file -> the node tree PyYAML's safe loader composed from its text
            self.children: dict[str, set[str]] = {"": set()}  # folder -> names of the files and folders in it
            for rel in self.files:
                parts = rel.split("/")
                for depth in range(len(parts)):
                    self.children.setdefault("/".join(parts[:depth]), set()).add(parts[depth])
            self.outside: list[str] = []
            self.parsed: dict[str, Any] = {}  # file -> its YAML data (None: left to OmegaConf's loader)

        @staticmethod
        def scheme() -> str:
            return "file"

        def _resolve(self, config_path: str, asked: str | None = None) -> str | None:
            rel = _inside(config_path)
            asked = config_path if asked is None else asked
            if rel is None and asked not in self.outside:
                self.outside.append(asked)
            return rel

        def load_config(self, config_path: str) -> ConfigResult:
            name = self._normalize_file_name(config_path)
            rel = self._resolve(name, config_path)
            text = self.files.get(rel) if rel is not None else None
            if text is None:
                raise ConfigLoadError(f"Config not found : {os.path.join(self.path, name)}")
            if rel in self.parsed:
                data = self.parsed[rel]
            else:
                data = self._read(rel, text)
                self.parsed[rel] = data  # read only from here on: each load builds a new tree from it
            if isinstance(data, dict | list):
                config = plain_config(data)
                if config is None:
                    config = OmegaConf.create(data)
            else:  # refused, empty, or a lone scalar: OmegaConf's own loader and messages
                stream = io.StringIO(text)
                stream.name = os.path.join(self.path, name)  # type: ignore[misc]
                config = OmegaConf.load(stream)
            return ConfigResult(
                config=config,
                path=f"{self.scheme()}://{self.path}",
                provider=self.provider,
                header=ConfigSource._get_header_dict(text[:512]),
            )

        def _read(self, rel: str, text: str) -> Any:
            """The file's data as OmegaConf's loader reads it: from the node tree already composed when that
            gives it, else parsed again; None when OmegaConf's own loader must read it (a file libyaml refuses,
            or no libyaml)."""
            data = omegaconf_data(self.nodes.get(rel), text)
            if data is not UNREAD:
                return data
            loader = _yaml_loader()
            if loader is None:
                return None
            try:
                return yaml.load(text, Loader=loader)
            except yaml.YAMLError:
                return None

        def available(self) -> bool:
            return self.is_group("")

        def is_group(self, config_path: str) -> bool:
            rel = self._resolve(config_path)
            return rel is not None and rel in self.children

        def is_config(self, config_path: str) -> bool:
            rel = self._resolve(self._normalize_file_name(config_path), config_path)
            return rel is not None and rel in self.files

        def list(self, config_path: str, results_filter: Any) -> list[str]:
            rel = self._resolve(config_path)
            found: list[str] = []
            for name in sorted(self.children.get(rel, ())) if rel is not None else ():
                self._list_add_result(
                    files=found,
                    file_path=os.path.join(config_path, name),
                    file_name=name,
                    results_filter=results_filter,
                )
            return sorted(set(found))

    return MemoryConfigSource


def _caching_repository(repository: Any) -> Any:
    """Hydra's caching repository over ``repository``, without the deep copy it makes of it.

    The copy (of every config Hydra itself registers) guards against ``initialize_sources``, which
    nothing here calls; the structured configs are still copied on each load by the config store.
    """
    from hydra._internal.config_repository import CachingConfigRepository

    caching = CachingConfigRepository.__new__(CachingConfigRepository)
    caching.delegate = repository
    caching.cache = {}
    return caching


def compose_setup(facts: Facts) -> ComposeSetup:
    hydra_import.prepare()
    app = entry_app(facts)
    profile = facts.profile
    if app is None:
        return ComposeSetup(None, None, None, (), "no @hydra.main entry point")
    if profile.run_config_dir is None:
        return ComposeSetup(app, None, None, (), "the profile has no Hydra run configs")
    config_dir, config_name = app.config_dir, app.config_name
    if config_dir is None or config_name is None:
        return ComposeSetup(app, config_dir, config_name, (), "config_path or config_name is not a literal")
    prefix = f"{config_dir}/" if config_dir else ""
    if f"{prefix}{config_name}.yaml" not in facts.files:
        return ComposeSetup(app, config_dir, config_name, (), "the primary config file does not exist")
    runs = experiment_runs(facts)
    if not runs:
        return ComposeSetup(app, config_dir, config_name, (), "no experiment runs are known")
    files = config_folder(facts, prefix)
    if files is None:
        return ComposeSetup(app, config_dir, config_name, (), "a config file does not parse (see R102)")
    docs = {path[len(prefix) :]: doc for path, doc in facts.yaml.items() if path.startswith(prefix)}
    hydra_groups = any(_names_hydra_group(doc.data) for doc in docs.values())
    nodes = {path: doc.node for path, doc in docs.items() if doc.node is not None}
    composer = _Composer(files, config_dir or ".", hydra_groups, nodes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Hydra's upgrade notices are not findings
        compositions = _compose_all(facts, composer, config_name, runs)
    primary = f"{prefix}{config_name}.yaml"
    outside = {_outside_entry(facts, prefix, asked) or OutsideEntry(asked, primary, 1) for asked in composer.outside}
    located = tuple(sorted(outside, key=lambda e: (e.path, e.line, e.config_path)))
    stored = _stored_configs(facts) if any(c.error for c in compositions) else {}
    for comp in compositions:
        place = _names_stored(comp.error, stored)
        if place is not None:
            # Hydra finds that config in its ConfigStore: composing the YAML alone is not what Hydra composes.
            return ComposeSetup(
                app, config_dir, config_name, (), f"the code registers configs in Hydra's ConfigStore ({place})"
            )
    return ComposeSetup(app, config_dir, config_name, tuple(compositions), None, located)


def _literal_argument(call: ast.Call, position: int, keyword: str) -> str | bool | None:
    """A ``store(...)`` argument: its string, None when it is not given, False when it is not a literal."""
    value = next((kw.value for kw in call.keywords if kw.arg == keyword), None)
    if value is None and len(call.args) > position:
        value = call.args[position]
    if value is None:
        return None
    if isinstance(value, ast.Constant) and (value.value is None or isinstance(value.value, str)):
        return value.value
    return False


def _stored_configs(facts: Facts) -> dict[str, str]:
    """The configs the code stores in Hydra's ConfigStore before Hydra composes: ``group/name`` (or ``name``)
    to the ``path:line`` of the ``ConfigStore...store(...)`` call.

    Only a call with a literal name and group that runs on import counts: at module level, or in a
    function the module's own top-level code calls (a store in a function nothing calls, or in the task
    function Hydra calls after composing, stores nothing Hydra can compose).
    """
    found: dict[str, str] = {}
    for path in code_modules(facts):
        if "ConfigStore" not in facts.files[path].text:
            continue
        index = index_of(facts, path)
        if index is None:
            continue
        reached: set[str] | None = None
        for call in index.calls:
            if call.attr != "store":
                continue
            name, group = _literal_argument(call.node, 0, "name"), _literal_argument(call.node, 2, "group")
            if not isinstance(name, str) or group is False:
                continue
            if call.function:
                if reached is None:
                    reached = reached_functions(index)
                if call.function not in reached:
                    continue
            name = name.removesuffix(".yaml")
            found.setdefault(f"{group}/{name}" if group else name, f"{path}:{call.line}")
    return found


_NOT_FOUND = re.compile(r"Could not (?:find|load) '([^']+)'")


def _names_stored(error: str | None, stored: dict[str, str]) -> str | None:
    """The place of the stored config a compose failure says Hydra cannot find, if it names one."""
    if not error or not stored:
        return None
    for asked in _NOT_FOUND.findall(error):
        place = stored.get(asked.removesuffix(".yaml").lstrip("/"))
        if place is not None:
            return place
    return None


def _outside_entry(facts: Facts, prefix: str, config_path: str) -> OutsideEntry | None:
    """The defaults entry that makes Hydra look for ``config_path`` outside the config folder.

    Hydra resolves an entry against the folder of the config that lists it (``<folder>/<entry>``) or, with
    a leading ``/``, against the config folder itself; the entry text is what remains of the path once
    that folder is taken off. For a group entry (``- ../group: option``) the group path is the one asked.
    """
    for path, file in sorted(facts.files.items()):
        if not path.startswith(prefix) or not path.endswith(_YAML_SUFFIXES):
            continue
        folder = posixpath.dirname(path[len(prefix) :])
        written = [f"/{config_path}"]
        if not folder:
            written.append(config_path)
        elif config_path.startswith(f"{folder}/"):
            written.append(config_path[len(folder) + 1 :])
        for number, text in enumerate(file.lines, start=1):
            entry = text.strip()
            if entry.startswith("-") and any(_names_entry(entry[1:], w) for w in written):
                return OutsideEntry(config_path, path, number)
    return None


def _names_entry(entry: str, written: str) -> bool:
    """Whether a defaults-list line (without its dash) names ``written``: its config, its group, or the
    group's option (``- optional ../group@pkg: option`` names ``../group`` and ``../group/option``)."""
    name, _, option = (part.strip().strip("'\"") for part in entry.partition(":"))
    words = name.split()
    if not words:
        return False
    group = words[-1].split("@", 1)[0]
    return written in (group, f"{group}/{option}")


def config_folder(facts: Facts, prefix: str) -> dict[str, str | None] | None:
    """The config folder Hydra composes from: path inside it -> YAML text (None for other files); None when
    a config file in it does not parse.

    This is the one place composition takes text from the submission: only files that ``facts.yaml``
    parsed without a problem reach Hydra, so limits applied there (size, depth, aliases) hold here too.
    """
    if any(doc.problem is not None for path, doc in facts.yaml.items() if path.startswith(prefix)):
        return None
    return {
        path[len(prefix) :]: file.text if path.endswith(_YAML_SUFFIXES) and file.unreadable is None else None
        for path, file in facts.files.items()
        if path.startswith(prefix)
    }


_YAML_SUFFIXES = (".yaml", ".yml")


def _names_hydra_group(data: Any) -> bool:
    """Whether a config's defaults list names one of Hydra's own groups (``override hydra/job_logging: ...``)."""
    defaults = data.get("defaults") if isinstance(data, dict) else None
    for entry in defaults if isinstance(defaults, list) else ():
        for name in [entry] if isinstance(entry, str) else list(entry) if isinstance(entry, dict) else []:
            words = str(name).split()
            if words and words[-1].lstrip("/").split("@")[0].split("/")[0] == "hydra":
                return True
    return False


def _compose_all(facts: Facts, composer: _Composer, config_name: str, runs: tuple[RunSpec, ...]) -> list[Composition]:
    compositions: list[Composition] = []
    _preparse([o for run in runs for mode in profile_modes(facts) for o in command_overrides(facts, run.run_id, mode)])
    for run in runs:
        for mode in profile_modes(facts):
            overrides = command_overrides(facts, run.run_id, mode)
            quotable = _quoted(run.run_id) is not None
            comp = None
            if not (quotable and _certainly_unparsable(overrides)):
                comp = _composition(composer, config_name, run.run_id, mode, overrides)
            if comp is None or (comp.error_type == "OverrideParseException" and quotable):
                # The id itself is reported by C704; compose again with the id quoted, as a careful command
                # would pass it, so that the configs' own defects still come to light. An override Hydra's
                # parser certainly refuses makes that composition fail so: it is not even tried.
                quoted = command_overrides(facts, run.run_id, mode, quote=True)
                comp = _composition(composer, config_name, run.run_id, mode, quoted)
            compositions.append(comp)
    return compositions


def _certainly_unparsable(overrides: tuple[str, ...]) -> bool:
    """Whether composing ``overrides`` certainly fails with Hydra's OverrideParseException: they are parsed in
    order, and the first one not parsed already (every plain one is, by ``_preparse``) is one Hydra's parser
    certainly refuses. An override before it that might fail otherwise leaves the answer to Hydra."""
    for override in overrides:
        if override not in _PARSED:
            return certainly_refused(override)
    return False


def _composition(
    composer: _Composer, config_name: str, run_id: str, mode: str, overrides: tuple[str, ...]
) -> Composition:
    try:
        config = composer.compose(config_name, list(overrides))
        return Composition(run_id, mode, overrides, config, None, None)
    except Exception as exc:  # Hydra's own errors are the finding
        message = _first_lines(str(exc))
        _release_frames(exc)
        return Composition(run_id, mode, overrides, None, message, type(exc).__name__)


def _release_frames(exc: BaseException) -> None:
    """Detach the tracebacks from ``exc`` and from the exceptions it came from.

    Hydra's override parser keeps the exception it raised in its (cyclic) parse tree; through its
    traceback, that garbage would hold the callers' frames, and with them this submission's facts,
    until the garbage collector next runs.
    """
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _quoted(run_id: str) -> str | None:
    """``run_id`` as a quoted value of Hydra's override grammar, or None when no plain quoting can hold it."""
    for quote in ("'", '"'):
        if quote not in run_id and "\\" not in run_id:
            return f"{quote}{run_id}{quote}"
    return None


# --------------------------------------------------------------------------- where a failure is


_KEY_IN_MESSAGE = re.compile(r"(?:override|Key) '([^']+)'")
_GROUP_IN_MESSAGE = re.compile(r"Could not (?:find|load) '([^'/]+)/")


def failure_place(facts: Facts, primary: str, comp: Composition) -> tuple[str, int]:
    """The config file and line a composition failure is about.

    A run id Hydra cannot parse: the run's own config. A key or group Hydra names: its top-level key
    in the primary config (``key:``), or the defaults entry that selects it (``- key: x``,
    ``- group@key: x``), never a nested key of the same name (``wandb.mode`` is not ``mode``). A
    group that cannot be selected: the first ``group@key`` defaults entry. Otherwise the key is
    missing from the primary config, and the place is the file: its line 1.
    """
    file = facts.files[primary]
    message = comp.error or ""
    if comp.error_type == "OverrideParseException":
        path = facts.profile.run_config_path(comp.run_id)
        if path in facts.files:
            return path, 1
    for pattern in (_KEY_IN_MESSAGE, _GROUP_IN_MESSAGE):
        match = pattern.search(message)
        if match:
            key = re.escape(match.group(1).split(".")[0].split("@")[0])
            for number, line in enumerate(file.lines, start=1):
                if re.match(rf"(?:\s*-\s*)?(?:\w+@)?{key}\s*:", line) or re.match(rf"\s*-\s*\w*@{key}\s*:", line):
                    return primary, number
    if "runs@run" in message or "You must specify" in message:
        for number, line in enumerate(file.lines, start=1):
            if "@" in line and line.strip().startswith("-"):
                return primary, number
    return primary, 1
