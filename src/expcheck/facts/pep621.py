"""The standard [project] form of what a pyproject.toml declares elsewhere, for concrete fixes.

uv reads dependencies only from PEP 621's ``[project]`` table as a list of PEP 508 strings. When a
submission writes them as a table (``[project.dependencies]``) or only under ``[tool.poetry]``, the
fix is the same information written the standard way; these functions write it, from the
submission's own declarations, and return None where a declaration has no faithful translation.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

_VERSION = re.compile(r"^\d+(\.\d+)*$")
_OPERATOR = re.compile(r"^(===|==|!=|~=|<=|>=|<|>)")


def _bump(parts: list[int], index: int) -> str:
    upper = [*parts[:index], parts[index] + 1]
    return ".".join(map(str, upper))


def poetry_constraint(constraint: str) -> str | None:
    """A Poetry version constraint as a PEP 440 specifier ("" for any version); None when untranslatable."""
    text = constraint.strip()
    if text in ("", "*"):
        return ""
    if "||" in text or "|" in text:
        return None
    specs: list[str] = []
    for part in re.split(r"\s*,\s*|\s+(?=[<>=!^~])", text):
        part = part.strip()
        if not part:
            continue
        if part[0] in "^~" and not part.startswith("~="):
            version = part[1:].strip()
            if not _VERSION.match(version):
                return None
            numbers = [int(n) for n in version.split(".")]
            if part[0] == "^":
                index = next((i for i, n in enumerate(numbers) if n != 0), len(numbers) - 1)
            else:
                index = min(1, len(numbers) - 1) if len(numbers) > 1 else 0
            specs.append(f">={version},<{_bump(numbers, index)}")
        elif _OPERATOR.match(part):
            specs.append(part.replace(" ", ""))
        elif _VERSION.match(part) or re.fullmatch(r"\d+(\.\d+)*\.\*", part):
            specs.append(f"=={part}")
        else:
            return None
    return ",".join(specs)


def requirement(name: str, value: Any) -> str | None:
    """One dependency written as a PEP 508 string, from a table entry (PEP 440 or Poetry value)."""
    extras = ""
    marker = ""
    if isinstance(value, dict):
        if "git" in value:
            return f"{name} @ git+{value['git']}" + (f"@{value['rev']}" if "rev" in value else "")
        if "path" in value:
            return None
        if isinstance(value.get("url"), str):
            return f"{name} @ {value['url']}"
        if isinstance(value.get("extras"), list):
            extras = "[" + ",".join(str(e) for e in value["extras"]) + "]"
        if isinstance(value.get("markers"), str):
            marker = f"; {value['markers']}"
        value = value.get("version", "*")
    if not isinstance(value, str):
        return None
    spec = poetry_constraint(value)
    if spec is None:
        return None
    text = f"{name}{extras}{spec}{marker}"
    return text if requirement_ok(text) else None


def requirements_from_table(table: dict[str, Any]) -> list[str] | None:
    """A dependencies table as the list uv wants; None when an entry cannot be translated."""
    out = []
    for name, value in table.items():
        if str(name).lower() == "python":
            continue
        text = requirement(str(name), value)
        if text is None:
            return None
        out.append(text)
    return out


def toml_list(name: str, items: list[str]) -> str:
    """``name = [...]`` as TOML, on one line (a fix is one item of code_issue)."""
    return f"{name} = [{', '.join(json.dumps(i) for i in items)}]"


def project_from_poetry(poetry: dict[str, Any]) -> str | None:
    """The [project] table a [tool.poetry] section stands for, as TOML text; None when it cannot be written."""
    deps = poetry.get("dependencies", {})
    if not isinstance(deps, dict):
        return None
    requirements = requirements_from_table(deps)
    if requirements is None:
        return None
    lines = ["[project]"]
    for key in ("name", "version", "description"):
        if isinstance(poetry.get(key), str):
            lines.append(f"{key} = {json.dumps(poetry[key])}")
    python = deps.get("python")
    if isinstance(python, str):
        spec = poetry_constraint(python)
        if spec:
            lines.append(f"requires-python = {json.dumps(spec)}")
    body = "".join(f"    {json.dumps(r)},\n" for r in requirements)
    lines.append(f"dependencies = [\n{body}]" if requirements else "dependencies = []")
    return "\n".join(lines)


def requirement_ok(text: str) -> bool:
    """Whether ``text`` is a valid PEP 508 requirement string."""
    if plain_requirement_name(text) is not None:
        return True
    try:
        Requirement(text)
    except InvalidRequirement:
        return False
    return True


# Requirement strings of a shape packaging's grammar always accepts: a name, then comma-separated clauses of
# an operator and a plain release number (``~=`` needs two parts). packaging's parser costs ~20 us a string
# and a check reads each declared requirement two or three times (dependencies, R203, R204).
_CLAUSE = r"(?:(?:==|!=|<=|>=|<|>)[0-9]+(?:\.[0-9]+)*|~=[0-9]+(?:\.[0-9]+)+)"
_PLAIN_REQUIREMENT = rf"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:{_CLAUSE}(?:,{_CLAUSE})*)?"


@cache  # compiled on first use: the CLI's import time counts
def _plain_requirement() -> re.Pattern[str]:
    return re.compile(_PLAIN_REQUIREMENT)


def plain_requirement_name(text: str) -> str | None:
    """The name packaging's ``Requirement(text).name`` gives a requirement string of the plain shape above
    (``torch>=2.0,<3``: the text before the first operator, which no name character is); None for any other
    string, valid or not, which only packaging can judge."""
    match = _plain_requirement().fullmatch(text)
    return match.group(1) if match else None
