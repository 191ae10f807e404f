"""T1xx — what the trial run showed (``expcheck check --trial``).

These rules judge the TrialResult the sandbox attached to the facts; without ``--trial`` there is
none and they yield nothing. A failed run becomes exactly one finding kind (crash, network,
missing module, timeout, exit without traceback); runs that fail the same way at the same line are
reported once, naming every run. A run that finished is checked for sanity: finite metrics, a loss
that does not end above where it started, different methods not printing identical numbers, and
outputs kept under results_dir. Their examples run for real in the sandbox (Example.trial).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import combinations
from math import isfinite
from typing import TYPE_CHECKING

from expcheck.facts import Facts
from expcheck.facts.trial import (
    Place,
    crash_place,
    ending,
    entry_place,
    evidence_tail,
    frame_place,
    is_loss_trajectory_key,
    is_metric_key,
    is_network_failure,
    literal_place,
    missing_module,
    run_config_place,
    run_method,
    series_segments,
    trial_result,
    unexpected_outputs,
)
from expcheck.rules.base import Example, Hit, rule

if TYPE_CHECKING:  # the sandbox itself is imported only when a trial runs
    from expcheck.sandbox.outcome import MetricValue, RunOutcome, TrialResult

MAX_MESSAGE = 200

# --- example repositories (small, CPU, stdlib or Hydra only, seconds) -----------------------------

_ARGS = 'import sys\n\nARGS = dict(arg.split("=", 1) for arg in sys.argv[1:])\n'
_RUN_A = (("run-a", "run_id: run-a\nmethod: proposed\ntraining:\n  epochs: 2\n"),)
_TWO_RUNS = (
    ("proposed-run", "run_id: proposed-run\nmethod: proposed\ntraining:\n  lr: 0.1\n"),
    ("baseline-run", "run_id: baseline-run\nmethod: baseline\ntraining:\n  lr: 0.1\n"),
)
_PYPROJECT_OK = '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n'


def _stdlib(body: str) -> dict[str, str]:
    """A src/main.py that reads the key=value overrides and runs ``body`` (already indented)."""
    return {"src/main.py": f"{_ARGS}\n\ndef main() -> None:\n{body}\n\nif __name__ == '__main__':\n    main()\n"}


_HYDRA_MAIN = """\
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

ROOT = Path(__file__).resolve().parents[1]


@hydra.main(config_path="../config", config_name="config", version_base=None)
def main(cfg: DictConfig) -> None:
    run = OmegaConf.load(ROOT / "config" / "runs" / f"{cfg.run}.yaml")
    epochs = 1 if cfg.mode == "trial" else run.training.epochs
    print(f"run {cfg.run}: {run.method} for {epochs} epoch(s), lr={run.training.lr}")


if __name__ == "__main__":
    main()
"""
_HYDRA_CONFIG = "run: ???\nresults_dir: results\nmode: full\n"


def _who(runs: list[RunOutcome]) -> str:
    labels = [f"`{run.label}`" for run in runs]
    if len(labels) == 1:
        return f"trial run {labels[0]}"
    return f"trial runs {', '.join(labels)}"


def _short(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fallback(facts: Facts) -> Place | None:
    py = sorted(path for path in facts.files if path.endswith(".py"))
    return Place(path=py[0], line=1) if py else None


def _grouped(
    facts: Facts, result: TrialResult, kind: str, place_of: Callable[[Facts, RunOutcome], Place | None]
) -> Iterator[tuple[Place, list[RunOutcome]]]:
    """The runs that ended as ``kind``, grouped by the place they point at and their exception."""
    groups: dict[tuple[str, int | None, str, str], tuple[Place, list[RunOutcome]]] = {}
    for run in result.runs:
        if ending(facts, result, run) != kind:
            continue
        place = place_of(facts, run) or _fallback(facts)
        if place is None:
            continue
        crash = run.crash
        # A message that names the run (a failed child's command line) still groups with the others.
        message = crash.message.replace(run.label, "<run>") if crash else ""
        key = (place.path, place.line, crash.exc_type if crash else "", message)
        groups.setdefault(key, (place, []))[1].append(run)
    yield from groups.values()


def _in(place: Place) -> str:
    """`` in train_epoch()`` for a frame inside a function, else ""."""
    return f" in {place.function}()" if place.function and not place.function.startswith("<") else ""


def _reproduce(run: RunOutcome) -> str:
    return "Reproduce with `" + " ".join(run.command) + "` in the repository"


# --- T101 -------------------------------------------------------------------------------------------


@rule(
    id="T101",
    name="trial-environment-not-built",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: uv itself failed to build the environment in the sandbox.",
    title="uv could not build the environment from pyproject.toml",
    why="""The pipeline starts every command with `uv run`, which first builds the environment from
        pyproject.toml. The trial ran `uv sync` on the submission and uv refused: the project cannot be
        parsed, resolved or built, so not one command of the experiment can start.""",
    fix="Correct pyproject.toml as uv's message says; `uv sync` in the repository must succeed.",
    bad=[
        Example(
            files={**_stdlib("    print('ok')"), "pyproject.toml": _PYPROJECT_OK.replace("[]", '["numpy"')},
            runs=_RUN_A,
            trial="uv",
            note="the dependency list is never closed",
        ),
        Example(
            files={**_stdlib("    print('ok')"), "pyproject.toml": _PYPROJECT_OK.replace("[]", '"torch>=2.0"')},
            runs=_RUN_A,
            trial="uv",
            note="dependencies is a string, not a list",
        ),
    ],
    good=[Example(files={**_stdlib("    print('ok')"), "pyproject.toml": _PYPROJECT_OK}, runs=_RUN_A, trial="uv")],
)
def environment_not_built(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    problem = result.env_problem if result is not None else None
    if problem is None or problem.blame != "submission":
        return
    file = facts.files.get("pyproject.toml")
    if file is None:
        if "pyproject.toml" in facts.profile.required_files:
            yield Hit(path="pyproject.toml", line=None, message=f"uv sync failed: {_short(problem.summary)}")
        return
    line = problem.toml_line if problem.toml_line and 1 <= problem.toml_line <= len(file.lines) else 1
    yield Hit(
        path="pyproject.toml",
        line=line,
        message=f"uv sync failed in the trial: {_short(problem.summary)}",
        evidence=evidence_tail(problem.output_tail) or None,
    )


# --- T102 -------------------------------------------------------------------------------------------


@rule(
    id="T102",
    name="trial-crash",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="""The crash happened in the sandbox; a crash caused only by the sandbox's limits (no network, no GPU) is reported by T104 where recognised.""",
    title="The trial run crashed with a Python exception",
    why="""The trial ran the pipeline's own command in trial mode and it died with a traceback. This
        is not a prediction: the full run will stop at the same line before any result exists.""",
    fix="Fix the cause at the reported line (the evidence ends with the exception), then rerun the trial.",
    bad=[
        Example(
            files={"src/main.py": _HYDRA_MAIN, "config/config.yaml": _HYDRA_CONFIG},
            runs=_RUN_A,
            trial="python",
            note="the run config has no training.lr, which main.py reads",
        ),
        Example(
            files={
                **_stdlib("    from src.train import train\n\n    train(ARGS['run'], 4)"),
                "src/train.py": "def train(run_id: str) -> None:\n    print('training', run_id)\n",
            },
            runs=_RUN_A,
            trial="python",
            note="main.py calls train() with an argument it does not take",
        ),
    ],
    good=[
        Example(
            files={"src/main.py": _HYDRA_MAIN, "config/config.yaml": _HYDRA_CONFIG},
            runs=(("run-a", "run_id: run-a\nmethod: proposed\ntraining:\n  epochs: 2\n  lr: 0.01\n"),),
            trial="python",
        ),
        Example(
            files={
                **_stdlib("    from src.train import train\n\n    train(ARGS['run'])"),
                "src/train.py": "def train(run_id: str) -> None:\n    print('training', run_id)\n",
            },
            runs=_RUN_A,
            trial="python",
        ),
    ],
)
def trial_crash(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    for place, runs in _grouped(facts, result, "crash", crash_place):
        crash = runs[0].crash
        if crash is None:  # these endings always carry one (see facts.trial.ending)
            continue
        fix = None
        module = missing_module(crash)
        if module is not None and module.split(".", 1)[0] != "src":
            fix = (
                f"Declare the distribution that provides `{module.split('.', 1)[0]}` in [project] dependencies "
                "of pyproject.toml, or remove the import."
            )
        said = f"; the child process printed: {_short(runs[0].child_error, 160)}" if runs[0].child_error else ""
        yield Hit(
            path=place.path,
            line=place.line,
            message=f"{_who(runs)} crashed{_in(place)}: {_short(f'{crash.short_type}: {crash.message}')}{said}",
            evidence=evidence_tail(runs[0].output_tail),
            fix=fix or f"Fix the cause at this line (the evidence ends with the exception). {_reproduce(runs[0])}.",
        )


# --- T103 -------------------------------------------------------------------------------------------


@rule(
    id="T103",
    name="trial-timeout",
    criterion="C9",
    severity="error",
    confidence="certain",
    known_limits="The time limit of the sandbox may be shorter than a slow but correct trial needs.",
    title="The trial run did not finish within the time limit",
    why="""Trial mode exists to prove in minutes that a run works end to end (one epoch, a batch or
        two, no hyper-parameter search). A trial that outlives the limit either hangs or does not
        shrink the work, and the pipeline's own trial gate would stop it the same way.""",
    fix="""Make trial mode small (one epoch, 1-2 batches, a small evaluation subset, zero Optuna trials),
        and remove waits that can block forever.""",
    bad=[
        Example(
            files=_stdlib(
                "    import time\n    from pathlib import Path\n\n"
                "    while not Path('data/ready.flag').exists():  # nothing ever creates it\n"
                "        time.sleep(0.05)"
            ),
            runs=_RUN_A,
            trial="python",
        )
    ],
    good=[Example(files=_stdlib("    print('epoch 1 done')"), runs=_RUN_A, trial="python")],
)
def trial_timeout(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    for place, runs in _grouped(facts, result, "timeout", crash_place):
        stopped = runs[0].crash is not None and runs[0].crash.deepest(facts.files) is not None
        where = f"; it was at this line{_in(place)} when stopped" if stopped else ""
        yield Hit(
            path=place.path,
            line=place.line,
            message=f"{_who(runs)} did not finish within {result.timeout:g} s{where}",
            evidence=evidence_tail(runs[0].output_tail) or None,
        )


# --- T104 -------------------------------------------------------------------------------------------


@rule(
    id="T104",
    name="trial-network-blocked",
    criterion="R",
    severity="warning",
    confidence="inferred",
    known_limits="""Recognises network errors in the traceback; a network failure with an unfamiliar message is reported as a crash.""",
    title="The trial stopped where the run reaches for the network",
    why="""The trial runs with the network off by default, so it ends where the code first downloads
        or connects — typically a dataset or a pretrained model. The pipeline's runners have network
        access, so this is not a defect by itself, but nothing after this line was tested.""",
    fix="""Rerun with `--trial --network` to test beyond this point, or let the code use files already
        in `.cache/` (HF_HOME) when they are present.""",
    bad=[
        Example(
            files=_stdlib(
                "    import socket\n\n"
                "    with socket.create_connection(('127.0.0.1', 9), timeout=2) as conn:\n"
                "        conn.sendall(b'ping')"
            ),
            runs=_RUN_A,
            trial="python",
            note="a connection to a local service",
        ),
        Example(
            files=_stdlib(
                "    import urllib.request\n\n"
                "    with urllib.request.urlopen('https://data.example.org/train.csv', timeout=5) as response:\n"
                "        print(len(response.read()))"
            ),
            runs=_RUN_A,
            trial="python",
            note="a dataset download by URL",
        ),
        Example(
            files={
                **_stdlib(
                    "    import subprocess\n\n"
                    "    done = subprocess.run([sys.executable, '-m', 'src.preprocess'])\n"
                    "    print('preprocessing exit status', done.returncode, '- training anyway')"
                ),
                "src/preprocess.py": "import urllib.request\n\n"
                "urllib.request.urlretrieve('https://data.example.org/train.csv', 'data/train.csv')\n",
            },
            runs=_RUN_A,
            trial="python",
            note="a child process downloads, fails, and the run carries on",
        ),
    ],
    good=[
        Example(
            files={
                **_stdlib(
                    "    from pathlib import Path\n\n"
                    "    rows = Path('data/train.csv').read_text().splitlines()\n"
                    "    print('rows', len(rows))"
                ),
                "data/train.csv": "x,y\n1,2\n",
            },
            runs=_RUN_A,
            trial="python",
        )
    ],
)
def trial_network(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    for place, runs in _grouped(facts, result, "network", crash_place):
        crash = runs[0].crash
        if crash is None:  # these endings always carry one (see facts.trial.ending)
            continue
        yield Hit(
            path=place.path,
            line=place.line,
            message=(
                f"{_who(runs)} reached for the network{_in(place)} with the network off "
                f"({_short(f'{crash.short_type}: {crash.message}', 120)}); the rest of the run was not tested"
            ),
            evidence=evidence_tail(runs[0].output_tail),
        )
    for place, runs, text in _carried(facts, result, network=True):
        yield Hit(
            path=place.path,
            line=place.line,
            message=(
                f"during {_who(runs)} a process reached for the network{_in(place)} with the network off and "
                f"the run carried on without it ({text})"
            ),
            evidence=text,
        )


def _carried(facts: Facts, result: TrialResult, network: bool) -> Iterator[tuple[Place, list[RunOutcome], str]]:
    """Crashes the runs carried on after, grouped by place and exception: with ``network`` only the
    failed connections of an isolated trial (T104), else all the others (T112)."""
    groups: dict[tuple[str, int | None, str], tuple[Place, list[RunOutcome], str]] = {}
    for run in result.runs:
        for crash in run.carried_on:
            if (result.network == "isolated" and is_network_failure(crash)) != network:
                continue
            place = frame_place(facts, crash.deepest(facts.files))
            if place is None:
                continue
            text = _short(f"{crash.short_type}: {crash.message}", 160)
            groups.setdefault((place.path, place.line, crash.exc_type), (place, [], text))[1].append(run)
    yield from groups.values()


# --- T105 -------------------------------------------------------------------------------------------


@rule(
    id="T105",
    name="trial-exit-without-traceback",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: the process exited non-zero without a Python traceback.",
    title="The trial run failed without a Python traceback",
    why="""The run ended with a non-zero status but no Python exception to point at: an explicit
        `sys.exit(...)`, a crash in native code (segmentation fault, abort), or a kill (for example
        out of memory). The full run will fail the same way.""",
    fix="Read the output tail in the evidence; exit with status 0 on success and raise a clear exception on failure.",
    bad=[
        Example(
            files=_stdlib(
                "    from pathlib import Path\n\n"
                "    if not Path('config/runs', ARGS['run'] + '.json').exists():\n"
                "        raise SystemExit('run description not found')"
            ),
            runs=_RUN_A,
            trial="python",
            note="looks for .json where the run configs are .yaml, and exits with a message",
        ),
        Example(
            files=_stdlib("    import os\n    import signal\n\n    os.kill(os.getpid(), signal.SIGKILL)"),
            runs=_RUN_A,
            trial="python",
            note="the process is killed",
        ),
    ],
    good=[
        Example(
            files=_stdlib(
                "    from pathlib import Path\n\n"
                "    if not Path('config/runs', ARGS['run'] + '.yaml').exists():\n"
                "        raise SystemExit('run description not found')"
            ),
            runs=_RUN_A,
            trial="python",
        )
    ],
)
def trial_exit(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    for place, runs in _grouped(facts, result, "no-traceback", crash_place):
        run = runs[0]
        if run.crash is not None and run.crash.kind == "fault":
            how = f"crashed in native code ({_short(run.crash.message, 80)}){_in(place)}"
        elif run.signal is not None:
            how = f"was killed by {run.signal}" + (" (out of memory?)" if run.signal == "SIGKILL" else "")
        else:
            how = f"exited with status {run.returncode} without a traceback"
        yield Hit(
            path=place.path,
            line=place.line,
            message=f"{_who(runs)} {how}",
            evidence=evidence_tail(run.output_tail) or "(no output)",
            fix=f"Read the output tail in the evidence; exit 0 on success or raise a clear exception. {_reproduce(run)}.",
        )


# --- T106 -------------------------------------------------------------------------------------------


@rule(
    id="T106",
    name="trial-module-not-installed",
    criterion="R",
    severity="warning",
    confidence="certain",
    known_limits="None known: the module is missing from the interpreter given.",
    title="A third-party module is missing from the interpreter given with --python",
    why="""With `--python PATH` the trial uses an existing environment, so a missing third-party
        module may be the environment's gap rather than the submission's. The run stopped at the
        import, and nothing after it was tested.""",
    fix="""Make sure pyproject.toml declares the distribution that provides the module, install it in
        the interpreter (or use `--env uv`), and rerun the trial.""",
    bad=[
        Example(
            files=_stdlib("    import nonexistent_vision_toolkit\n\n    print(nonexistent_vision_toolkit.__name__)"),
            runs=_RUN_A,
            trial="python",
        )
    ],
    good=[
        Example(
            files=_stdlib("    import yaml\n\n    print(yaml.safe_load('lr: 0.1'))"),
            runs=_RUN_A,
            trial="python",
            note="pyyaml is installed in the test interpreter",
        )
    ],
)
def trial_module_missing(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    for place, runs in _grouped(facts, result, "module-missing", crash_place):
        crash = runs[0].crash
        if crash is None:  # these endings always carry one (see facts.trial.ending)
            continue
        module = missing_module(crash) or "?"
        yield Hit(
            path=place.path,
            line=place.line,
            message=f"{_who(runs)} stopped: module `{module}` is not installed in the trial interpreter",
            evidence=evidence_tail(runs[0].output_tail),
        )


# --- sanity of runs that finished ------------------------------------------------------------------


def _finished(result: TrialResult) -> list[RunOutcome]:
    return [run for run in result.runs if run.status == "ok"]


def _metric_place(facts: Facts, run: RunOutcome, key: str) -> Place | None:
    name = key.rsplit(".", 1)[-1]
    return literal_place(facts, name) or entry_place(facts, run) or _fallback(facts)


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
            files=_stdlib(
                "    batches = []  # the trial subset came out empty\n"
                "    loss = sum(batches) / len(batches) if batches else float('nan')\n"
                "    print(f'epoch=1 train_loss={loss}')"
            ),
            runs=_RUN_A,
            trial="python",
        ),
        Example(
            files=_stdlib(
                "    import json\n    from pathlib import Path\n\n"
                "    out = Path(ARGS['results_dir']) / ARGS['run']\n    out.mkdir(parents=True)\n"
                "    (out / 'metrics.json').write_text(json.dumps({'val_accuracy': float('inf')}))"
            ),
            runs=_RUN_A,
            trial="python",
        ),
    ],
    good=[
        Example(
            files=_stdlib(
                "    best_loss = float('inf')  # a start value, replaced below\n"
                "    print(f'best_loss={best_loss}')\n"
                "    for loss in (0.9, 0.7):\n        best_loss = min(best_loss, loss)\n"
                "        print(f'epoch train_loss={loss} best_loss={best_loss}')"
            ),
            runs=_RUN_A,
            trial="python",
        ),
        Example(
            files=_stdlib(
                "    import statistics\n\n"
                "    accs = [0.62]  # one seed in the trial\n"
                "    std = statistics.stdev(accs) if len(accs) > 1 else float('nan')\n"
                "    print(f'mean_val_acc={statistics.mean(accs)} std_val_acc={std}')"
            ),
            runs=_RUN_A,
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
                    evidence=_short(bad.line, 239),
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
    bad=[Example(files=_stdlib(_LOSS_CODE.format(lr=0.1, op="+")), runs=_RUN_A, trial="python")],
    good=[
        Example(files=_stdlib(_LOSS_CODE.format(lr=0.1, op="-")), runs=_RUN_A, trial="python"),
        Example(
            files=_stdlib(
                "    for variant, start in (('small', 1.0), ('large', 5.0)):\n"
                "        for epoch in range(1, 4):\n"
                "            print(f'variant={variant} epoch={epoch} train_loss={start / epoch:.4f}')"
            ),
            runs=_RUN_A,
            trial="python",
            note="two variations in one process: each one's loss falls, the second starts higher",
        ),
        Example(
            files=_stdlib(
                "    for step, loss in enumerate((2.302, 2.297, 2.311, 2.305, 2.318, 2.309)):\n"
                "        print(f'step={step} loss={loss}')  # chance level over a few batches\n"
                "    for name, final in (('a', 1.9), ('b', 2.1), ('c', 2.4)):\n"
                "        print(f'run={name} final_val_loss={final}')"
            ),
            runs=_RUN_A,
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
                        evidence=_short(f"{first.line} … {last.line}", 239),
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
    bad=[Example(files=_stdlib(_METHOD_CODE.format(lr="0.1")), runs=_TWO_RUNS, trial="python")],
    good=[
        Example(
            files=_stdlib(_METHOD_CODE.format(lr='0.1 if method == "proposed" else 0.05')),
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
        place = run_config_place(facts, two.run_id) or entry_place(facts, two) or _fallback(facts)
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
            files=_stdlib(
                "    import json\n    from pathlib import Path\n\n"
                "    Path('results.json').write_text(json.dumps({'accuracy': 0.5}))"
            ),
            runs=_RUN_A,
            trial="python",
        )
    ],
    good=[
        Example(
            files=_stdlib(
                "    import json\n    from pathlib import Path\n\n"
                "    out = Path(ARGS['results_dir']) / ARGS['run']\n    out.mkdir(parents=True, exist_ok=True)\n"
                "    (out / 'results.json').write_text(json.dumps({'accuracy': 0.5}))"
            ),
            runs=_RUN_A,
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
        place = place or entry_place(facts, run) or _fallback(facts)
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
            runs=_RUN_A,
            trial="python",
            note="main() is defined but never called",
        )
    ],
    good=[Example(files=_stdlib("    print('training', ARGS['run'])"), runs=_RUN_A, trial="python")],
)
def trial_did_nothing(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    idle = [run for run in _finished(result) if not run.output_tail.strip() and not run.new_files]
    if not idle:
        return
    place = entry_place(facts, idle[0]) or _fallback(facts)
    if place is not None:
        yield Hit(
            path=place.path,
            line=place.line,
            message=f"{_who(idle)} exited 0 without printing anything or writing any file",
            evidence="(no output)",
        )


_VARIANTS_MAIN = """\
import subprocess
import sys


def main() -> None:
    for variant in ("small", "large"):
        done = subprocess.run([sys.executable, "-m", "src.train", variant])
        if done.returncode != 0:
            print(f"variant {variant} failed; going on with the next one")


if __name__ == "__main__":
    main()
"""
_VARIANTS_TRAIN = """\
import sys

HIDDEN = {sizes}


def train(variant: str) -> None:
    print("hidden size", HIDDEN[variant])


if __name__ == "__main__":
    train(sys.argv[1])
"""


@rule(
    id="T112",
    name="trial-failure-carried-on",
    criterion="R",
    severity="warning",
    confidence="inferred",
    known_limits="""Reads child-process exit statuses from the trial's output; an error that a retry handled is reported.""",
    title="A process of the trial crashed and the run carried on",
    why="""A traceback from the submission's code was printed, but the run did not stop there: a
        child process per variation died and the launcher went on, or an exception was printed and
        swallowed. The run may even exit 0 while the variation that crashed produced nothing, and
        what fails later (evaluation with missing results) hides the real cause.""",
    fix="Fix the exception at this line, and let a failed variation stop the run (check=True, re-raise).",
    bad=[
        Example(
            files={"src/main.py": _VARIANTS_MAIN, "src/train.py": _VARIANTS_TRAIN.format(sizes='{"small": 8}')},
            runs=_RUN_A,
            trial="python",
        )
    ],
    good=[
        Example(
            files={
                "src/main.py": _VARIANTS_MAIN,
                "src/train.py": _VARIANTS_TRAIN.format(sizes='{"small": 8, "large": 64}'),
            },
            runs=_RUN_A,
            trial="python",
        )
    ],
)
def trial_carried_on(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    if result is None:
        return
    for place, runs, text in _carried(facts, result, network=False):
        yield Hit(
            path=place.path,
            line=place.line,
            message=f"during {_who(runs)} a process crashed{_in(place)} and the run carried on: {text}",
            evidence=text,
        )
