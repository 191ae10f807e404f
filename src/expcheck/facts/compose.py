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
(tests/test_compose_parity.py checks that against the public API).
"""

from __future__ import annotations

import copy
import shlex
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expcheck.facts import Facts
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


def _override_templates(command: str) -> list[str]:
    try:
        tokens = shlex.split(command)
    except ValueError:
        tokens = command.split()
    return [t for t in tokens if "=" in t and not t.startswith("-")]


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
        from hydra._internal.config_repository import CachingConfigRepository, ConfigRepository
        from hydra._internal.config_search_path_impl import ConfigSearchPathImpl
        from hydra._internal.core_plugins.file_config_source import FileConfigSource
        from hydra._internal.core_plugins.structured_config_source import StructuredConfigSource
        from hydra._internal.sources_registry import SourcesRegistry

        registry = SourcesRegistry.instance()
        registry.register(FileConfigSource)
        registry.register(StructuredConfigSource)
        search = ConfigSearchPathImpl()
        search.append("main", f"file://{config_dir}")
        search.append("schema", "structured://")
        self.repo = CachingConfigRepository(ConfigRepository(config_search_path=search))
        self._composed: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}

    def compose(self, config_name: str, overrides: list[str]) -> dict[str, Any]:
        """The application config for ``overrides``, as Hydra composes it (struct mode, overrides applied).

        Hydra builds the defaults list from the overrides that select config groups, composes it, then
        applies the remaining (value) overrides to the result. The composed config is cached per group
        selection, so runs and modes that differ only in values (mode=, results_dir=, trial_mode=) pay
        for one composition.
        """
        from hydra._internal.config_loader_impl import ConfigLoaderImpl
        from hydra.core.override_parser.overrides_parser import OverridesParser
        from omegaconf import OmegaConf

        parsed = OverridesParser.create().parse_overrides(overrides=overrides)
        group_overrides = [o for o in parsed if self._selects_group(o)]
        value_overrides = [o for o in parsed if not self._selects_group(o)]
        key = (config_name, tuple(o.input_line for o in group_overrides))
        if key not in self._composed:
            composed = self._compose_groups(config_name, group_overrides)
            self._composed[key] = OmegaConf.to_container(composed, resolve=False, throw_on_missing=False)
        # A fresh struct config from the cached plain data: cheaper than deep-copying the OmegaConf tree,
        # and interpolations stay unresolved as they were.
        cfg = OmegaConf.create(self._composed[key])
        OmegaConf.set_struct(cfg, True)
        if value_overrides:
            ConfigLoaderImpl._apply_overrides_to_config(value_overrides, cfg)
        else:
            return copy.deepcopy(self._composed[key])
        container = OmegaConf.to_container(cfg, resolve=False, throw_on_missing=False)
        assert isinstance(container, dict)
        return container

    def _selects_group(self, override: Any) -> bool:
        """Whether Hydra treats ``override`` as a config-group choice rather than a value."""
        if override.key_or_group.startswith("hydra"):
            return False
        group = override.key_or_group.split("@", 1)[0]
        return bool(override.package) or self.repo.group_exists(group)

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
    runs = facts.submission.context.runs
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
        return Composition(run_id, mode, overrides, None, message, type(exc).__name__)


def _quoted(run_id: str) -> str | None:
    """``run_id`` as a quoted value of Hydra's override grammar, or None when no plain quoting can hold it."""
    for quote in ("'", '"'):
        if quote not in run_id and "\\" not in run_id:
            return f"{quote}{run_id}{quote}"
    return None
