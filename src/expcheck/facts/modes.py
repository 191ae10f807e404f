"""Where the code branches on the trial/full mode switch, and the source of each branch.

The trial branch is found from the code: statements under a condition on the profile's mode key
(``cfg.mode == "trial"``, ``if cfg.trial_mode:``), including through local flags such as
``trial = cfg.mode == "trial"``; a conditional expression counts with what it is assigned to.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.python import walk


@dataclass(frozen=True)
class ModeBranches:
    switch: tuple[str, int] | None  # where the mode is first tested
    trial: str  # source of the code that runs only in trial mode
    full: str  # source of the code that runs only in full mode


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
    text = ast.unparse(test)
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    if "'full'" in text or '"full"' in text:
        return "!=" in text
    if "'trial'" in text or '"trial"' in text:
        return "!=" not in text and "not in" not in text
    return not negated  # a boolean flag: trial_mode / trial


def _may_write(lines: list[str], value: ast.expr, key: str) -> bool:
    """Whether ``ast.unparse(value)`` may hold ``key`` (an ASCII identifier of two characters or more) as a
    word; False only when it cannot, judged without writing the source anew.

    Unparse writes names, attributes, keywords and operators as the source writes them, numbers starting
    with a digit and string prefixes of one letter: when the value's lines are ASCII, hold no backslash and
    do not hold the key, only a string or bytes literal can bring the key in. Unparse writes a literal from
    its value: its words are the value's words when every character of it is printable (no escapes); a
    literal with other characters, or with the key in its value (adjacent literals joined), may.
    """
    if len(key) < 2 or not key.isidentifier() or not key.isascii():
        return True
    first, last = value.lineno, value.end_lineno or value.lineno
    if last > len(lines):
        return True
    quoted = False
    for number in range(first, last + 1):
        line = lines[number - 1]
        if key in line or "\\" in line or not line.isascii():
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


def mode_branches(facts: Facts) -> ModeBranches:
    """The code that runs only in trial mode and only in full mode (use through ``facts.derived``)."""
    modes = facts.profile.modes
    key = modes.key if modes is not None else "mode"
    trial_parts: list[str] = []
    full_parts: list[str] = []
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
            and written.search(ast.unparse(node.value))
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
            prefix = " = ".join(ast.unparse(t) for t in targets)
            for n in ast.walk(stmt.value):
                if isinstance(n, ast.IfExp):
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
                yes = "\n".join([ast.unparse(node.test), *(lead + ast.unparse(s) for s in body)])
                no = "\n".join(lead + ast.unparse(s) for s in orelse)
                (trial_parts if trial else full_parts).append(yes)
                (full_parts if trial else trial_parts).append(no)
    return ModeBranches(switch, "\n".join(trial_parts), "\n".join(full_parts))
