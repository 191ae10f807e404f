"""Which clauses of a profile are in force for one input: stated by its contract text, or by default."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

try:  # the regular-expression parser, to read a pattern's leading literal (Python 3.11+: re._parser)
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older layout
    import sre_parse as _sre_parse  # type: ignore[no-redef]

from expcheck.model import Model, field
from expcheck.profiles.schema import Clause, Profile


@dataclass(kw_only=True)
class ClauseState(Model):
    """One clause of the profile and whether it is in force for this input; part of every report."""

    id: str
    text: str
    in_force: bool
    why: str = field(description="what decided: the phrase the contract text states, its absence, or the default")


@lru_cache(maxsize=256)
def _pattern(expression: str) -> re.Pattern[str]:
    return re.compile(expression, re.IGNORECASE)


# The only characters outside ASCII that an ASCII letter matches under re.IGNORECASE: dotted capital I,
# dotless i, long s and the Kelvin sign. Folding them (and then lower-casing) gives a text in which an
# ASCII literal occurs wherever the case-insensitive pattern could match it.
_ODD_FOLDS = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}


# Past this many characters between a match's start and its literal, the pattern is searched whole.
_MAX_LEAD = 1000
# One call to match at a position costs about as much as the regex engine scanning this many characters:
# a text dense with the literal is searched whole, so no text costs more than a plain search.
_MATCH_COST = 64


@lru_cache(maxsize=256)
def _anchor(expression: str) -> tuple[str, int, int] | None:
    """The longest lower-cased ASCII literal every match of ``expression`` contains, and the least and
    most characters a match can have before it (None when there is no such literal)."""
    try:
        parsed = _sre_parse.parse(expression, re.IGNORECASE)
    except re.error:
        return None
    items = list(parsed)
    best: tuple[int, int] = (0, 0)  # [first, last) of the longest run of ASCII literals at the top level
    first = 0
    for i, (op, value) in enumerate([*items, (None, None)]):
        if op is _sre_parse.LITERAL and value < 128:
            continue
        if i - first > best[1] - best[0]:
            best = (first, i)
        first = i + 1
    if best[1] == best[0]:
        return None
    literal = "".join(chr(value).lower() for _, value in items[best[0] : best[1]])
    least, most = _sre_parse.SubPattern(parsed.state, items[: best[0]]).getwidth()
    return literal, least, most


class _Folded:
    """A contract text with a case-folded copy, so that each clause pattern is tried only where its
    literal occurs instead of at every position of a text that may be megabytes long."""

    def __init__(self, text: str) -> None:
        self.text = text
        folded = text.translate(_ODD_FOLDS) if any(chr(c) in text for c in _ODD_FOLDS) else text
        self.folded = folded.lower()
        self.aligned = len(self.folded) == len(text)

    def search(self, expression: str) -> re.Match[str] | None:
        """The same match as ``re.search(expression, text, re.IGNORECASE)``."""
        pattern = _pattern(expression)
        anchor = _anchor(expression)
        if anchor is None:
            return pattern.search(self.text)
        literal, least, most = anchor
        if literal not in self.folded:  # every match contains the literal: no literal, no match
            return None
        if not self.aligned or most > _MAX_LEAD:
            return pattern.search(self.text)
        if self.folded.count(literal) * (most - least + 1) * _MATCH_COST > len(self.text):
            return pattern.search(self.text)
        # A match starting at s has the literal at s + least .. s + most. Trying the starts next to each
        # occurrence in increasing order, each once, the first that matches is the leftmost match.
        untried = 0
        at = self.folded.find(literal)
        while at >= 0:
            for start in range(max(at - most, untried), at - least + 1):
                match = pattern.match(self.text, start)
                if match is not None:
                    return match
            untried = max(untried, at - least + 1)
            at = self.folded.find(literal, at + 1)
        return None


def _state(clause: Clause, contract_text: _Folded | None) -> ClauseState:
    if contract_text is None:
        why = "no contract text: the profile's default" + ("" if clause.default else " (off)")
        return ClauseState(id=clause.id, text=clause.text, in_force=clause.default, why=why)
    for expression in clause.stated_by:
        match = contract_text.search(expression)
        if match is not None:
            phrase = " ".join(match.group(0).split())
            return ClauseState(
                id=clause.id, text=clause.text, in_force=True, why=f"the contract text states {phrase!r}"
            )
    return ClauseState(id=clause.id, text=clause.text, in_force=False, why="the contract text does not state it")


def clause_states(profile: Profile, contract_text: str | None) -> list[ClauseState]:
    """Every clause of ``profile`` with whether ``contract_text`` (None: the input has none) puts it in force."""
    text = _Folded(contract_text) if contract_text and contract_text.strip() else None
    return [_state(clause, text) for clause in profile.clauses]


def clauses_off(states: list[ClauseState]) -> frozenset[str]:
    return frozenset(s.id for s in states if not s.in_force)
