"""SIGTERM unwinding like Ctrl-C, so that what a batch or a trial started is cleaned up on the way out."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises SystemExit (status 128 + signal), so ``finally`` clauses and
    context managers kill child processes and remove temporary folders. Only the main thread can set a
    signal handler; elsewhere the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
