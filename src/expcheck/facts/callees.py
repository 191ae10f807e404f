"""The project function or class each call of the submission reaches, resolved once per submission.

The call-argument check (R403) and the unpacking check (R405) both ask, call by call, which project
definition a call reaches (``facts/signatures.py``: ``callee_definition``). Asking that per call and per
rule repeats the same name resolution for every call of the same name: here each (module, callee as
written, in a function or not) is resolved once, each call only adds the local-shadowing question, and
the calls that reach a definition are kept with it. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.callscopes import ModuleScopes, module_scopes, project_module_aliases
from expcheck.facts.imports import Binding, ModuleInfo, project_index
from expcheck.facts.semantic import CallSite
from expcheck.facts.signatures import Signature, callee_definition, signature_of


@dataclass(frozen=True)
class ResolvedCall:
    """A call of a project module and the project def or class it reaches for certain."""

    scopes: ModuleScopes
    call: CallSite
    info: ModuleInfo  # the module that defines the callee
    binding: Binding  # the callee's def or class binding

    @property
    def node(self) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef:
        return self.binding.node  # type: ignore[return-value]


def resolved_calls(facts: Facts) -> dict[int, ResolvedCall]:
    """Every call that reaches a project def or class, by ``id`` of its ``ast.Call`` node, in the order of
    ``module_scopes`` and of each module's calls (use through ``facts.derived``)."""
    found: dict[int, ResolvedCall] = {}
    by_path = facts.derived(project_index).by_path
    for scopes in facts.derived(module_scopes).values():
        info = by_path.get(scopes.path)
        if info is None:
            continue
        bound, aliases = info.bindings, project_module_aliases(facts, info)
        for call in scopes.calls:
            # callee_definition's first question, without a function call per call: a plain name the module
            # does not bind, or a chain whose root is no module-level name of a project module, reaches none.
            func = call.node.func
            if isinstance(func, ast.Name):
                if func.id not in bound:
                    continue
            elif not aliases or _chain_root(func) not in aliases:
                continue
            definition = callee_definition(facts, scopes, call)
            if definition is not None:
                found[id(call.node)] = ResolvedCall(scopes, call, definition[0], definition[1])
    return found


def _chain_root(node: ast.expr) -> str | None:
    """The name at the root of an attribute chain (``m`` of ``m.a.f``); None when it is no name."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def callee_signatures(facts: Facts) -> list[tuple[ResolvedCall, Signature]]:
    """The resolved calls whose callee has a signature known for certain, each with it, in call order
    (use through ``facts.derived``); each definition's signature is read once."""
    index = facts.derived(project_index)
    by_definition: dict[int, Signature | None] = {}
    found: list[tuple[ResolvedCall, Signature]] = []
    for resolved in facts.derived(resolved_calls).values():
        key = id(resolved.binding)
        if key not in by_definition:
            by_definition[key] = signature_of(index, resolved.info, resolved.binding)
        sig = by_definition[key]
        if sig is not None:
            found.append((resolved, sig))
    return found
