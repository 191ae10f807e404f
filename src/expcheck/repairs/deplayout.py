"""Where R203's repair puts `dependencies = [...]`, worked out from the lines of pyproject.toml.

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

Only a layout this module reads completely is answered; anything else (a table header inside a string
or an array, quoted or dotted keys in the table, a value over several lines, out-of-order ``[project.*]``
tables, carriage returns, an empty comment) is None, and the repair falls back to tomlkit. The layout is
proven against tomlkit's own output by tests/test_repairs_fast.py; the repair also checks that the new
text parses to exactly the data it means (see repairs/pyproject.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_HEADER_START = re.compile(r"^[ \t]*\[", re.M)  # any line that may open a table (or sits inside an array)
_PROJECT = re.compile(r"\[project\][ \t]*(?:#[^\n]*)?")
_DEPENDENCIES = re.compile(r"\[project\.dependencies\][ \t]*(?:#[^\n]*)?")
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


def _is_project_table(line: str) -> bool:
    """Whether a header line names [project] or a table under it (or is an array of tables that may)."""
    name = _header_name(line)
    if name is None:
        return "project" in line  # [[project...]] or an unreadable header: not a plain layout
    return name == "project" or name.startswith("project.")


def _comment_text(raw: str) -> str:
    """A comment's text as the repair carries it: without the comment signs and the spaces around it."""
    return raw.lstrip("#").strip()


def _entry_comment(line: str, value_at: int) -> str | None:
    """The text of the comment after a one-line value starting at ``value_at`` ("" for none), or None
    when the value is not complete on this line (an open string, array or inline table)."""
    if '"""' in line or "'''" in line:
        return None
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


def _line_starts(text: str) -> list[int]:
    """Offset of each line's first character (lines end with a line feed only)."""
    starts = [0]
    at = text.find("\n")
    while at != -1:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def locate(text: str) -> DependencyTable | None:
    """The ``[project.dependencies]`` table of ``text`` when its layout is the plain one (see the module
    docstring), else None."""
    if "\r" in text:
        return None  # tomlkit keeps each line's own ending; only line feeds are laid out here
    headers = [m.start() for m in _HEADER_START.finditer(text)]
    lines = [text[at:end] if (end := text.find("\n", at)) != -1 else text[at:] for at in headers]
    project = [i for i, line in enumerate(lines) if _is_project_table(line)]
    # [project], then [project.dependencies], then other [project.*] tables only, all in one run.
    if (
        len(project) < 2
        or project != list(range(project[0], project[0] + len(project)))
        or not _PROJECT.fullmatch(lines[project[0]])
        or not _DEPENDENCIES.fullmatch(lines[project[1]])
        or any(_header_name(lines[i]) in (None, "project", "project.dependencies") for i in project[2:])
        or any(str(_header_name(lines[i])).startswith("project.dependencies.") for i in project[2:])
    ):
        return None
    table_at = project[1]
    start = headers[table_at]
    end = headers[table_at + 1] if table_at + 1 < len(headers) else len(text)
    body: list[BodyLine] = []
    for line in text[start:end].split("\n")[1:]:
        read = _body_line(line)
        if read is None:
            return None
        if isinstance(read, BodyLine):
            body.append(read)
    return DependencyTable(_insert_at(text, headers[project[0]], start), start, end, tuple(body))


def _insert_at(text: str, project_at: int, table_at: int) -> int:
    """The offset after the last line between [project]'s header and the table's that is not blank
    (after the header itself when all of them are)."""
    starts = [project_at + offset for offset in _line_starts(text[project_at:table_at])]
    for line_start in reversed(starts[:-1]):
        line_end = text.index("\n", line_start)
        if not _BLANK.fullmatch(text, line_start, line_end):
            return line_end + 1
    raise AssertionError("unreachable: the [project] header line is not blank")


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
