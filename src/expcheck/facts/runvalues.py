"""What each run config asks for: its method, dataset and model names, with the lines that say so.

Read from the run config files where the profile keeps them (``config/runs/<run_id>.yaml``); the
context's display names ("ResNet-18 (11M)") are not used, the YAML values are what the code sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from expcheck.facts import Facts


@dataclass(frozen=True)
class RunValues:
    run_id: str
    path: str
    data: dict[str, Any]
    method: str | None
    method_line: int
    dataset: str | None
    dataset_line: int
    model: str | None
    model_line: int

    @cached_property
    def flat(self) -> dict[tuple[str, ...], Any]:
        """``leaves(self.data)``, computed once per run (rules that compare runs share it)."""
        return leaves(self.data)


def _name(section: Any) -> str | None:
    if isinstance(section, str):
        return section
    if isinstance(section, dict):
        for key in ("name", "id", "hf_id", "type"):
            value = section.get(key)
            if isinstance(value, str) and value:
                return value
    return None


_NAME_KEY = re.compile(r"\s+(?:name|id|hf_id|type)\s*:")


def _line(lines: list[str], section: str) -> int:
    """Line of ``section:`` at top level, or of its ``name:`` child when it is a mapping."""
    start = None
    opens = re.compile(rf"{re.escape(section)}\s*:")
    for number, text in enumerate(lines, start=1):
        if start is None:
            if opens.match(text):
                start = number
                if text.split(":", 1)[1].strip() not in ("", "|", ">"):
                    return number
            continue
        if text and not text[0].isspace() and not text.lstrip().startswith("#"):
            break
        if _NAME_KEY.match(text):
            return number
    return start or 1


def run_values(facts: Facts) -> list[RunValues]:
    folder = facts.profile.run_config_dir
    if folder is None:
        return []
    folder = folder.rstrip("/")
    out = []
    for path, doc in facts.yaml.items():
        pure = PurePosixPath(path)
        if str(pure.parent) != folder or not isinstance(doc.data, dict):
            continue
        lines = doc.file.lines
        data = doc.data
        out.append(
            RunValues(
                run_id=pure.stem,
                path=path,
                data=data,
                method=_name(data.get("method")),
                method_line=_line(lines, "method"),
                dataset=_name(data.get("dataset")),
                dataset_line=_line(lines, "dataset"),
                model=_name(data.get("model")),
                model_line=_line(lines, "model"),
            )
        )
    return out


def runs_of(facts: Facts) -> list[RunValues]:
    """``run_values``, computed once per submission."""
    return facts.derived(run_values)


def leaves(data: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Flattened ``path -> scalar`` view of a run config (lists kept whole; an empty mapping has no leaves)."""
    out: dict[tuple[str, ...], Any] = {}
    if not isinstance(data, dict):
        out[prefix] = data
        return out
    _flatten(data, prefix, out)
    return out


def _flatten(data: dict[Any, Any], prefix: tuple[str, ...], out: dict[tuple[str, ...], Any]) -> None:
    for key, value in data.items():
        path = (*prefix, str(key))
        if isinstance(value, dict):
            _flatten(value, path, out)
        else:
            out[path] = value


_LIST, _TUPLE, _DICT, _SET, _OTHER = object(), object(), object(), object(), object()


def frozen(value: Any) -> Any:
    """A hashable stand-in for a config value: equal stand-ins exactly when the values are equal (``==``).

    Lets runs be grouped by their settings in one pass instead of comparing every pair of runs. A NaN
    equals nothing (PyYAML hands out one shared NaN object, which a tuple key would find equal to itself).
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most settings: their own stand-in
        return value
    if isinstance(value, float) and value != value:
        return object()
    if isinstance(value, list):
        return (_LIST, tuple(frozen(item) for item in value))
    if isinstance(value, tuple):
        return (_TUPLE, tuple(frozen(item) for item in value))
    if isinstance(value, dict):
        return (_DICT, frozenset((key, frozen(item)) for key, item in value.items()))
    if isinstance(value, set | frozenset):
        return (_SET, frozenset(frozen(item) for item in value))
    try:
        hash(value)
    except TypeError:
        return (_OTHER, id(value))  # an unhashable value YAML does not yield: equal only to itself
    return value


def group_by_values(
    flat: list[dict[tuple[str, ...], Any]], paths: list[tuple[str, ...]], missing: object
) -> list[list[int]]:
    """Indices of the flattened runs ``flat`` that hold equal values (``missing`` when absent) at every
    one of ``paths``, grouped, each group in run order, the groups in order of their first run."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for index, settings in enumerate(flat):
        key = tuple(frozen(settings.get(path, missing)) for path in paths)
        groups.setdefault(key, []).append(index)
    return list(groups.values())


def varying_paths(flat: list[dict[tuple[str, ...], Any]], missing: object) -> list[tuple[str, ...]]:
    """The setting paths of the flattened runs ``flat`` whose value (``missing`` when absent) is not the same
    in every run, in order of first appearance: only these can tell two runs apart."""
    paths = list(dict.fromkeys(path for settings in flat for path in settings))
    return [p for p in paths if len({frozen(settings.get(p, missing)) for settings in flat}) > 1]
