"""Code-file texts prepared once per submission for substring and phrase searches (the C1 marker rules).

A marker search (TODO, "omitted for brevity", DATASET_PLACEHOLDER) first asks whether a text holds one
of a few lower-case substrings, then runs its regex only where one of them stands. This module holds
what those searches share within a check: each text lower-cased once, and the line spans that hold a
substring. Nothing is imported or executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from expcheck.facts import Facts

# The characters that ``(?i)`` matches to an ASCII letter but lower() does not turn into it (Python 3.11):
# a text holding one of them must not rely on narrow lower-case substrings.
CASE_ODDITIES = ("\u0130", "\u0131", "\u017f")  # İ, dotless ı, long ſ


# A group key found more often than this in a text: its members are searched for in the whole text.
_MANY_OCCURRENCES = 64


@dataclass(frozen=True)
class LoweredText:
    """A file's text, its lower-cased form, and whether lower-casing agrees with ``(?i)`` matching."""

    text: str
    lowered: str
    plain_case: bool
    # hint -> whether ``lowered`` holds it, filled as the marker rules ask (several ask for the same hint).
    _holds: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)
    # group key -> where it stands in ``lowered``, for the members of its group.
    _starts: dict[str, list[int]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def holds_any(self, hints: tuple[str, ...]) -> bool:
        """Whether the lower-cased text holds one of ``hints`` (``any(h in lowered for h in hints)``)."""
        for key, members in hint_groups(hints):
            if self._holds_hint(key) and (len(members) == 1 or self._holds_member(key, members)):
                return True
        return False

    def _holds_hint(self, hint: str) -> bool:
        found = self._holds.get(hint)
        if found is None:
            found = self._holds[hint] = hint in self.lowered
        return found

    def _holds_member(self, key: str, members: tuple[str, ...]) -> bool:
        """Whether one of ``members`` (each holding ``key``, which the text holds) stands in the text, looked
        for where ``key`` stands: a member stands at ``p`` only if its first ``key`` stands at ``p`` plus
        that key's offset in the member (every place of ``key`` is listed, overlapping ones too)."""
        lowered = self.lowered
        starts = self._starts.get(key)
        if starts is None:
            starts = self._starts[key] = _places(lowered, key, _MANY_OCCURRENCES)
        if len(starts) > _MANY_OCCURRENCES:
            return any(self._holds_hint(member) for member in members)
        for member in members:
            offset = member.find(key)
            if any(at >= offset and lowered.startswith(member, at - offset) for at in starts):
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


def _places(text: str, word: str, most: int) -> list[int]:
    """Where ``word`` starts in ``text``, overlapping places included; the search stops after ``most`` + 1."""
    found: list[int] = []
    at = text.find(word)
    while at != -1 and len(found) <= most:
        found.append(at)
        at = text.find(word, at + 1)
    return found


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
            found[path] = LoweredText(text, lower_for_hints(text), not any(odd in text for odd in CASE_ODDITIES))
    return found


def lower_for_hints(text: str) -> str:
    """``text.lower()`` as far as a search for a hint of ASCII letters and uncased characters (the marker
    rules' hints: "todo", "…") can tell, written by a quicker route for a text with other characters.

    Lower-casing turns an ASCII letter into an ASCII letter and, with two exceptions, every other character
    into one character that is not ASCII (``É`` into ``é``): lower-casing only the ASCII letters (through
    UTF-8 bytes, several times quicker than Unicode lower-casing) leaves every ASCII character where and as
    ``lower()`` leaves it, so the hints are found at the same offsets. The exceptions, ``İ`` (two characters,
    the first ``i``) and the Kelvin sign (``k``), are lower-cased as usual.
    """
    if text.isascii() or any(odd in text for odd in _LOWER_TO_ASCII):
        return text.lower()
    return text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")


# The characters beyond ASCII that lower() turns into ASCII letters (Python 3.11, Unicode 14).
_LOWER_TO_ASCII = ("\u0130", "\u212a")
