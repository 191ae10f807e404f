"""Where a module's work starts: the line a finding about something a whole module lacks points at.

A finding that a module never does something (no ``@hydra.main``, no ``wandb.Api()``, no metrics
file written) has no line of its own. It points at the module's entry, where the missing piece
belongs, in this order:

1. the module's one function named ``main`` (a method counts, as long as there is exactly one);
2. else the top-level function ``if __name__ == "__main__":`` starts with calling (``main()``,
   ``sys.exit(main())``), or, without that guard, the first one a top-level call statement runs;
3. else that ``if __name__ == "__main__":`` statement;
4. else the first top-level function or class;
5. else the first statement after the module docstring (line 1 when there is none).

Nothing is imported or executed.
"""

from __future__ import annotations

import ast

from expcheck.facts import Facts

_Def = ast.FunctionDef | ast.AsyncFunctionDef


def _is_main_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _called_function(node: ast.stmt, functions: dict[str, _Def]) -> _Def | None:
    """The top-level function a call statement runs: ``main()``, ``run(cfg)``, ``sys.exit(main())``."""
    call = node.value if isinstance(node, ast.Expr) else None
    if isinstance(call, ast.Call) and not (isinstance(call.func, ast.Name) and call.func.id in functions):
        call = call.args[0] if len(call.args) == 1 else None  # sys.exit(main())
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in functions:
        return functions[call.func.id]
    return None


def _first_statement(tree: ast.Module) -> int:
    body = tree.body
    docstring = body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    if docstring and isinstance(body[0].value.value, str) and len(body) > 1:  # type: ignore[attr-defined]
        body = body[1:]
    return body[0].lineno if body else 1


def entry_line(facts: Facts, path: str) -> int | None:
    """The line of ``path``'s entry (see the module docstring); None when the module does not parse."""
    module = facts.python.get(path)
    tree = module.tree if module is not None else None
    if tree is None:
        return None
    # Every function of the module, nested ones included, as its statements list them: no walk of the tree.
    mains = [f for f in module.functions if f.name == "main"]  # type: ignore[union-attr]
    if len(mains) == 1:
        return mains[0].line
    functions = {n.name: n for n in tree.body if isinstance(n, _Def)}
    guard = next((n for n in tree.body if _is_main_guard(n)), None)
    if isinstance(guard, ast.If):  # the guard delegates (its first statement runs a function), or works itself
        called = _called_function(guard.body[0], functions)
    else:
        called = next(filter(None, (_called_function(node, functions) for node in tree.body)), None)
    if called is not None:
        return called.lineno
    if guard is not None:
        return guard.lineno
    first_def = next((n for n in tree.body if isinstance(n, _Def | ast.ClassDef)), None)
    if first_def is not None:
        return first_def.lineno
    return _first_statement(tree)
