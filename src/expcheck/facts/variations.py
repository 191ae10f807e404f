"""The experiment runs a submission defines, as settings, and which of their settings the code can see.

v1/v2 contracts keep one YAML file per run (config/run(s)/<run_id>.yaml); the older contract lists
the runs in config/smoke_test.yaml and config/full_experiment.yaml. Two runs that differ only in
settings whose names appear nowhere in the code (not as a key, attribute, parameter or string) run
the same experiment: the variation they stand for was never implemented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from expcheck.facts import Facts, experiment_runs
from expcheck.facts.runvalues import group_by_values, varying_paths

# Keys that name or describe a run rather than configure it.
_LABELS = frozenset(
    {"run_id", "name", "id", "description", "desc", "notes", "note", "comment", "comments", "tags", "title"}
    | {"label", "display_name", "run_name", "experiment_name", "exp_name", "wandb_name", "group", "output_dir"}
    | {"results_dir", "save_dir", "log_dir", "purpose", "rationale", "summary", "hypothesis", "variation"}
)
# Code that reads settings by names held in data (so a key's absence from the text proves nothing).
_GENERIC_READS = ("setattr(", "__dict__.update", "instantiate(", "utils.call(", "get_class(")
_NAME_KEYS = ("run_id", "name", "id")
_MISSING = object()


@dataclass(frozen=True)
class RunVariant:
    name: str
    path: str  # the YAML file that holds it
    settings: dict[str, Any]


@dataclass(frozen=True)
class SameRuns:
    """Two runs whose only differences are settings the code never names."""

    first: RunVariant
    second: RunVariant
    keys: tuple[tuple[str, ...], ...]  # the differing settings, as key paths inside the run


def _leaves(data: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Flattened ``path -> value`` view of a run (an empty mapping is a value of its own)."""
    if isinstance(data, dict) and data:
        out: dict[tuple[str, ...], Any] = {}
        _collect(data, prefix, out)
        return out
    return {prefix: data}


def _collect(data: dict[Any, Any], prefix: tuple[str, ...], out: dict[tuple[str, ...], Any]) -> None:
    for key, value in data.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and value:
            _collect(value, path, out)
        else:
            out[path] = value


_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _names_word(code: str, word: str) -> bool:
    """Whether ``word`` stands in ``code`` with no ASCII letter, digit or underscore on either side
    (``re.search(rf"(?<![A-Za-z0-9_]){word}(?![A-Za-z0-9_])", code)``, by substring search)."""
    size, length = len(word), len(code)
    at = code.find(word)
    while at >= 0:
        end = at + size
        if (at == 0 or code[at - 1] not in _WORD_CHARS) and (end == length or code[end] not in _WORD_CHARS):
            return True
        at = code.find(word, at + 1)
    return False


def run_variants(facts: Facts) -> list[list[RunVariant]]:
    """Groups of runs meant to be compared: every run file together, or the run list of each YAML file."""
    profile = facts.profile
    groups: list[list[RunVariant]] = []
    if profile.run_config_dir is not None:
        group = []
        for run in experiment_runs(facts):
            path = profile.run_config_path(run.run_id)
            doc = facts.yaml.get(path) if path else None
            if path and doc is not None and isinstance(doc.data, dict):
                group.append(RunVariant(run.run_id, path, doc.data))
        groups.append(group)
        return groups
    for path, doc in sorted(facts.yaml.items()):
        if facts.files[path].origin != "code" or not isinstance(doc.data, dict):
            continue
        for value in doc.data.values():
            if isinstance(value, list) and len(value) > 1 and all(isinstance(v, dict) for v in value):
                named = [(next((str(v[k]) for k in _NAME_KEYS if k in v), None), v) for v in value]
                if all(name is not None for name, _ in named):
                    groups.append([RunVariant(str(name), path, v) for name, v in named])
    return groups


def same_runs(facts: Facts) -> list[SameRuns]:
    """Pairs of runs that differ only in settings whose names, and whose parents' names, the code never uses."""
    groups = [group for group in facts.derived(run_variants) if len(group) > 1]
    if not groups:
        return []
    sources = [f for p, f in facts.code_files.items() if p.endswith(".py") and f.unreadable is None]
    if not sources or any(f.is_blank for f in sources):
        return []  # missing code is reported as such (C103), not as unread settings
    code = "\n".join(f.text for f in sources)
    if any(marker in code for marker in _GENERIC_READS):
        return []
    verdicts: dict[str, bool] = {}

    def unseen(key: str) -> bool:
        """Whether the code never names ``key`` (as a whole word; plain substring for unusual keys)."""
        if key not in verdicts:
            if key not in code:
                verdicts[key] = True
            elif _IDENTIFIER.fullmatch(key):
                verdicts[key] = not _names_word(code, key)
            else:
                verdicts[key] = False
        return verdicts[key]

    found: list[SameRuns] = []
    for group in groups:
        found.extend(_first_same_pairs(group, unseen))
    return found


_SHOWN_PAIRS = 4  # pairs kept per (file, differing settings): a report names three and says whether there are more


def _first_same_pairs(group: list[RunVariant], unseen: Callable[[str], bool]) -> list[SameRuns]:
    """The pairs of ``group`` that differ only in unnamed settings: for each second run's file and set of
    differing settings, the first few pairs in run order (every pair in order of its first and second run).

    Each run is flattened once and each setting judged once; runs that agree on every setting the code
    names are grouped, and within such a group, runs with the same values everywhere are one variant,
    so the work grows with runs times variants, not with every pair of runs.
    """
    flat = [_leaves(run.settings) for run in group]
    paths = [p for p in varying_paths(flat, _MISSING) if p and p[-1] not in _LABELS]
    hidden: list[tuple[str, ...]] = []
    named: list[tuple[str, ...]] = []
    for path in paths:
        (hidden if all(unseen(part) for part in path) else named).append(path)
    candidates: dict[tuple[str, tuple[tuple[str, ...], ...]], list[tuple[int, int]]] = {}
    for members in group_by_values(flat, named, _MISSING):
        variants = [[members[i] for i in v] for v in group_by_values([flat[m] for m in members], hidden, _MISSING)]
        if len(variants) < 2:
            continue
        variant_of = {index: n for n, variant in enumerate(variants) for index in variant}
        keys: dict[tuple[int, int], tuple[tuple[str, ...], ...]] = {}
        for second in members:
            mine = variant_of[second]
            for n, variant in enumerate(variants):
                if n == mine or variant[0] > second:
                    continue
                pair = (min(n, mine), max(n, mine))
                if pair not in keys:
                    a, b = flat[variant[0]], flat[variants[mine][0]]
                    keys[pair] = tuple(sorted(p for p in hidden if a.get(p, _MISSING) != b.get(p, _MISSING)))
                earlier = [first for first in variant[:_SHOWN_PAIRS] if first < second]
                candidates.setdefault((group[second].path, keys[pair]), []).extend((f, second) for f in earlier)
    shown = sorted((pair, keys) for (_, keys), found in candidates.items() for pair in sorted(found)[:_SHOWN_PAIRS])
    return [SameRuns(group[first], group[second], keys) for (first, second), keys in shown]
