"""The verdict the pipeline consumes, derived from the findings alone.

``code_issue`` is written for the code generator that receives it: one line per blocking finding,
grouped by criterion in catalog order, each with path:line, what is wrong and how to fix it.
"""

from __future__ import annotations

from itertools import groupby

from pydantic import BaseModel

from expcheck.criteria import criterion_title
from expcheck.findings import Finding

MAX_ISSUE_LINES = 200


class Verdict(BaseModel):
    is_code_ready: bool
    code_issue: str


def issue_line(finding: Finding) -> str:
    fix = f" Fix: {finding.fix}" if finding.fix else ""
    return f"- {finding.location()} [{finding.rule}] {finding.message}.{fix}"


def make_verdict(findings: list[Finding]) -> Verdict:
    errors = sorted((f for f in findings if f.blocking), key=Finding.sort_key)
    if not errors:
        return Verdict(is_code_ready=True, code_issue="")
    lines: list[str] = []
    for criterion, group in groupby(errors, key=lambda f: f.criterion):
        lines.append(f"{criterion} {criterion_title(criterion)}:")
        lines.extend(issue_line(f) for f in group)
    if len(lines) > MAX_ISSUE_LINES:
        hidden = len(lines) - MAX_ISSUE_LINES
        lines = [*lines[:MAX_ISSUE_LINES], f"(and {hidden} more lines; see the full report)"]
    return Verdict(is_code_ready=False, code_issue="\n".join(lines))
