"""Write a submission's files into a fresh temporary folder, and nowhere else.

Every readable file of the submission is written, run configs placed by the research context
included. A name that could reach outside the folder (absolute, ``..``, empty parts, NUL) is
refused, and so is any name whose resolved target leaves the folder; nothing is ever followed or
overwritten outside it. Rejected bundle entries and unreadable files are never written.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from expcheck.paths import normalise, unsafe_reason
from expcheck.submission import Submission

PREFIX = "expcheck-trial-"


@dataclass(frozen=True)
class Materialised:
    """The folder a submission was written to, and what was left out."""

    root: Path
    written: tuple[str, ...]
    # (name, reason) of every file that was not written.
    skipped: tuple[tuple[str, str], ...]


def _inside(root: Path, target: Path) -> bool:
    try:
        target.resolve().relative_to(root)
    except ValueError:
        return False
    return True


def write_files(submission: Submission, root: Path) -> Materialised:
    """Write ``submission``'s files below ``root`` (an existing, empty folder)."""
    root = root.resolve()
    written: list[str] = []
    skipped: list[tuple[str, str]] = []
    for name, file in sorted(submission.files.items()):
        reason = unsafe_reason(name)
        if reason is not None:
            skipped.append((name, reason))
            continue
        if file.unreadable is not None:
            skipped.append((name, f"not readable text ({file.unreadable})"))
            continue
        relative = normalise(name)
        target = root / relative
        if not _inside(root, target.parent) or target.is_symlink() or target.is_dir():
            skipped.append((name, "its place in the folder is taken or leads outside it"))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if not _inside(root, target.parent):
            skipped.append((name, "its folder leads outside the trial folder"))
            continue
        # O_EXCL|O_NOFOLLOW: never write through a link or over something already there.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(target, flags, 0o644)
        except OSError as exc:
            skipped.append((name, f"cannot be written: {exc.strerror}"))
            continue
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(file.text)
        written.append(relative)
    return Materialised(root=root, written=tuple(written), skipped=tuple(skipped))


def materialise(submission: Submission, parent: str | None = None) -> Materialised:
    """A fresh temporary folder (under ``parent`` or the system's temp space) holding the submission."""
    root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
    return write_files(submission, root)
