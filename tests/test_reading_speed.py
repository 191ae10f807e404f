"""Reading a bundle or trace measures each file once, and leaves unread what no check reads.

``source_file`` keeps the UTF-8 size it measured (the readers' limits ask for it again), and a trace's
reference bundle is decoded when the trace is read (so a hostile one is refused there) but its files
are made only when asked for.
"""

from __future__ import annotations

import json

import pytest

from expcheck.errors import InputError
from expcheck.inputs.bundle import files_from_bundle, source_file
from expcheck.inputs.limits import MAX_JUDGED_FILE_BYTES, limit_judged
from expcheck.inputs.trace import submission_from_trace
from expcheck.limits import MAX_NESTING
from expcheck.submission import SourceFile


@pytest.mark.parametrize(
    "path, text",
    [
        ("src/a.py", "x = 1\n"),
        ("src/a.py", "name = 'naïve — ünïcode'\n"),
        ("src/a.py", "\ufeffx = 'é'\n"),  # the mark is dropped: the size is the kept text's
        ("config/c.yaml", "a: 'é'\r\nb: 2\r\n"),  # CRLF read as LF: the size is the kept text's
        ("pyproject.toml", "\ufeff[project]\nname = 'é'\n"),  # TOML keeps its mark
        ("src/b.py", "emoji = '😀'\n"),
    ],
)
def test_the_size_kept_is_the_kept_texts_size_in_utf8(path: str, text: str) -> None:
    file = source_file(path, text)
    assert file.unreadable is None
    assert file.size == len(file.text.encode("utf-8"))
    assert file.size == SourceFile(path, file.text).size  # what the property measures without the reader


def test_nul_bytes_make_a_non_ascii_file_unreadable() -> None:
    file = source_file("src/a.py", "x = 'é'\x00\n")
    assert file.text == "" and file.unreadable == "binary data (NUL bytes)"


def test_nul_bytes_are_named_before_a_lone_surrogate() -> None:
    file = source_file("src/a.py", "x = '\ud800'\x00\n")
    assert file.unreadable == "binary data (NUL bytes)"


def test_a_lone_surrogate_is_named_where_it_stands() -> None:
    file = source_file("src/a.py", "\ufeffx = '\ud800'\n")
    assert file.text == ""
    assert file.unreadable == "not encodable as UTF-8 (a lone surrogate at character 6)"


def test_the_file_limit_counts_bytes_not_characters() -> None:
    text = "# " + "é" * (MAX_JUDGED_FILE_BYTES // 2) + "\n"  # fewer characters than the limit, more bytes
    assert len(text) < MAX_JUDGED_FILE_BYTES
    files = {"src/a.py": source_file("src/a.py", text)}
    limit_judged(files)
    assert files["src/a.py"].unreadable is not None and "more than the" in files["src/a.py"].unreadable


def _trace(base: str, code: dict[str, str]) -> str:
    return (
        "Input:\n# Instructions\nCheck the code.\n"
        f"# Base Code (Reference Foundation)\n{base}\n"
        f"# Current Experiment (To be validated)\n{json.dumps(code)}\n"
        'Output:\n{"is_code_ready": true, "code_issue": ""}\n'
    )


def test_the_reference_files_are_made_when_asked_for() -> None:
    base = {"train_py": "print('base')\n", "config_yaml": "a: 1\n"}
    sub = submission_from_trace(_trace(json.dumps(base), {"train_py": "print('new')\n"}), "t")
    assert sub.base_bundle == base
    assert "base_files" not in sub.__dict__  # not made while reading
    assert sub.base_files == files_from_bundle(base)[0]
    assert sub.base_files is not None and sub.base_files["src/train.py"].text == "print('base')\n"


def test_a_trace_without_reference_code_has_no_reference_files() -> None:
    sub = submission_from_trace(_trace("no bundle here", {"train_py": "print('new')\n"}), "t")
    assert sub.base_bundle is None and sub.base_files is None


def test_a_reference_bundle_nested_too_deep_is_still_refused_when_read() -> None:
    deep = '{"train_py": "x", "meta": ' + "[" * (MAX_NESTING + 5) + "]" * (MAX_NESTING + 5) + "}"
    with pytest.raises(InputError, match="nested more than"):
        submission_from_trace(_trace(deep, {"train_py": "print('new')\n"}), "t")


@pytest.mark.parametrize(
    "section",
    [
        "- Run Variations: ['a', 'b']\n",
        "intro\n  \t- Run Variations: ['a']  \nrest",
        "text - Run Variations: ['mid-line, not a line start']\n- Run Variations: ['b']\n",
        "- Run Variations: not a list\n  - Run Variations: ['second']\n",
        "x- Run Variations: ['glued']\n",
        "- Run Variations: ['a'] - Run Variations: ['b']\n",
        "no variations here",
        "- Run Variations: ['unclosed'\n- Run Variations: []",
    ],
)
def test_the_variations_line_is_the_one_a_regex_search_finds(section: str) -> None:
    from expcheck.inputs.trace import _VARIATIONS, _indented_line_matches

    found = next(_indented_line_matches(_VARIATIONS, section, "- Run Variations:"), None)
    expected = _VARIATIONS.search(section)
    assert (found and (found.span(), found.group("list"))) == (expected and (expected.span(), expected.group("list")))


@pytest.mark.parametrize(
    "section",
    [
        "- Run ID: a\n  Method: m\n- Run ID: b\n",
        "  \t- Run ID: indented\ntext - Run ID: mid-line\n- Run ID: c - Run ID: same line\n",
        "x- Run ID: glued\n- Run ID:\n- Run ID:   spaced  \n",
        "no runs",
        "- Run ID: last without newline",
    ],
)
def test_the_run_lines_are_those_a_regex_finds(section: str) -> None:
    from expcheck.inputs.trace import _RUN_START, _indented_line_matches

    found = [(m.span(), m.group("id")) for m in _indented_line_matches(_RUN_START, section, "- Run ID:")]
    assert found == [(m.span(), m.group("id")) for m in _RUN_START.finditer(section)]
