"""Judge inputs in worker processes that are allowed to die.

A parser that overflows the C stack (libyaml on YAML nested 100,000 deep), a rule that loops, or an
input that exhausts memory must cost that input its report and nothing else. Every input of a batch
is therefore judged in a forked worker process, ``--jobs 1`` included, and the parent only hands out
work and collects reports:

- a worker that dies (a signal such as SIGSEGV, or any exit) is replaced; the input it was judging
  gets an error report saying how it died;
- an input that takes longer than the time limit has its worker's whole process group killed and
  gets an error report saying so;
- each worker writes its temporary files (lint copies, compose folders) below a private folder of
  the batch's own temporary folder, which the parent removes when a worker dies and when the batch
  ends, however it ends;
- the workers run in their own process group (a terminal's Ctrl-C reaches only the parent, which then
  kills them) and die with the parent (``PR_SET_PDEATHSIG``) even when it is killed outright. The
  folders of a batch whose parent was killed with SIGKILL are removed by the next batch.

The judging function receives one task as plain data and returns one picklable result; the pool
knows nothing about reports beyond the ``failed`` callback that turns "why it could not be judged"
into a result.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import multiprocessing
import os
import resource
import shutil
import signal
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Generic, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

BATCH_PREFIX = "expcheck-batch-"
_PR_SET_PDEATHSIG = 1
_STOP_GRACE = 2.0
# Seconds a worker told to stop (SIGTERM) has to clean up before it is killed.
_TERM_GRACE = 5.0
_NOTHING: object = object()


def _die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGKILL when the parent dies (Linux); exit at once if it already has."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _serve(
    conn: Connection,
    judge: Callable[[object], object],
    failed: Callable[[object, str], object],
    tmp: str,
    parent: int,
    memory: int | None,
) -> None:
    """A worker's life: take a task, judge it, send the result, until told to stop or orphaned."""
    os.setpgid(0, 0)
    if memory:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory, resource.getrlimit(resource.RLIMIT_AS)[1]))
    _die_with_parent(parent)
    faulthandler.disable()  # a crash is reported by the parent in one line, not as a dump on stderr
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = tmp
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        number, task = message
        try:
            result = judge(task)
        except MemoryError:
            result = failed(task, f"judging it needed more than the {memory_text(memory)} a worker may use")
        except Exception as exc:  # a bug of expcheck: that input's report says so, the worker goes on
            result = failed(task, f"internal error while judging it: {type(exc).__name__}: {exc}")
        try:
            conn.send((number, result))
        except Exception as exc:  # e.g. a result that cannot be pickled
            conn.send((number, failed(task, f"internal error while returning its report: {type(exc).__name__}")))


def memory_text(limit: int | None) -> str:
    return f"{limit / 2**30:.1f} GiB of address space" if limit else "memory"


def default_memory_limit(workers: int) -> int | None:
    """Address space each worker may use: the physical memory shared among the workers and the parent,
    at least 2 GiB. An input that needs more fails alone (MemoryError in its worker) instead of driving
    the machine into the out-of-memory killer."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
    return max(2 * 2**30, total // (workers + 1))


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(parent: str | None = None) -> None:
    """Remove the temporary folders of batches whose process no longer exists (killed with SIGKILL)."""
    folder = Path(parent or tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if not entry.name.startswith(BATCH_PREFIX):
                continue
            pid = entry.name[len(BATCH_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and not _pid_alive(int(pid)) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    tmp: str
    # (task number, deadline or None) while judging.
    busy: tuple[int, float | None] | None = None


def _stop(workers: Sequence[_Worker], grace: float = _TERM_GRACE) -> None:
    """End ``workers``: SIGTERM first (a worker running a trial then stops its runs and removes its
    trial folder; a static check simply dies of it), SIGKILL to each worker's process group after
    ``grace`` seconds, then their folders removed. The group is killed before the worker is reaped,
    so its id cannot have been reused by then."""
    live = [w for w in workers if not wait([w.process.sentinel], 0)]
    for worker in live:
        with contextlib.suppress(ProcessLookupError, PermissionError, TypeError):
            os.kill(worker.process.pid, signal.SIGTERM)  # type: ignore[arg-type]
    deadline = time.monotonic() + grace
    while live and time.monotonic() < deadline:
        done = set(wait([w.process.sentinel for w in live], max(0.0, deadline - time.monotonic())))
        live = [w for w in live if w.process.sentinel not in done]
    for worker in workers:
        pid = worker.process.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        worker.process.join(5)
        worker.conn.close()
        shutil.rmtree(worker.tmp, ignore_errors=True)


def _cleanup(workers: list[_Worker], root: str) -> None:
    _stop(list(workers))
    workers.clear()
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class WorkerPool(Generic[Task, Result]):
    """``size`` forked workers running ``judge``; ``failed(task, why)`` is the result of a task that
    killed its worker or ran out of time. Use as a context manager, or call ``close``."""

    judge: Callable[[Task], Result]
    failed: Callable[[Task, str], Result]
    size: int = 1
    time_limit: float | None = None
    # Address-space limit of each worker in bytes; None for none.
    memory_limit: int | None = None
    _workers: list[_Worker] = field(default_factory=list, init=False)
    _spawned: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        sweep_stale()
        self._root = tempfile.mkdtemp(prefix=f"{BATCH_PREFIX}{os.getpid()}-")
        self._context = multiprocessing.get_context("fork")
        # Runs at interpreter exit too, whatever way the batch was left.
        self._finalizer = weakref.finalize(self, _cleanup, self._workers, self._root)

    def __enter__(self) -> WorkerPool[Task, Result]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(graceful=exc[0] is None)

    def _spawn(self) -> _Worker:
        self._spawned += 1
        tmp = os.path.join(self._root, f"w{self._spawned}")
        os.mkdir(tmp)
        here, there = self._context.Pipe()
        process = self._context.Process(
            target=_serve,
            args=(there, self.judge, self.failed, tmp, os.getpid(), self.memory_limit),
            name=f"expcheck-worker-{self._spawned}",
        )
        process.start()
        there.close()
        worker = _Worker(process=process, conn=here, tmp=tmp)
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        self._workers.remove(worker)
        _stop([worker])

    def close(self, graceful: bool = True) -> None:
        """Stop the workers (asked to stop when ``graceful``, killed otherwise) and remove the folder."""
        if graceful:
            for worker in self._workers:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
            deadline = time.monotonic() + _STOP_GRACE
            live = list(self._workers)
            while live and time.monotonic() < deadline:
                done = set(wait([w.process.sentinel for w in live], max(0.0, deadline - time.monotonic())))
                live = [w for w in live if w.process.sentinel not in done]
        self._finalizer()

    @staticmethod
    def _death(worker: _Worker) -> str:
        """How a retired worker ended."""
        code = worker.process.exitcode
        if code is not None and code < 0:
            return f"the process judging it was killed by {_signal_name(-code)}"
        if code is None:
            return "the process judging it stopped answering"
        return f"the process judging it exited with status {code}"

    def map_unordered(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Result]]:
        """(index in ``tasks``, result) for every task, as they complete."""
        pending = list(enumerate(tasks))[::-1]
        waiting_for = 0
        by_number: dict[int, Task] = dict(enumerate(tasks))
        while pending or waiting_for:
            idle = [w for w in self._workers if w.busy is None]
            while pending and (idle or len(self._workers) < self.size):
                worker = idle.pop() if idle else self._spawn()
                number, task = pending.pop()
                deadline = time.monotonic() + self.time_limit if self.time_limit else None
                try:
                    worker.conn.send((number, task))
                except OSError:  # died between tasks: replace it and try again
                    pending.append((number, task))
                    self._retire(worker)
                    continue
                worker.busy = (number, deadline)
                waiting_for += 1
            busy = [w for w in self._workers if w.busy is not None]
            deadlines = [w.busy[1] for w in busy if w.busy is not None and w.busy[1] is not None]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = set(wait([*(w.conn for w in busy), *(w.process.sentinel for w in busy)], timeout))
            for worker in busy:
                assert worker.busy is not None
                number, deadline = worker.busy
                result: object = _NOTHING
                if worker.conn in ready or worker.process.sentinel in ready:
                    with contextlib.suppress(EOFError, OSError):
                        if worker.conn.poll():
                            _, result = worker.conn.recv()
                    if result is _NOTHING:
                        self._retire(worker)
                        result = self.failed(by_number[number], self._death(worker))
                    else:
                        worker.busy = None
                elif deadline is not None and time.monotonic() >= deadline:
                    why = f"it was not judged within the time limit of {self.time_limit:g} s"
                    result = self.failed(by_number[number], why)
                    self._retire(worker)
                if result is not _NOTHING:
                    waiting_for -= 1
                    yield number, result  # type: ignore[misc]
