"""Time and peak memory of one CLI check on inputs at the size limits (issue 18).

Targets: the whole 16 MiB input limit within 1 GiB and 30 s; memory proportional to the input
(target <= 50x its size). Each shape is judged by ``python -m expcheck check`` in its own process;
peak memory is the maximum resident set size of that process and the workers it forks. The process
alone (interpreter, libraries, the ready example bundle) is measured first as the baseline, so each
shape reports its peak absolute and above the baseline, and ``ratio`` is the memory above the
baseline per byte of input above the baseline's input: the part the input itself costs. Prints one
line per shape and writes benchmarks/results/hostile_size.json.

    uv run python benchmarks/hostile_size.py [SHAPE ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from expcheck.inputs.limits import MAX_JUDGED_FILE_BYTES, MAX_JUDGED_TOTAL_BYTES

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "hostile_size.json"
READY: dict[str, str] = json.loads((ROOT / "examples" / "ready_bundle.json").read_text())
CODE = READY["train_py"].replace("from __future__ import annotations\n", "")
MIB = 1024 * 1024
TARGET_S, TARGET_MIB, TARGET_RATIO = 30.0, 1024, 50


def repeat(text: str, size: int) -> str:
    return text * max(1, size // len(text))


def bundle(files: dict[str, str]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "input.json"
        path.write_text(json.dumps({**READY, **files}))
        return path

    return write


def directory(count: int, size: int) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        repo = folder / "repo"
        for key, text in READY.items():
            rel = {"config_yaml": "config/config.yaml", "pyproject_toml": "pyproject.toml"}.get(key)
            target = repo / (rel or f"src/{key.removesuffix('_py')}.py")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        (repo / "data").mkdir()
        for i in range(count):
            (repo / "data" / f"part{i}.py").write_text(repeat(CODE, size))
        return repo

    return write


def trace(filler: str, size: int) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "trace.txt"
        head = "LLM Name: x\nInput:\n# Instructions\nReview.\n"
        path.write_text(head + repeat(filler, size) + "\n# Current Experiment (To be validated)\n" + json.dumps(READY))
        return path

    return write


BASELINE = "baseline: the ready example bundle"
# Two files that together fill the submission's parse budget (beside the ready bundle's own files).
HALF = min(MAX_JUDGED_FILE_BYTES, MAX_JUDGED_TOTAL_BYTES // 2) - 8192
# Each kind of generated file repeated up to the size expcheck parses in one file (different code
# exercises different facts: a fact that is quadratic in the number of writes, loops or definitions
# shows here first).
AT_FILE_BUDGET = {
    f"{key.removesuffix('_py')}.py repeated to {MAX_JUDGED_FILE_BYTES // 1024} KiB": bundle(
        {key: repeat(READY[key].replace("from __future__ import annotations\n", ""), MAX_JUDGED_FILE_BYTES - 4096)}
    )
    for key in ("train_py", "evaluate_py", "main_py", "preprocess_py", "model_py")
}
SHAPES: dict[str, Callable[[Path], Path]] = {
    BASELINE: bundle({}),
    "one 15 MiB Python file": bundle({"model_py": repeat(CODE, 15 * MIB)}),
    f"Python at the parse budget (2 x {HALF // 1024} KiB) + 14 MiB of notes": bundle(
        {"model_py": repeat(CODE, HALF), "utils_py": repeat(CODE, HALF), "NOTES.md": "n" * 14 * MIB}
    ),
    "1,000 Python files of 15 KiB": bundle({f"src/m{i}.py": repeat(CODE, 15 * 1024) for i in range(1000)}),
    "one 15 MiB YAML config": bundle(
        {"config_yaml": READY["config_yaml"] + "x:\n" + repeat("- {a: 1, b: [1, 2]}\n", 15 * MIB)}
    ),
    "13 MiB string literal": bundle({"model_py": 'X = """' + "abc def\n" * (13 * MIB // 8) + '"""\n'}),
    f"Python alone at the parse budget (2 x {HALF // 1024} KiB)": bundle(
        {"model_py": repeat(CODE, HALF), "utils_py": repeat(CODE, HALF)}
    ),
    **AT_FILE_BUDGET,
    "main.py and evaluate.py repeated to the whole parse budget": bundle(
        {
            key: repeat(READY[key].replace("from __future__ import annotations\n", ""), HALF)
            for key in ("main_py", "evaluate_py")
        }
    ),
    "repository, 150 files of 1.9 MB": directory(150, 1_900_000),
    "trace: 15 MiB of lines opening JSON objects": trace("{" * 20 + '{"a": [1, \n', 15 * MIB),
    "trace: 15 MiB of headings and run entries": trace(
        "# Experiment Runs\n- Run ID: r\n```yaml\na: 1\n```\n", 15 * MIB
    ),
}


# A child's peak RSS (ru_maxrss) starts at the RSS of the process it was forked from: exec records
# the forked copy's high-water mark. This benchmark imports expcheck and holds the inputs it builds,
# so the check is started by a small launcher (a bare interpreter) that reports the check's own peak,
# that of the workers it forks included (Linux counts reaped descendants in wait4's figure).
_LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"exit": os.waitstatus_to_exitcode(status), "maxrss_kib": usage.ru_maxrss}, out)
"""


def measure(name: str, make: Callable[[Path], Path]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="expcheck-size-") as tmp:
        source = make(Path(tmp))
        size = (
            sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
            if source.is_dir()
            else source.stat().st_size
        )
        report = Path(tmp) / "usage.json"
        command = [sys.executable, "-m", "expcheck", "check", str(source), "--format", "verdict"]
        start = time.perf_counter()
        with open(Path(tmp) / "out", "w+b") as out, open(Path(tmp) / "err", "w+b") as err:
            subprocess.run(
                [sys.executable, "-c", _LAUNCHER, str(report), *command], stdout=out, stderr=err, check=False
            )
            seconds = time.perf_counter() - start
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
        usage = json.loads(report.read_text())
    return {
        "shape": name,
        "input_bytes": size,
        "input_mib": round(size / MIB, 2),
        "exit": usage["exit"],
        "seconds": round(seconds, 1),
        "peak_kib": usage["maxrss_kib"],
        "peak_mib": round(usage["maxrss_kib"] / 1024),
        "stderr": stderr.strip()[-200:],
    }


def attribute(row: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its peak above the baseline's and that excess per byte of input above the baseline's."""
    above_kib = max(row["peak_kib"] - base["peak_kib"], 0)
    extra = row["input_bytes"] - base["input_bytes"]
    ratio = round(above_kib * 1024 / extra, 1) if extra > 0 else None
    return {**row, "above_baseline_mib": round(above_kib / 1024), "ratio": ratio}


def main() -> int:
    chosen = [s for s in SHAPES if s != BASELINE and (not sys.argv[1:] or any(a in s for a in sys.argv[1:]))]
    base = measure(BASELINE, SHAPES[BASELINE])
    rows = [attribute(measure(name, SHAPES[name]), base) for name in chosen]
    print(
        f"{BASELINE}: {base['input_bytes']:,} bytes, exit {base['exit']}, {base['seconds']} s, "
        f"peak {base['peak_mib']} MiB (the process's own)"
    )
    for row in rows:
        print(
            f"{row['shape']}: {row['input_mib']} MiB, exit {row['exit']}, {row['seconds']} s "
            f"(target {TARGET_S:.0f} s), peak {row['peak_mib']} MiB (target {TARGET_MIB}), "
            f"{row['above_baseline_mib']} MiB above the baseline = {row['ratio']}x the input (target {TARGET_RATIO}x)"
        )
    rows.insert(0, {**base, "above_baseline_mib": 0, "ratio": None})
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
