"""Split a recorded verdict's ``code_issue`` into the separate claims it makes."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ITEM = re.compile(r"(?m)^\s*(?:\(?\d{1,2}[.)]|[-*•])\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(\[])")


@dataclass(frozen=True)
class Claim:
    number: int
    text: str


def split_claims(issue: str) -> list[Claim]:
    """Numbered or bulleted items when the text has them, else its sentences; empty text has no claims."""
    text = issue.strip()
    if not text:
        return []
    starts = [m.start() for m in _ITEM.finditer(text)]
    if len(starts) >= 2:
        pieces = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=False)]
        lead = text[: starts[0]].strip()
        parts = ([lead] if lead and len(lead) > 40 else []) + [_ITEM.sub("", p, count=1).strip() for p in pieces]
    else:
        parts = [p.strip() for p in _SENTENCE.split(text)]
    parts = [" ".join(p.split()) for p in parts if len(p.strip()) > 3]
    return [Claim(number=i, text=p) for i, p in enumerate(parts, start=1)]
