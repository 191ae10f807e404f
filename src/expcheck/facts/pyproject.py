"""Facts about pyproject.toml: the parsed document (tomllib) and where each part stands in the text.

tomllib gives values without positions, so positions come from a scan of the text that only
locates what the parse already established.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from expcheck.limits import MAX_TOML_NESTING, long_integer_at, toml_depth
from expcheck.submission import SourceFile

_TOML_ERROR_POS = re.compile(r"\(at line (?P<line>\d+), column (?P<col>\d+)\)")
_TOML_AT_END = "(at end of document)"
_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*(?P<key>[A-Za-z0-9_\-."']+)\s*=""")


@dataclass(frozen=True)
class TomlProblem:
    line: int
    column: int
    message: str


def _header_name(raw: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in raw.split("."))


class PyprojectFacts:
    def __init__(self, file: SourceFile) -> None:
        self.file = file
        self.doc: dict[str, Any] | None = None
        self.problem: TomlProblem | None = None
        # Each level of nesting opens with its own "[" or "{": with no more of them than the limit, no scan.
        within = file.text.count("[") + file.text.count("{") <= MAX_TOML_NESTING
        depth, line, column = (0, 1, 1) if within else toml_depth(file.text)
        if depth > MAX_TOML_NESTING:
            # tomllib would recurse once per level (and fail near 300); uv refuses past its own limit.
            self.problem = TomlProblem(
                line=line,
                column=column,
                message=f"arrays or inline tables nested {depth} deep; uv's TOML parser refuses more than "
                f"{MAX_TOML_NESTING} levels (cannot recurse further)",
            )
            return
        try:
            self.doc = tomllib.loads(file.text)
        except tomllib.TOMLDecodeError as exc:
            text = str(exc)
            match = _TOML_ERROR_POS.search(text)
            line = int(match.group("line")) if match else 1
            col = int(match.group("col")) if match else 1
            if match is None and _TOML_AT_END in text:
                # The parser ran off the document (an unclosed array, table or string): the
                # defect is open at the last line that holds anything, not at line 1.
                filled = [n for n, raw in enumerate(file.lines, start=1) if raw.strip()]
                line = filled[-1] if filled else 1
                col = len(file.lines[line - 1]) + 1 if filled else 1
            line = min(max(line, 1), max(len(file.lines), 1))
            self.problem = TomlProblem(line=line, column=max(col, 1), message=_TOML_ERROR_POS.sub("", text).strip())
        except ValueError:  # outside TOMLDecodeError: a decimal integer longer than Python's int() converts
            at = long_integer_at(file.text, underscores=True)
            if at is None:
                raise
            line = file.text.count("\n", 0, at) + 1
            self.problem = TomlProblem(
                line=line,
                column=at - (file.text.rfind("\n", 0, at) + 1) + 1,
                message=f"an integer longer than Python reads ({sys.get_int_max_str_digits()} digits); uv's TOML "
                "parser refuses any integer past 64 bits",
            )

    @cached_property
    def _tables(self) -> list[tuple[int, str]]:
        """(line, table name) for every header, in order; line 0 stands for the root table."""
        found = [(0, "")]
        for number, line in enumerate(self.file.lines, start=1):
            match = _TABLE_HEADER.match(line)
            if match and not line.lstrip().startswith("#"):
                found.append((number, _header_name(match.group("name"))))
        return found

    def table_line(self, name: str) -> int | None:
        """The line of ``[name]``, or of the first ``[name.sub]`` header when the table is implied."""
        for number, table in self._tables:
            if table == name and number:
                return number
        for number, table in self._tables:
            if table.startswith(name + ".") and number:
                return number
        return None

    def key_line(self, table: str, key: str) -> int | None:
        """The line where ``key`` is assigned inside ``[table]`` (or as ``table.key = `` at the root)."""
        bounds = [*self._tables, (len(self.file.lines) + 1, None)]
        for i, (start, name) in enumerate(self._tables):
            end = bounds[i + 1][0]
            if name == table:
                wanted = {key}
            elif name == "" and table:
                wanted = {f"{table}.{key}"}
            else:
                continue
            for number in range(start + 1, end):
                match = _KEY.match(self.file.line(number))
                if match and _header_name(match.group("key")) in wanted:
                    return number
        return None

    def string_line(self, value: str, after: int = 0) -> int | None:
        """The first line after ``after`` that holds ``value`` as a quoted string."""
        quoted = (f'"{value}"', f"'{value}'")
        for number in range(after + 1, len(self.file.lines) + 1):
            text = self.file.line(number)
            if any(q in text for q in quoted):
                return number
        return None
