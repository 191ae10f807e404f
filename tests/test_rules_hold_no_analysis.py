"""Rules judge precomputed facts; walking syntax trees and rendering code belong in facts/.

A module under rules/ may not call ``ast.walk``/``ast.unparse``/``ast.iter_child_nodes`` nor define
an ``ast.NodeVisitor``/``NodeTransformer``. The modules still holding such analysis (being moved
into facts/, issue 13) are listed with their exact count, so the list can only shrink: a new use
fails, and so does a list entry left behind after its analysis moved.
"""

from __future__ import annotations

import ast
from pathlib import Path

import expcheck.rules

RULES_DIR = Path(expcheck.rules.__file__).parent
_FORBIDDEN_CALLS = frozenset({"walk", "unparse", "iter_child_nodes"})
_FORBIDDEN_BASES = frozenset({"NodeVisitor", "NodeTransformer"})

# Analysis not yet moved into facts/ (module -> number of uses). Shrink it; never grow it.
NOT_YET_MOVED = {
    "data.py": 5,
    "evaluation.py": 4,
}


def _analysis_uses(tree: ast.Module) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "ast"
                and func.attr in _FORBIDDEN_CALLS
            ):
                found.append(f"line {node.lineno}: ast.{func.attr}")
        elif isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
                if name in _FORBIDDEN_BASES:
                    found.append(f"line {node.lineno}: class {node.name}({name})")
        elif isinstance(node, ast.ImportFrom) and node.module == "ast":
            found.extend(f"line {node.lineno}: from ast import {a.name}" for a in node.names)
    return found


def test_rules_hold_no_tree_walks_or_visitors() -> None:
    modules = sorted(RULES_DIR.glob("*.py"))
    assert modules
    wrong: list[str] = []
    for path in modules:
        uses = _analysis_uses(ast.parse(path.read_text(encoding="utf-8")))
        allowed = NOT_YET_MOVED.get(path.name, 0)
        if len(uses) != allowed:
            wrong.append(f"rules/{path.name}: {len(uses)} uses, {allowed} allowed: {uses}")
    assert not wrong, "analysis belongs in facts/ (or update NOT_YET_MOVED after moving it):\n" + "\n".join(wrong)


def test_the_check_sees_what_it_forbids() -> None:
    source = "import ast\nclass V(ast.NodeVisitor):\n    pass\nx = [n for n in ast.walk(t)]\ny = ast.unparse(t)\n"
    assert len(_analysis_uses(ast.parse(source))) == 3
