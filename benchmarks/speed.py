"""expcheck's cost against the floor, measured side by side in one run, as ratios (issue 19).

The floor is what any static checker of a submission must do: read the input and ``ast.parse`` every
Python file in it. Each figure below is measured interleaved with its floor, repeatedly, so that the
ratios hold on a shared, loaded machine even when the absolute times drift. Every ratio is given twice:
on wall-clock time, and on CPU time (the process's own plus its children's: ruff, a CLI call's
interpreter), which a machine shared with other work disturbs less.

- cli: one ``expcheck check`` call on the shipped ready example (interpreter start-up included, the
  environment as it is, e.g. PYTHONDONTWRITEBYTECODE) vs a fresh interpreter that reads the bundle
  and parses its Python files. Target <= 10x.
- batch: warm, in one process, over the development corpus: median check time per trace vs the
  median floor per trace (read the trace file, parse its Python files). Target <= 4x.
- runs: the ready example with 128 experiment runs vs the same with 2 runs (check time). Target <= 4x.
- code size: the ready example with its training module grown by copies of its functions; time per
  Python line at each size (linear: the per-line time stays flat or falls).

    uv run python benchmarks/speed.py [--repeat 5] [--quick]

Writes benchmarks/results/speed.json.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "speed.json"
BUNDLE = ROOT / "examples" / "ready_bundle.json"
CONTEXT = ROOT / "examples" / "ready_context.yaml"
TARGETS = {"cli_vs_floor": 10.0, "batch_median_vs_floor": 4.0, "runs_128_vs_2": 4.0}

# The floor in a fresh interpreter: read the bundle (and the context), parse every Python file.
_FLOOR_SCRIPT = """
import ast, json, sys
files = json.loads(open(sys.argv[1], encoding="utf-8").read())
open(sys.argv[2], encoding="utf-8").read()
for key, text in files.items():
    if key.endswith("_py") or key.endswith(".py"):
        ast.parse(text)
"""


def _script() -> str:
    """The installed console script, run as ``uv run expcheck`` runs it."""
    script = Path(sys.executable).with_name("expcheck")
    return str(script) if script.exists() else ""


def _now() -> tuple[float, float]:
    """(wall-clock, CPU) seconds; CPU counts this process and its finished children (ruff, a CLI call)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), time.process_time() + children.ru_utime + children.ru_stime


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _now()
    return wall - start[0], cpu - start[1]


def _timed(command: list[str]) -> tuple[float, float]:
    start = _now()
    subprocess.run(command, capture_output=True, check=False)
    return _since(start)


def _ratio(a: tuple[float, float], b: tuple[float, float]) -> dict[str, float]:
    return {"wall": round(a[0] / b[0], 2), "cpu": round(a[1] / b[1], 2)}


def _median2(values: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)


def _min2(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return min(a[0], b[0]), min(a[1], b[1])


_INF = (float("inf"), float("inf"))


def bench_cli(repeat: int) -> dict[str, object]:
    script = _script()
    check = [script, "check", str(BUNDLE), "--context", str(CONTEXT), "-f", "verdict"]
    floor = [sys.executable, "-c", _FLOOR_SCRIPT, str(BUNDLE), str(CONTEXT)]
    bare = [sys.executable, "-c", "pass"]
    deps = [sys.executable, "-c", _DEPS_SCRIPT, str(ROOT / "src" / "expcheck" / "facts" / "hydra_import.py")]
    loaded = [sys.executable, "-c", _LOADED_SCRIPT]
    _timed(check)
    times: dict[str, list[tuple[float, float]]] = {"check": [], "floor": [], "bare": [], "deps": [], "loaded": []}
    for _ in range(repeat * 2):
        times["check"].append(_timed(check))
        times["floor"].append(_timed(floor))
        times["bare"].append(_timed(bare))
        times["deps"].append(_timed(deps))
        times["loaded"].append(_timed(loaded))
    med = {k: _median2(v) for k, v in times.items()}
    return {
        "stale_bytecode_modules": _stale_bytecode(),
        # Whether the compiled code of the dataclasses' generated methods is stored (expcheck.gencode).
        "dataclass_methods_cached": _dataclass_methods_cached(),
        # Whether the compiled regular expressions and the built-in profiles' data are stored too (same command).
        "patterns_and_profiles_stored": _patterns_and_profiles_stored(),
        # The libraries every such call imports (PyYAML, packaging's requirement parser, Hydra's compose
        # modules with omegaconf and antlr4, imported as expcheck imports them), alone: the part of a call
        # expcheck cannot shorten while it uses them.
        "dependency_imports_ms": {"wall": round(med["deps"][0] * 1000, 1), "cpu": round(med["deps"][1] * 1000, 1)},
        # Those plus expcheck itself, as a call has them before judging (the batch parent's preload: rules,
        # Hydra's override parser, the built-in profiles); the rest of a call is judging and reporting.
        "imports_and_preload_ms": {
            "wall": round(med["loaded"][0] * 1000, 1),
            "cpu": round(med["loaded"][1] * 1000, 1),
        },
        "dependency_imports_vs_floor": _ratio(med["deps"], med["floor"]),
        "check_ms": {"wall": round(med["check"][0] * 1000, 1), "cpu": round(med["check"][1] * 1000, 1)},
        "floor_ms": {"wall": round(med["floor"][0] * 1000, 1), "cpu": round(med["floor"][1] * 1000, 1)},
        "python_startup_ms": {"wall": round(med["bare"][0] * 1000, 1), "cpu": round(med["bare"][1] * 1000, 1)},
        "ratio": _ratio(med["check"], med["floor"]),
        "pythondontwritebytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
    }


_DEPS_SCRIPT = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("hydra_import", sys.argv[1])  # without importing expcheck
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.prepare()
import yaml, packaging.requirements
import hydra._internal.config_loader_impl, hydra._internal.defaults_list, hydra._internal.sources_registry
import hydra.core.override_parser.overrides_parser, hydra._internal.core_plugins.file_config_source
import hydra._internal.core_plugins.importlib_resources_config_source
import hydra._internal.core_plugins.structured_config_source
"""

_LOADED_SCRIPT = """
import expcheck.cli, expcheck.batch
expcheck.batch.preload()
"""


def _stale_bytecode() -> int:
    """expcheck modules whose bytecode is missing or older than the source (recompiled on every call where
    PYTHONDONTWRITEBYTECODE is set; ``uv sync --reinstall-package expcheck`` compiles them again)."""
    import importlib.util

    stale = 0
    for source in (ROOT / "src" / "expcheck").rglob("*.py"):
        cached = Path(importlib.util.cache_from_source(str(source)))
        stale += not cached.exists() or cached.stat().st_mtime < source.stat().st_mtime
    return stale


def _dataclass_methods_cached() -> bool:
    from expcheck.gencode import _SUPPORTED, cache_file

    return not _SUPPORTED or cache_file().is_file()


def _patterns_and_profiles_stored() -> bool:
    from expcheck import patterncode, profiledata

    patterns = not patterncode._SUPPORTED or patterncode.cache_file().is_file()
    return patterns and profiledata.cache_file().is_file()


def _floor_in_process(path: str, python_texts: list[str]) -> tuple[float, float]:
    import ast

    start = _now()
    Path(path).read_bytes().decode("utf-8", errors="replace")
    for text in python_texts:
        with contextlib.suppress(SyntaxError, ValueError):
            ast.parse(text)
    return _since(start)


def _python_texts(path: str) -> list[str]:
    from expcheck.errors import InputError
    from expcheck.inputs import read_submission

    try:
        files = read_submission(path).files
    except InputError:
        return []
    return [f.text for p, f in files.items() if p.endswith(".py") and f.unreadable is None]


def bench_batch(repeat: int, limit: int | None) -> dict[str, object] | None:
    index = CORPUS / "index.jsonl"
    if not index.is_file():
        return None
    from expcheck import check
    from expcheck.facts.compose import forget_parsed_overrides

    paths = [str(CORPUS / json.loads(line)["trace"]) for line in index.read_text().splitlines() if line.strip()]
    paths = paths[:limit] if limit else paths
    texts = {p: _python_texts(p) for p in paths}
    check(paths[0])  # imports and caches warm, as in a long batch
    best_check = [_INF] * len(paths)
    best_floor = [_INF] * len(paths)
    for _ in range(repeat):
        for i, path in enumerate(paths):
            best_floor[i] = _min2(best_floor[i], _floor_in_process(path, texts[path]))
            forget_parsed_overrides()  # a repeated trace must not find its own run ids parsed already
            start = _now()
            check(path)
            best_check[i] = _min2(best_check[i], _since(start))
    med_check, med_floor = _median2(best_check), _median2(best_floor)
    lines = sum(sum(t.count("\n") + 1 for t in texts[p]) for p in paths)
    return {
        "traces": len(paths),
        "check_median_ms": {"wall": round(med_check[0] * 1000, 2), "cpu": round(med_check[1] * 1000, 2)},
        "floor_median_ms": {"wall": round(med_floor[0] * 1000, 3), "cpu": round(med_floor[1] * 1000, 3)},
        "ratio": _ratio(med_check, med_floor),
        "check_us_per_python_line": round(sum(c[0] for c in best_check) / lines * 1e6, 1),
        "floor_us_per_python_line": round(sum(f[0] for f in best_floor) / lines * 1e6, 2),
    }


def _bundle() -> dict[str, str]:
    data = json.loads(BUNDLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


METHODS = ("proposed", "comparative-1", "comparative-2", "comparative-3")


def _context(count: int, salt: int = 0) -> dict[str, object]:
    """The ready example's research context with ``count`` runs of four methods, each run its own settings.

    Each ``salt`` names the runs differently, so that no repetition finds a run id parsed before (in a
    batch, every submission brings its own ids).
    """
    base = yaml.safe_load(CONTEXT.read_text(encoding="utf-8"))
    runs = []
    for i in range(count):
        method = METHODS[i % len(METHODS)]
        run_id = f"{method}-mlp-mnist-{i}-{salt}"
        config = {
            "run_id": run_id,
            "method": method,
            "model": {"name": "mlp", "inputs": 784, "hidden": 64 + 32 * (i % 8), "input_dropout": 0.1 * (i % 4)},
            "dataset": {"name": "ylecun/mnist", "train_split": "train", "test_split": "test", "image_key": "image",
                        "label_key": "label"},
            "training": {"epochs": 10, "batch_size": 128, "learning_rate": 0.001 * (1 + i % 5)},
            "evaluation": {"max_samples": None},
            "optuna": {"n_trials": 20, "direction": "maximize",
                       "search_space": {"learning_rate": {"type": "loguniform", "low": 1e-4, "high": 1e-2}}},
        }
        text = yaml.dump(config, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)
        runs.append({"run_id": run_id, "method": method, "model": "mlp", "dataset": "mnist", "config_yaml": text})
    return {**base, "experiment_runs": runs}


def _settings_only() -> dict[str, str]:
    """The ready bundle with no method dispatch: the methods differ only by the settings the model reads.

    Every pair of runs of different methods is then a pair a method rule must compare (the worst case for
    a rule that is quadratic in runs).
    """
    bundle = _bundle()
    model = bundle["model_py"]
    start = model.index("    if method ==")
    bundle["model_py"] = (
        model[:start] + "    return MLP(model.inputs, model.hidden, num_classes, input_dropout=model.input_dropout)\n"
    ).replace("def build_model(method: str, ", "def build_model(")
    bundle["train_py"] = bundle["train_py"].replace("build_model(run.method, ", "build_model(")
    return bundle


_DEF = re.compile(r"^def (\w+)\(", re.M)


def _grown(copies: int) -> dict[str, str]:
    """The ready bundle with ``copies`` renamed copies of the training module's functions appended to it."""
    bundle = _bundle()
    train = bundle["train_py"]
    body = train.split("\n\n\n", 1)[1].split('\nif __name__ == "__main__":')[0]
    extra = [_DEF.sub(lambda m, j=j: f"def {m.group(1)}_{j}(", body) for j in range(copies)]
    head, tail = train.split('\nif __name__ == "__main__":')
    bundle["train_py"] = head + "\n\n" + "\n\n".join(extra) + '\nif __name__ == "__main__":' + tail
    return bundle


_SALT = iter(range(1, 1 << 30))


def _best_check(
    files: dict[str, str], context: Callable[[int], dict[str, object]], repeat: int, tmp: Path
) -> tuple[tuple[float, float], int]:
    """Best (wall, CPU) of ``repeat`` checks of ``files``, each with a fresh ``context(salt)``, after one
    untimed check; and the number of Python lines."""
    from expcheck import check

    bundle_path, context_path = tmp / "bundle.json", tmp / "context.json"
    bundle_path.write_text(json.dumps(files), encoding="utf-8")
    best = _INF
    for attempt in range(repeat + 1):
        context_path.write_text(json.dumps(context(next(_SALT))), encoding="utf-8")
        start = _now()
        report = check(str(bundle_path), context=str(context_path))
        if attempt:
            best = _min2(best, _since(start))
        assert report.error is None, report.error
    lines = sum(t.count("\n") + 1 for k, t in files.items() if k.endswith("_py"))
    return best, lines


def _interleaved(
    cases: dict[str, Callable[[], tuple[tuple[float, float], int]]], rounds: int
) -> dict[str, tuple[tuple[float, float], int]]:
    """Best times per case, the cases measured in turn, ``rounds`` times (drift hits every case alike)."""
    best: dict[str, tuple[tuple[float, float], int]] = {}
    for _ in range(rounds):
        for name, measure in cases.items():
            times, lines = measure()
            best[name] = (_min2(best[name][0], times) if name in best else times, lines)
    return best


def bench_runs(repeat: int, tmp: Path) -> dict[str, object]:
    counts = (2, 8, 32, 128)
    files = _settings_only()
    cases = {str(n): (lambda n=n: _best_check(files, lambda salt: _context(n, salt), repeat, tmp)) for n in counts}
    best = _interleaved(cases, 2)
    return {
        "check_ms_by_runs": {
            n: {"wall": round(best[str(n)][0][0] * 1000, 1), "cpu": round(best[str(n)][0][1] * 1000, 1)} for n in counts
        },
        "ratio_128_vs_2": _ratio(best["128"][0], best["2"][0]),
    }


def bench_code_size(repeat: int, tmp: Path) -> dict[str, object]:
    copies = (0, 8, 32, 128)
    cases = {str(c): (lambda c=c: _best_check(_grown(c), lambda salt: _context(2, salt), repeat, tmp)) for c in copies}
    best = _interleaved(cases, 2)
    out: dict[str, dict[str, float]] = {}
    for c in copies:
        (wall, cpu), lines = best[str(c)]
        out[str(lines)] = {
            "check_ms": round(wall * 1000, 1),
            "us_per_line": round(wall / lines * 1e6, 1),
            "cpu_us_per_line": round(cpu / lines * 1e6, 1),
        }
    largest, smallest = max(out, key=int), min(out, key=int)
    # The time one more line costs (added time over added lines), against the floor's ~5-10 us per line.
    marginal = (out[largest]["check_ms"] - out[smallest]["check_ms"]) / (int(largest) - int(smallest)) * 1000
    return {
        "by_python_lines": out,
        "us_per_line_largest_vs_smallest": {
            "wall": round(out[largest]["us_per_line"] / out[smallest]["us_per_line"], 2),
            "cpu": round(out[largest]["cpu_us_per_line"] / out[smallest]["cpu_us_per_line"], 2),
        },
        "marginal_us_per_added_line": round(marginal, 1),
    }


def _both(pair: object, unit: str = "") -> str:
    """``wall`` and ``cpu`` figures as "W (cpu C)"."""
    assert isinstance(pair, dict)
    return f"{pair['wall']}{unit} (cpu {pair['cpu']}{unit})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per measurement (best or median kept)")
    parser.add_argument("--quick", action="store_true", help="first 40 corpus traces, fewer repetitions")
    parser.add_argument("--only", choices=("cli", "batch", "runs", "size"), action="append", help="measure only these")
    args = parser.parse_args()
    repeat = 2 if args.quick else args.repeat
    if not _script():
        print("expcheck console script not found beside this interpreter; run with `uv run`")
        return 2
    parts = set(args.only or ("cli", "batch", "runs", "size"))
    gc.collect()
    result: dict[str, object] = {"targets": TARGETS, "load_average": os.getloadavg()[0]}
    if "cli" in parts:
        result["cli"] = cli = bench_cli(repeat)
        print(
            f"one CLI call: {_both(cli['check_ms'])} ms vs floor {_both(cli['floor_ms'])} ms "
            f"(bare interpreter {_both(cli['python_startup_ms'])} ms): {_both(cli['ratio'], 'x')} (target <= 10x); "
            f"importing PyYAML, packaging and Hydra's compose modules alone: {_both(cli['dependency_imports_ms'])} ms "
            f"({_both(cli['dependency_imports_vs_floor'], 'x')} the floor); with expcheck imported and preloaded: "
            f"{_both(cli['imports_and_preload_ms'])} ms"
        )
        if cli["stale_bytecode_modules"]:
            print(f"  ({cli['stale_bytecode_modules']} expcheck modules without current bytecode: reinstall first)")
        if not cli["dataclass_methods_cached"]:
            print("  (no stored code of the dataclasses' methods: `uv run python -m expcheck.gencode` first)")
    if "batch" in parts:
        result["batch"] = batch = bench_batch(repeat, 40 if args.quick else None)
        if batch is None:
            print(f"batch: corpus not found at {CORPUS}; skipped")
        else:
            print(
                f"warm batch over {batch['traces']} traces: median {_both(batch['check_median_ms'])} ms vs floor "
                f"{_both(batch['floor_median_ms'])} ms: {_both(batch['ratio'], 'x')} (target <= 4x); per Python line "
                f"{batch['check_us_per_python_line']} us vs {batch['floor_us_per_python_line']} us to parse it"
            )
    with tempfile.TemporaryDirectory(prefix="expcheck-speed-") as tmp:
        if "runs" in parts:
            result["runs"] = runs = bench_runs(repeat, Path(tmp))
            times = runs["check_ms_by_runs"]
            assert isinstance(times, dict)
            print(
                "runs: "
                + ", ".join(f"{n} runs {_both(ms)} ms" for n, ms in times.items())
                + f": 128 vs 2 runs {_both(runs['ratio_128_vs_2'], 'x')} (target <= 4x)"
            )
        if "size" in parts:
            result["code_size"] = size = bench_code_size(repeat, Path(tmp))
            by_lines = size["by_python_lines"]
            assert isinstance(by_lines, dict)
            print(
                "code size: "
                + ", ".join(f"{n} lines {v['check_ms']} ms ({v['us_per_line']} us/line)" for n, v in by_lines.items())
                + f"; per-line time largest vs smallest {_both(size['us_per_line_largest_vs_smallest'], 'x')}, "
                f"{size['marginal_us_per_added_line']} us per added line"
            )
    if args.only or args.quick:
        return 0  # partial or quick figures are not the record
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
