"""Research context files (``--context``): hypothesis, primary metric and experiment runs, as JSON or YAML."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from expcheck.errors import InputError
from expcheck.inputs.limits import load_json_input, load_yaml_input, read_text_file
from expcheck.submission import ResearchContext, RunSpec

_SURROGATE = re.compile("[\ud800-\udfff]")
_RUN_LIST_KEYS = ("experiment_runs", "runs")
_CONFIG_KEYS = ("config_yaml", "config_content", "config")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _run(entry: Any, position: int, origin: str) -> RunSpec:
    if not isinstance(entry, dict):
        raise InputError(f"{origin}: experiment run #{position} must be a mapping with run_id")
    run_id = entry.get("run_id") or entry.get("id")
    if not isinstance(run_id, str) or not run_id.strip():
        raise InputError(f"{origin}: experiment run #{position} has no run_id")
    config: Any = None
    for key in _CONFIG_KEYS:
        if key in entry:
            config = entry[key]
            break
    if config is not None and not isinstance(config, str):
        config = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    for text in (run_id, config):
        if text is not None and _SURROGATE.search(text):
            raise InputError(f"{origin}: experiment run #{position} holds text that is not valid Unicode (a lone surrogate)")
    return RunSpec(
        run_id=run_id.strip(),
        method=_text(entry.get("method")),
        model=_text(entry.get("model") or entry.get("model_name")),
        dataset=_text(entry.get("dataset") or entry.get("dataset_name")),
        config_text=config,
    )


def context_from_mapping(data: Any, origin: str) -> ResearchContext:
    if not isinstance(data, dict):
        raise InputError(
            f"{origin}: a research context must be a mapping (hypothesis, primary_metric, experiment_runs)"
        )
    runs_raw: Any = []
    for key in _RUN_LIST_KEYS:
        if key in data:
            runs_raw = data[key]
            break
    if not isinstance(runs_raw, list):
        raise InputError(f"{origin}: experiment_runs must be a list")
    runs = tuple(_run(entry, i + 1, origin) for i, entry in enumerate(runs_raw))
    variations = data.get("run_variations") or ()
    return ResearchContext(
        hypothesis=_text(data.get("hypothesis")),
        method=_text(data.get("method")),
        experimental_design=_text(data.get("experimental_design")),
        primary_metric=_text(data.get("primary_metric")),
        runs=runs,
        run_variations=tuple(str(v) for v in variations) if isinstance(variations, list) else (),
    )


def read_context(path: Path) -> ResearchContext:
    text = read_text_file(path, "context file")
    if path.suffix.lower() == ".json":
        data = load_json_input(text, str(path), "context")
    else:
        data = load_yaml_input(text, str(path), "context")
    return context_from_mapping(data, str(path))
