"""The shortcuts the ML/contract facts take instead of whole-tree walks, searches of every line and rewrites
of the source (issue 19) find what the long way finds."""

from __future__ import annotations

import ast
import random
import re

from conftest import facts_of
from expcheck.facts.entry import entry_line
from expcheck.facts.fabrication import (
    _LOG_CALL,
    _LOG_CALL_IN_LINE,
    _SUMMARY_ITEM,
    _SUMMARY_ITEM_IN_LINE,
    _holds_line,
    _lines_matching,
    _matrix_hint,
    _matrix_hint_lines,
)
from expcheck.facts.markertext import CASE_ODDITIES, LoweredText, lower_for_hints
from expcheck.facts.modes import _may_write, mode_branches
from expcheck.rules.completeness import _PLACEHOLDERS, _UNFINISHED
from expcheck.submission import split_lines

MARKERS = _UNFINISHED + _PLACEHOLDERS
_HINTS = sorted({h for m in MARKERS for hints in (m.hints, m.narrow_hints) for h in hints})


# --- modes: which assigned values are written out to look for the mode key --------------------------------


_VALUES = [
    "model = build_model(cfg)",
    "mode_x = cfg.model",
    "flag = cfg.mode == 'trial'",
    "flag = cfg['mode']",
    "flag = 'model' in names",
    "flag = 'mode' in names",
    "flag = f'{cfg.model}'",
    "flag = f'{mode}'",
    "flag = b'mode'",
    "flag = '''the\nmode'''",
    "flag = '''the\nmodel'''",
    "flag = ('a'\n    'b')",
    "flag = 'mo' 'de'",
    "flag = 'tab\there'",
    "flag = 1 if models else 2",
    "flag = {'model': 1,\n 'x': 2}",
    "flag = [m for m in models if m.mode]",
    "flag = lambda model=1: model",
]


def _writes_word(value: ast.expr, key: str) -> bool:
    return re.search(rf"\b{re.escape(key)}\b", ast.unparse(value)) is not None


def test_values_judged_unwritable_never_write_the_key() -> None:
    skipped = 0
    for source in _VALUES:
        for key in ("mode", "trial_mode", "model", "if", "tab"):
            tree = ast.parse(source)
            value = tree.body[0].value  # type: ignore[attr-defined]
            if not _may_write(source.split("\n"), value, key):
                skipped += 1
                assert not _writes_word(value, key), (source, key)
    assert skipped > 20  # the shortcut does spare most values


def test_a_key_inside_a_longer_name_spares_the_rewrite() -> None:
    source = "model = build_model(cfg.model_name)"
    assert not _may_write([source], ast.parse(source).body[0].value, "mode")  # type: ignore[attr-defined]
    quoted = "name = 'model'"  # a literal holding the key inside a word is looked at
    assert _may_write([quoted], ast.parse(quoted).body[0].value, "mode")  # type: ignore[attr-defined]


def test_mode_branches_write_their_sources_as_before() -> None:
    facts = facts_of(
        {
            "src/main.py": """
                def run(cfg):
                    trial = cfg.mode == "trial"
                    model = make_model(cfg)
                    batches = 2 if trial else None
                    if cfg.mode == "trial":
                        cfg.wandb.mode = "disabled"
                        epochs = 1
                    else:
                        epochs = cfg.epochs
            """
        },
        "airas-v2",
    )
    branches = mode_branches(facts)
    assert branches.switch == ("src/main.py", 6)
    assert branches.trial == "cfg.mode == 'trial'\ncfg.wandb.mode = 'disabled'\nepochs = 1\ntrial\nbatches = 2"
    assert branches.full == "epochs = cfg.epochs\nbatches = None"


# --- markertext: lower-casing through bytes ---------------------------------------------------------------

_PIECES = ["TODO", "todo", "Placeholder", "…", "...", "É", "é", "ß", "ẞ", "Σ", "İ", "K", "ſ", "\n", " ", "x"]
_PIECES += ["Omitted", "Rest of", "As The Base", "Implement Later", "中", "😀", "XxX", "HACK", "\r"]


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def test_lowering_through_bytes_finds_every_hint_where_lower_does() -> None:
    for text in _texts(800, 3):
        quick, usual = lower_for_hints(text), text.lower()
        for hint in _HINTS:
            assert (hint in quick) == (hint in usual), (text, hint)
            assert [m.start() for m in re.finditer(re.escape(hint), quick)] == [
                m.start() for m in re.finditer(re.escape(hint), usual)
            ]
        plain = not any(odd in text for odd in CASE_ODDITIES)
        for marker in MARKERS:
            hints = marker.narrow_hints if plain and marker.narrow_hints else marker.hints
            assert LoweredText(text, quick, plain).line_spans(hints) == LoweredText(text, usual, plain).line_spans(
                hints
            )


def test_the_hints_are_ascii_or_uncased() -> None:
    """What ``lower_for_hints`` relies on: no hint character is one lower() makes of another character."""
    for hint in _HINTS:
        for char in hint:
            assert char.isascii() or char == "…", hint


def test_grouped_members_are_found_however_often_their_key_stands() -> None:
    member_group = next(m for m in MARKERS if m.narrow_hints).narrow_hints
    for repeats in (0, 1, 5, 100):
        for tail in ("", " as the base", " from base", " implement later"):
            text = "database " * repeats + "implementation " * repeats + tail
            prepared = LoweredText(text, lower_for_hints(text), True)
            assert prepared.holds_any(member_group) == any(h in text.lower() for h in member_group), (repeats, tail)
            assert prepared.holds_any(member_group) == any(h in text.lower() for h in member_group)  # asked again


# --- fabrication: lines found in the whole text -----------------------------------------------------------


_LINE_PIECES = [
    "wandb",
    ".log",
    " log",
    "(",
    "\t",
    " ",
    "\n",
    "\r\n",
    "\r",
    "\x0c",
    "summary",
    "[",
    "x",
    "cm",
    "confusion",
]


def test_line_bound_patterns_number_lines_as_the_per_line_search() -> None:
    rng = random.Random(4)
    for _ in range(1500):
        text = "".join(rng.choice(_LINE_PIECES) for _ in range(rng.randint(0, 30)))
        lines = split_lines(text, "src/x.py")
        for hint, per_line, in_line in (
            ("log", _LOG_CALL, _LOG_CALL_IN_LINE),
            ("summary", _SUMMARY_ITEM, _SUMMARY_ITEM_IN_LINE),
        ):
            expected = [n for n, line in enumerate(lines, start=1) if hint in line and per_line.search(line)]
            assert _lines_matching(text, lines, hint, per_line, in_line) == expected, repr(text)


def test_matrix_hint_lines_hold_every_line_the_hint_holds_for() -> None:
    rng = random.Random(5)
    pieces = ["cm", "x", "_", " ", "\n", "heatmap", "imshow", "conf", "mat", "ConfusionMatrix", "(", "\r"]
    for _ in range(1500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        hinted = _matrix_hint_lines(text)
        if hinted is None:
            assert "\r" in text
            continue
        lines = split_lines(text, "src/x.py")
        for number, line in enumerate(lines, start=1):
            if _matrix_hint(line):
                node = ast.Pass(lineno=number, end_lineno=number)
                assert _holds_line(hinted, node), (text, number)


# --- entry: the one function named main, nested ones counted -----------------------------------------------


def test_entry_counts_every_function_named_main() -> None:
    one = facts_of({"src/a.py": "import sys\nclass App:\n    def main(self):\n        pass\n"})
    assert entry_line(one, "src/a.py") == 3
    two = facts_of(
        {"src/a.py": "def run():\n    def main():\n        pass\n\nclass App:\n    def main(self):\n        pass\n"}
    )
    assert entry_line(two, "src/a.py") == 1  # two mains: the first top-level function
