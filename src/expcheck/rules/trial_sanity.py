"""T107–T111 — the sanity of trial runs that finished (``expcheck check --trial``).

A run that finished is checked for finite metrics (T107), a loss that does not end above where it
started (T108), different methods not printing identical numbers (T109), outputs kept under
results_dir (T110) and some visible work at all (T111). Without ``--trial`` there is no
TrialResult and these rules yield nothing. Their examples run for real in the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from math import isfinite
from typing import TYPE_CHECKING

from expcheck.facts import Facts
from expcheck.facts.trial import (
    Place,
    entry_place,
    is_loss_trajectory_key,
    is_metric_key,
    literal_place,
    run_config_place,
    run_method,
    series_segments,
    trial_result,
    unexpected_outputs,
)
from expcheck.rules.base import Example, Hit, rule
from expcheck.rules.trial_common import RUN_A, fallback, short, stdlib, who

if TYPE_CHECKING:  # the sandbox itself is imported only when a trial runs
    from expcheck.sandbox.outcome import MetricValue, RunOutcome, TrialResult


_TWO_RUNS = (
    ("proposed-run", "run_id: proposed-run\nmethod: proposed\ntraining:\n  lr: 0.1\n"),
    ("baseline-run", "run_id: baseline-run\nmethod: baseline\ntraining:\n  lr: 0.1\n"),
)


def _finished(result: TrialResult) -> list[RunOutcome]:
    return [run for run in result.runs if run.status == "ok"]


def _metric_place(facts: Facts, run: RunOutcome, key: str) -> Place | None:
    name = key.rsplit(".", 1)[-1]
    return literal_place(facts, name) or entry_place(facts, run) or fallback(facts)


_LOSS_CODE = """\
    import json
    from pathlib import Path

    w, lr = 3.0, {lr}
    for step in range(5):
        loss = (w - 1.0) ** 2
        grad = 2 * (w - 1.0)
        w = w {op} lr * grad
        print(f"step={{step}} train_loss={{loss:.6f}}")
    out = Path(ARGS["results_dir"]) / ARGS["run"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps({{"final_loss": loss}}))"""


@rule(
    id="T107",
    name="trial-nonfinite-metric",
    criterion="R",
    severity="warning",
    confidence="inferred",
    known_limits="Reads metrics from the trial's printed output; a NaN printed for another purpose is reported.",
    title="The trial produced a NaN or infinite metric",
    why="""A NaN or infinite loss or score in a short trial means the numbers are already broken
        (division by zero, log of zero, an exploding step); the full run would report garbage.""",
    fix="Find where the value becomes non-finite (empty batches, log(0), a too-large learning rate) and guard it.",
    bad=[
        Example(
            files=stdlib(
                "    batches = []  # the trial subset came out empty\n"
                "    loss = sum(batches) / len(batches) if batches else float('nan')\n"
                "    print(f'epoch=1 train_loss={loss}')"
            ),
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 9),),
        ),
        Example(
            files=stdlib(
                "    import json\n    from pathlib import Path\n\n"
                "    out = Path(ARGS['results_dir']) / ARGS['run']\n    out.mkdir(parents=True)\n"
                "    (out / 'metrics.json').write_text(json.dumps({'val_accuracy': float('inf')}))"
            ),
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 12),),
        ),
    ],
    good=[
        Example(
            files=stdlib(
                "    best_loss = float('inf')  # a start value, replaced below\n"
                "    print(f'best_loss={best_loss}')\n"
                "    for loss in (0.9, 0.7):\n        best_loss = min(best_loss, loss)\n"
                "        print(f'epoch train_loss={loss} best_loss={best_loss}')"
            ),
            runs=RUN_A,
            trial="python",
        ),
        Example(
            files=stdlib(
                "    import statistics\n\n"
                "    accs = [0.62]  # one seed in the trial\n"
                "    std = statistics.stdev(accs) if len(accs) > 1 else float('nan')\n"
                "    print(f'mean_val_acc={statistics.mean(accs)} std_val_acc={std}')"
            ),
            runs=RUN_A,
            trial="python",
            note="the spread of a single sample is NaN by definition",
        ),
    ],
)
def trial_nonfinite(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    for run in _finished(result):
        reported = 0
        for key, values in run.printed.items():
            if not is_metric_key(key) or reported >= 3:
                continue
            bad = next((v for v in values if v.value != v.value), None)  # NaN anywhere
            if bad is None and not isfinite(values[-1].value):
                bad = values[-1]  # infinite as the last value printed (a start value is fine)
            if bad is None:
                continue
            place = _metric_place(facts, run, key)
            if place is not None:
                reported += 1
                yield Hit(
                    path=place.path,
                    line=place.line,
                    message=f"trial run `{run.label}` printed {key}={bad.value}",
                    evidence=short(bad.line, 239),
                )
        for metric in run.written:
            if isfinite(metric.value) or not is_metric_key(metric.key) or reported >= 3:
                continue
            place = _metric_place(facts, run, metric.key)
            if place is not None:
                reported += 1
                yield Hit(
                    path=place.path,
                    line=place.line,
                    message=f"trial run `{run.label}` wrote {metric.key}={metric.value} to {metric.file}",
                    evidence=f"{metric.file}: {metric.key} = {metric.value}",
                )


def _rising(values: list[MetricValue]) -> bool:
    """A clear upward trend: at least 3 values, the last third's mean more than 10 % above the first
    third's, and the last value above the first — noise around a plateau does not count."""
    if len(values) < 3:
        return False
    third = max(1, len(values) // 3)
    early = sum(v.value for v in values[:third]) / third
    late = sum(v.value for v in values[-third:]) / third
    return values[-1].value > values[0].value and late > early + max(abs(early) * 0.10, 1e-9)


@rule(
    id="T108",
    name="trial-loss-rose",
    criterion="R",
    severity="warning",
    confidence="heuristic",
    known_limits="A loss that rises over a one-epoch trial can be noise.",
    title="The trial's loss ended above where it started",
    why="""Over a handful of optimisation steps a working training loop brings the training loss down.
        A loss that ends clearly above its first value points at a sign error, a wrong target, a
        missing optimizer step or zero_grad, or a learning rate that diverges.""",
    fix="Check the update direction, optimizer.step()/zero_grad(), the loss target and the learning rate.",
    bad=[
        Example(
            files=stdlib(_LOSS_CODE.format(lr=0.1, op="+")), runs=RUN_A, trial="python", expect=(("src/main.py", 15),)
        )
    ],
    good=[
        Example(files=stdlib(_LOSS_CODE.format(lr=0.1, op="-")), runs=RUN_A, trial="python"),
        Example(
            files=stdlib(
                "    for variant, start in (('small', 1.0), ('large', 5.0)):\n"
                "        for epoch in range(1, 4):\n"
                "            print(f'variant={variant} epoch={epoch} train_loss={start / epoch:.4f}')"
            ),
            runs=RUN_A,
            trial="python",
            note="two variations in one process: each one's loss falls, the second starts higher",
        ),
        Example(
            files=stdlib(
                "    for step, loss in enumerate((2.302, 2.297, 2.311, 2.305, 2.318, 2.309)):\n"
                "        print(f'step={step} loss={loss}')  # chance level over a few batches\n"
                "    for name, final in (('a', 1.9), ('b', 2.1), ('c', 2.4)):\n"
                "        print(f'run={name} final_val_loss={final}')"
            ),
            runs=RUN_A,
            trial="python",
            note="noise around a plateau, and per-run summaries, are no trend",
        ),
    ],
)
def trial_loss_rose(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    for run in _finished(result):
        for key, values in run.printed.items():
            if not is_loss_trajectory_key(key):
                continue
            for segment in series_segments(values):
                finite = [v for v in segment if isfinite(v.value)]
                if not _rising(finite):
                    continue
                first, last = finite[0], finite[-1]
                place = _metric_place(facts, run, key)
                if place is not None:
                    yield Hit(
                        path=place.path,
                        line=place.line,
                        message=(
                            f"trial run `{run.label}`: {key} rose from {first.value:g} to {last.value:g} "
                            f"over {len(finite)} printed values"
                        ),
                        evidence=short(f"{first.line} … {last.line}", 239),
                    )
                    break


def _signature(run: RunOutcome) -> tuple[tuple[str, float], ...]:
    printed = [(k, v.value) for k, values in run.printed.items() if is_metric_key(k) for v in values]
    written = [(m.key, m.value) for m in run.written if is_metric_key(m.key)]
    return tuple(sorted([*printed, *written], key=lambda item: item[0]))


def _telling(signature: tuple[tuple[str, float], ...]) -> bool:
    """Enough numbers, one of them not a round value, to make a coincidence implausible."""
    values = [value for _, value in signature if isfinite(value)]
    return len(values) >= 3 and any(abs(value - round(value)) > 1e-9 for value in values)


_METHOD_CODE = """\
    from pathlib import Path

    text = Path("config/runs", ARGS["run"] + ".yaml").read_text()
    method = "proposed" if "method: proposed" in text else "baseline"
    w = 3.0
    lr = {lr}
    for step in range(4):
        loss = (w - 1.0) ** 2
        w -= lr * 2 * (w - 1.0)
        print(f"{{method}} step={{step}} train_loss={{loss:.6f}}")"""


@rule(
    id="T109",
    name="trial-identical-metrics",
    criterion="R",
    severity="warning",
    confidence="heuristic",
    known_limits="Identical printed metrics can be a coincidence on a tiny trial subset.",
    title="Runs of different methods printed identical metrics in the trial",
    why="""The proposed method and its baselines are different computations; identical loss and
        score values, to every printed digit, mean the method setting never reaches the code that
        trains — the comparison the experiment exists for would be void.""",
    fix="Make the code build the model, loss or optimizer from the run's method setting (cfg.method / run config).",
    bad=[
        Example(
            files=stdlib(_METHOD_CODE.format(lr="0.1")),
            runs=_TWO_RUNS,
            trial="python",
            expect=(("config/runs/baseline-run.yaml", 2),),
        )
    ],
    good=[
        Example(
            files=stdlib(_METHOD_CODE.format(lr='0.1 if method == "proposed" else 0.05')),
            runs=_TWO_RUNS,
            trial="python",
        )
    ],
)
def trial_identical(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    for one, two in combinations(_finished(result), 2):
        method_one, method_two = run_method(facts, one.run_id), run_method(facts, two.run_id)
        if method_one is None or method_two is None or method_one == method_two:
            continue
        signature = _signature(one)
        if not _telling(signature) or signature != _signature(two):
            continue
        place = run_config_place(facts, two.run_id) or entry_place(facts, two) or fallback(facts)
        if place is None:
            continue
        key, value = next((k, v) for k, v in signature if isfinite(v) and abs(v - round(v)) > 1e-9)
        yield Hit(
            path=place.path,
            line=place.line,
            message=(
                f"trial runs `{one.label}` ({method_one}) and `{two.label}` ({method_two}) printed the same "
                f"{len(signature)} metric values (e.g. {key}={value:g})"
            ),
        )


@rule(
    id="T110",
    name="trial-output-outside-results",
    criterion="R",
    severity="warning",
    confidence="certain",
    known_limits="None known: files appeared outside results_dir during the trial.",
    title="The trial wrote files outside results_dir",
    why="""The pipeline passes results_dir and collects only what lands there; files written into the
        working directory are lost on the runner or overwrite each other between runs.""",
    fix="Write every output below the results_dir the command passes (e.g. results_dir/<run_id>/).",
    bad=[
        Example(
            files=stdlib(
                "    import json\n    from pathlib import Path\n\n"
                "    Path('results.json').write_text(json.dumps({'accuracy': 0.5}))"
            ),
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 10),),
        )
    ],
    good=[
        Example(
            files=stdlib(
                "    import json\n    from pathlib import Path\n\n"
                "    out = Path(ARGS['results_dir']) / ARGS['run']\n    out.mkdir(parents=True, exist_ok=True)\n"
                "    (out / 'results.json').write_text(json.dumps({'accuracy': 0.5}))"
            ),
            runs=RUN_A,
            trial="python",
        )
    ],
)
def trial_outputs(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    seen: set[str] = set()
    for run in _finished(result):
        stray = [path for path in unexpected_outputs(facts, result, run) if path not in seen]
        if not stray:
            continue
        seen.update(stray)
        first = stray[0]
        name = first.rsplit("/", 1)[-1]
        place = literal_place(facts, name) or literal_place(facts, first.split("/", 1)[0])
        place = place or entry_place(facts, run) or fallback(facts)
        if place is None:
            continue
        more = f" and {len(stray) - 1} more" if len(stray) > 1 else ""
        yield Hit(
            path=place.path,
            line=place.line,
            message=f"trial run `{run.label}` wrote {first}{more} outside results_dir",
            evidence="wrote: " + ", ".join(stray[:5]),
        )


@rule(
    id="T111",
    name="trial-did-nothing",
    criterion="R",
    severity="warning",
    confidence="heuristic",
    known_limits="A correct trial that prints nothing and writes only to W&B (disabled) looks idle.",
    title="The trial run exited successfully without doing anything visible",
    why="""The run printed nothing and wrote no file, not even Hydra's run folder, and exited 0. An
        experiment that trains and evaluates leaves some trace; this usually means the entry point is
        never called (no `if __name__ == "__main__":` call) or the module is empty, so the pipeline
        would record a success with no results.""",
    fix="Make `python -m src.main ...` call the entry function, and let it log what it does.",
    bad=[
        Example(
            files={"src/main.py": "def main() -> None:\n    print('training')\n"},
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 2),),
            note="main() is defined but never called",
        )
    ],
    good=[Example(files=stdlib("    print('training', ARGS['run'])"), runs=RUN_A, trial="python")],
)
def trial_did_nothing(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    idle = [run for run in _finished(result) if not run.output_tail.strip() and not run.new_files]
    if not idle:
        return
    place = entry_place(facts, idle[0]) or fallback(facts)
    if place is not None:
        yield Hit(
            path=place.path,
            line=place.line,
            message=f"{who(idle)} exited 0 without printing anything or writing any file",
            evidence="(no output)",
        )
