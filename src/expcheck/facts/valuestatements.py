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


def value_statements(facts: Facts, path: str) -> ValueStatements:
    """``ValueStatements`` of the Python module ``path`` (none when it does not parse), made once per check."""
    cache = facts.derived(_cache)
    found = cache.get(path)
    if found is None:
        valued = [s for s in facts.python[path].statements if isinstance(s, _VALUED)]
        found = cache[path] = ValueStatements(valued, [s for s in valued if isinstance(s, ast.Assign)])
    return found


def _cache(facts: Facts) -> dict[str, ValueStatements]:
    return {}
