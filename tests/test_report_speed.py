"""The quicker readers of the report branch (issue 19) give exactly what the slower ones gave."""

from __future__ import annotations

import re

import pytest

from expcheck.facts import _load_yaml
from expcheck.inputs.trace import _OUTPUT, _last_line_match, _line_matches
from expcheck.limits import MAX_NESTING, _plainly_within, yaml_limit
from expcheck.paths import normalise
from expcheck.repairs import line_offsets
from expcheck.submission import split_lines
from yaml_reference import assert_loads_as_pyyaml

DOCUMENTS = [
    "a: 1\nb: [x, 2.5, true, null, ~]\nc: {d: e}\n",
    "lr: 1e-3\nwd: 1.0e-4\nn: 1_000\nh: 0x1F\no: 0o17\ninf: .inf\nnan: .nan\nyes: Yes\n",
    "when: 2023-01-01\nat: 2023-01-01 10:00:00\n",
    "blob: !!binary aGVsbG8=\n",
    "base: &b {x: 1, y: [1, 2]}\nuse: *b\nalso: *b\n",
    "<<: {a: 1}\nb: 2\n",
    "base: &b {a: 1}\nchild:\n  <<: *b\n  c: 2\n",
    "=: 1\n",
    "s: !!set {x, y}\n",
    "o: !!omap [a: 1, b: 2]\n",
    "? [1, 2]\n: 3\n",
    "? {a: 1}\n: 3\n",
    "a: &a [*a]\n",
    "a: 1\na: 2\n",
    "a: !!str 1\nb: !!int '3'\nc: !!float '1'\n",
    "a: !custom 1\n",
    "a: b\n---\nc: d\n",
    "",
    "# only a comment\n",
    "- 1\n- - 2\n  - {x: [y]}\n",
    "a: [1, 2\n",
    "a:\n  b: c\n d: e\n",
    "k: !!int x\n",
    "1: one\n2.5: two\nnull: three\ntrue: four\n",
    "a: 'quoted'\nb: \"1e-3\"\nc: |\n  block\n  text\n",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_yaml_load_is_pyyamls(text: str) -> None:
    assert_loads_as_pyyaml(text)


def test_yaml_node_kept_only_when_untouched() -> None:
    data, node = _load_yaml("a: {b: 1e-3}\n")
    assert data == {"a": {"b": "1e-3"}}
    assert node is not None and node.value[0][1].value[0][1].value == "1e-3"
    # PyYAML's constructor rewrites merge keys in the nodes: no tree is kept for those.
    assert _load_yaml("base: &b {a: 1}\nchild:\n  <<: *b\n")[1] is None
    assert _load_yaml("") == (None, None)


def _deep(depth: int, alias: bool) -> str:
    text = "a: &x [1]\n" if alias else ""
    return text + "b: " + "[" * depth + ("*x" if alias else "1") + "]" * depth + "\n"


@pytest.mark.parametrize("alias", [False, True])
@pytest.mark.parametrize("depth", [MAX_NESTING - 2, MAX_NESTING + 5])
def test_yaml_limit_same_with_or_without_aliases(depth: int, alias: bool) -> None:
    problem = yaml_limit(_deep(depth, alias))
    if depth > MAX_NESTING:
        assert problem is not None and "nested more than" in problem.message
    else:
        assert problem is None


def test_plainly_within_takes_utf8_text_but_not_surrogates() -> None:
    assert _plainly_within("name: café\n")
    assert not _plainly_within("name: \ud800\n")
    assert yaml_limit("name: \ud800\n") is not None


@pytest.mark.parametrize(
    "text",
    ["Output:", "Output:\nx", "a\nOutput:  \nb\nOutput: x\n", "Output: y\nOutput:\n", "\nOutput:", "xOutput:\nOutput:\t\n", ""],
)
def test_last_output_line_is_the_last_of_all(text: str) -> None:
    every = _line_matches(_OUTPUT, text, "Output:")
    last = _last_line_match(_OUTPUT, text, "Output:")
    assert (last.span() if last else None) == (every[-1].span() if every else None)


def test_line_matches_finds_every_line_start() -> None:
    heading = re.compile(r"^# (?P<t>[^\n]*)$", re.M)
    text = "# a\nx # b\n# c\n\n#d\n# e"
    assert [m.group("t") for m in _line_matches(heading, text, "# ")] == ["a", "c", "e"]


@pytest.mark.parametrize("name", ["a/b", "./a//b/", "..", "a\\b", ".", "x/./y", "é/ü.py"])
def test_normalise_as_purepath(name: str) -> None:
    from pathlib import PurePosixPath

    assert normalise(name) == str(PurePosixPath(*[p for p in re.split(r"[\\/]", name) if p not in ("", ".")]))


_BREAKS = {"a.py": "\r\n?|\n", "a.yaml": "\r\n?|[\n\x85\u2028\u2029]", "a.toml": "\r?\n"}


@pytest.mark.parametrize("path", sorted(_BREAKS))
@pytest.mark.parametrize("text", ["", "a", "a\n", "\n\n", "ab\ncd\n\nx", "\r\n\x85\u2028z\n", "a\rb\rc", "é\u2028x\n"])
def test_line_offsets_as_regex(text: str, path: str) -> None:
    """Each line's start as the file's parser counts lines: the same lines ``SourceFile.lines`` holds."""
    from expcheck.submission import SourceFile

    file = SourceFile(path, text)
    offsets = line_offsets(file)
    assert offsets == [0, *(m.end() for m in re.finditer(_BREAKS[path], text))]
    assert all(text.startswith(line, start) for start, line in zip(offsets, file.lines, strict=False))


def test_yaml_only_breaks_still_split() -> None:
    assert split_lines("a: 1\x85b: 2\n", "c.yaml") == ["a: 1", "b: 2"]
    assert split_lines("a\u2028b\n", "c.py") == ["a\u2028b"]
    assert split_lines("a: é\nb: 2\n", "c.yaml") == ["a: é", "b: 2"]
