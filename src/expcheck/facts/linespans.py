"""Lines a name is written on, and whether a syntax subtree can hold a node on given lines.

A walk looking for the uses of a few names (an import alias, a thread target) needs only the subtrees
whose span covers a line where one of the names is written: every ``Name`` node lies on one line, and
every node's children lie within its span (a def's decorators above its own line included here).
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections.abc import Iterable

from expcheck.submission import SourceFile


def renames_identifiers(text: str) -> bool:
    """Whether ``text`` holds a non-ASCII identifier character: the parser reads the identifier ``ｍ`` as
    ``m``, so a name may be written otherwise than it reads."""
    return not text.isascii() and any(not char.isascii() and ("_" + char).isidentifier() for char in set(text))


def mention_lines(
    file: SourceFile, names: Iterable[str], first: int = 1, last: int | None = None, *, checked: bool = False
) -> list[int] | None:
    """The lines (1-based, as the parser counts them, sorted) from ``first`` to ``last`` where one of
    ``names`` is written as a word; None when a name may be written otherwise (``renames_identifiers``,
    already known false when ``checked``)."""
    wanted = sorted(set(names))
    text = file.text
    if not checked and renames_identifiers(text):
        return None
    if not wanted:
        return []
    part = first > 1 or last is not None
    if "\r" in text:  # the parser's line breaks: let the file cut them
        lines = file.lines[first - 1 : last] if part else file.lines
        pattern = _words_pattern(wanted)
        return [number for number, line in enumerate(lines, first) if pattern.search(line)]
    if part:
        text = "\n".join(file.lines[first - 1 : last])
    if all(name and _WORD_CHARS.issuperset(name) for name in wanted):  # names of ASCII word characters
        places = word_places(text, wanted)
    else:
        places = [match.start() for match in _words_pattern(wanted).finditer(text)]
    found: list[int] = []
    line, pos = first, 0
    for at in places:
        line += text.count("\n", pos, at)
        pos = at
        if not found or found[-1] != line:
            found.append(line)
    return found


def _words_pattern(names: list[str]) -> re.Pattern[str]:
    """Any of ``names`` as a whole word; ASCII word boundaries: an identifier here is ASCII (see above)."""
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b", re.ASCII)


# What ``\w`` matches with re.ASCII: a name of these only stands as a whole word in whole runs of them.
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def word_places(text: str, names: list[str]) -> list[int]:
    """Where, in order, ``text`` holds one of ``names`` (each of ASCII word characters) as a whole word: the
    starts of the matches of ``re.compile(r"\b(?:a|b)\b", re.ASCII).finditer(text)``, found by substring
    search, which is many times quicker than that regex (no literal prefix lets it skip ahead).

    Such a match is a whole run of ASCII word characters, so two of them never overlap and each place where a
    name stands between non-word characters (or the text's ends) is one of them.
    """
    places: list[int] = []
    size_of_text = len(text)
    for name in names:
        size = len(name)
        at = text.find(name)
        while at != -1:
            end = at + size
            if (at == 0 or text[at - 1] not in _WORD_CHARS) and (end == size_of_text or text[end] not in _WORD_CHARS):
                places.append(at)
                at = text.find(name, end)  # the next whole word starts past this one
            else:
                at = text.find(name, at + 1)
    places.sort()
    return places


def spans(node: ast.AST, lines: list[int] | None) -> bool:
    """Whether ``node`` (a def or class with its decorators) may hold a node on one of ``lines`` (sorted);
    True for a node without a position (``arguments``, ``comprehension``, ``withitem``, ``match_case``)
    and for any node when ``lines`` is None (unknown)."""
    start = getattr(node, "lineno", None)
    if start is None or lines is None:
        return True
    decorators = getattr(node, "decorator_list", None)
    if decorators:  # a decorated def starts at its first decorator, above its own line
        start = min(start, decorators[0].lineno)
    pos = bisect_left(lines, start)
    return pos < len(lines) and lines[pos] <= (getattr(node, "end_lineno", None) or start)
