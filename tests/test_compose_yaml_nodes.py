"""A config file's data built from the node tree PyYAML's safe loader composed (facts/omegaconf_yaml.py) is the
data OmegaConf's own YAML loader reads from the text, or the text is left to that loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import corpus_files, needs_shared
from expcheck.facts.compose import _yaml_loader
from expcheck.facts.omegaconf_yaml import UNREAD, omegaconf_data

TEXTS = {
    "floats": "a: 1e-3\nb: 1.0e-4\nc: -2E+5\nd: .inf\ne: -.Inf\nf: .nan\ng: 1_000.5\nh: 3.\ni: 1:30.5\nj: .5\n",
    "ints": "a: 1\nb: -0\nc: 0x1f\nd: 0o17\ne: 017\nf: 1_000\ng: 1:30\nh: +5\ni: 0b101\n",
    "bools-and-nulls": "a: yes\nb: No\nc: on\nd: OFF\ne: true\nf: ~\ng: null\nh:\ni: y\nj: Null\n",
    "timestamps": "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10\n",
    "strings": "a: '1e-3'\nb: \"2001-12-14\"\nc: |\n  1e-3\nd: >\n  yes\ne: plain text\nf: ''\ng: 1e\nh: -x\n",
    "keys": "1: int\n1e-3: float\nyes: bool\n~: none\n'2': quoted\n2001-12-14: date\n",
    "nested": "a:\n  b: [1, {c: 2e-3}, [3]]\n  d: {e: null}\nlist:\n  - x\n  - {y: [1e5]}\nempty: {}\nnone: []\n",
    "anchors": "base: &b {lr: 1e-3, layers: [1, 2]}\nrun: *b\nitems: &i [1]\nmore: [*i, *i]\n",
    "interpolations": "a: ${b}\nb: x${c.d}y\nc: {d: '${e}'}\n",
    "duplicate-key": "a: 1\nb: 2\na: 3\n",
    "duplicate-nested": "a:\n  x: 1\n  x: 2\n",
    "duplicate-non-string-key": "1: a\n1: b\n",
    "merge-key": "base: &b {x: 1}\nrun:\n  <<: *b\n  y: 2\n",
    "explicit-tags": "a: !!str 1e-3\nb: !!float '1'\n",
    "bang-in-string": "a: hello!\nb: 1e-3\n",
    "value-key": "=: x\n",
    "top-list": "- 1e-3\n- a\n",
    "top-scalar": "1e-3\n",
    "sexagesimal-and-signs": "a: -1:30\nb: +.5\nc: -.5e3\nd: 190:20:30.15\n",
}


def _both(text: str) -> tuple[object, object]:
    """(what OmegaConf's loader reads, what is built from the safe loader's node tree)."""
    loader = _yaml_loader()
    assert loader is not None
    try:
        expected: object = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        expected = type(exc)
    node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return expected, omegaconf_data(node, text)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_data_is_omegaconf_loaders(name: str) -> None:
    expected, built = _both(TEXTS[name])
    if built is UNREAD:
        assert name in LEFT_TO_OMEGACONF, name
        return
    assert name not in LEFT_TO_OMEGACONF, name
    assert repr(built) == repr(expected)  # same values, types and key order (a NaN equals nothing)


LEFT_TO_OMEGACONF = {
    "duplicate-key",
    "duplicate-nested",
    "merge-key",
    "explicit-tags",
    "bang-in-string",
    "value-key",
}


def test_aliases_share_their_object_as_pyyaml_does() -> None:
    text = TEXTS["anchors"]
    node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    built = omegaconf_data(node, text)
    assert built["base"] is built["run"]
    assert built["more"][0] is built["more"][1] is built["items"]


def test_no_tree_is_left_to_the_loader() -> None:
    assert omegaconf_data(None, "a: 1\n") is UNREAD


@needs_shared
def test_corpus_config_files_read_as_omegaconf_reads_them() -> None:
    built_count = 0
    for _, path, file in corpus_files(".yaml", ".yml"):
        try:
            expected, built = _both(file.text)
        except yaml.YAMLError:
            continue  # the safe loader refuses it: no node tree to build from
        if built is not UNREAD:
            assert repr(built) == repr(expected), path
            built_count += 1
    assert built_count > 200


def _nodes(files: dict[str, str | None]) -> dict[str, object]:
    """The node trees PyYAML's safe loader composes from the folder's YAML files (as ``Facts.yaml`` keeps them)."""
    out: dict[str, object] = {}
    for path, text in files.items():
        if text is None:
            continue
        try:
            node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            continue
        if node is not None:
            out[path] = node
    return out


def _all_cases() -> dict[str, tuple[dict[str, str], list[list[str]]]]:
    import test_compose_parity
    import test_compose_plain_merge

    cases = {f"parity-{k}": v for k, v in test_compose_parity.CASES.items()}
    cases |= {f"merge-{k}": (v[0], v[1]) for k, v in test_compose_plain_merge.CASES.items()}
    cases["yaml-scalars"] = (
        {
            "config.yaml": "defaults:\n  - _self_\n  - run: ???\n" + TEXTS["floats"] + "t: 2001-12-14\nk: {1e-3: x}\n",
            "run/a.yaml": TEXTS["anchors"],
            "run/b.yaml": TEXTS["duplicate-key"],
            "run/c.yaml": TEXTS["explicit-tags"],
        },
        [["run=a"], ["run=b"], ["run=c"]],
    )
    return cases


@pytest.mark.parametrize("name", sorted(_all_cases()))
def test_composing_from_node_trees_as_hydra_compose(name: str, tmp_path: Path) -> None:
    from expcheck.facts.compose import _Composer
    from test_compose_parity import _folder, _public, _write

    files, override_sets = _all_cases()[name]
    _write(files, tmp_path)
    folder = _folder(tmp_path)
    for overrides in override_sets:
        try:
            ours: tuple[str, object] = (
                "ok",
                _Composer(folder, str(tmp_path), nodes=_nodes(folder)).compose("config", overrides),
            )
        except Exception as exc:
            ours = (type(exc).__name__, str(exc).splitlines()[0])
        assert ours == _public(tmp_path, overrides), (name, overrides)
