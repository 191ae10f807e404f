"""Compiled regular expressions kept beside expcheck's bytecode (issue 19).

Importing what a check needs compiles ~170 regular expressions at module level (PyYAML's reader and
resolver, packaging's tokenizer and specifiers, expcheck's own, ``platform``, ``logging``, ``tomllib``...):
``re._parser`` and ``re._compiler`` are pure Python, and turning the texts into the engine's code is about
a tenth of a one-input CLI call. What they produce depends only on the pattern text, its type and its
flags: the final flags, a list of integers (the code ``_sre`` runs), the group count and the group names.

Inside :func:`stored_patterns`, ``re._compiler.compile`` (which ``re.compile`` and every ``re.match(text,
...)`` reach on a miss of ``re``'s own cache) builds the pattern with ``_sre.compile`` from those stored
parts when the same (type, text, flags) was compiled before, and compiles as usual otherwise; the
patterns are the same objects as without the store (``Pattern.__eq__`` compares flags, text and code).
The parts are kept in ``__pycache__/regex-code.<tag>.marshal``, written as module bytecode is (not under
PYTHONDONTWRITEBYTECODE, or explicitly with ``python -m expcheck.gencode``). Only patterns compiled while
importing and preloading are stored (module-level patterns of expcheck and its libraries), never one
compiled while judging an input; a pattern whose compilation warns (``FutureWarning: Possible nested
set``) is not stored, so the warning is still given.

Guards (any mismatch: everything is compiled as usual, only slower):

- ``re._compiler.compile`` is, instruction for instruction, the CPython 3.11.7 function that
  :func:`_parts` mirrors (a fingerprint of its code, checked at import);
- the file records the exact interpreter (``sys.version``), ``_sre``'s ``MAGIC``, ``CODESIZE``,
  ``MAXREPEAT`` and ``MAXGROUPS``, and a fingerprint of every function and constant of ``re._parser``,
  ``re._compiler``, ``re._constants`` and ``re._casefix``; a file written by any other interpreter or
  ``re`` implementation is ignored.
"""

from __future__ import annotations

import _sre
import contextlib
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

from expcheck.gencode import canonical, code_digest, read_table, write_table

try:  # CPython's own SHA-256: importing hashlib loads OpenSSL, a few milliseconds of every call
    from _sha256 import sha256
except ImportError:  # pragma: no cover - other interpreters (where the stores are not used anyway)
    from hashlib import sha256

_FORMAT = b"expcheck-regex-code-1\n"
# A CLI call compiles fewer than 200 at import and preload; far more means something else fed it.
_MAX_ENTRIES = 5_000

# (is the text bytes, the text, the flags asked for)
Key = tuple[bool, str | bytes, int]
# (final flags, code, groups - 1, group index, index group): the arguments of ``_sre.compile`` after the text
Parts = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]


def _fingerprint_function(function: FunctionType) -> str:
    digest = sha256()
    code_digest(function.__code__, digest)
    return digest.hexdigest()


def _fingerprint_modules(modules: tuple[ModuleType, ...]) -> str:
    """A digest of every function (methods of classes included) and plain constant of ``modules``."""
    digest = sha256()
    for module in modules:
        digest.update(module.__name__.encode())
        for name, value in sorted(vars(module).items()):
            if name.startswith("__") or isinstance(value, ModuleType):
                continue
            digest.update(name.encode())
            if isinstance(value, FunctionType):
                code_digest(value.__code__, digest)
            elif isinstance(value, type):
                for attribute, member in sorted(vars(value).items()):
                    if isinstance(member, FunctionType):
                        digest.update(attribute.encode())
                        code_digest(member.__code__, digest)
            elif isinstance(value, int | str | bytes | float | tuple | list | dict | set | frozenset):
                digest.update(canonical(value).encode())
    return digest.hexdigest()


# ``re._compiler.compile`` of CPython 3.11.7, which :func:`_parts` mirrors.
_MIRRORED = "7116a90eefb310780c2bad237bbc4fcb45c976a976d281ff3f2ca4dcac489840"


def _mirrors_compile() -> bool:
    compiler = getattr(re, "_compiler", None)
    function = getattr(compiler, "compile", None)
    return isinstance(function, FunctionType) and _fingerprint_function(function) == _MIRRORED


_SUPPORTED = sys.version_info[:2] == (3, 11) and _mirrors_compile()


def environment() -> bytes:
    """What the stored parts depend on, besides the pattern: the interpreter and its ``re`` implementation."""
    import re._casefix
    import re._constants
    import re._parser

    modules = (re._parser, re._compiler, re._constants, re._casefix)
    engine = (_sre.MAGIC, _sre.CODESIZE, _sre.MAXREPEAT, _sre.MAXGROUPS)
    return f"{sys.version}\n{sys.hexversion}\n{engine}\n{_fingerprint_modules(modules)}\n".encode()


def cache_file() -> Path:
    return Path(__file__).resolve().parent / "__pycache__" / f"regex-code.{sys.implementation.cache_tag}.marshal"


def _parts(pattern: str | bytes, flags: int) -> Parts:
    """What ``re._compiler.compile(pattern, flags)`` passes to ``_sre.compile`` after the text."""
    compiler = re._compiler
    parsed = compiler._parser.parse(pattern, flags)
    code = compiler._code(parsed, flags)
    groupindex = parsed.state.groupdict
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    # Plain ints: the code holds the parser's named opcode constants (an int subclass marshal refuses).
    return (
        int(flags | parsed.state.flags),
        [int(word) for word in code],
        int(parsed.state.groups - 1),
        {str(name): int(index) for name, index in groupindex.items()},
        tuple(indexgroup),
    )


def _valid(key: object, parts: object) -> bool:
    return (
        isinstance(key, tuple)
        and len(key) == 3
        and isinstance(parts, tuple)
        and len(parts) == 5
        and isinstance(parts[1], list)
        and isinstance(parts[3], dict)
        and isinstance(parts[4], tuple)
    )


def _load(path: Path, header: bytes) -> dict[Key, Parts]:
    return {key: parts for key, parts in read_table(path, header).items() if _valid(key, parts)}


def _store(path: Path, header: bytes, table: dict[Key, Parts]) -> None:
    write_table(path, header, table)


def _warns(key: Key) -> bool:
    """Whether compiling the pattern gives a warning (or fails): such a pattern is compiled every time."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _parts(key[1], key[2])
        except Exception:
            return True
    return bool(caught)


class _Table:
    def __init__(self, header: bytes, known: dict[Key, Parts]) -> None:
        self.header = header
        self.known = known
        self.new: set[Key] = set()

    def compile(self, original: Any, pattern: Any, flags: int) -> Any:
        kind = type(pattern)
        # Only plain texts and plain int flags (what re.compile passes on; a RegexFlag from a direct caller
        # could not be stored) are looked up; DEBUG prints the code as it is compiled.
        if (kind is not str and kind is not bytes) or type(flags) is not int or flags & re.DEBUG:
            return original(pattern, flags)
        key: Key = (kind is bytes, pattern, flags)
        parts = self.known.get(key)
        if parts is None:
            compiled = original(pattern, flags)  # errors and warnings as usual
            self.new.add(key)
            return compiled
        final_flags, code, groups, groupindex, indexgroup = parts
        return _sre.compile(pattern, final_flags, code, groups, groupindex, indexgroup)

    def stored(self) -> dict[Key, Parts]:
        """The known parts plus those of the new patterns that compile without a warning."""
        table = dict(self.known)
        for key in sorted(self.new, key=repr):
            if len(table) >= _MAX_ENTRIES:
                break
            if not _warns(key):
                table[key] = _parts(key[1], key[2])
        return table


# The table of each file, read once per process (a forked worker inherits its parent's).
_TABLES: dict[Path, _Table] = {}


def _table(path: Path) -> _Table:
    table = _TABLES.get(path)
    if table is None:
        header = _FORMAT + environment()
        table = _TABLES[path] = _Table(header, _load(path, header))
    return table


@contextlib.contextmanager
def stored_patterns(write: bool | None = None, path: Path | None = None) -> Iterator[None]:
    """Patterns compiled inside the block are built from the stored parts where they are known. New ones
    are stored at the end when ``write`` (None: when Python may write bytecode)."""
    compiler = getattr(re, "_compiler", None)
    if not _SUPPORTED or compiler is None or getattr(compiler.compile, "_expcheck_stored", False):
        yield  # unsupported Python, or already inside such a block
        return
    table = _table(path or cache_file())
    original = compiler.compile

    def compile(p: Any, flags: int = 0) -> Any:
        return table.compile(original, p, flags)

    compile._expcheck_stored = True  # type: ignore[attr-defined]
    compiler.compile = compile
    try:
        yield
    finally:
        compiler.compile = original
    if table.new and (not sys.dont_write_bytecode if write is None else write):
        stored = table.stored()
        _store(path or cache_file(), table.header, stored)
        table.known, table.new = stored, set()
