"""Code bundles: one JSON object mapping AIRAS keys (train_py, config_yaml, ...) to file texts."""

from __future__ import annotations

import json
import re
from typing import Any

from expcheck.errors import InputError
from expcheck.paths import normalise, unsafe_reason
from expcheck.submission import RejectedEntry, SourceFile

# AIRAS names files by key: <stem>_py lives in src/, <stem>_yaml in config/, <stem>_toml at the root.
_KEY_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?P<stem>.+)_py$"), "src/{stem}.py"),
    (re.compile(r"^(?P<stem>.+)_ya?ml$"), "config/{stem}.yaml"),
    (re.compile(r"^(?P<stem>.+)_toml$"), "{stem}.toml"),
)


def key_to_path(key: str) -> str | None:
    """The repository path a bundle key stands for; None when the key is not a file key."""
    if "/" in key or "\\" in key or "." in key:
        return key  # already a path
    for pattern, template in _KEY_FORMS:
        match = pattern.match(key)
        if match:
            return template.format(stem=match.group("stem"))
    return None


def is_code_bundle(obj: Any) -> bool:
    """A JSON object with at least one file key whose value is a string."""
    return isinstance(obj, dict) and any(
        isinstance(value, str) and key_to_path(str(key)) is not None for key, value in obj.items()
    )


def files_from_bundle(obj: dict[str, Any]) -> tuple[dict[str, SourceFile], list[RejectedEntry], tuple[str, ...]]:
    """Files keyed by repository path, entries that cannot be files, and the keys seen."""
    files: dict[str, SourceFile] = {}
    rejected: list[RejectedEntry] = []
    for key in sorted(obj, key=str):
        value = obj[key]
        path = key_to_path(str(key))
        if path is None or not isinstance(value, str):
            continue  # metadata beside the code (ids, notes): not a file
        reason = unsafe_reason(path)
        if reason is not None:
            rejected.append(RejectedEntry(name=str(key), reason=reason, text=value))
            continue
        path = normalise(path)
        if "\x00" in value:
            files[path] = SourceFile(path=path, text="", unreadable="binary data (NUL bytes)")
        else:
            files[path] = SourceFile(path=path, text=value.replace("\r\n", "\n"))
    return files, rejected, tuple(sorted(str(k) for k in obj))


def parse_bundle_text(text: str, name: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not is_code_bundle(obj):
        raise InputError(
            f"{name}: JSON but not a code bundle (expected an object with keys such as train_py, main_py, config_yaml)"
        )
    return obj
