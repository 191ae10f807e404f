"""Check every claim of the reviewer against the code before it counts.

- invalid: the item does not fit the claim schema, or names a clause the reviewer was not asked;
- refuted: the audit's deterministic checks show it false (a syntax error claimed in a file that
  parses, a file claimed missing that is there, run configs claimed missing that are supplied, …),
  whether or not its quote is right: a claim the code disproves is reported as disproved;
- ungrounded: its quote is not in that file within ``window`` lines of the claimed line, after
  whitespace is normalised (runs of spaces, tabs and newlines compare as one space; a line-number
  prefix ``12| `` copied from the prompt is ignored), or it is shorter than ``MIN_QUOTE`` characters;
- kept: everything else; it becomes a finding of the clause's L rule, evidence = the quote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from expcheck.audit.judge import refute
from expcheck.engine import MAX_EVIDENCE
from expcheck.facts import Facts
from expcheck.findings import Finding, Severity
from expcheck.llm.clauses import CONFIDENCE, ReviewClause
from expcheck.llm.schema import ClaimOutcome, Counts, ReviewClaim
from expcheck.submission import Submission

LINE_WINDOW = 3
MIN_QUOTE = 6  # non-blank characters: shorter quotes (`)`, `x = 1`) would be found almost anywhere
_FENCE = re.compile(r"\A\s*```[A-Za-z]*\s*\n(?P<body>.*?)\n?```\s*\Z", re.S)
_NUMBER_PREFIX = re.compile(r"(?m)^\s*\d+\| ?")


class MalformedAnswer(ValueError):
    """The answer is not a JSON object with a list of claims."""


def parse_answer(content: str) -> list[object]:
    """The raw claim items of an answer (a JSON object ``{"claims": [...]}``, optionally fenced)."""
    fenced = _FENCE.match(content)
    text = fenced.group("body") if fenced else content
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedAnswer(f"the model's answer is not JSON ({exc.msg} at char {exc.pos})") from None
    except (ValueError, RecursionError) as exc:  # an integer longer than Python reads; nesting past the stack
        raise MalformedAnswer(f"the model's answer is not JSON Python can read ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        raise MalformedAnswer('the model\'s answer is not an object {"claims": [...]}')
    return list(data["claims"])


def _squash(text: str) -> str:
    return " ".join(text.split())


def normalise_quote(quote: str) -> str:
    return _squash(_NUMBER_PREFIX.sub("", quote))


def resolve_path(sub: Submission, path: str) -> str | None:
    """The submission's file a claim names: exact path (``./`` stripped), else a unique file of that base name."""
    clean = path.strip().removeprefix("./")
    if clean in sub.files:
        return clean
    base = clean.rsplit("/", 1)[-1]
    matches = [p for p in sub.files if p.rsplit("/", 1)[-1] == base]
    return matches[0] if len(matches) == 1 else None


def locate(lines: Sequence[str], line: int, quote: str, window: int = LINE_WINDOW) -> int | None:
    """The line in [line - window, line + window] where the normalised quote starts, nearest first."""
    wanted = normalise_quote(quote)
    if len(wanted.replace(" ", "")) < MIN_QUOTE:
        return None
    span = wanted.count(" ") + 1  # an upper bound of the lines the quote can cover
    starts = sorted(range(max(1, line - window), min(len(lines), line + window) + 1), key=lambda n: (abs(n - line), n))
    for start in starts:
        first = _squash(lines[start - 1])
        if not first:
            continue
        joined = _squash(" ".join(lines[start - 1 : start - 1 + span]))
        # The quote must begin on ``start``: inside its first line, or with all of it.
        if wanted in joined and joined.index(wanted) < len(first):
            return start
    return None


@dataclass
class Grounded:
    outcomes: list[ClaimOutcome]
    findings: list[Finding]

    def counts(self) -> Counts:
        fates = [o.fate for o in self.outcomes]
        return Counts(
            claims=len(fates),
            ungrounded=fates.count("ungrounded"),
            refuted=fates.count("refuted"),
            invalid=fates.count("invalid"),
            kept=fates.count("kept"),
        )


def _finding(claim: ReviewClaim, clause: ReviewClause, path: str, line: int, blocking: bool) -> Finding:
    evidence = normalise_quote(claim.quote)
    if len(evidence) > MAX_EVIDENCE:
        evidence = evidence[: MAX_EVIDENCE - 1] + "…"
    advisory = claim.severity == "error" and not blocking
    message = claim.message.strip().rstrip(".") + (
        " (the reviewer rates it an error; advisory without --llm-blocking)" if advisory else ""
    )
    return Finding(
        rule=clause.rule,
        criterion=clause.criterion,
        severity=Severity.ERROR if claim.severity == "error" and blocking else Severity.WARNING,
        path=path,
        line=line,
        message=message,
        evidence=evidence,
        fix=claim.fix.strip() or "Make the code do what the research context describes, or explain why it may differ.",
        confidence=CONFIDENCE,
    )


def ground(
    facts: Facts,
    items: Sequence[object],
    clauses: Sequence[ReviewClause],
    *,
    blocking: bool = False,
    window: int = LINE_WINDOW,
) -> Grounded:
    by_id = {c.id: c for c in clauses}
    out = Grounded(outcomes=[], findings=[])
    sub = facts.submission
    for item in items:
        try:
            claim = ReviewClaim.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "claim"
            out.outcomes.append(
                ClaimOutcome(fate="invalid", reason=f"does not fit the claim schema: {where}: {first['msg']}")
            )
            continue
        seen = ClaimOutcome(
            fate="kept",
            path=claim.path,
            line=claim.line,
            quote=claim.quote,
            clause=claim.clause,
            severity=claim.severity,
            message=claim.message,
        )
        clause = by_id.get(claim.clause)
        if clause is None:
            out.outcomes.append(
                seen.model_copy(update={"fate": "invalid", "reason": f"clause {claim.clause!r} was not asked"})
            )
            continue
        path = resolve_path(sub, claim.path)
        refuted = refute(facts, claim.message, where=path)
        if refuted is not None:
            out.outcomes.append(seen.model_copy(update={"fate": "refuted", "reason": refuted[0]}))
            continue
        if path is None:
            reason = f"no file {claim.path} in the submission" if claim.path.strip() else "the claim names no file"
            out.outcomes.append(seen.model_copy(update={"fate": "ungrounded", "reason": reason}))
            continue
        found = locate(sub.files[path].lines, claim.line, claim.quote, window)
        if found is None:
            why = (
                "the quote is too short to locate"
                if len(normalise_quote(claim.quote).replace(" ", "")) < MIN_QUOTE
                else f"the quote is not in {path} within {window} lines of line {claim.line}"
            )
            out.outcomes.append(seen.model_copy(update={"fate": "ungrounded", "reason": why}))
            continue
        out.outcomes.append(seen.model_copy(update={"path": path, "found_line": found}))
        out.findings.append(_finding(claim, clause, path, found, blocking))
    return out
