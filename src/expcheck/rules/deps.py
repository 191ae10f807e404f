"""R5xx — third-party imports that ``uv run`` will not install.

Judged only when pyproject.toml has a usable [project] dependency list; a broken one is reported by
R2xx and would make every import look missing.
"""

from __future__ import annotations

from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.dependencies import ExternalImport, declared_dependencies
from expcheck.facts.depstatus import dependency_status
from expcheck.facts.distributions import normalise, suggestion
from expcheck.repairs.pyproject import repair_undeclared_import
from expcheck.rules.base import Example, Hit, rule

_PYPROJECT = (
    '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
    "dependencies = [\n{deps}]\n\n[tool.uv]\npackage = false\n"
)


def _pyproject(*deps: str) -> str:
    return _PYPROJECT.format(deps="".join(f'    "{d}",\n' for d in deps))


_TRAIN = "import hydra\nimport torch\nfrom sklearn.metrics import f1_score\n\n\ndef score(y, p):\n    return f1_score(y, p)\n"


def _elsewhere(count: int) -> str:
    return f" (also imported in {count} other file{'s' if count > 1 else ''})" if count else ""


def _poetry_names(facts: Facts) -> frozenset[str]:
    """Distributions listed under [tool.poetry.dependencies], which uv ignores."""
    doc = facts.pyproject.doc if facts.pyproject is not None else None
    tool = doc.get("tool") if isinstance(doc, dict) else None
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    return frozenset(normalise(str(k)) for k in deps) if isinstance(deps, dict) else frozenset()


def _declared_at(facts: Facts) -> str:
    """Where the dependency list is (the file a repair edits), cited in the message: "; not in pyproject.toml:7"."""
    py = facts.pyproject
    line = (py.key_line("project", "dependencies") or py.table_line("project")) if py is not None else None
    return f"; not in pyproject.toml:{line}" if line else ""


def _wanted(ext: ExternalImport) -> str:
    return " or ".join(sorted(ext.providers))


@rule(
    id="R501",
    name="undeclared-dependency",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Maps imports to distributions with a table of the field's packages; a distribution that provides a module under an unexpected name can be misjudged.""",
    title="Third-party import that no declared dependency provides",
    why="""`uv run` installs exactly the distributions listed in [project] dependencies (and what they
        require). A module imported by the code but provided by none of them ends the run with
        ModuleNotFoundError — for `sklearn`, `cv2` or `PIL` the distribution is named differently
        (scikit-learn, opencv-python, pillow), which is easy to miss.""",
    fix='Add the distribution to [project] dependencies (e.g. `"scikit-learn>=1.3"` for `import sklearn`).',
    bad=[
        Example(
            files={"pyproject.toml": _pyproject("torch>=2.0", "hydra-core>=1.3"), "src/train.py": _TRAIN},
            repaired={"pyproject.toml": _pyproject("torch>=2.0", "hydra-core>=1.3", "scikit-learn")},
            expect=(("src/train.py", 3),),
        ),
        Example(
            files={
                "pyproject.toml": _PYPROJECT.format(deps='    "torch",\n').replace(
                    "[tool.uv]", '[project.optional-dependencies]\nplots = ["matplotlib"]\n\n[tool.uv]'
                ),
                "src/evaluate.py": "import torch\nimport matplotlib.pyplot as plt\n",
            },
            note="optional extras are not installed by `uv run`; moving one out of its extra is a judgement: no repair",
            expect=(("src/evaluate.py", 2),),
        ),
        Example(
            files={
                "pyproject.toml": '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
                'dependencies = ["torch"]  # core\n',
                "src/evaluate.py": "import torch\nimport yaml\nimport sklearn\n",
            },
            repaired={
                "pyproject.toml": '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
                'dependencies = ["torch", "pyyaml", "scikit-learn"]  # core\n',
            },
            note="the distribution's name comes from the curated import table (yaml -> pyyaml)",
            expect=(
                ("src/evaluate.py", 2),
                ("src/evaluate.py", 3),
            ),
        ),
    ],
    good=[
        Example(
            files={
                "pyproject.toml": _pyproject("torch>=2.0", "hydra-core>=1.3", "scikit-learn"),
                "src/train.py": _TRAIN,
            }
        ),
        Example(
            files={
                "pyproject.toml": _pyproject("torch"),
                "src/train.py": "import torch\n\ntry:\n    import wandb\nexcept ImportError:\n    wandb = None\n",
            },
            note="an import guarded by `except ImportError` is expected to fail",
        ),
        Example(
            files={
                "pyproject.toml": '[project]\nname = "exp"\n\n[project.dependencies]\ntorch = "*"\n',
                "src/train.py": _TRAIN,
            },
            note="a broken dependency table is R203's finding, not this rule's",
        ),
    ],
    repair=repair_undeclared_import,
)
def undeclared_dependency(facts: Facts) -> Iterator[Hit]:
    poetry = _poetry_names(facts)
    found = facts.derived(dependency_status)
    if found is None:
        return
    for ext, others, status in found.needed:
        if status == "missing":
            message = f"`{ext.module}` is imported{_elsewhere(others)}, but no declared dependency provides it (needs {_wanted(ext)}{_declared_at(facts)})"
            if ext.providers & poetry:
                message += "; it is listed only under [tool.poetry.dependencies], which uv ignores"
        elif status == "optional":
            optional = found.sets.optional
            extras = sorted({optional[d] for d in ext.providers if d in optional})
            message = (
                f"`{ext.module}`{_elsewhere(others)} comes from {_wanted(ext)}, declared only in optional-dependencies "
                f"[{', '.join(extras)}], which `uv run` does not install"
            )
        else:
            continue
        yield Hit(path=ext.fact.path, line=ext.fact.line, column=ext.fact.column, message=message)


@rule(
    id="R502",
    name="indirect-dependency",
    criterion="R",
    severity="warning",
    confidence="inferred",
    known_limits="""Knows which distributions require which; a declared package it does not know may provide the import.""",
    title="Import provided only through another dependency",
    why="""The module is installed today because a declared package requires it (omegaconf through
        hydra-core, numpy through torchvision), or perhaps by a declared package expcheck does not know.
        A new release of that package can drop the requirement and the import breaks.""",
    fix="Declare every distribution the code imports directly in [project] dependencies.",
    bad=[
        Example(
            files={
                "pyproject.toml": _pyproject("torch", "hydra-core"),
                "src/main.py": "import hydra\nfrom omegaconf import DictConfig\n",
            },
            expect=(("src/main.py", 2),),
        )
    ],
    good=[
        Example(
            files={
                "pyproject.toml": _pyproject("torch", "hydra-core", "omegaconf"),
                "src/main.py": "import hydra\nfrom omegaconf import DictConfig\n",
            }
        )
    ],
)
def indirect_dependency(facts: Facts) -> Iterator[Hit]:
    found = facts.derived(dependency_status)
    if found is None:
        return
    for ext, others, status in found.needed:
        if status == "transitive":
            via = sorted(
                d.name
                for d in found.sets.declared.requirements
                if d.installed_by_uv_run and ext.providers & found.sets.installs(d.name)
            )
            message = (
                f"`{ext.module}` ({_wanted(ext)}){_elsewhere(others)} is not declared; it is installed only as a "
                f"requirement of {', '.join(via) or 'another dependency'}"
            )
        elif status == "maybe":
            names = ", ".join(sorted(d.name for d in found.sets.unknown))
            message = f"`{ext.module}`{_elsewhere(others)} is not provided by any known declared dependency; perhaps by {names}"
        else:
            continue
        yield Hit(path=ext.fact.path, line=ext.fact.line, column=ext.fact.column, message=message)


@rule(
    id="R503",
    name="unknown-distribution",
    criterion="R",
    severity="warning",
    confidence="heuristic",
    known_limits="""A name missing from expcheck's table and this machine's installed packages may still exist on PyPI.""",
    title="Declared distribution expcheck does not know",
    why="""A dependency name that is neither in expcheck's table of the field's packages nor installed
        here may be a typo (`omegacnof`) or a project not on PyPI; uv then fails to resolve the
        environment and nothing runs.""",
    fix="Check the name on PyPI; correct it or install the package from its source URL (`name @ git+https://...`).",
    bad=[
        Example(
            files={"pyproject.toml": _pyproject("torch", "hydra-core", "omegacnof"), "src/main.py": "import torch\n"},
            expect=(("pyproject.toml", 8),),
        )
    ],
    good=[
        Example(
            files={"pyproject.toml": _pyproject("torch", "hydra-core", "omegaconf"), "src/main.py": "import torch\n"}
        )
    ],
)
def unknown_distribution(facts: Facts) -> Iterator[Hit]:
    declared = facts.derived(declared_dependencies)
    if declared is None:
        return
    for requirement in declared.unknown:
        if "@" in requirement.text:
            continue  # a direct URL names its own source
        hint = suggestion(requirement.name)
        message = f"`{requirement.name}` is not a distribution expcheck knows"
        message += f"; did you mean `{hint}`?" if hint else "; check that PyPI has it under this name"
        yield Hit(path="pyproject.toml", line=requirement.line, message=message)
