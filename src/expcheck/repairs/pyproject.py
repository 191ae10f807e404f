"""Repairs of pyproject.toml (R202, R203), made with tomlkit so comments, quotes and layout stay.

Both repairs translate dependency tables into PEP 508 requirement strings. The translation is offered
only where it is exact: `"*"` is no constraint, an operator specifier is kept as written, Poetry's
caret (`^1.3`) and tilde (`~1.3`) have documented ranges, a bare version is an exact pin, and an
inline table may only carry `version` and `extras`. Anything else (git/path/url sources, markers,
`optional = true`) leaves the finding with its written fix hint.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from enum import Enum
from functools import cache
from typing import Any

from expcheck.facts import Facts
from expcheck.findings import Finding
from expcheck.repairs import Edit, deplayout, replace_whole

PATH = "pyproject.toml"


def _document(facts: Facts, finding: Finding) -> tuple[Any, Any] | None:
    """pyproject.toml and its tomlkit document, when the finding names that file and tomlkit reads it."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    file = facts.files.get(PATH)
    if file is None or finding.path != PATH:
        return None
    try:
        return file, tomlkit.parse(file.text)
    except TOMLKitError:
        return None
_OPERATOR = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)")
_NUMERIC = re.compile(r"^\d+(?:\.\d+)*$")
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.I)


def _bump(parts: list[int], index: int) -> str:
    """The version ``parts`` with ``parts[index]`` raised by one and every later part zero."""
    out = [*parts[:index], parts[index] + 1, *([0] * (len(parts) - index - 1))]
    return ".".join(str(p) for p in out)


def poetry_specifier(spec: str) -> str | None:
    """The PEP 440 specifier for a Poetry version constraint, or None when there is no exact one."""
    spec = spec.strip()
    if spec in ("", "*"):
        return ""
    if spec.startswith("^") or (spec.startswith("~") and not spec.startswith("~=")):
        version = spec[1:].strip()
        if not _NUMERIC.match(version):
            return None
        parts = [int(p) for p in version.split(".")]
        if spec.startswith("^"):
            nonzero = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
            upper = _bump(parts, nonzero)
        else:
            upper = _bump(parts, min(1, len(parts) - 1) if len(parts) > 1 else 0)
        return f">={version},<{upper}"
    if _OPERATOR.match(spec):
        return spec
    if re.match(r"^\d+(?:\.\d+)*(?:\.\*)?$", spec):
        return f"=={spec}"
    return None


# Requirement strings of a shape packaging's grammar always accepts: a name, then comma-separated clauses
# of an operator and a plain release number (``~=`` needs two parts). Only ever a quicker "valid": any
# other string, valid or not, goes to packaging itself.
# (Compiled on first use: most processes never repair.)
_CLAUSE = r"(?:(?:==|!=|<=|>=|<|>)[0-9]+(?:\.[0-9]+)*|~=[0-9]+(?:\.[0-9]+)+)"
_PLAIN_REQUIREMENT = rf"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:{_CLAUSE}(?:,{_CLAUSE})*)?"


@cache
def _plain_requirement() -> re.Pattern[str]:
    return re.compile(_PLAIN_REQUIREMENT)


def _valid_requirement(text: str) -> bool:
    """Whether packaging reads ``text`` as a requirement (its parser costs ~15 us; a repair checks
    every entry of a dependency table, on most checks of the corpus)."""
    if _plain_requirement().fullmatch(text):
        return True
    from packaging.requirements import InvalidRequirement, Requirement  # lazy: ~50 ms to import

    try:
        Requirement(text)
    except InvalidRequirement:
        return False
    return True


def requirement(name: str, value: Any) -> str | None:
    """``name = value`` of a dependency table as a requirement string, or None when not exact."""
    extras: list[str] = []
    if isinstance(value, dict):
        if not set(value) <= {"version", "extras"} or not isinstance(value.get("version", "*"), str):
            return None
        raw_extras = value.get("extras", [])
        if not isinstance(raw_extras, list) or not all(isinstance(e, str) for e in raw_extras):
            return None
        extras = [str(e) for e in raw_extras]
        value = value.get("version", "*")
    if not isinstance(value, str) or not _NAME.match(name):
        return None
    spec = poetry_specifier(value)
    if spec is None:
        return None
    text = name + (f"[{','.join(extras)}]" if extras else "") + spec
    return text if _valid_requirement(text) else None


def _python_requirement(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    spec = poetry_specifier(value)
    if not spec:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    return spec


def _comment(item: Any) -> str | None:
    trivia = getattr(item, "trivia", None)
    text = getattr(trivia, "comment", "") or ""
    return text.lstrip("#").strip() or None


def _dependency_array(table: Any) -> tuple[Any, str | None, set[str]] | None:
    """A multi-line tomlkit array of the table's requirements (comments carried), its python spec, and
    the requirement strings written (each one valid)."""
    import tomlkit
    from tomlkit.items import Comment

    array = tomlkit.array()
    array.multiline(True)
    python: str | None = None
    written: set[str] = set()
    for key, item in table.value.body:
        if key is None:
            if isinstance(item, Comment):
                array.add_line(comment=str(item).strip().lstrip("#").strip() or None, indent="    ")
            continue
        name = key.key
        value = item.unwrap() if hasattr(item, "unwrap") else item
        if name.lower() == "python":
            python = _python_requirement(value)
            if python is None:
                return None
            continue
        text = requirement(name, value)
        if text is None:
            return None
        written.add(text)
        array.add_line(text, comment=_comment(item))
    array.add_line(indent="")
    return array, python, written


def _checked(old: str, new: str, valid: set[str] | frozenset[str] = frozenset()) -> list[Edit]:
    """The edit, when the new file parses and its [project] has a list of valid requirement strings
    (``valid``: strings already known to be valid requirements, not parsed again)."""
    try:
        doc = tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        return []
    project = doc.get("project")
    if not isinstance(project, dict):
        return []
    deps = project.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) and (d in valid or _valid_requirement(d)) for d in deps):
        return []
    return replace_whole(PATH, old, new)


class Undecided(Enum):
    """The answer of a text path that cannot tell: the tomlkit path decides."""

    TOMLKIT = "tomlkit"


UNDECIDED = Undecided.TOMLKIT


def repair_dependencies_table(facts: Facts, finding: Finding) -> list[Edit]:
    """R203: a [project.dependencies] table, or a single string, becomes a list inside [project].

    The plain layout of the table is answered straight from the text and the facts' reading of it
    (``list_from_text``, several times cheaper, and the repair runs on most checks of the corpus to
    mark the finding fixable); every other layout goes through tomlkit, which gives the same answer
    where both answer (tests/test_repairs_fast.py).
    """
    file = facts.files.get(PATH)
    if file is None or finding.path != PATH:
        return []
    parsed = facts.pyproject
    new: str | Undecided | None = UNDECIDED
    if parsed is not None and parsed.doc is not None and parsed.file.text == file.text:
        new = list_from_text(file.text, parsed.doc)
    if new is UNDECIDED:
        new = list_with_tomlkit(file.text)
    return [] if not isinstance(new, str) else replace_whole(PATH, file.text, new)


def list_from_text(text: str, data: dict[str, Any]) -> str | Undecided | None:
    """R203's new text for a [project.dependencies] table of the plain layout (see repairs/deplayout.py),
    built from ``text`` and ``data`` (tomllib's reading of it) and laid out as tomlkit lays it out.

    None when an entry has no exact requirement: in the plain layout tomlkit reads the same entries,
    so the tomlkit path has no repair either. UNDECIDED when the layout, the way tomlkit would write an
    entry, or the check of the result is not certain. The result is checked more strictly than the
    tomlkit path's: it must parse to the old data with only the table replaced by the list (and
    requires-python added where the repair adds it).
    """
    project = data.get("project")
    deps = project.get("dependencies") if isinstance(project, dict) else None
    table = deplayout.locate(text) if isinstance(deps, dict) else None
    if table is None or deps is None:
        return UNDECIDED
    made = _list_lines(table.body, deps)
    if not isinstance(made, tuple):
        return made
    lines, python = made
    requirements = [value for value, _ in lines if value is not None]
    expected = {**project, "dependencies": requirements}
    keys = ""
    if python is not None and "requires-python" not in project:
        expected["requires-python"] = python
        keys = f'requires-python = "{python}"\n'
    new = deplayout.rewrite(text, table, keys + f"dependencies = {deplayout.array_text(lines)}\n")
    return new if _reads_as(new, {**data, "project": expected}) else UNDECIDED


def _list_lines(
    body: Sequence[deplayout.BodyLine], deps: dict[str, Any]
) -> tuple[list[tuple[str | None, str | None]], str | None] | Undecided | None:
    """What ``_dependency_array`` makes of a dependency table, from the table's lines and tomllib's
    reading of it: the list's lines (requirement or None for a comment line, and the comment) and the
    python specifier.

    None when an entry has no exact requirement (``_dependency_array`` gives up at the first such
    entry, whatever the others are). UNDECIDED when the lines are not the table's keys in order, or
    an entry's requirement is one tomlkit would not write as it is (with escapes)."""
    if [line.key for line in body if line.key is not None] != list(deps):
        return UNDECIDED
    lines: list[tuple[str | None, str | None]] = []
    python: str | None = None
    plain = True
    for line in body:
        if line.key is None:
            lines.append((None, line.comment))
        elif line.key.lower() == "python":
            python = _python_requirement(deps[line.key])
            if python is None:
                return None
            plain = plain and deplayout.plain_string(python)
        else:
            written = requirement(line.key, deps[line.key])
            if written is None:
                return None
            plain = plain and deplayout.plain_string(written)
            lines.append((written, line.comment))
    return (lines, python) if plain else UNDECIDED


def _reads_as(text: str, data: dict[str, Any]) -> bool:
    """Whether ``text`` parses to exactly ``data``."""
    try:
        return tomllib.loads(text) == data
    except tomllib.TOMLDecodeError:
        return False


def list_with_tomlkit(text: str) -> str | None:
    """R203's new text made with tomlkit, for any layout tomlkit reads (the string form among them);
    None when there is no certain repair."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import Table

    try:
        doc = tomlkit.parse(text)
    except TOMLKitError:
        return None
    project = doc.get("project")
    if not isinstance(project, Table) or project.is_super_table():
        return None
    deps = project.get("dependencies")
    if isinstance(deps, str):
        requirement_text = str(deps)
        if not _valid_requirement(requirement_text):
            return None
        array = tomlkit.array()
        array.append(requirement_text)
        project["dependencies"] = array
        written = {requirement_text}
    elif isinstance(deps, Table) or (isinstance(deps, dict) and hasattr(deps, "value")):
        made = _dependency_array(deps)
        if made is None:
            return None
        array, python, written = made
        del project["dependencies"]
        if python is not None and "requires-python" not in project:
            project.append("requires-python", python)
        project.append("dependencies", array)
    else:
        return None
    new = tomlkit.dumps(doc)
    if new.endswith("\n\n") and not text.endswith("\n\n"):
        new = new.rstrip("\n") + "\n"  # the removed table was the last one: no blank line left at the end
    return new if _checked(text, new, written) else None


def _tomllib_data(facts: Facts, text: str) -> dict[str, Any]:
    """``tomllib.loads(text)`` of pyproject.toml: the facts' reading of it when they have one (no second
    parse), else parsed here (raising as tomllib raises)."""
    parsed = facts.pyproject
    if parsed is not None and parsed.doc is not None and parsed.file.text == text:
        return parsed.doc
    return tomllib.loads(text)


def repair_poetry_only(facts: Facts, finding: Finding) -> list[Edit]:
    """R202: a [project] table written from [tool.poetry] (name, version, python, dependencies).

    The new table is inserted before the file's first table header; [tool.poetry] stays as it was. As
    for R203, the plain layout of [tool.poetry.dependencies] is written from the text and tomllib's
    reading of it, any other through tomlkit.
    """
    file = facts.files.get(PATH)
    if file is None or finding.path != PATH:
        return []
    try:
        data = _tomllib_data(facts, file.text)
    except Exception:  # R201 reports the file
        return []
    if "project" in data:
        return []
    new = project_from_text(file.text, data)
    if new is UNDECIDED:
        new = project_with_tomlkit(file.text)
    return [] if not isinstance(new, str) else replace_whole(PATH, file.text, new)


def _version_ok(version: object) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        Version(str(version))
    except InvalidVersion:
        return False
    return True


def project_from_text(text: str, data: dict[str, Any]) -> str | Undecided:
    """R202's new text for a [tool.poetry.dependencies] table of the plain layout (see
    deplayout.poetry_dependencies), built from ``text`` and ``data`` (tomllib's reading of it, which has
    no [project]) as tomlkit lays it out; UNDECIDED when there is none or it is not certain (the repair
    is rare: tomlkit decides every case but the plain repairable one). The result must parse to the
    old data plus exactly the new [project]."""
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    body = deplayout.poetry_dependencies(text) if isinstance(deps, dict) else None
    made = None if body is None or deps is None else _list_lines(body, deps)
    if poetry is None or not isinstance(made, tuple) or made[1] is None:
        return UNDECIDED
    lines, python = made
    name, version, description = poetry.get("name"), poetry.get("version"), poetry.get("description")
    if not isinstance(name, str) or not _NAME.match(name) or not isinstance(version, str) or not _version_ok(version):
        return UNDECIDED
    fields = {"name": name, "version": version} | ({"description": description} if isinstance(description, str) else {})
    if not all(deplayout.plain_string(value) for value in fields.values()):
        return UNDECIDED
    table = [f'{key} = "{value}"' for key, value in fields.items()]
    table += [f'requires-python = "{python}"', f"dependencies = {deplayout.array_text(lines)}"]
    at = _first_header_offset(text)
    new = text[:at] + f"# {_NOTE}\n[project]\n" + "\n".join(table) + "\n\n" + text[at:]
    requirements = [value for value, _ in lines if value is not None]
    project = fields | {"requires-python": python, "dependencies": requirements}
    return new if _reads_as(new, {**data, "project": project}) else UNDECIDED


def project_with_tomlkit(text: str) -> str | None:
    """R202's new text made with tomlkit, for any layout tomlkit reads; None when there is no certain repair."""
    import tomlkit

    try:
        doc = tomlkit.parse(text)
    except Exception:  # tomlkit raises its own errors; R201 reports the file
        return None
    tool = doc.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if poetry is None or deps is None or not hasattr(deps, "value"):
        return None
    name, version = poetry.get("name"), poetry.get("version")
    if not isinstance(name, str) or not _NAME.match(str(name)) or not isinstance(version, str):
        return None
    if not _version_ok(version):
        return None
    made = _dependency_array(deps)
    if made is None or made[1] is None:
        return None  # without Poetry's python constraint there is no exact requires-python
    array, python, written = made
    table = tomlkit.table()
    table.add("name", str(name))
    table.add("version", str(version))
    description = poetry.get("description")
    if isinstance(description, str):
        table.add("description", str(description))
    table.add("requires-python", python)
    table.add("dependencies", array)
    new_doc = tomlkit.document()
    new_doc.add("project", table)
    block = f"# {_NOTE}\n" + tomlkit.dumps(new_doc).strip("\n") + "\n\n"
    at = _first_header_offset(text)
    new = text[:at] + block + text[at:]
    return new if _checked(text, new, written) else None


_NOTE = "Written by `expcheck fix` from [tool.poetry]: uv installs only what [project] declares."


def _first_header_offset(text: str) -> int:
    match = re.search(r"^[ \t]*\[", text, flags=re.M)
    return match.start() if match else len(text)


def repair_not_packaged(facts: Facts, finding: Finding) -> list[Edit]:
    """R208: ``[tool.uv] package = false`` — the experiment runs as modules and is never built.

    An existing [tool.uv] table gets the key; otherwise the table is appended at the end of the file.
    """
    import tomlkit
    from tomlkit.items import Table

    parsed = _document(facts, finding)
    if parsed is None:
        return []
    file, doc = parsed
    tool = doc.get("tool")
    uv = tool.get("uv") if isinstance(tool, Table) else None
    if uv is not None:
        if not isinstance(uv, Table) or uv.is_super_table() or "package" in uv:
            return []
        uv.add("package", False)
        new = tomlkit.dumps(doc)
    else:
        if re.search(r"^\s*\[\s*tool\s*\.\s*uv\b", file.text, flags=re.M) or "tool.uv" in file.text:
            return []  # written some other way (dotted keys, inline table): leave it
        body = file.text.rstrip("\n")
        new = body + "\n\n[tool.uv]\npackage = false\n"
    try:
        after = tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        return []
    if after.get("tool", {}).get("uv", {}).get("package") is not False:
        return []
    return replace_whole(PATH, file.text, new)


def _certain_provider(facts: Facts, path: str, line: int | None, column: int | None) -> str | None:
    """The one distribution the curated table names for certain for the import at path:line:column."""
    from expcheck.facts.dependencies import external_imports

    matches = [e for e in facts.derived(external_imports) if (e.fact.path, e.fact.line, e.fact.column) == (path, line, column)]
    if len(matches) != 1 or not matches[0].certain or len(matches[0].providers) != 1:
        return None
    (distribution,) = matches[0].providers
    return distribution if _valid_requirement(distribution) else None


def repair_undeclared_import(facts: Facts, finding: Finding) -> list[Edit]:
    """R501: the distributions the curated table names for the undeclared imports join [project] dependencies.

    Only imports missing from the list (not ones declared in an optional extra) whose provider the table
    knows for certain and alone; names are added without a version constraint. Every R501 finding
    proposes the same edit, with all of them, so that one that another makes installed only
    indirectly (omegaconf once hydra-core is declared) is still declared itself.
    """
    file = facts.files.get(PATH)
    if file is None or f"{PATH}:" not in finding.message or "optional-dependencies" in finding.message:
        return []
    if _certain_provider(facts, finding.path, finding.line, finding.column) is None:
        return []
    return list(facts.derived(_declare_undeclared))


def _declare_undeclared(facts: Facts) -> tuple[Edit, ...]:
    """The one edit every repairable R501 finding proposes (see repair_undeclared_import): worked out once
    per check, as it depends on all of the rule's hits and none of the finding's own."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import Array, Table

    from expcheck.facts.dependencies import declared_dependencies
    from expcheck.rules.base import REGISTRY

    file = facts.files[PATH]
    declared = facts.derived(declared_dependencies)
    if declared is None:
        return ()
    names = {d.name for d in declared.requirements}
    wanted: list[str] = []
    for hit in REGISTRY["R501"].check(facts):
        if f"{PATH}:" not in hit.message or "optional-dependencies" in hit.message:
            continue
        distribution = _certain_provider(facts, hit.path, hit.line, hit.column)
        if distribution is not None and distribution not in names and distribution not in wanted:
            wanted.append(distribution)
    if not wanted:
        return ()
    try:
        doc = tomlkit.parse(file.text)
    except TOMLKitError:
        return ()
    project = doc.get("project")
    if not isinstance(project, Table):
        return ()
    deps = project.get("dependencies")
    if deps is None:
        deps = tomlkit.array()
        project.append("dependencies", deps)
    if not isinstance(deps, Array):
        return ()
    for distribution in wanted:
        deps.append(distribution)
    return tuple(_checked(file.text, tomlkit.dumps(doc)))
