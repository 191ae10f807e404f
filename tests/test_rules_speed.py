"""The shortcuts the rules take for speed answer exactly what the plain searches answered.

- C1 markers: grouped hints (``holds_any``) agree with testing every hint; searching only the lines that
  hold a hint finds the same matches, in the same order, as searching the whole text.
- C401: the literal-first searches with a hand-checked word boundary agree with the original regexes.
- R403/R405: the callee resolved once per module and name is still asked, call by call, whether a local
  of the same name hides it.
"""

from __future__ import annotations

import random
import re

import pytest

from expcheck.facts.markertext import CASE_ODDITIES, LoweredText, hint_groups
from expcheck.rules.completeness import _PLACEHOLDERS, _UNFINISHED, _matches
from expcheck.rules.model import _found, _leaf_patterns, _whole_patterns
from test_marker_hints import PHRASES

MARKERS = (*_UNFINISHED, *_PLACEHOLDERS)

# Pieces the random texts are made of: every phrase the markers know, their hints, near misses, code.
_PIECES = [
    *PHRASES,
    "TODO",
    "todo",
    "FIXME: later",
    "XXX",
    "HACK",
    "[UNCHANGED]",
    "<UNCHANGED>",
    "for brevity",
    "For the sake of brevity",
    "simplified version",
    "# ... rest of the code",
    "# … remaining",
    "#...(same as above",
    "DATASET_PLACEHOLDER",
    "placeholder model",
    "placeholder for the actual",
    "implementation",
    "base_model",
    "same",
    "x = 1",
    "def f(a, b):",
    '"""doc"""',
    "  ",
    "\t",
    "\n",
    "\n",
    "\r\n",
    "é",
    "\u0130",
    "\u212a",
    "_",
    ".",
]


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 30))) for _ in range(count)]


def _prepared(text: str) -> LoweredText:
    return LoweredText(text, text.lower(), not any(odd in text for odd in CASE_ODDITIES))


@pytest.mark.parametrize("marker", MARKERS, ids=lambda m: m.label)
def test_hint_groups_hold_their_members(marker: object) -> None:
    for hints in (marker.hints, marker.narrow_hints):  # type: ignore[attr-defined]
        groups = hint_groups(hints)
        assert sorted(m for _, members in groups for m in members) == sorted(hints)
        for key, members in groups:
            assert all(key in member for member in members), (key, members)


def test_grouped_hints_agree_with_every_hint() -> None:
    for text in _texts(400, 1):
        prepared = _prepared(text)
        for marker in MARKERS:
            for hints in (marker.hints, marker.narrow_hints):
                if hints:
                    assert prepared.holds_any(hints) == any(h in prepared.lowered for h in hints), (text, hints)


def test_line_search_finds_what_the_whole_text_search_finds() -> None:
    checked = 0
    for text in _texts(600, 2):
        prepared = _prepared(text)
        for marker in MARKERS:
            hints = marker.narrow_hints if prepared.plain_case and marker.narrow_hints else marker.hints
            if not prepared.holds_any(hints):
                continue
            whole = [(m.span(), m.group(0)) for m in marker.pattern.finditer(text)]
            lines = [(m.span(), m.group(0)) for m in _matches(marker.pattern, prepared, hints)]
            assert lines == whole, (text, marker.label)
            checked += bool(whole)
    assert checked > 50  # the texts do hold markers


def test_line_spans_fall_back_when_lower_casing_moves_offsets() -> None:
    text = "\u0130 x\n# TODO here\n"
    prepared = _prepared(text)
    assert len(prepared.lowered) != len(text)
    assert prepared.line_spans(("todo",)) is None
    marker = _UNFINISHED[0]
    found = [m.span() for m in _matches(marker.pattern, prepared, marker.hints)]
    assert found == [m.span() for m in marker.pattern.finditer(text)] != []


def _original_read(path: tuple[str, ...], texts: list[str]) -> bool:
    """C401's read test as it was: one regex per key, one alternation per section."""
    leaf = re.compile(rf"\b{re.escape(path[-1])}\b")
    if any(path[-1] in text and leaf.search(text) for text in texts):
        return True
    for part in path[:-1]:
        p = re.escape(part)
        whole = re.compile(
            rf"\*\*\s*[\w.\[\]'\"]*\b{p}\b|\b{p}\b['\"\]]*\.(?:items|values|keys)\(\)|"
            rf"(?:to_container|asdict|vars)\(\s*[\w.]*\b{p}\b"
        )
        if any(part in text and whole.search(text) for text in texts):
            return True
    return False


_CODE_PIECES = [
    "lr",
    "xlr",
    "lr_",
    "é",
    "lré",
    "_lr",
    "training",
    "training.items()",
    "training'].values()",
    '"]training.keys()',
    "**cfg.training",
    "** training",
    "to_container( cfg.training",
    "asdict(training",
    "vars(x.training",
    "(",
    ")",
    ".",
    " ",
    "\n",
    "x",
    "1",
    "-",
    "[",
    "]",
    "'",
    "a-b",
    "-lr-",
]


def test_literal_first_searches_agree_with_the_original_regexes() -> None:
    rng = random.Random(3)
    paths = [("training", "lr"), ("a-b",), ("optim", "training", "x"), ("lr",), ("-lr-",), ("1",), ("",)]
    for _ in range(1500):
        texts = ["".join(rng.choice(_CODE_PIECES) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 3))]
        for path in paths:
            new = any(path[-1] in t and any(_found(p, t) for p in _leaf_patterns(path[-1])) for t in texts) or any(
                any(part in t and any(_found(p, t) for p in _whole_patterns(part)) for t in texts) for part in path[:-1]
            )
            assert new == _original_read(path, texts), (path, texts)


_MODEL = "def build(cfg):\n    return cfg\n"
_TRAIN = """\
from src.model import build


def plain():
    return build(1, 2)


def shadowed(build):
    return build(1, 2)


def unpacks():
    a, b = build(1)
    return a, b
"""


def test_a_memoised_callee_still_yields_to_a_local_of_the_same_name() -> None:
    from expcheck import check_files

    report = check_files({"src/model.py": _MODEL, "src/train.py": _TRAIN}, select=["R403"])
    assert [(f.path, f.line) for f in report.findings if f.rule == "R403"] == [("src/train.py", 5)]
