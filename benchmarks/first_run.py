"""How well expcheck predicts first-run failures, and what the whole check costs per bundle.

Over the corpus traces whose code was later run (``first_run`` in ../shared/corpus/index.jsonl):

- failures flagged: of the bundles whose first run failed, how many expcheck calls not ready
  (target >= 95 %);
- patched files hit: for each file the repair changed after the failure, whether expcheck has an
  error finding in that file (target >= 80 %), counted for all rules and for the runtime rules
  R3xx-R6xx alone;
- the bundles that ran fine, and whether expcheck let them through.

Then times the whole check over every trace in one process (best of --repeat passes per trace;
target <= 50 ms median per bundle) and counts ruff processes per submission (must be 1).
Prints figures and ratios; writes benchmarks/results/first_run.json.

    uv run python benchmarks/first_run.py [--repeat 3] [--show-findings]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "first_run.json"
FLAG_TARGET = 0.95
HIT_TARGET = 0.80
MEDIAN_TARGET_MS = 50.0
RUNTIME_PREFIXES = ("R3", "R4", "R5", "R6")


def _errors_by_file(report: Any, runtime_only: bool) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for f in report.findings:
        if f.severity.value != "error" or (runtime_only and not f.rule.startswith(RUNTIME_PREFIXES)):
            continue
        found.setdefault(f.path, []).append(f)
    return found


def _labelled(index: list[dict[str, Any]], show: bool) -> dict[str, Any]:
    from expcheck import check

    failed = flagged = 0
    patched = hit_any = hit_runtime = 0
    rows: list[dict[str, Any]] = []
    for entry in index:
        first = entry.get("first_run")
        if not first:
            continue
        report = check(str(CORPUS / entry["trace"]))
        ready = report.verdict.is_code_ready
        status = first.get("status")
        any_errors = _errors_by_file(report, runtime_only=False)
        runtime_errors = _errors_by_file(report, runtime_only=True)
        files = list(first.get("files_patched_after_failure") or [])
        row = {
            "trace": entry["trace"],
            "status": status,
            "expcheck_ready": ready,
            "patched": {p: {"any_error": p in any_errors, "runtime_error": p in runtime_errors} for p in files},
            "exception": first.get("exception"),
        }
        rows.append(row)
        if status == "failed":
            failed += 1
            flagged += not ready
            patched += len(files)
            hit_any += sum(p in any_errors for p in files)
            hit_runtime += sum(p in runtime_errors for p in files)
        name = entry["trace"].rsplit("/", 1)[-1]
        marks = " ".join(f"{p}[{'R' if p in runtime_errors else ('e' if p in any_errors else '-')}]" for p in files)
        print(f"  {name}  {status:8} {'READY' if ready else 'not ready':10} {marks}")
        if show:
            for _path, findings in sorted(runtime_errors.items()):
                for f in findings:
                    print(f"      {f.rule} {f.location()} {f.message}")
    return {
        "failed": failed,
        "flagged_not_ready": flagged,
        "flag_ratio": round(flagged / failed, 3) if failed else None,
        "patched_files": patched,
        "patched_files_with_error": hit_any,
        "patched_hit_ratio": round(hit_any / patched, 3) if patched else None,
        "patched_files_with_runtime_error": hit_runtime,
        "patched_runtime_hit_ratio": round(hit_runtime / patched, 3) if patched else None,
        "rows": rows,
    }


def _cpu_ms() -> float:
    """CPU time of this process and its finished children (ruff), in ms: less sensitive to a busy machine."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (time.process_time() + children.ru_utime + children.ru_stime) * 1000


def _timing(paths: list[str], repeat: int) -> dict[str, Any]:
    import expcheck.facts.lint as lint_module
    from expcheck import check

    calls = {"ruff": 0}
    original = lint_module.subprocess.Popen

    def counting_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[str]:
        calls["ruff"] += 1
        return original(*args, **kwargs)

    check(paths[0])  # warm imports and caches, as a long-running batch would be
    best = [float("inf")] * len(paths)
    best_runtime = [float("inf")] * len(paths)
    best_cpu = [float("inf")] * len(paths)
    ruff_per_submission: list[int] = []
    fired: dict[str, set[str]] = {}
    lint_module.subprocess.Popen = counting_popen  # type: ignore[assignment,misc]
    try:
        for n in range(repeat):
            for i, path in enumerate(paths):
                before = calls["ruff"]
                cpu = _cpu_ms()
                t = time.perf_counter()
                report = check(path)
                best[i] = min(best[i], (time.perf_counter() - t) * 1000)
                best_cpu[i] = min(best_cpu[i], _cpu_ms() - cpu)
                if n == 0:
                    ruff_per_submission.append(calls["ruff"] - before)
                    for f in report.findings:
                        if f.rule.startswith(RUNTIME_PREFIXES):
                            fired.setdefault(f.rule, set()).add(path)
                t = time.perf_counter()
                check(path, select=list(RUNTIME_PREFIXES))
                best_runtime[i] = min(best_runtime[i], (time.perf_counter() - t) * 1000)
    finally:
        lint_module.subprocess.Popen = original  # type: ignore[misc]
    ordered = sorted(best)
    return {
        "bundles": len(paths),
        "median_ms": round(statistics.median(best), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
        "max_ms": round(max(best), 2),
        "cpu_median_ms": round(statistics.median(best_cpu), 2),
        "runtime_rules_only_median_ms": round(statistics.median(best_runtime), 2),
        "ruff_runs_per_submission": sorted(set(ruff_per_submission)),
        "runtime_rule_traces": {rule: len(found) for rule, found in sorted(fired.items())},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timing passes; the best per bundle is kept")
    parser.add_argument("--show-findings", action="store_true", help="print the runtime errors of each labelled bundle")
    args = parser.parse_args()
    index_path = CORPUS / "index.jsonl"
    if not index_path.is_file():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    index = [json.loads(line) for line in index_path.read_text().splitlines() if line.strip()]

    print("labelled bundles (patched file [R]: runtime error there, [e]: other error, [-]: none):")
    labelled = _labelled(index, args.show_findings)
    timing = _timing([str(CORPUS / e["trace"]) for e in index], args.repeat)

    failed = labelled["failed"]
    print(
        f"first-run failures flagged not ready: {labelled['flagged_not_ready']}/{failed} "
        f"({labelled['flag_ratio']:.0%}; target {FLAG_TARGET:.0%}, ratio {labelled['flag_ratio'] / FLAG_TARGET:.2f})"
    )
    print(
        f"patched files with an error finding: {labelled['patched_files_with_error']}/{labelled['patched_files']} "
        f"({labelled['patched_hit_ratio']:.0%}; target {HIT_TARGET:.0%}, ratio {labelled['patched_hit_ratio'] / HIT_TARGET:.2f}); "
        f"with a runtime (R3-R6) error: {labelled['patched_files_with_runtime_error']}/{labelled['patched_files']} "
        f"({labelled['patched_runtime_hit_ratio']:.0%})"
    )
    ok = [r for r in labelled["rows"] if r["status"] == "ok"]
    print(
        f"bundles whose first run succeeded: {len(ok)}, called ready by expcheck: {sum(r['expcheck_ready'] for r in ok)}"
    )
    print(
        f"whole check, batch: median {timing['median_ms']:.1f} ms/bundle (target {MEDIAN_TARGET_MS:.0f}, "
        f"ratio {timing['median_ms'] / MEDIAN_TARGET_MS:.2f}), p95 {timing['p95_ms']:.1f} ms, max {timing['max_ms']:.1f} ms "
        f"over {timing['bundles']} bundles; runtime rules R3-R6 alone (incl. parsing): "
        f"{timing['runtime_rules_only_median_ms']:.1f} ms; ruff processes per submission: {timing['ruff_runs_per_submission']}"
    )
    print(
        f"  CPU time (this process + ruff) median {timing['cpu_median_ms']:.1f} ms/bundle; "
        f"machine load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(f"corpus traces each runtime rule fires on: {timing['runtime_rule_traces']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"labelled": labelled, "timing": timing}, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
