"""Code-file texts prepared once per submission for substring and phrase searches (the C1 marker rules).

A marker search (TODO, "omitted for brevity", DATASET_PLACEHOLDER) first asks whether a text holds one
of a few lower-case substrings, then runs its regex only where one of them stands. This module holds
what those searches share within a check: each text lower-cased once, and the line spans that hold a
substring. Nothing is imported or executed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from expcheck.facts import Facts

# The characters that ``(?i)`` matches to an ASCII letter but lower() does not turn into it (Python 3.11):
# a text holding one of them must not rely on narrow lower-case substrings.
CASE_ODDITIES = ("\u0130", "\u0131", "\u017f")  # İ, dotless ı, long ſ


@dataclass(frozen=True)
class LoweredText:
    """A file's text, its lower-cased form, and whether lower-casing agrees with ``(?i)`` matching."""

    text: str
    lowered: str
    plain_case: bool

    def holds_any(self, hints: tuple[str, ...]) -> bool:
        """Whether the lower-cased text holds one of ``hints`` (``any(h in lowered for h in hints)``)."""
        lowered = self.lowered
        for key, members in hint_groups(hints):
            if key in lowered and (len(members) == 1 or any(m in lowered for m in members)):
                return True
        return False

    def line_spans(self, hints: tuple[str, ...]) -> list[tuple[int, int]] | None:
        """(start, end) offsets in ``text`` of the lines holding one of ``hints`` in lower case, in order
        (end at the line's newline, or at the end of the text); None when lower-casing changed the text's
        length, so that offsets in the lower-cased text are not offsets in the text."""
        text, lowered = self.text, self.lowered
        if len(lowered) != len(text):
            return None
        starts: set[int] = set()
        for hint in hints:
            at = lowered.find(hint)
            while at != -1:
                start = text.rfind("\n", 0, at) + 1
                starts.add(start)
                end = text.find("\n", at)
                if end == -1:
                    break
                at = lowered.find(hint, end)  # the rest of this line is already taken
        spans: list[tuple[int, int]] = []
        for start in sorted(starts):
            end = text.find("\n", start)
            spans.append((start, len(text) if end == -1 else end))
        return spans


@cache
def hint_groups(hints: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``hints`` grouped under a substring every member of a group contains (a word of a hint shared by
    the most hints, the longer on ties), so that an absent key rules out its whole group with one search.
    A pure function of the constant hint tuples of the rules: computed once per process."""
    words = sorted({w for h in hints for w in h.split() if len(w) >= 4})
    groups: dict[str, list[str]] = {}
    for hint in hints:
        candidates = [w for w in words if w in hint]
        key = max(candidates, key=lambda w: (sum(w in h for h in hints), len(w)), default=hint)
        groups.setdefault(key, []).append(hint)
    return tuple((key if len(members) > 1 else members[0], tuple(members)) for key, members in groups.items())


def lowered_texts(facts: Facts) -> dict[str, LoweredText]:
    """Every readable code file's text with its lower-cased form, by path (use through ``facts.derived``)."""
    found: dict[str, LoweredText] = {}
    for path, file in facts.code_files.items():
        if file.unreadable is None:
            text = file.text
            found[path] = LoweredText(text, text.lower(), not any(odd in text for odd in CASE_ODDITIES))
    return found
