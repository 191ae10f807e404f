"""Per-module answers several rules ask for, each computed once per check.

- ``entry_of(facts, path)``: the line of a module's entry (``facts/entry.py``: ``entry_line``), which walks
  the whole tree; the evaluation rules each ask it for src/evaluate.py.
- ``evaluate_named_files(facts)``: the file names src/evaluate.py spells (``facts/evaluation.py``:
  ``named_files``), which the metrics-file rules (C805, C806, C807) each asked for.
- ``string_constants_of(facts, path)``: every string constant of a module, docstrings included, in
  ``ast.walk`` order (the single-pass walker of ``facts/python.py`` yields that same order).

Nothing is imported or executed.
"""

from __future__ import annotations

import ast

from expcheck.facts import Facts
from expcheck.facts.entry import entry_line
from expcheck.facts.evaluation import EVALUATE, NamedFile, named_files
from expcheck.facts.python import walk


def entry_of(facts: Facts, path: str) -> int | None:
    """``entry_line(facts, path)``, computed once per check and module."""
    cache = facts.derived(_entry_cache)
    if path not in cache:
        cache[path] = entry_line(facts, path)
    return cache[path]


def _entry_cache(facts: Facts) -> dict[str, int | None]:
    return {}


def evaluate_named_files(facts: Facts) -> list[NamedFile]:
    """``named_files(facts, "src/evaluate.py")`` (use through ``facts.derived``)."""
    return named_files(facts, EVALUATE)


def string_constants_of(facts: Facts, path: str) -> tuple[str, ...]:
    """Every string constant of the parsed module ``path``, docstrings included, in walk order; () when
    the module does not parse."""
    cache = facts.derived(_strings_cache)
    if path not in cache:
        module = facts.python.get(path)
        tree = module.tree if module is not None else None
        cache[path] = (
            ()
            if tree is None
            else tuple(n.value for n in walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
        )
    return cache[path]


def _strings_cache(facts: Facts) -> dict[str, tuple[str, ...]]:
    return {}
