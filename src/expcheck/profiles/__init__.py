"""Contract profiles: the built-in ones, user profile files, and auto-detection."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from expcheck.errors import InputError
from expcheck.limits import MAX_INPUT_BYTES, MAX_NESTING, data_depth, yaml_limit
from expcheck.model import build, error_message
from expcheck.profiledata import loaded
from expcheck.profiles.schema import Profile
from expcheck.yamlbuild import BuildingLoader

__all__ = ["Profile", "builtin_profile_names", "builtin_profiles", "load_profile"]


def builtin_profile_names() -> list[str]:
    return list(_builtin_names())


@cache
def _builtin_names() -> tuple[str, ...]:
    """The profiles shipped in this package (listed once per process: the installation does not change)."""
    names = [
        entry.name.removesuffix(".yaml")
        for entry in resources.files(__package__).iterdir()
        if entry.name.endswith(".yaml")
    ]
    return tuple(sorted(names))


_MAX_EXTENDS = 8


def _mapping(text: str, origin: str, trusted: bool = False) -> dict[str, Any]:
    """The mapping a profile's YAML holds; ``trusted`` (a built-in profile, shipped with expcheck) skips the
    limits a user's file is held to."""
    limit = None if trusted else yaml_limit(text)
    if limit is not None:  # before PyYAML's recursive composer meets it
        raise InputError(f"profile {origin} line {limit.line}: {limit.message}")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        if trusted:  # a built-in profile's text: its loaded data is kept beside the bytecode (expcheck.profiledata)
            data = loaded(text, loader, lambda source: yaml.load(source, Loader=loader))
        else:  # a user's file: a value PyYAML cannot build is a YAML error too
            data = yaml.load(text, Loader=BuildingLoader)
    except yaml.YAMLError as exc:
        raise InputError(f"profile {origin} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise InputError(f"profile {origin} must be a YAML mapping")
    if not trusted and data_depth(data) > MAX_NESTING:
        raise InputError(f"profile {origin} is nested more than {MAX_NESTING} levels deep")
    return data


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` over ``base``: mappings merged key by key, every other value replaced."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _extended(data: dict[str, Any], origin: str, folder: Path | None, chain: tuple[str, ...] = ()) -> dict[str, Any]:
    """``data`` with its ``extends:`` resolved: a built-in name, or a file relative to ``folder``."""
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent:
        raise InputError(f"profile {origin}: extends: must name a built-in profile or a profile file")
    if parent in chain or len(chain) >= _MAX_EXTENDS:
        raise InputError(f"profile {origin}: extends: loops back ({' -> '.join((*chain, parent))})")
    if parent in builtin_profile_names():
        text = resources.files(__package__).joinpath(f"{parent}.yaml").read_text(encoding="utf-8")
        base = _mapping(text, parent, trusted=True)
        parent_folder = None
    else:
        path = (folder / parent) if folder is not None else Path(parent)
        if not path.is_file():
            known = ", ".join(builtin_profile_names())
            raise InputError(f"profile {origin}: extends: {parent!r} is not a built-in ({known}) nor a file")
        try:
            base = _mapping(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"profile {origin}: extends: cannot read {path}: {exc}") from None
        parent_folder = path.parent
    return _merged(_extended(base, parent, parent_folder, (*chain, origin)), data)


def _parse(text: str, origin: str, folder: Path | None = None) -> Profile:
    """A user's profile, validated by pydantic against the profile schema."""
    from pydantic import ValidationError

    data = _extended(_mapping(text, origin), origin, folder)
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        missing = [".".join(str(p) for p in e["loc"]) for e in errors if e["type"] == "missing"]
        if missing:
            raise InputError(f"profile {origin}: missing field(s): {', '.join(missing)}") from None
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(f"profile {origin}: {where}: {error_message(first)}") from None


@cache
def _builtin(name: str) -> Profile:
    """A built-in profile: shipped with expcheck and validated against the schema by the tests
    (tests/test_profiles_trusted.py), so it is built without pydantic."""
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    profile: Profile = build(Profile, _extended(_mapping(text, name, trusted=True), name, None))
    return profile


def builtin_profiles() -> list[Profile]:
    return [_builtin(name) for name in builtin_profile_names()]


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a user profile from a YAML file."""
    if name_or_path in builtin_profile_names():
        return _builtin(name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        known = ", ".join(builtin_profile_names())
        raise InputError(f"unknown profile {name_or_path!r}: not a built-in ({known}) nor a file")
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise InputError(f"cannot read profile {name_or_path}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read profile {name_or_path}: {exc}") from None
    return _parse(text, name_or_path, path.parent)
