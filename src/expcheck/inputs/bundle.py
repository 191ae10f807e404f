"""Code bundles: one JSON object mapping AIRAS keys (train_py, config_yaml, ...) to file texts.

The pipeline's own shapes are read too: run configs nested as ``"run_configs": {run_id: yaml}``
(placed where the contract keeps run configs once the profile is known), and the newer
``{"files": {path: text}}`` wrapper.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

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


FILES_KEY = "files"
RUN_CONFIGS_KEY = "run_configs"


def _config_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return yaml.safe_dump(dict(value), sort_keys=False, allow_unicode=True)
    return None


def unwrap_bundle(obj: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The file entries of a bundle (the ``files`` wrapper opened) and its nested run configs.

    Run configs are returned as run id -> YAML text (a mapping value is written as YAML).
    """
    entries: dict[str, Any] = {str(k): v for k, v in obj.items() if k != FILES_KEY}
    inner = obj.get(FILES_KEY)
    if isinstance(inner, Mapping):
        entries.update({str(k): v for k, v in inner.items()})
    elif inner is not None:
        entries[FILES_KEY] = inner
    nested = entries.pop(RUN_CONFIGS_KEY, None)
    run_configs: dict[str, str] = {}
    if isinstance(nested, Mapping):
        for run_id, value in nested.items():
            text = _config_text(value)
            if text is not None:
                run_configs[str(run_id)] = text
    return entries, run_configs


def is_code_bundle(obj: Any) -> bool:
    """A JSON object with at least one file key whose value is a string, or nested run configs."""
    if not isinstance(obj, Mapping):
        return False
    entries, run_configs = unwrap_bundle(obj)
    return bool(run_configs) or any(
        isinstance(value, str) and key_to_path(str(key)) is not None for key, value in entries.items()
    )


def files_from_bundle(obj: Mapping[str, Any]) -> tuple[dict[str, SourceFile], list[RejectedEntry], tuple[str, ...]]:
    """Files keyed by repository path, entries that cannot be files, and the keys seen (wrapper
    opened; nested run configs are not files yet: see ``unwrap_bundle``)."""
    inner = obj.get(FILES_KEY)
    keys_seen = tuple(
        sorted(
            {*(str(k) for k in obj), *(str(k) for k in inner)} if isinstance(inner, Mapping) else {str(k) for k in obj}
        )
    )
    obj, _ = unwrap_bundle(obj)
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
    return files, rejected, keys_seen


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
