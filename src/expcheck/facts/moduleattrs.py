"""Attributes looked up on project modules that the module does not define (``import src.model as m;
m.build()`` when model.py defines no ``build``), found once per check.

Each parsed code module's loaded ``m.x`` chains on names bound to project modules
(``facts/callscopes.py``: ``module_attribute_refs``) are resolved to the deepest project module they
name; a first name after it that the module surely does not define is kept, once per module and
``module.name``, at its first chain in walk order. Nothing is imported or executed.
"""

from __future__ import annotations

from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.callscopes import module_attribute_refs, resolve_module_chain
from expcheck.facts.imports import project_index


@dataclass(frozen=True)
class MissingAttribute:
    """``target.name`` looked up at ``path:line:column`` where project module ``target`` defines no ``name``."""

    path: str
    line: int
    column: int
    target: str
    name: str


def missing_module_attributes(facts: Facts) -> list[MissingAttribute]:
    """Every such lookup, module by module in the project index's order (use through ``facts.derived``)."""
    index = facts.derived(project_index)
    found: list[MissingAttribute] = []
    for info in index.by_path.values():
        module = facts.python[info.path]
        if module.tree is None or facts.files[info.path].origin != "code":
            continue
        reported: set[str] = set()
        for ref in module_attribute_refs(facts, info, module.tree):
            chain = resolve_module_chain(facts, info, ref.dotted)
            if chain is None or not chain[1]:
                continue
            target, rest = chain
            if index.has_attribute(target, rest[0]) is False and f"{target}.{rest[0]}" not in reported:
                reported.add(f"{target}.{rest[0]}")
                found.append(MissingAttribute(info.path, ref.node.lineno, ref.node.col_offset + 1, target, rest[0]))
    return found
