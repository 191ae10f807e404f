"""Configuration files: ``[tool.expcheck]`` in pyproject.toml, or expcheck.toml, merged with the command line.

Where values come from, lowest precedence first:

1. built-in defaults;
2. the **user's configuration**: ``--config FILE``, or else the first of ``expcheck.toml``,
   ``.expcheck.toml`` or a ``pyproject.toml`` holding ``[tool.expcheck]`` found from the current
   directory upwards;
3. the **submission's own configuration** (the same files at the root of a checked repository
   directory), only when the user opts in (see below);
4. command-line flags: a flag that is given replaces the configured value.

Fail-closed: a checked repository is written by the model under review. Configuration found inside
it (including a project configuration found from the current directory that lies inside a checked
repository, as with ``expcheck check .``) is never applied unless the user opts in with
``--trust-submission-config`` or ``trust-submission-config = true`` in the user's own configuration.
Otherwise a submission could switch rules off, pick a lenient profile or ignore its own files and
so pass. Even when trusted, a submission's configuration only sets how it is judged (profile,
context, select, ignore, per-file-ignores); it can never start a trial, choose the interpreter or
open the network, and never sets the output format.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expcheck.errors import InputError
from expcheck.model import error_message

if TYPE_CHECKING:
    from expcheck.config_schema import Config

CONFIG_NAMES = ("expcheck.toml", ".expcheck.toml")
FORMATS = ("text", "concise", "verdict", "json", "jsonl", "sarif", "github", "junit")


# Keys a (trusted) submission configuration may set: how it is judged, nothing that runs code or shapes output.
SUBMISSION_KEYS = ("profile", "context", "select", "ignore", "per_file_ignores")


@dataclass(frozen=True)
class Source:
    """One configuration file and the table of it that was read."""

    path: Path
    table: str  # "[tool.expcheck]" or "(whole file)"

    def __str__(self) -> str:
        return f"{self.path} {self.table}" if self.table != "(whole file)" else str(self.path)


def _read(path: Path, required: bool) -> tuple[Config, Source] | None:
    """The configuration in ``path``; None when a pyproject.toml has no [tool.expcheck] and is not required."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read configuration {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"configuration {path} is not valid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:  # an integer longer than Python reads; nesting past the stack
        raise InputError(f"configuration {path} is not TOML Python can read ({type(exc).__name__})") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("expcheck") if isinstance(data.get("tool"), dict) else None
        if table is None:
            if required:
                raise InputError(f"configuration {path} has no [tool.expcheck] table")
            return None
        source = Source(path, "[tool.expcheck]")
    else:
        table, source = data, Source(path, "(whole file)")
    if not isinstance(table, dict):
        raise InputError(f"configuration {source}: must be a table")
    from pydantic import ValidationError

    from expcheck.config_schema import Config  # pydantic, only when there is a configuration to validate

    try:
        return Config.model_validate(table), source
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(f"configuration {source}: {where}: {error_message(first)}") from None


def config_in(folder: Path) -> tuple[Config, Source] | None:
    """The configuration file of one folder: expcheck.toml, .expcheck.toml, then pyproject's [tool.expcheck]."""
    for name in CONFIG_NAMES:
        if (folder / name).is_file():
            return _read(folder / name, required=True)
    if (folder / "pyproject.toml").is_file():
        return _read(folder / "pyproject.toml", required=False)
    return None


def find_user_config(start: Path) -> tuple[Config, Source] | None:
    """The nearest configuration from ``start`` upwards."""
    for folder in (start, *start.parents):
        found = config_in(folder)
        if found is not None:
            return found
    return None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass
class Setting:
    value: Any
    source: str  # "default", "command line", or the file it came from


@dataclass
class SubmissionConfig:
    """The configuration found in one checked repository and whether it was applied."""

    input: str
    source: Source
    applied: bool
    settings: dict[str, Setting] = field(default_factory=dict)


@dataclass
class Resolved:
    """The effective configuration: global settings, and the per-input overrides of trusted submissions."""

    settings: dict[str, Setting]
    submissions: list[SubmissionConfig] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def value(self, key: str) -> Any:
        return self.settings[key].value

    def for_input(self, source: str) -> dict[str, Any]:
        """profile, context, select, ignore, per_file_ignores as they apply to ``source``."""
        out = {key: self.settings[key].value for key in SUBMISSION_KEYS}
        for sub in self.submissions:
            if sub.input == source and sub.applied:
                out.update({key: s.value for key, s in sub.settings.items()})
        return out


_DEFAULTS: dict[str, Any] = {
    "profile": None,
    "context": None,
    "select": [],
    "ignore": [],
    "per_file_ignores": {},
    "format": "text",
    "trust_submission_config": False,
    "trial.mode": "off",
    "trial.env": None,
    "trial.python": None,
    "trial.timeout": None,
    "trial.network": False,
    "trial.memory_limit": None,
}


def _relative(value: str | None, base: Path, builtin: Sequence[str] = ()) -> str | None:
    """A file path written in a configuration file is relative to that file's folder."""
    if value is None or value in builtin or Path(value).is_absolute():
        return value
    return str(base / value)


def _settings_of(config: Config, source: Source, keys: Sequence[str] | None = None) -> dict[str, Setting]:
    from expcheck.profiles import builtin_profile_names

    base = source.path.parent
    where = str(source)
    flat: dict[str, Any] = {
        "profile": _relative(config.profile, base, builtin_profile_names()),
        "context": _relative(config.context, base),
        "select": config.select,
        "ignore": config.ignore,
        "per_file_ignores": config.per_file_ignores,
        "format": config.format,
        "trust_submission_config": config.trust_submission_config,
    }
    if config.trial is not None:
        given = config.trial.model_fields_set
        for name in ("mode", "env", "python", "timeout", "network", "memory_limit"):
            if name in given:
                value = getattr(config.trial, name)
                flat[f"trial.{name}"] = _relative(value, base) if name == "python" and value and "/" in value else value
    wanted = keys if keys is not None else list(flat)
    return {key: Setting(flat[key], where) for key in wanted if flat.get(key) is not None}


def resolve(
    inputs: Sequence[str],
    cli: Mapping[str, Any],
    *,
    config_file: str | None = None,
    isolated: bool = False,
    trust_submission: bool = False,
    cwd: Path | None = None,
) -> Resolved:
    """The effective configuration for checking ``inputs``; ``cli`` holds the flags given (None: not given)."""
    cwd = (cwd or Path.cwd()).resolve()
    settings = {key: Setting(value, "default") for key, value in _DEFAULTS.items()}
    notes: list[str] = []
    directories = [(source, Path(source).resolve()) for source in inputs if Path(source).is_dir()]

    user: tuple[Config, Source] | None = None
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise InputError(f"--config {config_file}: no such file")
        user = _read(path.resolve(), required=True)
    elif not isolated:
        user = find_user_config(cwd)
        if user is not None:
            owner = next((source for source, folder in directories if _inside(user[1].path, folder)), None)
            if owner is not None:
                # The nearest configuration belongs to a checked repository: it is the submission's.
                notes.append(f"{user[1]} is inside the checked repository {owner}: treated as the submission's")
                user = None
    if user is not None:
        settings.update(_settings_of(*user))

    trusted = trust_submission or bool(settings["trust_submission_config"].value and user is not None)
    if trust_submission:
        settings["trust_submission_config"] = Setting(True, "command line")

    submissions: list[SubmissionConfig] = []
    if not isolated:
        for source, folder in directories:
            found = config_in(folder)
            if found is None:
                continue
            config, where = found
            chosen = _settings_of(config, where, SUBMISSION_KEYS)
            submissions.append(SubmissionConfig(source, where, trusted, chosen))
            if not trusted:
                notes.append(
                    f"{where}: ignored, it is part of the submission under review "
                    "(--trust-submission-config applies it)"
                )

    for key, value in cli.items():
        if value is not None:
            settings[key] = Setting(value, "command line")
            for sub in submissions:
                sub.settings.pop(key, None)
    return Resolved(settings, submissions, notes)


def ignored_here(path: str, rule: str, per_file_ignores: Mapping[str, Sequence[str]]) -> bool:
    """Whether ``per_file_ignores`` switches ``rule`` (an id) off for the submission file ``path``.

    A pattern matches the file's path inside the submission (fnmatch: ``*`` also crosses folders) or
    names a folder holding it; a selector is a rule id, id prefix or rule name, as for --ignore.
    """
    from expcheck.rules.base import all_rules

    known = {r.id: r for r in all_rules()}
    for pattern, ids in per_file_ignores.items():
        if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern.rstrip("/") + "/*"):
            found = known.get(rule)
            if any(found.matches(i) if found else rule.startswith(i.upper()) for i in ids):
                return True
    return False


def apply_per_file_ignores(
    report: Any, per_file_ignores: Mapping[str, Sequence[str]], issue_budget: int | None = None
) -> Any:
    """The report without the findings that per-file ignores switch off; verdict and summary recomputed."""
    if not per_file_ignores or report.error is not None:
        return report
    from expcheck.report.schema import summarise
    from expcheck.verdict import DEFAULT_ISSUE_BUDGET, make_verdict

    kept = [f for f in report.findings if not ignored_here(f.path, f.rule, per_file_ignores)]
    if len(kept) == len(report.findings):
        return report
    return report.model_copy(
        update={
            "findings": kept,
            "verdict": make_verdict(kept, issue_budget or DEFAULT_ISSUE_BUDGET),
            "summary": summarise(kept, report.summary.files),
        }
    )


def describe(resolved: Resolved) -> str:
    """``expcheck config``: every effective value and where it came from."""

    def show(value: Any) -> str:
        if isinstance(value, str):
            return f'"{value}"'
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return "(none)"
        if isinstance(value, dict):
            return "{" + ", ".join(f'"{k}" = {show(v)}' for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(show(v) for v in value) + "]"
        return str(value)

    width = max(len(key) for key in resolved.settings)
    lines = [f"{key:<{width}} = {show(s.value):<24}  # {s.source}" for key, s in resolved.settings.items()]
    for sub in resolved.submissions:
        state = "applied (trusted)" if sub.applied else "IGNORED (not trusted: written by the code under review)"
        lines += ["", f"submission {sub.input}: {sub.source}: {state}"]
        lines += [f"  {key:<{width}} = {show(s.value)}" for key, s in sub.settings.items()]
    lines += [f"note: {note}" for note in resolved.notes]
    return "\n".join(lines) + "\n"


def as_json(resolved: Resolved) -> dict[str, Any]:
    return {
        "settings": {key: {"value": s.value, "source": s.source} for key, s in resolved.settings.items()},
        "submissions": [
            {
                "input": sub.input,
                "file": str(sub.source),
                "applied": sub.applied,
                "settings": {key: s.value for key, s in sub.settings.items()},
            }
            for sub in resolved.submissions
        ],
        "notes": resolved.notes,
    }
