"""C401 and C406 compare runs in one pass (grouped by the settings the code reads); these tests hold the
grouped versions to the plain every-pair comparison they replace, on many random run sets."""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import combinations
from typing import Any

import pytest

from expcheck.facts.dispatch import normalize
from expcheck.facts.runvalues import RunValues, frozen
from expcheck.facts.variations import _LABELS, RunVariant, SameRuns, _first_same_pairs, _leaves
from expcheck.rules.model import _differing, _indistinct_method_pairs, _read

_MISSING = object()
_CODE = "def f(cfg):\n    return cfg.model.hidden * cfg.training.lr + cfg['steps']\n"
_VALUES: list[Any] = [1, 1.0, True, 2, "a", "b", None, [1, 2], [1.0, 2], {"x": 1}, {}, float("nan"), 0.5]


def _random_settings(rng: random.Random, pool: list[Any] = _VALUES) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if rng.random() < 0.8:
        data["model"] = {k: rng.choice(pool) for k in rng.sample(["hidden", "depth", "name"], rng.randint(0, 3))}
    if rng.random() < 0.8:
        data["training"] = {k: rng.choice(pool) for k in rng.sample(["lr", "warmup", "notes"], rng.randint(0, 3))}
    for key in rng.sample(["steps", "knob", "seed", "description", "optuna"], rng.randint(0, 3)):
        data[key] = rng.choice(pool)
    return data


def _old_method_pairs(runs: list[RunValues], texts: list[str]) -> list[tuple[int, int]]:
    """C401 before: every pair of runs of two methods, the first pair per two methods that nothing read tells apart."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for (i, a), (j, b) in combinations(enumerate(runs), 2):
        if normalize(a.method or "") == normalize(b.method or ""):
            continue
        pair = tuple(sorted((a.method or "", b.method or "")))
        if pair in seen or any(_read(p, texts) for p in _differing(a, b)):
            continue
        seen.add(pair)
        out.append((i, j))
    return out


@pytest.mark.parametrize("seed", range(60))
def test_method_pairs_match_every_pair_comparison(seed: int) -> None:
    rng = random.Random(seed)
    methods = rng.sample(["proposed", "Proposed", "comparative-1", "comparative-2", "baseline"], rng.randint(2, 5))
    runs = []
    for n in range(rng.randint(2, 24)):
        method = rng.choice(methods)
        data = {"run_id": f"r{n}", "method": method, **_random_settings(rng)}
        runs.append(RunValues(f"r{n}", f"config/runs/r{n}.yaml", data, method, 2, None, 1, None, 1))
    assert _indistinct_method_pairs(runs, [_CODE]) == _old_method_pairs(runs, [_CODE])


def _old_same_pairs(group: list[RunVariant], unseen: Callable[[str], bool]) -> list[SameRuns]:
    """same_runs before: every pair of runs, compared setting by setting."""
    found = []
    leaves = {id(run): _leaves(run.settings) for run in group}
    for first, second in combinations(group, 2):
        a, b = leaves[id(first)], leaves[id(second)]
        differing = [
            path
            for path in sorted(set(a) | set(b))
            if a.get(path, _MISSING) != b.get(path, _MISSING) and path and path[-1] not in _LABELS
        ]
        if differing and all(all(unseen(part) for part in path) for path in differing):
            found.append(SameRuns(first, second, tuple(differing)))
    return found


def _as_reported(pairs: list[SameRuns]) -> list[tuple[str, tuple[tuple[str, ...], ...], list[tuple[str, str]], bool]]:
    """What C406 reports from the pairs: per (file, settings), the first three pairs and whether there are more."""
    grouped: dict[tuple[str, tuple[tuple[str, ...], ...]], list[SameRuns]] = {}
    for pair in pairs:
        grouped.setdefault((pair.second.path, pair.keys), []).append(pair)
    return [
        (path, keys, [(p.first.name, p.second.name) for p in found[:3]], len(found) > 3)
        for (path, keys), found in grouped.items()
    ]


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("one_file", [True, False])
def test_same_runs_match_every_pair_comparison(seed: int, one_file: bool) -> None:
    rng = random.Random(seed)
    pool = _VALUES if seed % 2 else [1, 2]  # few values: many runs alike, many pairs per reported group
    group = [
        RunVariant(
            f"r{n}", "config/full_experiment.yaml" if one_file else f"config/runs/r{n}.yaml", _random_settings(rng, pool)
        )
        for n in range(rng.randint(2, 30))
    ]
    named = {"model", "hidden", "lr", "steps"}

    def unseen(key: str) -> bool:
        return key not in named

    new, old = _first_same_pairs(group, unseen), _old_same_pairs(group, unseen)
    assert _as_reported(new) == _as_reported(old)
    assert all(pair in old for pair in new)


def test_frozen_equal_exactly_when_values_equal() -> None:
    values = [*_VALUES, [1, [2, {"a": 1}]], [1, [2, {"a": 1.0}]], ["x"], ("x",), {1, 2}, b"x"]
    for a in values:
        for b in values:
            assert (frozen(a) == frozen(b)) == (a == b), (a, b)


@pytest.mark.parametrize("one_file", [True, False])
def test_same_runs_many_pairs_per_group(one_file: bool) -> None:
    """Runs alike but for one unread knob: many pairs share one (file, settings) group; three are named."""
    group = [
        RunVariant(
            f"r{n}",
            "config/full_experiment.yaml" if one_file else f"config/runs/r{n % 3}.yaml",
            {"model": {"hidden": 8}, "knob": n % 4, "extra": {"depth": n % 2}},
        )
        for n in range(16)
    ]
    new, old = _first_same_pairs(group, lambda key: key not in {"model", "hidden"}), _old_same_pairs(
        group, lambda key: key not in {"model", "hidden"}
    )
    assert len(old) > 50 and len(new) < len(old)
    assert _as_reported(new) == _as_reported(old)
