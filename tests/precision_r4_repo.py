"""A small correct airas-v2 repository, as files in memory, for the round-4 precision tests.

Each test changes one file to show one correct idiom (and one real defect next to it) and checks the
findings of the rule concerned.
"""

from __future__ import annotations

from collections.abc import Sequence

from expcheck import check_files

PYPROJECT = """[project]
name = "toy-exp"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["torch>=2.0", "hydra-core>=1.3", "omegaconf>=2.3", "wandb>=0.16", "optuna>=3.5",
                "matplotlib>=3.7", "numpy>=1.24", "scipy>=1.10"]
"""

CONFIG = """defaults:
  - _self_
run: ???
mode: full
results_dir: results
wandb:
  entity: demo-team
  project: toy
  mode: online
"""


def run_config(run_id: str, method: str) -> str:
    return f"""run_id: {run_id}
method: {method}
model:
  hidden: 16
dataset:
  name: synthetic
  n: 256
training:
  epochs: 3
  lr: 0.01
optuna:
  n_trials: 2
"""


MAIN = """import subprocess
import sys

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    cmd = [sys.executable, "-u", "-m", "src.train", f"run={cfg.run}",
           f"results_dir={cfg.results_dir}", f"mode={cfg.mode}"]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
"""

# The body of train.py's @hydra.main function after the run file is loaded; {extra} is placed
# right after the mode switch.
TRAIN = """import hydra
import optuna
import torch
import wandb
from omegaconf import DictConfig, OmegaConf, open_dict

from src.model import build_model
from src.preprocess import make_data


def fit(cfg: DictConfig, lr: float, epochs: int, log: bool) -> float:
    x, y = make_data(int(cfg.run.dataset.n))
    model = build_model(int(cfg.run.model.hidden))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    acc = 0.0
    for epoch in range(epochs):
        opt.zero_grad()
        out = model(x)
        smoothing = 0.1 if cfg.run.method == "proposed" else 0.0
        loss = torch.nn.functional.cross_entropy(out, y, label_smoothing=smoothing)
        loss.backward()
        opt.step()
        acc = float((out.argmax(1) == y).float().mean())
        if log:
            wandb.log({"train_loss": float(loss), "train_acc": acc, "epoch": epoch})
    return acc


@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    with open_dict(cfg):
        cfg.run = OmegaConf.load(f"config/runs/{cfg.run}.yaml")
        if cfg.mode == "trial":
            cfg.wandb.mode = "disabled"
            cfg.run.optuna.n_trials = 0
            cfg.run.training.epochs = 1
            cfg.run.training.max_batches = 1
        else:
            cfg.wandb.mode = "online"
{extra}
    lr = float(cfg.run.training.lr)
    if cfg.run.optuna.n_trials > 0:
        study = optuna.create_study(direction="maximize")
        study.optimize(lambda t: fit(cfg, t.suggest_float("lr", 1e-3, 1e-1, log=True), 1, False),
                       n_trials=int(cfg.run.optuna.n_trials))
        lr = study.best_params["lr"]
    run = wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project, id=cfg.run.run_id,
                     mode=cfg.wandb.mode, config=OmegaConf.to_container(cfg, resolve=True))
    acc = fit(cfg, lr, int(cfg.run.training.epochs), True)
    run.summary["final_acc"] = acc
    run.finish()


if __name__ == "__main__":
    main()
"""

EVALUATE = """import json
import sys
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import wandb
from omegaconf import OmegaConf
from scipy import stats


def main() -> None:
    args = dict(token.split("=", 1) for token in sys.argv[1:])
    results_dir = Path(args["results_dir"])
    run_ids = json.loads(args["run_ids"])
    cfg = OmegaConf.load(Path(__file__).resolve().parent.parent / "config" / "config.yaml")
    api = wandb.Api()
    finals = {}
    curves = {}
    for run_id in run_ids:
        run = api.run(f"{cfg.wandb.entity}/{cfg.wandb.project}/{run_id}")
        history = run.history(keys=["train_acc"])
        out = results_dir / run_id
        out.mkdir(parents=True, exist_ok=True)
        finals[run_id] = float(run.summary["final_acc"])
        curves[run_id] = list(history["train_acc"])
        (out / "metrics.json").write_text(json.dumps({"final_acc": finals[run_id]}))
        fig, ax = plt.subplots()
        ax.plot(curves[run_id], label="train_acc")
        ax.legend()
        fig.savefig(out / f"{run_id}_learning_curve.pdf")
        plt.close(fig)
    comp = results_dir / "comparison"
    comp.mkdir(parents=True, exist_ok=True)
    proposed = {k: v for k, v in finals.items() if "proposed" in k}
    baseline = {k: v for k, v in finals.items() if "comparative" in k}
    bp = max(proposed, key=proposed.get)
    bb = max(baseline, key=baseline.get)
    gap = (proposed[bp] - baseline[bb]) / baseline[bb] * 100
    test = stats.ttest_ind(curves[bp], curves[bb])
    agg = {"primary_metric": "final_acc", "metrics": {"final_acc": finals},
           "best_proposed": {"run_id": bp, "value": proposed[bp]},
           "best_baseline": {"run_id": bb, "value": baseline[bb]},
           "gap": gap, "p_value": float(test.pvalue)}
    (comp / "aggregated_metrics.json").write_text(json.dumps(agg, indent=2))
    fig, ax = plt.subplots()
    ax.bar(list(finals), list(finals.values()), label="final_acc")
    ax.legend()
    fig.savefig(comp / "comparison_final_acc.pdf")
    plt.close(fig)


if __name__ == "__main__":
    main()
"""

PREPROCESS = """import torch


def make_data(n: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x.sum(dim=1) > 0).long()
    return x, y
"""

MODEL = """from torch import nn


def build_model(hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 2))
"""


def repo(changes: dict[str, str] | None = None, train_extra: str = "") -> dict[str, str]:
    out = {
        "pyproject.toml": PYPROJECT,
        "config/config.yaml": CONFIG,
        "config/runs/proposed-toy.yaml": run_config("proposed-toy", "proposed"),
        "config/runs/comparative-1-toy.yaml": run_config("comparative-1-toy", "comparative-1"),
        "src/main.py": MAIN,
        "src/train.py": TRAIN.replace("{extra}", train_extra),
        "src/evaluate.py": EVALUATE,
        "src/preprocess.py": PREPROCESS,
        "src/model.py": MODEL,
    }
    out.update(changes or {})
    return out


def errors(files: dict[str, str], select: Sequence[str] = ()) -> list[str]:
    """``rule path:line message`` of each error finding of a check of ``files``."""
    report = check_files(files, select=list(select))
    assert report.error is None, report.error
    out = [f"{f.rule} {f.location()}: {f.message}" for f in report.findings if f.severity.value == "error"]
    out += [f"internal: {e}" for e in report.internal_errors]
    return out
