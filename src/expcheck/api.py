"""The Python API: judge one input and get its typed Report.

Inputs come as a path (``check``) or in memory (``check_files``): a mapping of files by bundle key
or repository path, optionally nesting ``run_configs`` or wrapped as ``{"files": {...}}``, with the
research context as a mapping. Every call returns a Report whose ``verdict`` is set, also when the
input cannot be read or the check itself fails (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expcheck.coverage import crash_findings, crash_report
from expcheck.engine import check_loaded
from expcheck.errors import InputError
from expcheck.findings import Finding, Severity
from expcheck.inputs import Loaded, context_from_mapping, load, load_files
from expcheck.inputs.context import read_context
from expcheck.report.schema import Recorded, Report, summarise
from expcheck.submission import ResearchContext
from expcheck.verdict import DEFAULT_ISSUE_BUDGET, make_verdict

if TYPE_CHECKING:
    from expcheck.sandbox import TrialOptions, TrialResult
    from expcheck.sandbox.trial import Prepared

__all__ = ["TrialChecked", "check", "check_files", "check_many", "check_with_trial", "report_for", "trial_checked"]


def report_for(
    loaded: Loaded,
    source: str,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    *,
    honor_inline_ignores: bool = False,
    issue_budget: int = DEFAULT_ISSUE_BUDGET,
) -> Report:
    sub = loaded.submission
    try:
        outcome = check_loaded(loaded, select, ignore, honor_inline_ignores)
        findings, errors = outcome.findings, outcome.rule_errors
    except Exception as exc:  # the check itself failed: not ready, never a silent pass
        problem = f"{type(exc).__name__}: {exc}"
        findings, errors = crash_findings([("the check", problem)]), [f"the check: {problem}"]
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
        verdict=make_verdict(findings, issue_budget),
        findings=findings,
        summary=summarise(findings, len(sub.files)),
        recorded=recorded,
        internal_errors=errors,
    )


def check(
    source: str,
    *,
    profile: str | None = None,
    context: str | Mapping[str, Any] | ResearchContext | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    honor_inline_ignores: bool = False,
    issue_budget: int = DEFAULT_ISSUE_BUDGET,
) -> Report:
    """Judge one repository directory, bundle JSON or review trace.

    ``context`` is a research-context file (JSON/YAML) or the context itself as a mapping.
    Unreadable input does not raise: the Report carries ``error`` and a not-ready verdict.
    """
    try:
        loaded = load(source, profile=profile, context=_context(context))
    except InputError as exc:
        return Report.failed(source, str(exc))
    except Exception as exc:  # a bug while reading: not ready, never a silent pass or a lost input
        return _crashed(source, exc)
    return report_for(
        loaded, source, select, ignore, honor_inline_ignores=honor_inline_ignores, issue_budget=issue_budget
    )


def _crashed(source: str, exc: Exception) -> Report:
    """The report of an input whose reading failed inside expcheck: an X001 finding, not ready."""
    return crash_report(source, "reading the input", f"{type(exc).__name__}: {exc}")


def _context(context: str | Mapping[str, Any] | ResearchContext | None) -> ResearchContext | None:
    if context is None or isinstance(context, ResearchContext):
        return context
    if isinstance(context, Mapping):
        return context_from_mapping(context, "context")
    return read_context(Path(context))


def check_files(
    files: Mapping[str, Any],
    *,
    context: str | Mapping[str, Any] | ResearchContext | None = None,
    profile: str | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    honor_inline_ignores: bool = False,
    issue_budget: int = DEFAULT_ISSUE_BUDGET,
    source: str = "<memory>",
) -> Report:
    """Judge files held in memory, as the pipeline holds them.

    ``files`` maps bundle keys (``train_py``, ``config_yaml``, ...) or repository paths to texts; it
    may nest run configs as ``"run_configs": {run_id: yaml}`` and may be wrapped as ``{"files": {...}}``.
    ``context`` is the research context (``hypothesis``, ``primary_metric``, ``experiment_runs``) as a
    mapping, or a file. ``profile`` is detected when None. Bad input does not raise: the Report then
    carries ``error`` and a not-ready verdict.
    """
    try:
        loaded = load_files(files, profile, source=source, context=_context(context))
    except InputError as exc:
        return Report.failed(source, str(exc))
    except Exception as exc:  # a bug while reading: not ready, never a silent pass
        return _crashed(source, exc)
    return report_for(
        loaded, source, select, ignore, honor_inline_ignores=honor_inline_ignores, issue_budget=issue_budget
    )


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
    honor_inline_ignores: bool = False,
    issue_budget: int = DEFAULT_ISSUE_BUDGET,
) -> TrialChecked:
    """Judge ``source`` statically, then run its trial in the sandbox and add the T-rule findings.

    With ``only_if_clean`` the trial runs only when the static check finds no error. Raises
    ``TrialRefused`` (an InputError) when the trial cannot run as asked — no network isolation
    without ``options.network``, no interpreter, no uv — before anything is executed.
    """
    from expcheck.sandbox import prepare

    prepared = prepare(options)
    try:
        loaded = load(source, profile=profile, context=context)
    except InputError as exc:
        return TrialChecked(report=Report.failed(source, str(exc)), trial=None, skipped=str(exc))
    return trial_checked(
        loaded,
        source,
        prepared,
        only_if_clean=only_if_clean,
        select=select,
        ignore=ignore,
        honor_inline_ignores=honor_inline_ignores,
        issue_budget=issue_budget,
    )


def trial_checked(
    loaded: Loaded,
    source: str,
    prepared: Prepared,
    *,
    only_if_clean: bool = False,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    honor_inline_ignores: bool = False,
    issue_budget: int = DEFAULT_ISSUE_BUDGET,
) -> TrialChecked:
    """``check_with_trial`` for an input already read (as an executor's worker receives it)."""
    from expcheck.engine import rules_in_force, run_rules
    from expcheck.facts import Facts
    from expcheck.facts.trial import attach_trial
    from expcheck.sandbox import run_trial

    static = report_for(
        loaded, source, select, ignore, honor_inline_ignores=honor_inline_ignores, issue_budget=issue_budget
    )
    if only_if_clean and not static.ready:
        why = f"the static check found {static.summary.errors} error(s)"
        return TrialChecked(report=static, trial=None, skipped=why)
    rules = [r for r in rules_in_force(loaded, select, ignore) if r.id.startswith("T")]
    if not rules:
        return TrialChecked(report=static, trial=None, skipped="no trial rule (T1xx) is selected")
    result = run_trial(loaded, prepared)
    outcome = run_rules(attach_trial(Facts(loaded.submission, loaded.profile), result), rules, honor_inline_ignores)
    findings = _static_then_trial(static.findings, [*outcome.findings, *outcome.coverage()])
    report = static.model_copy(
        update={
            "findings": findings,
            "verdict": make_verdict(findings, issue_budget),
            "summary": summarise(findings, len(loaded.submission.files)),
            "internal_errors": [*static.internal_errors, *outcome.rule_errors],
        }
    )
    return TrialChecked(report=report, trial=result)


def check_many(
    sources: Sequence[str],
    *,
    executor: str = "local",
    jobs: int | None = None,
    ray_address: str | None = None,
    profile: str | None = None,
    context: str | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    honor_inline_ignores: bool = False,
    issue_budget: int = DEFAULT_ISSUE_BUDGET,
) -> list[Report]:
    """Judge many inputs (paths, globs, folders of traces, index files), one report each in input order.

    ``executor="local"`` judges them in ``jobs`` processes on this machine; ``executor="ray"`` as Ray
    tasks on the cluster at ``ray_address`` (or a local one started with ``jobs`` CPUs; needs the
    ``ray`` extra). Raises InputError for an unknown executor or when Ray is unavailable.
    """
    from expcheck import batch

    options = batch.Options(
        profile=profile,
        context=context,
        select=tuple(select),
        ignore=tuple(ignore),
        honor_inline_ignores=honor_inline_ignores,
        issue_budget=issue_budget,
    )
    expanded = batch.expand(sources)
    if executor == "local":
        return list(batch.run(expanded, options, jobs=jobs))
    if executor == "ray":
        from expcheck.executors import ray

        return list(ray.run(expanded, options, ray.RayConfig(address=ray_address, num_cpus=jobs)))
    raise InputError(f"unknown executor {executor!r} (local or ray)")
