"""The config repository facts/compose.py composes with takes a loaded config's defaults list as Hydra's own
``ConfigRepository`` takes it: the same list (or Hydra's error), the config left as Hydra leaves it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from expcheck.facts.compose import _repository_type
from expcheck.facts.omegaconf_nodes import empty_list
from test_compose_nodes import _same_tree


def test_empty_list_is_omegaconfs() -> None:
    from omegaconf import OmegaConf

    _same_tree(empty_list(), OmegaConf.create([]))


def _flagged(flag: str) -> Callable[[Any], Any]:
    def set_flag(cfg: Any) -> Any:
        cfg._set_flag(flag, True)
        return cfg

    return set_flag


def _typed(_: Any) -> Any:
    from dataclasses import dataclass, field

    from omegaconf import OmegaConf

    @dataclass
    class Typed:
        defaults: list[Any] = field(default_factory=lambda: ["_self_"])
        x: int = 1

    return OmegaConf.structured(Typed)


def _none(_: Any) -> Any:
    from omegaconf import DictConfig

    return DictConfig(None)


CONFIGS: dict[str, tuple[Any, Callable[[Any], Any] | None]] = {
    "no-defaults": ({"a": 1, "b": {"c": [1]}}, None),
    "defaults-list": ({"defaults": ["_self_", {"run": "???"}, {"db@x": ["a", "b"]}], "a": 1}, None),
    "defaults-empty": ({"defaults": [], "a": 1}, None),
    "defaults-mapping": ({"defaults": {"run": "a"}, "a": 1}, None),
    "defaults-string": ({"defaults": "_self_"}, None),
    "defaults-none": ({"defaults": None}, None),
    "defaults-missing": ({"defaults": "???", "a": 1}, None),
    "defaults-interpolation": ({"defaults": "${items}", "items": ["_self_"]}, None),
    "defaults-nested-only": ({"a": {"defaults": ["x"]}}, None),
    "readonly": ({"defaults": ["_self_"], "a": 1}, _flagged("readonly")),
    "struct": ({"defaults": ["_self_"], "a": 1}, _flagged("struct")),
    "typed": ({}, _typed),
    "none": ({}, _none),
}


def _outcome(extract: Callable[[str, Any], Any], name: str) -> tuple[Any, ...]:
    from omegaconf import OmegaConf

    data, change = CONFIGS[name]
    cfg = OmegaConf.create(copy.deepcopy(data))
    if change is not None:
        cfg = change(cfg)
    try:
        taken = extract("c", cfg)
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))
    left = OmegaConf.to_container(cfg, resolve=False) if cfg._value() is not None else None
    parent_is_cfg = taken._get_parent() is cfg
    return (OmegaConf.to_container(taken, resolve=False), type(taken), parent_is_cfg, left, dict(cfg._metadata.flags))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_defaults_list_taken_as_hydra_takes_it(name: str) -> None:
    from hydra._internal.config_repository import ConfigRepository

    ours = _repository_type().__new__(_repository_type())
    hydra = ConfigRepository.__new__(ConfigRepository)
    assert _outcome(ours._extract_defaults_list, name) == _outcome(hydra._extract_defaults_list, name)


def test_defaults_list_is_the_node_of_the_config() -> None:
    """The shortcut hands out the config's own list node, as Hydra's pop does (its items keep their parent)."""
    from omegaconf import OmegaConf

    cfg = OmegaConf.create({"defaults": ["_self_", {"run": "a"}], "x": 1})
    node = cfg._get_node("defaults")
    ours = _repository_type().__new__(_repository_type())
    assert ours._extract_defaults_list("c", cfg) is node
    assert "defaults" not in cfg
