"""The statements of each module that give a value (``return v``, ``x = v``, ``x: T = v``), found once per check.

The unpacking check (R405) reads the assignments of a call's result, the conditional-in-tuple check
(R408) the returned and assigned tuples: both went over every statement of every module. Here one pass
over each module's statements (``ParsedPython.statements``, source order) keeps those kinds, in the
same order. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from expcheck.facts import Facts

_VALUED = (ast.Return, ast.Assign, ast.AnnAssign)


@dataclass(frozen=True)
class ValueStatements:
    """A module's ``return``, assignment and annotated-assignment statements, each list in source order."""

    valued: list[ast.Return | ast.Assign | ast.AnnAssign]
    assigns: list[ast.Assign]


def value_statements(facts: Facts) -> dict[str, ValueStatements]:
    """``ValueStatements`` of every Python module, by path (use through ``facts.derived``); a module that
    does not parse has none."""
    found: dict[str, ValueStatements] = {}
    for path, module in facts.python.items():
        valued = [s for s in module.statements if isinstance(s, _VALUED)]
        found[path] = ValueStatements(valued, [s for s in valued if isinstance(s, ast.Assign)])
    return found
