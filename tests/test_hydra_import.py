"""Hydra imported without its package initialiser's eager imports (expcheck.facts.hydra_import, issue 19):
composing needs none of them, and anything else asked of the package still gets the complete package."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
from expcheck.facts import hydra_import
from expcheck.facts.compose import _Composer
hydra_import.prepare()
composer = _Composer({"config.yaml": "defaults:\\n  - model: a\\n  - _self_\\nlr: 0.1\\n", "model/a.yaml": "size: 3\\n"}, "cfg")
print(composer.compose("config", ["lr=0.5"]))
print(sorted(m for m in ("hydra.utils", "hydra.main", "hydra.compose", "hydra.initialize", "argparse") if m in sys.modules))
"""

_COMPLETE = """
from expcheck.facts import hydra_import
hydra_import.prepare()
import hydra._internal.config_loader_impl
from hydra import compose, initialize_config_dir, main
import hydra
print(callable(compose), callable(main), callable(initialize_config_dir), hydra.utils.instantiate.__name__)
print(sorted(hydra.__all__) == sorted(["__version__", "MissingConfigException", "main", "utils", "TaskFunction",
      "compose", "initialize", "initialize_config_module", "initialize_config_dir"]), "__getattr__" in vars(hydra))
"""


def _run(code: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return proc.stdout.splitlines()


def test_composing_imports_none_of_hydras_eager_modules() -> None:
    composed, eager = _run(_PROBE)
    assert composed == "{'model': {'size': 3}, 'lr': 0.5}"
    assert eager == "[]"


def test_the_package_is_completed_when_anything_else_is_asked_of_it() -> None:
    assert _run(_COMPLETE) == ["True True True instantiate", "True False"]


def test_a_hydra_imported_before_is_left_as_it_is() -> None:
    code = "import hydra, sys\nfrom expcheck.facts import hydra_import\nbefore = sys.modules['hydra']\n"
    code += "hydra_import.prepare()\nprint(sys.modules['hydra'] is before, hasattr(before, 'compose'))"
    assert _run(code) == ["True True"]
