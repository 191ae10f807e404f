"""T101–T106, T112 — how the trial run failed (``expcheck check --trial``).

These rules judge the TrialResult the sandbox attached to the facts; without ``--trial`` there is
none and they yield nothing. A failed run becomes exactly one finding kind: the environment not
built (T101), a crash (T102), a timeout (T103), the network (T104), an exit without traceback
(T105), a missing module (T106); runs that fail the same way at the same line are reported once,
naming every run. A crash the run carried on after is T104 when it reached for the network, else
T112. Their examples run for real in the sandbox (Example.trial).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from expcheck.facts import Facts
from expcheck.facts.trial import (
    Place,
    crash_place,
    ending,
    evidence_tail,
    frame_place,
    is_network_failure,
    missing_module,
    trial_result,
)
from expcheck.rules.base import Example, Hit, rule
from expcheck.rules.trial_common import RUN_A, fallback, short, stdlib, who

if TYPE_CHECKING:  # the sandbox itself is imported only when a trial runs
    from expcheck.sandbox.outcome import RunOutcome, TrialResult


_PYPROJECT_OK = '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n'

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


def _grouped(
    facts: Facts, result: TrialResult, kind: str, place_of: Callable[[Facts, RunOutcome], Place | None]
) -> Iterator[tuple[Place, list[RunOutcome]]]:
    """The runs that ended as ``kind``, grouped by the place they point at and their exception."""
    groups: dict[tuple[str, int | None, str, str], tuple[Place, list[RunOutcome]]] = {}
    for run in result.runs:
        if ending(facts, result, run) != kind:
            continue
        place = place_of(facts, run) or fallback(facts)
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
            files={**stdlib("    print('ok')"), "pyproject.toml": _PYPROJECT_OK.replace("[]", '["numpy"')},
            runs=RUN_A,
            trial="uv",
            expect=(("pyproject.toml", 5),),
            note="the dependency list is never closed",
        ),
        Example(
            files={**stdlib("    print('ok')"), "pyproject.toml": _PYPROJECT_OK.replace("[]", '"torch>=2.0"')},
            runs=RUN_A,
            trial="uv",
            expect=(("pyproject.toml", 5),),
            note="dependencies is a string, not a list",
        ),
    ],
    good=[Example(files={**stdlib("    print('ok')"), "pyproject.toml": _PYPROJECT_OK}, runs=RUN_A, trial="uv")],
)
def environment_not_built(facts: Facts) -> Iterator[Hit]:
    result = trial_result(facts)
    problem = result.env_problem if result is not None else None
    if problem is None or problem.blame != "submission":
        return
    file = facts.files.get("pyproject.toml")
    if file is None:
        if "pyproject.toml" in facts.profile.required_files:
            yield Hit(path="pyproject.toml", line=None, message=f"uv sync failed: {short(problem.summary)}")
        return
    line = problem.toml_line if problem.toml_line and 1 <= problem.toml_line <= len(file.lines) else 1
    yield Hit(
        path="pyproject.toml",
        line=line,
        message=f"uv sync failed in the trial: {short(problem.summary)}",
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
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 13),),
            note="the run config has no training.lr, which main.py reads",
        ),
        Example(
            files={
                **stdlib("    from src.train import train\n\n    train(ARGS['run'], 4)"),
                "src/train.py": "def train(run_id: str) -> None:\n    print('training', run_id)\n",
            },
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 9),),
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
                **stdlib("    from src.train import train\n\n    train(ARGS['run'])"),
                "src/train.py": "def train(run_id: str) -> None:\n    print('training', run_id)\n",
            },
            runs=RUN_A,
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
        said = f"; the child process printed: {short(runs[0].child_error, 160)}" if runs[0].child_error else ""
        yield Hit(
            path=place.path,
            line=place.line,
            message=f"{who(runs)} crashed{_in(place)}: {short(f'{crash.short_type}: {crash.message}')}{said}",
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
            files=stdlib(
                "    import time\n    from pathlib import Path\n\n"
                "    while not Path('data/ready.flag').exists():  # nothing ever creates it\n"
                "        time.sleep(0.05)"
            ),
            runs=RUN_A,
            trial="python",
        )
    ],
    good=[Example(files=stdlib("    print('epoch 1 done')"), runs=RUN_A, trial="python")],
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
            message=f"{who(runs)} did not finish within {result.timeout:g} s{where}",
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
            files=stdlib(
                "    import socket\n\n"
                "    with socket.create_connection(('127.0.0.1', 9), timeout=2) as conn:\n"
                "        conn.sendall(b'ping')"
            ),
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 9),),
            note="a connection to a local service",
        ),
        Example(
            files=stdlib(
                "    import urllib.request\n\n"
                "    with urllib.request.urlopen('https://data.example.org/train.csv', timeout=5) as response:\n"
                "        print(len(response.read()))"
            ),
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 9),),
            note="a dataset download by URL",
        ),
        Example(
            files={
                **stdlib(
                    "    import subprocess\n\n"
                    "    done = subprocess.run([sys.executable, '-m', 'src.preprocess'])\n"
                    "    print('preprocessing exit status', done.returncode, '- training anyway')"
                ),
                "src/preprocess.py": "import urllib.request\n\n"
                "urllib.request.urlretrieve('https://data.example.org/train.csv', 'data/train.csv')\n",
            },
            runs=RUN_A,
            trial="python",
            expect=(("src/preprocess.py", 3),),
            note="a child process downloads, fails, and the run carries on",
        ),
    ],
    good=[
        Example(
            files={
                **stdlib(
                    "    from pathlib import Path\n\n"
                    "    rows = Path('data/train.csv').read_text().splitlines()\n"
                    "    print('rows', len(rows))"
                ),
                "data/train.csv": "x,y\n1,2\n",
            },
            runs=RUN_A,
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
                f"{who(runs)} reached for the network{_in(place)} with the network off "
                f"({short(f'{crash.short_type}: {crash.message}', 120)}); the rest of the run was not tested"
            ),
            evidence=evidence_tail(runs[0].output_tail),
        )
    for place, runs, text in _carried(facts, result, network=True):
        yield Hit(
            path=place.path,
            line=place.line,
            message=(
                f"during {who(runs)} a process reached for the network{_in(place)} with the network off and "
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
            text = short(f"{crash.short_type}: {crash.message}", 160)
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
            files=stdlib(
                "    from pathlib import Path\n\n"
                "    if not Path('config/runs', ARGS['run'] + '.json').exists():\n"
                "        raise SystemExit('run description not found')"
            ),
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 13),),
            note="looks for .json where the run configs are .yaml, and exits with a message",
        ),
        Example(
            files=stdlib("    import os\n    import signal\n\n    os.kill(os.getpid(), signal.SIGKILL)"),
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 13),),
            note="the process is killed",
        ),
    ],
    good=[
        Example(
            files=stdlib(
                "    from pathlib import Path\n\n"
                "    if not Path('config/runs', ARGS['run'] + '.yaml').exists():\n"
                "        raise SystemExit('run description not found')"
            ),
            runs=RUN_A,
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
            how = f"crashed in native code ({short(run.crash.message, 80)}){_in(place)}"
        elif run.signal is not None:
            how = f"was killed by {run.signal}" + (" (out of memory?)" if run.signal == "SIGKILL" else "")
        else:
            how = f"exited with status {run.returncode} without a traceback"
        yield Hit(
            path=place.path,
            line=place.line,
            message=f"{who(runs)} {how}",
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
            files=stdlib("    import nonexistent_vision_toolkit\n\n    print(nonexistent_vision_toolkit.__name__)"),
            runs=RUN_A,
            trial="python",
            expect=(("src/main.py", 7),),
        )
    ],
    good=[
        Example(
            files=stdlib("    import yaml\n\n    print(yaml.safe_load('lr: 0.1'))"),
            runs=RUN_A,
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
            message=f"{who(runs)} stopped: module `{module}` is not installed in the trial interpreter",
            evidence=evidence_tail(runs[0].output_tail),
        )


# --- T112 -------------------------------------------------------------------------------------------


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
            runs=RUN_A,
            trial="python",
            expect=(("src/train.py", 7),),
        )
    ],
    good=[
        Example(
            files={
                "src/main.py": _VARIANTS_MAIN,
                "src/train.py": _VARIANTS_TRAIN.format(sizes='{"small": 8, "large": 64}'),
            },
            runs=RUN_A,
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
            message=f"during {who(runs)} a process crashed{_in(place)} and the run carried on: {text}",
            evidence=text,
        )
