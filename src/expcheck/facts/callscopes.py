"""Call sites of each project module with what a name means at the call: local, or the module's binding.

The calls come from the shared one-walk index (``facts/astindex.py``); this module adds what a call
check needs beyond it, computed only for the few calls that may reach project code: the names a
function binds locally (parameters, assignments, loop and ``with`` targets, nested defs, local
imports, ``except ... as``), ``global`` declarations, class-body names, and the try statements
around a call. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from expcheck.facts import Facts
from expcheck.facts.astindex import ModuleIndex, indexes
from expcheck.facts.imports import ModuleInfo, project_index
from expcheck.facts.python import SIMPLE_STATEMENTS, walk
from expcheck.facts.semantic import CallSite, dotted_name, target_names

__all__ = ["AttributeRef", "CallSite", "ModuleScopes", "dotted_name"]


@dataclass(frozen=True)
class AttributeRef:
    """A loaded ``a.b.c`` chain whose root is a module-level name bound to a project module."""

    path: str
    node: ast.Attribute
    dotted: str


_BLOCKS = ("body", "orelse", "finalbody")


def _function_locals(node: ast.AST) -> tuple[frozenset[str], frozenset[str]]:
    """(names the function binds locally, names it declares global), from its statements only.

    Nested functions and classes count by their own name; what they bind inside is theirs. A walrus
    inside an expression is not seen (it would only make a name look module-level).
    """
    bound: set[str] = set()
    declared_global: set[str] = set()
    args = getattr(node, "args", None)
    if isinstance(args, ast.arguments):
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        bound.update(a.arg for a in every if a is not None)
    stack: list[ast.stmt] = list(getattr(node, "body", []))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(stmt.name)
            continue
        if isinstance(stmt, ast.Assign):
            bound.update(n for t in stmt.targets for n in target_names(t))
        elif isinstance(stmt, ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor):
            bound.update(target_names(stmt.target))
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            bound.update(
                n for item in stmt.items if item.optional_vars is not None for n in target_names(item.optional_vars)
            )
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                plain = isinstance(stmt, ast.Import) and not alias.asname
                bound.add(alias.name.split(".", 1)[0] if plain else alias.asname or alias.name)
        elif isinstance(stmt, ast.Delete):
            bound.update(n for t in stmt.targets for n in target_names(t))
        elif isinstance(stmt, ast.Global):
            declared_global.update(stmt.names)
        elif isinstance(stmt, ast.Nonlocal):
            bound.update(stmt.names)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            for handler in stmt.handlers:
                if handler.name:
                    bound.add(handler.name)
                stack.extend(handler.body)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                bound.update(
                    n.name for n in ast.walk(case.pattern) if isinstance(n, ast.MatchAs | ast.MatchStar) and n.name
                )
                stack.extend(case.body)
        if type(stmt) in SIMPLE_STATEMENTS:
            continue
        for name in _BLOCKS:
            block = getattr(stmt, name, None)
            if block:
                stack.extend(block)
    return frozenset(bound - declared_global), frozenset(declared_global)


@dataclass
class _ClassBody:
    start: int
    end: int
    names: frozenset[str]
    methods: list[tuple[int, int]]


def _class_bodies(tree: ast.Module) -> list[_ClassBody]:
    found: list[_ClassBody] = []
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.ClassDef):
            names: set[str] = set()
            methods: list[tuple[int, int]] = []
            for inner in stmt.body:
                if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(inner.name)
                    methods.append((inner.lineno, inner.end_lineno or inner.lineno))
                else:
                    names.update(
                        n.id for n in ast.walk(inner) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
                    )
            found.append(_ClassBody(stmt.lineno, stmt.end_lineno or stmt.lineno, frozenset(names), methods))
        elif type(stmt) in SIMPLE_STATEMENTS:
            continue
        for name in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(stmt, name, None)
            if isinstance(block, list):
                stack.extend(b for b in block if isinstance(b, ast.stmt | ast.ExceptHandler))  # type: ignore[misc]
    return found


@dataclass
class ModuleScopes:
    """Calls of one module, and on demand what a name means where a call stands."""

    path: str
    index: ModuleIndex
    calls: list[CallSite]
    _locals: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    _classes: list[_ClassBody] | None = None

    def _scope_locals(self, qualname: str) -> tuple[frozenset[str], frozenset[str]]:
        if qualname not in self._locals:
            scope = self.index.scopes.get(qualname)
            self._locals[qualname] = _function_locals(scope.node) if scope is not None else (frozenset(), frozenset())
        return self._locals[qualname]

    def binds(self, call: CallSite, name: str) -> bool:
        """Whether ``name`` at ``call`` means something other than the module-level binding."""
        parts = call.function.split(".") if call.function else []
        for end in range(len(parts), 0, -1):
            qualname = ".".join(parts[:end])
            if qualname not in self.index.scopes:
                continue  # a class between functions: its names are not visible inside them
            bound, declared_global = self._scope_locals(qualname)
            if name in declared_global:
                return False
            if name in bound:
                return True
        return self._in_class_body(call.line, name)

    def _in_class_body(self, line: int, name: str) -> bool:
        if self._classes is None:
            self._classes = _class_bodies(self.index.tree)
        for body in self._classes:
            inside = body.start <= line <= body.end and name in body.names
            if inside and not any(start <= line <= end for start, end in body.methods):
                return True
        return False

    def caught(self, call: CallSite) -> tuple[str, ...]:
        """Exception names caught by the try statements (of the same function) whose body holds the call."""
        names: list[str] = []
        for node, function in self.index.tries:
            if function != call.function or not node.body:
                continue
            if node.body[0].lineno <= call.line <= (node.body[-1].end_lineno or node.body[-1].lineno):
                for handler in node.handlers:
                    if handler.type is None:
                        names.append("BaseException")
                        continue
                    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                    names.extend(dotted_name(t) or "?" for t in types)
        return tuple(names)

    def function_node(self, call: CallSite) -> ast.AST | None:
        scope = self.index.scopes.get(call.function)
        return scope.node if scope is not None and call.function else None


def module_scopes(facts: Facts) -> dict[str, ModuleScopes]:
    """Calls of every parsed code module, by path (use through ``facts.derived``)."""
    found: dict[str, ModuleScopes] = {}
    for path, index in facts.derived(indexes).items():
        found[path] = ModuleScopes(path=path, index=index, calls=index.calls)
    return found


def module_level_target(info: ModuleInfo, name: str) -> str | None:
    """The module a module-level ``name`` is bound to by an import, when it is bound once."""
    binding = info.unique(name)
    if binding is None or binding.kind != "import" or binding.source is None:
        return None
    source = binding.source
    if source.name is None:
        # ``import src.train`` binds ``src``; ``import src.train as t`` binds the module itself.
        return source.top if source.bound == source.top else source.module
    return f"{source.module}.{source.name}"


def _all_module_aliases(facts: Facts) -> dict[str, dict[str, str]]:
    index = facts.derived(project_index)
    found: dict[str, dict[str, str]] = {}
    for path, info in index.by_path.items():
        aliases: dict[str, str] = {}
        for name, bindings in info.bindings.items():
            if len(bindings) != 1 or bindings[0].kind != "import":
                continue
            target = module_level_target(info, name)
            if target is not None and index.is_project(target) and index.exists(target):
                aliases[name] = target
        found[path] = aliases
    return found


def project_module_aliases(facts: Facts, info: ModuleInfo) -> dict[str, str]:
    """Module-level names bound to a project module (``import src.model as m``, ``from src import model``)."""
    return facts.derived(_all_module_aliases).get(info.path, {})


def resolve_module_chain(facts: Facts, info: ModuleInfo, dotted: str) -> tuple[str, list[str]] | None:
    """For ``m.a.b`` where module-level ``m`` names a project module: (the deepest module named, the rest)."""
    index = facts.derived(project_index)
    root, *rest = dotted.split(".")
    module = project_module_aliases(facts, info).get(root)
    if module is None:
        return None
    while rest and index.exists(f"{module}.{rest[0]}"):
        module = f"{module}.{rest.pop(0)}"
    return module, rest


def module_attribute_refs(facts: Facts, info: ModuleInfo, tree: ast.Module) -> list[AttributeRef]:
    """Loaded ``m.x`` chains on names bound to project modules, unless such a name is also bound locally."""
    aliases = project_module_aliases(facts, info)
    if not aliases:
        return []
    rebound: set[str] = set()
    refs: list[AttributeRef] = []
    for node in walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and node.id in aliases:
            rebound.add(node.id)
        elif isinstance(node, ast.arg) and node.arg in aliases:
            rebound.add(node.arg)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            dotted = dotted_name(node)
            if dotted is not None and dotted.split(".", 1)[0] in aliases:
                refs.append(AttributeRef(info.path, node, dotted))
    # A chain a.b.c is also seen as a.b: keep the longest of each.
    longest = {id(r.node.value) for r in refs}
    return [r for r in refs if id(r.node) not in longest and r.dotted.split(".", 1)[0] not in rebound]
