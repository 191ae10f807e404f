"""Many inputs at once: expand paths, globs, folders of traces and index files; judge each in a worker
process (pool.py), so one input's crash or timeout is that input's error report; keep input order;
report progress on a terminal."""

from __future__ import annotations

import glob
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from expcheck.interrupts import sigterm_raises
from expcheck.report.schema import Report
from expcheck.verdict import DEFAULT_ISSUE_BUDGET

if TYPE_CHECKING:
    from expcheck.api import TrialChecked
    from expcheck.audit import AuditReport
    from expcheck.sandbox import TrialOptions

T = TypeVar("T")
R = TypeVar("R")

_TRACE_SUFFIXES = (".txt", ".json")
_EXPERIMENT_MARKERS = ("pyproject.toml", "src", "config")
# Seconds one input may take before its worker is killed and it is reported as not judged. A
# corpus trace takes well under a second; the documented 16 MiB input limit stays within 30 s.
DEFAULT_INPUT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Options:
    profile: str | None = None
    context: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    honor_inline_ignores: bool = False
    issue_budget: int = DEFAULT_ISSUE_BUDGET


def _index_entries(path: Path) -> list[str] | None:
    """The inputs an index file lists (JSON Lines with "trace"/"path"/"input", or one path per line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        return None
    out = []
    for line in lines:
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except ValueError:  # not JSON (or an integer longer than Python reads): not an index
                return None
            value = entry.get("trace") or entry.get("path") or entry.get("input") if isinstance(entry, dict) else None
            if not isinstance(value, str):
                return None
            out.append(str(path.parent / value))
        elif path.suffix == ".lst" or path.name.endswith((".index", ".list")):
            out.append(str(path.parent / line))
        else:
            return None
    return out


def expand(inputs: Sequence[str]) -> list[str]:
    """Inputs in the order given: a glob expands sorted; a folder that is not an experiment repo stands
    for the traces and bundles inside it; an index file (``*.jsonl`` with "trace" entries) for what it
    lists. Anything else is kept as given, so readers can say what is wrong with it."""
    out: list[str] = []
    for item in inputs:
        if any(ch in item for ch in "*?[") and not os.path.exists(item):
            matches = sorted(glob.glob(item, recursive=True))
            out.extend(matches or [item])
            continue
        path = Path(item)
        if path.is_dir() and not any((path / m).exists() for m in _EXPERIMENT_MARKERS):
            found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix in _TRACE_SUFFIXES)
            out.extend(found or [item])
            continue
        if path.is_file() and path.suffix == ".jsonl":
            entries = _index_entries(path)
            if entries is not None:
                out.extend(entries)
                continue
        out.append(item)
    return out


def judge(task: tuple[str, Options]) -> Report:
    """Judge one input given as data (its path and the options) and return its report: the unit of work
    every batch executor runs, in this process or another."""
    from expcheck.api import check

    source, options = task
    return check(
        source,
        profile=options.profile,
        context=options.context,
        select=options.select,
        ignore=options.ignore,
        honor_inline_ignores=options.honor_inline_ignores,
        issue_budget=options.issue_budget,
    )


def _not_judged(task: tuple[str, Options], why: str) -> Report:
    source = task[0]
    return Report.failed(
        source, f"{source}: could not be judged, so it is not ready: {why}", cause="expcheck could not judge the input"
    )


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def worker_count(jobs: int | None, inputs: int) -> int:
    """How many worker processes judge ``inputs`` inputs when ``jobs`` were asked for: by default, and
    at most, the usable cores (more workers than cores only compete for them); at least one, since
    even a single input is judged in a worker, so its crash cannot take the batch down."""
    return max(1, min(jobs or usable_cores(), usable_cores(), inputs))


def preload() -> None:
    """Import the rules, the facts and Hydra and read the built-in profiles once, before the workers fork:
    every worker starts with them instead of doing it again (each costs about as much as judging a few inputs).
    Then move what exists to the collector's permanent generation, so a worker's collections do not
    touch (and copy) the pages it shares with the parent."""
    import gc

    from expcheck.gencode import stored_code
    from expcheck.lazy import import_omegaconf, quiet_collector

    # What is built here lives as long as the process: collecting during it only costs.
    with quiet_collector(), stored_code():
        import_omegaconf()  # first: without attrs in expcheck's own command line (expcheck.lazy)
        import expcheck.api  # noqa: F401
        from expcheck.engine import all_rules
        from expcheck.facts.compose import prepare_hydra
        from expcheck.profiles import builtin_profiles
        from expcheck.scratch import ram_parent

        all_rules()
        prepare_hydra()
        builtin_profiles()  # every input's profile detection reads them all, and the parent renders with one
        ram_parent()  # decided with the user's TMPDIR, before each worker points TMPDIR at its own folder
        # Before the collector is on again: its first pass would otherwise walk everything built above.
        gc.freeze()


class Progress:
    """A one-line progress bar on a terminal's stderr; silent elsewhere."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = (self.stream.isatty() if enabled is None else enabled) and total > 1
        self.done = 0

    def step(self, label: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 28
        filled = round(width * self.done / self.total)
        name = label if len(label) <= 40 else "…" + label[-39:]
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {name:<40}")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def in_workers(
    tasks: Sequence[T],
    judge: Callable[[T], R],
    failed: Callable[[T, str], R],
    jobs: int | None = None,
    time_limit: float | None = DEFAULT_INPUT_TIMEOUT,
    on_done: Callable[[R], None] | None = None,
    bounded_memory: bool = True,
) -> Iterator[R]:
    """``judge(task)`` for every task, in input order, each in a worker process (``jobs`` at most): a
    task that crashes its worker, runs longer than ``time_limit`` seconds (None: no limit) or, with
    ``bounded_memory``, needs more than its worker's share of memory, gets ``failed(task, why)``, and
    the others go on. The one place that decides how batches are executed."""
    from expcheck.pool import WorkerPool, default_memory_limit

    if not tasks:
        return
    done: dict[int, R] = {}
    next_out = 0
    workers = worker_count(jobs, len(tasks))
    # Several workers share what the parent preloads before forking them. A single worker preloads for
    # itself: cheaper than the parent doing it and the worker then copying every page of it that it
    # touches (the usual case: one CLI call on one input).
    if workers > 1:
        preload()
    init = preload if workers == 1 else None
    memory = default_memory_limit(workers) if bounded_memory else None
    with sigterm_raises(), WorkerPool(judge, failed, workers, time_limit, memory, init) as pool:
        for number, result in pool.map_unordered(tasks):
            if on_done:
                on_done(result)
            done[number] = result
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1


def run(
    sources: Sequence[str],
    options: Options,
    jobs: int | None = None,
    on_done: Callable[[Report], None] | None = None,
    time_limit: float | None = DEFAULT_INPUT_TIMEOUT,
    judge: Callable[[tuple[str, Options]], Report] = judge,
) -> Iterator[Report]:
    """Reports in input order. Every input is judged by ``judge`` in a worker process (``jobs`` of them
    at most, by default the usable cores): one that crashes, is killed or takes longer than ``time_limit`` seconds (None: no limit)
    gets an error report, and the others are judged as usual."""
    yield from in_workers([(s, options) for s in sources], judge, _not_judged, jobs, time_limit, on_done)


def run_trials(
    sources: Sequence[str],
    options: Options,
    trial: TrialOptions,
    only_if_clean: bool = False,
    on_done: Callable[[TrialChecked], None] | None = None,
) -> Iterator[TrialChecked]:
    """Static check and trial of each input, one at a time, each in a worker process: a crash of the
    checking process costs that input its report only. No overall time limit (the trial bounds each
    of its commands); interrupted, the worker gets SIGTERM first, so its runs are stopped and its
    trial folder removed."""
    from expcheck.api import TrialChecked, check_with_trial

    def one(task: tuple[str, Options]) -> TrialChecked:
        source, opts = task
        return check_with_trial(
            source,
            trial,
            only_if_clean=only_if_clean,
            profile=opts.profile,
            context=opts.context,
            select=opts.select,
            ignore=opts.ignore,
            honor_inline_ignores=opts.honor_inline_ignores,
            issue_budget=opts.issue_budget,
        )

    def failed(task: tuple[str, Options], why: str) -> TrialChecked:
        return TrialChecked(report=_not_judged(task, why), trial=None, skipped=why)

    # No memory limit on this worker: its trial's commands would inherit it (the trial sets its own).
    yield from in_workers([(s, options) for s in sources], one, failed, 1, None, on_done, bounded_memory=False)


def _audit_one(task: tuple[str, str | None]) -> AuditReport:
    from expcheck.audit import audit

    return audit(task[0], profile=task[1])


def _audit_failed(task: tuple[str, str | None], why: str) -> AuditReport:
    from expcheck.audit import AuditReport

    return AuditReport(input=task[0], error=f"{task[0]}: could not be audited: {why}")


def run_audits(
    sources: Sequence[str], profile: str | None, on_done: Callable[[AuditReport], None] | None = None
) -> Iterator[AuditReport]:
    """Audit reports in input order, each made in a worker process (as ``run`` judges inputs)."""
    yield from in_workers([(s, profile) for s in sources], _audit_one, _audit_failed, 1, DEFAULT_INPUT_TIMEOUT, on_done)


def excerpt_sources(reports: Sequence[Report]) -> dict[tuple[str, str], list[str]]:
    """(input, path) -> file lines for the files findings point at, read again for code excerpts."""
    from expcheck.errors import InputError
    from expcheck.inputs import load

    out: dict[tuple[str, str], list[str]] = {}
    for report in reports:
        wanted = {f.path for f in report.findings if f.line is not None}
        if report.error is not None or not wanted:
            continue
        try:
            files = load(report.input, profile=report.profile).submission.files
        except InputError:
            continue
        for path in wanted:
            if path in files:
                out[(report.input, path)] = files[path].lines
    return out
