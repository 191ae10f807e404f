"""How long is the code_issue the generator receives? Before (a saved jsonl report) vs now, over the corpus.

Issue 12: one cause per item, cause order, concrete fixes, a 4,000-character budget. Prints the
length statistics of code_issue over the not-ready inputs (median, 90th percentile, max), items per
code_issue, and checks that the reports still hold every finding. Writes
benchmarks/results/code_issue.json.

    uv run python benchmarks/code_issue.py [--before /work/baseline/corpus.jsonl] [--after now.jsonl] [--jobs 2]

Without --after the corpus (../shared/corpus/index.jsonl) is judged now, in --jobs processes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT.parent / "shared" / "corpus" / "index.jsonl"
BASELINE = Path("/work/baseline/corpus.jsonl")
RESULTS = ROOT / "benchmarks" / "results" / "code_issue.json"


def percentile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _reports_now(jobs: int) -> list[dict[str, Any]]:
    from expcheck.batch import Options, expand, run

    return [r.model_dump(mode="json") for r in run(expand([str(INDEX)]), Options(), jobs=jobs)]


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _stats(reports: list[dict[str, Any]]) -> dict[str, Any]:
    issues = [
        r["verdict"]["code_issue"]
        for r in reports
        if r.get("verdict") and not r["verdict"]["is_code_ready"] and not r.get("error")
    ]
    lengths = [len(text) for text in issues]
    items = [sum(1 for line in text.splitlines() if line.startswith("- ")) for text in issues]
    errors = [sum(1 for f in r["findings"] if f["severity"] == "error") for r in reports if not r.get("error")]
    return {
        "not_ready": len(issues),
        "median_chars": statistics.median(lengths) if lengths else 0,
        "p90_chars": percentile(lengths, 0.9) if lengths else 0,
        "max_chars": max(lengths, default=0),
        "median_items": statistics.median(items) if items else 0,
        "max_items": max(items, default=0),
        "findings_in_reports": sum(len(r["findings"]) for r in reports),
        "error_findings_in_reports": sum(errors),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--before", type=Path, default=BASELINE, help="jsonl report from before (default: the baseline)"
    )
    parser.add_argument("--after", type=Path, help="jsonl report from now (default: judge the corpus now)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not args.before.is_file():
        print(f"no report at {args.before}", file=sys.stderr)
        return 2
    if args.after is None and not INDEX.is_file():
        print(f"no corpus at {INDEX}", file=sys.stderr)
        return 2
    before = _stats(_read(args.before))
    after = _stats(_read(args.after) if args.after else _reports_now(args.jobs))
    print(f"{'code_issue over not-ready inputs':<36}{'before':>10}{'after':>10}{'ratio':>8}")
    for key in ("not_ready", "median_chars", "p90_chars", "max_chars", "median_items", "max_items"):
        ratio = f"{after[key] / before[key]:.2f}" if before[key] else "-"
        print(f"{key:<36}{before[key]:>10}{after[key]:>10}{ratio:>8}")
    print(
        f"findings kept in the reports: {before['findings_in_reports']} before, {after['findings_in_reports']} after "
        f"({before['error_findings_in_reports']} / {after['error_findings_in_reports']} errors)"
    )
    RESULTS.write_text(json.dumps({"before": before, "after": after}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
