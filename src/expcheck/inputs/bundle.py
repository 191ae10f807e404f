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
from expcheck.inputs.limits import check_nesting, json_syntax_error
from expcheck.limits import MAX_NESTING
from expcheck.paths import normalise, unsafe_reason
from expcheck.submission import FileOrigin, RejectedEntry, SourceFile, with_size

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
    duplicates = {**getattr(obj, "duplicates", {}), **getattr(inner, "duplicates", {})}
    obj, _ = unwrap_bundle(obj)
    files: dict[str, SourceFile] = {}
    rejected: list[RejectedEntry] = []
    for key, dropped in sorted(duplicates.items()):
        if key_to_path(str(key)) is None:
            continue
        for value in dropped:
            why = "duplicate key: the bundle gives it more than once and only its last value is kept"
            rejected.append(_rejected(str(key), why, value if isinstance(value, str) else ""))
    named_by: dict[str, str] = {}
    for key in sorted(obj, key=str):
        value = obj[key]
        path = key_to_path(str(key))
        if path is None or not isinstance(value, str):
            continue  # metadata beside the code (ids, notes): not a file
        reason = unsafe_reason(path)
        if reason is not None:
            rejected.append(_rejected(str(key), reason, value))
            continue
        path = normalise(path)
        if path in named_by:
            why = f"names the same file as entry {named_by[path]!r} (only one of them can be that file)"
            rejected.append(_rejected(str(key), why, value))
            continue
        named_by[path] = str(key)
        files[path] = source_file(path, value)
    return files, rejected, keys_seen


_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with each lone surrogate (which no report, file or terminal can encode) shown as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _rejected(name: str, reason: str, text: str) -> RejectedEntry:
    """An entry that cannot be a file; its name and text are only shown, so they are made printable."""
    return RejectedEntry(name=printable(name), reason=reason, text=printable(text))


def source_file(path: str, text: str, origin: FileOrigin = "code") -> SourceFile:
    """The file ``path`` holding ``text`` as it would be written to disk and read back by its parser.

    Text no file can hold (NUL bytes, a lone surrogate, which a JSON escape can produce and UTF-8
    cannot encode) makes the file unreadable. A byte-order mark at the start of a Python or YAML file
    is dropped, as Python and PyYAML drop it; tomllib does not, so a TOML file keeps it.
    The file's UTF-8 size is kept when measured here: the readers' limits ask for it again.
    """
    written = _utf8(text)
    if b"\x00" in written if written is not None else "\x00" in text:  # (memchr over the bytes: quicker)
        return SourceFile(path=path, text="", origin=origin, unreadable="binary data (NUL bytes)")
    bad = None if written is not None or text.isascii() else _SURROGATE.search(text)
    if bad is not None:
        why = f"not encodable as UTF-8 (a lone surrogate at character {bad.start()})"
        return SourceFile(path=path, text="", origin=origin, unreadable=why)
    kept = text
    if path.endswith((".py", ".yaml", ".yml")):
        kept = kept.removeprefix("\ufeff")
    if "\r" in kept:  # (a one-character test: far quicker than looking for "\r\n" in non-ASCII text)
        kept = kept.replace("\r\n", "\n")
    file = SourceFile(path=path, text=kept, origin=origin)
    if kept is text:  # the text measured
        with_size(file, len(text) if written is None else len(written))
    return file


def _utf8(text: str) -> bytes | None:
    """``text`` encoded as UTF-8; None when it is ASCII (its characters are its bytes) or holds a lone surrogate."""
    if text.isascii():
        return None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


class _Object(dict[str, Any]):
    """A decoded JSON object that remembers the keys it held more than once (json keeps the last value)."""

    duplicates: dict[str, list[Any]]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = _Object(pairs)
    if len(obj) < len(pairs):
        seen: dict[str, list[Any]] = {}
        for key, value in pairs:
            seen.setdefault(key, []).append(value)
        obj.duplicates = {key: values[:-1] for key, values in seen.items() if len(values) > 1}
    return obj


def decode_json(text: str, name: str, start: int = 0) -> tuple[Any, int]:
    """The JSON value at ``start`` of ``text`` and where it ends; objects remember duplicate keys.

    A value nested deeper than expcheck reads is an InputError; a syntax error is json's own.
    """
    try:
        obj, end = json.JSONDecoder(object_pairs_hook=_object).raw_decode(text, start)
    except RecursionError:
        raise InputError(f"{name}: JSON nested more than {MAX_NESTING} levels deep") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        raise json_syntax_error(exc, text, start) from None
    return check_nesting(obj, name, "JSON"), end


def parse_bundle_text(text: str, name: str) -> dict[str, Any]:
    try:
        obj, end = decode_json(text, name, len(text) - len(text.lstrip()))
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if text[end:].strip():
        raise InputError(f"{name}: invalid JSON: extra data after the bundle's object")
    if not is_code_bundle(obj):
        raise InputError(
            f"{name}: JSON but not a code bundle (expected an object with keys such as train_py, main_py, config_yaml)"
        )
    return obj
