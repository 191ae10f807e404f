"""Small, complete experiment repos for the examples of config rules (Hydra, run configs, modes)."""

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
