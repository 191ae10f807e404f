"""Experiment repositories on disk: every file below the root, read as text, nothing executed."""

from __future__ import annotations

import os
from pathlib import Path

from expcheck.errors import InputError
from expcheck.inputs.limits import MAX_REPO_FILE_BYTES, MAX_REPO_FILES
from expcheck.submission import RejectedEntry, SourceFile, Submission

# Folders never descended into: version control, environments, caches and run outputs.
_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".cache",
        "wandb",
        "outputs",
        "multirun",
        ".hydra",
    }
)
_EXPERIMENT_MARKERS = ("pyproject.toml", "config/", "src/")


def _read(path: Path, rel: str) -> SourceFile:
    try:
        size = path.stat().st_size
        if size > MAX_REPO_FILE_BYTES:
            return SourceFile(path=rel, text="", unreadable=f"{size} bytes, larger than {MAX_REPO_FILE_BYTES}")
        data = path.read_bytes()
    except OSError as exc:
        return SourceFile(path=rel, text="", unreadable=f"cannot be read: {exc.strerror or exc}")
    if b"\x00" in data[:8192]:
        return SourceFile(path=rel, text="", unreadable="binary data")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        return SourceFile(path=rel, text="", unreadable=f"not UTF-8 (bad byte at offset {exc.start})")
    return SourceFile(path=rel, text=text.replace("\r\n", "\n"))


def submission_from_directory(root: Path, name: str) -> Submission:
    files: dict[str, SourceFile] = {}
    rejected: list[RejectedEntry] = []
    count = 0
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(folder)
        rel_dir = here.relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else f"{rel_dir}/"
        kept = []
        for d in sorted(dirnames):
            if d in _SKIP_DIRS:
                continue
            if (here / d).is_symlink():
                rejected.append(RejectedEntry(name=f"{prefix}{d}", reason="symbolic link (not followed)", text=""))
                continue
            kept.append(d)
        dirnames[:] = kept
        for filename in sorted(filenames):
            rel = f"{prefix}{filename}"
            full = here / filename
            if full.is_symlink():
                rejected.append(RejectedEntry(name=rel, reason="symbolic link (not followed)", text=""))
                continue
            count += 1
            if count > MAX_REPO_FILES:
                raise InputError(
                    f"{name}: more than {MAX_REPO_FILES} files; point expcheck at the experiment repository root"
                )
            files[rel] = _read(full, rel)
    marked = any(path == m or path.startswith(m) for path in files for m in _EXPERIMENT_MARKERS)
    if not marked and not any(path.endswith(".py") for path in files):
        raise InputError(f"{name}: no experiment files here (no Python file, pyproject.toml, src/ or config/)")
    return Submission(source=name, kind="directory", files=files, rejected=rejected)
