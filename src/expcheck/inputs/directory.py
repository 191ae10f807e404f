"""Experiment repositories on disk: every file below the root, read as text, nothing executed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from expcheck.errors import InputError
from expcheck.inputs.limits import MAX_INPUT_BYTES, MAX_REPO_FILE_BYTES, MAX_REPO_FILES
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
_JUDGED_SUFFIXES = (".py", ".yaml", ".yml", ".toml")


def _read(path: Path, rel: str, budget: int) -> SourceFile:
    """The file at ``path`` (a regular file), reading at most ``budget`` bytes of the repository's total."""
    try:
        size = path.stat().st_size
        if size > MAX_REPO_FILE_BYTES:
            return SourceFile(path=rel, text="", unreadable=f"{size} bytes, larger than {MAX_REPO_FILE_BYTES}")
        if size > budget:
            why = f"not read: the repository's files pass the {MAX_INPUT_BYTES // (1024 * 1024)} MiB expcheck reads"
            return SourceFile(path=rel, text="", unreadable=why)
        # O_NONBLOCK: should the file have been swapped for a FIFO since it was looked at, no read waits.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return SourceFile(path=rel, text="", unreadable="not a regular file")
            with os.fdopen(fd, "rb", closefd=False) as handle:
                data = handle.read(MAX_REPO_FILE_BYTES + 1)
        finally:
            os.close(fd)
        if len(data) > MAX_REPO_FILE_BYTES:
            return SourceFile(path=rel, text="", unreadable=f"more than {MAX_REPO_FILE_BYTES} bytes")
    except OSError as exc:
        return SourceFile(path=rel, text="", unreadable=f"cannot be read: {exc.strerror or exc}")
    if b"\x00" in data[:8192]:
        return SourceFile(path=rel, text="", unreadable="binary data")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        return SourceFile(path=rel, text="", unreadable=f"not UTF-8 (bad byte at offset {exc.start})")
    return SourceFile(path=rel, text=text.replace("\r\n", "\n"))


def _kind(mode: int) -> str | None:
    """What a non-regular file is (for the finding), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file: not read"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file: not read"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file: not read"
    return "not a regular file: not read"


def submission_from_directory(root: Path, name: str) -> Submission:
    files: dict[str, SourceFile] = {}
    rejected: list[RejectedEntry] = []
    count = 0
    found: list[tuple[str, Path]] = []
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
            try:
                mode = full.lstat().st_mode
            except OSError as exc:
                files[rel] = SourceFile(path=rel, text="", unreadable=f"cannot be read: {exc.strerror or exc}")
                continue
            if stat.S_ISLNK(mode):
                rejected.append(RejectedEntry(name=rel, reason="symbolic link (not followed)", text=""))
                continue
            kind = _kind(mode)
            if kind is not None:
                rejected.append(RejectedEntry(name=rel, reason=kind, text=""))
                continue
            count += 1
            if count > MAX_REPO_FILES:
                raise InputError(
                    f"{name}: more than {MAX_REPO_FILES} files; point expcheck at the experiment repository root"
                )
            found.append((rel, full))
    # The repository as a whole is held to the bundle limit; code and configs are read before other files.
    total = 0
    for rel, full in sorted(found, key=lambda item: (not item[0].endswith(_JUDGED_SUFFIXES), item[0])):
        files[rel] = _read(full, rel, MAX_INPUT_BYTES - total)
        total += len(files[rel].text)
    files = {rel: files[rel] for rel, _ in found}
    marked = any(path == m or path.startswith(m) for path in files for m in _EXPERIMENT_MARKERS)
    if not marked and not any(path.endswith(".py") for path in files):
        raise InputError(f"{name}: no experiment files here (no Python file, pyproject.toml, src/ or config/)")
    return Submission(source=name, kind="directory", files=files, rejected=rejected)
