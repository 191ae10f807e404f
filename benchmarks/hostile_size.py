"""Time and peak memory of one CLI check on inputs at the size limits (issue 18).

Targets: the whole 16 MiB input limit within 1 GiB and 30 s; memory proportional to the input
(target <= 50x its size). Each shape is judged by ``python -m expcheck check`` in its own process;
peak memory is the child's maximum resident set size. Prints one line per shape and writes
benchmarks/results/hostile_size.json.

    uv run python benchmarks/hostile_size.py [SHAPE ...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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


SHAPES: dict[str, Callable[[Path], Path]] = {
    "one 15 MiB Python file": bundle({"model_py": repeat(CODE, 15 * MIB)}),
    "Python at the parse limits (2 x 500 KiB) + 14 MiB of notes": bundle(
        {"model_py": repeat(CODE, 500 * 1024), "utils_py": repeat(CODE, 500 * 1024), "NOTES.md": "n" * 14 * MIB}
    ),
    "1,000 Python files of 15 KiB": bundle({f"src/m{i}.py": repeat(CODE, 15 * 1024) for i in range(1000)}),
    "one 15 MiB YAML config": bundle(
        {"config_yaml": READY["config_yaml"] + "x:\n" + repeat("- {a: 1, b: [1, 2]}\n", 15 * MIB)}
    ),
    "13 MiB string literal": bundle({"model_py": 'X = """' + "abc def\n" * (13 * MIB // 8) + '"""\n'}),
    "2 x 500 KiB of Python alone": bundle({"model_py": repeat(CODE, 500 * 1024), "utils_py": repeat(CODE, 500 * 1024)}),
    "repository, 150 files of 1.9 MB": directory(150, 1_900_000),
    "trace: 15 MiB of lines opening JSON objects": trace("{" * 20 + '{"a": [1, \n', 15 * MIB),
    "trace: 15 MiB of headings and run entries": trace(
        "# Experiment Runs\n- Run ID: r\n```yaml\na: 1\n```\n", 15 * MIB
    ),
}


def measure(name: str, make: Callable[[Path], Path]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="expcheck-size-") as tmp:
        source = make(Path(tmp))
        size = (
            sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
            if source.is_dir()
            else source.stat().st_size
        )
        start = time.perf_counter()
        with open(Path(tmp) / "out", "w+b") as out, open(Path(tmp) / "err", "w+b") as err:
            child = subprocess.Popen(
                [sys.executable, "-m", "expcheck", "check", str(source), "--format", "verdict"], stdout=out, stderr=err
            )
            _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the largest child's so far
            child.returncode = os.waitstatus_to_exitcode(status)
            seconds = time.perf_counter() - start
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
    peak_mib = usage.ru_maxrss / 1024
    return {
        "shape": name,
        "input_mib": round(size / MIB, 1),
        "exit": child.returncode,
        "seconds": round(seconds, 1),
        "peak_mib": round(peak_mib),
        "ratio": round(peak_mib * MIB / size, 1),
        "stderr": stderr.strip()[-200:],
    }


def main() -> int:
    chosen = [s for s in SHAPES if not sys.argv[1:] or any(a in s for a in sys.argv[1:])]
    rows = [measure(name, SHAPES[name]) for name in chosen]
    for row in rows:
        print(
            f"{row['shape']}: {row['input_mib']} MiB, exit {row['exit']}, {row['seconds']} s "
            f"(target {TARGET_S:.0f} s), peak {row['peak_mib']} MiB (target {TARGET_MIB}), "
            f"{row['ratio']}x the input (target {TARGET_RATIO}x)"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
