"""Static checks over the corpus: local processes vs Ray tasks on this machine, side by side, one run.

Issue 16. Prints, for the 176 corpus traces:
- local: batch.run with --jobs = the usable cores (forked processes, parent warmed first), twice;
- Ray: the time to start a local cluster (ray.init, once), then the same batch as Ray tasks twice —
  cold (workers start and import expcheck) and warm (workers reused) — checking that the reports are
  identical to the local ones;
- Ray's fixed overhead per input: the same inputs sent as tasks whose judge does nothing, so what
  remains is reading on the driver, shipping the submission as data, scheduling and the result's trip.
Writes benchmarks/results/ray_batch.json.

    uv run python benchmarks/ray_batch.py [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT.parent / "shared" / "corpus" / "index.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "ray_batch.json"


def _noop(work: object, options: object) -> object:
    from expcheck.report.schema import Report

    return Report.failed(work.source, "not judged (overhead measurement)")  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="processes / Ray CPUs (default: usable cores)")
    args = parser.parse_args()
    if not INDEX.is_file():
        sys.stderr.write(f"ray_batch: {INDEX} not found (needs ../shared)\n")
        return 2
    try:
        import ray
    except ImportError:
        sys.stderr.write("ray_batch: Ray is not installed (uv sync installs it with the dev group)\n")
        return 2
    from expcheck.batch import Options, expand, run, usable_cores
    from expcheck.executors import ray as ray_executor
    from expcheck.executors import read

    jobs = args.jobs or usable_cores()
    sources = expand([str(INDEX)])
    n = len(sources)

    local_runs = []
    for _ in ("first", "second"):  # the first also warms the file cache for everything after it
        start = time.perf_counter()
        local = [r.model_dump(mode="json") for r in run(sources, Options(), jobs=jobs)]
        local_runs.append(time.perf_counter() - start)
    local_first_s, local_s = local_runs

    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    start = time.perf_counter()
    ray.init(num_cpus=jobs, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    init_s = time.perf_counter() - start
    runs = []
    for _ in ("cold", "warm"):
        start = time.perf_counter()
        reports = [r.model_dump(mode="json") for r in ray_executor.run(sources, Options())]
        runs.append((time.perf_counter() - start, reports == local))
    start = time.perf_counter()
    for source in sources:
        read(source, Options())
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    list(ray_executor.run(sources, Options(), judge_fn=_noop))  # type: ignore[arg-type]
    noop_s = time.perf_counter() - start
    ray.shutdown()

    (cold_s, cold_same), (warm_s, warm_same) = runs
    figures = {
        "inputs": n,
        "jobs": jobs,
        "local_first_s": round(local_first_s, 2),
        "local_s": round(local_s, 2),
        "local_inputs_per_s": round(n / local_s, 1),
        "ray_init_s": round(init_s, 2),
        "ray_cold_s": round(cold_s, 2),
        "ray_warm_s": round(warm_s, 2),
        "ray_warm_inputs_per_s": round(n / warm_s, 1),
        "ray_identical_to_local": cold_same and warm_same,
        "driver_read_ms_per_input": round(1000 * read_s / n, 1),
        "ray_overhead_ms_per_input": round(1000 * (noop_s - read_s) / n, 1),
        "ray_noop_total_ms_per_input": round(1000 * noop_s / n, 1),
    }
    print(f"{n} corpus traces, {jobs} processes / Ray CPUs, this machine ({usable_cores()} usable cores)")
    print(f"  local, first run     {local_first_s:6.2f} s   {n / local_first_s:6.1f} inputs/s")
    print(f"  local, second run    {local_s:6.2f} s   {n / local_s:6.1f} inputs/s")
    print(f"  Ray: start cluster   {init_s:6.2f} s   (once per process)")
    print(f"  Ray: cold workers    {cold_s:6.2f} s   {n / cold_s:6.1f} inputs/s")
    print(f"  Ray: warm workers    {warm_s:6.2f} s   {n / warm_s:6.1f} inputs/s   (x{warm_s / local_s:.2f} local)")
    print(f"  reports identical to local: {figures['ray_identical_to_local']}")
    print(
        f"  Ray fixed overhead per input: {figures['ray_overhead_ms_per_input']} ms "
        f"(no-op tasks {figures['ray_noop_total_ms_per_input']} ms/input, of which reading on the driver "
        f"{figures['driver_read_ms_per_input']} ms)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
