"""Methods that are interfaces by design: a stub body that the project's subclasses implement.

A base class often declares a hook (``def post(self, x): raise NotImplementedError``) that each
subclass overrides, or marks it ``@abstractmethod``. Such a stub is a declaration, not unfinished
work, and the comment that says so ("to be implemented by subclasses") is a design note about it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from expcheck.facts import Facts


@dataclass(frozen=True)
class InterfaceStub:
    path: str
    qualname: str
    first_line: int  # the def line, or the first of the comment and decorator lines right above it
    last_line: int  # the last line of the body


def overridden_methods(facts: Facts) -> set[tuple[str, str]]:
    """(class, method) pairs where some project class derived from ``class`` defines ``method``."""
    found: set[tuple[str, str]] = set()
    for module in facts.python.values():
        for cls in module.classes:
            for base in cls.bases:
                found.update((base, method) for method in cls.methods)
    return found


def is_interface(qualname: str, intentional: bool, overridden: set[tuple[str, str]]) -> bool:
    """Whether a stub method is a declaration: marked abstract/overload/Protocol, or implemented by a subclass."""
    owner, _, method = qualname.rpartition(".")
    return intentional or (bool(owner) and (owner.rpartition(".")[2], method) in overridden)


def _ends(tree: ast.Module) -> dict[tuple[int, int], int]:
    """(line, column) of each def -> the last line of its body."""
    return {
        (node.lineno, node.col_offset + 1): node.end_lineno or node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def interface_stubs(facts: Facts) -> list[InterfaceStub]:
    """Stub methods that are interfaces by design, with the lines that belong to them."""
    overridden = facts.derived(overridden_methods)
    out: list[InterfaceStub] = []
    for path, module in sorted(facts.python.items()):
        stubs = [
            fn
            for fn in module.functions
            if fn.stub is not None and is_interface(fn.qualname, fn.intentional_stub, overridden)
        ]
        if not stubs or module.tree is None:
            continue
        ends = _ends(module.tree)
        lines = module.file.lines
        for fn in stubs:
            first = fn.line
            while first > 1 and lines[first - 2].strip().startswith(("#", "@")):
                first -= 1
            out.append(InterfaceStub(path, fn.qualname, first, ends.get((fn.line, fn.column), fn.line)))
    return out


def in_interface_stub(facts: Facts, path: str, line: int) -> bool:
    """Whether ``line`` of ``path`` belongs to an interface stub (its comments, def or body)."""
    return any(s.path == path and s.first_line <= line <= s.last_line for s in facts.derived(interface_stubs))
