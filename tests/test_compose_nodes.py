"""The OmegaConf trees facts/omegaconf_nodes.py builds and copies without OmegaConf's per-node validation are,
node by node, the trees ``OmegaConf.create`` and ``copy.deepcopy`` give; one composer composing many
override sets in turn (as a submission's runs and modes are) gives each time what Hydra's public compose
API gives."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import corpus_files, needs_shared
from expcheck.facts.compose import _Composer, _yaml_loader
from expcheck.facts.omegaconf_nodes import plain_config, plain_data, tree_copy


def _same_tree(ours: Any, theirs: Any, our_parent: Any = None, their_parent: Any = None) -> None:
    """Same node classes, metadata, values, keys and parent links, all the way down (flags caches ignored:
    OmegaConf recomputes an empty cache)."""
    assert type(ours) is type(theirs)
    mine, other = dict(ours.__dict__), dict(theirs.__dict__)
    assert mine.pop("_parent") is our_parent
    assert other.pop("_parent") is their_parent
    mine.pop("_flags_cache")
    other.pop("_flags_cache")
    my_content, their_content = mine.pop("_content", None), other.pop("_content", None)
    assert repr(mine) == repr(other)
    assert type(my_content) is type(their_content)
    if isinstance(my_content, dict):
        assert list(my_content) == list(their_content)
        for key in my_content:
            _same_tree(my_content[key], their_content[key], ours, theirs)
    elif isinstance(my_content, list):
        assert len(my_content) == len(their_content)
        for mine_item, their_item in zip(my_content, their_content, strict=True):
            _same_tree(mine_item, their_item, ours, theirs)
    else:
        assert repr(my_content) == repr(their_content)


SAMPLES = {
    "scalars": {"a": 1, "b": 1.5, "c": True, "d": None, "e": "text", "f": "???", "g": "", "h": -0.0},
    "nested": {"a": {"b": [1, {"c": None}, [], {}]}, "h": {}, "i": [[1, [2]], {"x": {"y": "z"}}]},
    "interpolations": {"d": "${a}", "j": "x${a.b}y", "k": "${oc.env:HOME,x}", "l": {"m": ["${d}"]}, "a": {"b": 1}},
    "escaped": {"a": "\\${not}", "b": "$ {a}", "c": "$${a}"},
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_plain_config_is_omegaconfs_tree(name: str) -> None:
    from omegaconf import OmegaConf

    data = SAMPLES[name]
    try:
        expected = OmegaConf.create(data)
    except Exception:
        assert plain_config(data) is None  # OmegaConf refuses it: left to OmegaConf, for its message
        return
    built = plain_config(data)
    assert built is not None
    _same_tree(built, expected)
    assert OmegaConf.to_container(built) == OmegaConf.to_container(expected)


@pytest.mark.parametrize(
    "data",
    [{1: "int key"}, {"a": {None: 1}}, {"a": {1, 2}}, {"a": b"bytes"}, {"a": "${unclosed"}, ["a list"], "text"],
)
def test_not_plain_is_left_to_omegaconf(data: Any) -> None:
    assert plain_config(data) is None


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_tree_copy_is_deepcopy(name: str) -> None:
    from omegaconf import OmegaConf, open_dict

    config = OmegaConf.create(SAMPLES[name])
    with open_dict(config):  # flags set and cleared, caches filled, as Hydra leaves a loaded config
        config.pop("a", None)
    OmegaConf.set_struct(config, True)
    copied = tree_copy(config)
    assert copied is not None
    _same_tree(copied, copy.deepcopy(config))


def test_tree_copy_refuses_typed_nodes() -> None:
    from dataclasses import dataclass

    from omegaconf import OmegaConf

    @dataclass
    class Typed:
        x: int = 1

    assert tree_copy(OmegaConf.structured(Typed)) is None
    assert tree_copy(OmegaConf.create({"a": OmegaConf.structured(Typed)})) is None


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_plain_data_is_to_container(name: str) -> None:
    from omegaconf import OmegaConf

    config = OmegaConf.create(SAMPLES[name])
    expected = OmegaConf.to_container(config, resolve=False, throw_on_missing=False)
    assert plain_data(config) == expected
    assert repr(plain_data(config)) == repr(expected)  # same key order, same value types


def test_plain_data_keeps_missing_none_and_interpolated_containers() -> None:
    from omegaconf import DictConfig, ListConfig, OmegaConf

    config = OmegaConf.create({"a": 1})
    config.b = DictConfig("???")
    config.c = ListConfig("${a}")
    config.d = DictConfig(None)
    config.e = ListConfig(None)
    expected = OmegaConf.to_container(config, resolve=False, throw_on_missing=False)
    assert repr(plain_data(config)) == repr(expected)


def test_plain_data_refuses_typed_nodes() -> None:
    from dataclasses import dataclass
    from enum import Enum

    from omegaconf import OmegaConf

    class Color(Enum):
        RED = 1

    @dataclass
    class Typed:
        x: int = 1

    assert plain_data(OmegaConf.create({"a": OmegaConf.structured(Typed)})) is None
    assert plain_data(OmegaConf.create({"a": Color.RED})) is None


@needs_shared
def test_corpus_configs_build_as_omegaconf_builds_them() -> None:
    from omegaconf import OmegaConf

    loader = _yaml_loader()
    checked = 0
    for _, path, file in corpus_files(".yaml", ".yml"):
        try:
            data = yaml.load(file.text, Loader=loader) if loader else yaml.safe_load(file.text)
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict):
            continue
        try:
            expected = OmegaConf.create(data)
        except Exception:
            assert plain_config(data) is None
            continue
        built = plain_config(data)
        assert built is not None, path
        _same_tree(built, expected)
        _same_tree(tree_copy(expected), copy.deepcopy(expected))
        assert repr(plain_data(built)) == repr(OmegaConf.to_container(expected, resolve=False))
        checked += 1
    assert checked > 100


# One folder, many override sets through one composer: group files shared between compositions, packages
# (from the defaults list, a header, dotted), interpolations and lists in the files that get embedded.
SHARED_FOLDER = {
    "config.yaml": (
        "defaults:\n  - run: ???\n  - model: small\n  - optim@training.optimizer: adam\n  - _self_\n"
        "results_dir: r\nmode: full\ntraining:\n  epochs: 3\n  lr: ${training.optimizer.lr}\n"
    ),
    "run/a.yaml": "run_id: a\nmethod: proposed\ndata:\n  name: cifar\n  splits: [train, test]\nmodel_ref: ${model.name}\n",
    "run/b.yaml": "# @package _global_\nrun_id: b\ntraining:\n  epochs: 9\n",
    "run/c.yaml": "defaults:\n  - override /model: large\n  - _self_\nrun_id: c\nlist: [[1, 2], {k: v}]\n",
    "run/d.yaml": "run_id: d\nnothing: null\nmissing: ???\n",
    "model/small.yaml": "name: small\nlayers: [64, 64]\nextra: {}\n",
    "model/large.yaml": "name: large\nlayers: [256, 256, 256]\n",
    "optim/adam.yaml": "lr: 0.001\nbetas: [0.9, 0.999]\n",
    "optim/sgd.yaml": "lr: 0.1\nmomentum: 0.9\n",
}
SHARED_OVERRIDES = [
    ["run=a", "results_dir=/x", "mode=trial"],
    ["run=a", "results_dir=/x", "mode=full"],
    ["run=b", "mode=trial"],
    ["run=c", "mode=trial"],
    ["run=d"],
    ["run=a", "model=large"],
    ["run=a", "optim@training.optimizer=sgd"],
    ["run=a", "results_dir=/x", "mode=trial"],
    ["run=zz"],
    ["run=b", "training.epochs=4"],
    ["run=c", "+new=1"],
    ["run=a"],
]


def test_one_composer_many_override_sets_as_hydra(tmp_path: Path) -> None:
    from test_compose_parity import _folder, _public, _write

    _write(SHARED_FOLDER, tmp_path)
    composer = _Composer(_folder(tmp_path), str(tmp_path))
    for overrides in SHARED_OVERRIDES:
        try:
            ours: tuple[str, object] = ("ok", composer.compose("config", overrides))
        except Exception as exc:
            ours = (type(exc).__name__, str(exc).splitlines()[0])
        assert ours == _public(tmp_path, overrides), overrides


def test_a_run_does_not_leak_into_the_next(tmp_path: Path) -> None:
    """Hydra merges a loaded config by moving its nodes: a run file under _global_ that changes a nested key
    of the primary config must not change the primary config the next run of the submission composes."""
    from test_compose_parity import _folder, _public, _write

    files = {
        "config.yaml": "defaults:\n  - _self_\n  - run: ???\ntraining:\n  epochs: 3\n  lr: 0.1\n",
        "run/a.yaml": "# @package _global_\ntraining:\n  epochs: 9\n",
        "run/b.yaml": "# @package _global_\nother: 1\n",
    }
    _write(files, tmp_path)
    composer = _Composer(_folder(tmp_path), str(tmp_path))
    for overrides in (["run=a"], ["run=b"]):
        assert ("ok", composer.compose("config", overrides)) == _public(tmp_path, overrides), overrides


def test_deep_trees_are_left_to_omegaconf() -> None:
    """Past DEEPEST levels the shortcuts answer None, so OmegaConf's own create, deepcopy and to_container
    run and fail where their recursion fails in a real run (a config ~90 levels deep makes Hydra refuse it
    there; building it without OmegaConf's recursion made that finding disappear)."""
    from omegaconf import OmegaConf

    from expcheck.facts.omegaconf_nodes import DEEPEST

    def nested(levels: int) -> dict[str, object]:
        value: object = 1
        for level in range(levels):
            value = [value] if level % 2 else {"k": value}
        return {"top": value}

    shallow = nested(DEEPEST - 1)
    built = plain_config(shallow)
    assert built is not None and OmegaConf.to_container(built) == shallow
    assert plain_data(built) == shallow
    assert tree_copy(built) is not None
    deep = nested(DEEPEST + 2)
    assert plain_config(deep) is None
    made = OmegaConf.create(deep)  # OmegaConf still builds it at this depth
    assert plain_data(made) is None
    assert tree_copy(made) is None
    assert OmegaConf.to_container(copy.deepcopy(made)) == deep
