"""How each distribution the code needs is declared: directly, only through another one, only as an extra.

The dependency rules (R501 undeclared, R502 indirect) go over the same needed distributions and ask of
each how the declared requirements provide it. ``DeclaredDependencies`` computes its derived sets
(``direct``, ``installed`` — the closure of every direct requirement —, ``optional``,
``installed_imports``) anew at each access, so asking per import and per rule multiplied that work;
here each is computed at most once per check, in the order the questions first need it. Nothing is
imported or executed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from expcheck.facts import Facts
from expcheck.facts.dependencies import (
    Declared,
    DeclaredDependencies,
    ExternalImport,
    declared_dependencies,
    external_imports,
)
from expcheck.facts.distributions import closure


class Needed(NamedTuple):
    """A needed distribution: its first import, how many other files import it, how it is declared."""

    ext: ExternalImport
    others: int
    # "direct", "transitive", "optional", "maybe" (an unknown declared distribution might provide it) or "missing".
    status: str


class DeclaredSets:
    """The sets of ``DeclaredDependencies``, each computed on first use and then kept (one check's)."""

    def __init__(self, declared: DeclaredDependencies) -> None:
        self.declared = declared
        self._closures: dict[str, frozenset[str]] = {}

    @cached_property
    def direct(self) -> frozenset[str]:
        return self.declared.direct

    @cached_property
    def installed(self) -> frozenset[str]:
        return self.declared.installed

    @cached_property
    def optional(self) -> dict[str, str]:
        return self.declared.optional

    @cached_property
    def unknown(self) -> tuple[Declared, ...]:
        return self.declared.unknown

    @cached_property
    def installed_imports(self) -> frozenset[str]:
        return self.declared.installed_imports

    def installs(self, distribution: str) -> frozenset[str]:
        """``closure([distribution])``: what one declared distribution brings along."""
        if distribution not in self._closures:
            self._closures[distribution] = closure([distribution])
        return self._closures[distribution]

    def status(self, ext: ExternalImport) -> str:
        """How the declared requirements provide ``ext`` (see ``Needed.status``), asking the sets in the
        order the answer needs them."""
        if ext.providers & self.direct or ext.module.split(".", 1)[0] in self.installed_imports:
            return "direct"
        if ext.providers & self.installed:
            return "transitive"
        if ext.providers & self.optional.keys():
            return "optional"
        if not ext.certain and self.unknown:
            return "maybe"
        return "missing"


@dataclass(frozen=True)
class DependencyStatus:
    sets: DeclaredSets
    # Each needed distribution once, in the order of its first import.
    needed: tuple[Needed, ...]


def dependency_status(facts: Facts) -> DependencyStatus | None:
    """Each needed distribution with its status; None without a usable declared list (use via
    ``facts.derived``)."""
    declared = facts.derived(declared_dependencies)
    if declared is None:
        return None
    first: dict[frozenset[str], ExternalImport] = {}
    files: dict[frozenset[str], set[str]] = {}
    for ext in facts.derived(external_imports):
        first.setdefault(ext.providers, ext)
        files.setdefault(ext.providers, set()).add(ext.fact.path)
    sets = DeclaredSets(declared)
    needed = tuple(Needed(ext, len(files[key] - {ext.fact.path}), sets.status(ext)) for key, ext in first.items())
    return DependencyStatus(sets, needed)
