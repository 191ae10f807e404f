"""Run the profile's trial command for each experiment run, bounded in time, memory and network.

The command is the profile's ``commands.train`` with the interpreter of the trial environment in
place of ``uv run python``, ``{run_id}`` and ``{results_dir}`` filled in, and trial mode selected
(``{mode}`` -> ``trial``, or the profile's ``trial_override`` such as ``trial_mode=true`` appended).
A profile whose command runs per experiment run but has no trial switch has no trial mode: running
it would start the full experiment, so it is not run.

Each run starts in a new session (its own process group) inside the trial folder, with W&B
disabled, every cache and HOME inside the folder, an address-space limit where the OS allows it,
and the network namespace prefix when the network is off. On timeout the run's processes get SIGINT
(Python then prints where it was), then the whole group SIGTERM, then SIGKILL; after every run whatever is left of
the group is killed while its leader is still unreaped, so the group id cannot have been reused.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import select
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from expcheck.profiles.schema import Profile
from expcheck.submission import RunSpec

GRACE_SECONDS = 3.0
# A run's output kept for reading: its beginning and its end (where the traceback is).
LOG_HEAD = 64 * 1024
LOG_TAIL = 448 * 1024
SMOKE_LABEL = "smoke-test"
# Variables a trial run must not inherit: another venv, interactive start-up, a W&B key it never needs.
_DROP_ENV = ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONINSPECT", "WANDB_API_KEY")


@dataclass(frozen=True)
class RunPlan:
    """One command to run: its label (the run id, or smoke-test), and its arguments after the interpreter."""

    label: str
    run_id: str | None
    args: tuple[str, ...]


@dataclass(frozen=True)
class RawRun:
    """How a process ended, before its output is read."""

    returncode: int | None
    signal: str | None
    timed_out: bool
    seconds: float


def _python_args(template: str) -> list[str] | None:
    """The arguments after the interpreter in a command like ``uv run python -u -m src.main ...``."""
    try:
        tokens = shlex.split(template)
    except ValueError:
        return None
    for i, token in enumerate(tokens):
        if os.path.basename(token) in ("python", "python3"):
            return tokens[i + 1 :]
    return None


# What Hydra's override grammar takes unquoted as a value (no spaces, brackets, commas, quotes, ...).
_PLAIN_OVERRIDE_VALUE = re.compile(r"[\w\-./:@+]+")


def _is_override(token: str) -> bool:
    """A Hydra ``key=value`` override (not an ``--option``)."""
    return not token.startswith("-") and "=" in token


@dataclass(frozen=True)
class TrialPlan:
    """The commands to run, why there are none (``refusal``), and the runs left out with the reason."""

    runs: tuple[RunPlan, ...]
    refusal: str | None = None
    skipped: tuple[str, ...] = ()


def _mode_value(profile: Profile) -> str:
    modes = profile.modes
    if modes is not None and modes.trial_override.startswith(f"{modes.key}="):
        return modes.trial_override.split("=", 1)[1]
    return "trial"


def plan_runs(profile: Profile, runs: Sequence[RunSpec], results_dir: str) -> TrialPlan:
    """The trial command per experiment run, or why this profile's submission cannot have a trial.

    A run id that the ``run=<id>`` override cannot carry unquoted (spaces, brackets, ...) is left
    out: the pipeline's documented command cannot pass it either, and quoting it here would test
    a command nobody runs.
    """
    template = profile.commands.train
    args = _python_args(template)
    if args is None:
        return TrialPlan((), f"the profile's train command does not start a Python interpreter: {template}")
    per_run = any("{run_id}" in token for token in args)
    has_mode = any("{mode}" in token for token in args)
    if profile.modes is None and per_run:
        return TrialPlan((), f"profile {profile.name} defines no trial mode; its command would run the full experiment")
    if profile.modes is not None and not has_mode and profile.modes.trial_override not in args:
        args = [*args, profile.modes.trial_override]
    mode = _mode_value(profile)
    as_override = any("{run_id}" in token and _is_override(token) for token in args)

    def fill(run_id: str) -> tuple[str, ...]:
        return tuple(
            token.replace("{run_id}", run_id).replace("{results_dir}", results_dir).replace("{mode}", mode)
            for token in args
        )

    if not per_run:
        return TrialPlan((RunPlan(label=SMOKE_LABEL, run_id=None, args=fill("")),))
    plans, skipped = [], []
    for run in runs:
        if as_override and not _PLAIN_OVERRIDE_VALUE.fullmatch(run.run_id):
            skipped.append(f"run {run.run_id!r} not tried: `run=<id>` cannot pass this id to Hydra unquoted")
        else:
            plans.append(RunPlan(label=run.run_id, run_id=run.run_id, args=fill(run.run_id)))
    if plans:
        return TrialPlan(tuple(plans), skipped=tuple(skipped))
    if skipped:
        return TrialPlan((), "no run id can be passed as a plain Hydra override: " + "; ".join(skipped), tuple(skipped))
    return TrialPlan((), "the submission names no experiment runs (no run configs), so there is nothing to try")


def trial_env(
    root: Path, isolated: bool, interpreter: str | None = None, base: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment variables of a trial run: W&B off, caches, HOME and TMPDIR inside ``root``.

    As ``uv run`` does, the interpreter's folder comes first on PATH (a ``python`` the code starts
    in a subprocess is the same interpreter), and VIRTUAL_ENV names its virtual environment, if any.
    """
    env = {key: value for key, value in (base if base is not None else os.environ).items() if key not in _DROP_ENV}
    if interpreter is not None:
        folder = os.path.dirname(interpreter)
        env["PATH"] = os.pathsep.join(part for part in (folder, env.get("PATH", "")) if part)
        if os.path.isfile(os.path.join(folder, os.pardir, "pyvenv.cfg")):
            env["VIRTUAL_ENV"] = os.path.dirname(folder)
    cache = root / ".cache"
    own = root / ".expcheck"
    for folder in (cache, own / "home", own / "tmp"):
        folder.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "WANDB_MODE": "disabled",
            "WANDB_SILENT": "true",
            "WANDB_DIR": str(cache / "wandb"),
            "HF_HOME": str(cache / "huggingface"),
            "HF_DATASETS_CACHE": str(cache / "huggingface" / "datasets"),
            "TRANSFORMERS_CACHE": str(cache / "huggingface" / "transformers"),
            "TORCH_HOME": str(cache / "torch"),
            "XDG_CACHE_HOME": str(cache),
            "MPLCONFIGDIR": str(cache / "matplotlib"),
            "HOME": str(own / "home"),
            "TMPDIR": str(own / "tmp"),
            "HYDRA_FULL_ERROR": "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONFAULTHANDLER": "1",
        }
    )
    if isolated:
        # Fail fast with a clear message instead of retrying a network that is not there.
        env.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    return env


def _limits(memory_bytes: int | None) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return apply


def usable_memory_limit(wanted: int | None) -> int | None:
    """``wanted`` bytes capped by the hard RLIMIT_AS this process may grant, or None for no limit."""
    if not wanted:
        return None
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _interrupt_group(pgid: int) -> None:
    """SIGINT to every process of the group but the sandbox's own (bwrap would die of it at once and
    take the run with it, before Python printed where it was interrupted)."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        name = stat[stat.find(b"(") + 1 : stat.rfind(b")")]
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and name != b"bwrap":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGINT)


class _ExitWatch:
    """Waits for a child to exit without reaping it (pidfd where available, else WNOWAIT polling)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self.fd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.fd = None

    def wait(self, timeout: float) -> bool:
        if self.fd is not None:
            ready, _, _ = select.select([self.fd], [], [], max(timeout, 0.0))
            return bool(ready)
        deadline = time.monotonic() + timeout
        while True:
            try:
                info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            except ChildProcessError:
                return True
            if info is not None:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)


class _Capture(threading.Thread):
    """Reads a run's output from a pipe, keeping the first LOG_HEAD and the last LOG_TAIL bytes, so a
    run that prints without end costs neither memory nor disk; writes them to ``log`` when done."""

    def __init__(self, fd: int, log: Path) -> None:
        super().__init__(daemon=True)
        self.fd, self.log = fd, log
        self.head, self.tail = bytearray(), bytearray()
        self.dropped = 0
        self.stop_at: float | None = None

    def run(self) -> None:
        try:
            while True:
                if self.stop_at is not None and time.monotonic() > self.stop_at:
                    break
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if not ready:
                    if self.stop_at is not None:
                        break
                    continue
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    break
                self._keep(chunk)
        finally:
            os.close(self.fd)
            self._write()

    def _keep(self, chunk: bytes) -> None:
        room = LOG_HEAD - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > 2 * LOG_TAIL:
            cut = len(self.tail) - LOG_TAIL
            self.dropped += cut
            del self.tail[:cut]

    def _write(self) -> None:
        if len(self.tail) > LOG_TAIL:
            cut = len(self.tail) - LOG_TAIL
            self.dropped += cut
            del self.tail[:cut]
        marker = f"\n[expcheck: {self.dropped} bytes of output left out here]\n".encode() if self.dropped else b""
        with contextlib.suppress(OSError), self.log.open("wb") as out:
            out.write(bytes(self.head) + marker + bytes(self.tail))

    def finish(self) -> None:
        """The run is over: read what is still buffered (for at most a second), then stop."""
        self.stop_at = time.monotonic() + 1.0
        self.join(5)


def run_command(
    argv: Sequence[str], cwd: Path, env: dict[str, str], log: Path, timeout: float, memory_bytes: int | None
) -> RawRun:
    """Run ``argv`` in its own process group, output (both streams, head and tail kept) to ``log``;
    kill the group when done."""
    start = time.monotonic()
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_limits(memory_bytes),
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    capture = _Capture(read_end, log)
    capture.start()
    watch = _ExitWatch(proc.pid)
    timed_out = False
    try:
        if not watch.wait(timeout):
            timed_out = True
            _interrupt_group(proc.pid)
            if not watch.wait(GRACE_SECONDS):
                _kill_group(proc.pid, signal.SIGTERM)
                watch.wait(GRACE_SECONDS)
        # The leader has exited but is not reaped: the group id is still ours. Kill what is left of it.
        _kill_group(proc.pid, signal.SIGKILL)
    except BaseException:  # interrupted ourselves (Ctrl-C, SIGTERM): leave no run behind
        _kill_group(proc.pid, signal.SIGKILL)
        raise
    finally:
        watch.close()
        returncode = proc.wait()
        capture.finish()
    seconds = time.monotonic() - start
    died_of = _signal_name(-returncode) if returncode < 0 else None
    return RawRun(returncode=returncode, signal=died_of, timed_out=timed_out, seconds=seconds)
