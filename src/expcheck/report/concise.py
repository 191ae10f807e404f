"""``--format concise``: one line per finding, ``path:line:col: RULE message`` (like ruff's concise output)."""

from __future__ import annotations

from collections.abc import Sequence

from expcheck.report.locate import display_path, position
from expcheck.report.schema import Report


def render_concise(reports: Sequence[Report]) -> str:
    lines: list[str] = []
    errors = warnings = not_ready = 0
    for report in reports:
        if report.error is not None:
            lines.append(f"{report.input}: unreadable: {report.error}")
            continue
        if not report.ready:
            not_ready += 1
        for f in report.findings:
            lines.append(f"{display_path(report, f)}{position(f)}: {f.rule} {f.message}")
        errors += report.summary.errors
        warnings += report.summary.warnings
    unreadable = sum(1 for r in reports if r.error is not None)
    tail = f"{errors} errors, {warnings} warnings; {len(reports)} inputs, {not_ready} not ready"
    lines.append(tail + (f", {unreadable} unreadable" if unreadable else ""))
    return "\n".join(lines) + "\n"
