"""Many inputs at once: expand paths, globs, folders of traces and index files; judge them in order,
optionally across processes; report progress on a terminal."""

from __future__ import annotations

import glob
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from expcheck.report.schema import Report
from expcheck.verdict import DEFAULT_ISSUE_BUDGET

_TRACE_SUFFIXES = (".txt", ".json")
_EXPERIMENT_MARKERS = ("pyproject.toml", "src", "config")


@dataclass(frozen=True)
class Options:
    profile: str | None = None
    context: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    honor_inline_ignores: bool = False
    issue_budget: int = DEFAULT_ISSUE_BUDGET


def _index_entries(path: Path) -> list[str] | None:
    """The inputs an index file lists (JSON Lines with "trace"/"path"/"input", or one path per line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        return None
    out = []
    for line in lines:
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return None
            value = entry.get("trace") or entry.get("path") or entry.get("input") if isinstance(entry, dict) else None
            if not isinstance(value, str):
                return None
            out.append(str(path.parent / value))
        elif path.suffix == ".lst" or path.name.endswith((".index", ".list")):
            out.append(str(path.parent / line))
        else:
            return None
    return out


def expand(inputs: Sequence[str]) -> list[str]:
    """Inputs in the order given: a glob expands sorted; a folder that is not an experiment repo stands
    for the traces and bundles inside it; an index file (``*.jsonl`` with "trace" entries) for what it
    lists. Anything else is kept as given, so readers can say what is wrong with it."""
    out: list[str] = []
    for item in inputs:
        if any(ch in item for ch in "*?[") and not os.path.exists(item):
            matches = sorted(glob.glob(item, recursive=True))
            out.extend(matches or [item])
            continue
        path = Path(item)
        if path.is_dir() and not any((path / m).exists() for m in _EXPERIMENT_MARKERS):
            found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix in _TRACE_SUFFIXES)
            out.extend(found or [item])
            continue
        if path.is_file() and path.suffix == ".jsonl":
            entries = _index_entries(path)
            if entries is not None:
                out.extend(entries)
                continue
        out.append(item)
    return out


def _check_one(args: tuple[str, Options]) -> Report:
    from expcheck.api import check

    source, options = args
    return check(
        source,
        profile=options.profile,
        context=options.context,
        select=options.select,
        ignore=options.ignore,
        honor_inline_ignores=options.honor_inline_ignores,
        issue_budget=options.issue_budget,
    )


class Progress:
    """A one-line progress bar on a terminal's stderr; silent elsewhere."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = (self.stream.isatty() if enabled is None else enabled) and total > 1
        self.done = 0

    def step(self, label: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 28
        filled = round(width * self.done / self.total)
        name = label if len(label) <= 40 else "…" + label[-39:]
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {name:<40}")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _warm_parent() -> None:
    """Import the rules, the facts and Hydra once, before the pool forks: every worker starts with them
    instead of importing them again (each import costs about as much as judging a few inputs)."""
    from expcheck.engine import all_rules
    from expcheck.facts.compose import prepare_hydra

    all_rules()
    prepare_hydra()


def run(
    sources: Sequence[str],
    options: Options,
    jobs: int | None = None,
    on_done: Callable[[Report], None] | None = None,
) -> Iterator[Report]:
    """Reports in input order; the inputs are judged in ``jobs`` processes (default, and at most, the usable
    cores: more workers than cores only compete for them)."""
    work = [(s, options) for s in sources]
    jobs = min(jobs or usable_cores(), usable_cores())
    if jobs <= 1 or len(work) <= 1:
        for item in work:
            report = _check_one(item)
            if on_done:
                on_done(report)
            yield report
        return
    from concurrent.futures import ProcessPoolExecutor  # multiprocessing only when a pool is used

    _warm_parent()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for report in pool.map(_check_one, work, chunksize=max(1, min(16, len(work) // (jobs * 4) or 1))):
            if on_done:
                on_done(report)
            yield report


def excerpt_sources(reports: Sequence[Report]) -> dict[tuple[str, str], list[str]]:
    """(input, path) -> file lines for the files findings point at, read again for code excerpts."""
    from expcheck.errors import InputError
    from expcheck.inputs import load

    out: dict[tuple[str, str], list[str]] = {}
    for report in reports:
        wanted = {f.path for f in report.findings if f.line is not None}
        if report.error is not None or not wanted:
            continue
        try:
            files = load(report.input, profile=report.profile).submission.files
        except InputError:
            continue
        for path in wanted:
            if path in files:
                out[(report.input, path)] = files[path].lines
    return out
