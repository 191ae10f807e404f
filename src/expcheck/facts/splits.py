"""Which data split (train / validation / test) an expression stands for, as the code names and creates it.

A split is read from what the code itself says, never guessed from shapes:

- the words of a name or attribute (``test_loader``, ``X_test``, ``self.val_ds``, ``get_test_loader``),
  split at underscores, digits and camel case; a name holding both a training and a test word
  (``train_test_split``) or a word that makes it a setting (``test_size``, ``smoke_test``,
  ``test_mode``) stands for no split;
- string constants that select a split (``load_dataset(..., split="test")``, ``ds["validation"]``);
- local data flow from the shared module index (``facts/astindex.py``): a name takes the split of
  the values assigned to it when they all agree (``loader = test_loader``), a call the split of its
  arguments when exactly one split appears among them (``acc = evaluate(model, test_loader)``).

Parameters are not followed into callers: a function's ``loader`` parameter stands for no split.
Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Literal

from expcheck.facts import Facts
from expcheck.facts.astindex import ModuleIndex, Scope, indexes

Split = Literal["train", "val", "test"]

_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_SPLIT_WORDS: dict[str, Split] = {
    "train": "train",
    "training": "train",
    "trn": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "dev": "val",
    "test": "test",
    "testing": "test",
    "tst": "test",
    "holdout": "test",
}
# Words that make a name a setting or a flag about a split rather than data of that split.
_SETTING_WORDS = frozenset(
    {"size", "ratio", "frac", "fraction", "pct", "percent", "proportion", "mode", "smoke", "unit", "is", "do"}
    | {"use", "run", "enable", "enabled", "only", "flag", "every", "freq", "interval", "steps", "step", "time"}
    | {"case", "cases", "split", "splits", "samples", "num", "n", "max", "limit", "batches", "batch", "path"}
    | {"dir", "file", "name", "names", "key", "keys", "transform", "transforms", "fn", "func"}
)
_MAX_DEPTH = 6


def words(name: str) -> list[str]:
    """The lower-case words of an identifier: ``valLoader2`` -> ``["val", "loader"]``."""
    return [w.lower() for w in _WORDS.findall(name)]


def name_split(name: str) -> Split | None:
    """The split an identifier names, or None (no split word, two different ones, or a setting word)."""
    found = {_SPLIT_WORDS[w] for w in words(name) if w in _SPLIT_WORDS}
    if len(found) != 1 or any(w in _SETTING_WORDS for w in words(name)):
        return None
    return next(iter(found))


def string_split(text: str) -> Split | None:
    """The split a selector string names: ``"test"``, ``"validation[:10%]"``, ``"train"``; else None."""
    head = re.split(r"[\[:+ ]", text.strip().lower(), maxsplit=1)[0]
    return _SPLIT_WORDS.get(head) if head in ("train", "validation", "valid", "val", "dev", "test") else None


@dataclass
class ModuleSplits:
    """Split roles of expressions in one module, memoised per node."""

    index: ModuleIndex
    _memo: dict[tuple[int, str], Split | None] = field(default_factory=dict)

    def of(self, node: ast.expr, function: str) -> Split | None:
        """The split ``node`` (in the function with qualname ``function``) stands for, or None."""
        return self._role(node, function, 0)

    def _scope(self, function: str) -> Scope:
        return self.index.scope(function)

    def _role(self, node: ast.expr, function: str, depth: int) -> Split | None:
        if depth > _MAX_DEPTH:
            return None
        key = (id(node), function)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # a cycle stands for no split
        found = self._compute(node, function, depth)
        self._memo[key] = found
        return found

    def _compute(self, node: ast.expr, function: str, depth: int) -> Split | None:
        if isinstance(node, ast.Name):
            return self._name_role(node.id, function, depth)
        if isinstance(node, ast.Attribute):
            own = name_split(node.attr)
            if own is not None or any(w in _SETTING_WORDS for w in words(node.attr)):
                return own
            return self._role(node.value, function, depth + 1)
        if isinstance(node, ast.Subscript):
            index = node.slice
            if isinstance(index, ast.Constant) and isinstance(index.value, str):
                chosen = string_split(index.value)
                if chosen is not None:
                    return chosen
            return self._role(node.value, function, depth + 1)
        if isinstance(node, ast.Call):
            return self._call_role(node, function, depth)
        if isinstance(node, ast.Starred):
            return self._role(node.value, function, depth + 1)
        return None

    def _name_role(self, name: str, function: str, depth: int) -> Split | None:
        own = name_split(name)
        if own is not None:
            return own
        if any(w in _SETTING_WORDS for w in words(name)):
            return None
        scope = self._scope(function)
        values = scope.assigns.get(name)
        if values is None and function and name not in scope.params:
            values = self.index.scopes[""].assigns.get(name)
            function = ""
        if not values or name in scope.params or name in scope.loop_targets:
            return None
        roles = {self._role(v, function, depth + 1) for v in values}
        return roles.pop() if len(roles) == 1 else None

    def _call_role(self, node: ast.Call, function: str, depth: int) -> Split | None:
        func = node.func
        for kw in node.keywords:
            if kw.arg == "split" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                return string_split(kw.value.value)
        callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        own = name_split(callee)
        if own is not None:
            return own
        # A method call on data keeps the data's split (``test_df.values``, ``x.to(device)``).
        if isinstance(func, ast.Attribute):
            receiver = self._role(func.value, function, depth + 1)
            if receiver is not None:
                return receiver
        roles = set()
        for arg in [*node.args, *(kw.value for kw in node.keywords if kw.arg is not None)]:
            role = self._role(arg, function, depth + 1)
            if role is not None:
                roles.add(role)
        return roles.pop() if len(roles) == 1 else None


def module_splits(facts: Facts) -> dict[str, ModuleSplits]:
    """Split roles for every parsed code module (use through ``facts.derived``)."""
    return {path: ModuleSplits(index) for path, index in facts.derived(indexes).items()}
