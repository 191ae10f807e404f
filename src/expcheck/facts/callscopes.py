"""Call sites of each project module with what a name means at the call: local, or the module's binding.

The calls come from the shared one-walk index (``facts/astindex.py``) and what a name means where a
call stands from its semantic model (``facts/semantic.py``: scopes, bindings, ``global``); this module
adds what a call check needs beyond them: the try statements around a call, and the module-level
names bound to project modules. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.astindex import ModuleIndex, index_of, indexes
from expcheck.facts.imports import ModuleInfo, project_index
from expcheck.facts.linespans import mention_lines, spans
from expcheck.facts.semantic import CallSite, dotted_name

__all__ = ["AttributeRef", "CallSite", "ModuleScopes", "dotted_name"]


@dataclass(frozen=True)
class AttributeRef:
    """A loaded ``a.b.c`` chain whose root is a module-level name bound to a project module."""

    path: str
    node: ast.Attribute
    dotted: str


@dataclass
class ModuleScopes:
    """Calls of one module, and what a name means where a call stands (from the semantic model)."""

    path: str
    index: ModuleIndex
    calls: list[CallSite]

    def binds(self, call: CallSite, name: str) -> bool:
        """Whether ``name`` at ``call`` means something other than the module-level binding: a local,
        a parameter, a name of an enclosing function, of the class body the call stands in, of a
        lambda or comprehension around it."""
        scope = call.scope or self.index.model.function(call.function)
        owner = scope.owner(name)
        return owner is not None and owner.parent is not None

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
        module = index_of(facts, path)
        if module is None:
            found[path] = aliases
            continue
        root = module.model.root
        for name in root.imports:
            bindings = root.bindings.get(name, [])
            if len(bindings) != 1 or name in module.model.declared:
                continue  # bound again (or from a function through ``global``)
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


# Nodes that hold no attribute chain.
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.alias})


def module_attribute_refs(facts: Facts, info: ModuleInfo, tree: ast.Module) -> list[AttributeRef]:
    """Loaded ``m.x`` chains on names bound to project modules, where the name means that import
    (not a local, parameter or other binding of the scope the chain stands in)."""
    aliases = project_module_aliases(facts, info)
    index = index_of(facts, info.path)
    if not aliases or index is None:
        return []
    model = index.model
    lines = mention_lines(facts.python[info.path].file, aliases)
    # (depth, preorder, ref): sorted, the order of ``walk`` (breadth-first: by depth, then left to right).
    found: list[tuple[int, int, AttributeRef]] = []
    order = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.stmt) and not spans(node, lines):
            continue  # no line of this statement names an alias
        order += 1
        if type(node) is ast.Attribute and type(node.ctx) is ast.Load:  # type: ignore[attr-defined]
            dotted = dotted_name(node)
            if dotted is not None and dotted.split(".", 1)[0] in aliases:
                found.append((depth, order, AttributeRef(info.path, node, dotted)))  # type: ignore[arg-type]
        children = [child for child in ast.iter_child_nodes(node) if type(child) not in _LEAVES]
        stack.extend((child, depth + 1) for child in reversed(children))
    found.sort(key=lambda item: item[:2])
    refs = [ref for _, _, ref in found]
    # A chain a.b.c is also seen as a.b: keep the longest of each.
    longest = {id(r.node.value) for r in refs}
    return [
        r
        for r in refs
        if id(r.node) not in longest and model.scope_at(r.node).owner(r.dotted.split(".", 1)[0]) is model.root
    ]
