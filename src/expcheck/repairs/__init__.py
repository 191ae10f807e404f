"""Deterministic repairs: the text edits a rule's repair proposes, and how they are applied.

A repair is declared by its rule (``repair=`` in the rule decorator): a pure function of the facts and
one finding that returns exact-span text edits, or none when the repair is not certainly right. The
edits never re-serialise a file: each replaces one span of the original text, so layout, quotes and
comments outside the span stay as they were. Tools that edit a document (tomlkit) are used to compute
the new text, and the edit is the smallest span where old and new differ.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from expcheck.findings import Finding
from expcheck.submission import SourceFile, line_starts


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` of the file at ``path`` by ``new`` (offsets into the file's text)."""

    path: str
    start: int
    end: int
    new: str

    def line(self, text: str) -> int:
        """The 1-based line where the edit starts."""
        return text.count("\n", 0, self.start) + 1


def replace_whole(path: str, old: str, new: str) -> list[Edit]:
    """The one edit turning ``old`` into ``new``: the span between their common prefix and suffix."""
    if old == new:
        return []
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return [Edit(path, start, end_old, new[start:end_new])]


def line_offsets(file: SourceFile) -> list[int]:
    """Offset of the first character of each line of ``file`` (index 0 is line 1), lines counted as its
    parser counts them (a lone carriage return ends a Python line), so that they agree with the line
    numbers of findings."""
    return line_starts(file.text, file.path)


def named_paths(finding: Finding, paths: Iterable[str]) -> set[str]:
    """The files a finding names: its own path, and submission paths its message cites as ``path:line``."""
    named = {finding.path}
    message = finding.message
    for path in paths:
        # The plain substring test first: most paths never occur in the message.
        if f"{path}:" in message and re.search(rf"(?<![\w./-]){re.escape(path)}:\d", message):
            named.add(path)
    return named


def apply_edits(text: str, edits: Sequence[Edit]) -> tuple[str, list[Edit]]:
    """``text`` with every edit applied that overlaps no earlier one (in offset order); the applied edits."""
    applied: list[Edit] = []
    last_end = -1
    for edit in sorted(dict.fromkeys(edits), key=lambda e: (e.start, e.end, e.new)):
        if edit.start < last_end or (edit.start == last_end and applied and applied[-1].start == edit.start):
            continue  # overlaps an edit already taken: left for the next round
        applied.append(edit)
        last_end = edit.end
    out: list[str] = []
    cursor = 0
    for edit in applied:
        out.append(text[cursor : edit.start])
        out.append(edit.new)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out), applied


def apply_to_files(files: Mapping[str, str], edits: Sequence[Edit]) -> tuple[dict[str, str], list[Edit]]:
    """The changed files' new texts and the edits applied."""
    by_path: dict[str, list[Edit]] = {}
    for edit in edits:
        by_path.setdefault(edit.path, []).append(edit)
    changed: dict[str, str] = {}
    applied: list[Edit] = []
    for path, group in sorted(by_path.items()):
        new, taken = apply_edits(files[path], group)
        applied.extend(taken)
        if new != files[path]:
            changed[path] = new
    return changed, applied
