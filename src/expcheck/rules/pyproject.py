"""R2xx — a pyproject.toml that ``uv run`` cannot install from.

Each rule mirrors what uv 0.13 does with the defect (checked against real uv, see
tests/test_uv_agreement.py): it refuses the file (exit 2), fails building the project (exit 1), or
silently installs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from expcheck.facts import Facts
from expcheck.facts.pep621 import (
    plain_requirement_name,
    project_from_poetry,
    requirement_ok,
    requirements_from_table,
    toml_list,
)
from expcheck.facts.pyproject import PyprojectFacts
from expcheck.repairs.pyproject import repair_dependencies_table, repair_not_packaged, repair_poetry_only
from expcheck.rules.base import Example, Hit, rule

PATH = "pyproject.toml"
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.I)


def _project(facts: Facts) -> tuple[PyprojectFacts, dict[str, Any]] | None:
    """The parsed file and its [project] table, when both exist and the table is a table."""
    py = facts.pyproject
    if py is None or py.doc is None:
        return None
    project = py.doc.get("project")
    if not isinstance(project, dict):
        return None
    return py, project


def _project_line(py: PyprojectFacts, key: str | None = None) -> int:
    if key is not None:
        line = py.key_line("project", key) or py.table_line(f"project.{key}")
        if line:
            return line
    return py.table_line("project") or py.key_line("", "project") or 1


def _pyproject(body: str) -> dict[str, str]:
    return {PATH: body}


_TABLE_WITH_COMMENTS = (
    '[project]  # the experiment\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n\n'
    '[project.dependencies]\n# the model\ntorch = "^2.1"  # CUDA wheels\n'
    'transformers = {version = ">=4.40", extras = ["torch"]}\nwandb = "*"\n\n[tool.uv]\npackage = false\n'
)
_TABLE_WITH_COMMENTS_REPAIRED = (
    '[project]  # the experiment\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
    'dependencies = [\n    # the model\n    "torch>=2.1,<3.0", # CUDA wheels\n    "transformers[torch]>=4.40",\n'
    '    "wandb",\n]\n\n[tool.uv]\npackage = false\n'
)

_POETRY_CORE = (
    '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n\n'
    "[tool.uv]\ndev-dependencies = []\n\n"
    '[build-system]\nrequires = ["poetry-core>=1.7.0"]\nbuild-backend = "poetry.core.masonry.api"\n'
)

_GOOD = _pyproject(
    '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
    'dependencies = [\n    "torch>=2.0",\n    "hydra-core>=1.3",\n]\n'
)


@rule(
    id="R201",
    name="pyproject-invalid-toml",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: the TOML parser rejects the file.",
    title="pyproject.toml is not valid TOML",
    why="uv refuses to parse the file (exit 2) and nothing is installed or run.",
    fix="Correct the TOML at the reported line and column.",
    bad=[
        Example(files=_pyproject('[project]\nname = "exp"\ndependencies = ["torch"\n'), expect=(("pyproject.toml", 3),))
    ],
    good=[Example(files=_GOOD)],
)
def invalid_toml(facts: Facts) -> Iterator[Hit]:
    py = facts.pyproject
    if py is not None and py.problem is not None:
        yield Hit(
            path=PATH, line=py.problem.line, column=py.problem.column, message=f"invalid TOML: {py.problem.message}"
        )


@rule(
    id="R202",
    name="pyproject-no-project-table",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: uv reads dependencies only from [project].",
    title="pyproject.toml has no [project] table",
    why="""uv reads dependencies only from the standard [project] table. With dependencies declared
        under [tool.poetry] alone, `uv run` succeeds in creating an empty environment and the first
        `import torch` fails.""",
    fix="Declare the project under [project] with name, version, requires-python and a dependencies list.",
    bad=[
        Example(
            files=_pyproject(
                '[tool.poetry]\nname = "exp"\nversion = "0.1.0"\n\n'
                '[tool.poetry.dependencies]\npython = "^3.11"\ntorch = "^2.0"\n'
            ),
            repaired=_pyproject(
                "# Written by `expcheck fix` from [tool.poetry]: uv installs only what [project] declares.\n"
                '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11,<4.0"\n'
                'dependencies = [\n    "torch>=2.0,<3.0",\n]\n\n'
                '[tool.poetry]\nname = "exp"\nversion = "0.1.0"\n\n'
                '[tool.poetry.dependencies]\npython = "^3.11"\ntorch = "^2.0"\n'
            ),
            expect=(("pyproject.toml", 5),),
        ),
        Example(
            files=_pyproject(
                '[tool.poetry]\nname = "exp"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\ntorch = "^2.0"\n'
            ),
            note="no python constraint to derive requires-python from: no repair",
            expect=(("pyproject.toml", 5),),
        ),
    ],
    good=[Example(files=_GOOD)],
    repair=repair_poetry_only,
)
def no_project_table(facts: Facts) -> Iterator[Hit]:
    py = facts.pyproject
    if py is None or py.doc is None:
        return
    project = py.doc.get("project")
    if isinstance(project, dict):
        return
    poetry = py.doc.get("tool", {}).get("poetry") if isinstance(py.doc.get("tool"), dict) else None
    fix = None
    if isinstance(poetry, dict):
        line = py.table_line("tool.poetry.dependencies") or py.table_line("tool.poetry") or 1
        message = "no [project] table: uv ignores [tool.poetry] dependencies, so `uv run` installs nothing"
        table = project_from_poetry(poetry)
        if table is not None:
            fix = f"Add this [project] table, built from [tool.poetry], and keep the dependencies only there:\n{table}"
    elif project is not None:
        line = py.key_line("", "project") or 1
        message = "`project` is not a table, so uv cannot read the project"
    else:
        line = 1
        message = "no [project] table: `uv run` installs no dependencies"
    yield Hit(path=PATH, line=line, message=message, fix=fix)


@rule(
    id="R203",
    name="dependencies-not-a-list",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: uv rejects dependencies that are not a list of strings.",
    title="[project] dependencies is not a list of strings",
    why="""PEP 621 defines `dependencies` as an array of requirement strings. uv rejects a
        [project.dependencies] table or a single string ("invalid type: map, expected a sequence",
        exit 2) and installs nothing.""",
    fix='Write `dependencies = ["torch>=2.0", "hydra-core>=1.3"]` inside [project].',
    bad=[
        Example(
            files=_pyproject(
                '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n\n'
                '[project.dependencies]\ntorch = ">=2.0"\n'
            ),
            repaired=_pyproject(
                '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
                'dependencies = [\n    "torch>=2.0",\n]\n'
            ),
            expect=(("pyproject.toml", 6),),
        ),
        Example(
            files=_pyproject('[project]\nname = "exp"\nversion = "0.1.0"\ndependencies = "torch"\n'),
            repaired=_pyproject('[project]\nname = "exp"\nversion = "0.1.0"\ndependencies = ["torch"]\n'),
            expect=(("pyproject.toml", 4),),
        ),
        Example(
            files=_pyproject(_TABLE_WITH_COMMENTS),
            repaired=_pyproject(_TABLE_WITH_COMMENTS_REPAIRED),
            note="Poetry-style constraints have exact PEP 440 ranges; comments move with their entries",
            expect=(("pyproject.toml", 6),),
        ),
        Example(
            files=_pyproject(
                '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n\n'
                '[project.dependencies]\ntorch = ">=2.0"\nmylib = {git = "https://example.org/mylib.git"}\n'
            ),
            note="a git source has no requirement-string equivalent expcheck can be sure of: no repair",
            expect=(("pyproject.toml", 6),),
        ),
    ],
    good=[Example(files=_GOOD)],
    repair=repair_dependencies_table,
)
def dependencies_not_a_list(facts: Facts) -> Iterator[Hit]:
    found = _project(facts)
    if found is None:
        return
    py, project = found
    deps = project.get("dependencies")
    if deps is None:
        return
    line = _project_line(py, "dependencies")
    if isinstance(deps, dict):
        listed = requirements_from_table(deps)
        yield Hit(
            path=PATH,
            line=line,
            message="dependencies is a TOML table; uv requires a list of requirement strings",
            fix=None
            if listed is None
            else f"Replace the [project.dependencies] table by this key inside [project]: {toml_list('dependencies', listed)}",
        )
    elif not isinstance(deps, list):
        yield Hit(
            path=PATH,
            line=line,
            message=f"dependencies is a {type(deps).__name__}; uv requires a list of strings",
            fix=f"Write it as a list inside [project]: {toml_list('dependencies', [deps])}"
            if isinstance(deps, str) and requirement_ok(deps)
            else None,
        )
    else:
        for item in deps:
            if not isinstance(item, str):
                yield Hit(path=PATH, line=line, message=f"dependency {item!r} is not a requirement string")


def _requirement_strings(project: dict[str, Any]) -> Iterator[str]:
    deps = project.get("dependencies")
    if isinstance(deps, list):
        yield from (d for d in deps if isinstance(d, str))
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        for group in optional.values():
            if isinstance(group, list):
                yield from (d for d in group if isinstance(d, str))


@rule(
    id="R204",
    name="invalid-requirement",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: the PEP 508 parser (packaging) rejects the string.",
    title="Dependency is not a valid PEP 508 requirement",
    why="""uv cannot read the static metadata, falls back to building the project, and the build
        backend rejects the string ("must be pep508"): exit 1, nothing installed.""",
    fix='Write each dependency as `name[extras] <op> version`, e.g. "torch>=2.0" or "scikit-learn==1.5.0".',
    bad=[
        Example(
            files=_pyproject('[project]\nname = "exp"\nversion = "0.1.0"\ndependencies = ["torch = 2.0"]\n'),
            expect=(("pyproject.toml", 4),),
        ),
        Example(
            files=_pyproject('[project]\nname = "exp"\nversion = "0.1.0"\ndependencies = ["numpy=="]\n'),
            expect=(("pyproject.toml", 4),),
        ),
    ],
    good=[Example(files=_GOOD)],
)
def invalid_requirement(facts: Facts) -> Iterator[Hit]:
    found = _project(facts)
    if found is None:
        return
    from packaging.requirements import InvalidRequirement, Requirement  # lazy: ~50 ms to import

    py, project = found
    after = (py.table_line("project") or 1) - 1
    for text in _requirement_strings(project):
        if plain_requirement_name(text) is not None:
            continue  # valid for certain
        try:
            Requirement(text)
        except InvalidRequirement as exc:
            reason = str(exc).splitlines()[0]
            line = py.string_line(text, after) or _project_line(py, "dependencies")
            yield Hit(path=PATH, line=line, message=f"invalid requirement {text!r}: {reason}")


@rule(
    id="R205",
    name="missing-name-or-version",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: uv refuses a [project] without name, or version unless dynamic.",
    title="[project] lacks name or version",
    why="""uv refuses a [project] table without `name`, or without `version` unless it is listed in
        `dynamic` (exit 2).""",
    fix='Add `name = "experiment"` and `version = "0.1.0"` to [project].',
    bad=[Example(files=_pyproject('[project]\nname = "exp"\ndependencies = []\n'), expect=(("pyproject.toml", 1),))],
    good=[
        Example(files=_GOOD),
        Example(files=_pyproject('[project]\nname = "exp"\ndynamic = ["version"]\ndependencies = []\n')),
    ],
)
def missing_name_or_version(facts: Facts) -> Iterator[Hit]:
    found = _project(facts)
    if found is None:
        return
    py, project = found
    line = _project_line(py)
    if "name" not in project:
        yield Hit(path=PATH, line=line, message="[project] has no `name`; uv refuses the file")
    dynamic = project.get("dynamic")
    if "version" not in project and not (isinstance(dynamic, list) and "version" in dynamic):
        yield Hit(
            path=PATH,
            line=line,
            message='[project] has no `version` (nor `dynamic = ["version"]`); uv refuses the file',
        )


@rule(
    id="R206",
    name="requires-python-missing",
    criterion="R",
    severity="warning",
    confidence="certain",
    known_limits="None known: uv warns and picks any interpreter.",
    title="[project] has no requires-python",
    why="""uv then takes whatever interpreter comes first on PATH and warns; the run may get a Python
        the code was not written for.""",
    fix='Add `requires-python = ">=3.10"` (or the version the code needs) to [project].',
    bad=[
        Example(
            files=_pyproject('[project]\nname = "exp"\nversion = "0.1.0"\ndependencies = []\n'),
            expect=(("pyproject.toml", 1),),
        )
    ],
    good=[Example(files=_GOOD)],
)
def requires_python_missing(facts: Facts) -> Iterator[Hit]:
    found = _project(facts)
    if found is None:
        return
    py, project = found
    if "requires-python" not in project:
        yield Hit(path=PATH, line=_project_line(py), message="[project] does not say which Python it needs")


@rule(
    id="R207",
    name="invalid-project-metadata",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="Validates the fields as uv does; a uv release that relaxes a check makes a finding stale.",
    title="[project] name, version, requires-python or optional-dependencies is malformed",
    why="""uv validates these fields and refuses the whole file when one is malformed (exit 2): a name
        with spaces, a version that is not PEP 440, requires-python like "3.11" or "^3.11", or
        optional-dependencies written as a list.""",
    fix='Use a PEP 508 name ("my-exp"), a PEP 440 version ("0.1.0"), a specifier (">=3.11") and a table of lists.',
    bad=[
        Example(
            files=_pyproject('[project]\nname = "my project"\nversion = "0.1.0"\ndependencies = []\n'),
            expect=(("pyproject.toml", 2),),
        ),
        Example(
            files=_pyproject('[project]\nname = "exp"\nversion = "0.1-beta-x"\ndependencies = []\n'),
            expect=(("pyproject.toml", 3),),
        ),
        Example(
            files=_pyproject('[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = "^3.11"\n'),
            expect=(("pyproject.toml", 4),),
        ),
    ],
    good=[Example(files=_GOOD)],
)
def invalid_project_metadata(facts: Facts) -> Iterator[Hit]:
    found = _project(facts)
    if found is None:
        return
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # lazy: ~50 ms to import
    from packaging.version import InvalidVersion, Version

    py, project = found
    name = project.get("name")
    if name is not None and (not isinstance(name, str) or not _NAME.match(name)):
        yield Hit(path=PATH, line=_project_line(py, "name"), message=f"name {name!r} is not a valid package name")
    version = project.get("version")
    if version is not None:
        try:
            Version(str(version)) if isinstance(version, str) else Version("!")
        except InvalidVersion:
            yield Hit(
                path=PATH, line=_project_line(py, "version"), message=f"version {version!r} is not a PEP 440 version"
            )
    spec = project.get("requires-python")
    if spec is not None:
        try:
            SpecifierSet(spec) if isinstance(spec, str) else SpecifierSet("!")
        except InvalidSpecifier:
            yield Hit(
                path=PATH,
                line=_project_line(py, "requires-python"),
                message=f'requires-python {spec!r} is not a version specifier (write e.g. ">=3.11")',
            )
    optional = project.get("optional-dependencies")
    if optional is not None and not isinstance(optional, dict):
        yield Hit(
            path=PATH,
            line=_project_line(py, "optional-dependencies"),
            message="optional-dependencies must be a table of lists, not a " + type(optional).__name__,
        )


def _hatch_finds_package(facts: Facts, doc: dict[str, Any], name: str) -> bool:
    wheel = doc.get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {}).get("wheel", {})
    if isinstance(wheel, dict) and any(k in wheel for k in ("packages", "only-include", "include", "sources")):
        return True  # explicit file selection: trust it
    module = re.sub(r"[-_.]+", "_", name).lower()
    candidates = (f"src/{module}/__init__.py", f"{module}/__init__.py", f"{module}.py", f"src/{module}.py")
    return any(c in facts.files for c in candidates)


def _poetry_finds_package(facts: Facts, poetry: dict[str, Any], name: str) -> bool:
    if "packages" in poetry or poetry.get("package-mode") is False:
        return True  # explicit file selection (or no package at all): trust it
    return _hatch_finds_package(facts, {}, name)


@rule(
    id="R208",
    name="project-not-buildable",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Models hatchling's package discovery; other build backends are checked by their documented defaults only.""",
    title="uv must build the project, and the build backend cannot find its package",
    why="""With a [build-system] table uv builds and installs the project itself before running. Hatchling
        looks for a package named after the project (src/<name>/__init__.py, <name>/__init__.py);
        an experiment repo with only src/main.py has none, so `uv run` fails with "Unable to determine
        which files to ship inside the wheel" (exit 1). The same happens when setuptools is told to
        ship packages that do not exist, and with poetry-core ("No file/folder found for package").""",
    fix="Add `[tool.uv]\\npackage = false` (the experiment is run as modules, not installed), or drop [build-system].",
    bad=[
        Example(
            files={
                **_pyproject(
                    '[project]\nname = "ml-experiment"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
                    'dependencies = []\n\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                ),
                "src/main.py": "print('run')\n",
            },
            repaired=_pyproject(
                '[project]\nname = "ml-experiment"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
                'dependencies = []\n\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                "\n[tool.uv]\npackage = false\n"
            ),
            expect=(("pyproject.toml", 9),),
        ),
        Example(
            files={
                **_pyproject(
                    '[project]\nname = "exp"\nversion = "0.1.0"\ndependencies = []\n\n'
                    '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
                    '[tool.setuptools]\npackages = ["exp"]\n'
                ),
                "src/main.py": "print('run')\n",
            },
            repaired=_pyproject(
                '[project]\nname = "exp"\nversion = "0.1.0"\ndependencies = []\n\n'
                '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
                '[tool.setuptools]\npackages = ["exp"]\n\n[tool.uv]\npackage = false\n'
            ),
            expect=(("pyproject.toml", 11),),
        ),
        Example(
            files={
                **_pyproject(_POETRY_CORE),
                "src/main.py": "print('run')\n",
            },
            repaired=_pyproject(
                _POETRY_CORE.replace("dev-dependencies = []\n", "dev-dependencies = []\npackage = false\n")
            ),
            note="poetry-core finds no package either; an existing [tool.uv] table gets the key",
            expect=(("pyproject.toml", 12),),
        ),
    ],
    good=[
        Example(
            files={
                **_pyproject(
                    '[project]\nname = "ml-experiment"\nversion = "0.1.0"\ndependencies = []\n\n'
                    '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
                    "[tool.uv]\npackage = false\n"
                ),
                "src/main.py": "print('run')\n",
            }
        ),
        Example(files={**_GOOD, "src/main.py": "print('run')\n"}),
    ],
    repair=repair_not_packaged,
)
def project_not_buildable(facts: Facts) -> Iterator[Hit]:
    found = _project(facts)
    if found is None:
        return
    py, project = found
    doc = py.doc or {}
    build = doc.get("build-system")
    tool = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
    uv_tool = tool.get("uv") if isinstance(tool.get("uv"), dict) else {}
    if not isinstance(build, dict) or uv_tool.get("package") is False:
        return
    backend = str(build.get("build-backend", ""))
    name = project.get("name")
    line = py.key_line("build-system", "build-backend") or py.table_line("build-system") or 1
    if backend.startswith("hatchling") and isinstance(name, str) and not _hatch_finds_package(facts, doc, name):
        yield Hit(
            path=PATH,
            line=line,
            message=f"hatchling will look for a package named after {name!r} and find none, so `uv run` fails to build the project",
        )
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    if backend.startswith("poetry.core") and isinstance(name, str) and not _poetry_finds_package(facts, poetry, name):
        yield Hit(
            path=PATH,
            line=line,
            message=f"poetry-core will look for a package named after {name!r} and find none, so `uv run` fails to build the project",
        )
    setuptools = tool.get("setuptools") if isinstance(tool.get("setuptools"), dict) else {}
    packages = setuptools.get("packages")
    if backend.startswith("setuptools") and isinstance(packages, list):
        where = ""
        find = setuptools.get("package-dir")
        if isinstance(find, dict) and isinstance(find.get(""), str):
            where = find[""].rstrip("/") + "/"
        for package in packages:
            if not isinstance(package, str):
                continue
            folder = where + package.replace(".", "/") + "/"
            if not any(path.startswith(folder) for path in facts.files):
                yield Hit(
                    path=PATH,
                    line=py.string_line(package, (py.table_line("tool.setuptools") or 1) - 1) or line,
                    message=f"setuptools is told to ship package {package!r}, but there is no {folder} folder",
                )
