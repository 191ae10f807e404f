"""Rules judge precomputed facts; walking syntax trees and rendering code belong in facts/.

A module under rules/ may not call ``ast.walk``/``ast.unparse``/``ast.iter_child_nodes``, import
from ``ast`` by name, nor define an ``ast.NodeVisitor``/``NodeTransformer``: what a rule needs to
know about the code is a fact (facts/), and the rule only judges it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import expcheck.rules

RULES_DIR = Path(expcheck.rules.__file__).parent
_FORBIDDEN_CALLS = frozenset({"walk", "unparse", "iter_child_nodes"})
_FORBIDDEN_BASES = frozenset({"NodeVisitor", "NodeTransformer"})

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
        elif isinstance(node, ast.ImportFrom) and node.module == "expcheck.facts.python":
            # facts/python.py's tree walk is for fact modules.
            found.extend(f"line {node.lineno}: imports walk" for a in node.names if a.name == "walk")
    return found


def test_rules_hold_no_tree_walks_or_visitors() -> None:
    modules = sorted(RULES_DIR.glob("*.py"))
    assert modules
    wrong: list[str] = []
    for path in modules:
        uses = _analysis_uses(ast.parse(path.read_text(encoding="utf-8")))
        wrong.extend(f"rules/{path.name} {use}" for use in uses)
    assert not wrong, "analysis belongs in facts/:\n" + "\n".join(wrong)


def test_the_check_sees_what_it_forbids() -> None:
    source = (
        "import ast\nfrom expcheck.facts.python import walk\nclass V(ast.NodeVisitor):\n    pass\n"
        "x = [n for n in ast.walk(t)]\ny = ast.unparse(t)\n"
    )
    assert len(_analysis_uses(ast.parse(source))) == 4
