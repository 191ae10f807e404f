"""``--format github``: GitHub Actions workflow commands, so findings show as annotations on the
pull request's files.

GitHub shows at most 10 error and 10 warning annotations per step (more are dropped silently), so
this renderer annotates the first 10 of each (errors in report order, which is most important
first), prints every other finding as a plain log line, and ends with a notice saying how many were
not annotated. Findings in a bundle or trace are annotated on the input file, with the file and
line inside the submission in the message.
"""

from __future__ import annotations

from collections.abc import Sequence

from expcheck.findings import Finding
from expcheck.report.locate import disk_path, display_path, position
from expcheck.report.schema import Report

# https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions (per-step limits)
MAX_PER_LEVEL = 10


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, message: str, **props: object) -> str:
    given = ",".join(f"{key}={_prop(str(value))}" for key, value in props.items() if value is not None)
    return f"::{level} {given}::{_data(message)}" if given else f"::{level}::{_data(message)}"


def _level(f: Finding) -> str:
    """error for a finding that blocks readiness, warning for the rest (heuristic advice included)."""
    return "error" if f.blocking else "warning"


def _annotation(report: Report, f: Finding) -> str:
    level = _level(f)
    on_disk = disk_path(report, f)
    fix = f" Fix: {f.fix}" if f.fix else ""
    if on_disk is None:  # inside a bundle or trace: annotate the input file, say where inside
        message = f"{f.path}{position(f)}: {f.message}.{fix}"
        return _command(level, message, file=report.input, title=f"expcheck {f.rule}")
    end_line = f.end_line if f.end_line is not None else None
    same_line = end_line is None or end_line == f.line
    return _command(
        level,
        f"{f.message}.{fix}",
        file=on_disk,
        line=f.line,
        endLine=end_line,
        col=f.column,
        # GitHub takes endColumn only for single-line annotations.
        endColumn=f.end_column if same_line else None,
        title=f"expcheck {f.rule}",
    )


def render_github(reports: Sequence[Report]) -> str:
    out: list[str] = []
    used = {"error": 0, "warning": 0}
    held = {"error": 0, "warning": 0}
    for report in reports:
        if report.error is not None:
            out.append(_command("error", f"unreadable input: {report.error}", file=report.input, title="expcheck"))
            continue
        s = report.summary
        status = "ready" if report.ready else "NOT READY"
        out.append(f"{report.input}: {status} ({s.errors} errors, {s.warnings} warnings, profile {report.profile})")
        for f in report.findings:
            level = _level(f)
            if used[level] < MAX_PER_LEVEL:
                used[level] += 1
                out.append(_annotation(report, f))
            else:
                held[level] += 1
                out.append(f"{level}: {display_path(report, f)}{position(f)}: {f.rule} {f.message}")
        for problem in report.internal_errors:
            out.append(f"internal error in expcheck (a crashed rule or a lost worker, please report): {problem}")
    if held["error"] or held["warning"]:
        out.append(
            _command(
                "notice",
                f"{held['error']} more errors and {held['warning']} more warnings are in this step's "
                f"log but not annotated: GitHub shows at most {MAX_PER_LEVEL} of each per step. "
                "Upload --format sarif to code scanning to see them all.",
                title="expcheck: findings not annotated",
            )
        )
    return "\n".join(out) + "\n"
