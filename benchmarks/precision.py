"""Precision on code known to be correct, judged as a user would (profile detected, no options).

Two sets:

- ``../shared/corpus/ran/``: code states that ran to the end in the pipeline's CI in the mode the
  index names. A finding there that claims a crash, a refused override or a missing key is false.
  Printed: how many are judged ready, how many carry the profile their traces state, and the
  blocking findings of each of those three kinds, by rule.
- the precision sets (``../shared/precision/`` and ``tests/fixtures/precision/``): correct
  submissions, each showing one pattern; printed: how many are ready, and the blocking rules of
  the others.

    uv run python benchmarks/precision.py
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from expcheck.api import check

ROOT = Path(__file__).resolve().parent.parent
RAN = ROOT.parent / "shared" / "corpus" / "ran"
PRECISION = [ROOT.parent / "shared" / "precision", ROOT / "tests" / "fixtures" / "precision"]

# What a blocking finding claims about a run of the code.
REFUSED_OVERRIDE = frozenset({"C204", "C205", "C704"})  # Hydra refuses (or misreads) the documented overrides
MISSING_KEY = frozenset({"C701", "C702", "C708", "C206"})  # a config key read or written that is not there
CRASH_C = frozenset({"C201", "C202", "C207", "C301", "C402"})  # criterion rules that predict the run stops


def _claim(rule: str, criterion: str) -> str | None:
    if rule in REFUSED_OVERRIDE:
        return "refused override"
    if rule in MISSING_KEY:
        return "missing key"
    if rule in CRASH_C or (criterion == "R" and not rule.startswith("T")):
        return "crash"
    return None


def ran_figures() -> None:
    index = RAN / "index.jsonl"
    if not index.is_file():
        print("ran: ../shared/corpus/ran is absent")
        return
    rows = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip()]
    ready = same_profile = 0
    claims: dict[str, Counter[str]] = {"crash": Counter(), "refused override": Counter(), "missing key": Counter()}
    for row in rows:
        report = check(str(RAN / row["dir"]))
        ready += report.ready
        same_profile += report.profile == row["profile"]
        for finding in report.findings:
            kind = _claim(finding.rule, finding.criterion) if finding.blocking else None
            if kind is not None:
                claims[kind][finding.rule] += 1
    print(f"ran: {ready}/{len(rows)} ready; {same_profile}/{len(rows)} detected with the profile their traces state")
    for kind, counts in claims.items():
        detail = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items())) or "none"
        print(f"  findings claiming a {kind}: {sum(counts.values())} ({detail})")


def precision_figures() -> None:
    for folder in PRECISION:
        index = folder / "index.jsonl"
        if not index.is_file():
            print(f"precision {folder.name}: absent")
            continue
        rows = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip()]
        not_ready = []
        for row in rows:
            report = check(str(folder / row["path"]))
            if not report.ready:
                rules = sorted({f.rule for f in report.findings if f.blocking})
                not_ready.append(f"{row['path']} ({', '.join(rules) or report.error})")
        where = folder.relative_to(ROOT.parent) if folder.is_relative_to(ROOT.parent) else folder
        print(f"precision {where}: {len(rows) - len(not_ready)}/{len(rows)} ready")
        for item in not_ready:
            print(f"  not ready: {item}")


if __name__ == "__main__":
    ran_figures()
    precision_figures()
