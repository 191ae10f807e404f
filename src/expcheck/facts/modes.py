"""Where the code branches on the trial/full mode switch, and the source of each branch.

The trial branch is found from the code: statements under a condition on the profile's mode key
(``cfg.mode == "trial"``, ``if cfg.trial_mode:``), including through local flags such as
``trial = cfg.mode == "trial"``; a conditional expression counts with what it is assigned to.
"""

from __future__ import annotations

import ast
import keyword
import re

from expcheck.facts import Facts
from expcheck.facts.python import walk
from expcheck.facts.sourcetext import source_text

# One branch: the text written before each statement of it (``x = `` for a conditional expression
# assigned to x), the test (written first in the branch that runs when it holds) or None, the statements.
_Branch = tuple[str, ast.expr | None, list[ast.AST]]


class ModeBranches:
    """Where the mode is first tested, and the source of the code that runs only in trial mode and only in
    full mode. Both sources are written out (``source_text``, which writes back what ``ast.unparse`` refuses)
    here, inside the fact, even though the rules read at most one: should writing out ever fail, the failure
    belongs to this fact, so that every rule needing it reports it alike, not only the rules that read a source."""

    def __init__(self, switch: tuple[str, int] | None, trial: list[_Branch], full: list[_Branch]) -> None:
        self.switch = switch  # where the mode is first tested
        self.trial = _source(trial)  # the source of the code that runs only in trial mode
        self.full = _source(full)  # the source of the code that runs only in full mode


def _source(branches: list[_Branch]) -> str:
    """The branches written out, one statement a line: each branch's test, then its statements."""
    parts = []
    for lead, test, body in branches:
        written = [lead + source_text(s) for s in body]
        parts.append("\n".join([source_text(test), *written] if test is not None else written))
    return "\n".join(parts)


def _mentions_mode(test: ast.expr, key: str, flags: set[str]) -> bool:
    """A name, attribute or string of ``test`` is the mode key or a local flag holding it."""
    for node in walk(test):
        kind = type(node)
        if kind is ast.Name:
            word = node.id  # type: ignore[attr-defined]
        elif kind is ast.Attribute:
            word = node.attr  # type: ignore[attr-defined]
        elif kind is ast.Constant and isinstance(node.value, str):  # type: ignore[attr-defined]
            word = node.value  # type: ignore[attr-defined]
        else:
            continue
        if word == key or word in flags:
            return True
    return False


def _is_trial_test(test: ast.expr, key: str, flags: set[str]) -> bool | None:
    """True: the test holds in trial mode; False: it holds in full mode; None: not a mode test."""
    if not _mentions_mode(test, key, flags):
        return None
    text = source_text(test)
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    if "'full'" in text or '"full"' in text:
        return "!=" in text
    if "'trial'" in text or '"trial"' in text:
        return "!=" not in text and "not in" not in text
    return not negated  # a boolean flag: trial_mode / trial


def _may_write(lines: list[str], value: ast.expr, key: str) -> bool:
    """Whether ``source_text(value)`` may hold ``key`` (an ASCII identifier of two characters or more) as a
    word; False only when it cannot, judged without writing the source anew. (``source_text`` is unparse's
    text; where unparse refuses, the value holds a literal with an unprintable character, answered True
    below, or an integer it writes in hexadecimal, a number starting with a digit.)

    Unparse writes names, attributes, keywords and operators as the source writes them, numbers starting
    with a digit and string prefixes of one letter: when the value's lines are ASCII, hold no backslash and
    do not hold the key as a word, only a string or bytes literal can bring the key in. (Unparse separates
    tokens the source may write together only where a number meets a keyword, ``1if``: a key that is no
    keyword stands inside a longer word of the source as it does in the written text, ``mode`` in ``model``.)
    Unparse writes a literal from its value: its words are the value's words when every character of it is
    printable (no escapes); a literal with other characters, or with the key in its value (adjacent literals
    joined), may.
    """
    if len(key) < 2 or not key.isidentifier() or not key.isascii():
        return True
    first, last = value.lineno, value.end_lineno or value.lineno
    if last > len(lines):
        return True
    in_words = not (keyword.iskeyword(key) or keyword.issoftkeyword(key))
    quoted = False
    for number in range(first, last + 1):
        line = lines[number - 1]
        if "\\" in line or not line.isascii():
            return True
        if key in line and (not in_words or _holds_word(line, key)):
            return True
        quoted = quoted or "'" in line or '"' in line
    if not quoted:
        return False
    for node in walk(value):
        if type(node) is ast.Constant:
            literal = node.value  # type: ignore[attr-defined]
            if type(literal) is bytes:
                if not literal.isascii():
                    return True
                literal = literal.decode("ascii")
            if type(literal) is str and (key in literal or "\\" in literal or not literal.isprintable()):
                return True
    return False


def _holds_word(line: str, word: str) -> bool:
    """Whether the ASCII ``line`` holds ``word`` with no letter, digit or underscore on either side (as
    ``\\b`` delimits it)."""
    size = len(word)
    at = line.find(word)
    while at >= 0:
        end = at + size
        if (at == 0 or not _is_word_char(line[at - 1])) and (end == len(line) or not _is_word_char(line[end])):
            return True
        at = line.find(word, at + 1)
    return False


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _conditional_expressions(lines: list[str], value: ast.expr) -> list[ast.IfExp]:
    """The conditional expressions in ``value``, in ``ast.walk`` order; none unless its lines hold ``if``."""
    last = value.end_lineno or value.lineno
    if not any("if" in lines[number - 1] for number in range(value.lineno, min(last, len(lines)) + 1)):
        return []
    return [node for node in walk(value) if type(node) is ast.IfExp]  # type: ignore[misc]


def mode_branches(facts: Facts) -> ModeBranches:
    """The code that runs only in trial mode and only in full mode (use through ``facts.derived``)."""
    modes = facts.profile.modes
    key = modes.key if modes is not None else "mode"
    trial_parts: list[_Branch] = []
    full_parts: list[_Branch] = []
    switch: tuple[str, int] | None = None
    first_is_trial = False
    for path, module in sorted(facts.python.items()):
        if module.tree is None or key not in module.file.text:
            continue
        lines = module.file.lines
        written = re.compile(rf"\b{re.escape(key)}\b")
        flags = {
            node.targets[0].id
            for node in module.statements
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and _may_write(lines, node.value, key)
            and written.search(source_text(node.value))
        }
        words = (key, *flags)
        tests: list[ast.If | ast.IfExp] = [
            n
            for n in module.statements
            if isinstance(n, ast.If) and any(w in module.file.line(n.test.lineno) for w in words)
        ]
        # A conditional expression's meaning lives in what it is assigned to: `max_batches = 2 if trial else None`.
        owner: dict[int, str] = {}
        for stmt in module.statements:
            if not isinstance(stmt, ast.Assign | ast.AnnAssign | ast.Return) or stmt.value is None:
                continue
            if not any(w in module.file.line(stmt.lineno) for w in words):
                continue
            targets = (
                stmt.targets
                if isinstance(stmt, ast.Assign)
                else [stmt.target]
                if isinstance(stmt, ast.AnnAssign)
                else []
            )
            conditionals = _conditional_expressions(lines, stmt.value)
            if not conditionals:
                continue
            prefix = " = ".join(source_text(t) for t in targets)
            for n in conditionals:
                tests.append(n)
                owner[id(n)] = f"{prefix} = " if prefix else ""
        for node in tests:
            if isinstance(node, ast.If | ast.IfExp):
                trial = _is_trial_test(node.test, key, flags)
                if trial is None:
                    continue
                if switch is None or (trial and not first_is_trial):
                    # Point at the first trial branch, else at the first mode test at all.
                    first_is_trial = first_is_trial or trial
                    switch = (path, node.lineno) if switch is None or trial else switch
                body = node.body if isinstance(node.body, list) else [node.body]
                orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
                # The test belongs to the branch too: `if cfg.mode == "trial" and step >= 2: break`.
                lead = owner.get(id(node), "")
                yes: _Branch = (lead, node.test, body)
                no: _Branch = (lead, None, orelse)
                (trial_parts if trial else full_parts).append(yes)
                (full_parts if trial else trial_parts).append(no)
    return ModeBranches(switch, trial_parts, full_parts)
