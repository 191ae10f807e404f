"""Hydra's merge of a defaults list done over plain data (facts/hydra_merge.py) gives what Hydra's own loader
gives: the same config or the same error as Hydra's public compose API on the same files, whether the plain
merge is taken or left to Hydra; and over the corpus, every composition equals the one Hydra's loader makes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import CORPUS, corpus_index, needs_shared
from expcheck.facts import compose
from expcheck.facts.omegaconf_nodes import merge_data
from test_compose_parity import _ours, _public, _write

RUN_DEFAULTS = "defaults:\n  - _self_\n  - run: ???\n"
GLOBAL = "# @package _global_\n"  # a run file merged over the primary config's own keys

# name -> (files, override sets, whether the plain merge composes them: True, False, or None for "not every one")
CASES: dict[str, tuple[dict[str, str], list[list[str]], bool | None]] = {
    "run-files": (
        {
            "config.yaml": RUN_DEFAULTS + "results_dir: r\ntraining:\n  lr: 0.1\n  epochs: 3\n  sched: {kind: cos}\n",
            "run/a.yaml": "run_id: a\ntraining:\n  lr: 0.01\n  layers: [1, 2]\n",
            "run/b.yaml": "run_id: b\ntraining:\n  epochs: 9\n  sched: {warmup: 2}\nextra: [x]\n",
        },
        [["run=a", "results_dir=/x"], ["run=b", "training.lr=3"], ["run=a"], ["run=missing"]],
        True,
    ),
    "self-last": (
        {
            "config.yaml": "defaults:\n  - run: ???\n  - _self_\nseed: 1\ntraining:\n  lr: 0.1\n",
            "run/a.yaml": "seed: 5\ntraining:\n  lr: 0.01\n  wd: 0.1\n",
        },
        [["run=a"], ["run=a", "seed=2"]],
        True,
    ),
    "global-header": (
        {
            "config.yaml": RUN_DEFAULTS + "training:\n  lr: 0.1\n  opt: {name: adam, betas: [1, 2]}\n",
            "run/a.yaml": "# @package _global_\ntraining:\n  opt:\n    betas: [3]\n    eps: 1\nrun_id: a\n",
        },
        [["run=a"]],
        True,
    ),
    "global-at-group": (
        {
            "config.yaml": "defaults:\n  - run@_global_: a\n  - _self_\nx: 1\ny: {z: 2}\n",
            "run/a.yaml": "x: 3\ny: {w: 4}\n",
        },
        [[], ["run@_global_=a"]],
        True,
    ),
    "dotted-packages": (
        {
            "config.yaml": "defaults:\n  - optim@training.optimizer: adam\n  - sched: cos\n  - _self_\ntraining:\n  lr: 1\n",
            "optim/adam.yaml": "lr: 0.001\nbetas: [0.9, 0.999]\n",
            "sched/cos.yaml": "# @package training.schedule.inner\nkind: cos\n",
        },
        [[], ["training.optimizer.lr=2"]],
        True,
    ),
    "nested-defaults": (
        {
            "config.yaml": "defaults:\n  - model: large\n  - _self_\nname: exp\n",
            "model/large.yaml": "defaults:\n  - encoder: big\n  - _self_\nwidth: 256\nmeta:\n  defaults: [kept]\n",
            "model/encoder/big.yaml": "depth: 12\n",
            "model/encoder/small.yaml": "depth: 2\n",
        },
        [[], ["model/encoder=small"], ["model/encoder=none"]],
        True,
    ),
    "missing-values": (
        {
            "config.yaml": RUN_DEFAULTS + "lr: ???\nkeep: 1\ntree: {a: 1}\nitems: [1]\nunset: ???\n",
            "run/a.yaml": GLOBAL + "lr: 0.1\nkeep: ???\ntree: ???\nitems: ???\nnew: ???\n",
        },
        [["run=a"]],
        True,
    ),
    "replacements": (
        {
            "config.yaml": RUN_DEFAULTS + "a: {x: 1}\nb: 1\nc: [1, 2]\nd: null\ne: {x: 1}\nf: [1]\ng: text\n",
            "run/a.yaml": GLOBAL + "a: null\nb: {y: 2}\nc: [3]\nd: {z: 1}\ne: 5\nf: flat\ng: [1]\n",
        },
        [["run=a"]],
        True,
    ),
    "mapping-over-list": (
        {"config.yaml": RUN_DEFAULTS + "c: [1, 2]\n", "run/a.yaml": GLOBAL + "c: {x: 1}\n"},
        [["run=a"]],
        False,
    ),
    "list-over-mapping": (
        {"config.yaml": RUN_DEFAULTS + "c: {x: 1}\n", "run/a.yaml": GLOBAL + "c: [1]\n"},
        [["run=a"]],
        False,
    ),
    "interpolation-written-over": (
        {"config.yaml": RUN_DEFAULTS + "a: 1\nb: ${a}\nc: ${d}\nd: {e: 1}\n", "run/a.yaml": GLOBAL + "b: 2\n"},
        [["run=a"]],
        False,
    ),
    "interpolation-over-mapping": (
        {"config.yaml": RUN_DEFAULTS + "a: {x: 1}\nb: 2\n", "run/a.yaml": GLOBAL + "a: ${b}\n"},
        [["run=a"]],
        False,
    ),
    "interpolations-kept": (
        {"config.yaml": RUN_DEFAULTS + "a: 1\nb: ${a}\nc: 3\n", "run/a.yaml": GLOBAL + "c: ${b}\nd: x${a}\n"},
        [["run=a"], ["run=a", "a=5"]],
        True,
    ),
    "hydra-key-in-run-file": (
        {"config.yaml": "defaults:\n  - base\n  - _self_\na: 1\n", "base.yaml": "hydra:\n  searchpath: [x]\nb: 1\n"},
        [[]],
        False,
    ),
    "some-runs-left-to-hydra": (
        {
            "config.yaml": RUN_DEFAULTS + "a: {x: 1}\n",
            "run/a.yaml": GLOBAL + "a: [1]\n",
            "run/b.yaml": GLOBAL + "a: 2\n",
            "run/c.yaml": GLOBAL + "a: {y: 1}\n",
        },
        [["run=a"], ["run=b"], ["run=c"], ["run=d"]],
        None,
    ),
    "hydra-key-under-package": (
        {"config.yaml": RUN_DEFAULTS + "a: 1\n", "run/a.yaml": "hydra:\n  run:\n    dir: x\nb: 2\n"},
        [["run=a"]],
        True,
    ),
    "list-config-at-package": (
        {"config.yaml": RUN_DEFAULTS + "a: 1\n", "run/a.yaml": "- 1\n- {x: 2}\n"},
        [["run=a"]],
        True,
    ),
    "list-config-global": (
        {"config.yaml": "defaults:\n  - base\n  - _self_\na: 1\n", "base.yaml": "- 1\n"},
        [[]],
        False,
    ),
    "same-config-twice": (
        {"config.yaml": "defaults:\n  - db: mysql\n  - db@backup: mysql\n  - _self_\n", "db/mysql.yaml": "host: h\n"},
        [[]],
        False,
    ),
    "odd-package-names": (
        {
            "config.yaml": "defaults:\n  - run@x-y: a\n  - opt@_p.q: b\n  - _self_\n",
            "run/a.yaml": "b: 2\n",
            "opt/b.yaml": "c: 3\n",
        },
        [[]],
        True,
    ),
    "empty-run-file": (
        {"config.yaml": RUN_DEFAULTS + "a: 1\n", "run/a.yaml": "", "run/b.yaml": "# only a comment\n"},
        [["run=a"], ["run=b"]],
        True,
    ),
    "integer-keys": (
        {"config.yaml": RUN_DEFAULTS + "a: {1: x}\n", "run/a.yaml": "a: {1: y, 2: z}\n"},
        [["run=a"]],
        False,
    ),
}


@pytest.fixture
def plain_merges(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each composition took the plain merge (True) or was left to Hydra's loader (False)."""
    taken: list[bool] = []
    merge = compose.merged_defaults

    def spy(defaults: Any, repo: Any) -> Any:
        merged = merge(defaults, repo)
        taken.append(merged is not None)
        return merged

    monkeypatch.setattr(compose, "merged_defaults", spy)
    return taken


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_as_hydra_compose(name: str, tmp_path: Path, plain_merges: list[bool]) -> None:
    files, override_sets, plain = CASES[name]
    _write(files, tmp_path)
    for overrides in override_sets:
        assert _ours(tmp_path, overrides) == _public(tmp_path, overrides), (name, overrides)
    if plain is not None:
        assert plain_merges and set(plain_merges) == {plain}, plain_merges
    else:
        assert set(plain_merges) == {True, False}, plain_merges


def test_missing_key_message_is_hydras(tmp_path: Path) -> None:
    files, _, _ = CASES["run-files"]
    _write(files, tmp_path)
    outcome = _ours(tmp_path, ["run=a", "missing.key=1"])
    assert outcome == _public(tmp_path, ["run=a", "missing.key=1"])
    assert outcome[0] == "ConfigCompositionException"


def test_merge_data_reads_plain_trees() -> None:
    from omegaconf import OmegaConf

    data = {"a": {"b": [1, {"c": None}], "d": "???", "e": "${a.d}"}, "f": [], "g": {}}
    assert merge_data(OmegaConf.create(data)) == data


def test_merge_data_refuses_what_omegaconf_merges_otherwise() -> None:
    from dataclasses import dataclass

    from omegaconf import DictConfig, ListConfig, OmegaConf

    @dataclass
    class Typed:
        x: int = 1

    flagged = OmegaConf.create({"a": {"b": 1}})
    OmegaConf.set_readonly(flagged.a, True)
    struct = OmegaConf.create({"a": 1})
    OmegaConf.set_struct(struct, True)
    none_container = OmegaConf.create({"a": 1})
    none_container.b = DictConfig(None)
    missing_list = OmegaConf.create({"a": 1})
    missing_list.b = ListConfig("???")
    for config in (
        flagged,
        struct,
        none_container,
        missing_list,
        OmegaConf.create({"a": OmegaConf.structured(Typed)}),
        OmegaConf.create({1: "x"}),
    ):
        assert merge_data(config) is None, config
    unflagged = OmegaConf.create({"a": 1})
    OmegaConf.set_struct(unflagged, True)
    OmegaConf.set_struct(unflagged, None)  # a flag set back to unset leaves nothing set
    assert merge_data(unflagged) == {"a": 1}


def _compositions(entry: dict[str, Any]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    from expcheck.facts import Facts
    from expcheck.inputs import load

    try:
        loaded = load(str(CORPUS / entry["trace"]))
    except Exception:
        return
    facts = Facts(loaded.submission, loaded.profile)
    setup = compose.compose_setup(facts)
    for comp in setup.compositions:
        yield entry["trace"], (comp.run_id, comp.mode, comp.config, comp.error, comp.error_type)


@needs_shared
def test_corpus_compositions_equal_hydras_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every composition over the corpus, composed with the plain merge and then with Hydra's loader only."""
    taken: list[bool] = []
    merge = compose.merged_defaults

    def spy(defaults: Any, repo: Any) -> Any:
        merged = merge(defaults, repo)
        taken.append(merged is not None)
        return merged

    entries = corpus_index()
    monkeypatch.setattr(compose, "merged_defaults", spy)
    plain = [c for entry in entries for c in _compositions(entry)]
    monkeypatch.setattr(compose, "merged_defaults", lambda defaults, repo: None)
    hydra = [c for entry in entries for c in _compositions(entry)]
    assert repr(plain) == repr(hydra)  # same values, key order and value types
    assert taken.count(True) > 50


def test_a_package_deeper_than_the_bound_is_merged_by_hydra(plain_merges: list[bool]) -> None:
    """Two configs at a 300-part package: OmegaConf's merge reaches Python's recursion limit there (as
    Hydra's public compose does); the plain merge must not answer where Hydra fails, so it steps aside."""
    import warnings

    package = ".".join(f"p{i}" for i in range(300))
    files = {
        "config.yaml": f"defaults:\n  - c1@{package}\n  - c2@{package}\n  - _self_\nx: 1\n",
        "c1.yaml": "v: 1\n",
        "c2.yaml": "w: 2\n",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RecursionError):
            compose._Composer(files, "conf").compose("config", ["x=2"])
    assert plain_merges == [False]


def test_a_package_within_the_bound_still_takes_the_plain_merge(plain_merges: list[bool]) -> None:
    package = ".".join(f"p{i}" for i in range(8))
    files = {"config.yaml": f"defaults:\n  - c1@{package}\n  - _self_\nx: 1\n", "c1.yaml": "v: 1\n"}
    composed = compose._Composer(files, "conf").compose("config", ["x=2"])
    assert composed is not None
    assert plain_merges and all(plain_merges)
