"""The engine's per-check constant work, made cheaper, gives the same answers as the plain computation.

Each shortcut is compared with the computation it replaces: the rules in force with a fresh selection,
the requirement strings a regex accepts with packaging's parser, and the repairs' fixable flags and
edits (crafted pyproject.toml files of every shape the repairs meet, and the corpus when present) with
the repairs run the slow way (packaging for every requirement, tomllib parsing again, R501's shared
edit worked out anew for each finding).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import InvalidRequirement, Requirement

import expcheck.repairs.pyproject as pyproject_repairs
from expcheck.engine import rules_in_force, run_rules, select_rules
from expcheck.facts import Facts
from expcheck.fix import repair_edits
from expcheck.inputs import Loaded, load, load_files
from expcheck.profiles.clauses import clauses_off
from expcheck.rules.base import REGISTRY, Hit, all_rules

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

_TRAIN = "import hydra\nimport numpy\nimport omegaconf\nimport torch\nimport wandb\n\n\nprint(torch, numpy)\n"


def _packaging_accepts(text: str) -> bool:
    try:
        Requirement(text)
    except InvalidRequirement:
        return False
    return True


# ---- the rules in force -------------------------------------------------------------------------------


def _fresh_selection(loaded: Loaded, select: tuple[str, ...], ignore: tuple[str, ...]) -> list[str]:
    off = clauses_off(loaded.clauses)
    return [r.id for r in select_rules(select, ignore, loaded.profile.rules_off) if r.clause not in off]


@pytest.mark.parametrize(
    ("select", "ignore"),
    [((), ()), (("R2",), ()), ((), ("C",)), (("r5", "C101"), ("R502",)), (("dependencies-not-a-list",), ())],
)
def test_rules_in_force_match_a_fresh_selection(select: tuple[str, ...], ignore: tuple[str, ...]) -> None:
    loaded = load_files({"pyproject.toml": '[project]\nname = "x"\n', "src/train.py": _TRAIN}, "airas-v2")
    first = rules_in_force(loaded, select, ignore)
    assert [r.id for r in first] == _fresh_selection(loaded, select, ignore)
    first.clear()  # the caller's list is its own: the next call still has every rule
    assert [r.id for r in rules_in_force(loaded, select, ignore)] == _fresh_selection(loaded, select, ignore)


def test_rules_in_force_read_iterators_once() -> None:
    """select and ignore given as one-shot iterators (the Python API takes any iterable) select as lists do."""
    loaded = load_files({"pyproject.toml": '[project]\nname = "x"\n', "src/train.py": _TRAIN}, "airas-v2")
    chosen = [r.id for r in rules_in_force(loaded, iter(["R2", "C"]), iter(["C101"]))]
    assert chosen == _fresh_selection(loaded, ("R2", "C"), ("C101",))
    assert "C101" not in chosen and any(r.startswith("R2") for r in chosen)


def test_rules_in_force_follow_a_replaced_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load_files({"pyproject.toml": '[project]\nname = "x"\n'}, "airas-v2")
    before = {r.id: r for r in rules_in_force(loaded)}

    def nothing(facts: Facts) -> Iterator[Hit]:
        return iter(())

    swapped = replace(REGISTRY["R203"], check=nothing)
    monkeypatch.setitem(REGISTRY, "R203", swapped)
    after = {r.id: r for r in rules_in_force(loaded)}
    assert after["R203"] is swapped and before["R203"] is not swapped
    monkeypatch.undo()
    assert {r.id: r for r in rules_in_force(loaded)}["R203"] is before["R203"]


def test_rules_in_force_follow_the_profile_rules_off() -> None:
    loaded = load_files({"pyproject.toml": '[project]\nname = "x"\n'}, "airas-v2")
    quieter = replace(loaded, profile=loaded.profile.model_copy(update={"rules_off": ["R2"]}))
    assert any(r.id.startswith("R2") for r in rules_in_force(loaded))
    assert not any(r.id.startswith("R2") for r in rules_in_force(quieter))
    assert len(all_rules()) > len(rules_in_force(quieter))


# ---- requirement strings ----------------------------------------------------------------------------------

_NAMES = ["torch", "A", "hydra-core", "ruamel.yaml", "a_b", "x1", "9lives"]
_CLAUSES = ["", ">=2.0", "==1", "!=0.1.2", "<3", ">1.0.0", "<=10.20.30", "~=1.4", "~=0.1.2", ">=2.0,<3.0", "==01.2"]


def test_every_plain_requirement_is_valid_for_packaging() -> None:
    plain = pyproject_repairs._plain_requirement()
    accepted = [name + clause for name, clause in itertools.product(_NAMES, _CLAUSES)]
    assert all(plain.fullmatch(text) for text in accepted)
    assert all(_packaging_accepts(text) for text in accepted)


@pytest.mark.parametrize(
    "text",
    [
        "torch>=2.0",
        "torch",
        "torch~=1",  # packaging refuses ~= with one part
        "torch>=1.*",
        "torch==1.*",
        "torch>=2.0, <3.0",
        "torch [cuda]>=2",
        "torch[cuda,extra]>=2",
        "a-",
        "-a",
        "torch>=2.0rc1",
        "torch===foo",
        "torch>=",
        "torch>=2.0;python_version<'3.12'",
        "torch @ https://example.org/torch.whl",
        "",
        "to rch",
    ],
)
def test_valid_requirement_agrees_with_packaging(text: str) -> None:
    assert pyproject_repairs._valid_requirement(text) is _packaging_accepts(text)


# ---- the repairs: fixable flags and edits -----------------------------------------------------------------


def _slow(monkeypatch: pytest.MonkeyPatch) -> None:
    """The repairs as they ran before their shortcuts: packaging validates every requirement string, R202
    parses pyproject.toml with tomllib again, and R501's shared edit is worked out for each finding."""
    monkeypatch.setattr(pyproject_repairs, "_plain_requirement", lambda: re.compile(r"(?!)"))
    monkeypatch.setattr(pyproject_repairs, "_tomllib_data", lambda facts, text: pyproject_repairs.tomllib.loads(text))
    derived = Facts.derived

    def uncached(self: Facts, compute: Callable[[Facts], Any]) -> Any:
        if compute is pyproject_repairs._declare_undeclared:
            return compute(self)
        return derived(self, compute)

    monkeypatch.setattr(Facts, "derived", uncached)


def _outcomes(loaded: Loaded, select: tuple[str, ...] = ()) -> list[tuple[str, str, int | None, bool, list[Any]]]:
    """(rule, path, line, fixable, edits) of every finding, the edits as `expcheck fix` asks for them."""
    facts = Facts(loaded.submission, loaded.profile)
    findings = run_rules(facts, rules_in_force(loaded, select)).findings
    return [
        (f.rule, f.path, f.line, f.fixable, repair_edits(facts, REGISTRY[f.rule], f))
        for f in findings
        if REGISTRY[f.rule].repair is not None
    ]


def _compare(monkeypatch: pytest.MonkeyPatch, loaded: Loaded, select: tuple[str, ...] = ()) -> list[Any]:
    fast = _outcomes(loaded, select)
    with monkeypatch.context() as patch:
        _slow(patch)
        slow = _outcomes(loaded, select)
    assert fast == slow
    return fast


_PYPROJECTS = {
    "table": '[project]\nname = "exp"\nversion = "0.1.0"\n\n[project.dependencies]\ntorch = ">=2.0"\nnumpy = "*"\n',
    "table last with comments": (
        '[project]\nname = "exp"\nrequires-python = ">=3.11"\n\n[project.dependencies]\n# core\n'
        'torch = "^2.1"  # the model\nhydra-core = "~1.3"\nnumpy = "1.26"\n'
    ),
    "table then other tables": (
        '[build-system]\nrequires = ["hatchling"]\n\n[project]\nname = "exp"\n\n[project.dependencies]\n'
        'torch = ">=2.0,<3.0"\ntransformers = "~=4.30"\n\n[tool.uv]\npackage = false\n'
    ),
    "table with extras": '[project]\nname = "e"\n\n[project.dependencies]\ntorch = {version = ">=2", extras = ["cuda"]}\n',
    "table with a git source": '[project]\nname = "e"\n\n[project.dependencies]\nlib = {git = "https://example.org/l.git"}\n',
    "table with a python key": '[project]\nname = "e"\n\n[project.dependencies]\npython = "^3.11"\ntorch = "*"\n',
    "table with a bad specifier": '[project]\nname = "e"\n\n[project.dependencies]\ntorch = ">=2.0.*"\nnumpy = "~=1"\n',
    "table with an odd version": '[project]\nname = "e"\n\n[project.dependencies]\ntorch = "latest"\n',
    "string": '[project]\nname = "exp"\nversion = "0.1.0"\ndependencies = "torch>=2.0"\n',
    "invalid string": '[project]\nname = "exp"\ndependencies = "torch>=>2"\n',
    "super table": '[project.dependencies]\ntorch = ">=2"\n\n[project.urls]\nhome = "https://example.org"\n',
    "out of order": '[project]\nname = "e"\n\n[tool.x]\na = 1\n\n[project.dependencies]\ntorch = ">=2"\n',
    "poetry": (
        '[tool.poetry]\nname = "exp"\nversion = "0.1.0"\ndescription = "d"\n\n[tool.poetry.dependencies]\n'
        'python = "^3.11"\ntorch = "^2.0"\nnumpy = {version = "^1.26", extras = ["x"]}\n'
    ),
    "poetry without python": '[tool.poetry]\nname = "e"\nversion = "1"\n\n[tool.poetry.dependencies]\ntorch = "^2"\n',
    "poetry with a bad version": '[tool.poetry]\nname = "e"\nversion = "one"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n',
    "list missing imports": '[project]\nname = "exp"\nversion = "0.1.0"\ndependencies = ["numpy"]\n',
    "list without dependencies": '[project]\nname = "exp"\nversion = "0.1.0"\n',
    "invalid toml": '[project\nname = "exp"\n',
    "duplicate table": '[project]\nname = "a"\n\n[project]\nname = "b"\n',
}


@pytest.mark.parametrize("name", sorted(_PYPROJECTS))
def test_repairs_of_crafted_pyprojects_are_unchanged(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    files = {"pyproject.toml": _PYPROJECTS[name], "src/train.py": _TRAIN}
    _compare(monkeypatch, load_files(files, "airas-v2"))


def test_the_crafted_pyprojects_reach_every_pyproject_repair(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above means something: fixable and unfixable findings of each shortcut's rule occur."""
    seen: set[tuple[str, bool]] = set()
    for text in _PYPROJECTS.values():
        loaded = load_files({"pyproject.toml": text, "src/train.py": _TRAIN}, "airas-v2")
        seen |= {(rule, fixable) for rule, _, _, fixable, _ in _outcomes(loaded)}
    assert {("R202", True), ("R202", False), ("R203", True), ("R203", False), ("R501", True)} <= seen


def test_r501_findings_share_one_edit() -> None:
    loaded = load_files({"pyproject.toml": _PYPROJECTS["list missing imports"], "src/train.py": _TRAIN}, "airas-v2")
    edits = [edits for rule, _, _, fixable, edits in _outcomes(loaded) if rule == "R501" and fixable]
    assert len(edits) >= 2 and all(e == edits[0] for e in edits)


@pytest.mark.skipif(not (CORPUS / "index.jsonl").is_file(), reason="corpus not present")
def test_repairs_over_the_corpus_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    traces = [json.loads(line)["trace"] for line in (CORPUS / "index.jsonl").read_text().splitlines() if line.strip()]
    repaired = 0
    for trace in traces:
        loaded = load(str(CORPUS / trace))
        if "pyproject.toml" not in loaded.submission.files:
            continue
        repaired += sum(fixable for *_, fixable, _ in _compare(monkeypatch, loaded, ("R2", "R5")))
    assert repaired > 100  # R203 alone is fixable in about a hundred traces
