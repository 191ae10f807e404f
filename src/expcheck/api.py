"""The Python API: judge one input and get its Report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from expcheck.engine import check_loaded
from expcheck.errors import InputError
from expcheck.findings import Finding, Severity
from expcheck.inputs import Loaded, load, load_files
from expcheck.report.schema import Recorded, Report, summarise
from expcheck.verdict import make_verdict

if TYPE_CHECKING:
    from expcheck.sandbox import TrialOptions, TrialResult


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
        profile_choice=loaded.choice,
        clauses=loaded.clauses,
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


@dataclass(frozen=True)
class TrialChecked:
    """A report that includes the trial's findings, with the trial's own outcome beside it."""

    report: Report
    # None when no trial started: the input was unreadable, or --trial-if-clean met static errors.
    trial: TrialResult | None
    # Why no trial started, when none did (None when it started, even if it could not run a command).
    skipped: str | None = None


def _static_then_trial(static: list[Finding], trial: list[Finding]) -> list[Finding]:
    """Errors before warnings; within each, the static check's findings before the trial's."""

    def part(findings: list[Finding], severity: Severity) -> list[Finding]:
        return sorted((f for f in findings if f.severity is severity), key=Finding.sort_key)

    return [
        *part(static, Severity.ERROR),
        *part(trial, Severity.ERROR),
        *part(static, Severity.WARNING),
        *part(trial, Severity.WARNING),
    ]


def check_with_trial(
    source: str,
    options: TrialOptions,
    *,
    only_if_clean: bool = False,
    profile: str | None = None,
    context: str | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> TrialChecked:
    """Judge ``source`` statically, then run its trial in the sandbox and add the T-rule findings.

    With ``only_if_clean`` the trial runs only when the static check finds no error. Raises
    ``TrialRefused`` (an InputError) when the trial cannot run as asked — no network isolation
    without ``options.network``, no interpreter, no uv — before anything is executed.
    """
    from expcheck.engine import rules_in_force, run_rules
    from expcheck.facts import Facts
    from expcheck.facts.trial import attach_trial
    from expcheck.sandbox import prepare, run_trial

    prepared = prepare(options)
    try:
        loaded = load(source, profile=profile, context=context)
    except InputError as exc:
        return TrialChecked(report=Report.failed(source, str(exc)), trial=None, skipped=str(exc))
    static = report_for(loaded, source, select, ignore)
    if only_if_clean and not static.ready:
        why = f"the static check found {static.summary.errors} error(s)"
        return TrialChecked(report=static, trial=None, skipped=why)
    rules = [r for r in rules_in_force(loaded, select, ignore) if r.id.startswith("T")]
    if not rules:
        return TrialChecked(report=static, trial=None, skipped="no trial rule (T1xx) is selected")
    result = run_trial(loaded, prepared)
    outcome = run_rules(attach_trial(Facts(loaded.submission, loaded.profile), result), rules)
    findings = _static_then_trial(static.findings, outcome.findings)
    report = static.model_copy(
        update={
            "findings": findings,
            "verdict": make_verdict(findings),
            "summary": summarise(findings, len(loaded.submission.files)),
            "internal_errors": [*static.internal_errors, *outcome.rule_errors],
        }
    )
    return TrialChecked(report=report, trial=result)
