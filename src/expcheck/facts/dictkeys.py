"""The keys a dict expression holds, followed through local variables, ``.update`` calls, parameters and
the dicts project functions return — from syntax trees only.

Literal keys are exact; f-string and ``"a" + x`` keys are patterns (each ``{}`` standing for any
text); a key the tree cannot tell (a variable of unknown value) makes the set *opaque*.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from expcheck.facts import Facts
from expcheck.facts.astindex import ModuleIndex, Scope, const_str, index_of, template

_MAX_DEPTH = 4


@dataclass(frozen=True)
class KeySet:
    """Metric keys an expression holds: exact ones, f-string patterns, and whether any is unknowable."""

    exact: frozenset[str] = frozenset()
    patterns: frozenset[str] = frozenset()  # templates, each {} standing for any text
    opaque: bool = False

    def __or__(self, other: KeySet) -> KeySet:
        return KeySet(self.exact | other.exact, self.patterns | other.patterns, self.opaque or other.opaque)


EMPTY = KeySet()
OPAQUE = KeySet(opaque=True)


@lru_cache(maxsize=512)
def pattern_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".+".join(re.escape(part) for part in pattern.split("{}")), re.S)


class KeyResolver:
    """Follows an expression back to the dict keys it holds, across local variables and project functions."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.active: set[tuple[str, str, str]] = set()

    def function(self, index: ModuleIndex, call: ast.Call) -> tuple[ModuleIndex, Scope] | None:
        """The project function ``call`` calls: in the same module by name, or imported from a project module."""
        func = call.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if not name:
            return None
        if isinstance(func, ast.Name) and func.id in index.aliases:
            target = index.aliases[func.id]
            module, _, simple = target.rpartition(".")
            other = index_of(self.facts, module.replace(".", "/") + ".py") if module.startswith("src") else None
            if other is not None:
                found = other.function_named(simple)
                return (other, found) if found is not None else None
            return None
        found = index.function_named(name)
        return (index, found) if found is not None else None

    def keys(self, index: ModuleIndex, scope: Scope, node: ast.expr | None, depth: int = 0) -> KeySet:
        if node is None or depth > _MAX_DEPTH:
            return OPAQUE
        if isinstance(node, ast.Dict):
            out = EMPTY
            for key, value in zip(node.keys, node.values, strict=True):
                out = out | (self.keys(index, scope, value, depth + 1) if key is None else literal_key(key, index))
            return out
        if isinstance(node, ast.DictComp):
            text = template(node.key)
            if text is not None:
                return KeySet(patterns=frozenset({text})) if "{}" in text else KeySet(exact=frozenset({text}))
            gen = node.generators[0]
            target_names = {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
            if isinstance(node.key, ast.Name) and node.key.id in target_names:
                return self.keys(index, scope, _mapping_of(gen.iter), depth + 1)
            return OPAQUE
        if isinstance(node, ast.IfExp):
            return self.keys(index, scope, node.body, depth + 1) | self.keys(index, scope, node.orelse, depth + 1)
        if isinstance(node, ast.Name):
            return self._name(index, scope, node.id, depth)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "dict":
                out = KeySet(exact=frozenset(kw.arg for kw in node.keywords if kw.arg))
                if any(kw.arg is None for kw in node.keywords):
                    out = out | OPAQUE
                for arg in node.args:
                    out = out | self.keys(index, scope, arg, depth + 1)
                return out
            if isinstance(func, ast.Attribute) and func.attr == "copy" and not node.args:
                return self.keys(index, scope, func.value, depth + 1)
            target = self.function(index, node)
            if target is None:
                return OPAQUE
            other, fn_scope = target
            mark = (other.path, fn_scope.qualname, "returns")
            if mark in self.active:
                return EMPTY
            self.active.add(mark)
            try:
                if not fn_scope.returns:
                    return OPAQUE
                out = EMPTY
                for value in fn_scope.returns:
                    out = out | self.keys(other, fn_scope, value, depth + 1)
                return out
            finally:
                self.active.discard(mark)
        return OPAQUE

    def _name(self, index: ModuleIndex, scope: Scope, name: str, depth: int) -> KeySet:
        mark = (index.path, scope.qualname, name)
        if mark in self.active:
            return EMPTY
        self.active.add(mark)
        try:
            if name in scope.params:
                return self._param(index, scope, name, depth)
            if name in scope.loop_targets:
                return OPAQUE
            values = scope.assigns.get(name, [])
            stores = scope.item_stores.get(name, [])
            updates = scope.updates.get(name, [])
            if not (values or stores or updates):
                module_scope = index.scopes[""]
                if scope is not module_scope and name in module_scope.assigns:
                    return self._name(index, module_scope, name, depth)
                return OPAQUE
            out = EMPTY
            for value in values:
                out = out | self.keys(index, scope, value, depth + 1)
            for target in stores:
                out = out | literal_key(target.slice, index)
            for call in updates:
                for arg in call.args:
                    out = out | self.keys(index, scope, arg, depth + 1)
                out = out | KeySet(exact=frozenset(kw.arg for kw in call.keywords if kw.arg))
            return out
        finally:
            self.active.discard(mark)

    def key(self, index: ModuleIndex, scope: Scope, node: ast.expr) -> KeySet:
        """The keys a subscript index ``node`` stands for, following a loop over a dict's keys or items."""
        found = literal_key(node, index)
        if not found.opaque or not isinstance(node, ast.Name) or node.id not in scope.loop_targets:
            return found
        out = EMPTY
        for iterable in scope.assigns.get(node.id, []):
            source = _mapping_of(iterable)
            if isinstance(source, ast.List | ast.Tuple | ast.Set):
                out = out | KeySet(exact=frozenset(k for e in source.elts if (k := const_str(e)) is not None))
                if any(const_str(e) is None for e in source.elts):
                    out = out | OPAQUE
            else:
                out = out | self.keys(index, scope, source)
        return out

    def _param(self, index: ModuleIndex, scope: Scope, name: str, depth: int) -> KeySet:
        """Keys of parameter ``name``: the union of what every call site in the module passes for it."""
        simple = scope.qualname.rpartition(".")[2]
        position = scope.params.index(name)
        if scope.params and scope.params[0] in ("self", "cls"):
            position -= 1
        out, found = EMPTY, False
        for call in index.calls:
            if call.attr != simple or call.function == scope.qualname:
                continue
            arg = call.arg(position, name) if position >= 0 else call.keyword(name)
            if arg is None:
                continue
            found = True
            out = out | self.keys(index, index.scope(call.function), arg, depth + 1)
        return out if found else OPAQUE


def _mapping_of(iterable: ast.expr) -> ast.expr:
    """``d`` for ``d.items()`` / ``d.keys()``; the iterable itself otherwise."""
    if (
        isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Attribute)
        and iterable.func.attr in ("items", "keys")
    ):
        return iterable.func.value
    return iterable


def literal_key(node: ast.expr, index: ModuleIndex) -> KeySet:
    text = template(node)
    if text is None and isinstance(node, ast.Name) and node.id in index.constants:
        text = index.constants[node.id]
    if text is None:
        return OPAQUE
    if "{}" in text:
        return KeySet(patterns=frozenset({text})) if text.strip("{}") else OPAQUE
    return KeySet(exact=frozenset({text}))
