"""Stored regular expressions (expcheck.patterncode, issue 19): the same patterns as a fresh compile, off when any guard fails."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from expcheck import patterncode

pytestmark = pytest.mark.skipif(not patterncode._SUPPORTED, reason="the store is used only on CPython 3.11.7's re")

SAMPLES = [
    "",
    "a",
    "abc def",
    "key: value # note",
    "torch==2.1.0; python_version >= '3.9'",
    "x = 1.5e-3\n  y: [1, 2]\n",
    "C:\\path\\file.py:12",
    "\x00\x85\u2028é",
    "Could not find 'train/model'",
    "${oc.env:HOME} ${a.b}",
]


def _patterns_compiled_by_preload(tmp_path: Path) -> dict[patterncode.Key, patterncode.Parts]:
    """The table a fresh process stores after importing and preloading, as ``python -m expcheck.gencode`` does."""
    path = tmp_path / "regex-code.marshal"
    script = (
        "import sys; from pathlib import Path; from expcheck.patterncode import stored_patterns\n"
        f"with stored_patterns(write=True, path=Path({str(path)!r})):\n"
        "    from expcheck.batch import preload; preload()\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    table = patterncode._load(path, patterncode._FORMAT + patterncode.environment())
    assert len(table) > 100  # PyYAML's, packaging's, Hydra's, expcheck's own
    return table


def _same_behaviour(stored: re.Pattern, fresh: re.Pattern) -> None:
    assert stored == fresh  # flags, text and the engine's code, word for word
    assert (stored.pattern, stored.flags, stored.groups, stored.groupindex) == (
        fresh.pattern,
        fresh.flags,
        fresh.groups,
        fresh.groupindex,
    )
    for sample in SAMPLES:
        text = sample.encode("utf-8", "replace") if isinstance(fresh.pattern, bytes) else sample
        for method in ("match", "search", "fullmatch"):
            got, want = getattr(stored, method)(text), getattr(fresh, method)(text)
            assert (got and (got.span(), got.groups(), got.groupdict())) == (
                want and (want.span(), want.groups(), want.groupdict())
            )
        assert stored.findall(text) == fresh.findall(text)


def test_every_stored_pattern_is_the_pattern_compiled_afresh(tmp_path: Path) -> None:
    table = _patterns_compiled_by_preload(tmp_path)
    for (is_bytes, text, flags), (final_flags, code, groups, groupindex, indexgroup) in table.items():
        assert isinstance(text, bytes) == is_bytes
        stored = patterncode._sre.compile(text, final_flags, code, groups, groupindex, indexgroup)
        fresh = re._compiler.compile(text, flags)
        _same_behaviour(stored, fresh)


def _table_file(tmp_path: Path, patterns: list[tuple[str, int]]) -> Path:
    path = tmp_path / "regex-code.marshal"
    table = {(False, text, int(flags)): patterncode._parts(text, flags) for text, flags in patterns}
    patterncode._store(path, patterncode._FORMAT + patterncode.environment(), table)
    return path


def _parses_inside(path: Path, text: str, flags: int, monkeypatch: pytest.MonkeyPatch) -> tuple[re.Pattern, int]:
    """The pattern compiled inside a block reading ``path``, and how often the parser ran for it."""
    calls = []
    # Counting the parser's calls changes re._parser, so the environment is taken before.
    environment = patterncode.environment()
    monkeypatch.setattr(patterncode, "environment", lambda: environment)
    parse = re._parser.parse
    monkeypatch.setattr(re._parser, "parse", lambda *a: calls.append(a) or parse(*a))
    monkeypatch.setattr(patterncode, "_TABLES", {})
    re.purge()
    with patterncode.stored_patterns(write=False, path=path):
        compiled = re.compile(text, flags)
    re.purge()
    return compiled, len(calls)


def test_a_stored_pattern_is_built_without_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = r"(?P<name>[A-Za-z_]\w*)\s*=\s*(\d+(?:\.\d*)?)"
    path = _table_file(tmp_path, [(text, re.MULTILINE)])
    compiled, parses = _parses_inside(path, text, re.MULTILINE, monkeypatch)
    assert parses == 0
    _same_behaviour(compiled, re._compiler.compile(text, re.MULTILINE))
    # Another flag is another pattern: compiled as usual.
    compiled, parses = _parses_inside(path, text, re.IGNORECASE, monkeypatch)
    assert parses == 1 and compiled.flags & re.IGNORECASE


def test_a_file_from_another_interpreter_or_re_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = r"a(b+)c"
    path = _table_file(tmp_path, [(text, 0)])
    # Any change of what the parts depend on (here the interpreter's version text) changes the header.
    monkeypatch.setattr(patterncode.sys, "version", sys.version + " (another build)")
    _, parses = _parses_inside(path, text, 0, monkeypatch)
    assert parses == 1


def test_a_changed_re_implementation_changes_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    before = patterncode.environment()
    monkeypatch.setattr(re._parser, "MAXGROUPS", re._parser.MAXGROUPS - 1)
    assert patterncode.environment() != before


def test_only_the_mirrored_compile_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    assert patterncode._mirrors_compile()

    def compile(p: object, flags: int = 0) -> None:  # another implementation of the same name
        return None

    monkeypatch.setattr(re._compiler, "compile", compile)
    assert not patterncode._mirrors_compile()


def test_errors_and_warnings_are_those_of_a_normal_compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "regex-code.marshal"
    monkeypatch.setattr(patterncode, "_TABLES", {})
    re.purge()
    with patterncode.stored_patterns(write=True, path=path):
        with pytest.raises(re.error):
            re.compile("(unclosed")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            re.compile("[[a]")
        re.compile("plain")
    assert [w.category for w in caught] == [FutureWarning]
    stored = patterncode._load(path, patterncode._FORMAT + patterncode.environment())
    # The warning pattern is not stored, so the next process warns too.
    assert set(stored) == {(False, "plain", 0)}
    re.purge()


def test_a_flag_object_from_a_direct_caller_is_compiled_as_usual(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "regex-code.marshal"
    monkeypatch.setattr(patterncode, "_TABLES", {})
    with patterncode.stored_patterns(write=True, path=path):
        direct = re._compiler.compile("a+b", re.IGNORECASE)  # not through re.compile: flags stay a RegexFlag
        re.purge()
        plain = re.compile("c+d")
    assert direct.match("AAB") and plain.match("ccd")
    stored = patterncode._load(path, patterncode._FORMAT + patterncode.environment())
    assert set(stored) == {(False, "c+d", 0)}
    re.purge()
