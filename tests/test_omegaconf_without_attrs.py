"""omegaconf imported without attrs, only in expcheck's own command-line processes (expcheck.lazy, issue 19)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("attr")


def _run(script: str) -> str:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_command_line_imports_omegaconf_without_attrs() -> None:
    script = (
        "import sys\n"
        "from expcheck import lazy\n"
        "lazy.mark_command_line()\n"
        "from expcheck.batch import preload\n"
        "preload()\n"
        "import omegaconf._utils as utils\n"
        "print(utils.attr is None, 'attr' in sys.modules)\n"
        "import attr\n"  # hidden only for omegaconf's own import: importable afterwards
        "print(attr.has(int))\n"
    )
    assert _run(script).split() == ["True", "False", "False"]


def test_a_library_process_imports_omegaconf_as_usual() -> None:
    script = (
        "import sys\n"
        "from expcheck.batch import preload\n"
        "preload()\n"
        "import omegaconf._utils as utils\n"
        "print(utils.attr is not None, 'attr' in sys.modules)\n"
    )
    assert _run(script).split() == ["True", "True"]


def test_main_with_its_own_arguments_does_not_mark_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from expcheck import lazy
    from expcheck.cli import main

    monkeypatch.setattr(lazy, "_command_line", False)
    main(["rules"])
    assert lazy._command_line is False


def test_main_reading_the_process_arguments_marks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from expcheck import lazy
    from expcheck.cli import main

    monkeypatch.setattr(lazy, "_command_line", False)
    monkeypatch.setattr(sys, "argv", ["expcheck", "rules"])
    main()
    assert lazy._command_line is True


def test_attrs_imported_before_is_left_visible_to_omegaconf() -> None:
    script = (
        "import attr\n"
        "from expcheck import lazy\n"
        "lazy.mark_command_line()\n"
        "lazy.import_omegaconf()\n"
        "import omegaconf._utils as utils\n"
        "print(utils.attr is attr)\n"
    )
    assert _run(script) == "True"


def test_hydra_structured_configs_are_recognised_the_same_without_attrs() -> None:
    """What omegaconf decides about every class Hydra stores (its dataclasses) and about YAML data does not
    depend on attrs being importable."""
    script = (
        "import sys\n"
        "from expcheck import lazy\n"
        "if sys.argv[1] == 'hidden':\n"
        "    lazy.mark_command_line()\n"
        "from expcheck.batch import preload\n"
        "preload()\n"
        "import dataclasses, hydra.conf\n"
        "from omegaconf import OmegaConf, _utils\n"
        "classes = sorted((v for v in vars(hydra.conf).values() if dataclasses.is_dataclass(v)), key=str)\n"
        "print([(c.__name__, _utils.is_structured_config(c), _utils.get_type_of(c) is c) for c in classes])\n"
        "print(OmegaConf.to_yaml(OmegaConf.structured(hydra.conf.HydraConf)))\n"
        "print(OmegaConf.to_yaml(OmegaConf.create({'a': [1, {'b': None}], 'c': '${a}'})))\n"
    )
    hidden = subprocess.run([sys.executable, "-c", script, "hidden"], capture_output=True, text=True, check=True)
    usual = subprocess.run([sys.executable, "-c", script, "usual"], capture_output=True, text=True, check=True)
    assert "HydraConf" in hidden.stdout
    assert hidden.stdout == usual.stdout
