"""Size and depth limits and decoding shared by the readers, so hostile or accidental input fails cleanly."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from expcheck.errors import InputError
from expcheck.limits import (
    MAX_INPUT_BYTES,
    MAX_JUDGED_FILE_BYTES,
    MAX_JUDGED_TOTAL_BYTES,
    MAX_NESTING,
    data_depth,
    long_integer_at,
    yaml_limit,
)
from expcheck.submission import SourceFile

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_JUDGED_FILE_BYTES",
    "MAX_JUDGED_TOTAL_BYTES",
    "MAX_REPO_FILES",
    "MAX_REPO_FILE_BYTES",
    "limit_judged",
    "read_text_file",
]
MAX_REPO_FILE_BYTES = 2 * 1024 * 1024  # one file inside a repository directory
MAX_REPO_FILES = 5000  # files read from one repository directory (incidental ones included)
_JUDGED_SUFFIXES = (".py", ".yaml", ".yml", ".toml")


def read_text_file(path: Path, what: str) -> str:
    """The UTF-8 text of an input file, or an InputError that says in one line why not."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size > MAX_INPUT_BYTES:
        mib = size / (1024 * 1024)
        raise InputError(
            f"{path}: {mib:.1f} MiB is larger than the {MAX_INPUT_BYTES // (1024 * 1024)} MiB a {what} may be"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_text(data, str(path))


def decode_text(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: binary data, not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (bad byte at offset {exc.start})") from None
    return text.removeprefix("\ufeff")


def check_nesting(data: Any, name: str, what: str) -> Any:
    """``data`` (decoded JSON or YAML), or an InputError when it nests deeper than expcheck reads."""
    if data_depth(data) > MAX_NESTING:
        raise InputError(f"{name}: {what} nested more than {MAX_NESTING} levels deep")
    return data


def load_yaml_input(text: str, name: str, what: str) -> Any:
    """Top-level YAML input (a context or profile file), within the depth and alias limits, or an InputError."""
    import yaml

    from expcheck.yamlbuild import BuildingLoader

    limit = yaml_limit(text)
    if limit is not None:
        raise InputError(f"{name}: {what} line {limit.line}: {limit.message}")
    try:
        data = yaml.load(text, Loader=BuildingLoader)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{name}: {what} is not valid YAML: {first}") from None
    return check_nesting(data, name, what)


def json_syntax_error(exc: ValueError, text: str, start: int = 0) -> json.JSONDecodeError | ValueError:
    """The ``ValueError`` json raised outside its decode errors, as one when it is an integer longer than Python
    converts (where the JSON cannot be read, as by any Python reader), else unchanged."""
    at = long_integer_at(text, start)
    if at is None:
        return exc
    return json.JSONDecodeError(f"an integer longer than Python reads ({sys.get_int_max_str_digits()} digits)", text, at)


def load_json_input(text: str, name: str, what: str) -> Any:
    """Top-level JSON input, within the depth limit, or an InputError (json's own decoder guards its recursion)."""
    try:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise
        except ValueError as exc:
            raise json_syntax_error(exc, text) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: {what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise InputError(f"{name}: {what} nested more than {MAX_NESTING} levels deep") from None
    return check_nesting(data, name, what)


def limit_judged(files: dict[str, SourceFile]) -> None:
    """Mark as unreadable each code or config file past the size expcheck parses (per file and in total).

    Parsing and judging cost memory and time many times the text (Python's syntax tree alone ~60x
    its size), so the Python, YAML and TOML expcheck parses are held to MAX_JUDGED_FILE_BYTES per
    file and MAX_JUDGED_TOTAL_BYTES together (expcheck/limits.py says how they were sized) —
    generated experiment code is tens of kilobytes.
    The repository's own folders (src/, config/, pyproject.toml) are counted first.
    """
    total = 0
    judged = [p for p, f in files.items() if p.endswith(_JUDGED_SUFFIXES) and f.unreadable is None]
    for path in sorted(judged, key=lambda p: (not p.startswith(("src/", "config/", "pyproject.toml")), p)):
        file = files[path]
        size = file.size
        if size > MAX_JUDGED_FILE_BYTES:
            why = f"{size} bytes, more than the {MAX_JUDGED_FILE_BYTES // 1024} KiB expcheck parses in one file"
        elif total + size > MAX_JUDGED_TOTAL_BYTES:
            why = f"not parsed: the submission's code and configs pass the {MAX_JUDGED_TOTAL_BYTES // 1024} KiB expcheck parses"
        else:
            total += size
            continue
        files[path] = replace(file, text="", unreadable=why)
