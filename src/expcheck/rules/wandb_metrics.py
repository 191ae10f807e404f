"""C605–C610 — W&B metrics: logged per step, final and best values in the summary, every key evaluate
reads written by train, Optuna trials logged, and results kept out of local JSON.

Which of these a contract asks for is profile data (``outputs``): contracts without W&B (the older
ones) are not judged here, except for the key flow (C608), which holds wherever evaluate reads W&B.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.astindex import index_of
from expcheck.facts.wandb import (
    KeyRead,
    WandbFacts,
    logging_functions,
    prints_json,
    train_modules,
    wandb_of,
)
from expcheck.rules.base import Example, Hit, rule
from expcheck.rules.examples_repo import WANDB_EVALUATE, WANDB_TRAIN


def _outputs(facts: Facts):  # type: ignore[no-untyped-def]
    return facts.profile.outputs


# --------------------------------------------------------------------------- C605 / C606 / C607


@rule(
    id="C605",
    name="wandb-log-missing",
    criterion="C6",
    severity="error",
    confidence="inferred",
    clause="wandb-logging",
    known_limits="""Looks for wandb.log or summary writes after wandb.init; logging through a wrapper (a Lightning logger, a callback) is missed.""",
    title="A W&B run is started but no metric is logged",
    why="""evaluate reads each run's history and summary from W&B. A run that is started but never
        given a metric through `wandb.log` (or a summary entry) has neither: the evaluation has no
        numbers to report.""",
    fix="Call `wandb.log({...})` with the training and validation metrics every step or epoch.",
    bad=[
        Example(
            files={
                "src/train.py": "import wandb\n\ndef go(cfg, model):\n"
                "    wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project, mode=cfg.wandb.mode)\n"
                "    for epoch in range(3):\n        print(model.fit())\n"
            },
            expect=(("src/train.py", 4),),
        )
    ],
    good=[Example(files={"src/train.py": WANDB_TRAIN})],
)
def wandb_log_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or outputs.wandb != "required":
        return
    w = wandb_of(facts)
    if not w.inits or w.writes:
        return
    path, call = w.inits[0]
    yield Hit(
        path=path,
        line=call.line,
        column=call.column,
        message="the run started here never receives a metric: no wandb.log call or summary write in the training code",
    )


@rule(
    id="C606",
    name="wandb-log-not-per-step",
    criterion="C6",
    severity="warning",
    confidence="inferred",
    clause="wandb-per-step",
    known_limits="""Checks whether a wandb.log call sits in a loop or a function a loop calls; a loop hidden in a library's training API is not seen.""",
    title="Metrics are logged to W&B only once, not per step or epoch",
    why="""The contract asks for time series: learning curves in evaluate are drawn from each run's
        history. When every `wandb.log` call sits outside the training loop (and outside any
        function the loop calls), the history holds a single row.""",
    fix="Call `wandb.log` inside the training loop, once per step or per epoch.",
    bad=[
        Example(
            files={
                "src/train.py": "import wandb\n\ndef go(cfg, model):\n"
                "    run = wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project, mode=cfg.wandb.mode)\n"
                "    for epoch in range(3):\n        acc = model.fit()\n"
                "    run.log({'val_acc': acc})\n"
            },
            expect=(("src/train.py", 7),),
        )
    ],
    good=[
        Example(files={"src/train.py": WANDB_TRAIN}),
        Example(
            files={
                "src/train.py": "import wandb\n\ndef log_epoch(acc):\n    wandb.log({'val_acc': acc})\n\n"
                "def go(model):\n    for epoch in range(3):\n        log_epoch(model.fit())\n"
            },
            note="logged by a helper the loop calls",
        ),
    ],
)
def wandb_log_not_per_step(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or outputs.wandb != "required":
        return
    w = wandb_of(facts)
    logs = w.logs
    if not logs or any(wr.in_loop for wr in logs):
        return
    train = train_modules(facts)
    names = logging_functions(train, w)
    for index in train.values():
        if any(call.in_loop and call.attr in names for call in index.calls):
            return
    first = logs[0]
    yield Hit(
        path=first.path,
        line=first.line,
        message="no wandb.log call runs inside a training loop: each run's history gets a single row, "
        "so there is no learning curve to plot",
    )


@rule(
    id="C607",
    name="wandb-summary-missing",
    criterion="C6",
    severity="warning",
    confidence="inferred",
    clause="wandb-summary",
    known_limits="""Looks for writes to wandb.summary / run.summary; summaries set through wrapper APIs are missed.""",
    title="Final and best metrics are not written to the W&B summary",
    why="""The contract stores final/best values (best_val_acc, final_test_acc, best_epoch, ...) in
        `wandb.summary`, where evaluate reads them. Without summary writes the summary holds only the
        last logged value of each key, never the best one.""",
    fix='Set `wandb.summary["best_val_acc"] = best` (and the other final metrics) before `wandb.finish()`.',
    bad=[
        Example(
            files={
                "src/train.py": "import wandb\n\ndef go(cfg, model):\n"
                "    run = wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project, mode=cfg.wandb.mode)\n"
                "    for epoch in range(3):\n        run.log({'val_acc': model.fit()})\n"
            },
            expect=(("src/train.py", 4),),
        )
    ],
    good=[
        Example(files={"src/train.py": WANDB_TRAIN}),
        Example(
            files={
                "src/train.py": "import wandb\n\ndef go(cfg, model):\n"
                "    run = wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project, mode=cfg.wandb.mode)\n"
                "    for epoch in range(3):\n        run.log({'val_acc': model.fit()})\n"
            },
            profile="airas-v1",
            note="the v1 contract does not ask for summary entries",
        ),
    ],
)
def wandb_summary_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or not outputs.wandb_summary:
        return
    w = wandb_of(facts)
    if not w.inits or not w.logs or w.summary_writes:
        return
    path, call = w.inits[0]
    yield Hit(
        path=path,
        line=call.line,
        column=call.column,
        message="the run started here gets no summary entry (run.summary[...] = ...): final and best "
        "metrics are missing from the W&B summary",
    )


# --------------------------------------------------------------------------- C608


_EFFECT = {
    "index": "raises KeyError when evaluate runs",
    "guarded": "so the code that needs it is silently skipped",
    "test": "so this branch never runs",
    "default": "so the default value is used instead of a measured one",
    "column": "so the column is missing from the history",
}


def _closest(key: str, w: WandbFacts, source: str) -> str:
    kinds = ["log"] if source == "history" else ["log", "summary"]
    exact = sorted({k for kind in kinds for k in w.written[kind].exact})
    patterns = sorted({p for kind in kinds for p in w.written[kind].patterns})
    close = difflib.get_close_matches(key, exact, n=1, cutoff=0.5)
    if close:
        return f"; the closest key train writes is {close[0]!r}"
    listed = [*exact, *(p.replace("{}", "*") for p in patterns)]
    if listed:
        shown = ", ".join(repr(k) for k in listed[:6]) + (", ..." if len(listed) > 6 else "")
        return f"; train writes {shown}"
    return ""


def _history_only_in_summary(key: str, w: WandbFacts) -> bool:
    return key in w.written["summary"].exact


@rule(
    id="C608",
    name="metric-key-not-written",
    criterion="C6",
    severity="error",
    confidence="inferred",
    known_limits="""Compares literal keys evaluate reads with keys train writes; keys built at run time (f-strings with unknown parts) are matched as patterns and may be misjudged.""",
    title="evaluate reads a W&B metric that train never writes",
    why="""Every key evaluate reads from a run's history (`run.history(keys=[...])`, `history["k"]`)
        or summary (`run.summary["k"]`, `.get("k")`) must be one train writes with `wandb.log` or to
        `wandb.summary` — the exact same name. A key nobody writes is a KeyError, a missing column, a
        default value standing in for a result, or a figure that is never drawn.""",
    fix="Use the key train logs (or log the key evaluate expects), with exactly the same spelling.",
    bad=[
        Example(
            files={
                "src/train.py": WANDB_TRAIN,
                "src/evaluate.py": WANDB_EVALUATE.replace('history["val_acc"]', 'history["val_accuracy"]'),
            },
            expect=(("src/evaluate.py", 10),),
        ),
        Example(
            files={
                "src/train.py": WANDB_TRAIN,
                "src/evaluate.py": "def final(run):\n    return run.summary.get('final_test_acc', 0.0)\n",
            },
            note="a summary key nobody writes: the default stands in for the result",
            expect=(("src/evaluate.py", 2),),
        ),
        Example(
            files={
                "src/train.py": WANDB_TRAIN,
                "src/evaluate.py": "def curve(run):\n    return run.history(keys=['best_val_acc'])\n",
            },
            note="best_val_acc is only a summary entry, never a history column",
            expect=(("src/evaluate.py", 2),),
        ),
    ],
    good=[
        Example(files={"src/train.py": WANDB_TRAIN, "src/evaluate.py": WANDB_EVALUATE}),
        Example(
            files={
                "src/train.py": "import wandb\n\ndef go(split, metrics):\n"
                "    for epoch in range(3):\n"
                "        wandb.log({f'{split}/{k}': v for k, v in metrics.items()})\n",
                "src/evaluate.py": "def curve(run):\n    return run.history()['val/loss']\n",
            },
            note="matched by an f-string key pattern",
        ),
        Example(
            files={
                "src/train.py": "import wandb\n\ndef go(payload):\n    wandb.log(payload)\n",
                "src/evaluate.py": "def curve(run):\n    return run.history()['anything']\n",
            },
            note="keys train builds at run time cannot be told: no finding",
        ),
    ],
)
def metric_key_not_written(facts: Facts) -> Iterator[Hit]:
    w = wandb_of(facts)
    if not w.reads or not w.writes:
        return
    if any(wr.keys.opaque for wr in w.writes):
        return  # some key is built in a way the tree does not show
    reported: set[tuple[str, str]] = set()
    unwritten = [r for r in w.reads if not w.is_written(r.key, r.source)]
    for read in unwritten:
        if read.fallback_of is not None and w.is_written(read.fallback_of, read.source):
            continue  # a fallback that never runs: the key it stands in for is written
        if _read_elsewhere(read, w):
            continue  # evaluate also reads the key where train writes it: this read is the fallback
        if (read.key, read.source) in reported:
            continue
        reported.add((read.key, read.source))
        others = sorted({r.line for r in unwritten if r.key == read.key and r.line != read.line})
        also = f" (read again at line{'s' if len(others) > 1 else ''} {', '.join(map(str, others))})" if others else ""
        yield Hit(
            path=read.path,
            line=read.line,
            column=read.column,
            message=_read_message(read, w) + also,
        )


def _read_elsewhere(read: KeyRead, w: WandbFacts) -> bool:
    """The key is also read from the other store (summary vs history), where train does write it."""
    other = "summary" if read.source == "history" else "history"
    return w.is_written(read.key, other) and any(r.key == read.key and r.source == other for r in w.reads)


def _read_message(read: KeyRead, w: WandbFacts) -> str:
    where = "history" if read.source == "history" else "summary"
    if read.source == "history" and _history_only_in_summary(read.key, w):
        return (
            f"evaluate reads {read.key!r} from the run history, but train writes it only to the summary, "
            f"{_EFFECT[read.form]}"
        )
    return f"evaluate reads {read.key!r} from the run {where}, but train never writes it, {_EFFECT[read.form]}" + (
        _closest(read.key, w, read.source)
    )


# --------------------------------------------------------------------------- C609


@rule(
    id="C609",
    name="optuna-trial-logged",
    criterion="C6",
    severity="error",
    confidence="inferred",
    clause="optuna-trials-unlogged",
    known_limits="""Follows calls from the Optuna objective to wandb.init/log; a W&B call behind a flag that is off during the search is still reported.""",
    title="Optuna trials are logged to W&B",
    why="""The contract logs only the final run with the best hyperparameters. A `wandb.init` or
        `wandb.log` reachable from the objective passed to `study.optimize` logs every trial as a
        run of its own (or mixes trial metrics into the real run's history), and evaluate then reads
        the wrong numbers.""",
    fix="Disable W&B inside the objective (mode='disabled') and log only the final training run.",
    bad=[
        Example(
            files={
                "src/train.py": "import optuna\nimport wandb\n\n"
                "def fit(cfg, lr):\n    run = wandb.init(project=cfg.wandb.project)\n"
                "    for epoch in range(3):\n        run.log({'val_acc': lr})\n    return lr\n\n"
                "def search(cfg):\n    def objective(trial):\n"
                "        return fit(cfg, trial.suggest_float('lr', 1e-4, 1e-1, log=True))\n"
                "    study = optuna.create_study(direction='maximize')\n"
                "    study.optimize(objective, n_trials=cfg.optuna.n_trials)\n"
            },
            expect=(("src/train.py", 5),),
        )
    ],
    good=[
        Example(
            files={
                "src/train.py": "import optuna\nimport wandb\n\n"
                "def fit(cfg, lr, use_wandb):\n    run = wandb.init(project=cfg.wandb.project) if use_wandb else None\n"
                "    for epoch in range(3):\n        if run is not None:\n            run.log({'val_acc': lr})\n"
                "    return lr\n\n"
                "def search(cfg):\n    def objective(trial):\n"
                "        return fit(cfg, trial.suggest_float('lr', 1e-4, 1e-1, log=True), use_wandb=False)\n"
                "    study = optuna.create_study(direction='maximize')\n"
                "    study.optimize(objective, n_trials=cfg.optuna.n_trials)\n"
                "    fit(cfg, study.best_params['lr'], use_wandb=True)\n"
            }
        )
    ],
)
def optuna_trial_logged(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or not outputs.optuna_trials_unlogged:
        return
    for reach in wandb_of(facts).objective_reaches:
        chain = " -> ".join(reach.chain)
        yield Hit(
            path=reach.call_path,
            line=reach.call_line,
            message=f"{reach.call} runs inside the Optuna objective ({chain}, passed to study.optimize at "
            f"{reach.objective_path}): every trial is logged to W&B",
        )


# --------------------------------------------------------------------------- C610


@rule(
    id="C610",
    name="train-json-output",
    criterion="C6",
    severity="error",
    confidence="inferred",
    clause="no-train-json",
    known_limits="""Looks for json.dump/dumps to stdout or a results.json file in train.py; JSON written for another purpose under that name is reported.""",
    title="train.py prints JSON results or writes results.json",
    why="""Under the W&B contract results travel through W&B only; the contract forbids
        results.json files and JSON dumped to stdout from train.py (the older contract that read
        results from stdout is gone).""",
    fix="Log the values with wandb.log / wandb.summary and drop the JSON output.",
    bad=[
        Example(
            files={"src/train.py": "import json\n\ndef report(acc):\n    print(json.dumps({'acc': acc}))\n"},
            expect=(("src/train.py", 4),),
        ),
        Example(
            files={
                "src/train.py": "import json\n\ndef report(acc, out):\n"
                "    with open(out / 'results.json', 'w') as fh:\n        json.dump({'acc': acc}, fh)\n"
            },
            expect=(("src/train.py", 4),),
        ),
    ],
    good=[
        Example(files={"src/train.py": "import json\n\ndef save(cfg, out):\n    out.write_text(json.dumps(cfg))\n"}),
        Example(
            files={"src/train.py": "import json\n\ndef report(acc):\n    print(json.dumps({'acc': acc}))\n"},
            profile="airas-v1-early",
            note="the earliest contract asks for JSON on stdout",
        ),
    ],
)
def train_json_output(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or outputs.train_stdout_json != "forbidden":
        return
    train = index_of(facts, "src/train.py")
    if train is None:
        return
    for call in train.calls:
        if prints_json(call, train):
            yield Hit(
                path="src/train.py",
                line=call.line,
                message="train.py prints JSON to stdout; results must go to W&B only",
            )
    for node, _fn in train.strings:
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and (text == "results.json" or text.endswith(("/results.json", "_results.json"))):
            yield Hit(
                path="src/train.py",
                line=node.lineno,
                column=node.col_offset + 1,
                message=f"train.py writes {text!r}; results must go to W&B only",
            )
