"""The Ray executor: every input judged as a Ray task, on a local cluster or on the user's.

Ray is an optional extra (``pip install expcheck[ray]``) imported only here. Without an address a
local cluster is started (no dashboard, as many CPUs as asked); with one, expcheck joins that
cluster, whose workers must have expcheck installed. The driver reads each input and sends it as
data (``Work``); the worker judges it and sends back its report, which the driver yields in input
order. A trial task asks Ray for the resources the trial declares (CPUs, GPUs, memory), so runs wait
for a node that has them; a task whose worker dies is retried once, then its input gets an error
report (``executors.lost``).
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from expcheck.batch import Options, usable_cores
from expcheck.errors import InputError
from expcheck.executors import Work, judge, judge_with_trial, lost, read
from expcheck.report.schema import Report

if TYPE_CHECKING:
    from expcheck.api import TrialChecked
    from expcheck.sandbox import TrialOptions

# One retry for a lost worker (node died, process killed, out of memory), then the input's error report.
MAX_RETRIES = 1
INSTALL_HINT = "the Ray executor needs Ray: pip install 'expcheck[ray]'"


class RayUnavailable(InputError):
    """Ray is not installed, or the cluster cannot be reached or started."""


@dataclass(frozen=True)
class RayConfig:
    """Where and how to run. ``num_cpus`` sizes a local cluster (default: the usable cores); the
    trial fields are each trial task's resource request (memory in MiB, None: no request)."""

    address: str | None = None
    num_cpus: int | None = None
    trial_cpus: float = 1.0
    trial_gpus: float = 0.0
    trial_memory_mb: int | None = None


def ray_module() -> ModuleType:
    try:
        import ray
    except ImportError:
        raise RayUnavailable(INSTALL_HINT) from None
    return ray


def connect(config: RayConfig) -> ModuleType:
    """Ray, initialised: the cluster already joined in this process, the one at ``config.address``,
    or a new local one."""
    ray = ray_module()
    if ray.is_initialized():
        return ray
    # Under `uv run`, Ray would otherwise start every worker with `uv run` and ship the current folder
    # as the job's working directory: seconds per worker, and nothing the worker needs (inputs travel
    # as data). The workers use this interpreter, or the cluster's own.
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    try:
        if config.address and config.address.startswith("ray://"):
            ray.init(address=config.address)  # Ray Client: the remote cluster's own settings
        elif config.address:
            ray.init(address=config.address, logging_level=logging.ERROR, log_to_driver=False)
        else:
            ray.init(
                num_cpus=config.num_cpus or usable_cores(),
                include_dashboard=False,
                logging_level=logging.ERROR,
                log_to_driver=False,
            )
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
        where = f"the Ray cluster at {config.address}" if config.address else "a local Ray cluster"
        raise RayUnavailable(f"cannot start or join {where}: {type(exc).__name__}: {exc}") from None
    return ray


class _OverTime(Exception):
    pass


def _static_task(
    work: Work, options: Options, judge_fn: Callable[[Work, Options], Report], time_limit: float | None
) -> Report:
    """``judge_fn`` on the worker, stopped after ``time_limit`` seconds (as the local pool does) with
    the same not-judged report."""
    from expcheck.batch import _not_judged

    if not time_limit:
        return judge_fn(work, options)

    def over(_signum: int, _frame: object) -> None:
        raise _OverTime

    try:
        previous = signal.signal(signal.SIGALRM, over)
    except ValueError:  # not the worker's main thread: no timer there
        return judge_fn(work, options)
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        return judge_fn(work, options)
    except _OverTime:
        return _not_judged((work.source, options), f"it was not judged within the time limit of {time_limit:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _trial_task(
    work: Work,
    options: Options,
    trial: TrialOptions,
    only_if_clean: bool,
    judge_fn: Callable[[Work, Options, TrialOptions, bool], TrialChecked],
) -> TrialChecked:
    return judge_fn(work, options, trial, only_if_clean)


def _why(exc: Exception) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    kind = type(exc).__name__
    if "WorkerCrashed" in kind or "NodeDied" in kind or "OutOfMemory" in kind or "ActorDied" in kind:
        return f"its Ray worker was lost {MAX_RETRIES + 1} times ({kind}); the input was not judged"
    return f"its Ray task failed ({kind}: {first[:300]}); the input was not judged"


def _ordered(ray: ModuleType, submitted: list[tuple[str, Any]]) -> Iterator[Report]:
    """Reports in input order; a task that failed becomes its input's error report."""
    for source, ref in submitted:
        if isinstance(ref, Report):
            yield ref
            continue
        try:
            yield ray.get(ref)
        except ray.exceptions.RayError as exc:
            yield lost(source, _why(exc))


def run(
    sources: Sequence[str],
    options: Options,
    config: RayConfig | None = None,
    on_done: Callable[[Report], None] | None = None,
    judge_fn: Callable[[Work, Options], Report] = judge,
    time_limit: float | None = None,
) -> Iterator[Report]:
    """Static reports in input order, each input judged in its own Ray task (one CPU), stopped after
    ``time_limit`` seconds (None: no limit) with a not-judged report."""
    ray = connect(config or RayConfig())
    remote = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(_static_task)
    submitted: list[tuple[str, Any]] = []
    for source in sources:
        work = read(source, options)
        submitted.append(
            (source, work if isinstance(work, Report) else remote.remote(work, options, judge_fn, time_limit))
        )
    for report in _ordered(ray, submitted):
        if on_done:
            on_done(report)
        yield report


def run_trials(
    sources: Sequence[str],
    options: Options,
    trial: TrialOptions,
    config: RayConfig | None = None,
    only_if_clean: bool = False,
    judge_fn: Callable[[Work, Options, TrialOptions, bool], TrialChecked] = judge_with_trial,
) -> Iterator[TrialChecked]:
    """Static check and trial of each input in a Ray task that requests the trial's resources;
    results in input order. The task runs the same sandbox as a local trial, on its worker."""
    from dataclasses import replace

    from expcheck.api import TrialChecked

    config = config or RayConfig()
    ray = connect(config)
    request: dict[str, Any] = {"num_cpus": config.trial_cpus, "num_gpus": config.trial_gpus}
    if config.trial_memory_mb:
        request["memory"] = config.trial_memory_mb * 2**20
    remote = ray.remote(max_retries=MAX_RETRIES)(_trial_task).options(**request)
    shipped = replace(trial, progress=None)  # a callback of the driver's terminal stays on the driver
    submitted: list[tuple[str, Any]] = []
    for source in sources:
        work = read(source, options)
        if isinstance(work, Report):
            submitted.append((source, TrialChecked(report=work, trial=None, skipped=work.error)))
        else:
            submitted.append((source, remote.remote(work, options, shipped, only_if_clean, judge_fn)))
    for source, ref in submitted:
        if isinstance(ref, TrialChecked):
            yield ref
            continue
        try:
            yield ray.get(ref)
        except ray.exceptions.RayError as exc:
            report = lost(source, _why(exc))
            yield TrialChecked(report=report, trial=None, skipped=None)
