"""expcheck beside a re-implementation of the reference pipeline's former static checker, and beside
the LLM verdicts recorded in the development corpus.

The former checker, as the reference pipeline ran it before its LLM gate: ruff over the Python files,
then mypy on each file, the pyproject's requirement strings parsed, and every YAML file loaded. Both
run on the same bundles; we print seconds per bundle and what each catches (bundles it flags, and
first-run failures it flags), then the agreement of expcheck with the recorded LLM verdicts and how
many disagreements are explained by refuted LLM claims or by expcheck's crash-class findings.

    uv run python benchmarks/reference_checker.py [--mypy-sample 20] [--jobs 1]

Writes benchmarks/results/reference_checker.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
import tomllib
from pathlib import Path, PurePosixPath

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "reference_checker.json"


def reference_check(files: dict[str, str], run_mypy: bool) -> tuple[bool, dict[str, int], float]:
    """(flags the bundle, problems per tool, seconds) for the former static checker."""
    from packaging.requirements import InvalidRequirement, Requirement

    problems = {"ruff": 0, "mypy": 0, "toml": 0, "yaml": 0}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="refcheck-") as tmp:
        root = Path(tmp)
        for path, text in files.items():
            target = root.joinpath(*PurePosixPath(path).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        py = sorted(p for p in files if p.endswith(".py") and files[p].strip())
        if py:
            ruff = subprocess.run(
                [shutil.which("ruff") or "ruff", "check", "--isolated", "--no-cache", "--output-format", "json", *py],
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            )
            try:
                problems["ruff"] = len(json.loads(ruff.stdout or "[]"))
            except json.JSONDecodeError:
                problems["ruff"] = 1
        if run_mypy:
            for path in py:
                proc = subprocess.run(
                    [
                        shutil.which("mypy") or "mypy",
                        "--ignore-missing-imports",
                        "--no-error-summary",
                        "--cache-dir",
                        str(root / ".mypy_cache"),
                        path,
                    ],
                    cwd=root,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                problems["mypy"] += sum(1 for line in proc.stdout.splitlines() if ": error:" in line)
        if "pyproject.toml" in files and files["pyproject.toml"].strip():
            try:
                doc = tomllib.loads(files["pyproject.toml"])
                deps = doc.get("project", {}).get("dependencies", [])
                for dep in deps if isinstance(deps, list) else []:
                    try:
                        Requirement(str(dep))
                    except InvalidRequirement:
                        problems["toml"] += 1
            except tomllib.TOMLDecodeError:
                problems["toml"] += 1
        for path, text in files.items():
            if path.endswith((".yaml", ".yml")):
                try:
                    yaml.safe_load(text)
                except yaml.YAMLError:
                    problems["yaml"] += 1
    return any(problems.values()), problems, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mypy-sample", type=int, default=20, help="bundles to run mypy on (mypy takes seconds each)")
    args = parser.parse_args()
    if not (CORPUS / "index.jsonl").is_file():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    from expcheck.api import report_for
    from expcheck.audit import audit
    from expcheck.inputs import load

    entries = [json.loads(line) for line in (CORPUS / "index.jsonl").read_text().splitlines() if line.strip()]
    ours_s, ref_s, ref_mypy_s = [], [], []
    rows = []
    for i, entry in enumerate(entries):
        path = str(CORPUS / entry["trace"])
        loaded = load(path)
        files = {p: f.text for p, f in loaded.submission.files.items() if f.unreadable is None}
        t = time.perf_counter()
        report = report_for(loaded, path)
        ours_s.append(time.perf_counter() - t)
        run_mypy = i < args.mypy_sample
        flagged, problems, seconds = reference_check(files, run_mypy)
        (ref_mypy_s if run_mypy else ref_s).append(seconds)
        rows.append((entry, report, flagged, problems))

    def caught(selector) -> dict[str, int]:  # type: ignore[no-untyped-def]
        subset = [r for r in rows if selector(r[0])]
        return {
            "bundles": len(subset),
            "expcheck_not_ready": sum(1 for _, rep, _, _ in subset if not rep.ready),
            "reference_flags": sum(1 for _, _, flag, _ in subset if flag),
        }

    failed = caught(lambda e: (e.get("first_run") or {}).get("status") == "failed")
    everything = caught(lambda e: True)

    agreement = {"both ready": 0, "both not ready": 0, "llm ready, expcheck not": 0, "llm not, expcheck ready": 0}
    explained = {"by crash-class findings": 0, "by refuted llm claims": 0}
    for entry, report, _, _ in rows:
        llm = entry.get("llm_is_code_ready")
        if llm is None:
            continue
        ours = report.ready
        key = (
            "both ready"
            if llm and ours
            else "both not ready"
            if not (llm or ours)
            else "llm ready, expcheck not"
            if llm
            else "llm not, expcheck ready"
        )
        agreement[key] += 1
        if key == "llm ready, expcheck not" and any(
            f.severity == "error" and f.criterion == "R" for f in report.findings
        ):
            explained["by crash-class findings"] += 1
        if key == "llm not, expcheck ready":
            result = audit(str(CORPUS / entry["trace"]))
            if any(c.verdict == "refuted" for c in result.claims):
                explained["by refuted llm claims"] += 1

    result = {
        "bundles": len(rows),
        "expcheck_s_per_bundle_median": round(statistics.median(ours_s), 4),
        "reference_s_per_bundle_median_without_mypy": round(statistics.median(ref_s), 4) if ref_s else None,
        "reference_s_per_bundle_median_with_mypy": round(statistics.median(ref_mypy_s), 3) if ref_mypy_s else None,
        "mypy_sample": len(ref_mypy_s),
        "first_run_failures": failed,
        "all_bundles": everything,
        "llm_agreement": agreement,
        "disagreements_explained": explained,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"bundles: {len(rows)}")
    print(
        f"seconds per bundle: expcheck {result['expcheck_s_per_bundle_median']}; former checker "
        f"{result['reference_s_per_bundle_median_without_mypy']} without mypy, "
        f"{result['reference_s_per_bundle_median_with_mypy']} with mypy per file ({len(ref_mypy_s)} bundles)"
    )
    print(
        f"first-run failures ({failed['bundles']}): expcheck not ready {failed['expcheck_not_ready']}, "
        f"former checker flags {failed['reference_flags']}"
    )
    print(
        f"all bundles: expcheck not ready {everything['expcheck_not_ready']}, former checker flags {everything['reference_flags']}"
    )
    print(f"agreement with recorded LLM verdicts: {agreement}; disagreements explained: {explained}")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
