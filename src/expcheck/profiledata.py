"""The built-in profiles' YAML, as loaded, kept beside expcheck's bytecode (issue 19).

Every check reads all the built-in profiles (profile detection compares them), and a CLI call's parent reads
the one it renders with again; PyYAML builds their ~1,300 nodes with its pure-Python constructor, about
3% of a one-input CLI call. The loaded data of a built-in profile's text (plain dicts, lists, strings,
numbers, booleans, None) is kept, marshalled, in ``__pycache__/builtin-profiles.<tag>.marshal``, keyed by the
whole text: a text that is not exactly one that was stored (an edited profile, a user's file) is loaded by
PyYAML as usual. Each lookup unmarshals a fresh copy, so callers may change what they get (``extends`` is
popped) as they may change PyYAML's result.

The file records the PyYAML version, the loader used and the interpreter; any other one ignores it. Data
is stored only where it survives marshal unchanged (not a timestamp, for instance), and only for what is
loaded inside :func:`stored_profiles` blocks (importing and preloading), written as module bytecode is
(not under PYTHONDONTWRITEBYTECODE, or explicitly with ``python -m expcheck.gencode``).
"""

from __future__ import annotations

import contextlib
import marshal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from expcheck.gencode import read_table, write_table

_FORMAT = b"expcheck-builtin-profiles-1\n"


def cache_file() -> Path:
    return Path(__file__).resolve().parent / "__pycache__" / f"builtin-profiles.{sys.implementation.cache_tag}.marshal"


def _header(loader: type) -> bytes:
    import yaml

    return _FORMAT + f"{yaml.__version__} {loader.__module__}.{loader.__qualname__} {sys.version}\n".encode()


class _Table:
    def __init__(self, header: bytes, known: dict[str, bytes]) -> None:
        self.header = header
        self.known = known
        self.new: dict[str, bytes] = {}


_TABLES: dict[Path, _Table] = {}
# How many stored_profiles blocks are open (loads inside one are remembered for the file).
_recording = 0


def _table(path: Path, loader: type) -> _Table:
    table = _TABLES.get(path)
    if table is None:
        header = _header(loader)
        known = read_table(path, header)
        table = _TABLES[path] = _Table(
            header, {k: v for k, v in known.items() if isinstance(k, str) and isinstance(v, bytes)}
        )
    return table


def _frozen(data: Any) -> bytes | None:
    """``data`` marshalled, when it comes back equal (plain YAML data); None otherwise."""
    try:
        frozen = marshal.dumps(data)
    except ValueError:  # e.g. a datetime
        return None
    try:
        same = marshal.loads(frozen) == data
    except Exception:
        return None
    return frozen if same else None


def loaded(text: str, loader: type, load: Callable[[str], Any], path: Path | None = None) -> Any:
    """What ``load(text)`` returns (``text`` being a built-in profile's YAML, read with ``loader``), from the
    stored data when this exact text was stored."""
    table = _table(path or cache_file(), loader)
    frozen = table.known.get(text)
    if frozen is not None:
        return marshal.loads(frozen)
    data = load(text)
    if _recording:
        frozen = _frozen(data)
        if frozen is not None:
            table.new[text] = frozen
    return data


@contextlib.contextmanager
def stored_profiles(write: bool | None = None, path: Path | None = None) -> Iterator[None]:
    """Built-in profiles loaded inside the block are stored at its end when ``write`` (None: when Python may
    write bytecode)."""
    global _recording
    _recording += 1
    try:
        yield
    finally:
        _recording -= 1
    path = path or cache_file()
    table = _TABLES.get(path)
    if table is not None and table.new and (not sys.dont_write_bytecode if write is None else write):
        table.known.update(table.new)
        table.new = {}
        write_table(path, table.header, table.known)
