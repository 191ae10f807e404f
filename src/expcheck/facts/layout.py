"""What a submission's own files say about the contract it was written for, with where they say it.

Two kinds of signal, both read before any profile is chosen:

- the run-config folder that holds YAML files (``config/run/`` or ``config/runs/``, or any folder a
  profile names), and
- the trial/full switch: the top-level keys ``config/config.yaml`` declares, and the keys the code
  reads from a configuration object's root (``cfg.trial_mode``, ``cfg["mode"]``,
  ``cfg.get("mode")``). Only a read whose receiver is a plain name counts: ``cfg.wandb.mode`` reads
  a W&B setting, and ``run_cfg.model`` reads ``model``, not ``mode``.

Nothing here judges; ``profiles.detect`` weighs the signals.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from expcheck.limits import yaml_limit
from expcheck.submission import Submission

PRIMARY_CONFIG = "config/config.yaml"
_NOT_CONFIG_RECEIVERS = frozenset({"self", "cls", "os", "sys", "np", "torch", "wandb", "optuna", "plt"})


@dataclass(frozen=True)
class Signal:
    """One piece of evidence: what was seen and where (``path:line``)."""

    what: str
    where: str


@dataclass(frozen=True)
class LayoutSignals:
    # folder (with trailing /) -> the YAML files it holds
    run_folders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # top-level keys of config/config.yaml -> line
    declared: dict[str, int] = field(default_factory=dict)
    # key read from a configuration root -> first places it is read
    root_reads: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # config group the primary config's defaults list selects (``run``, ``runs`` of ``runs@run``) -> line
    default_groups: dict[str, int] = field(default_factory=dict)

    def group_signal(self, folder: str) -> Signal | None:
        """The defaults-list entry that selects a file of ``folder`` (``config/run/`` -> group ``run``)."""
        if not folder.startswith("config/"):
            return None
        group = folder.removeprefix("config/").rstrip("/")
        line = self.default_groups.get(group)
        if line is None:
            return None
        return Signal(f"the defaults list of {PRIMARY_CONFIG} selects from group `{group}`", f"{PRIMARY_CONFIG}:{line}")

    def declared_signal(self, key: str) -> Signal | None:
        line = self.declared.get(key)
        if line is None:
            return None
        return Signal(f"{PRIMARY_CONFIG} declares `{key}`", f"{PRIMARY_CONFIG}:{line}")

    def read_signal(self, key: str) -> Signal | None:
        places = self.root_reads.get(key)
        if not places:
            return None
        return Signal(f"the code reads `<cfg>.{key}`", places[0])


def _mapping(text: str) -> yaml.MappingNode | None:
    """The YAML document's top-level mapping as a node (which keeps line numbers), or None."""
    if yaml_limit(text) is not None:
        return None  # nested or aliased past the limits: libyaml's composer would recurse into it (R104)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return None
    return node if isinstance(node, yaml.MappingNode) else None


def _top_level_keys(node: yaml.MappingNode) -> dict[str, int]:
    """Top-level mapping keys and their 1-based lines."""
    return {
        key.value: key.start_mark.line + 1
        for key, _ in node.value
        if isinstance(key, yaml.ScalarNode) and isinstance(key.value, str)
    }


def _default_groups(node: yaml.MappingNode) -> dict[str, int]:
    """Config groups named by the top-level ``defaults:`` list (``- run: x``, ``- runs@run: x``) and their lines."""
    groups: dict[str, int] = {}
    for key, value in node.value:
        if not (isinstance(key, yaml.ScalarNode) and key.value == "defaults" and isinstance(value, yaml.SequenceNode)):
            continue
        for item in value.value:
            if not isinstance(item, yaml.MappingNode):
                continue
            for entry, _ in item.value:
                if isinstance(entry, yaml.ScalarNode) and isinstance(entry.value, str):
                    name = entry.value.removeprefix("override ").strip().split("@", 1)[0]
                    groups.setdefault(name, entry.start_mark.line + 1)
    return groups


def _read_key(node: ast.AST) -> tuple[str, str] | None:
    """(receiver name, key) when ``node`` reads a key from a plain name: ``x.k``, ``x["k"]``, ``x.get("k")``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Load):
        return node.value.id, node.attr
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return node.value.id, node.slice.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.func.value.id, node.args[0].value
    return None


def _root_reads(sub: Submission, keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
    wanted = set(keys)
    found: dict[str, list[str]] = {}
    for path, file in sorted(sub.files.items()):
        if not path.endswith(".py") or file.unreadable or not any(k in file.text for k in wanted):
            continue
        try:
            tree = ast.parse(file.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # absurd nesting: R104 elsewhere
            continue
        for node in ast.walk(tree):
            read = _read_key(node)
            if read is None or read[1] not in wanted or read[0] in _NOT_CONFIG_RECEIVERS:
                continue
            places = found.setdefault(read[1], [])
            if len(places) < 3:
                places.append(f"{path}:{getattr(node, 'lineno', 1)}")
    return {key: tuple(sorted(places, key=_place_order)) for key, places in found.items()}


def _place_order(place: str) -> tuple[str, int]:
    path, _, line = place.rpartition(":")
    return path, int(line)


def layout_signals(sub: Submission, folders: Iterable[str], switch_keys: Iterable[str]) -> LayoutSignals:
    """The signals for the run-config ``folders`` (ending in /) and the trial/full ``switch_keys``."""
    run_folders: dict[str, tuple[str, ...]] = {}
    for folder in dict.fromkeys(folders):
        held = tuple(
            sorted(
                p
                for p in sub.files
                if p.startswith(folder) and p.endswith((".yaml", ".yml")) and "/" not in p[len(folder) :]
            )
        )
        if held:
            run_folders[folder] = held
    primary = sub.files.get(PRIMARY_CONFIG)
    node = _mapping(primary.text) if primary is not None and not primary.unreadable else None
    declared = _top_level_keys(node) if node is not None else {}
    keys = tuple(dict.fromkeys(switch_keys))
    return LayoutSignals(
        run_folders=run_folders,
        declared={k: line for k, line in declared.items() if k in keys},
        root_reads=_root_reads(sub, keys),
        default_groups=_default_groups(node) if node is not None else {},
    )
