"""Bytecode for the methods ``dataclasses`` generates, kept beside expcheck's own bytecode (issue 19).

Python 3.11's ``dataclasses`` writes each generated method (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, a frozen class's ``__setattr__``/``__delattr__``) as source text and compiles it with
``exec`` every time a class is created. Importing what a check needs creates ~170 dataclasses (expcheck's
and Hydra's): ~760 such compilations, over a quarter of the instructions of a one-input CLI call.

Inside :func:`generated_code`, ``dataclasses._create_fn`` is the standard library's own, except that the
text is compiled once and its code object is kept in ``__pycache__/dataclass-methods.<tag>.marshal``; a
later process executes the stored code object instead of compiling the same text again. The text is the
key, so a stored entry is only ever used for exactly the text it was compiled from (as the standard
library would have compiled it: no inherited ``__future__`` flags, file name ``<string>``): the classes
and their methods are the same as without the cache. The file is written, like module bytecode, when
bytecode may be written (not under PYTHONDONTWRITEBYTECODE), or explicitly with
``python -m expcheck.gencode`` (after ``uv sync --compile-bytecode`` on such machines). Any problem with
the file (absent, unreadable, another Python) only means compiling as usual.

:func:`stored_code` opens this store together with the two others kept the same way, beside the bytecode:
the compiled regular expressions (:mod:`expcheck.patterncode`) and the built-in profiles' loaded YAML
(:mod:`expcheck.profiledata`); ``python -m expcheck.gencode`` writes all three.

Only where the standard library's ``_create_fn`` is, instruction for instruction, the one this mirrors
(CPython 3.11.7, checked by a fingerprint of its code at import; 3.12 changed it, 3.13 compiles a
class's methods in one go); elsewhere nothing changes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import marshal
import os
import sys
from collections.abc import Iterator
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType
from typing import Any

try:  # CPython's own SHA-256: importing hashlib loads OpenSSL, a few milliseconds of every call
    from _sha256 import sha256
except ImportError:  # pragma: no cover - other interpreters (where the stores are not used anyway)
    from hashlib import sha256

_FORMAT = b"expcheck-dataclass-methods-1\n"
_HEADER = MAGIC_NUMBER + _FORMAT
# The cache holds what importing expcheck and Hydra creates; far more entries means something else fed it.
_MAX_ENTRIES = 20_000


def code_digest(code: CodeType, digest: Any) -> None:
    """Feed ``digest`` with what a function's code does (instructions, names, constants, nested code), the
    same in every process: the fingerprint the stores (here and expcheck.patterncode) check mirrors by."""
    digest.update(code.co_code)
    digest.update(repr((code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars)).encode())
    for const in code.co_consts:
        if isinstance(const, CodeType):
            code_digest(const, digest)
        else:
            digest.update(canonical(const).encode())


def canonical(value: object) -> str:
    """A text for a constant that is the same in every process (a set's members sorted: string hashes are
    salted per process)."""
    if isinstance(value, set | frozenset):
        return "{" + ",".join(sorted(map(repr, value))) + "}"
    return repr(value)


def _fingerprint(code: CodeType) -> str:
    digest = sha256()
    code_digest(code, digest)
    return digest.hexdigest()


# The standard library's ``_create_fn`` that ``_create_fn_with`` mirrors (CPython 3.11.7); on any Python
# whose function differs by one instruction or constant, dataclasses are left alone (only slower).
_MIRRORED = "979d9e7810a79510cd6db078b48f4a88cee302f88080a5698faa0d5fde59e603"
_SUPPORTED = (
    sys.version_info[:2] == (3, 11)
    and isinstance(getattr(getattr(dataclasses, "_create_fn", None), "__code__", None), CodeType)
    and _fingerprint(dataclasses._create_fn.__code__) == _MIRRORED
)


def cache_file() -> Path:
    return Path(__file__).resolve().parent / "__pycache__" / f"dataclass-methods.{sys.implementation.cache_tag}.marshal"


def read_table(path: Path, header: bytes) -> dict[Any, Any]:
    """The marshalled dict stored in ``path`` after ``header``; empty when the file is absent, unreadable,
    damaged or written with another header (another format, interpreter or library)."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    if not data.startswith(header):
        return {}
    try:
        table = marshal.loads(data[len(header) :])
    except (EOFError, ValueError, TypeError):
        return {}
    return table if isinstance(table, dict) else {}


def write_table(path: Path, header: bytes, table: dict[Any, Any]) -> None:
    """Write ``table`` after ``header`` atomically (a concurrent reader sees the old file or the new one,
    never half); nothing when it cannot be written."""
    with contextlib.suppress(OSError, ValueError):
        path.parent.mkdir(exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_bytes(header + marshal.dumps(table))
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                temporary.unlink()


def _load(path: Path) -> dict[str, CodeType]:
    table = read_table(path, _HEADER)
    return {k: v for k, v in table.items() if isinstance(k, str) and isinstance(v, CodeType)}


def _store(path: Path, table: dict[str, CodeType]) -> None:
    write_table(path, _HEADER, table)


class _Table:
    def __init__(self, known: dict[str, CodeType]) -> None:
        self.known = known
        self.new: dict[str, CodeType] = {}

    def code(self, text: str) -> CodeType:
        code = self.known.get(text)
        if code is None:
            # As ``exec(text)`` inside dataclasses.py compiles it: that module has no __future__ import.
            code = self.new[text] = self.known[text] = compile(text, "<string>", "exec", dont_inherit=True)
        return code


def _create_fn_with(table: _Table) -> Any:
    missing = dataclasses.MISSING

    # The standard library's ``dataclasses._create_fn`` (3.11), with the compilation looked up.
    def _create_fn(
        name: str,
        args: list[str],
        body: list[str],
        *,
        globals: dict[str, Any] | None = None,
        locals: dict[str, Any] | None = None,
        return_type: Any = missing,
    ) -> Any:
        if locals is None:
            locals = {}
        return_annotation = ""
        if return_type is not missing:
            locals["_return_type"] = return_type
            return_annotation = "->_return_type"
        arg_text = ",".join(args)
        body_text = "\n".join(f"  {b}" for b in body)
        txt = f" def {name}({arg_text}){return_annotation}:\n{body_text}"
        local_vars = ", ".join(locals.keys())
        txt = f"def __create_fn__({local_vars}):\n{txt}\n return {name}"
        ns: dict[str, Any] = {}
        if globals is None:  # exec(text, None, ns) in dataclasses.py runs in that module's globals
            globals = vars(dataclasses)
        exec(table.code(txt), globals, ns)  # the text dataclasses generated, run as dataclasses runs it
        return ns["__create_fn__"](**locals)

    return _create_fn


# The table of each cache file, read once per process (a forked worker inherits its parent's).
_TABLES: dict[Path, _Table] = {}


@contextlib.contextmanager
def generated_code(write: bool | None = None, path: Path | None = None) -> Iterator[None]:
    """Dataclasses created inside the block take their generated methods' code from the cache. New code is
    stored at the end when ``write`` (None: when Python may write bytecode)."""
    if not _SUPPORTED or getattr(dataclasses._create_fn, "_expcheck_cached", False):
        yield  # unsupported Python, or already inside such a block
        return
    path = path or cache_file()
    table = _TABLES.get(path)
    if table is None:
        table = _TABLES[path] = _Table(_load(path))
    original = dataclasses._create_fn
    patched = _create_fn_with(table)
    patched._expcheck_cached = True
    dataclasses._create_fn = patched
    try:
        yield
    finally:
        dataclasses._create_fn = original
    if table.new and (not sys.dont_write_bytecode if write is None else write):
        _store(path, table.known if len(table.known) <= _MAX_ENTRIES else table.new)
        table.new = {}


@contextlib.contextmanager
def stored_code(write: bool | None = None) -> Iterator[None]:
    """The stores of compiled code and data for the block: the dataclasses' generated methods (this module),
    the regular expressions (:mod:`expcheck.patterncode`) and the built-in profiles' YAML
    (:mod:`expcheck.profiledata`)."""
    from expcheck.patterncode import stored_patterns
    from expcheck.profiledata import stored_profiles

    with generated_code(write), stored_patterns(write), stored_profiles(write):
        yield


def main() -> int:
    """Store the code of every dataclass method and regular expression that importing and preloading
    create (what a check has before it judges)."""
    from expcheck import patterncode, profiledata

    with stored_code(write=True):
        from expcheck.batch import preload
        from expcheck.cli import _build_parser, _import_checking

        _build_parser("check")  # what a CLI call builds and imports before it forks its worker
        _import_checking()
        preload()
    print(f"{cache_file()}: {len(_load(cache_file()))} generated methods")
    patterns = patterncode.cache_file()
    print(f"{patterns}: {len(patterncode._table(patterns).known)} regular expressions")
    profiles = profiledata.cache_file()
    print(f"{profiles}: {len(read_table(profiles, profiledata._TABLES[profiles].header))} built-in profiles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
