"""The code of a syntax-tree node written back as text: ``ast.unparse``, and what it refuses.

Facts read written-back code to search it (``"'trial'" in test``) and to quote it in messages. On
Python 3.11 ``ast.unparse`` raises ``ValueError`` on some trees that Python parses and runs:

* an f-string whose expression part holds a string (or bytes) with a character unparse escapes
  (a control character, a no-break space, a zero-width space, written raw in the source):
  ``f"{'<U+0001>'}"``; unparse writes ``'\\x01'`` and 3.11 allows no backslash there, so it gives up
  ("Unable to avoid backslash in f-string expression part"); the same for a nested f-string or a
  nested format spec holding such a character (``f"{f'{x}<U+0001>'}"``, ``f"{x:{'<U+0001>'}}"``);
* an integer literal written in hexadecimal, octal or binary whose decimal form passes Python's
  limit on integer-to-text conversion (4300 digits by default): unparse writes ints in decimal
  (``repr`` of such an int raises too: :func:`constant_text` is ``repr`` for a constant's value).

A fact that let that error escape would fail the check with an internal error (X001: not ready) for
code that runs. :func:`source_text` answers what ``ast.unparse`` answers whenever it can, and
otherwise writes the node itself, only the refused parts by hand, the way Python 3.12's unparse
writes them (an f-string's expression parts as plain unparsed code, escapes included; a huge int in
hexadecimal): the same code, so searches over the text answer as they do for the same code without
the refused character, and nothing needs the module's text or positions.
"""

from __future__ import annotations

import ast
import copy

# Quotes an f-string may be written with, in the order ast.unparse prefers them.
_QUOTES = ("'", '"', '"""', "'''")


def source_text(node: ast.AST) -> str:
    """``ast.unparse(node)``; where Python refuses to write ``node`` back (see the module docstring),
    the same code with the refused f-strings and integers written by hand. A refusal of another kind
    still raises: the fact then fails (X001) rather than answer from a text that is not the code."""
    try:
        return ast.unparse(node)
    except ValueError:
        return _written_by_hand(node)


def constant_text(value: object) -> str:
    """``repr(value)`` of a constant of the code; an integer whose decimal form passes Python's conversion
    limit (``repr`` raises ``ValueError``) in hexadecimal, as :func:`source_text` writes it."""
    try:
        return repr(value)
    except ValueError:
        return hex(value)  # type: ignore[arg-type]  # only an int's repr raises


def _written_by_hand(node: ast.AST) -> str:
    """``node`` unparsed with every outermost f-string and every integer that cannot be written in decimal
    turned into a name spelling it (a name is written as it is, never checked), on a copy: the tree
    belongs to the facts. An f-string unparse can write on its own keeps unparse's text."""
    return ast.unparse(_Spelled().visit(copy.deepcopy(node)))


class _Spelled(ast.NodeTransformer):
    """Replaces the nodes ``ast.unparse`` may refuse by names that hold their written form."""

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        # Unparsed on its own, an f-string is no longer inside another one's expression part: unparse
        # refuses it only when its own expression parts need a backslash.
        try:
            written = ast.unparse(node)
        except ValueError:
            written = _fstring(node)
        return ast.Name(id=written, ctx=ast.Load())

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        if type(node.value) is int:
            try:
                repr(node.value)
            except ValueError:  # past the decimal conversion limit
                return ast.Name(id=hex(node.value), ctx=ast.Load())
        return node


def _fstring(node: ast.JoinedStr) -> str:
    """The f-string written out: its literal parts escaped as in any string literal (braces doubled),
    each expression part between braces as :func:`source_text` writes it, quoted with the first quote
    its text does not hold (a triple quote when it holds a line break)."""
    body = _fstring_body(node)
    usable = [q for q in _QUOTES if q not in body and (len(q) == 3 or "\n" not in body)]
    quote = usable[0] if usable else "'''"
    return f"f{quote}{body}{quote}"


def _fstring_body(node: ast.JoinedStr) -> str:
    """What stands between the quotes of an f-string (or after the colon of a format spec)."""
    parts = []
    for value in node.values:
        if isinstance(value, ast.FormattedValue):
            parts.append(_replacement_field(value))
        elif isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(_escaped(value.value.replace("{", "{{").replace("}", "}}")))
    return "".join(parts)


def _replacement_field(node: ast.FormattedValue) -> str:
    """``{expression!conversion:spec}``: the expression written as code on its own (parenthesised where
    unparse parenthesises it inside an f-string), a space after ``{`` when it opens with a brace."""
    inner = source_text(node.value)
    if isinstance(node.value, ast.Lambda | ast.IfExp):
        inner = f"({inner})"
    if inner.startswith("{"):
        inner = " " + inner
    conversion = f"!{chr(node.conversion)}" if node.conversion != -1 else ""
    spec = f":{_fstring_body(node.format_spec)}" if isinstance(node.format_spec, ast.JoinedStr) else ""
    return "{" + inner + conversion + spec + "}"


def _escaped(text: str) -> str:
    """``text`` as a string literal writes it: backslashes and unprintable characters escaped."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(c.encode("unicode_escape").decode("ascii") if c == "\\" or not c.isprintable() else c for c in text)
