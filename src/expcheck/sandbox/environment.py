"""The Python environment a trial runs in: built by uv from the submission, or an existing interpreter.

``--env uv`` (the default) runs ``uv sync`` in the trial folder, as ``uv run`` would before the
pipeline's command: the environment is ``<trial>/.venv``, packages come from uv's shared cache, and
the first attempt is offline so a warm cache needs no network at all; only when that fails is uv
allowed to fetch (uv is the one process that may reach the network; the submission's code never
runs here). ``--python PATH`` uses an interpreter that already has the dependencies — the usual case
on GPU images — and builds nothing.

A failed ``uv sync`` is blamed on the submission (its pyproject.toml cannot be resolved or built:
that is a finding) or on the machine (no network, no interpreter, a timeout: the trial cannot run).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from expcheck.errors import InputError

EnvKind = Literal["uv", "python"]
UV_SYNC_TIMEOUT = 1800.0
_TAIL_LINES = 25

# uv's words for "could not reach the index / no interpreter": the machine's problem, not the code's.
_MACHINE = re.compile(
    r"error sending request|dns error|failed to lookup address|tcp connect error|connection refused|"
    r"network is unreachable|timed out|failed to download|could not connect|network connectivity is disabled|"
    r"no interpreter found|no python|not found in the cache|offline|certificate",
    re.I,
)
# uv's words for "this project cannot be resolved, parsed or built": a defect of the submission.
_SUBMISSION = re.compile(
    r"no solution found|failed to build|failed to parse|parse error|no `project` table|"
    r"no `pyproject\.toml` found|unable to determine which files to ship|failed to resolve|"
    r"is not a valid|invalid",
    re.I,
)
_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass(frozen=True)
class Environment:
    """The interpreter a trial runs with, and how it came to be."""

    kind: EnvKind
    python: str
    description: str


@dataclass(frozen=True)
class EnvProblem:
    """``uv sync`` failed: why, whose fault, and the last lines uv printed."""

    blame: Literal["submission", "machine"]
    summary: str
    output_tail: str
    # The pyproject.toml line uv names in a parse error, when it names one.
    toml_line: int | None = None


def python_environment(path: str) -> Environment:
    """An existing interpreter given by path or command name; raises InputError when it is not one."""
    found = path if os.sep in path else shutil.which(path)
    if found is None or not os.path.isfile(found) or not os.access(found, os.X_OK):
        raise InputError(f"--python {path}: not an executable file")
    return Environment(kind="python", python=os.path.abspath(found), description=f"existing interpreter {found}")


def uv_executable() -> str:
    uv = shutil.which("uv")
    if uv is None:
        raise InputError("--env uv: uv is not installed (pip install uv), or pass --python PATH")
    return uv


def _uv_env(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "UV_PROJECT")}
    env["UV_PROJECT_ENVIRONMENT"] = str(root / ".venv")
    env.setdefault("UV_NO_PROGRESS", "1")
    return env


def _sync(uv: str, root: Path, offline: bool, timeout: float) -> subprocess.CompletedProcess[str] | str:
    command = [uv, "sync", *(["--offline"] if offline else [])]
    try:
        return subprocess.run(command, cwd=root, env=_uv_env(root), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"uv sync did not finish within {timeout:.0f} s"
    except OSError as exc:
        return f"uv sync could not start: {exc}"


def _tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-_TAIL_LINES:])


def _problem(proc: subprocess.CompletedProcess[str] | str) -> EnvProblem:
    if isinstance(proc, str):
        return EnvProblem(blame="machine", summary=proc, output_tail="")
    tail = _tail(proc.stderr or proc.stdout)
    lines = [line for line in tail.splitlines() if line.strip()]
    errors = [line.strip() for line in lines if line.lstrip().lower().startswith("error")]
    causes = [line.strip() for line in lines if line.lstrip().lower().startswith("cause")]
    summary = " — ".join([*errors[:1], *causes[:1]]) or (lines[0].strip() if lines else "")
    summary = summary or f"uv sync exited with status {proc.returncode}"
    if _MACHINE.search(tail):
        return EnvProblem(blame="machine", summary=summary, output_tail=tail)
    if _SUBMISSION.search(tail) or proc.returncode == 2:
        match = _TOML_LINE.search(tail)
        return EnvProblem(
            blame="submission", summary=summary, output_tail=tail, toml_line=int(match.group(1)) if match else None
        )
    return EnvProblem(blame="machine", summary=summary, output_tail=tail)


def uv_environment(root: Path, timeout: float = UV_SYNC_TIMEOUT) -> Environment | EnvProblem:
    """Build ``root/.venv`` from ``root/pyproject.toml`` with uv: offline first, then with the index."""
    uv = uv_executable()
    if not (root / "pyproject.toml").is_file():
        # uv would look for a pyproject.toml in the folders above the trial folder: never let it.
        return EnvProblem(blame="submission", summary="there is no pyproject.toml for uv to build from", output_tail="")
    first = _sync(uv, root, offline=True, timeout=timeout)
    how = "offline, from uv's cache"
    if isinstance(first, str) or first.returncode != 0:
        first = _sync(uv, root, offline=False, timeout=timeout)
        how = "with the package index"
    if isinstance(first, str) or first.returncode != 0:
        return _problem(first)
    python = root / ".venv" / "bin" / "python"
    if not python.exists():
        return EnvProblem(blame="machine", summary="uv sync made no .venv/bin/python", output_tail=_tail(first.stderr))
    return Environment(kind="uv", python=str(python), description=f"uv sync ({how}) into the trial folder's .venv")
