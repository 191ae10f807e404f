"""Facts made linear for large hostile files (issue 18) must answer exactly what the plain scans they
replace answered: here the loops and ifs whose body holds a line (mltrain.Holders), against a scan of
every statement, on many random modules."""

from __future__ import annotations

import ast
import random

import pytest

from expcheck.facts.mltrain import Holders
from expcheck.facts.python import iter_statements


def _block(rng: random.Random, depth: int, indent: str) -> list[str]:
    lines: list[str] = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if depth >= 4 or roll < 0.35:
            lines.append(
                indent + rng.choice(["x = 1", "f(x)", "a(); b()", "y = [\n" + indent + "    1,\n" + indent + "]"])
            )
            continue
        head = rng.choice(["for i in r:", "while c:", "if c:", "def g():", "with m:", "try:"])
        if rng.random() < 0.2 and head != "try:":
            lines.append(f"{indent}{head} z()")  # a body on the header's line
            continue
        lines.append(indent + head)
        lines.extend(_block(rng, depth + 1, indent + "    "))
        if head == "try:":
            lines.append(indent + "except E:")
            lines.extend(_block(rng, depth + 1, indent + "    "))
        elif head.startswith(("for", "while", "if")) and rng.random() < 0.4:
            lines.append(indent + ("elif d:" if head.startswith("if") and rng.random() < 0.5 else "else:"))
            lines.extend(_block(rng, depth + 1, indent + "    "))
    return lines


def _scan(nodes: list[ast.stmt], line: int) -> list[ast.stmt]:
    """The statements whose body holds ``line``, by a scan of every one (the code Holders replaced)."""
    return [n for n in nodes if n.body[0].lineno <= line <= (n.body[-1].end_lineno or n.body[-1].lineno)]  # type: ignore[attr-defined]


def _scan_position(node: ast.stmt, line: int) -> int | None:
    for i, stmt in enumerate(node.body):  # type: ignore[attr-defined]
        if stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
            return i
    return None


@pytest.mark.parametrize("seed", range(80))
def test_holders_match_a_scan_of_every_statement(seed: int) -> None:
    rng = random.Random(seed)
    source = "\n".join(_block(rng, 0, "")) + "\n"
    statements = iter_statements(ast.parse(source).body)
    for kinds in ((ast.For, ast.While), (ast.If,)):
        nodes = [s for s in statements if isinstance(s, kinds)]
        holders = Holders(nodes)  # type: ignore[arg-type]
        for line in range(1, source.count("\n") + 2):
            expected = _scan(nodes, line)
            assert holders.holding(line) == expected, (line, source)
            for node in expected:
                assert holders.body_position(node, line) == _scan_position(node, line)  # type: ignore[arg-type]
