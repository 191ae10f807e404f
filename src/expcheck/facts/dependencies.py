"""What ``uv run`` installs (the declared dependencies) and what the code imports from outside the project.

Declared dependencies are read only from a usable [project] table: a parsed pyproject.toml whose
``dependencies`` is a list of valid PEP 508 strings (or absent). A broken file is rule R2xx's
business, so for one of those ``declared`` is None and nothing is judged here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from expcheck.facts import Facts
from expcheck.facts.distributions import KNOWN, closure, in_table, installed_imports, is_known, normalise, providers
from expcheck.facts.imports import STDLIB, ImportFact, imports_of, project_index


@dataclass(frozen=True)
class Declared:
    """One requirement of pyproject.toml and where it is written."""

    name: str  # normalised distribution name
    text: str
    line: int
    group: str  # "dependencies", "dependency-groups.dev", "optional-dependencies.<extra>"

    @property
    def installed_by_uv_run(self) -> bool:
        return not self.group.startswith("optional-dependencies")


@dataclass(frozen=True)
class DeclaredDependencies:
    requirements: tuple[Declared, ...]

    @property
    def direct(self) -> frozenset[str]:
        """Distributions ``uv run`` installs by name: [project] dependencies and the default dev group."""
        return frozenset(r.name for r in self.requirements if r.installed_by_uv_run)

    @property
    def optional(self) -> dict[str, str]:
        """Distribution -> the extra it is declared in, for those declared only as optional extras."""
        direct = self.direct
        return {
            r.name: r.group.split(".", 1)[1]
            for r in self.requirements
            if r.name not in direct and not r.installed_by_uv_run
        }

    @property
    def installed(self) -> frozenset[str]:
        """Everything the direct dependencies bring along, by the curated requirement table."""
        return closure(self.direct)

    @property
    def unknown(self) -> tuple[Declared, ...]:
        return tuple(r for r in self.requirements if not is_known(r.name))

    @property
    def installed_imports(self) -> frozenset[str]:
        """Import names of direct dependencies the table does not know, read from their metadata here."""
        names: set[str] = set()
        for requirement in self.requirements:
            if requirement.installed_by_uv_run and requirement.name not in KNOWN:
                names.update(installed_imports(requirement.name) or ())
        return frozenset(names)


def _groups(doc: dict[str, Any], project: dict[str, Any]) -> list[tuple[str, Any]]:
    groups: list[tuple[str, Any]] = [("dependencies", project.get("dependencies", []))]
    dev = doc.get("dependency-groups")
    if isinstance(dev, dict) and isinstance(dev.get("dev"), list):
        groups.append(("dependency-groups.dev", [d for d in dev["dev"] if isinstance(d, str)]))
    tool = doc.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    if isinstance(uv, dict) and isinstance(uv.get("dev-dependencies"), list):
        groups.append(("tool.uv.dev-dependencies", [d for d in uv["dev-dependencies"] if isinstance(d, str)]))
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        for extra, items in optional.items():
            if isinstance(items, list):
                groups.append((f"optional-dependencies.{extra}", [d for d in items if isinstance(d, str)]))
    return groups


def declared_dependencies(facts: Facts) -> DeclaredDependencies | None:
    """The declared requirements, or None when pyproject.toml gives no usable list (use via ``facts.derived``)."""
    py = facts.pyproject
    if py is None or py.doc is None:
        return None
    project = py.doc.get("project")
    if not isinstance(project, dict):
        return None
    dynamic = project.get("dynamic")
    if isinstance(dynamic, list) and "dependencies" in dynamic:
        return None
    deps = project.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        return None
    from packaging.requirements import InvalidRequirement, Requirement  # lazy: ~50 ms to import

    from expcheck.facts.pep621 import plain_requirement_name

    found: list[Declared] = []
    for group, items in _groups(py.doc, project):
        table = {"dependencies": "project", "dependency-groups.dev": "dependency-groups"}.get(group)
        table = table or ("tool.uv" if group.startswith("tool.") else "project.optional-dependencies")
        after = (py.table_line(table) or py.table_line("project") or 1) - 1
        for text in items:
            name = plain_requirement_name(text)
            if name is None:
                try:
                    name = Requirement(text).name
                except InvalidRequirement:
                    if group == "dependencies":
                        return None  # R204 reports it; uv installs nothing
                    continue
            line = py.string_line(text, after) or py.key_line("project", "dependencies") or 1
            found.append(Declared(name=normalise(name), text=text, line=line, group=group))
    return DeclaredDependencies(requirements=tuple(found))


@dataclass(frozen=True)
class ExternalImport:
    """A third-party import the code performs when it runs."""

    fact: ImportFact
    module: str  # the dotted module as imported ("torch.nn", "google.protobuf")
    providers: frozenset[str]
    # Whether the curated table (or the import's own name) says for certain which distribution provides it.
    certain: bool


def external_imports(facts: Facts) -> list[ExternalImport]:
    """Imports of modules that are neither stdlib nor part of the submission (use via ``facts.derived``)."""
    index = facts.derived(project_index)
    found: list[ExternalImport] = []
    for fact in facts.derived(imports_of):
        if fact.level or fact.guarded or fact.type_only or not fact.module:
            continue
        top = fact.top
        if top in STDLIB or index.is_project(fact.module):
            continue
        if top in index.stems and not in_table(top):
            continue  # a bare import of a sibling project module: R404's business
        if facts.files.get(fact.path) is None or facts.files[fact.path].origin != "code":
            continue
        module = fact.module
        if fact.name is not None and fact.name != "*" and top == "google":
            module = f"{fact.module}.{fact.name}"  # from google import protobuf
        found.append(ExternalImport(fact=fact, module=module, providers=providers(module), certain=in_table(module)))
    return found
