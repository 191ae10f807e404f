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
import os
import pickle
import resource
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

from expcheck.scratch import remove_stale, sweep_lint_folders

Task = TypeVar("Task")
Result = TypeVar("Result")

BATCH_PREFIX = "expcheck-batch-"
_PR_SET_PDEATHSIG = 1
_STOP_GRACE = 2.0
# Seconds a worker told to stop (SIGTERM) has to clean up before it is killed.
_TERM_GRACE = 5.0
_NOTHING: object = object()
# A message on a pipe: its length (8 bytes, big-endian), then the pickled object.
_HEADER = struct.Struct("!Q")


def _die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGKILL when the parent dies (Linux); exit at once if it already has."""
    with contextlib.suppress(OSError, AttributeError, ImportError):
        import ctypes  # only in the worker: the parent never needs it

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``; EOFError when the writer closed (or died) before writing them all."""
    parts = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def _send(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    _write_all(fd, _HEADER.pack(len(data)) + data)


def _recv(fd: int) -> object:
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    return pickle.loads(_read_exactly(fd, size))


def _readable(fds: Sequence[int], timeout: float | None) -> set[int]:
    """The ``fds`` ready to read (data, end of file or error) within ``timeout`` seconds (None: no limit)."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    millis = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
    while True:
        try:
            return {fd for fd, _ in poller.poll(millis)}
        except InterruptedError:  # pragma: no cover - poll is retried by Python itself (PEP 475)
            continue


def _detach_stdin() -> None:
    """A worker reads nothing from the terminal: its stdin is /dev/null (as multiprocessing's workers')."""
    if sys.stdin is None:
        return
    with contextlib.suppress(OSError, ValueError):
        sys.stdin.close()
    with contextlib.suppress(OSError, ValueError):
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the worker


def _serve(
    tasks: int,
    results: int,
    judge: Callable[[object], object],
    failed: Callable[[object, str], object],
    tmp: str,
    parent: int,
    memory: int | None,
    init: Callable[[], object] | None = None,
) -> None:
    """A worker's life: prepare (``init``), take a task, judge it, send the result, until told to stop or
    orphaned."""
    import faulthandler

    os.setpgid(0, 0)
    if memory:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory, resource.getrlimit(resource.RLIMIT_AS)[1]))
    _die_with_parent(parent)
    faulthandler.disable()  # a crash is reported by the parent in one line, not as a dump on stderr
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _detach_stdin()
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = tmp
    if init is not None:
        with contextlib.suppress(Exception):  # what failed here fails again, and is reported, in judging
            init()
    while True:
        try:
            message = _recv(tasks)
        except (EOFError, OSError):
            return
        if message is None:
            return
        number, task = message  # type: ignore[misc]
        try:
            result = judge(task)
        except MemoryError:
            result = failed(task, f"judging it needed more than the {memory_text(memory)} a worker may use")
        except Exception as exc:  # a bug of expcheck: that input's report says so, the worker goes on
            result = failed(task, f"internal error while judging it: {type(exc).__name__}: {exc}")
        try:
            _send(results, (number, result))
        except OSError:  # the parent is gone
            return
        except Exception as exc:  # e.g. a result that cannot be pickled
            _send(results, (number, failed(task, f"internal error while returning its report: {type(exc).__name__}")))


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


def sweep_stale(parent: str | None = None) -> None:
    """Remove the temporary folders of batches, and the scratch folders of checks, whose process no longer
    exists (killed with SIGKILL)."""
    remove_stale(parent or tempfile.gettempdir(), BATCH_PREFIX)
    sweep_lint_folders()


class _Worker:
    """One forked worker: its process id, the pipes to it (tasks) and from it (results), and a sentinel
    pipe whose only writer is the worker, so that it reads as closed once the worker has died."""

    __slots__ = ("busy", "exitcode", "pid", "results", "sentinel", "tasks", "tmp")

    def __init__(self, pid: int, tasks: int, results: int, sentinel: int, tmp: str) -> None:
        self.pid, self.tasks, self.results, self.sentinel, self.tmp = pid, tasks, results, sentinel, tmp
        # (task number, deadline or None) while judging.
        self.busy: tuple[int, float | None] | None = None
        # The worker's exit status once reaped: negative for the signal that killed it (as multiprocessing's).
        self.exitcode: int | None = None

    def dead(self) -> bool:
        return bool(_readable([self.sentinel], 0))

    def reap(self, timeout: float) -> None:
        """Collect the worker's exit status once it has ended (waiting at most ``timeout`` seconds)."""
        if self.exitcode is not None:
            return
        if not _readable([self.sentinel], timeout):
            return
        with contextlib.suppress(ChildProcessError):
            _, status = os.waitpid(self.pid, 0)
            self.exitcode = os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        for fd in (self.tasks, self.results, self.sentinel):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.tasks = self.results = self.sentinel = -1


def _stop(workers: Sequence[_Worker], grace: float = _TERM_GRACE) -> None:
    """End ``workers``: SIGTERM first (a worker running a trial then stops its runs and removes its
    trial folder; a static check simply dies of it), SIGKILL to each worker's process group after
    ``grace`` seconds, then their folders removed. The group is killed before the worker is reaped,
    so its id cannot have been reused by then."""
    live = [w for w in workers if w.sentinel >= 0 and not w.dead()]
    for worker in live:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while live and time.monotonic() < deadline:
        done = _readable([w.sentinel for w in live], max(0.0, deadline - time.monotonic()))
        live = [w for w in live if w.sentinel not in done]
    for worker in workers:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(worker.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(worker.pid, signal.SIGKILL)
        if worker.sentinel >= 0:
            worker.reap(5)
        worker.close()
        shutil.rmtree(worker.tmp, ignore_errors=True)
        sweep_lint_folders({worker.pid})  # its scratch folder, when it was killed in the middle of a check


def _cleanup(workers: list[_Worker], root: str, owner: int) -> None:
    if os.getpid() != owner:  # a forked copy of the parent (a worker, or a trial's child) owns none of it
        return
    _stop(list(workers))
    workers.clear()
    shutil.rmtree(root, ignore_errors=True)


class WorkerPool(Generic[Task, Result]):
    """``size`` forked workers running ``judge``; ``failed(task, why)`` is the result of a task that
    killed its worker or ran out of time. Use as a context manager, or call ``close``.

    ``time_limit``: seconds one task may take (None: no limit). ``memory_limit``: address-space limit of
    each worker in bytes (None: none). ``init``: run once in each worker before its first task (what it
    imports or builds there is not copied from the parent, page by page, as the worker touches it)."""

    def __init__(
        self,
        judge: Callable[[Task], Result],
        failed: Callable[[Task, str], Result],
        size: int = 1,
        time_limit: float | None = None,
        memory_limit: int | None = None,
        init: Callable[[], object] | None = None,
    ) -> None:
        self.judge, self.failed, self.size, self.init = judge, failed, size, init
        self.time_limit, self.memory_limit = time_limit, memory_limit
        self._workers: list[_Worker] = []
        self._spawned = 0
        sweep_stale()
        self._root = tempfile.mkdtemp(prefix=f"{BATCH_PREFIX}{os.getpid()}-")
        # Runs at interpreter exit too, whatever way the batch was left.
        self._finalizer = weakref.finalize(self, _cleanup, self._workers, self._root, os.getpid())

    def __enter__(self) -> WorkerPool[Task, Result]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(graceful=exc[0] is None)

    def _spawn(self) -> _Worker:
        self._spawned += 1
        tmp = os.path.join(self._root, f"w{self._spawned}")
        os.mkdir(tmp)
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        sentinel_r, sentinel_w = os.pipe()
        parent = os.getpid()
        for stream in (sys.stdout, sys.stderr):  # nothing buffered before the fork is written twice
            with contextlib.suppress(Exception):
                stream.flush()
        pid = os.fork()
        if pid == 0:  # the worker: it never returns into the caller's code
            code = 1
            try:
                inherited = [fd for w in self._workers for fd in (w.tasks, w.results, w.sentinel)]
                for fd in (task_w, result_r, sentinel_r, *inherited):  # only the parent holds these
                    with contextlib.suppress(OSError):
                        os.close(fd)
                _serve(task_r, result_w, self.judge, self.failed, tmp, parent, self.memory_limit, self.init)  # type: ignore[arg-type]
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            except BaseException:
                with contextlib.suppress(Exception):
                    import traceback

                    traceback.print_exc()
            finally:
                os._exit(code)
        for fd in (task_r, result_w, sentinel_w):
            os.close(fd)
        worker = _Worker(pid, task_w, result_r, sentinel_r, tmp)
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
                    _send(worker.tasks, None)
            deadline = time.monotonic() + _STOP_GRACE
            live = list(self._workers)
            while live and time.monotonic() < deadline:
                done = _readable([w.sentinel for w in live], max(0.0, deadline - time.monotonic()))
                live = [w for w in live if w.sentinel not in done]
        self._finalizer()

    @staticmethod
    def _death(worker: _Worker) -> str:
        """How a retired worker ended."""
        code = worker.exitcode
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
                    _send(worker.tasks, (number, task))
                except OSError:  # died between tasks: replace it and try again
                    pending.append((number, task))
                    self._retire(worker)
                    continue
                worker.busy = (number, deadline)
                waiting_for += 1
            busy = [w for w in self._workers if w.busy is not None]
            deadlines = [w.busy[1] for w in busy if w.busy is not None and w.busy[1] is not None]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = _readable([*(w.results for w in busy), *(w.sentinel for w in busy)], timeout)
            for worker in busy:
                assert worker.busy is not None
                number, deadline = worker.busy
                result: object = _NOTHING
                if worker.results in ready or worker.sentinel in ready:
                    with contextlib.suppress(EOFError, OSError):
                        if _readable([worker.results], 0):
                            _, result = _recv(worker.results)  # type: ignore[misc]
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
