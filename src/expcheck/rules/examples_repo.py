"""Small, complete experiment repos for the examples of config rules (Hydra, run configs, modes), and the
train/evaluate modules the W&B rules' examples share."""

from __future__ import annotations

from expcheck.rules.base import Example

MAIN_V2 = """\
import hydra
from omegaconf import OmegaConf, open_dict


@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg):
    with open_dict(cfg):
        cfg.run = OmegaConf.load(f"config/runs/{cfg.run}.yaml")
        if cfg.mode == "trial":
            cfg.wandb.mode = "disabled"
            cfg.run.optuna.n_trials = 0
            cfg.run.training.epochs = 1
            cfg.run.training.max_batches = 2
            cfg.run.evaluation.max_samples = 32
        else:
            cfg.wandb.mode = "online"
    print(cfg.run.training.lr, cfg.results_dir)


if __name__ == "__main__":
    main()
"""

CONFIG_V2 = "run: ???\nresults_dir: results\nmode: full\nwandb:\n  entity: team\n  project: p\n  mode: online\n"

RUN_V2 = (
    "run_id: {run_id}\nmethod: {method}\nmodel:\n  name: mlp\ndataset:\n  name: mnist\n"
    "training:\n  lr: 0.01\n  epochs: 5\nevaluation:\n  max_samples: null\n"
    "optuna:\n  n_trials: 10\n  search_space:\n    lr: {{type: loguniform, low: 1.0e-4, high: 1.0e-1}}\n"
)

RUNS_V2 = (
    ("proposed-mlp", RUN_V2.format(run_id="proposed-mlp", method="proposed")),
    ("comparative-1-mlp", RUN_V2.format(run_id="comparative-1-mlp", method="comparative-1")),
)


def v2(
    main: str = MAIN_V2,
    config: str = CONFIG_V2,
    runs: tuple[tuple[str, str], ...] = RUNS_V2,
    note: str = "",
    extra: dict[str, str] | None = None,
    repaired: dict[str, str] | None = None,
    expect: tuple[tuple[str, int | None], ...] = (),
) -> Example:
    """A v2 repo (run configs in config/runs/, mode=trial|full) with ``main`` and ``config`` replaced."""
    return Example(
        files={"src/main.py": main, "config/config.yaml": config, **(extra or {})},
        profile="airas-v2",
        runs=tuple(runs),
        note=note,
        repaired=repaired,
        expect=expect,
    )


MAIN_V1 = """\
import hydra


@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg):
    if cfg.trial_mode:
        cfg.wandb.mode = "disabled"
    print(cfg.run.training.lr)


if __name__ == "__main__":
    main()
"""

CONFIG_V1 = "defaults:\n  - run: ???\n  - _self_\nresults_dir: results\ntrial_mode: false\nwandb:\n  mode: online\n"
RUNS_V1 = (("r1", "run_id: r1\nmethod: proposed\ntraining:\n  lr: 0.1\n"),)


def v1(
    main: str = MAIN_V1,
    config: str = CONFIG_V1,
    runs: tuple[tuple[str, str], ...] = RUNS_V1,
    note: str = "",
    repaired: dict[str, str] | None = None,
    expect: tuple[tuple[str, int | None], ...] = (),
) -> Example:
    return Example(
        files={"src/main.py": main, "config/config.yaml": config},
        profile="airas-v1",
        runs=tuple(runs),
        note=note,
        repaired=repaired,
        expect=expect,
    )


# W&B (C6): a train loop that starts a run from the config and logs per epoch, and an evaluate that
# reads the runs back through the W&B API.
WANDB_TRAIN = """\
import wandb


def train(cfg, model, loader):
    run = wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project, mode=cfg.wandb.mode)
    best = 0.0
    for epoch in range(cfg.training.epochs):
        loss, acc = model.fit_epoch(loader)
        run.log({"train_loss": loss, "val_acc": acc, "epoch": epoch})
        best = max(best, acc)
    run.summary["best_val_acc"] = best
    run.finish()
"""

WANDB_EVALUATE = """\
import wandb


def collect(entity, project, run_ids):
    api = wandb.Api()
    out = {}
    for rid in run_ids:
        run = api.run(f"{entity}/{project}/{rid}")
        history = run.history()
        out[rid] = (history["val_acc"].max(), run.summary.get("best_val_acc"))
    return out
"""


# Evaluation (C8): an evaluate.py that reads the runs from W&B, writes per-run and aggregated metrics,
# tests significance and saves figures named as the contract says.
EVALUATE_V2 = """\
import json
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import wandb
from scipy import stats


def main():
    args = dict(token.split("=", 1) for token in sys.argv[1:])
    out = Path(args["results_dir"])
    run_ids = json.loads(args["run_ids"])
    api = wandb.Api()
    values = {}
    for rid in run_ids:
        run = api.run(f"{ENTITY}/{PROJECT}/{rid}")
        history = run.history()
        (out / rid).mkdir(parents=True, exist_ok=True)
        (out / rid / "metrics.json").write_text(json.dumps(run.summary._json_dict))
        plt.plot(history["val_acc"])
        plt.savefig(out / rid / f"{rid}_learning_curve.pdf")
        values[rid] = run.summary["best_val_acc"]
    best_p = max(v for r, v in values.items() if "proposed" in r)
    best_b = max(v for r, v in values.items() if "comparative" in r)
    summary = {
        "primary_metric": "accuracy",
        "metrics": {"best_val_acc": values},
        "best_proposed": best_p,
        "best_baseline": best_b,
        "gap": (best_p - best_b) / best_b * 100,
        "p_value": stats.ttest_ind(list(values.values()), list(values.values())).pvalue,
    }
    (out / "comparison").mkdir(parents=True, exist_ok=True)
    (out / "comparison" / "aggregated_metrics.json").write_text(json.dumps(summary))
    plt.bar(list(values), list(values.values()))
    plt.savefig(out / "comparison" / "comparison_accuracy_bar.pdf")


ENTITY, PROJECT = "lab", "study"

if __name__ == "__main__":
    main()
"""
