"""The C1 marker rules skip a file's regex scan unless a hint substring is in the text; a narrow hint
list must still hold a substring of every phrase its regex matches, or findings would go missing."""

from __future__ import annotations

import pytest

from expcheck.rules.completeness import _PLACEHOLDERS, _UNFINISHED

# Phrases covering each alternative (and each optional part) of the markers that have narrow hints.
PHRASES = [
    "in a real implementation",
    "In a real scenario, you",
    "in a real setting we",
    "in a real experiment, one",
    "code omitted",
    "Implementation elided",
    "details omitted",
    "detail elided",
    "rest of the code is unchanged",
    "Rest of implementation remains the same",
    "rest of file omitted",
    "rest of the code as before",
    "rest of code goes here",
    "remaining code goes here",
    "remaining implementation is here",
    "implement this",
    "Implement me",
    "implement here",
    "implement later",
    "to be implemented",
    "unchanged from base",
    "same as the base code",
    "Same from the base",
    "unchanged as base code",
]


@pytest.mark.parametrize("phrase", PHRASES)
def test_every_matched_phrase_holds_a_narrow_hint(phrase: str) -> None:
    narrowed = [m for m in (*_UNFINISHED, *_PLACEHOLDERS) if m.narrow_hints]
    matching = [m for m in narrowed if m.pattern.search(phrase)]
    assert matching, f"no narrowed marker matches {phrase!r}: extend PHRASES' markers or fix the sample"
    for marker in matching:
        assert any(hint in phrase.lower() for hint in marker.narrow_hints), (phrase, marker.label)
