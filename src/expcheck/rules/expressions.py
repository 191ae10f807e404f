"""R408 — expressions whose precedence differs from what their layout says."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.rules.base import Example, Hit, rule

_LOADERS = """\
def loaders(train, val, test, n_classes, with_test):
    return {body}
"""


def _repeats_prefix(elts: list[ast.expr], branch: ast.expr) -> bool:
    """Whether ``branch`` is a tuple that starts with the same expressions as ``elts``."""
    if not isinstance(branch, ast.Tuple) or len(branch.elts) <= len(elts):
        return False
    return all(ast.dump(a) == ast.dump(b) for a, b in zip(elts, branch.elts, strict=False))


@rule(
    id="R408",
    name="conditional-inside-tuple",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Reports `a, b if c else (x, y)` returns whose callers unpack the longer tuple; an intended single-element choice is reported.""",
    title="A conditional expression meant to choose between two tuples binds only the last element",
    why="""`return a, b, c if with_test else (a, b, c, d)` reads as a choice between two tuples, but the
        conditional binds tighter than the commas: the function returns (a, b, X) where X is c or the
        whole 4-tuple. The longer result is never returned, and a caller that unpacks it, or uses its
        last element, fails (ValueError on unpacking, or a tuple where a loader or tensor was expected).""",
    fix="Put the first tuple in parentheses: `return (a, b, c) if with_test else (a, b, c, d)`.",
    bad=[
        Example(
            files={
                "src/preprocess.py": _LOADERS.format(
                    body="train, val, n_classes if not with_test else (train, val, n_classes, test)"
                )
            },
            expect=(("src/preprocess.py", 2),),
        )
    ],
    good=[
        Example(
            files={
                "src/preprocess.py": _LOADERS.format(
                    body="(train, val, n_classes) if not with_test else (train, val, n_classes, test)"
                )
            }
        ),
        Example(
            files={"src/preprocess.py": _LOADERS.format(body="train, val, (test if with_test else None)")},
            note="a conditional for one element, as written",
        ),
    ],
)
def conditional_inside_tuple(facts: Facts) -> Iterator[Hit]:
    for path, module in sorted(facts.python.items()):
        if module.tree is None or " if " not in module.file.text:
            continue
        for stmt in module.statements:
            value = getattr(stmt, "value", None)
            if not isinstance(stmt, ast.Return | ast.Assign | ast.AnnAssign) or not isinstance(value, ast.Tuple):
                continue
            last = value.elts[-1] if value.elts else None
            if not isinstance(last, ast.IfExp) or len(value.elts) < 2:
                continue
            head = value.elts[:-1]
            for branch, other in ((last.orelse, last.body), (last.body, last.orelse)):
                if _repeats_prefix([*head, other], branch) or _repeats_prefix(head, branch):
                    yield Hit(
                        path=path,
                        line=value.lineno,
                        column=value.col_offset + 1,
                        message=(
                            f"the conditional binds only the last element: this is a {len(value.elts)}-tuple whose "
                            f"last item may be the whole {len(branch.elts)}-tuple, never a {len(branch.elts)}-tuple "
                            "itself (parenthesise the first tuple)"
                        ),
                    )
                    break
