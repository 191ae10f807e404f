"""The project installs as a package: the wheel builds, holds the data files, and its `expcheck`
command works in a fresh environment."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv")
def test_wheel_builds_and_installs_the_command(tmp_path: Path) -> None:
    build = subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("expcheck-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "expcheck = expcheck.cli:main" in archive.read(entry_points).decode()
    assert {"expcheck/profiles/airas-v2.yaml", "expcheck/report/sarif.py", "expcheck/cli.py"} <= names

    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "--quiet", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        ["uv", "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    proc = subprocess.run(
        [
            str(venv / "bin" / "expcheck"),
            "check",
            str(ROOT / "examples" / "ready_bundle.json"),
            "--context",
            str(ROOT / "examples" / "ready_context.yaml"),
            "--format",
            "concise",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("1 inputs, 0 not ready")
