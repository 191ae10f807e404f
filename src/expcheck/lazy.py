"""Imports on first use without the garbage collector's passes (issue 19)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_collector() -> Iterator[None]:
    """No collection while the block runs. Importing expcheck builds thousands of long-lived objects (rules,
    dataclasses, compiled patterns) and no garbage cycles: the collector's passes over them are pure cost."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
