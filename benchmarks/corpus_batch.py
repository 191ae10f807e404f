"""Time expcheck over the development corpus, in one process, and a one-input CLI call.

Targets (issue 2): <= 20 ms median per trace in batch; <= 0.5 s for a one-input CLI call including
interpreter start-up. Prints figures and ratios to the targets, writes benchmarks/results/corpus_batch.json.

    uv run python benchmarks/corpus_batch.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "corpus_batch.json"
BATCH_TARGET_MS = 20.0
CLI_TARGET_S = 0.5


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cli_time(command: list[str], env: dict[str, str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(command, capture_output=True, env=env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="batch passes; the best per-trace time is kept")
    args = parser.parse_args()
    index = CORPUS / "index.jsonl"
    if not index.is_file():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    from expcheck import check

    paths = [str(CORPUS / json.loads(line)["trace"]) for line in index.read_text().splitlines() if line.strip()]
    check(paths[0])  # warm imports and caches once, as a long-running batch would be
    best = [float("inf")] * len(paths)
    wall = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for i, path in enumerate(paths):
            t = time.perf_counter()
            check(path)
            best[i] = min(best[i], (time.perf_counter() - t) * 1000)
        wall.append(time.perf_counter() - start)
    median_ms = statistics.median(best)
    p95_ms = percentile(best, 0.95)

    from expcheck.batch import Options, run

    throughput = {}
    for jobs in (1, 2):
        start = time.perf_counter()
        for _ in run(paths, Options(), jobs=jobs):
            pass
        throughput[jobs] = len(paths) / (time.perf_counter() - start)

    seed = sorted((CORPUS.parent / "seeds").glob("*.txt"))[0]
    command = [sys.executable, "-m", "expcheck", "check", str(seed), "-f", "verdict"]
    cli_s = cli_time(command, dict(os.environ))
    # A usual machine caches bytecode; this one sets PYTHONDONTWRITEBYTECODE, which recompiles
    # expcheck's own modules on every call. Measure both.
    cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, capture_output=True, env=cached_env)  # writes the cache
    cli_cached_s = cli_time(command, cached_env)
    bare = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True)
        bare.append(time.perf_counter() - t)

    result = {
        "traces": len(paths),
        "batch_median_ms_per_trace": round(median_ms, 2),
        "batch_p95_ms_per_trace": round(p95_ms, 2),
        "batch_max_ms_per_trace": round(max(best), 2),
        "batch_traces_per_second": round(len(paths) / min(wall), 1),
        "jobs1_traces_per_second": round(throughput[1], 1),
        "jobs2_traces_per_second": round(throughput[2], 1),
        "cli_one_input_median_s": round(cli_s, 3),
        "cli_one_input_bytecode_cached_median_s": round(cli_cached_s, 3),
        "pythondontwritebytecode": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
        "python_startup_median_s": round(statistics.median(bare), 3),
        "targets": {"batch_median_ms": BATCH_TARGET_MS, "cli_s": CLI_TARGET_S},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"traces: {len(paths)}")
    print(
        f"batch: median {median_ms:.1f} ms/trace (target {BATCH_TARGET_MS:.0f}, ratio {median_ms / BATCH_TARGET_MS:.2f}), "
        f"p95 {p95_ms:.1f} ms, {result['batch_traces_per_second']} traces/s"
    )
    print(
        f"cli, one input incl. start-up: median {cli_s:.3f} s as this environment is "
        f"(PYTHONDONTWRITEBYTECODE={result['pythondontwritebytecode'] or 'unset'}; ratio {cli_s / CLI_TARGET_S:.2f}), "
        f"{cli_cached_s:.3f} s with bytecode cached (ratio {cli_cached_s / CLI_TARGET_S:.2f}); target {CLI_TARGET_S} s; "
        f"bare python start-up {result['python_startup_median_s']:.3f} s"
    )
    print(
        f"batch through expcheck.batch: {throughput[1]:.1f} traces/s with --jobs 1, {throughput[2]:.1f} with --jobs 2"
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
