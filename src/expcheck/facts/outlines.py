"""A module's outline (functions, try blocks, constants) read from its index: no second walk of its tree.

``astindex.outline_of`` walks the statements of a module again to list its functions and try
statements; the index's one walk has recorded both already (every function is a scope of the
semantic model, every try statement is in ``ModuleIndex.tries``). The outline built here holds the
same functions, in the same order (by line: no two ``def`` statements share one), the same
constants and the same try statements, in the index's walk order.
"""

from __future__ import annotations

import ast

from expcheck.facts import Facts
from expcheck.facts.astindex import Outline, index_of
from expcheck.facts.semantic import FUNCTION


def _cache(facts: Facts) -> dict[str, Outline | None]:
    return {}


def outline_from_index(facts: Facts, path: str) -> Outline | None:
    """The outline of the code module at ``path`` (None if it is not parsed code), built once per check."""
    cache = facts.derived(_cache)
    try:
        return cache[path]
    except KeyError:
        pass
    index = index_of(facts, path)
    found = None
    if index is not None:
        functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = [
            (scope.qualname, scope.node)  # type: ignore[misc]
            for scope in index.model.scopes
            if scope.kind == FUNCTION
        ]
        functions.sort(key=lambda f: f[1].lineno)
        found = Outline(path, index.tree, index.model, index.constants, functions, index.tries)
    cache[path] = found
    return found
