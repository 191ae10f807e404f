"""Added cost of the Hydra and run-config checks (C2, C7, C9) per bundle, over the development corpus.

Target (issue 3): composing plus key coverage add <= 30 ms median per bundle in batch. The added
cost is the time of a check with those rules minus a check with only the syntax rule (reading,
parsing), best of --repeat passes per trace. Writes benchmarks/results/config_rules.json.

    uv run python benchmarks/config_rules.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "config_rules.json"
TARGET_MS = 30.0


def best_ms(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (CORPUS / "index.jsonl").is_file():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    from expcheck import check
    from expcheck.facts import Facts
    from expcheck.facts.compose import compose_setup
    from expcheck.inputs import load

    entries = [json.loads(line) for line in (CORPUS / "index.jsonl").read_text().splitlines() if line.strip()]
    paths = [str(CORPUS / e["trace"]) for e in entries]
    check(paths[0], select=["C2", "C7", "C9"])  # warm the lazy Hydra import, as a batch would
    added, composed, compositions = [], [], 0
    for path in paths:
        base = best_ms(lambda p=path: check(p, select=["R101"]), args.repeat)
        full = best_ms(lambda p=path: check(p, select=["C2", "C7", "C9"]), args.repeat)
        added.append(max(full - base, 0.0))
        loaded = load(path)
        setup = Facts(loaded.submission, loaded.profile).derived(compose_setup)
        if setup.compositions:
            composed.append(added[-1])
            compositions += len(setup.compositions)
    result = {
        "traces": len(paths),
        "added_median_ms_all": round(statistics.median(added), 2),
        "added_median_ms_composed": round(statistics.median(composed), 2) if composed else None,
        "added_p95_ms_composed": round(sorted(composed)[int(0.95 * (len(composed) - 1))], 2) if composed else None,
        "traces_composed": len(composed),
        "compositions": compositions,
        "target_ms": TARGET_MS,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"traces: {len(paths)}, composed with Hydra: {len(composed)} ({compositions} compositions)")
    print(
        f"added by C2/C7/C9: median {result['added_median_ms_all']} ms over all traces; "
        f"median {result['added_median_ms_composed']} ms, p95 {result['added_p95_ms_composed']} ms over composed ones "
        f"(target {TARGET_MS:.0f} ms, ratio {(result['added_median_ms_composed'] or 0) / TARGET_MS:.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
