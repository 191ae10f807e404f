"""What judging every input in a worker process costs: the corpus judged in this process (the former
``--jobs 1`` path) against the same inputs through the worker pool (``batch.run``, one worker), passes
interleaved so machine load hits both alike; plus the cost of replacing a worker that died.

Target (issue 18): isolation overhead small against the judging itself (<= 5 % of the batch wall
time). Prints figures and ratios, writes benchmarks/results/batch_isolation.json.

    uv run python benchmarks/batch_isolation.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "batch_isolation.json"
TARGET_RATIO = 1.05


def _crash(task: tuple[str, object]) -> object:
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="passes of each kind; the best is kept")
    args = parser.parse_args()
    index = CORPUS / "index.jsonl"
    if not index.is_file():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    from expcheck.batch import Options, expand, judge, run

    paths = expand([str(index)])
    options = Options()
    judge((paths[0], options))  # imports and caches warm in this process, as the pool's parent has them
    in_process, pooled = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        for path in paths:
            judge((path, options))
        in_process.append(time.perf_counter() - t)
        t = time.perf_counter()
        reports = list(run(paths, options, jobs=1))
        pooled.append(time.perf_counter() - t)
        assert len(reports) == len(paths)
    crashes = 20
    t = time.perf_counter()
    dead = list(run([f"crash-{i}" for i in range(crashes)], options, jobs=1, judge=_crash))  # type: ignore[arg-type]
    respawn_ms = (time.perf_counter() - t) * 1000 / crashes
    assert all("SIGSEGV" in (r.error or "") for r in dead)
    best_in, best_pool = min(in_process), min(pooled)
    ratio = best_pool / best_in
    figures = {
        "inputs": len(paths),
        "in_process_s": round(best_in, 2),
        "worker_pool_s": round(best_pool, 2),
        "ratio": round(ratio, 3),
        "median_in_process_s": round(statistics.median(in_process), 2),
        "median_worker_pool_s": round(statistics.median(pooled), 2),
        "crash_and_respawn_ms": round(respawn_ms, 1),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    print(f"{len(paths)} inputs, best of {args.repeat}: in process {best_in:.2f} s, worker pool (1 job) {best_pool:.2f} s")
    print(f"ratio {ratio:.3f} (target <= {TARGET_RATIO}): {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
    print(f"a worker killed by SIGSEGV and replaced: {respawn_ms:.1f} ms per input")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
