"""Where inputs are judged. An executor receives each input as data — the submission already read
(its files mapping, research context and profile), never a path its worker may not see — and returns
one report per input, in input order.

The interface is two functions a worker runs: ``judge`` (the static check of one input) and
``judge_with_trial`` (static check, then the trial run). The driver reads every input with ``read``;
an input it cannot read is answered there and never sent. ``local`` is batch.run (processes on this
machine); ``ray`` is expcheck.executors.ray (tasks on a Ray cluster).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from expcheck.batch import Options
from expcheck.errors import InputError
from expcheck.report.schema import Report

if TYPE_CHECKING:
    from expcheck.api import TrialChecked
    from expcheck.inputs import Loaded
    from expcheck.sandbox import TrialOptions
    from expcheck.sandbox.trial import Prepared

ExecutorName = Literal["local", "ray"]
EXECUTORS: tuple[ExecutorName, ...] = ("local", "ray")


@dataclass(frozen=True)
class Work:
    """One input as data: the label its report carries and the submission read on the driver."""

    source: str
    loaded: Loaded


def read(source: str, options: Options) -> Work | Report:
    """``source`` read into data on the driver, or its failed report (unreadable input, reading bug)."""
    from expcheck.api import _context, _crashed
    from expcheck.inputs import load

    try:
        return Work(source, load(source, profile=options.profile, context=_context(options.context)))
    except InputError as exc:
        return Report.failed(source, str(exc))
    except Exception as exc:  # a bug while reading: not ready, never a lost input
        return _crashed(source, exc)


def judge(work: Work, options: Options) -> Report:
    """The static check of one input, exactly as ``api.check`` does it after reading."""
    from expcheck.api import report_for

    return report_for(
        work.loaded,
        work.source,
        options.select,
        options.ignore,
        honor_inline_ignores=options.honor_inline_ignores,
        issue_budget=options.issue_budget,
    )


_PREPARED: dict[TrialOptions, Prepared] = {}


def judge_with_trial(work: Work, options: Options, trial: TrialOptions, only_if_clean: bool) -> TrialChecked:
    """Static check, then the trial run in this machine's sandbox. The trial is prepared (isolation,
    interpreter, memory) where it runs, once per worker process; a refusal there is the input's
    error. The result keeps no path of this machine (the environment's interpreter is dropped)."""
    from expcheck.api import TrialChecked, trial_checked
    from expcheck.sandbox import TrialRefused, prepare

    try:
        prepared = _PREPARED.get(trial) or _PREPARED.setdefault(trial, prepare(trial))
    except TrialRefused as exc:
        why = f"{work.source}: trial refused on the worker: {exc}"
        return TrialChecked(report=Report.failed(work.source, why), trial=None, skipped=why)
    checked = trial_checked(
        work.loaded,
        work.source,
        prepared,
        only_if_clean=only_if_clean,
        select=options.select,
        ignore=options.ignore,
        honor_inline_ignores=options.honor_inline_ignores,
        issue_budget=options.issue_budget,
    )
    if checked.trial is not None and checked.trial.environment is not None:
        checked = replace(checked, trial=replace(checked.trial, environment=None))
    return checked


def lost(source: str, problem: str) -> Report:
    """The report of an input whose worker was lost or whose task failed: an X001 error finding, not
    ready, the reason in ``internal_errors`` — never a silent drop."""
    from expcheck.coverage import crash_report

    return crash_report(source, "the executor's task", problem)
