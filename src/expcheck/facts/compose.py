"""Compose the submission's Hydra configs exactly as the documented command would, with Hydra itself.

For every experiment run and every mode of the profile, the train command's overrides
(``run=<id> results_dir=<p>`` plus ``mode=trial|full`` or ``trial_mode=true``) are parsed by Hydra's
override parser and applied by Hydra's defaults-list and config loader, on a private temporary
copy of the config folder. Only YAML is read; no submission code runs.

Hydra's public ``compose()`` also composes its own ``hydra`` node (launchers, logging, sweepers),
which costs ~100 ms per call and never reaches the application: Hydra deletes it before calling
the task function. This module drives the same hydra-core 1.3 internals without that node
(``prepend_hydra=False``) and reuses one caching repository per submission, so the application
config, the override semantics and the error messages are Hydra's own
(tests/test_compose_parity.py checks that against the public API). Within one submission, each
override string is parsed once, config files are read with libyaml under OmegaConf's YAML rules, and
an override that only replaces a top-level value is applied to the cached plain config directly.
"""

from __future__ import annotations

import functools
import os
import shlex
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expcheck.facts import Facts, experiment_runs
from expcheck.facts.hydra_app import HydraApp, entry_app
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


@dataclass(frozen=True)
class ComposeSetup:
    """Which app is composed from which folder; why nothing could be composed, if so."""

    app: HydraApp | None
    config_dir: str | None
    config_name: str | None
    compositions: tuple[Composition, ...]
    skipped: str | None  # reason compose did not run (no app, no runs, unresolved path, ...)


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
    return " ".join(kept[:count]).replace("\t", " ")


class _Composer:
    """Hydra's defaults-list and override machinery over one config folder (hydra-core 1.3)."""

    def __init__(self, config_dir: Path) -> None:
        from hydra._internal.config_repository import ConfigRepository
        from hydra._internal.config_search_path_impl import ConfigSearchPathImpl
        from hydra._internal.core_plugins.file_config_source import FileConfigSource
        from hydra._internal.core_plugins.structured_config_source import StructuredConfigSource
        from hydra._internal.sources_registry import SourcesRegistry
        from hydra.core.override_parser.overrides_parser import OverridesParser

        registry = SourcesRegistry.instance()
        registry.register(FileConfigSource)
        registry.register(StructuredConfigSource)
        search = ConfigSearchPathImpl()
        search.append("main", f"file://{config_dir}")
        search.append("schema", "structured://")
        repository = ConfigRepository(config_search_path=search)
        repository.sources[0] = _fast_file_source()("main", f"file://{config_dir}")
        self.repo = _caching_repository(repository)
        self._parser = OverridesParser.create()
        self._parsed: dict[str, Any] = {}  # override string -> Hydra's Override
        self._groups: dict[str, bool] = {}  # config group name -> whether the folder has it
        self._composed: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}

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
            composed = self._compose_groups(config_name, group_overrides)
            plain = OmegaConf.to_container(composed, resolve=False, throw_on_missing=False)
            assert isinstance(plain, dict)
            self._composed[key] = plain
        replaced = _replace_values(self._composed[key], value_overrides)
        if replaced is not None:
            return replaced
        # A fresh struct config from the cached plain data: cheaper than deep-copying the OmegaConf tree,
        # and interpolations stay unresolved as they were.
        cfg = OmegaConf.create(self._composed[key])
        OmegaConf.set_struct(cfg, True)
        ConfigLoaderImpl._apply_overrides_to_config(value_overrides, cfg)
        container = OmegaConf.to_container(cfg, resolve=False, throw_on_missing=False)
        assert isinstance(container, dict)
        return container

    def _parse(self, override: str) -> Any:
        """Hydra's parse of one override string (the same string recurs for every run and mode).

        A string Hydra refuses raises its OverrideParseException, as ``parse_overrides`` does on a list.
        """
        if override not in self._parsed:
            self._parsed[override] = self._parser.parse_overrides(overrides=[override])[0]
        return self._parsed[override]

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

    def _compose_groups(self, config_name: str, group_overrides: list[Any]) -> Any:
        from hydra._internal.config_loader_impl import ConfigLoaderImpl
        from hydra._internal.defaults_list import create_defaults_list
        from omegaconf import OmegaConf

        defaults = create_defaults_list(
            repo=self.repo,
            config_name=config_name,
            overrides_list=group_overrides,
            prepend_hydra=False,
            skip_missing=False,
        )
        loader = ConfigLoaderImpl.__new__(ConfigLoaderImpl)  # its compose helpers use no instance state
        cfg = loader._compose_config_from_defaults_list(defaults=defaults.defaults, repo=self.repo)
        OmegaConf.set_struct(cfg, True)
        ConfigLoaderImpl._apply_overrides_to_config(defaults.config_overrides, cfg)
        return cfg


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
def _yaml_loader() -> type:
    """OmegaConf's YAML loader (duplicate keys refused, its float rule, no timestamps) on libyaml's parser."""
    import yaml
    from omegaconf._utils import get_yaml_loader
    from yaml.cyaml import CParser

    python_loader = get_yaml_loader()

    class Loader(CParser, python_loader):  # type: ignore[misc,valid-type]
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    return Loader


@functools.cache
def _fast_file_source() -> type:
    """Hydra's file config source, reading YAML with :func:`_yaml_loader` when libyaml is there.

    Only a file that the libyaml parser refuses goes through OmegaConf's pure-Python loader, so a
    broken file gets Hydra's own error message.
    """
    import yaml
    from hydra._internal.core_plugins.file_config_source import FileConfigSource
    from hydra.plugins.config_source import ConfigLoadError, ConfigResult, ConfigSource
    from omegaconf import OmegaConf

    if not yaml.__with_libyaml__:
        return FileConfigSource

    class Source(FileConfigSource):
        def load_config(self, config_path: str) -> ConfigResult:
            full_path = os.path.realpath(os.path.join(self.path, self._normalize_file_name(config_path)))
            if not os.path.exists(full_path):
                raise ConfigLoadError(f"Config not found : {full_path}")
            with open(full_path, encoding="utf-8") as f:
                text = f.read()
            try:
                data = yaml.load(text, Loader=_yaml_loader())
            except yaml.YAMLError:
                return super().load_config(config_path)
            if not isinstance(data, dict | list):
                return super().load_config(config_path)  # empty, or a lone scalar: OmegaConf's own handling
            return ConfigResult(
                config=OmegaConf.create(data),
                path=f"{self.scheme()}://{self.path}",
                provider=self.provider,
                header=ConfigSource._get_header_dict(text[:512]),
            )

    return Source


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
    yaml_files = {
        path[len(prefix) :]: file.text
        for path, file in facts.files.items()
        if path.startswith(prefix) and path.endswith((".yaml", ".yml")) and file.unreadable is None
    }
    if any(doc.problem is not None for path, doc in facts.yaml.items() if path.startswith(prefix)):
        return ComposeSetup(app, config_dir, config_name, (), "a config file does not parse (see R102)")
    compositions: list[Composition] = []
    with tempfile.TemporaryDirectory(prefix="expcheck-compose-") as tmp:
        root = Path(tmp)
        for rel, text in yaml_files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        composer = _Composer(root)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Hydra's upgrade notices are not findings
            compositions.extend(_compose_all(facts, composer, config_name, runs, root, config_dir))
    return ComposeSetup(app, config_dir, config_name, tuple(compositions), None)


def _compose_all(
    facts: Facts, composer: _Composer, config_name: str, runs: tuple[RunSpec, ...], root: Path, config_dir: str
) -> list[Composition]:
    compositions: list[Composition] = []
    for run in runs:
        for mode in profile_modes(facts):
            overrides = command_overrides(facts, run.run_id, mode)
            comp = _composition(composer, config_name, run.run_id, mode, overrides, root, config_dir)
            if comp.error_type == "OverrideParseException" and _quoted(run.run_id) is not None:
                # The id itself is reported by C704; compose again with the id quoted, as a careful command
                # would pass it, so that the configs' own defects still come to light.
                quoted = command_overrides(facts, run.run_id, mode, quote=True)
                comp = _composition(composer, config_name, run.run_id, mode, quoted, root, config_dir)
            compositions.append(comp)
    return compositions


def _composition(
    composer: _Composer,
    config_name: str,
    run_id: str,
    mode: str,
    overrides: tuple[str, ...],
    root: Path,
    config_dir: str,
) -> Composition:
    try:
        config = composer.compose(config_name, list(overrides))
        return Composition(run_id, mode, overrides, config, None, None)
    except Exception as exc:  # Hydra's own errors are the finding
        message = _first_lines(str(exc)).replace(str(root), config_dir or ".")
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
