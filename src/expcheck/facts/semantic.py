"""The shared semantic vocabulary of the submission's Python: names, bindings, call sites, resolution.

Every fact module that asks *what a name is bound to* or *what a call calls* reads the answers
from here, so they cannot disagree:

- ``dotted_name``: a Name/Attribute chain as written (``wb.init``);
- ``qualified_name``: the same chain with its root resolved through import bindings
  (``wandb.init``), calls in the chain written ``()``;
- ``target_nodes``/``target_names``: what an assignment target binds;
- ``import_bindings``: the names one ``import`` statement binds and what each stands for;
- ``NameScope``/``SemanticModel``: the scopes of a module (module, class bodies, functions, lambdas,
  comprehensions) with what each binds (assignments, parameters, defs, imports anywhere, ``with``/
  ``for``/``except`` targets, walrus, match patterns) and its ``global``/``nonlocal`` declarations;
  ``owner`` says which binding a name means at a scope (Python's rules: locals shadow, class bodies
  are not seen from their methods), ``import_of``/``visible`` what it stands for when that binding is
  an import (``import wandb as wb`` inside ``main`` is seen in ``main`` only; a module import rebound
  by a local assignment is not seen where the local is);
- ``CallSite``: one call expression, its callee resolved through the imports visible in its scope,
  its module, function, loop context and scope.

The one walk that fills these per module is ``facts/astindex.py`` (``ModuleIndex.model``, cached per
module through ``Facts.derived``); the narrow type inference (``facts/knowntypes.py``) and the
call-scope checks (``facts/callscopes.py``) are layers over it; the cross-module import graph on top
is ``facts/imports.py``. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice

from expcheck.facts.sourcetext import source_text as source_text  # re-exported: rules quote code through it


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, as written; None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def qualified_name(node: ast.AST, aliases: Mapping[str, str]) -> str:
    """``a.b.c`` of a Name/Attribute/Call chain with the root name resolved through ``aliases``.

    A call inside the chain is written ``()`` (``wandb.Api().run``); "" when the chain does not
    start at a name.
    """
    kind = type(node)  # the common shapes first: ``name`` and ``name.attr``
    if kind is ast.Name:
        return aliases.get(node.id, node.id)  # type: ignore[attr-defined]
    if kind is ast.Attribute and type(node.value) is ast.Name:  # type: ignore[attr-defined]
        root = node.value.id  # type: ignore[attr-defined]
        return f"{aliases.get(root, root)}.{node.attr}"  # type: ignore[attr-defined]
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, ast.Name):
            parts.append(aliases.get(node.id, node.id))
            break
        else:
            return ""
    out = parts[-1]
    for part in reversed(parts[:-1]):
        out = out + part if part == "()" else f"{out}.{part}"
    return out


def last_name(node: ast.AST | None) -> str:
    """The last component of a Name/Attribute (``init`` of ``wb.init``, ``x`` of ``x``); "" otherwise."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def callee_attr(node: ast.Call) -> str:
    """The last component of a call's callee (``init`` of ``wb.init(...)``); "" when not a name."""
    return last_name(node.func)


def target_nodes(target: ast.expr) -> Iterator[ast.Name]:
    """The Name nodes an assignment target binds (``a``, ``a, (b, *c)``); attributes and subscripts bind none."""
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            yield from target_nodes(elt)
    elif isinstance(target, ast.Starred):
        yield from target_nodes(target.value)


def target_names(target: ast.expr) -> Iterator[str]:
    """The names an assignment target binds."""
    return (node.id for node in target_nodes(target))


def package_of(path: str) -> str:
    """The package a relative import in the module at ``path`` is taken from: its folder as a dotted
    name (``src/pkg/a.py`` -> ``src.pkg``); "" at the top or in a folder no import can name."""
    parts = path.split("/")[:-1]
    return ".".join(parts) if all(part.isidentifier() for part in parts) else ""


def import_bindings(node: ast.Import | ast.ImportFrom, package: str) -> Iterator[tuple[str, str, bool]]:
    """(bound name, what it stands for, whether it is a plain ``import a.b`` binding only ``a``).

    ``import wandb as wb`` binds wb → wandb; ``import os.path`` binds os → os; ``from . import m``
    inside ``src`` binds m → src.m. Star imports bind nothing nameable.
    """
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name, False
            else:
                top = alias.name.split(".", 1)[0]
                yield top, top, True
        return
    module = node.module or ""
    if node.level:
        module = resolve_relative(package, node.level, node.module)
    for alias in node.names:
        if alias.name != "*":
            yield alias.asname or alias.name, f"{module}.{alias.name}" if module else alias.name, False


# --------------------------------------------------------------------------- scopes and bindings

# The kinds of scope Python has: names bound in one are local to it.
MODULE, CLASS, FUNCTION, LAMBDA, COMPREHENSION = "module", "class", "function", "lambda", "comprehension"
# Node types that bind names in the scope they stand in (besides assignments, loops, imports and defs).
BINDING_NODES = frozenset(
    {
        ast.ExceptHandler,
        ast.Global,
        ast.Nonlocal,
        ast.Delete,
        ast.NamedExpr,
        ast.MatchAs,
        ast.MatchStar,
        ast.MatchMapping,
        ast.comprehension,
    }
)
SCOPE_NODES = frozenset({ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp})
# Either: the node types a walk hands to the model besides assignments, loops, imports and defs.
SEMANTIC_NODES = BINDING_NODES | SCOPE_NODES


def parameters(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> dict[str, ast.arg]:
    """The parameters a function or lambda binds, by name: the named ones in order, then ``*args``
    and ``**kwargs``."""
    a = node.args
    every = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
    return {p.arg: p for p in every if p is not None}


def bindings_of(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """(name, binding node) for each name ``node`` binds in the scope it stands in.

    The binding node says how: the Assign itself for a plain ``x = v`` (the target expression for a
    tuple or list target), the AnnAssign, the For/AugAssign/Delete, the ``with`` item, the walrus, the
    def/class, the import, the except handler, the match pattern, the comprehension. ``global`` and
    ``nonlocal`` bind nothing here (``declarations`` reads them).
    """
    cls = type(node)
    if cls is ast.Assign:
        for target in node.targets:  # type: ignore[attr-defined]
            binder = node if type(target) is ast.Name else target
            for name in target_names(target):
                yield name, binder
    elif cls is ast.AnnAssign:
        if type(node.target) is ast.Name:  # type: ignore[attr-defined]
            yield node.target.id, node  # type: ignore[attr-defined]
    elif cls in (ast.For, ast.AsyncFor, ast.AugAssign, ast.comprehension):
        for name in target_names(node.target):  # type: ignore[attr-defined]
            yield name, node
    elif cls is ast.withitem:
        if node.optional_vars is not None:  # type: ignore[attr-defined]
            for name in target_names(node.optional_vars):  # type: ignore[attr-defined]
                yield name, node
    elif cls is ast.NamedExpr:
        yield node.target.id, node  # type: ignore[attr-defined]
    elif cls in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        yield node.name, node  # type: ignore[attr-defined]
    elif cls is ast.Import or cls is ast.ImportFrom:
        for name, _target, _plain in import_bindings(node, ""):  # type: ignore[arg-type]
            yield name, node
    elif cls is ast.ExceptHandler:
        if node.name:  # type: ignore[attr-defined]
            yield node.name, node  # type: ignore[attr-defined]
    elif cls is ast.Delete:
        for target in node.targets:  # type: ignore[attr-defined]
            for name in target_names(target):
                yield name, node
    elif cls is ast.MatchAs or cls is ast.MatchStar:
        if node.name:  # type: ignore[attr-defined]
            yield node.name, node  # type: ignore[attr-defined]
    elif cls is ast.MatchMapping and node.rest:  # type: ignore[attr-defined]
        yield node.rest, node  # type: ignore[attr-defined]


@dataclass(eq=False)
class NameScope:
    """One scope of a module (the module, a class body, a function, a lambda, a comprehension) and
    what is bound in it. Filled by the one walk of ``facts/astindex.py``; read through ``owner``,
    ``import_of`` and ``visible``, which follow Python's rules (class bodies are not seen from the
    functions inside them; ``global``/``nonlocal`` send a name to the module or the enclosing function)."""

    kind: str
    node: ast.AST
    parent: NameScope | None = None
    # A function's qualname as the index writes it ("Class.method", "outer.inner"); "" otherwise.
    qualname: str = ""
    params: dict[str, ast.arg] = field(default_factory=dict)
    # name -> the nodes that bind it here, in source order (see ``bindings_of``).
    bindings: dict[str, list[ast.AST]] = field(default_factory=dict)
    # name -> what an import here binds it to (``wb`` -> ``wandb``).
    imports: dict[str, str] = field(default_factory=dict)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)
    _resolved: dict[str, str | None] = field(default_factory=dict, repr=False)

    @property
    def root(self) -> NameScope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def binds(self, name: str) -> bool:
        """Whether ``name`` is local to this scope (a parameter or bound in its body)."""
        return name in self.params or name in self.bindings

    def declares(self, name: str) -> bool:
        return name in self.declared_global or name in self.declared_nonlocal

    def bind(self, name: str, node: ast.AST) -> None:
        """Record that ``node`` binds ``name`` here (a walrus in a comprehension binds in the scope
        around it; a name declared ``global``/``nonlocal`` is bound where the declaration sends it)."""
        if not self.declared_global and not self.declared_nonlocal and type(node) is not ast.NamedExpr:
            found = self.bindings.get(name)
            if found is None:
                self.bindings[name] = [node]
            else:
                found.append(node)
            return
        scope = self
        if type(node) is ast.NamedExpr:
            while scope.kind == COMPREHENSION and scope.parent is not None:
                scope = scope.parent
        if name in scope.declared_global:
            scope = scope.root
        elif name in scope.declared_nonlocal:
            return  # the enclosing function binds it already
        scope.bindings.setdefault(name, []).append(node)

    def bind_node(self, node: ast.AST, package: str) -> None:
        """Record every binding ``node`` makes here (``declarations`` and imports included)."""
        cls = type(node)
        if cls is ast.Assign:  # the common cases first, without the generator
            for target in node.targets:  # type: ignore[attr-defined]
                if type(target) is ast.Name:
                    self.bind(target.id, node)
                else:
                    for name in target_names(target):
                        self.bind(name, target)
            return
        if cls is ast.AugAssign or cls is ast.AnnAssign or cls is ast.For:
            target = node.target  # type: ignore[attr-defined]
            if type(target) is ast.Name:
                self.bind(target.id, node)
                return
        if cls is ast.Global:
            self.declared_global.update(node.names)  # type: ignore[attr-defined]
            return
        if cls is ast.Nonlocal:
            self.declared_nonlocal.update(node.names)  # type: ignore[attr-defined]
            return
        if cls is ast.Import or cls is ast.ImportFrom:
            scope = self
            for name, target, plain in import_bindings(node, package):  # type: ignore[arg-type]
                scope.bind(name, node)
                owner = scope.root if name in scope.declared_global else scope
                if plain:
                    owner.imports.setdefault(name, target)
                else:
                    owner.imports[name] = target
            return
        for name, binder in bindings_of(node):
            self.bind(name, binder)

    def owner(self, name: str) -> NameScope | None:
        """The scope whose binding ``name`` means here; None for a builtin or a name bound nowhere."""
        for scope in self.enclosing():
            if name in scope.declared_global:
                root = scope.root
                return root if root.binds(name) else None
            if scope.binds(name):
                return scope
        return None

    def import_of(self, name: str) -> str | None:
        """What ``name`` stands for here when the binding it means is an import (``wandb`` for ``wb``);
        None when it means a local variable, a parameter, a def, or nothing bound."""
        try:
            return self._resolved[name]
        except KeyError:
            owner = self.owner(name)
            found = owner.imports.get(name) if owner is not None else None
            self._resolved[name] = found
            return found

    @cached_property
    def visible(self) -> Mapping[str, str]:
        """The imports visible here, name -> target (for ``qualified_name``), read once the walk is
        done: those of the enclosing scopes less the names bound here, plus this scope's own. The map
        may be shared with the scope around (never write to it)."""
        outer = next(islice(self.enclosing(), 1, None), None)
        base = outer.visible if outer is not None else {}
        if not (self.params or self.bindings or self.declared_global):
            return base
        out = dict(base)
        for name in (*self.params, *self.bindings):
            out.pop(name, None)
        out.update(self.imports)
        for name in self.declared_global:
            target = self.import_of(name)
            if target is None:
                out.pop(name, None)
            else:
                out[name] = target
        return out

    def enclosing(self) -> Iterator[NameScope]:
        """This scope and the ones whose names it can see, innermost first."""
        yield self
        scope = self.parent
        while scope is not None:
            if scope.kind != CLASS:
                yield scope
            scope = scope.parent


@dataclass(eq=False)
class SemanticModel:
    """The scopes of one module, from the index's one walk (``facts/astindex.py``)."""

    path: str
    root: NameScope
    # Every scope in walk order (the module first).
    scopes: list[NameScope] = field(default_factory=list)
    # Function scopes by the index's qualname.
    functions: dict[str, NameScope] = field(default_factory=dict)

    def function(self, qualname: str) -> NameScope:
        """The scope of the function ``qualname``; the module's for "" or an unknown name."""
        return self.functions.get(qualname, self.root) if qualname else self.root

    def visible(self, function: str = "") -> Mapping[str, str]:
        """The imports visible in the body of the function ``function`` (the module's for "")."""
        return self.function(function).visible

    def qualified(self, node: ast.AST, function: str = "") -> str:
        """``qualified_name`` of ``node`` standing in the body of ``function``."""
        return qualified_name(node, self.function(function).visible)

    def qualified_at(self, node: ast.AST) -> str:
        """``qualified_name`` of ``node`` resolved in the scope that holds it (found by position)."""
        root = node
        while isinstance(root, ast.Attribute | ast.Call):
            root = root.value if isinstance(root, ast.Attribute) else root.func
        if isinstance(root, ast.Name) and root.id in self.imported:
            return qualified_name(node, self.scope_at(node).visible)
        return qualified_name(node, {})

    @cached_property
    def imported(self) -> frozenset[str]:
        """Every name an import binds somewhere in the module."""
        return frozenset(name for scope in self.scopes for name in scope.imports)

    @cached_property
    def declared(self) -> frozenset[str]:
        """Names some scope declares ``global`` or ``nonlocal``: assignments elsewhere may change them."""
        return frozenset(n for s in self.scopes for n in (*s.declared_global, *s.declared_nonlocal))

    def scope_at(self, node: ast.AST) -> NameScope:
        """The innermost scope whose span holds ``node`` (by position; a def's own node is outside it)."""
        at = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        best = self.root
        for scope in self.scopes[1:]:
            inner = scope.node
            if inner is node:
                continue
            start = (inner.lineno, inner.col_offset)  # type: ignore[attr-defined]
            end = (inner.end_lineno or inner.lineno, inner.end_col_offset or 0)  # type: ignore[attr-defined]
            if start <= at < end:
                best = scope  # scopes come in walk order: a later one holding ``node`` is nested deeper
        return best


# Hashable and compared by value like a frozen dataclass, without the cost of a frozen one's __init__
# (one is made per call of every module): nothing writes to a CallSite once the index has made it.
@dataclass(unsafe_hash=True, slots=True)
class CallSite:
    """One call expression of a project module."""

    node: ast.Call
    # Dotted callee with import bindings resolved ("wandb.init", "matplotlib.pyplot.savefig",
    # "run.log"); a call in the chain is written "()" ("wandb.Api().run"); "" when not nameable.
    name: str
    # The last component of the callee ("init", "savefig", "log").
    attr: str
    # Qualified name of the enclosing function ("" at module level).
    function: str
    # Inside a for/while loop of the enclosing function.
    in_loop: bool
    # The module's path in the submission.
    path: str
    # The scope the call stands in (None when the call was not found by the index's walk).
    scope: NameScope | None = field(default=None, compare=False, repr=False)

    @property
    def dotted(self) -> str | None:
        """The callee as written (``wb.init``), None when it is not a chain of names."""
        return dotted_name(self.node.func)

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def column(self) -> int:
        return self.node.col_offset + 1

    def arg(self, position: int, keyword: str | None = None) -> ast.expr | None:
        """The argument at ``position`` or passed as ``keyword``; None when absent."""
        if keyword is not None:
            for kw in self.node.keywords:
                if kw.arg == keyword:
                    return kw.value
        args = self.node.args
        if 0 <= position < len(args) and not isinstance(args[position], ast.Starred):
            return args[position]
        return None

    def keyword(self, name: str) -> ast.expr | None:
        for kw in self.node.keywords:
            if kw.arg == name:
                return kw.value
        return None

    @property
    def has_kwargs_splat(self) -> bool:
        return any(kw.arg is None for kw in self.node.keywords)


def call_site(node: ast.Call, scope: NameScope, function: str, in_loop: bool, path: str) -> CallSite:
    """The CallSite of ``node`` standing in ``scope``, its callee resolved through the imports visible there."""
    func = node.func
    kind = type(func)
    attr = func.attr if kind is ast.Attribute else func.id if kind is ast.Name else ""  # type: ignore[attr-defined]
    return CallSite(node, qualified_name(func, scope.visible), attr, function, in_loop, path, scope)


def enclosing_functions(function: str) -> Iterator[str]:
    """``a.b.c`` → ``a.b.c``, ``a.b``, ``a``: the qualnames of the functions around a point, innermost first."""
    parts = function.split(".") if function else []
    for end in range(len(parts), 0, -1):
        yield ".".join(parts[:end])


def load_lines(tree: ast.AST, name: str, skip_line: int) -> list[int]:
    """The lines (sorted, once each) where ``name`` is read, other than ``skip_line``."""
    return sorted(
        {
            n.lineno
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) and n.lineno != skip_line
        }
    )


def string_constants(tree: ast.AST) -> Iterator[str]:
    """Every string constant in ``tree``, docstrings included, in walk order."""
    return (n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def is_generator(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``func`` yields (itself or in a function nested in it)."""
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(func))


def resolve_relative(package: str, level: int, module: str | None) -> str:
    """The absolute module a relative import names from ``package``; "" when it climbs past the top."""
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or not parts:
        return ""
    base = parts[: len(parts) - (level - 1)]
    if not base:
        return ""
    return ".".join([*base, module] if module else base)
