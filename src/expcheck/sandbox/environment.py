"""The Python environment a trial runs in: built by uv from the submission, or an existing interpreter.

``--env uv`` (the default) runs ``uv sync`` in the trial folder, as ``uv run`` would before the
pipeline's command: the environment is ``<trial>/.venv`` and packages come from uv's shared cache.
``uv sync`` builds and installs the submission's own project, so it runs the submission's build
backend: it runs in the same sandbox as the trial runs (bwrap.py), offline from the cache, in a
network namespace; only with ``sync_network`` may it fetch from the package index. Without the
sandbox (the weaker isolation the user accepted) it runs as before: offline first, then online.
``--python PATH`` uses an interpreter that already has the dependencies — the usual case on GPU
images — and builds nothing.

A failed ``uv sync`` is blamed on the submission (its pyproject.toml cannot be resolved or built:
that is a finding) or on the machine (no network, no interpreter, a timeout: the trial cannot run).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from expcheck.errors import InputError
from expcheck.sandbox.bwrap import Sandbox, interpreter_paths

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


def _is_binary(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def uv_executable() -> str:
    """uv's own binary (a launcher script such as a pyenv shim is followed to it: a sandbox shows
    the binary, not the launcher's world)."""
    uv = shutil.which("uv")
    if uv is None:
        raise InputError("--env uv: uv is not installed (pip install uv), or pass --python PATH")
    real = os.path.realpath(uv)
    if _is_binary(real):
        return real
    pyenv = shutil.which("pyenv")
    if pyenv is not None:
        try:
            found = subprocess.run([pyenv, "which", "uv"], capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and _is_binary(os.path.realpath(found)):
            return os.path.realpath(found)
    return real


def _uv_line(uv: str, *args: str) -> str | None:
    try:
        proc = subprocess.run([uv, *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = proc.stdout.strip().splitlines()
    return lines[-1] if proc.returncode == 0 and lines else None


def _uv_env(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "UV_PROJECT")}
    env["UV_PROJECT_ENVIRONMENT"] = str(root / ".venv")
    env.setdefault("UV_NO_PROGRESS", "1")
    return env


@dataclass(frozen=True)
class SyncSandbox:
    """How ``uv sync`` is wrapped: the sandbox, whether uv may fetch, what it must see."""

    sandbox: Sandbox
    network: bool


# Buckets of uv's cache that an offline sync only reads when everything it installs is cached:
# unpacked wheels, index pages, wheel metadata. uv writes elsewhere (its lock, interpreter facts, the
# project's own build and build environments) — and a bucket of another uv version is not shared.
_READ_ONLY_BUCKETS = re.compile(r"(?:archive|simple|wheels|flat-index)-v\d+")


def private_cache(shared: str, own: Path) -> Path:
    """A cache folder for one offline sync, in the trial's own space: the shared cache's read-only
    buckets linked in (the sandbox shows the shared cache read-only), every other bucket private and
    empty. uv cannot lock or build in a read-only cache (it creates its lock and temporary folders
    at the cache's root), so this is what keeps the shared cache untouched by a hostile build backend."""
    cache = own / "uv-cache"
    cache.mkdir(parents=True, exist_ok=True)
    for entry in sorted(os.listdir(shared)):
        source = os.path.join(shared, entry)
        if _READ_ONLY_BUCKETS.fullmatch(entry) and os.path.isdir(source) and not os.path.lexists(cache / entry):
            os.symlink(source, cache / entry)
        elif entry == "CACHEDIR.TAG" and os.path.isfile(source):
            shutil.copyfile(source, cache / entry)
    return cache


def _sandboxed(uv: str, root: Path, box: SyncSandbox, env: dict[str, str]) -> list[str] | str:
    """``uv sync`` inside the sandbox, with the interpreter uv picks for this project made visible.

    Offline (the default), uv's shared cache is shown read-only and uv works in a private cache
    linked to it (private_cache). With the package index allowed, uv must store what it downloads,
    so the shared cache is writable: fetching is the user's explicit choice (--sync-online).
    """
    python = _uv_line(uv, "python", "find", "--offline", "--directory", str(root))
    if python is None:
        return "uv found no Python interpreter for this project on this machine (uv python find)"
    shared = _uv_line(uv, "cache", "dir")
    if shared is None:
        return "uv did not name its cache folder (uv cache dir)"
    os.makedirs(shared, exist_ok=True)
    shared = os.path.realpath(shared)
    own = root / ".expcheck"
    (own / "home").mkdir(parents=True, exist_ok=True)
    cache = shared if box.network else str(private_cache(shared, own))
    env.update(
        {
            "UV_CACHE_DIR": cache,
            "UV_PYTHON": os.path.realpath(python),
            "UV_PYTHON_DOWNLOADS": "never",
            # The cache is another mount: a hard link could not be made, and must never be (a run
            # writing through it would change the shared cache).
            "UV_LINK_MODE": "copy",
            "HOME": str(own / "home"),
            "TMPDIR": "/tmp",
        }
    )
    if not box.network:
        env["UV_OFFLINE"] = "1"
    command = [uv, "sync", *([] if box.network else ["--offline"])]
    readable = (uv, *interpreter_paths(python), *(() if box.network else (shared,)))
    writable = (shared,) if box.network else ()
    return box.sandbox.argv(root, command, network=box.network, readable=readable, writable=writable)


def _sync(
    uv: str, root: Path, offline: bool, timeout: float, box: SyncSandbox | None = None
) -> subprocess.CompletedProcess[str] | str:
    env = _uv_env(root)
    command: list[str] | str = [uv, "sync", *(["--offline"] if offline else [])]
    if box is not None:
        command = _sandboxed(uv, root, box, env)
        if isinstance(command, str):
            return command
    # Its output is captured like a run's (head and tail kept): a build backend printing without end
    # costs neither memory nor disk. Its whole process group is killed when it ends or times out.
    from expcheck.sandbox.outcome import read_log
    from expcheck.sandbox.runner import run_command

    log = root / ".expcheck" / "uv-sync.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        raw = run_command(command, root, env, log, timeout, None)
    except OSError as exc:
        return f"uv sync could not start: {exc}"
    if raw.timed_out:
        return f"uv sync did not finish within {timeout:.0f} s"
    return subprocess.CompletedProcess(command, raw.returncode or 0, stdout="", stderr=read_log(log))


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


def uv_environment(
    root: Path, timeout: float = UV_SYNC_TIMEOUT, box: SyncSandbox | None = None
) -> Environment | EnvProblem:
    """Build ``root/.venv`` from ``root/pyproject.toml`` with uv. In the sandbox ``box``: once, offline
    unless ``box.network``. Without one: offline first, then with the index."""
    uv = uv_executable()
    if not (root / "pyproject.toml").is_file():
        # uv would look for a pyproject.toml in the folders above the trial folder: never let it.
        return EnvProblem(blame="submission", summary="there is no pyproject.toml for uv to build from", output_tail="")
    if box is not None:
        done = _sync(uv, root, offline=not box.network, timeout=timeout, box=box)
        if isinstance(done, str) or done.returncode != 0:
            problem = _problem(done)
            if problem.blame == "machine" and not box.network:
                problem = replace(
                    problem, summary=f"{problem.summary} (uv ran offline, from its cache; --sync-online lets it fetch)"
                )
            return problem
        return _made(root, done, "in the sandbox, " + ("with the package index" if box.network else "offline, from uv's cache"))
    first = _sync(uv, root, offline=True, timeout=timeout)
    how = "offline, from uv's cache"
    if isinstance(first, str) or first.returncode != 0:
        first = _sync(uv, root, offline=False, timeout=timeout)
        how = "with the package index"
    if isinstance(first, str) or first.returncode != 0:
        return _problem(first)
    return _made(root, first, how)


def _made(root: Path, proc: subprocess.CompletedProcess[str], how: str) -> Environment | EnvProblem:
    python = root / ".venv" / "bin" / "python"
    if not python.exists():
        return EnvProblem(blame="machine", summary="uv sync made no .venv/bin/python", output_tail=_tail(proc.stderr))
    return Environment(kind="uv", python=str(python), description=f"uv sync ({how}) into the trial folder's .venv")
