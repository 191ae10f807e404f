"""The pyproject rules say what real uv does: each bad example is refused or installs nothing.

Runs only where uv is installed; offline, so only behaviour uv shows before any download is asserted.
Set EXPCHECK_NETWORK_TESTS=1 to also confirm the cases that need the package index (build backends).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from expcheck.rules import REGISTRY, all_rules

UV = shutil.which("uv")
pytestmark = pytest.mark.skipif(UV is None, reason="uv not installed")
NETWORK = os.environ.get("EXPCHECK_NETWORK_TESTS") == "1"

all_rules()


def _materialise(files: dict[str, str], root: Path) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (root / "src").mkdir(exist_ok=True)
    if not (root / "src" / "main.py").exists():
        (root / "src" / "main.py").write_text("print('hi')\n")


def _uv(root: Path, *args: str, offline: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_CONFIG": "1"}
    env.pop("VIRTUAL_ENV", None)
    command = [UV or "uv", *args, *(["--offline"] if offline else [])]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("rule_id", ["R201", "R203", "R205", "R207"])
def test_uv_refuses_the_file(rule_id: str, tmp_path: Path) -> None:
    for i, example in enumerate(REGISTRY[rule_id].bad):
        root = tmp_path / str(i)
        _materialise(dict(example.files), root)
        proc = _uv(root, "lock", "--dry-run")
        assert proc.returncode == 2, (rule_id, i, proc.stderr)
        assert "pyproject.toml" in proc.stderr


def test_uv_accepts_a_minimal_valid_project(tmp_path: Path) -> None:
    _materialise(
        {"pyproject.toml": '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n'},
        tmp_path,
    )
    proc = _uv(tmp_path, "lock", "--dry-run")
    assert proc.returncode == 0, proc.stderr


def test_poetry_only_dependencies_are_not_installed(tmp_path: Path) -> None:
    example = REGISTRY["R202"].bad[0]
    _materialise(dict(example.files), tmp_path)
    proc = _uv(tmp_path, "lock")
    assert proc.returncode == 0, proc.stderr  # uv is content ...
    lock = (tmp_path / "uv.lock").read_text()
    assert "torch" not in lock  # ... and resolves none of the [tool.poetry] dependencies


def test_invalid_requirement_fails(tmp_path: Path) -> None:
    for i, example in enumerate(REGISTRY["R204"].bad):
        root = tmp_path / str(i)
        _materialise(dict(example.files), root)
        proc = _uv(root, "lock", "--dry-run", offline=not NETWORK)
        assert proc.returncode != 0, proc.stderr
        if NETWORK:
            assert "pep508" in proc.stderr or "invalid" in proc.stderr.lower()


@pytest.mark.skipif(not NETWORK, reason="needs the package index for the build backend (EXPCHECK_NETWORK_TESTS=1)")
def test_unbuildable_project_fails_uv_run(tmp_path: Path) -> None:
    for i, example in enumerate(REGISTRY["R208"].bad):
        root = tmp_path / str(i)
        _materialise(dict(example.files), root)
        proc = _uv(root, "run", "python", "-c", "print(1)", offline=False)
        assert proc.returncode == 1, proc.stderr
    for i, example in enumerate(REGISTRY["R208"].good):
        root = tmp_path / f"good{i}"
        files = dict(example.files)
        files["pyproject.toml"] = files["pyproject.toml"].replace('"torch>=2.0",\n    "hydra-core>=1.3",\n', "")
        _materialise(files, root)
        proc = _uv(root, "run", "python", "-c", "print(1)", offline=False)
        assert proc.returncode == 0, proc.stderr


def _repaired_cases() -> list[tuple[str, int, dict[str, str]]]:
    return [
        (rule.id, i, {**example.files, **example.repaired})
        for rule in all_rules()
        if rule.id.startswith(("R2", "R5")) and rule.repair is not None
        for i, example in enumerate(rule.bad)
        if example.repaired
    ]


@pytest.mark.parametrize("case", _repaired_cases(), ids=lambda c: f"{c[0]}-{c[1] + 1}")
def test_uv_accepts_the_repaired_pyproject(case: tuple[str, int, dict[str, str]], tmp_path: Path) -> None:
    """What `expcheck fix` writes for an R2 or R5 finding is a pyproject.toml uv reads and resolves."""
    _, _, files = case
    _materialise(files, tmp_path)
    proc = _uv(tmp_path, "lock", "--dry-run", offline=not NETWORK)
    assert "Failed to parse" not in proc.stderr and proc.returncode != 2, proc.stderr
    if NETWORK:
        assert proc.returncode == 0, proc.stderr
        if "torch" not in files["pyproject.toml"]:  # small enough to install: uv builds/syncs and runs
            run = _uv(tmp_path, "run", "python", "-c", "print(1)", offline=False)
            assert run.returncode == 0, run.stderr
    elif proc.returncode != 0:
        # Offline, uv has read the dependencies and stops only because a package is not in its cache.
        assert "network was disabled" in proc.stderr or "not found in the cache" in proc.stderr, proc.stderr
