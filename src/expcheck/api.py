"""The Python API: judge one input and get its Report."""

from __future__ import annotations

from collections.abc import Sequence

from expcheck.engine import check_loaded
from expcheck.errors import InputError
from expcheck.inputs import Loaded, load, load_files
from expcheck.report.schema import Recorded, Report, summarise
from expcheck.verdict import make_verdict


def report_for(loaded: Loaded, source: str, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> Report:
    outcome = check_loaded(loaded, select, ignore)
    sub = loaded.submission
    recorded = None
    if sub.recorded is not None:
        recorded = Recorded(
            reviewer=sub.recorded.reviewer,
            is_code_ready=sub.recorded.is_code_ready,
            code_issue=sub.recorded.code_issue,
        )
    return Report(
        input=source,
        kind=sub.kind,
        profile=loaded.profile.name,
        verdict=make_verdict(outcome.findings),
        findings=outcome.findings,
        summary=summarise(outcome.findings, len(sub.files)),
        recorded=recorded,
        internal_errors=outcome.rule_errors,
    )


def check(
    source: str,
    *,
    profile: str | None = None,
    context: str | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> Report:
    """Judge one repository directory, bundle JSON or review trace.

    Unreadable input does not raise: the Report carries ``error`` and no verdict.
    """
    try:
        loaded = load(source, profile=profile, context=context)
    except InputError as exc:
        return Report.failed(source, str(exc))
    return report_for(loaded, source, select, ignore)


def check_files(
    files: dict[str, str],
    *,
    profile: str = "airas-v2",
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> Report:
    """Judge in-memory files (repository path or bundle key -> text) under ``profile``."""
    return report_for(load_files(files, profile), "<memory>", select, ignore)
