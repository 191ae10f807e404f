"""Where R203's and R202's repairs put their new keys, worked out from the lines of pyproject.toml.

R203's repair (see repairs/pyproject.py) turns a ``[project.dependencies]`` table into a list inside
``[project]``. Written with tomlkit it costs about 2 ms a call: a second, pure-Python parse of the whole
file, table surgery and a re-serialisation, and the repair runs on every check that has the finding (to
mark it fixable), which is most of the corpus. For the plain layout this module finds the same places
in the text directly, so the repair can build the same new text without tomlkit:

- the table's header line and its body (every line up to the next table header) go, as tomlkit drops
  the whole table with its comments and trailing blank lines;
- the new keys go right after the last line of ``[project]`` that is not blank (tomlkit inserts after
  the last key or comment before the first sub-table, leaving the blank lines after what it inserts);
- the list is laid out as tomlkit's ``Array.add_line`` lays it out: one entry or comment a line,
  four spaces in, each entry followed by a comma and its comment.

R202's repair writes a new ``[project]`` from ``[tool.poetry.dependencies]``: it needs only that
table's lines (``poetry_dependencies``), read the same way.

Only a layout this module reads completely is answered; anything else (multi-line strings anywhere in
the file, keys with escapes or dots outside quotes, a value over several lines, out-of-order tables,
carriage returns, an empty comment) is None, and the repair falls back to tomlkit. The layout is proven
against tomlkit's own output by tests/test_repairs_fast.py; the repair also checks that the new text
parses to exactly the data it means (see repairs/pyproject.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_HEADER_START = re.compile(r"^[ \t]*\[", re.M)  # any line that may open a table (or sits inside an array)
_PROJECT = re.compile(r"\[project\][ \t]*(?:#[^\n]*)?")
_DEPENDENCIES = re.compile(r"\[project\.dependencies\][ \t]*(?:#[^\n]*)?")
_POETRY = re.compile(r"\[tool\.poetry\][ \t]*(?:#[^\n]*)?")
_POETRY_DEPENDENCIES = re.compile(r"\[tool\.poetry\.dependencies\][ \t]*(?:#[^\n]*)?")
_BLANK = re.compile(r"[ \t]*")
_COMMENT = re.compile(r"[ \t]*#([^\n]*)")
# A key of one part: bare, or quoted without escapes (a quoted key may hold dots: still one part).
_ENTRY = re.compile(r"""[ \t]*(?:([A-Za-z0-9_-]+)|"([A-Za-z0-9_.-]+)"|'([A-Za-z0-9_.-]+)')[ \t]*=[ \t]*""")
# One piece of a single-line value: a basic string, a literal string, or a run of anything else that is
# not a quote or a comment sign. A quote no piece matches opens a string the line does not close.
_VALUE_PIECE = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|[^"\'#\n]+')
# The characters tomlkit writes as they are inside a basic string (it escapes quotes, backslashes and
# control characters).
_PLAIN_STRING = re.compile(r'[^"\\\x00-\x1f\x7f]*')


@dataclass(frozen=True)
class BodyLine:
    """One line of the table's body that tomlkit carries into the list: an entry (``key`` and the text
    of its comment, if any) or a comment line (``key`` None)."""

    key: str | None
    comment: str | None


@dataclass(frozen=True)
class DependencyTable:
    """The ``[project.dependencies]`` table of a pyproject.toml text, located line by line.

    ``insert_at``: offset just after the last non-blank line of ``[project]`` above the table, where the
    new keys go; ``start``/``end``: the table's span, from its header to the next header or the end.
    """

    insert_at: int
    start: int
    end: int
    body: tuple[BodyLine, ...]

    @property
    def keys(self) -> list[str]:
        """The table's keys in the order written."""
        return [line.key for line in self.body if line.key is not None]


def _header_name(line: str) -> str | None:
    """The table name a header line opens, parts unquoted and joined by dots; None when the line opens an
    array of tables or is not a header at all (a line of an array, say)."""
    stripped = line.strip()
    if stripped.startswith("[["):
        return None
    match = re.match(r"\[([^\[\]]+)\]", stripped)
    if match is None:
        return None
    return ".".join(part.strip().strip("\"'") for part in match.group(1).split("."))


def _in_family(line: str, first: str) -> bool:
    """Whether a header line names the table ``first`` or one under it (or is an array of tables or an
    unreadable header that may)."""
    name = _header_name(line)
    if name is None:
        return first in line
    return name == first or name.startswith(first + ".")


def _comment_text(raw: str) -> str:
    """A comment's text as the repair carries it: without the comment signs and the spaces around it."""
    return raw.lstrip("#").strip()


def _entry_comment(line: str, value_at: int) -> str | None:
    """The text of the comment after a one-line value starting at ``value_at`` ("" for none), or None
    when the value is not complete on this line (an open string, array or inline table; the text has
    no multi-line strings, see _plain_lines)."""
    depth = 0
    at = value_at
    while at < len(line):
        if line[at] == "#":
            return _comment_text(line[at + 1 :]) if depth == 0 else None
        piece = _VALUE_PIECE.match(line, at)
        if piece is None:
            return None
        text = piece.group()
        if text[0] not in "\"'":
            depth += text.count("[") + text.count("{") - text.count("]") - text.count("}")
            if depth < 0:
                return None
        at = piece.end()
    return "" if depth == 0 else None


def _body_line(line: str) -> BodyLine | bool | None:
    """A body line: a BodyLine to carry, True for a blank line, None for anything this module does not read."""
    if _BLANK.fullmatch(line):
        return True
    comment = _COMMENT.fullmatch(line)
    if comment is not None:
        text = _comment_text(comment.group(1))
        return BodyLine(None, text) if text else None  # tomlkit lays an empty comment line out its own way
    entry = _ENTRY.match(line)
    if entry is None:
        return None
    after = _entry_comment(line, entry.end())
    if after is None or entry.end() == len(line):
        return None
    return BodyLine(entry.group(1) or entry.group(2) or entry.group(3), after or None)


def _headers(text: str) -> list[tuple[int, str]]:
    """(offset, line) of every line that may open a table: the line starts with a bracket."""
    found = []
    for match in _HEADER_START.finditer(text):
        at = match.start()
        end = text.find("\n", at)
        found.append((at, text[at:] if end == -1 else text[at:end]))
    return found


def _one_run(family: list[int]) -> bool:
    """Whether the header indices ``family`` follow each other with no other header between them."""
    return bool(family) and family == list(range(family[0], family[0] + len(family)))


def _body(text: str, headers: list[tuple[int, str]], index: int) -> tuple[int, tuple[BodyLine, ...]] | None:
    """The end of the table whose header is ``headers[index]`` (the next header, or the end of the text)
    and the lines of its body tomlkit carries; None when a line is not one of the plain kinds."""
    start = headers[index][0]
    end = headers[index + 1][0] if index + 1 < len(headers) else len(text)
    body: list[BodyLine] = []
    for line in text[start:end].split("\n")[1:]:
        read = _body_line(line)
        if read is None:
            return None
        if isinstance(read, BodyLine):
            body.append(read)
    return end, tuple(body)


def _plain_lines(text: str) -> bool:
    """Whether ``text`` can be read line by line here: no multi-line strings and no carriage returns.

    Without multi-line strings, a line that starts with a bracket is a table header or a line of an
    array, and an array's line never reads as ``[project]`` or ``[tool.poetry.dependencies]`` (bare
    words are no TOML values): a line of those exact forms is the table itself. (R202's repair removes
    nothing, so the re-read of its result would not notice a table header copied inside a string.)
    tomlkit keeps each line's own ending; only line feeds are laid out here.
    """
    return "\r" not in text and '"""' not in text and "'''" not in text


def locate(text: str) -> DependencyTable | None:
    """The ``[project.dependencies]`` table of ``text`` when its layout is the plain one (see the module
    docstring), else None."""
    if not _plain_lines(text):
        return None
    headers = _headers(text)
    project = [i for i, (_, line) in enumerate(headers) if _in_family(line, "project")]
    # [project], then [project.dependencies], then other [project.*] tables only, all in one run.
    if (
        len(project) < 2
        or not _one_run(project)
        or not _PROJECT.fullmatch(headers[project[0]][1])
        or not _DEPENDENCIES.fullmatch(headers[project[1]][1])
        or any(_nested_name(headers[i][1], "project.dependencies") for i in project[2:])
    ):
        return None
    body = _body(text, headers, project[1])
    if body is None:
        return None
    start = headers[project[1]][0]
    return DependencyTable(_after_last_filled_line(text, start), start, body[0], body[1])


def poetry_dependencies(text: str) -> tuple[BodyLine, ...] | None:
    """The body of the ``[tool.poetry.dependencies]`` table of ``text`` when its layout is the plain one:
    [tool.poetry] and [tool.poetry.dependencies] once each, in that order, in one run of [tool.*] tables
    (tomlkit reads a run broken by another table as out of order), no table under the dependencies."""
    if not _plain_lines(text):
        return None
    headers = _headers(text)
    tool = [i for i, (_, line) in enumerate(headers) if _in_family(line, "tool")]
    poetry = [i for i in tool if _POETRY.fullmatch(headers[i][1])]
    table = [i for i in tool if _POETRY_DEPENDENCIES.fullmatch(headers[i][1])]
    if (
        not _one_run(tool)
        or len(poetry) != 1
        or len(table) != 1
        or poetry[0] > table[0]
        or any(_nested_name(headers[i][1], "tool.poetry.dependencies") for i in tool if i not in (poetry[0], table[0]))
    ):
        return None
    body = _body(text, headers, table[0])
    return None if body is None else body[1]


def _nested_name(line: str, name: str) -> bool:
    """Whether a header line other than the two a layout is about names ``name`` again, its parent
    (``tool`` for ``tool.poetry.dependencies``: a header not to read), a table under it, or cannot be read."""
    found = _header_name(line)
    if found is None:
        return True
    parts = name.split(".")
    parents = {".".join(parts[:n]) for n in range(1, len(parts) + 1)}
    return found in parents or found.startswith(name + ".")


def _after_last_filled_line(text: str, header_at: int) -> int:
    """The offset just after the last line above ``header_at`` that is not blank (lines of spaces and
    tabs are blank, as tomlkit reads them)."""
    at = header_at
    while True:
        line_start = text.rfind("\n", 0, at - 1) + 1
        if not _BLANK.fullmatch(text, line_start, at - 1):
            return at
        at = line_start


def plain_string(text: str) -> bool:
    """Whether tomlkit writes ``text`` as a basic string without escaping anything."""
    return _PLAIN_STRING.fullmatch(text) is not None


def array_text(lines: Sequence[tuple[str | None, str | None]]) -> str:
    """A multi-line TOML array as tomlkit's ``add_line`` lays it out: each (requirement, comment) on its
    own line (a requirement None for a comment line), then the closing bracket on a line of its own."""
    out = ["["]
    for value, comment in lines:
        if value is None:
            out.append(f"\n    # {comment}")
        else:
            out.append(f'\n    "{value}",' + (f" # {comment}" if comment else ""))
    out.append("\n]")
    return "".join(out)


def rewrite(text: str, table: DependencyTable, keys: str) -> str:
    """``text`` with the table removed and ``keys`` (whole lines) inserted where tomlkit puts them."""
    new = text[: table.insert_at] + keys + text[table.insert_at : table.start] + text[table.end :]
    if new.endswith("\n\n") and not text.endswith("\n\n"):
        new = new.rstrip("\n") + "\n"  # as the tomlkit path: no blank line left at the end
    return new
