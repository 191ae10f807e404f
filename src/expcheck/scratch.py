"""Where the static check writes its short-lived scratch copies: ruff's copy of the Python files.

Every check copies the submission's Python files into a new folder for ruff, and removes them when ruff
has answered, a few milliseconds later. On a disk file system the folder's creation and removal go
through the journal (about 0.4 ms of a 20 ms check on ext4); in memory they cost next to nothing. So the
copy goes to the system's RAM-backed temporary folder (``/dev/shm`` on Linux) when there is one and the
user has not chosen a temporary folder; otherwise to the usual temporary folder (``tempfile``).

The copies are small (the submission's Python files, which the input limits bound) and live for one
check. Trial runs never write here: they write datasets and checkpoints, and keep the usual temporary
folder. A folder's name carries the process id (``expcheck-lint-<pid>-...``), so that a batch can remove
what a killed process left behind (``sweep_stale``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from functools import cache

LINT_PREFIX = "expcheck-lint-"
RAM_TEMP = "/dev/shm"
# The variables through which a user chooses the temporary folder (as ``tempfile`` reads them).
_TEMP_VARIABLES = ("TMPDIR", "TEMP", "TMP")


def _is_ram_backed(folder: str, mounts: str = "/proc/self/mounts") -> bool:
    """Whether ``folder`` is the mount point of a tmpfs file system (as the kernel lists its mounts)."""
    try:
        with open(mounts, encoding="utf-8", errors="replace") as listing:
            return any(
                len(fields) >= 3 and fields[1] == folder and fields[2] == "tmpfs"
                for fields in (line.split() for line in listing)
            )
    except OSError:
        return False


@cache
def ram_parent() -> str | None:
    """The RAM-backed temporary folder scratch copies go to, or None for the usual temporary folder.

    None when the user chose a temporary folder (one of TMPDIR, TEMP, TMP set), or when there is no
    writable tmpfs folder. (``tempfile.tempdir`` cannot tell a choice: ``tempfile.gettempdir()`` stores its
    default there.) Worked out once per process: a batch works it out before its workers start
    (``batch.preload``), since each worker then points TMPDIR at its own folder; a worker that works it
    out itself finds TMPDIR set and keeps to that folder.
    """
    if any(os.environ.get(name) for name in _TEMP_VARIABLES):
        return None
    try:
        info = os.lstat(RAM_TEMP)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or not os.access(RAM_TEMP, os.W_OK | os.X_OK):
        return None
    return RAM_TEMP if _is_ram_backed(RAM_TEMP) else None


def lint_prefix() -> str:
    """The name a scratch folder of this process starts with."""
    return f"{LINT_PREFIX}{os.getpid()}-"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(parent: str, prefix: str, pids: set[int] | None = None) -> None:
    """Remove the folders in ``parent`` named ``<prefix><pid>-...`` whose process no longer exists
    (killed before it could clean up), or, given ``pids``, those of exactly these processes."""
    with contextlib.suppress(OSError), os.scandir(parent) as entries:
        for entry in entries:
            if not entry.name.startswith(prefix):
                continue
            pid = entry.name[len(prefix) :].split("-", 1)[0]
            if not pid.isdigit() or not entry.is_dir(follow_symlinks=False):
                continue
            if int(pid) in pids if pids is not None else not pid_alive(int(pid)):
                shutil.rmtree(entry.path, ignore_errors=True)


def sweep_lint_folders(pids: set[int] | None = None) -> None:
    """``remove_stale`` for the scratch folders in the RAM-backed folder (the usual temporary folder's
    are inside the folder of the batch whose worker made them, and go with it)."""
    parent = ram_parent()
    if parent is not None:
        remove_stale(parent, LINT_PREFIX, pids)
