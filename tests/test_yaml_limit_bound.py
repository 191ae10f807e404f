"""limits.yaml_limit skips the event scan of YAML whose characters show it within the limits.

The scan's answer must not change: a text skipped is one the scan would pass. These tests compare
``yaml_limit`` with the scan itself (what yaml_limit did for every text with an asterisk or more than
MAX_NESTING collection indicators) over hand-made and generated texts, and check that
``nesting_bound`` is never below the depth libyaml's events reach before its first error.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from expcheck.limits import (
    MAX_NESTING,
    LimitProblem,
    _scan_depth,
    _scan_events,
    nesting_bound,
    utf8_encodable,
    yaml_limit,
)

CParser = pytest.importorskip("yaml.cyaml").CParser


def scanned(text: str) -> LimitProblem | None:
    """What yaml_limit answered before it read lines: every text with an alias character or more than
    MAX_NESTING collection indicators scanned event by event."""
    if "*" not in text and sum(text.count(ch) for ch in "-:?[{") <= MAX_NESTING and utf8_encodable(text):
        return None
    try:
        parser = CParser(text)
    except UnicodeEncodeError:
        return LimitProblem(1, 1, "text that cannot be encoded as UTF-8 (a lone surrogate)")
    try:
        return _scan_events(parser) if "*" in text else _scan_depth(parser)
    except (yaml.YAMLError, UnicodeError):
        return None
    finally:
        parser.dispose()


def event_depth(text: str) -> int:
    """The deepest nesting of collections in libyaml's events for ``text``, up to its first error."""
    deepest = depth = 0
    parser: Any = CParser(text)
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return deepest
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return deepest
    finally:
        parser.dispose()


def staircase(steps: int) -> str:
    """A mapping whose value is a sequence written at the mapping's own indentation, whose item is a mapping
    ... : two levels per column, the deepest nesting for its columns."""
    lines = ["top:"]
    for step in range(steps):
        lines.append(" " * (2 * step) + "- key:")
    lines.append(" " * (2 * steps) + "- leaf")
    return "\n".join(lines) + "\n"


PADDING = "".join(f"key{i}: value\n" for i in range(110))  # collection indicators enough to be scanned before


def compact(levels: int) -> str:
    """Sequences nested on one line: ``- - - x``."""
    return "- " * levels + "x\n"


def test_a_staircase_past_the_limit_is_still_found() -> None:
    text = staircase(51)
    assert event_depth(text) > MAX_NESTING
    assert nesting_bound(text) >= event_depth(text)
    found = yaml_limit(text)
    assert found is not None and "nested more than" in found.message
    assert found == scanned(text)


def test_a_staircase_within_the_limit_is_not_scanned_and_passes() -> None:
    text = staircase(20) + PADDING
    assert sum(text.count(ch) for ch in "-:?[{") > MAX_NESTING  # scanned before
    assert nesting_bound(text) <= MAX_NESTING
    assert yaml_limit(text) is None and scanned(text) is None


@pytest.mark.parametrize("levels", [MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, 3 * MAX_NESTING])
def test_sequences_nested_on_one_line(levels: int) -> None:
    text = compact(levels) + PADDING
    assert nesting_bound(text) >= event_depth(text)
    assert yaml_limit(text) == scanned(text)
    assert (yaml_limit(text) is not None) == (levels > MAX_NESTING)


def test_flow_collections_and_single_pair_mappings() -> None:
    text = "a: " + "[k: " * 40 + "v" + "]" * 40 + "\n" + "".join(f"k{i}: v\n" for i in range(40))
    assert event_depth(text) == 81
    assert nesting_bound(text) >= 81
    assert yaml_limit(text) == scanned(text)
    deep = "a: " + "[k: " * 60 + "v" + "]" * 60 + "\n"
    assert yaml_limit(deep) is not None and yaml_limit(deep) == scanned(deep)


def test_asterisks_in_comments_only_are_no_alias() -> None:
    body = "".join(f"key{i}: [a, b]  # *not* an alias\n" for i in range(40))
    text = "# a *bold* word\n" + body
    assert yaml_limit(text) is None and scanned(text) is None


def laughs(line_template: str) -> str:
    """An alias bomb whose alias lines follow ``line_template`` ({prev} is the anchor aliased)."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        aliases = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(line_template.format(level=level, aliases=aliases))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "template",
    [
        "a{level}: &a{level} [{aliases}]",
        'a{level}: &a{level} ["text #quoted", {aliases}]',  # a "#" inside a quoted scalar is no comment
        "a{level}: &a{level} ['text #quoted', {aliases}]",
        "a{level}: &a{level} [{aliases}] # *a comment*",
    ],
)
def test_an_alias_bomb_is_found_whatever_stands_before_its_aliases(template: str) -> None:
    text = laughs(template)
    found = yaml_limit(text)
    assert found is not None and "alias bomb" in found.message
    assert found == scanned(text)


def test_a_quoted_scalar_closed_after_a_hash_leaves_the_next_asterisk_an_alias() -> None:
    # The second line's "#" stands inside the quoted scalar the first line opens; the quote closes it
    # and the asterisk after it is an alias of the list that contains it.
    text = 'a: &a ["one\n  #two", *a]\n'
    found = yaml_limit(text)
    assert found is not None and "inside the collection it names" in found.message
    assert found == scanned(text)


@pytest.mark.parametrize("other_break", ["\r", "\r\n", "\x85", "\u2028"])
def test_a_staircase_broken_by_other_line_breaks_is_found(other_break: str) -> None:
    text = staircase(51).replace("\n", other_break)
    found = yaml_limit(text)
    assert found is not None and found == scanned(text)


def test_byte_order_marks_at_line_starts_are_scanned() -> None:
    text = staircase(51).replace("\n", "\n\ufeff")  # libyaml skips a BOM at a line's start
    found = yaml_limit(text)
    assert found is not None and found == scanned(text)


_PREFIXES = ["", "- ", "? ", ": ", "- - ", "-\t", "--- ", "  "]
_BODIES = [
    "key: value",
    "key:",
    "value",
    "[a, [b, {c: d}]]",
    "{a: [b, c]}",
    "&x key: value",
    "&x",
    "*x",
    "key: *x",
    "'quoted #' *x",
    '"dq #" *x',
    "'open #",
    "close' , *x]",
    "# comment *x",
    "key: value # *comment*",
    "|",
    "text at any indentation",
    "[a: b, c: [d: e]]",
    "key: [",
    "]",
    "key: {x: ",
    "}",
    "x*y: 3*4",
    "? [a]: b",
    "-",
    "?",
    ":",
]


def _generated(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 40)):
        indent = " " * rng.choice([0, 0, 1, 2, 2, 4, 6, 8]) + rng.choice(["", "", "", "\t"])
        lines.append(indent + rng.choice(_PREFIXES) + rng.choice(_BODIES))
    return "\n".join(lines) + rng.choice(["", "\n"])


def test_generated_texts_agree_with_the_scan() -> None:
    rng = random.Random(19)
    for _ in range(4000):
        text = _generated(rng)
        assert nesting_bound(text) >= event_depth(text), text
        assert yaml_limit(text) == scanned(text), text


def test_generated_deep_texts_agree_with_the_scan() -> None:
    """Texts made of nested fragments, many of them near or past the depth limit."""
    rng = random.Random(4)
    for _ in range(300):
        parts = [rng.choice([staircase(rng.randint(1, 30)), compact(rng.randint(1, 60))]) for _ in range(2)]
        flow = "k: " + "[" * rng.randint(0, 40) + "v" + "]" * rng.randint(0, 40) + "\n"
        text = "".join(parts) + flow + PADDING
        if rng.random() < 0.3:
            text = text.replace("leaf", "leaf # *note*")
        assert nesting_bound(text) >= event_depth(text), text
        assert yaml_limit(text) == scanned(text), text
