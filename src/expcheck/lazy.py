"""Paying for what a command uses, when it uses it (issue 19): imports without garbage collection passes,
and module-level regular expressions compiled on their first use."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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


class LazyPattern:
    """A compiled pattern that compiles on first use: a module's pattern used by no check of this process costs
    nothing. After the first use its methods are the compiled pattern's own (no indirection left)."""

    def __init__(self, pattern: str, flags: int | re.RegexFlag = 0) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = re.compile(*self.__dict__["_source"])
        for attr in (
            "search",
            "match",
            "fullmatch",
            "finditer",
            "findall",
            "sub",
            "subn",
            "split",
            "pattern",
            "flags",
            "groups",
            "groupindex",
        ):
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self._source[0]!r})"


def lazy_compile(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, done on the pattern's first use (for module-level patterns only: the
    result is not a ``re.Pattern`` instance, so it must not be passed to ``re`` functions)."""
    return LazyPattern(pattern, flags)  # type: ignore[return-value]
