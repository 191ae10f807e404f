"""Whether a point of a Python file lies in a comment or a string literal, mostly without tokenizing it.

``PyModule.in_comment_or_string`` answers from the file's full token list: exact, but tokenizing a
whole file in pure Python costs more than everything else the marker rules (C101, C105) do, and they
ask about a handful of points per check. Most such points can be proven to lie in a comment or a
string from the point's own line or from the syntax tree; this module answers those at once and asks
the token list only about the rest, so the answer is always the one the token list gives. Nothing is
imported or executed.

Both shortcuts only ever answer True, and only where the token list answers True: the point lies
inside a COMMENT or STRING token, or tokenizing the file fails (which ``in_comment_or_string`` also
answers with True: it cannot tell code from prose then).
"""

from __future__ import annotations

import ast

from expcheck.facts.python import PyModule

# Characters that can stand between the pieces of an implicitly concatenated string (``"a" "b"``),
# whose syntax-tree node spans the gap: a point on one of them may lie outside every token.
_GAP_CHARACTERS = frozenset(" \t\f\v\\")


def in_comment_or_string(module: PyModule, offset: int) -> bool:
    """What ``module.in_comment_or_string`` answers for the character at ``offset`` of the module's text,
    tokenizing the file only when neither shortcut below proves the answer True."""
    text = module.file.text
    line_start = text.rfind("\n", 0, offset) + 1
    line = text.count("\n", 0, offset) + 1
    if (module.tree is not None and _in_comment_line(text, line_start, offset)) or _in_string_node(
        module, text, line, line_start, offset
    ):
        return True
    return module.in_comment_or_string(line, offset - line_start)


def _in_comment_line(text: str, line_start: int, point: int) -> bool:
    """Whether a ``#`` before the point on its line, with no quote and no carriage return from the line's
    start through the point, proves the point to lie in a comment or a string.

    No string can open or close on the line before the point, so the line is either inside a string
    (triple-quoted, or a backslash-continued one) all the way to the point, or outside strings there,
    where the tokenizer reads the ``#`` as a comment running to the end of the line. A line continuing a
    backslash-continued single-quoted string that does not end with a backslash itself is skipped whole
    by the tokenizer (one error token, no comment): a line after a trailing backslash is not judged here.
    A carriage return may end a comment or make the tokenizer skip the line as blank: not judged either.
    Only used for a file that parses: on one that does not, Python's tokenizer can lose track of strings
    (after an unclosed backslash-continued string it cuts the next triple-quoted string short), and the
    tokenizer's answer, not what the line shows, is what the check reports.
    """
    segment = text[line_start : point + 1]
    if point >= len(text) or text[point] == "\n":
        return False  # the newline ending a comment is not part of it
    if "#" not in segment or "'" in segment or '"' in segment or "\r" in segment:
        return False
    return not (text.endswith("\\\n", 0, line_start) or text.endswith("\\\r\n", 0, line_start))


def _in_string_node(module: PyModule, text: str, line: int, line_start: int, point: int) -> bool:
    """Whether the point lies in a string or bytes literal of the syntax tree (f-strings aside).

    A literal's node spans its tokens; for implicitly concatenated pieces it also spans what stands
    between them: whitespace, backslash continuations and comments. A point on any other character
    of the span therefore lies in a STRING or COMMENT token. The tree's columns are UTF-8 byte offsets
    and its lines also end at a lone carriage return: a text holding one, or a byte-order mark, is not
    judged here. F-strings are left to the tokenizer, whose tokens for them differ between versions.
    """
    tree = module.tree
    if tree is None or point >= len(text) or text[point] in _GAP_CHARACTERS or text[point] == "\n":
        return False
    if "\r" in text or text.startswith("\ufeff"):
        return False
    try:
        byte_column = len(text[line_start:point].encode("utf-8"))
    except UnicodeEncodeError:
        return False
    spot = (line, byte_column)
    statement = _deepest_statement(module, line)
    return statement is not None and any(
        (node.lineno, node.col_offset) <= spot < (node.end_lineno, node.end_col_offset)  # type: ignore[operator]
        for node in _literals(statement)
    )


def _deepest_statement(module: PyModule, line: int) -> ast.stmt | None:
    """The innermost statement whose lines hold ``line``: the last such one in source order."""
    found = None
    for statement in module.statements:
        if statement.lineno <= line <= (statement.end_lineno or statement.lineno):
            found = statement
        elif statement.lineno > line:
            break
    return found


def _literals(node: ast.AST) -> list[ast.Constant]:
    """The str and bytes constants within ``node``, not descending into f-strings."""
    found: list[ast.Constant] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is ast.JoinedStr:
            continue
        if type(current) is ast.Constant:
            if isinstance(current.value, (str, bytes)):
                found.append(current)
            continue
        stack.extend(ast.iter_child_nodes(current))
    return found
