"""Size limits and decoding shared by the readers, so hostile or accidental input fails cleanly."""

from __future__ import annotations

from pathlib import Path

from expcheck.errors import InputError

MAX_INPUT_BYTES = 16 * 1024 * 1024  # a bundle or trace file
MAX_REPO_FILE_BYTES = 2 * 1024 * 1024  # one file inside a repository directory
MAX_REPO_FILES = 5000  # files read from one repository directory (incidental ones included)


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
