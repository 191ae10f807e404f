"""What `expcheck fix` alone achieves over the corpus, and that it breaks nothing.

For every trace of ../shared/corpus/index.jsonl: judge it, repair it with `expcheck fix`, judge the
repaired bundle, and fix it again. Prints and records:

- not-ready inputs that become ready by the fix alone;
- findings the fix removes (per rule), and fixable findings left after it (must be 0);
- findings present after the fix that were not before, split into those a repair unmasked (a rule
  that cannot read the file before the repair: dependency rules once [project] dependencies is a
  list) and any other (must be 0: no repair may introduce a new defect);
- idempotence: the second fix must change nothing;
- the time a fix takes per input (median).

With --uv (needs the package index), every distinct repaired pyproject.toml is also resolved by real
`uv lock --dry-run`, and the failures are listed with uv's reason.

    uv run python benchmarks/fix.py [--show] [--uv]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "fix.json"

# Rules that read [project] (its dependencies list, its build settings) and stay silent while R202 or
# R203 makes the table unreadable: their findings after those repairs were there, hidden.
UNMASKED_BY = {
    "R202": ("R206", "R208", "R501", "R502", "R503"),
    "R203": ("R204", "R501", "R502", "R503"),
}


def _keys(findings: list[Any]) -> Counter[tuple[str, str, str]]:
    return Counter((f.rule, f.path, f.message) for f in findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every input the fix changes")
    parser.add_argument("--uv", action="store_true", help="resolve each repaired pyproject.toml with real uv")
    args = parser.parse_args()
    if not (CORPUS / "index.jsonl").exists():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2

    from expcheck.fix import _with_texts, fix_loaded
    from expcheck.inputs import load

    index = [json.loads(line) for line in (CORPUS / "index.jsonl").read_text().splitlines() if line.strip()]
    inputs = not_ready = became_ready = changed_inputs = edits = 0
    removed: Counter[str] = Counter()
    unmasked: Counter[str] = Counter()
    introduced: Counter[str] = Counter()
    edits_by_rule: Counter[str] = Counter()
    fixable_before = fixable_left = not_idempotent = 0
    findings_before = findings_after = 0
    times: list[float] = []
    examples: list[str] = []
    pyprojects: dict[str, str] = {}
    for entry in index:
        source = str(CORPUS / entry["trace"])
        loaded = load(source)
        started = time.perf_counter()
        result = fix_loaded(loaded, source)
        times.append(time.perf_counter() - started)
        before, after = result.before, result.after
        assert before is not None and after is not None
        inputs += 1
        findings_before += len(before.findings)
        findings_after += len(after.findings)
        fixable_before += sum(f.fixable for f in before.findings)
        fixable_left += sum(f.fixable for f in after.findings)
        if not before.ready:
            not_ready += 1
            became_ready += after.ready
        if not result.changed:
            continue
        changed_inputs += 1
        edits += len(result.repairs)
        edits_by_rule.update(r.rule for r in result.repairs)
        old, new = _keys(before.findings), _keys(after.findings)
        removed.update(k[0] for k in (old - new).elements())
        for rule, path, message in (new - old).elements():
            if any(rule in UNMASKED_BY.get(fixed, ()) for fixed in result.fixed_rules):
                unmasked[rule] += 1
            else:
                introduced[rule] += 1
                examples.append(f"{entry['trace']}: {rule} {path}: {message}")
        if "pyproject.toml" in result.changed:
            pyprojects.setdefault(result.files["pyproject.toml"], entry["trace"])
        again = fix_loaded(_with_texts(loaded, result.files), source)
        not_idempotent += bool(again.repairs)
        if args.show:
            state = "ready" if after.ready else f"{after.summary.errors} errors"
            print(f"{entry['trace']}: {', '.join(result.fixed_rules)} -> {state}")

    figures = {
        "inputs": inputs,
        "not_ready_before": not_ready,
        "ready_by_fix_alone": became_ready,
        "inputs_changed": changed_inputs,
        "edits": edits,
        "edits_by_rule": dict(sorted(edits_by_rule.items())),
        "findings_before": findings_before,
        "findings_after": findings_after,
        "findings_removed": sum(removed.values()),
        "findings_removed_by_rule": dict(sorted(removed.items())),
        "fixable_findings_before": fixable_before,
        "fixable_findings_left": fixable_left,
        "findings_unmasked": dict(sorted(unmasked.items())),
        "findings_introduced": dict(sorted(introduced.items())),
        "second_fix_changed_something": not_idempotent,
        "median_fix_ms": round(statistics.median(times) * 1000, 1),
    }
    print(f"inputs: {inputs}; not ready before the fix: {not_ready}; ready by the fix alone: {became_ready}")
    print(f"inputs changed: {changed_inputs}; edits: {edits} {dict(sorted(edits_by_rule.items()))}")
    print(
        f"findings: {findings_before} before, {findings_after} after; removed {sum(removed.values())} "
        f"{dict(sorted(removed.items()))}"
    )
    print(f"fixable findings: {fixable_before} before, {fixable_left} left after the fix (target 0)")
    print(f"findings a repair unmasked (hidden before): {dict(sorted(unmasked.items()))}")
    print(f"findings a repair introduced: {dict(sorted(introduced.items()))} (target none)")
    for line in examples[:20]:
        print(f"  {line}")
    print(f"second fix changed something: {not_idempotent} inputs (target 0)")
    print(f"median fix time: {figures['median_fix_ms']} ms per input (check, repair rounds, re-check)")
    if args.uv:
        failures = _uv_lock(pyprojects)
        figures["uv_lock_repaired_pyprojects"] = {"distinct": len(pyprojects), "failed": failures}
        print(f"real uv lock over {len(pyprojects)} distinct repaired pyproject.toml: {len(failures)} failed")
        for trace, reason in failures.items():
            print(f"  {trace}: {reason}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def _uv_lock(pyprojects: dict[str, str]) -> dict[str, str]:
    """trace -> uv's last error line, for each repaired pyproject.toml uv cannot lock."""
    import os
    import shutil
    import subprocess
    import tempfile

    if shutil.which("uv") is None:
        return {"(all)": "uv not installed"}
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_CONFIG": "1"}
    env.pop("VIRTUAL_ENV", None)
    failed: dict[str, str] = {}
    for text, trace in pyprojects.items():
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "pyproject.toml").write_text(text)
            Path(tmp, "src").mkdir()
            Path(tmp, "src", "main.py").write_text("print(1)\n")
            try:
                proc = subprocess.run(
                    ["uv", "lock", "--dry-run"], cwd=tmp, capture_output=True, text=True, timeout=300, env=env
                )
            except subprocess.TimeoutExpired:
                failed[trace] = "timeout"
                continue
            if proc.returncode != 0:
                lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
                failed[trace] = f"exit {proc.returncode}: {lines[-1][:200] if lines else ''}"
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
