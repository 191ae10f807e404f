"""The human renderer: findings grouped by criterion, path:line:column, evidence and fix."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from expcheck.criteria import criterion_title
from expcheck.findings import Finding, Severity
from expcheck.report.schema import Report

_CODES = {"red": "31", "yellow": "33", "green": "32", "bold": "1", "dim": "2", "cyan": "36"}


class Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *names: str) -> str:
        if not self.color or not names:
            return text
        codes = ";".join(_CODES[n] for n in names)
        return f"\x1b[{codes}m{text}\x1b[0m"


def _status(report: Report, style: Style) -> str:
    if report.error is not None:
        return style("UNREADABLE", "red", "bold")
    return style("READY", "green", "bold") if report.ready else style("NOT READY", "red", "bold")


def _finding(f: Finding, style: Style) -> list[str]:
    if f.scope == "input":
        where = f.location()
    else:
        where = f.path if f.line is None else f"{f.path}:{f.line}" + (f":{f.column}" if f.column else "")
    sev = style(f"{f.severity.value:<7}", "red" if f.severity is Severity.ERROR else "yellow")
    lines = [
        f"  {sev} {style(where, 'bold')}  {style(f.rule, 'cyan')}  {f.message} {style(f'[{f.confidence.value}]', 'dim')}"
    ]
    if f.evidence:
        lines.append(f"          {style('| ' + f.evidence, 'dim')}")
    if f.fix:
        lines.append(f"          fix: {f.fix}")
    return lines


def _contract(report: Report) -> list[str]:
    """How the profile was chosen, and the clauses in force (and not) for this input."""
    out = []
    choice = report.profile_choice
    if choice is not None:
        why = "; ".join(choice.evidence)
        out.append(f"  profile chosen by {choice.how}" + (f": {why}" if why else ""))
        if choice.ambiguous:
            out.append(f"  ambiguous: {', '.join(choice.alternatives)} fitted as well")
    on = [c.id for c in report.clauses if c.in_force]
    off = [c.id for c in report.clauses if not c.in_force]
    if on:
        out.append(f"  clauses in force: {', '.join(on)}")
    if off:
        out.append(f"  clauses not in force (their rules did not run): {', '.join(off)}")
    return out


def render_report(report: Report, style: Style) -> str:
    head = f"{style(report.input, 'bold')}"
    if report.error is not None:
        return f"{head}: {_status(report, style)}: {report.error}\n"
    s = report.summary
    meta = f"{report.kind}, profile {report.profile}"
    out = [f"{head} ({meta}): {_status(report, style)} — {_count(s.errors, 'error')}, {_count(s.warnings, 'warning')}"]
    out.extend(_contract(report))
    if report.recorded is not None and report.recorded.is_code_ready is not None:
        said = "ready" if report.recorded.is_code_ready else "not ready"
        who = report.recorded.reviewer or "reviewer"
        out.append(f"  recorded verdict ({who}): {said}")
    for criterion, group in groupby(report.findings, key=lambda f: (f.severity, f.criterion)):
        out.append("")
        out.append(style(f" {criterion[1]} {criterion_title(criterion[1])}", "bold"))
        for finding in group:
            out.extend(_finding(finding, style))
    for problem in report.internal_errors:
        out.append(style(f"  internal error (a bug in expcheck, please report): {problem}", "red"))
    return "\n".join(out) + "\n"


def render_text(reports: Sequence[Report], style: Style) -> str:
    parts = [render_report(r, style) for r in reports]
    if len(reports) > 1:
        ready = sum(1 for r in reports if r.ready)
        bad = sum(1 for r in reports if r.error is not None)
        parts.append(
            f"{len(reports)} inputs: {ready} ready, {len(reports) - ready - bad} not ready, {bad} unreadable\n"
        )
    return "\n".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
