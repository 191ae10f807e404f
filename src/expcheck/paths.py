"""Repository-relative paths: safety checks and glob matching (``**`` spans folders)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_NAME_BYTES = 255  # one path component (NAME_MAX on Linux, macOS and Windows)


def unsafe_reason(name: str) -> str | None:
    """Why ``name`` cannot be a file inside a repository, or None when it can."""
    if not name or not name.strip():
        return "empty file name"
    if "\x00" in name:
        return "file name contains a NUL byte"
    if _SURROGATE.search(name):
        return "file name is not valid Unicode text (a lone surrogate)"
    if name.startswith(("/", "\\")) or _WINDOWS_DRIVE.match(name):
        return "absolute path"
    parts = re.split(r"[\\/]", name)
    if ".." in parts:
        return "path climbs out of the repository with '..'"
    if any(part == "" for part in parts[:-1]) or parts[-1] == "":
        return "path has an empty folder or file name"
    if any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in parts):
        return f"a file or folder name longer than {MAX_NAME_BYTES} bytes (no file system can hold it)"
    return None


def normalise(name: str) -> str:
    """A safe name in POSIX form without ``./`` segments (call only after ``unsafe_reason`` is None)."""
    parts = [p for p in re.split(r"[\\/]", name) if p not in ("", ".")]
    return "/".join(parts) if parts else "."  # what PurePosixPath(*parts) writes, without building one


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(path: str, pattern: str) -> bool:
    """True when ``path`` matches ``pattern``; a pattern ending in ``/**`` also matches the folder itself."""
    return bool(_glob_regex(pattern).match(path))


def matches_any(path: str, patterns: list[str] | tuple[str, ...]) -> bool:
    return any(glob_match(path, p) for p in patterns)


_CODE_SUFFIXES = (".py", ".yaml", ".yml", ".toml", ".json", ".cfg", ".ini")


def is_template_marker(path: str, text: str) -> bool:
    """An empty dot-file such as ``.gitkeep``, ``.keep`` or an empty ``.gitignore``.

    Repository templates and version control put these zero-byte markers in otherwise empty
    folders; they hold no code and change nothing at run time, and the generator cannot remove what
    the template brings. An empty ``__init__.py`` is not one (its name does not start with a dot
    and it changes how imports resolve).
    """
    name = PurePosixPath(path).name
    return text == "" and name.startswith(".") and len(name) > 1 and not name.endswith(_CODE_SUFFIXES)
