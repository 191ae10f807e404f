"""Time the contract rules of issue 4 (C3 data, C4 model/method, C6 W&B, C8 evaluation) over the corpus.

What is measured is what these rules *add* to a batch check: each trace is loaded once, the facts
every rule set shares (parsed Python and YAML) are built first, then the C3/C4/C6/C8 rules run on
fresh facts and are timed (their own fact modules included). Target: <= 10 ms median per bundle.

    uv run python benchmarks/contract_rules.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
TARGET_MS = 10.0
SELECT = ("C3", "C4", "C6", "C8")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best time per trace is kept")
    args = parser.parse_args()
    index = CORPUS / "index.jsonl"
    if not index.is_file():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    from expcheck.engine import run_rules, select_rules
    from expcheck.facts import Facts
    from expcheck.inputs import load

    rules = select_rules(SELECT)
    entries = [json.loads(line) for line in index.read_text().splitlines() if line.strip()]
    loaded = [load(str(CORPUS / e["trace"])) for e in entries]
    best = [float("inf")] * len(loaded)
    for _ in range(args.repeat):
        for i, item in enumerate(loaded):
            facts = Facts(item.submission, item.profile)
            _ = facts.python, facts.yaml  # shared with every other rule set: not counted
            start = time.perf_counter()
            run_rules(facts, [r for r in rules if not any(r.matches(o) for o in item.profile.rules_off)])
            best[i] = min(best[i], (time.perf_counter() - start) * 1000)
    by_profile: dict[str, list[float]] = defaultdict(list)
    for item, ms in zip(loaded, best, strict=True):
        by_profile[item.profile.name].append(ms)
    median = statistics.median(best)
    print(f"{len(rules)} rules ({', '.join(SELECT)}) over {len(loaded)} traces, best of {args.repeat}")
    print(f"added per bundle: median {median:.2f} ms, p95 {percentile(best, 0.95):.2f} ms, max {max(best):.2f} ms")
    for name, values in sorted(by_profile.items()):
        print(f"  {name:18s} n={len(values):3d}  median {statistics.median(values):6.2f} ms  max {max(values):6.2f} ms")
    hydra = [ms for item, ms in zip(loaded, best, strict=True) if item.profile.outputs is not None]
    if hydra:
        print(f"W&B contracts only (v1, v1.5, v2, v1-early): median {statistics.median(hydra):.2f} ms")
    print(
        f"target <= {TARGET_MS:.0f} ms median: ratio {median / TARGET_MS:.2f} ({'met' if median <= TARGET_MS else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
