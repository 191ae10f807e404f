"""facts/selection.py finds the word ``best`` in a comparison side by its own walk of the subtree; that walk
answers as the plain ``ast.walk`` over every node did, for every expression of the corpus and for the
shapes a string can take (escapes, implicit concatenation, f-strings)."""

from __future__ import annotations

import ast
import warnings

import pytest

from conftest import corpus_files, needs_shared
from expcheck.facts.selection import _mentions_best
from expcheck.facts.splits import words


def _walked(node: ast.expr) -> bool:
    """The reference: every node of the subtree, by ``ast.walk``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and "best" in words(sub.id):
            return True
        if isinstance(sub, ast.Attribute) and "best" in words(sub.attr):
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and "best" in words(sub.value):
            return True
    return False


EXPRESSIONS = [
    "best_acc", "self.best", "self.bestScore", "self.BEST_LOSS", "bestow", "best1", "a.b.c.best_val",
    "history['best']", "history['be' 'st']", "history['b\\x65st']", "f'{x}best'", "f'{best}'", "scores[best_idx]",
    "max(a, b)", "self.model(x).best", "lambda best: 0", "[best for _ in y]", "{'best': 1}", "x if y else BestOf",
    "obj.get('Best', 0)", "acc", "self.history.get('val')", "b'best'", "not_best_yet", "Bestest",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_same_answer_as_ast_walk(text: str) -> None:
    node = ast.parse(text, mode="eval").body
    assert _mentions_best(node) == _walked(node)


def test_cases_hold_both_answers() -> None:
    answers = {_walked(ast.parse(text, mode="eval").body) for text in EXPRESSIONS}
    assert answers == {True, False}


@needs_shared
def test_corpus_expressions_same_answer_as_ast_walk() -> None:
    seen = found = 0
    for _, path, file in corpus_files(".py"):
        if "best" not in file.text.lower():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escapes in the submissions' strings
                tree = ast.parse(file.text)
        except (SyntaxError, ValueError, RecursionError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.expr):
                expected = _walked(node)
                assert _mentions_best(node) == expected, (path, node.lineno)
                seen += 1
                found += expected
    assert seen > 1000 and found > 100
