"""Every S (scientific validity) finding over the corpus, the code that ran and the precision sets.

Prints, per set, each S finding (rule, confidence, severity, input, path:line, message, evidence)
and a count per rule; then the S findings that would block (none may appear on ``ran/`` or the
precision sets, which are correct code). The hand-read sample and its precision are in the README.

    uv run python benchmarks/science.py [--rules-only] [--sample N]

``--sample N`` also prints a deterministic sample of N corpus findings (every k-th) for reading.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from expcheck.api import check

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
RESULTS = ROOT / "benchmarks" / "results" / "science.json"


def _rows(index: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip()]


def _inputs() -> dict[str, list[tuple[str, str]]]:
    """Set name -> (label, input path)."""
    sets: dict[str, list[tuple[str, str]]] = {}
    corpus = SHARED / "corpus" / "index.jsonl"
    if corpus.is_file():
        sets["corpus"] = [(r["trace"], str(SHARED / "corpus" / r["trace"])) for r in _rows(corpus)]
    ran = SHARED / "corpus" / "ran" / "index.jsonl"
    if ran.is_file():
        sets["ran"] = [(r["dir"], str(ran.parent / r["dir"])) for r in _rows(ran)]
    for folder in (SHARED / "precision", ROOT / "tests" / "fixtures" / "precision"):
        index = folder / "index.jsonl"
        if index.is_file():
            sets[f"precision:{folder.name if folder.parent != SHARED else 'shared'}"] = [
                (r["path"], str(folder / r["path"])) for r in _rows(index)
            ]
    return sets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules-only", action="store_true", help="counts only, no finding list")
    parser.add_argument("--sample", type=int, default=0, help="print every k-th corpus finding, N in all")
    args = parser.parse_args()
    sets = _inputs()
    if not sets:
        print("../shared is absent: nothing to measure")
        return
    summary: dict[str, dict[str, object]] = {}
    for name, inputs in sets.items():
        start = time.perf_counter()
        counts: Counter[str] = Counter()
        blocking: Counter[str] = Counter()
        listed: list[str] = []
        for label, path in inputs:
            report = check(path)
            for f in report.findings:
                if f.criterion != "S":
                    continue
                counts[f.rule] += 1
                blocking[f.rule] += f.blocking
                listed.append(
                    f"  {f.rule} {f.confidence}/{f.severity} {label} {f.path}:{f.line}: {f.message} | {f.evidence}"
                )
        elapsed = time.perf_counter() - start
        total = sum(counts.values())
        detail = ", ".join(f"{r} {n}" for r, n in sorted(counts.items())) or "none"
        print(
            f"{name}: {len(inputs)} inputs, {total} S findings ({detail}), {sum(blocking.values())} blocking; {elapsed:.1f} s"
        )
        summary[name] = {
            "inputs": len(inputs),
            "by_rule": dict(sorted(counts.items())),
            "blocking": sum(blocking.values()),
        }
        if not args.rules_only:
            print("\n".join(listed))
        if name == "corpus" and args.sample and listed:
            step = max(1, len(listed) // args.sample)
            print(f"sample ({min(args.sample, len(listed))} of {len(listed)}, every {step}th):")
            print("\n".join(listed[::step][: args.sample]))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
