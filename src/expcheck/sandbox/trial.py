"""The trial as a whole: materialise, build the environment, run every experiment run, read the outcome.

``prepare`` checks once, before any input is touched, that the requested trial can be honest: the
sandbox (bubblewrap, see bwrap.py) works here, or the user accepted the weaker isolation explicitly
(``weak_isolation``: a network namespace only, with the current user's rights on the file system);
the network is off unless the user allowed it; the interpreter or uv exists. It raises TrialRefused
otherwise, saying exactly what is missing. ``run_trial`` then runs one submission and returns a TrialResult;
the trial folder is deleted afterwards unless ``keep`` is set.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from expcheck.errors import InputError
from expcheck.inputs import Loaded
from expcheck.interrupts import sigterm_raises
from expcheck.sandbox.bwrap import Sandbox, find_bwrap, interpreter_paths
from expcheck.sandbox.environment import (
    Environment,
    EnvKind,
    EnvProblem,
    SyncSandbox,
    python_environment,
    uv_environment,
    uv_executable,
)
from expcheck.sandbox.isolation import Isolation, detect_isolation
from expcheck.sandbox.materialise import materialise
from expcheck.sandbox.outcome import (
    RunOutcome,
    TrialResult,
    carried_on,
    changed_files,
    child_cause,
    final_crash,
    is_wrapper,
    json_metrics,
    parse_crashes,
    parse_printed,
    read_log,
    snapshot,
    tail,
)
from expcheck.sandbox.runner import RunPlan, plan_runs, run_command, trial_env, usable_memory_limit

DEFAULT_TIMEOUT = 600.0
RESULTS = "results"


class TrialRefused(InputError):
    """The trial cannot be run as asked (no isolation without --network, no interpreter, no uv)."""


@dataclass(frozen=True)
class TrialOptions:
    """How to run a trial. ``memory_mb``: None picks the default (see ``default_memory``), 0 means no limit."""

    env: EnvKind = "uv"
    python: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    network: bool = False
    memory_mb: int | None = None
    keep: bool = False
    progress: Callable[[str], None] | None = None
    # Run without bubblewrap where it cannot run (the user accepts the weaker isolation).
    weak_isolation: bool = False
    # Let ``uv sync`` fetch from the package index (in the sandbox; the runs stay offline).
    sync_network: bool = False


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` established once for all inputs."""

    options: TrialOptions
    isolation: Isolation
    python: Environment | None
    memory_bytes: int | None
    memory_note: str
    # The sandbox every command runs in; None only in the weaker isolation the user accepted.
    sandbox: Sandbox | None = None


def _gpu_present() -> bool:
    return os.path.exists("/dev/nvidiactl") or os.path.isdir("/proc/driver/nvidia")


DEFAULT_MEMORY_FRACTION = 0.5


def default_memory() -> tuple[int | None, str]:
    """The default address-space limit in bytes and a sentence saying what it is.

    Half the machine's physical memory: a trial run (one epoch, a batch or two) needs far less, and
    the machine keeps the other half for itself and expcheck. No limit when an NVIDIA GPU is present:
    CUDA reserves far more address space than it uses, and an address-space limit makes it fail to start.
    """
    if _gpu_present():
        return None, "no memory limit by default (an NVIDIA GPU is present; CUDA needs unlimited address space)"
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None, "no memory limit (physical memory size unknown)"
    limit = int(total * DEFAULT_MEMORY_FRACTION)
    return limit, f"address space limited to half the physical memory ({limit / 2**30:.1f} GiB)"


def _weak_note(isolation: Isolation) -> str:
    return (
        "WEAKER ISOLATION (accepted with --weak-isolation): no sandbox; the runs execute with the current "
        "user's rights (they can write to $HOME, /tmp and anywhere the user can, reach the host's Unix "
        "sockets, and processes that leave their group can survive); network: "
        + (isolation.description if isolation.available else "not isolated")
    )


def prepare(options: TrialOptions) -> Prepared:
    """Check the trial can run as asked; raise TrialRefused with one readable line when it cannot."""
    if options.timeout <= 0:
        raise TrialRefused("--timeout must be a positive number of seconds")
    isolation = detect_isolation()
    sandbox, missing = find_bwrap()
    if sandbox is None and not options.weak_isolation:
        raise TrialRefused(
            f"the trial sandbox cannot run: {missing}. Without it the submission's code would run with your "
            "user's rights (writes to $HOME, /tmp and the repository, the host's Unix sockets, processes "
            "surviving the run). Install bubblewrap, or pass --weak-isolation to accept that."
        )
    if sandbox is None and not options.network and not isolation.available:
        raise TrialRefused(
            f"network isolation is {isolation.description}; the trial would run with full network access. "
            "Pass --network to run it that way anyway."
        )
    python = None
    if options.env == "python":
        if not options.python:
            raise TrialRefused("--env python needs --python PATH")
        python = python_environment(options.python)
    else:
        uv_executable()
    if options.memory_mb is None:
        memory, note = default_memory()
    elif options.memory_mb == 0:
        memory, note = None, "no memory limit (--memory-limit 0)"
    else:
        memory, note = options.memory_mb * 2**20, f"address space limited to {options.memory_mb} MiB"
    usable = usable_memory_limit(memory)
    if memory and usable != memory:
        note += f" (capped by this process's own hard limit at {usable / 2**20:.0f} MiB)"
    return Prepared(
        options=options, isolation=isolation, python=python, memory_bytes=usable, memory_note=note, sandbox=sandbox
    )


SANDBOX_NOTE = (
    "sandbox: bubblewrap (read-only system, the trial folder the only writable path, own PID namespace: "
    "every process of a run ends with it)"
)


def _network_note(prepared: Prepared) -> str:
    if prepared.sandbox is None:
        return _weak_note(prepared.isolation)
    if not prepared.options.network:
        return f"{SANDBOX_NOTE}; network off (own network namespace, loopback down)"
    return f"{SANDBOX_NOTE}; network ALLOWED (--network): runs may reach any host"


_HYDRA_RUN_DIR = re.compile(r"\b(outputs|multirun)/\d{4}-\d{2}-\d{2}/\d{2}-\d{2}-\d{2}")


def _anonymous(text: str, root: Path) -> str:
    """``text`` with the trial folder's random path written as ``.`` (the repository) and Hydra's dated
    run folders as ``outputs/<date>/<time>``, so reports of the same trial read the same."""
    for form in dict.fromkeys((os.path.realpath(root), str(root))):
        text = text.replace(form, ".")
    return _HYDRA_RUN_DIR.sub(r"\1/<date>/<time>", text)


def _run_one(
    plan: RunPlan, environment: Environment, root: Path, env: dict[str, str], prepared: Prepared, index: int
) -> RunOutcome:
    command = (environment.python, *plan.args)
    if prepared.sandbox is not None:
        readable = interpreter_paths(environment.python)
        argv: tuple[str, ...] = tuple(
            prepared.sandbox.argv(root, command, network=prepared.options.network, readable=readable)
        )
    else:
        argv = (*(() if prepared.options.network else prepared.isolation.prefix), *command)
    log = root / ".expcheck" / f"run-{index}.log"
    before = snapshot(root)
    raw = run_command(argv, root, env, log, prepared.options.timeout, prepared.memory_bytes)
    new_files = changed_files(before, snapshot(root))
    text = _anonymous(read_log(log), root)
    status = "timeout" if raw.timed_out else ("ok" if raw.returncode == 0 else "failed")
    crashes = [] if status == "ok" else parse_crashes(text, (".",))
    if status == "timeout":
        # Every process of the group prints its own KeyboardInterrupt, in no fixed order: take the
        # last one that was inside the submission's code.
        inside = [crash for crash in crashes if any(frame.inside for frame in crash.frames)]
        crash = (inside or crashes or [None])[-1]
    else:
        crash = final_crash(crashes)
    child_error = child_cause(text) if crash is not None and is_wrapper(crash) else None
    results = [f for f in new_files if f == RESULTS or f.startswith(f"{RESULTS}/")]
    return RunOutcome(
        label=plan.label,
        run_id=plan.run_id,
        command=("python", *(_anonymous(arg, root) for arg in plan.args)),
        status=status,
        returncode=raw.returncode,
        signal=raw.signal,
        seconds=raw.seconds,
        output_tail=tail(text),
        crash=crash,
        child_error=child_error,
        carried_on=carried_on(crashes if status != "ok" else parse_crashes(text, (".",)), crash),
        printed=parse_printed(text),
        written=json_metrics(root, results),
        new_files=new_files,
    )


def _environment(prepared: Prepared, root: Path) -> Environment | EnvProblem:
    if prepared.python is not None:
        return prepared.python
    options = prepared.options
    box = None
    if prepared.sandbox is not None:
        box = SyncSandbox(prepared.sandbox, network=options.network or options.sync_network)
    return uv_environment(root, box=box)


def run_trial(loaded: Loaded, prepared: Prepared) -> TrialResult:
    """Run every experiment run of ``loaded`` in a fresh trial folder; never raises for the code's faults."""
    with sigterm_raises():
        return _run_trial(loaded, prepared)


def _run_trial(loaded: Loaded, prepared: Prepared) -> TrialResult:
    options = prepared.options
    network = "allowed" if options.network else "isolated"
    made = materialise(loaded.submission)
    root = made.root
    notes = [_network_note(prepared), prepared.memory_note]
    notes += [f"not written to the trial folder: {name} ({why})" for name, why in made.skipped]
    try:
        plan = plan_runs(loaded.profile, loaded.submission.context.runs, str(root / RESULTS))
        if plan.refusal is not None:
            return TrialResult(ran=False, network=network, isolation=notes[0], notes=(*notes, plan.refusal))
        notes += plan.skipped
        plans = plan.runs
        say = options.progress or (lambda _message: None)
        if prepared.python is None:
            say("trial: building the environment with uv sync")
        environment = _environment(prepared, root)
        if isinstance(environment, EnvProblem):
            why = f"the environment could not be built: {environment.summary}"
            return TrialResult(
                ran=False, network=network, isolation=notes[0], env_problem=environment, notes=(*notes, why)
            )
        notes.append(f"environment: {environment.description}")
        env = trial_env(root, isolated=not options.network, interpreter=environment.python)
        (root / RESULTS).mkdir(exist_ok=True)
        runs = []
        for index, plan in enumerate(plans, start=1):
            say(f"trial: run {index}/{len(plans)} {plan.label} (timeout {options.timeout:g} s)")
            runs.append(_run_one(plan, environment, root, env, prepared, index))
        if options.keep:
            notes.append(f"trial folder kept: {root}")
        return TrialResult(
            ran=True,
            network=network,
            isolation=notes[0],
            environment=environment,
            runs=tuple(runs),
            notes=tuple(notes),
            results_dir=RESULTS,
            timeout=options.timeout,
        )
    finally:
        if not options.keep:
            shutil.rmtree(root, ignore_errors=True)
