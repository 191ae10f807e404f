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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from expcheck.facts import Facts
from expcheck.facts.python import walk
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
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(f for f in cls._fields if f not in _SKIP_FIELDS)  # type: ignore[attr-defined]
    return fields


def _docstring(node: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int | None:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return id(body[0].value)
    return None


@dataclass(frozen=True)
class _State:
    scope: Scope
    in_loop: bool
    prefix: str  # "Class." inside a class body
    sem: NameScope  # the scope names bind in (a class body, a lambda, a comprehension have their own)


class _Collector:
    """One iterative walk over a module, filling a ModuleIndex's raw material."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.package = package_of(path)
        self.root = NameScope(MODULE, ast.Module(body=[], type_ignores=[]))
        self.model = SemanticModel(path, self.root, [self.root])
        self.docstrings: set[int] = set()
        self.module_scope = Scope(qualname="", node=ast.Module(body=[], type_ignores=[]))
        self.scopes: dict[str, Scope] = {"": self.module_scope}
        self.by_name: dict[str, list[str]] = {}
        self.raw_calls: list[tuple[ast.Call, str, bool, NameScope]] = []
        self.item_stores: list[tuple[ast.Subscript, ast.expr, str]] = []
        self.strings: list[tuple[ast.expr, str]] = []
        self.names_read: set[str] = set()
        self.compares: list[tuple[ast.Compare, str]] = []
        self.subscripts: list[tuple[ast.Subscript, str]] = []
        self.tries: list[tuple[ast.Try, str]] = []

    def run(self, tree: ast.Module) -> None:
        self.module_scope.node = tree
        self.root.node = tree
        doc = _docstring(tree)
        if doc is not None:
            self.docstrings.add(doc)
        top = _State(self.module_scope, False, "", self.root)
        stack: list[tuple[ast.AST, _State]] = [(child, top) for child in reversed(tree.body)]
        pop, push = stack.pop, stack.append
        names_read = self.names_read
        while stack:
            node, state = pop()
            cls = type(node)
            if cls is ast.Name or cls is ast.Load or cls is ast.Store:
                continue
            scope = state.scope
            if cls is ast.Attribute:
                names_read.add(node.attr)  # type: ignore[attr-defined]
            elif cls is ast.Call:
                self._call(node, state)  # type: ignore[arg-type]
            elif cls is ast.Constant:
                if isinstance(node.value, str) and id(node) not in self.docstrings:  # type: ignore[attr-defined]
                    self.strings.append((node, scope.qualname))  # type: ignore[arg-type]
                continue
            elif cls is ast.Subscript:
                index = node.slice  # type: ignore[attr-defined]
                kind = type(index)
                if (
                    kind is ast.Constant
                    or kind is ast.List
                    or kind is ast.Name
                    or kind is ast.Attribute
                    or kind is ast.Call
                ):
                    if type(node.ctx) is ast.Load:  # type: ignore[attr-defined]
                        self.subscripts.append((node, scope.qualname))  # type: ignore[arg-type]
                    if kind is ast.Constant and isinstance(index.value, str):
                        names_read.add(index.value)
            elif cls is ast.JoinedStr:
                self.strings.append((node, scope.qualname))  # type: ignore[arg-type]
                for part in node.values:  # type: ignore[attr-defined]
                    if type(part) is ast.FormattedValue:
                        push((part.value, state))
                continue
            elif cls is ast.Compare:
                self.compares.append((node, scope.qualname))  # type: ignore[arg-type]
            elif cls is ast.Assign or cls is ast.AnnAssign or cls is ast.AugAssign:
                state.sem.bind_node(node, self.package)
                self._assign(node, scope, in_class=bool(state.prefix))  # type: ignore[arg-type]
            elif cls is ast.Return:
                if node.value is not None:  # type: ignore[attr-defined]
                    scope.returns.append(node.value)  # type: ignore[attr-defined]
            elif cls is ast.FunctionDef or cls is ast.AsyncFunctionDef:
                self._function(node, state, stack)  # type: ignore[arg-type]
                continue
            elif cls is ast.ClassDef:
                self._class(node, state, stack)  # type: ignore[arg-type]
                continue
            elif cls is ast.For or cls is ast.AsyncFor or cls is ast.While:
                self._loop(node, state, stack)  # type: ignore[arg-type]
                continue
            elif cls is ast.Import or cls is ast.ImportFrom:
                state.sem.bind_node(node, self.package)
                continue
            elif cls is ast.MatchMapping:  # ``case {"lr": lr}`` reads the key "lr"
                state.sem.bind_node(node, self.package)  # ``**rest`` binds
                keys = node.keys  # type: ignore[attr-defined]
                names_read.update(k.value for k in keys if isinstance(k, ast.Constant) and isinstance(k.value, str))
            elif cls is ast.MatchClass:  # ``case Point(x=0)`` reads the attribute x
                names_read.update(node.kwd_attrs)  # type: ignore[attr-defined]
            elif cls is ast.Try or cls is ast.TryStar:
                self.tries.append((node, scope.qualname))  # type: ignore[arg-type]
            elif cls is ast.With or cls is ast.AsyncWith:
                for item in node.items:  # type: ignore[attr-defined]
                    if item.optional_vars is not None:
                        state.sem.bind_node(item, self.package)
                        for name in target_names(item.optional_vars):
                            scope.assigns.setdefault(name, []).append(item.context_expr)
            elif cls in SEMANTIC_NODES:
                if cls in SCOPE_NODES:
                    state = self._new_scope(node, state)
                else:
                    state.sem.bind_node(node, self.package)
            fields = _CHILD_FIELDS.get(cls) or _child_fields(cls)
            for field_name in fields:
                value = getattr(node, field_name, None)
                if value is None:
                    continue
                if type(value) is list:
                    for item in value:
                        kind = type(item)
                        if kind is ast.Name or (kind is ast.Constant and type(item.value) is not str):
                            continue  # leaves with nothing to record
                        if isinstance(item, ast.AST):
                            push((item, state))
                else:
                    kind = type(value)
                    if kind is ast.Name or (kind is ast.Constant and type(value.value) is not str):
                        continue
                    if isinstance(value, ast.AST):
                        push((value, state))

    def _call(self, node: ast.Call, state: _State) -> None:
        scope = state.scope
        self.raw_calls.append((node, scope.qualname, state.in_loop, state.sem))
        func = node.func
        attr = func.attr if isinstance(func, ast.Attribute) else ""
        if attr == "get" and node.args:
            key = const_str(node.args[0])
            if key is not None:
                self.names_read.add(key)
        elif attr == "update" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            scope.updates.setdefault(func.value.id, []).append(node)
        elif isinstance(func, ast.Name) and func.id in ("getattr", "hasattr") and len(node.args) >= 2:
            key = const_str(node.args[1])
            if key is not None:
                self.names_read.add(key)
        for kw in node.keywords:
            if kw.arg:
                self.names_read.add(kw.arg)

    def _assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, scope: Scope, in_class: bool = False) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if value is None:
            return
        for target in targets:
            if isinstance(target, ast.Subscript):
                self.item_stores.append((target, value, scope.qualname))
                if isinstance(target.value, ast.Name):
                    scope.item_stores.setdefault(target.value.id, []).append(target)
            elif isinstance(node, ast.AugAssign) or in_class:
                continue  # a class body binds class attributes, not names of the scope around it
            elif isinstance(target, ast.Name):
                scope.assigns.setdefault(target.id, []).append(value)
            else:
                _pair(target, value, scope)

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, state: _State, stack: list[tuple[ast.AST, _State]]
    ) -> None:
        fn = state.scope.qualname
        qual = f"{state.prefix}{node.name}" if state.prefix else f"{fn}.{node.name}" if fn else node.name
        params = parameters(node)
        inner = Scope(qualname=qual, node=node, params=tuple(params))
        self.scopes[qual] = inner
        self.by_name.setdefault(node.name, []).append(qual)
        doc = _docstring(node)
        if doc is not None:
            self.docstrings.add(doc)
        state.sem.bind_node(node, self.package)
        sem = NameScope(FUNCTION, node, state.sem, qual, params)
        self.model.scopes.append(sem)
        self.model.functions[qual] = sem
        body_state = _State(inner, False, "", sem)
        stack.extend((child, body_state) for child in reversed(node.body))
        outer = _State(state.scope, state.in_loop, "", state.sem)
        stack.extend((deco, outer) for deco in node.decorator_list)
        stack.extend((d, outer) for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None)

    def _class(self, node: ast.ClassDef, state: _State, stack: list[tuple[ast.AST, _State]]) -> None:
        fn = state.scope.qualname
        prefix = f"{state.prefix}{node.name}." if state.prefix or not fn else f"{fn}.{node.name}."
        doc = _docstring(node)
        if doc is not None:
            self.docstrings.add(doc)
        state.sem.bind_node(node, self.package)
        sem = NameScope(CLASS, node, state.sem)
        self.model.scopes.append(sem)
        body_state = _State(state.scope, state.in_loop, prefix, sem)
        stack.extend((child, body_state) for child in reversed(node.body))
        outer = _State(state.scope, state.in_loop, state.prefix, state.sem)
        stack.extend((child, outer) for child in (*node.bases, *node.keywords, *node.decorator_list))

    def _loop(
        self, node: ast.For | ast.AsyncFor | ast.While, state: _State, stack: list[tuple[ast.AST, _State]]
    ) -> None:
        scope = state.scope
        inside = _State(scope, True, state.prefix, state.sem)
        # The ``else`` block runs once, after the loop.
        stack.extend((child, state) for child in reversed(node.orelse))
        stack.extend((child, inside) for child in reversed(node.body))
        if isinstance(node, ast.While):
            stack.append((node.test, inside))
            return
        state.sem.bind_node(node, self.package)
        for name in target_names(node.target):
            scope.assigns.setdefault(name, []).append(node.iter)
            scope.loop_targets.add(name)
        stack.append((node.iter, state))

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


def index_module(path: str, tree: ast.Module) -> ModuleIndex:
    """Index ``tree`` (the module at ``path``) in one walk."""
    col = _Collector(path)
    col.run(tree)
    # A call's callee is resolved through the imports visible in the scope it stands in.
    calls = [call_site(node, sem, fn, in_loop, path) for node, fn, in_loop, sem in col.raw_calls]
    calls.sort(key=lambda c: (c.node.lineno, c.node.col_offset))
    constants: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            text = const_str(stmt.value)
            if text is not None:
                constants[stmt.targets[0].id] = text
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
    )


def _cache(facts: Facts) -> dict[str, ModuleIndex | None]:
    return {}


def index_of(facts: Facts, path: str) -> ModuleIndex | None:
    """The index of the code module at ``path``, built on first use; None if it is not parsed code."""
    cache = facts.derived(_cache)
    if path not in cache:
        module = facts.python.get(path)
        ok = module is not None and module.tree is not None and facts.files[path].origin == "code"
        cache[path] = index_module(path, module.tree) if ok else None  # type: ignore[union-attr,arg-type]
    return cache[path]


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
    if model is None:
        model = index_module(path, tree).model
    constants: dict[str, str] = {}
    functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    tries: list[tuple[ast.Try, str]] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            text = const_str(stmt.value)
            if text is not None:
                constants[stmt.targets[0].id] = text
    stack: list[tuple[ast.stmt, str, str]] = [(s, "", "") for s in tree.body]
    while stack:
        stmt, fn, prefix = stack.pop()
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            qual = f"{prefix}{stmt.name}" if prefix else f"{fn}.{stmt.name}" if fn else stmt.name
            functions.append((qual, stmt))
            stack.extend((s, qual, "") for s in stmt.body)
            continue
        if isinstance(stmt, ast.ClassDef):
            inner = f"{prefix}{stmt.name}." if prefix or not fn else f"{fn}.{stmt.name}."
            stack.extend((s, fn, inner) for s in stmt.body)
            continue
        if isinstance(stmt, ast.Try | ast.TryStar):
            tries.append((stmt, fn))  # type: ignore[arg-type]
        for field_name in ("body", "orelse", "finalbody"):
            stack.extend((s, fn, prefix) for s in getattr(stmt, field_name, None) or [])
        for handler in getattr(stmt, "handlers", None) or []:
            stack.extend((s, fn, prefix) for s in handler.body)
        for case in getattr(stmt, "cases", None) or []:
            stack.extend((s, fn, prefix) for s in case.body)
    functions.sort(key=lambda f: f[1].lineno)
    return Outline(path, tree, model, constants, functions, tries)


def _outline_cache(facts: Facts) -> dict[str, Outline | None]:
    return {}


def outline_of(facts: Facts, path: str) -> Outline | None:
    """The outline of the code module at ``path`` (its model from the module's index)."""
    cache = facts.derived(_outline_cache)
    if path not in cache:
        index = index_of(facts, path)
        cache[path] = outline_module(path, index.tree, index.model) if index is not None else None
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
