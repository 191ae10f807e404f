"""An index of each Python module from one walk of its tree: the semantic model, calls, local data flow.

The same walk fills the module's semantic model (``facts/semantic.py``: scopes and bindings) and the
generic records fact modules need to know *what is called where*: the dotted name of a call resolved
through the imports visible where it stands (``import wandb as wb`` makes ``wb.log`` read
``wandb.log``), the function that encloses it, whether it sits inside a loop, and per function the
assignments, item stores and ``.update`` calls that let a fact follow a local variable back to the
values it holds. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import bisect
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from types import MappingProxyType

from expcheck.facts import Facts
from expcheck.facts.python import (
    SCALAR_FIELDS,
    SIMPLE_STATEMENTS,
    ClassFact,
    FunctionFact,
    class_fact,
    class_is_protocol,
    function_fact,
    walk,
)
from expcheck.facts.semantic import (
    CLASS,
    COMPREHENSION,
    FUNCTION,
    LAMBDA,
    MODULE,
    SCOPE_NODES,
    SEMANTIC_NODES,
    CallSite,
    NameScope,
    SemanticModel,
    call_site,
    package_of,
    parameters,
    target_names,
)
from expcheck.limits import MAX_NESTING, tree_within

__all__ = ["CallSite", "ModuleIndex", "Outline", "Scope", "target_names"]


@dataclass
class Scope:
    """One function (or the module body, qualname ""): its local assignments, item stores and returns."""

    qualname: str
    node: ast.AST
    params: tuple[str, ...] = ()
    # name -> values assigned to it (``x = v``, ``x: T = v``, ``for x in v`` gives the iterable).
    assigns: dict[str, list[ast.expr]] = field(default_factory=dict)
    # name -> subscript targets stored into it (``x["k"] = v``).
    item_stores: dict[str, list[ast.Subscript]] = field(default_factory=dict)
    # name -> ``x.update(...)`` calls.
    updates: dict[str, list[ast.Call]] = field(default_factory=dict)
    returns: list[ast.expr] = field(default_factory=list)
    # Names bound by a for loop (their "assigns" entry holds the iterable).
    loop_targets: set[str] = field(default_factory=set)


@dataclass
class ModuleIndex:
    """Everything one walk of a module's tree collects."""

    path: str
    tree: ast.Module
    # The module's scopes and bindings (facts/semantic.py): what a name means where it stands.
    model: SemanticModel
    calls: list[CallSite]
    scopes: dict[str, Scope]
    # simple function name -> qualnames defined with that name.
    by_name: dict[str, list[str]]
    # (target, enclosing function) of every subscript assignment ``a[...] = v`` / ``a[...] += v``.
    item_stores: list[tuple[ast.Subscript, ast.expr, str]]
    # String literals and f-strings outside docstrings, with their enclosing function.
    strings: list[tuple[ast.expr, str]]
    # Keys the code reads by name: attribute names, constant subscripts, ``.get("k")``,
    # ``getattr(x, "k")``/``hasattr`` names and keyword names of calls.
    names_read: frozenset[str]
    # Compare nodes with their enclosing function.
    compares: list[tuple[ast.Compare, str]]
    # Subscript loads indexed by a literal, list, name, attribute or call (``x["k"]``, ``x[["a"]]``, ``x[cfg.k]``).
    subscripts: list[tuple[ast.Subscript, str]]
    # Try statements with their enclosing function.
    tries: list[tuple[ast.Try, str]]
    # Module-level ``NAME = "text"`` constants.
    constants: dict[str, str]
    # (qualname, node) of every function in line order, methods as Class.method, nested as outer.inner.
    functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = field(default_factory=list)
    # What facts/python.py says of each function and class (``PyModule.functions``/``classes``), in order.
    function_facts: list[FunctionFact] = field(default_factory=list)
    class_facts: list[ClassFact] = field(default_factory=list)
    # Whether some statement is a bare ``...``.
    ellipsis: bool = False

    @property
    def aliases(self) -> Mapping[str, str]:
        """The module-level imports (``wb`` -> ``wandb``): a view of the model's module scope."""
        return MappingProxyType(self.model.root.visible)  # type: ignore[arg-type]

    def qualified(self, node: ast.AST, function: str = "") -> str:
        """``node``'s dotted name, its root resolved through the imports visible in ``function``."""
        return self.model.qualified(node, function)

    def calls_to(self, *names: str) -> Iterator[CallSite]:
        wanted = set(names)
        return (c for c in self.calls if c.name in wanted)

    def scope(self, qualname: str) -> Scope:
        return self.scopes.get(qualname) or self.scopes[""]

    def function_named(self, name: str) -> Scope | None:
        """The module's function ``name`` when exactly one is defined (methods by their simple name too)."""
        found = self.by_name.get(name, [])
        return self.scopes[found[0]] if len(found) == 1 else None


def root_name(node: ast.AST) -> str | None:
    """The Name at the root of an Attribute/Subscript/Call chain (``x`` in ``x.a[0].b()``)."""
    while True:
        if isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def template(node: ast.AST | None) -> str | None:
    """The text of a string literal, or of an f-string / ``"a" + x`` with each expression as ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out.append(part.value)
            else:
                out.append("{}")
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = template(node.left), template(node.right)
        if left is None and right is None:
            return None
        return (left if left is not None else "{}") + (right if right is not None else "{}")
    return None


_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Fields that never hold a node worth visiting: expression contexts and operators.
_SKIP_FIELDS = frozenset({"ctx", "op", "ops", "type_ignores", "names"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    """The fields of ``cls`` that may hold child nodes worth visiting, in the order of ``_fields``."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(
            f
            for f in cls._fields  # type: ignore[attr-defined]
            if f not in _SKIP_FIELDS
            and f not in SCALAR_FIELDS
            and not (f == "value" and cls in (ast.Constant, ast.MatchSingleton))
        )
    return fields


def _docstring(node: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int | None:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return id(body[0].value)
    return None


def _fits(node: ast.AST, budget: int) -> bool:
    """Whether the tree under ``node`` is at most ``budget`` levels deep (``limits.tree_within``)."""
    kind = type(node)
    if kind is ast.Name or kind is ast.Constant:
        return budget >= 1
    if kind is ast.Attribute and type(node.value) is ast.Name:  # type: ignore[attr-defined]
        return budget >= 2
    return tree_within(node, budget)


class _State:
    """Where the walk stands: the function's records, loop context, class prefix and name scope."""

    __slots__ = ("in_loop", "prefix", "scope", "sem")

    def __init__(self, scope: Scope, in_loop: bool, prefix: str, sem: NameScope) -> None:
        self.scope = scope
        self.in_loop = in_loop
        self.prefix = prefix  # "Class." inside a class body
        self.sem = sem  # the scope names bind in (a class body, a lambda, a comprehension have their own)


# What the walk does at each node type (anything else: visit the children).
(
    _GENERIC,
    _LEAF,
    _ATTRIBUTE,
    _CALL,
    _CONSTANT,
    _SUBSCRIPT,
    _JOINEDSTR,
    _COMPARE,
    _ASSIGN,
    _RETURN,
    _FUNCTION,
    _CLASS,
    _LOOP,
    _IMPORT,
    _MATCHMAPPING,
    _MATCHCLASS,
    _TRY,
    _WITH,
    _NEW_SCOPE,
    _BINDING,
    _VALUE,
) = range(21)
_ACTIONS: dict[type, int] = {
    ast.Name: _LEAF,
    ast.Load: _LEAF,
    ast.Store: _LEAF,
    ast.Attribute: _ATTRIBUTE,
    ast.Call: _CALL,
    ast.Constant: _CONSTANT,
    ast.Subscript: _SUBSCRIPT,
    ast.JoinedStr: _JOINEDSTR,
    ast.Compare: _COMPARE,
    ast.Assign: _ASSIGN,
    ast.AnnAssign: _ASSIGN,
    ast.AugAssign: _ASSIGN,
    ast.Return: _RETURN,
    ast.FunctionDef: _FUNCTION,
    ast.AsyncFunctionDef: _FUNCTION,
    ast.ClassDef: _CLASS,
    ast.For: _LOOP,
    ast.AsyncFor: _LOOP,
    ast.While: _LOOP,
    ast.Import: _IMPORT,
    ast.ImportFrom: _IMPORT,
    ast.MatchMapping: _MATCHMAPPING,
    ast.MatchClass: _MATCHCLASS,
    ast.Try: _TRY,
    ast.TryStar: _TRY,
    ast.With: _WITH,
    ast.AsyncWith: _WITH,
    # Nodes whose only child is ``value`` (``ctx`` and scalars aside).
    ast.keyword: _VALUE,
    ast.Expr: _VALUE,
    ast.Starred: _VALUE,
    ast.Await: _VALUE,
    ast.Yield: _VALUE,
    ast.YieldFrom: _VALUE,
}
for _kind in SEMANTIC_NODES:
    _ACTIONS.setdefault(_kind, _NEW_SCOPE if _kind in SCOPE_NODES else _BINDING)
# Node type -> (what the walk does at it, the fields that may hold its child nodes).
_PLANS: dict[type, tuple[int, tuple[str, ...]]] = {}


def _plan(cls: type) -> tuple[int, tuple[str, ...]]:
    plan = _PLANS[cls] = (_ACTIONS.get(cls, _GENERIC), _child_fields(cls))
    return plan


# Methods and functions whose calls read a key by name (``x.get("k")``, ``getattr(x, "k")``), and ``update``,
# whose calls are recorded per receiver.
_KEYED_METHODS = frozenset({"get", "update"})
_KEYED_FUNCTIONS = frozenset({"getattr", "hasattr"})
# Index kinds whose node can be a subscript's key worth recording (``x["k"]``, ``x[["a"]]``, ``x[cfg.k]``).
_KEY_KINDS = frozenset({ast.Constant, ast.List, ast.Name, ast.Attribute, ast.Call})


class _Collector:
    """One iterative walk over a module, filling a ModuleIndex's raw material and measuring its nesting."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.package = package_of(path)
        self.root = NameScope(MODULE, ast.Module(body=[], type_ignores=[]))
        self.model = SemanticModel(path, self.root, [self.root])
        self.docstrings: set[int] = set()
        self.module_scope = Scope(qualname="", node=ast.Module(body=[], type_ignores=[]))
        self.scopes: dict[str, Scope] = {"": self.module_scope}
        self.by_name: dict[str, list[str]] = {}
        self.functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
        self.raw_calls: list[tuple[ast.Call, _State]] = []
        self.item_stores: list[tuple[ast.Subscript, ast.expr, str]] = []
        self.strings: list[tuple[ast.expr, str]] = []
        self.names_read: set[str] = set()
        self.compares: list[tuple[ast.Compare, str]] = []
        self.subscripts: list[tuple[ast.Subscript, str]] = []
        self.tries: list[tuple[ast.Try, str]] = []
        self.function_facts: list[FunctionFact] = []
        self.class_facts: list[ClassFact] = []
        self.ellipsis = False

    def run(self, tree: ast.Module, limit: int) -> bool:
        """Walk ``tree``; False as soon as it is found nested more than ``limit`` levels deep (as
        ``limits.tree_depth`` counts them), and the records are then incomplete.

        Every node is counted: the walk carries each node's level; a node at the limit is measured on its
        own (``limits.tree_within``), and so are the parts of a def, a for loop and a format spec the walk
        does not visit (annotations, loop targets, format specs).
        """
        if limit < 1 or (tree.type_ignores and limit < 2):
            return False
        self.module_scope.node = tree
        self.root.node = tree
        doc = _docstring(tree)
        if doc is not None:
            self.docstrings.add(doc)
        top = _State(self.module_scope, False, "", self.root)
        stack: list[tuple[ast.AST, _State, int]] = [(child, top, 2) for child in reversed(tree.body)]
        pop, push = stack.pop, stack.append
        names_read = self.names_read
        add_name = names_read.add
        strings, docstrings = self.strings, self.docstrings
        plans = _PLANS.get
        package = self.package
        Name, Constant, FormattedValue, Load, Attribute = ast.Name, ast.Constant, ast.FormattedValue, ast.Load, ast.Attribute
        raw_calls = self.raw_calls
        key_kinds = _KEY_KINDS
        while stack:
            node, state, depth = pop()
            if depth >= limit and not tree_within(node, limit - depth + 1):
                return False
            cls = node.__class__
            action, fields = plans(cls) or _plan(cls)
            if action:
                if action == _ATTRIBUTE:  # the commonest nodes, their one child pushed here
                    add_name(node.attr)  # type: ignore[attr-defined]
                    value = node.value  # type: ignore[attr-defined]
                    kind = type(value)
                    if kind is not Name and (kind is not Constant or type(value.value) is str):
                        push((value, state, depth + 1))
                    continue
                if action == _CALL:
                    # The call is recorded (and the keys it reads by name) and its children pushed as the
                    # generic visit below pushes them, a keyword's value in its place (the keyword holds nothing
                    # else) unless the value may stand past the limit; one loop over the keywords does both.
                    raw_calls.append((node, state))
                    inner = depth + 1
                    func = node.func  # type: ignore[attr-defined]
                    kind = type(func)
                    if kind is Attribute:
                        if func.attr in _KEYED_METHODS:
                            self._method_call(node, func, state)  # type: ignore[arg-type]
                        push((func, state, inner))
                    elif kind is Name:
                        if func.id in _KEYED_FUNCTIONS:
                            self._function_call(node)  # type: ignore[arg-type]
                    elif kind is not Constant or type(func.value) is str:
                        push((func, state, inner))
                    for item in node.args:  # type: ignore[attr-defined]
                        kind = type(item)
                        if kind is not Name and (kind is not Constant or type(item.value) is str):
                            push((item, state, inner))
                    if depth + 2 <= limit:
                        inner += 1
                        for keyword in node.keywords:  # type: ignore[attr-defined]
                            if keyword.arg:
                                add_name(keyword.arg)
                            item = keyword.value
                            kind = type(item)
                            if kind is not Name and (kind is not Constant or type(item.value) is str):
                                push((item, state, inner))
                    else:
                        for keyword in node.keywords:  # type: ignore[attr-defined]
                            if keyword.arg:
                                add_name(keyword.arg)
                            push((keyword, state, inner))
                    continue
                if action == _CONSTANT:
                    if type(node.value) is str and id(node) not in docstrings:  # type: ignore[attr-defined]
                        strings.append((node, state.scope.qualname))  # type: ignore[arg-type]
                    continue
                if action == _VALUE:
                    value = node.value  # type: ignore[attr-defined]
                    kind = type(value)
                    if kind is Constant:
                        if type(value.value) is str:
                            push((value, state, depth + 1))
                        elif value.value is Ellipsis and cls is ast.Expr:
                            self.ellipsis = True
                    elif value is not None and kind is not Name:
                        push((value, state, depth + 1))
                    continue
                if action == _LEAF:
                    continue
                elif action == _ASSIGN:
                    state.sem.bind_node(node, package)
                    self._assign(node, state.scope, in_class=bool(state.prefix))  # type: ignore[arg-type]
                elif action == _SUBSCRIPT:
                    index = node.slice  # type: ignore[attr-defined]
                    kind = type(index)
                    if kind in key_kinds:
                        if type(node.ctx) is Load:  # type: ignore[attr-defined]
                            self.subscripts.append((node, state.scope.qualname))  # type: ignore[arg-type]
                        if kind is Constant and type(index.value) is str:
                            add_name(index.value)
                elif action == _COMPARE:
                    self.compares.append((node, state.scope.qualname))  # type: ignore[arg-type]
                elif action == _RETURN:
                    if node.value is not None:  # type: ignore[attr-defined]
                        state.scope.returns.append(node.value)  # type: ignore[attr-defined]
                elif action == _JOINEDSTR:
                    strings.append((node, state.scope.qualname))  # type: ignore[arg-type]
                    inner = depth + 2
                    for part in node.values:  # type: ignore[attr-defined]
                        if type(part) is FormattedValue:
                            push((part.value, state, inner))
                            spec = part.format_spec
                            if spec is not None and not _fits(spec, limit - depth - 1):
                                return False
                    continue
                elif action == _FUNCTION:
                    if not self._function(node, state, depth, limit, stack):  # type: ignore[arg-type]
                        return False
                    continue
                elif action == _CLASS:
                    self._class(node, state, depth, stack)  # type: ignore[arg-type]
                    continue
                elif action == _LOOP:
                    if not self._loop(node, state, depth, limit, stack):  # type: ignore[arg-type]
                        return False
                    continue
                elif action == _IMPORT:
                    state.sem.bind_node(node, package)
                    continue
                elif action == _NEW_SCOPE:
                    state = self._new_scope(node, state)
                elif action == _BINDING:
                    state.sem.bind_node(node, package)
                elif action == _TRY:
                    self.tries.append((node, state.scope.qualname))  # type: ignore[arg-type]
                elif action == _WITH:
                    scope = state.scope
                    for item in node.items:  # type: ignore[attr-defined]
                        if item.optional_vars is not None:
                            state.sem.bind_node(item, package)
                            for name in target_names(item.optional_vars):
                                scope.assigns.setdefault(name, []).append(item.context_expr)
                elif action == _MATCHMAPPING:  # ``case {"lr": lr}`` reads the key "lr"
                    state.sem.bind_node(node, package)  # ``**rest`` binds
                    keys = node.keys  # type: ignore[attr-defined]
                    names_read.update(k.value for k in keys if isinstance(k, Constant) and isinstance(k.value, str))
                elif action == _MATCHCLASS:  # ``case Point(x=0)`` reads the attribute x
                    names_read.update(node.kwd_attrs)  # type: ignore[attr-defined]
            inner = depth + 1
            for field_name in fields:
                value = getattr(node, field_name, None)
                if value is None:
                    continue
                if type(value) is list:
                    for item in value:
                        kind = type(item)
                        if kind is Name or item is None:
                            continue  # leaves with nothing to record; a ``**`` entry of a dict
                        if kind is Constant and type(item.value) is not str:
                            continue
                        push((item, state, inner))
                else:
                    kind = type(value)
                    if kind is Name or (kind is Constant and type(value.value) is not str):
                        continue
                    push((value, state, inner))
        return True

    def _method_call(self, node: ast.Call, func: ast.Attribute, state: _State) -> None:
        """``x.get("k")`` reads the key "k"; ``name.update(...)`` is recorded in its scope."""
        if func.attr == "get":
            if node.args:
                key = const_str(node.args[0])
                if key is not None:
                    self.names_read.add(key)
        elif type(func.value) is ast.Name:  # ``update``
            state.scope.updates.setdefault(func.value.id, []).append(node)

    def _function_call(self, node: ast.Call) -> None:
        """``getattr(x, "k")`` / ``hasattr(x, "k")`` read the name "k"."""
        if len(node.args) >= 2:
            key = const_str(node.args[1])
            if key is not None:
                self.names_read.add(key)

    def _assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, scope: Scope, in_class: bool = False) -> None:
        value = node.value
        if value is None:
            return
        targets = node.targets if type(node) is ast.Assign else [node.target]  # type: ignore[union-attr]
        for target in targets:
            kind = type(target)
            if kind is ast.Subscript:
                self.item_stores.append((target, value, scope.qualname))  # type: ignore[arg-type]
                if type(target.value) is ast.Name:  # type: ignore[attr-defined]
                    scope.item_stores.setdefault(target.value.id, []).append(target)  # type: ignore[attr-defined,arg-type]
            elif in_class or type(node) is ast.AugAssign:
                continue  # a class body binds class attributes, not names of the scope around it
            elif kind is ast.Name:
                found = scope.assigns.get(target.id)  # type: ignore[attr-defined]
                if found is None:
                    scope.assigns[target.id] = [value]  # type: ignore[attr-defined]
                else:
                    found.append(value)
            else:
                _pair(target, value, scope)

    def _function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        state: _State,
        depth: int,
        limit: int,
        stack: list[tuple[ast.AST, _State, int]],
    ) -> bool:
        # The parameters (their annotations) and the return annotation are not visited: measured here.
        a = node.args
        every = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
        if depth + 2 > limit:
            if not tree_within(a, limit - depth):
                return False
        else:
            budget = limit - depth - 2
            for p in every:
                if p is not None and p.annotation is not None and not _fits(p.annotation, budget):
                    return False
        if node.returns is not None and not _fits(node.returns, limit - depth):
            return False
        fn = state.scope.qualname
        qual = f"{state.prefix}{node.name}" if state.prefix else f"{fn}.{node.name}" if fn else node.name
        params = {p.arg: p for p in every if p is not None}
        inner = Scope(qualname=qual, node=node, params=tuple(params))
        self.scopes[qual] = inner
        self.functions.append((qual, node))
        in_protocol = bool(state.prefix) and class_is_protocol(state.sem.node)  # type: ignore[arg-type]
        self.function_facts.append(function_fact(node, qual, in_protocol))
        self.by_name.setdefault(node.name, []).append(qual)
        doc = _docstring(node)
        if doc is not None:
            self.docstrings.add(doc)
        state.sem.bind_node(node, self.package)
        sem = NameScope(FUNCTION, node, state.sem, qual, params)
        self.model.scopes.append(sem)
        self.model.functions[qual] = sem
        body_state = _State(inner, False, "", sem)
        d1 = depth + 1
        stack.extend((child, body_state, d1) for child in reversed(node.body))
        outer = _State(state.scope, state.in_loop, "", state.sem)
        stack.extend((deco, outer, d1) for deco in node.decorator_list)
        d2 = depth + 2
        stack.extend((d, outer, d2) for d in (*a.defaults, *a.kw_defaults) if d is not None)
        return True

    def _class(self, node: ast.ClassDef, state: _State, depth: int, stack: list[tuple[ast.AST, _State, int]]) -> None:
        fn = state.scope.qualname
        prefix = f"{state.prefix}{node.name}." if state.prefix or not fn else f"{fn}.{node.name}."
        doc = _docstring(node)
        if doc is not None:
            self.docstrings.add(doc)
        self.class_facts.append(class_fact(node))
        state.sem.bind_node(node, self.package)
        sem = NameScope(CLASS, node, state.sem)
        self.model.scopes.append(sem)
        d1 = depth + 1
        body_state = _State(state.scope, state.in_loop, prefix, sem)
        stack.extend((child, body_state, d1) for child in reversed(node.body))
        outer = _State(state.scope, state.in_loop, state.prefix, state.sem)
        stack.extend((child, outer, d1) for child in (*node.bases, *node.keywords, *node.decorator_list))

    def _loop(
        self,
        node: ast.For | ast.AsyncFor | ast.While,
        state: _State,
        depth: int,
        limit: int,
        stack: list[tuple[ast.AST, _State, int]],
    ) -> bool:
        scope = state.scope
        inside = _State(scope, True, state.prefix, state.sem)
        d1 = depth + 1
        # The ``else`` block runs once, after the loop.
        stack.extend((child, state, d1) for child in reversed(node.orelse))
        stack.extend((child, inside, d1) for child in reversed(node.body))
        if type(node) is ast.While:
            stack.append((node.test, inside, d1))  # type: ignore[union-attr]
            return True
        if not _fits(node.target, limit - depth):  # type: ignore[union-attr]
            return False
        state.sem.bind_node(node, self.package)
        for name in target_names(node.target):  # type: ignore[union-attr]
            scope.assigns.setdefault(name, []).append(node.iter)  # type: ignore[union-attr]
            scope.loop_targets.add(name)
        stack.append((node.iter, state, d1))  # type: ignore[union-attr]
        return True

    def _new_scope(self, node: ast.AST, state: _State) -> _State:
        """The state inside a lambda or comprehension: its own names, the function's other records."""
        if type(node) is ast.Lambda:
            sem = NameScope(LAMBDA, node, state.sem, "", parameters(node))  # type: ignore[arg-type]
        else:
            sem = NameScope(COMPREHENSION, node, state.sem)
        self.model.scopes.append(sem)
        return _State(state.scope, state.in_loop, state.prefix, sem)


def _pair(target: ast.expr, value: ast.expr, scope: Scope) -> None:
    """Record what each name of ``target`` is assigned: element by element for ``a, (b, c) = 1, (2, 3)``,
    the whole value for every name when the shapes differ or a starred name takes the rest."""
    if isinstance(target, ast.Name):
        scope.assigns.setdefault(target.id, []).append(value)
    elif (
        isinstance(target, ast.Tuple | ast.List)
        and isinstance(value, ast.Tuple | ast.List)
        and len(target.elts) == len(value.elts)
        and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
    ):
        for t_elt, v_elt in zip(target.elts, value.elts, strict=True):
            _pair(t_elt, v_elt, scope)
    else:
        for name in target_names(target):
            scope.assigns.setdefault(name, []).append(value)


def build_index(path: str, tree: ast.Module, limit: int = MAX_NESTING) -> ModuleIndex | None:
    """Index ``tree`` (the module at ``path``) in one walk; None when the tree is nested more than ``limit``
    levels deep (``limits.tree_within``), found by the same walk before anything else reads the tree."""
    col = _Collector(path)
    if not col.run(tree, limit):
        return None
    calls = _call_sites(col.raw_calls, path)
    constants: dict[str, str] = {}
    for stmt in tree.body:
        if type(stmt) is ast.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is ast.Name:
            text = const_str(stmt.value)
            if text is not None:
                constants[stmt.targets[0].id] = text
    col.functions.sort(key=_line)
    col.function_facts.sort(key=lambda f: (f.line, f.column))
    col.class_facts.sort(key=lambda c: c.line)
    return ModuleIndex(
        path=path,
        tree=tree,
        model=col.model,
        calls=calls,
        scopes=col.scopes,
        by_name=col.by_name,
        item_stores=col.item_stores,
        strings=col.strings,
        names_read=frozenset(col.names_read),
        compares=col.compares,
        subscripts=col.subscripts,
        tries=col.tries,
        constants=constants,
        functions=col.functions,
        function_facts=col.function_facts,
        class_facts=col.class_facts,
        ellipsis=col.ellipsis,
    )


# A CallSite's position in the module (its call's line and column), read in C by ``list.sort``.
_POSITION = attrgetter("node.lineno", "node.col_offset")


def _call_sites(raw_calls: list[tuple[ast.Call, _State]], path: str) -> list[CallSite]:
    """The CallSites of the calls the walk found, in position order (a call and the call it calls, as in
    ``f()()``, share a position: walk order, outer first, then stands).

    Each callee is resolved through the imports visible in the scope it stands in: ``semantic.call_site``
    spelled out inline for its two commonest callee shapes (``name(...)``, ``name.attr(...)``), which is
    ``qualified_name``'s own fast path; any other shape goes through ``call_site`` itself.
    """
    Name, Attribute = ast.Name, ast.Attribute
    calls: list[CallSite] = []
    append = calls.append
    for node, state in raw_calls:
        func = node.func
        kind = type(func)
        if kind is Name:
            sem = state.sem
            name = func.id  # type: ignore[attr-defined]
            append(CallSite(node, sem.visible.get(name, name), name, state.scope.qualname, state.in_loop, path, sem))
        elif kind is Attribute and type(func.value) is Name:  # type: ignore[attr-defined]
            sem = state.sem
            root = func.value.id  # type: ignore[attr-defined]
            attr = func.attr  # type: ignore[attr-defined]
            name = f"{sem.visible.get(root, root)}.{attr}"
            append(CallSite(node, name, attr, state.scope.qualname, state.in_loop, path, sem))
        else:
            append(call_site(node, state.sem, state.scope.qualname, state.in_loop, path))
    calls.sort(key=_POSITION)
    return calls


def _line(function: tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> int:
    return function[1].lineno


def index_module(path: str, tree: ast.Module) -> ModuleIndex:
    """Index ``tree`` (the module at ``path``) in one walk, however deep it is nested."""
    index = build_index(path, tree, sys.maxsize)
    assert index is not None
    return index


def index_of(facts: Facts, path: str) -> ModuleIndex | None:
    """The index of the code module at ``path`` (built with its syntax tree); None if it is not parsed code."""
    module = facts.python.get(path)
    if module is None or module.tree is None or facts.files[path].origin != "code":
        return None
    return module.index


def code_modules(facts: Facts) -> list[str]:
    """Paths of the parsed Python modules of the generated code, sorted."""
    return [p for p, m in facts.python.items() if m.tree is not None and facts.files[p].origin == "code"]


def indexes(facts: Facts) -> dict[str, ModuleIndex]:
    """The index of every parsed code module, by path."""
    out = {}
    for path in code_modules(facts):
        found = index_of(facts, path)
        if found is not None:
            out[path] = found
    return out


def enclosing_loops(tree: ast.AST) -> dict[int, list[ast.stmt]]:
    """Map from node id to the for/while statements that enclose it within its function."""
    result: dict[int, list[ast.stmt]] = {}
    stack: list[tuple[ast.AST, tuple[ast.stmt, ...]]] = [(tree, ())]
    while stack:
        node, loops = stack.pop()
        result[id(node)] = list(loops)
        if isinstance(node, _FUNCS):
            loops = ()
        inner = (*loops, node) if isinstance(node, _LOOPS) else loops
        for child in ast.iter_child_nodes(node):
            stack.append((child, inner))
    return result


# --------------------------------------------------------------------------- outlines: statements only


@dataclass
class Outline:
    """A view of a module from its statements: constants, functions, try blocks, with the index's
    semantic model for what names mean."""

    path: str
    tree: ast.Module
    model: SemanticModel
    constants: dict[str, str]
    # (qualname, node) of every function, methods as Class.method, nested as outer.inner.
    functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]
    # (try statement, enclosing function qualname).
    tries: list[tuple[ast.Try, str]]


def outline_module(path: str, tree: ast.Module, model: SemanticModel | None = None) -> Outline:
    """The outline of ``tree``; ``model`` is the module's semantic model (built from the tree when not given)."""
    index = index_module(path, tree)
    return _outline(index, model if model is not None else index.model)


def _outline(index: ModuleIndex, model: SemanticModel) -> Outline:
    """The outline of the module ``index`` indexes: its constants and functions from the index, its try
    blocks from a walk over its statements."""
    tries: list[tuple[ast.Try, str]] = []
    stack: list[tuple[ast.stmt, str, str]] = [(s, "", "") for s in index.tree.body]
    pop, extend = stack.pop, stack.extend
    simple = SIMPLE_STATEMENTS
    while stack:
        stmt, fn, prefix = pop()
        cls = type(stmt)
        if cls in simple:
            continue  # holds no statement
        if cls is ast.FunctionDef or cls is ast.AsyncFunctionDef:
            name = stmt.name  # type: ignore[attr-defined]
            qual = f"{prefix}{name}" if prefix else f"{fn}.{name}" if fn else name
            extend((s, qual, "") for s in stmt.body)  # type: ignore[attr-defined]
            continue
        if cls is ast.ClassDef:
            name = stmt.name  # type: ignore[attr-defined]
            inner = f"{prefix}{name}." if prefix or not fn else f"{fn}.{name}."
            extend((s, fn, inner) for s in stmt.body)  # type: ignore[attr-defined]
            continue
        if cls is ast.Try or cls is ast.TryStar:
            tries.append((stmt, fn))  # type: ignore[arg-type]
        for field_name in _BLOCK_FIELDS:
            block = getattr(stmt, field_name, None)
            if block:
                extend((s, fn, prefix) for s in block)
        for handler in getattr(stmt, "handlers", None) or ():
            extend((s, fn, prefix) for s in handler.body)
        for case in getattr(stmt, "cases", None) or ():
            extend((s, fn, prefix) for s in case.body)
    return Outline(index.path, index.tree, model, dict(index.constants), list(index.functions), tries)


_BLOCK_FIELDS = ("body", "orelse", "finalbody")


def _outline_cache(facts: Facts) -> dict[str, Outline | None]:
    return {}


def outline_of(facts: Facts, path: str) -> Outline | None:
    """The outline of the code module at ``path`` (its model from the module's index)."""
    cache = facts.derived(_outline_cache)
    if path not in cache:
        index = index_of(facts, path)
        cache[path] = _outline(index, index.model) if index is not None else None
    return cache[path]


def calls_on_lines(outline: Outline, lines: set[int]) -> list[CallSite]:
    """Calls starting on one of ``lines``, found by walking only the statements that span them."""
    if not lines:
        return []
    ordered = sorted(lines)

    def spans(node: ast.AST) -> bool:
        start = getattr(node, "lineno", 0)
        decorators = getattr(node, "decorator_list", None)
        if decorators:  # a decorated def starts at its first decorator, above the ``def`` line
            start = min(start, decorators[0].lineno)
        end = getattr(node, "end_lineno", None) or start
        pos = bisect.bisect_left(ordered, start)
        return pos < len(ordered) and ordered[pos] <= end

    found: list[CallSite] = []
    stack: list[tuple[ast.stmt, str]] = [(s, "") for s in outline.tree.body]
    qual_of = {id(node): qual for qual, node in outline.functions}
    while stack:
        stmt, fn = stack.pop()
        if not spans(stmt):
            continue
        blocks = [getattr(stmt, f, None) or [] for f in ("body", "orelse", "finalbody")]
        blocks += [h.body for h in getattr(stmt, "handlers", None) or []]
        blocks += [c.body for c in getattr(stmt, "cases", None) or []]
        inner_fn = qual_of.get(id(stmt), fn)
        if any(blocks) and not isinstance(stmt, ast.Expr | ast.Assign):
            for block in blocks:
                stack.extend((s, inner_fn) for s in block)
            own: list[ast.AST] = []
            for name in ("test", "iter", "items", "decorator_list", "subject"):
                value = getattr(stmt, name, None)
                if isinstance(value, list):
                    own.extend(getattr(v, "context_expr", v) for v in value)
                elif value is not None:
                    own.append(value)
        else:
            own = [stmt]
        for part in own:
            for node in walk(part):
                if isinstance(node, ast.Call) and node.lineno in lines:
                    found.append(call_site(node, outline.model.scope_at(node), fn, False, outline.path))
    found.sort(key=lambda c: (c.node.lineno, c.node.col_offset))
    return found


def statements_on_lines(outline: Outline, lines: set[int]) -> list[ast.stmt]:
    """Simple statements (not blocks) that start on one of ``lines``."""
    found: list[ast.stmt] = []
    stack: list[ast.stmt] = list(outline.tree.body)
    while stack:
        stmt = stack.pop()
        start, end = stmt.lineno, stmt.end_lineno or stmt.lineno
        if not any(start <= line <= end for line in lines):
            continue
        blocks = [getattr(stmt, f, None) or [] for f in ("body", "orelse", "finalbody")]
        blocks += [h.body for h in getattr(stmt, "handlers", None) or []]
        blocks += [c.body for c in getattr(stmt, "cases", None) or []]
        if any(blocks):
            for block in blocks:
                stack.extend(block)
        elif start in lines:
            found.append(stmt)
    found.sort(key=lambda s: s.lineno)
    return found
