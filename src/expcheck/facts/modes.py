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


@dataclass(frozen=True)
class ModeBranches:
    switch: tuple[str, int] | None  # where the mode is first tested
    trial: str  # source of the code that runs only in trial mode
    full: str  # source of the code that runs only in full mode


def _mentions_mode(test: ast.expr, key: str, flags: set[str]) -> bool:
    names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(test) if isinstance(n, ast.Attribute)}
    names |= {n.value for n in ast.walk(test) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return key in names or bool(names & flags)


def _is_trial_test(test: ast.expr, key: str, flags: set[str]) -> bool | None:
    """True: the test holds in trial mode; False: it holds in full mode; None: not a mode test."""
    text = ast.unparse(test)
    if not _mentions_mode(test, key, flags):
        return None
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    if "'full'" in text or '"full"' in text:
        return "!=" in text
    if "'trial'" in text or '"trial"' in text:
        return "!=" not in text and "not in" not in text
    return not negated  # a boolean flag: trial_mode / trial


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
        flags = {
            node.targets[0].id
            for node in module.statements
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and re.search(rf"\b{re.escape(key)}\b", ast.unparse(node.value))
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
