"""A recorded reviewer verdict (the ``Output:`` of a saved trace) turned into the claim schema.

The recorded reviewers wrote free text, not located claims. Each claim the audit splits out becomes
one item: ``path`` is the first submission file the text names (else empty), ``quote`` the longest
backticked span of code in it (else empty), ``line`` the line number the text states ("line 42"),
else the first line of that file holding the quote, else 1. The clause is guessed from its words
(the recorded contract had no such field); severity is "error", since each claim was a reason to
reject. Grounding then asks of a recorded claim what it asks of ours: is the quoted code really there.
A recorded claim with no quote cannot be grounded, which is the point: nothing backs it.
"""

from __future__ import annotations

import re
from typing import Any

from expcheck.audit.claims import split_claims
from expcheck.llm.grounding import normalise_quote
from expcheck.submission import Submission

_BACKTICK = re.compile(r"`([^`\n]{3,400})`")
_LINE = re.compile(r"\blines? (\d{1,5})\b", re.I)
_FILE = re.compile(r"(?:src/)?\b([A-Za-z_][\w-]*\.(?:py|toml|ya?ml))\b")
_DESIGN = re.compile(r"run config|baseline|ablation|dataset|split|metric|seed|budget|compar", re.I)
_INTEGRITY = re.compile(r"fabricat|hard-?coded|dummy|fake|random|placeholder result|synthetic", re.I)


def _path(sub: Submission, text: str) -> str:
    for match in _FILE.finditer(text):
        name = match.group(0)
        if name in sub.files:
            return name
        candidates = sorted(p for p in sub.files if p.rsplit("/", 1)[-1] == match.group(1))
        if candidates:
            return candidates[0]
    return ""


def _clause(text: str) -> str:
    if _INTEGRITY.search(text):
        return "result-integrity"
    if _DESIGN.search(text):
        return "experimental-design"
    return "method-fidelity"


def _line(sub: Submission, path: str, text: str, quote: str) -> int:
    stated = _LINE.search(text)
    if stated:
        return int(stated.group(1))
    wanted = normalise_quote(quote)
    if path and wanted:
        for number, line in enumerate(sub.files[path].lines, start=1):
            if wanted[: max(1, min(len(wanted), 60))] in " ".join(line.split()):
                return number
    return 1


def claims_from_recorded(sub: Submission) -> list[dict[str, Any]]:
    """The recorded verdict's claims as claim-schema items (empty without a recorded verdict)."""
    if sub.recorded is None:
        return []
    items = []
    for claim in split_claims(sub.recorded.code_issue):
        text = claim.text
        path = _path(sub, text)
        quotes = [m.group(1) for m in _BACKTICK.finditer(text)]
        quote = max(quotes, key=len) if quotes else ""
        items.append(
            {
                "path": path,
                "line": _line(sub, path, text, quote),
                "quote": quote,
                "clause": _clause(text),
                "severity": "error",
                "message": text,
                "fix": "",
            }
        )
    return items
