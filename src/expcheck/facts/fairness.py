"""Proposed and baseline runs that differ in more than the method: budget, data or evaluation subset.

Runs come from the run configs (``facts/runvalues.py``, flattened with its ``leaves``). A run is
*proposed* when its id starts with ``proposed`` and a *baseline* when it starts with ``comparative``
or ``baseline``; a proposed and a baseline run are paired when they name the same model and dataset.
For each pair, only settings that fix how much training or which data a run sees are compared:
epochs and steps, sample counts and subsets, split sizes, dataset sub-settings. Keys under an
Optuna search space are hyperparameters being searched, not budget, and are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from expcheck.facts import Facts
from expcheck.facts.runvalues import RunValues, runs_of

_BUDGET = frozenset(
    {"epochs", "num_epochs", "n_epochs", "max_epochs", "train_epochs", "num_train_epochs"}
    | {"max_steps", "num_steps", "total_steps", "train_steps", "num_train_steps", "n_steps", "training_steps"}
    | {"max_train_samples", "max_eval_samples", "max_test_samples", "num_train_samples", "num_eval_samples"}
    | {"n_train", "num_train", "train_size", "train_samples", "eval_samples", "test_samples", "eval_size"}
    | {"subset", "subset_size", "train_subset", "eval_subset", "test_subset", "test_size", "val_size"}
    | {"train_split", "eval_split", "test_split", "val_split", "validation_split", "fraction", "data_fraction"}
)
_SEARCH_WORDS = ("optuna", "search_space", "hpo", "sweep", "search")
_PROPOSED = re.compile(r"^proposed", re.IGNORECASE)
_BASELINE = re.compile(r"^(comparative|baseline)", re.IGNORECASE)


@dataclass(frozen=True)
class UnfairPair:
    proposed: str
    baseline: str
    key: str
    proposed_value: Any
    baseline_value: Any
    path: str  # the proposed run's config
    line: int


def _line_of(lines: list[str], key: tuple[str, ...]) -> int:
    """Line of the last key component (searched after its parents), else 1."""
    start = 0
    for part in key:
        pattern = re.compile(rf"^\s*['\"]?{re.escape(part)}['\"]?\s*:")
        for number in range(start, len(lines)):
            if pattern.match(lines[number]):
                start = number
                break
    return start + 1


def unfair_pairs(facts: Facts) -> list[UnfairPair]:
    """Budget/data settings where paired proposed and baseline runs differ (use through ``facts.derived``)."""
    runs = runs_of(facts)
    proposed = [r for r in runs if _PROPOSED.match(r.run_id)]
    baselines = [r for r in runs if _BASELINE.match(r.run_id)]
    found: list[UnfairPair] = []
    where: dict[tuple[str, tuple[str, ...]], int] = {}  # (config, key) -> its line, found once
    paired: dict[tuple[str | None, str | None], list[RunValues]] = {}  # (model, dataset) -> baselines, by id
    for theirs in sorted(baselines, key=lambda r: r.run_id):
        paired.setdefault((theirs.model, theirs.dataset), []).append(theirs)
    for ours in sorted(proposed, key=lambda r: r.run_id):
        mine = sorted((k, v) for k, v in ours.flat.items() if _compared(k))
        if not mine or ours.model is None:
            continue
        for theirs in paired.get((ours.model, ours.dataset), ()):
            other = theirs.flat
            for key, value in mine:
                if key in other and other[key] != value and not isinstance(value, dict | list):
                    if (ours.path, key) not in where:
                        where[ours.path, key] = _line_of(facts.files[ours.path].lines, key)
                    found.append(
                        UnfairPair(
                            ours.run_id,
                            theirs.run_id,
                            ".".join(key),
                            value,
                            other[key],
                            ours.path,
                            where[ours.path, key],
                        )
                    )
    return found


def _compared(key: tuple[str, ...]) -> bool:
    if not key or key[-1] not in _BUDGET:
        return False
    return not any(word in part.lower() for part in key[:-1] for word in _SEARCH_WORDS)
