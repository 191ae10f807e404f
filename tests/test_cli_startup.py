"""What a CLI call pays before judging (issue 19): commands import only what they use, and the cached code of
dataclasses' generated methods makes the same classes as compiling their text does."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from expcheck import gencode

_IMPORTED_BY = """
import sys, contextlib, io
import expcheck.cli
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    expcheck.cli.main({argv!r})
heavy = sorted(m for m in ("hydra", "omegaconf", "expcheck.rules", "expcheck.facts.compose") if m in sys.modules)
print(",".join(heavy))
"""


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["check", "--help"], ["rules"], ["explain", "C101"]])
def test_commands_that_judge_nothing_do_not_import_hydra(argv: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORTED_BY.format(argv=argv)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert "hydra" not in out and "omegaconf" not in out
    if argv[0] in ("--help", "--version", "check"):
        assert out == ""  # not even the rules


def test_importing_the_package_imports_nothing_heavy() -> None:
    code = "import sys, expcheck; print(sorted(m for m in sys.modules if m.startswith(('expcheck.', 'hydra'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import expcheck; from expcheck import check, Report, Verdict, Finding, Severity, check_files; print(check)"
    assert "function check" in subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout


def _classes() -> list[type]:
    """Dataclasses of every shape dataclasses generates methods for."""

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Frozen:
        name: str
        items: list[int] = dataclasses.field(default_factory=list)
        note: str | None = None

    @dataclasses.dataclass(order=True)
    class Ordered:
        a: int
        b: float = 1.5

    @dataclasses.dataclass(eq=False)
    class Plain:
        x: object = None

    @dataclasses.dataclass(unsafe_hash=True)
    class Hashed:
        """A docstring of its own."""

        key: str = "k"

    return [Frozen, Ordered, Plain, Hashed]


def _shape(cls: type) -> tuple[object, ...]:
    methods = {
        name: (getattr(cls, name).__code__.co_code, getattr(cls, name).__code__.co_consts)
        for name in ("__init__", "__repr__", "__eq__", "__lt__", "__hash__", "__setattr__", "__delattr__")
        if isinstance(getattr(cls, name, None), type(_shape)) and getattr(cls, name).__module__ != "builtins"
    }
    return (str(inspect.signature(cls)), cls.__doc__, cls.__init__.__annotations__, methods)


def _behaviour(classes: list[type]) -> list[object]:
    frozen, ordered, plain, hashed = classes
    one, two = frozen(name="a", items=[1]), frozen(name="a", items=[1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.name = "b"  # type: ignore[misc]
    return [
        repr(one),
        one == two,
        repr(ordered(1)),
        ordered(1) < ordered(2),
        repr(sorted([ordered(3), ordered(1, 0.5)])),
        plain() == plain(),
        hash(hashed("x")) == hash(hashed("x")),
        repr(hashed()),
    ]


@pytest.mark.skipif(not gencode._SUPPORTED, reason="the cache mirrors Python 3.11's dataclasses only")
def test_cached_generated_code_makes_the_same_classes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "__pycache__" / "methods.marshal"
    plain = _classes()
    monkeypatch.setattr(gencode, "_TABLES", {})
    with gencode.generated_code(write=True, path=cache):
        first = _classes()
    assert cache.is_file()
    monkeypatch.setattr(gencode, "_TABLES", {})  # as a new process: the table read from the file
    with gencode.generated_code(write=True, path=cache):
        cached = _classes()
        table = gencode._TABLES[cache]
    assert table.known and not table.new  # every method came from the file, none was compiled
    assert dataclasses._create_fn.__module__ == "dataclasses"  # restored after the block
    for a, b, c in zip(plain, first, cached, strict=True):
        assert _shape(a) == _shape(b) == _shape(c)
    assert _behaviour(plain) == _behaviour(first) == _behaviour(cached)


@pytest.mark.skipif(not gencode._SUPPORTED, reason="the cache mirrors Python 3.11's dataclasses only")
def test_a_damaged_or_foreign_cache_file_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "methods.marshal"
    for content in (b"", b"garbage", gencode._HEADER + b"\x00\x01not marshal", b"\x00\x00\r\n" + b"x" * 40):
        cache.write_bytes(content)
        monkeypatch.setattr(gencode, "_TABLES", {})
        with gencode.generated_code(write=False, path=cache):
            classes = _classes()
        assert _behaviour(classes) == _behaviour(_classes())
        assert cache.read_bytes() == content  # not written when told not to


def test_without_permission_to_write_bytecode_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "methods.marshal"
    monkeypatch.setattr(gencode, "_TABLES", {})
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    with gencode.generated_code(path=cache):
        _classes()
    assert not cache.exists()


def test_the_mirror_is_used_only_on_the_function_it_mirrors() -> None:
    """The stored code is used only where the standard library's ``_create_fn`` is, instruction for
    instruction and constant for constant, the one the mirror copies; one changed constant is enough to
    leave dataclasses alone."""
    code = dataclasses._create_fn.__code__
    mirrored = sys.version_info[:2] == (3, 11) and gencode._fingerprint(code) == gencode._MIRRORED
    assert gencode._SUPPORTED is mirrored
    changed = code.replace(co_consts=tuple(c + " " if isinstance(c, str) else c for c in code.co_consts))
    assert gencode._fingerprint(changed) != gencode._fingerprint(code)
    assert gencode._fingerprint(code) == gencode._fingerprint(code.replace())  # stable for the same code
