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
from expcheck.facts.imports import project_index
from expcheck.facts.semantic import (
    COMPREHENSION,
    LAMBDA,
    SemanticModel,
    enclosing_functions,
    target_names,
)

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
        # module path -> function qualname -> its unrecorded bindings.
        self._unrecorded: dict[str, dict[str, frozenset[str]]] = {}
        # module path -> (function, name) -> the ``name.setdefault(...)`` calls in that function.
        self._setdefault_calls: dict[str, dict[tuple[str, str], list[ast.Call]]] = {}

    def unrecorded(self, index: ModuleIndex, scope: Scope) -> frozenset[str]:
        """Names ``scope`` binds in ways its assignments do not record (see ``unrecorded_bindings``)."""
        by_function = self._unrecorded.get(index.path)
        if by_function is None:
            by_function = self._unrecorded[index.path] = unrecorded_bindings(index.model)
        return by_function.get(scope.qualname, by_function[""])  # as model.function reads an unknown name

    def function(self, index: ModuleIndex, call: ast.Call, where: str = "") -> tuple[ModuleIndex, Scope] | None:
        """The project function ``call`` (standing in the function ``where``) calls: in the same module
        by name, or imported from a project module."""
        func = call.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if not name:
            return None
        target = index.model.function(where).import_of(func.id) if isinstance(func, ast.Name) else None
        if target is not None:
            module, _, simple = target.rpartition(".")
            info = self.facts.derived(project_index).resolve_module(module)
            other = index_of(self.facts, info.path) if info is not None else None
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
            if isinstance(node.key, ast.Name) and node.key.id in set(target_names(gen.target)):
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
            target = self.function(index, node, scope.qualname)
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
            defaults = self._setdefaults(index, scope, name)
            # Bound here by a walrus, ``except ... as``, a match capture, ``|=``, an import, a def, a
            # starred target, or a lambda/comprehension variable of the same name: a value the
            # assignments do not show.
            hidden = name in self.unrecorded(index, scope)
            if not (values or stores or updates or defaults):
                if hidden:
                    return OPAQUE
                outer = self._enclosing(index, scope, name)
                return self._name(index, outer, name, depth) if outer is not None else OPAQUE
            out = OPAQUE if hidden else EMPTY
            for key in defaults:
                out = out | key
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

    def _enclosing(self, index: ModuleIndex, scope: Scope, name: str) -> Scope | None:
        """The scope a free ``name`` of ``scope`` reads: the nearest enclosing function binding it, else the module."""
        for qualname in list(enclosing_functions(scope.qualname))[1:]:
            outer = index.scopes.get(qualname)  # None for a class ("f.C" of "f.C.method")
            if outer is not None and (
                name in outer.params
                or name in outer.assigns
                or name in outer.item_stores
                or name in outer.updates
                or name in self.unrecorded(index, outer)
            ):
                return outer
        module_scope = index.scopes[""]
        if scope is not module_scope and (name in module_scope.assigns or name in self.unrecorded(index, module_scope)):
            return module_scope
        return None

    def _setdefaults(self, index: ModuleIndex, scope: Scope, name: str) -> list[KeySet]:
        """Keys ``name.setdefault(k, ...)`` calls in ``scope`` add."""
        by_target = self._setdefault_calls.get(index.path)
        if by_target is None:
            by_target = self._setdefault_calls[index.path] = {}
            for call in index.calls:
                func = call.node.func
                if call.attr == "setdefault" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                    by_target.setdefault((call.function, func.value.id), []).append(call.node)
        return [literal_key(c.args[0], index) for c in by_target.get((scope.qualname, name), []) if c.args]

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
        node = scope.node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return OPAQUE
        positional = [p.arg for p in (*node.args.posonlyargs, *node.args.args)]
        if name not in positional and name not in (p.arg for p in node.args.kwonlyargs):
            return OPAQUE  # *args / **kwargs: no one argument stands for it
        # A keyword-only parameter has no position: only ``name=`` passes it.
        position = positional.index(name) if name in positional else -1
        if position >= 0 and positional[0] in ("self", "cls"):
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


# Binding nodes whose value ``Scope.assigns`` (facts/astindex.py) does not record.
_UNRECORDED_KINDS = (
    ast.NamedExpr,
    ast.AugAssign,
    ast.ExceptHandler,
    ast.MatchAs,
    ast.MatchStar,
    ast.MatchMapping,
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
)
_UNRECORDED_TYPES = frozenset(_UNRECORDED_KINDS)  # parsed trees hold these exact node types, no subclasses


def unrecorded_bindings(model: SemanticModel) -> dict[str, frozenset[str]]:
    """For each function of the module (by qualname; "" for the module itself), the names it binds
    without an assignment ``Scope.assigns`` records, read from the module's semantic model in one pass.

    Walrus targets, ``except ... as`` names, match captures, augmented assignments (``d |= {...}``),
    imports, nested def/class names, starred targets, and the variables of the lambdas and
    comprehensions inside it (their calls are indexed with the function's, so a name there may be theirs).
    """
    found: dict[int, set[str]] = {}
    for scope in model.scopes:
        anchor = scope
        while anchor.kind in (LAMBDA, COMPREHENSION) and anchor.parent is not None:
            anchor = anchor.parent
        out = found.setdefault(id(anchor), set())
        if anchor is not scope:
            out.update(scope.params)
            out.update(scope.bindings)
            continue
        for name, binders in scope.bindings.items():
            for binder in binders:
                kind = type(binder)
                if kind in _UNRECORDED_TYPES or (
                    (kind is ast.Tuple or kind is ast.List) and name in _starred_names(binder)  # type: ignore[arg-type]
                ):
                    out.add(name)
                    break
    return {
        qualname: frozenset(found.get(id(model.function(qualname)), ()))
        for qualname in ("", *model.functions)
    }


def _starred_names(target: ast.Tuple | ast.List) -> set[str]:
    """The names a ``*rest`` element of an unpacking target binds."""
    return {n for e in ast.walk(target) if isinstance(e, ast.Starred) for n in target_names(e.value)}


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
