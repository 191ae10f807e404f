"""Correct code patterns that facts once misread (issue 11, item 4), each beside a broken twin.

Every case is a small repository written for this test. The correct form must leave the rule
silent; the broken twin, one edit away, must still fire it, so the fix is in how the code is read
and not a hole in the rule.
"""

from __future__ import annotations

import pytest

from expcheck.engine import run_rules
from expcheck.facts import Facts
from expcheck.facts.hydra_app import hydra_apps
from expcheck.inputs import load_files
from expcheck.rules import Example, all_rules
from expcheck.submission import RunSpec

RULES = {r.id: r for r in all_rules()}


def _findings(rule_id: str, example: Example) -> list[str]:
    loaded = load_files(example.files, example.profile, [RunSpec(run_id=i, config_text=t) for i, t in example.runs])
    outcome = run_rules(Facts(loaded.submission, loaded.profile), [RULES[rule_id]])
    assert not outcome.rule_errors, outcome.rule_errors
    return [f"{f.path}:{f.line} {f.message}" for f in outcome.findings]


def _facts(example: Example) -> Facts:
    loaded = load_files(example.files, example.profile, [RunSpec(run_id=i, config_text=t) for i, t in example.runs])
    return Facts(loaded.submission, loaded.profile)


# --------------------------------------------------------------------------- in-place merge of the run file

_CONFIG = "run: ???\nmode: full\nresults_dir: out\nwandb:\n  entity: lab\n  project: demo\n  mode: online\n"
_RUN = "run_id: {rid}\nmethod: {method}\nnet:\n  width: 32\nsolver:\n  lr: 0.05\n  steps: 10\n"
_RUNS = (
    ("ours-small", _RUN.format(rid="ours-small", method="ours")),
    ("base-small", _RUN.format(rid="base-small", method="base")),
)
_MERGING_MAIN = """\
from pathlib import Path

import hydra
from omegaconf import OmegaConf, open_dict

RUN_FILES = Path(__file__).resolve().parents[1] / "config" / "runs"


def attach_run(cfg):
{merge}


def fit(cfg):
    return cfg.solver.lr * cfg.solver.steps + cfg.net.width


@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg):
    attach_run(cfg)
    print(fit(cfg), cfg.run_id, cfg.method)


if __name__ == "__main__":
    main()
"""
_OPEN_MERGE = "    with open_dict(cfg):\n        cfg.merge_with(OmegaConf.load(RUN_FILES / f'{cfg.run}.yaml'))"
_STRUCT_MERGE = "    loaded = OmegaConf.load(RUN_FILES / f'{cfg.run}.yaml')\n    cfg.merge_with(loaded)"


def _merging(merge: str, extra_read: str = "") -> Example:
    main = _MERGING_MAIN.format(merge=merge)
    if extra_read:
        main = main.replace("cfg.net.width\n", f"cfg.net.width + {extra_read}\n")
    return Example(files={"src/main.py": main, "config/config.yaml": _CONFIG}, profile="airas-v2", runs=_RUNS)


def test_in_place_merge_in_a_helper_brings_the_run_keys() -> None:
    assert _findings("C701", _merging(_OPEN_MERGE)) == []
    assert _findings("C708", _merging(_OPEN_MERGE)) == []


def test_in_place_merge_still_checks_keys_the_run_files_lack() -> None:
    found = _findings("C701", _merging(_OPEN_MERGE, extra_read="cfg.solver.momentum"))
    assert len(found) == 1 and "solver.momentum" in found[0]


def test_in_place_merge_outside_open_dict_is_refused_by_struct_mode() -> None:
    found = _findings("C708", _merging(_STRUCT_MERGE))
    assert len(found) == 1 and "ConfigKeyError" in found[0]


def test_update_with_literal_keys_writes_only_those_keys() -> None:
    main = _MERGING_MAIN.format(merge=_OPEN_MERGE).replace(
        "    attach_run(cfg)\n",
        "    attach_run(cfg)\n    with open_dict(cfg):\n        cfg.update({'device': 'cpu'})\n",
    )
    main = main.replace("cfg.run_id, cfg.method)", "cfg.run_id, cfg.device, cfg.seed)")
    example = Example(files={"src/main.py": main, "config/config.yaml": _CONFIG}, profile="airas-v2", runs=_RUNS)
    found = _findings("C701", example)
    assert len(found) == 1 and "'seed'" in found[0]  # device is written; seed is not


# --------------------------------------------------------------------------- glob patterns are not figure names

_EVALUATE = """\
import json
from pathlib import Path

import matplotlib.pyplot as plt


def main(results_dir, run_ids):
    out = Path(results_dir) / "comparison"
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    fig.savefig(out / {name})
    for found in sorted(Path(results_dir).rglob("*.pdf")):
        print(found)
    print(json.dumps(run_ids))
"""


def test_glob_pattern_is_a_listing_not_a_figure_name() -> None:
    good = Example(files={"src/evaluate.py": _EVALUATE.format(name='"comparison_curves.pdf"')})
    bad = Example(files={"src/evaluate.py": _EVALUATE.format(name='"curves.pdf"')})
    assert _findings("C809", good) == []
    found = _findings("C809", bad)
    assert len(found) == 1 and "'curves.pdf'" in found[0]


# --------------------------------------------------------------------------- wandb.init(mode="disabled")

_WANDB_TRAIN = """\
import wandb


def train(cfg, model):
    if cfg.wandb.mode == "disabled":
        run = wandb.init({quiet})
    else:
        run = wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project, mode=cfg.wandb.mode)
    for epoch in range(3):
        run.log({{"loss": model.step(), "epoch": epoch}})
    run.summary["final_loss"] = model.step()
    run.finish()
"""
_WANDB_CONFIG = "wandb:\n  entity: lab\n  project: demo\n  mode: online\n"


@pytest.mark.parametrize("quiet", ['mode="disabled"', 'settings=wandb.Settings(mode="disabled")'])
def test_disabled_run_needs_no_project(quiet: str) -> None:
    files = {"src/train.py": _WANDB_TRAIN.format(quiet=quiet), "config/config.yaml": _WANDB_CONFIG}
    assert _findings("C602", Example(files=files)) == []


def test_offline_run_without_project_still_fires() -> None:
    files = {"src/train.py": _WANDB_TRAIN.format(quiet='mode="offline"'), "config/config.yaml": _WANDB_CONFIG}
    assert len(_findings("C602", Example(files=files))) == 1


def test_only_disabled_runs_start_no_run() -> None:
    train = "import wandb\n\n\ndef train(cfg):\n    run = wandb.init(mode='disabled')\n    run.log({'loss': 1.0})\n"
    assert len(_findings("C601", Example(files={"src/train.py": train}))) == 1


# --------------------------------------------------------------------------- YAML values by key path

_YAML_MAIN = """\
import torch
import yaml


def main(path):
    with open(path) as f:
        run = yaml.safe_load(f)
    net = torch.nn.Linear(3, 1)
{body}
"""
_YAML_CONFIG = "runs:\n  - name: a\n    warmup:\n      lr: 1e-4\n    optimizer:\n      lr: 0.1\n      momentum: 0.9\n"


def _yaml(body: str) -> Example:
    return Example(
        files={"src/main.py": _YAML_MAIN.format(body=body), "config/smoke_test.yaml": _YAML_CONFIG},
        profile="airas-v0-derived",
    )


@pytest.mark.parametrize(
    "body",
    [
        '    return torch.optim.SGD(net.parameters(), lr=run["runs"][0]["optimizer"]["lr"])',
        '    opt = run["optimizer"]\n    return torch.optim.SGD(net.parameters(), lr=opt["lr"])',
        '    return torch.optim.SGD(net.parameters(), **run["optimizer"])',
    ],
)
def test_same_leaf_in_another_section_is_not_the_value_read(body: str) -> None:
    assert _findings("R407", _yaml(body)) == []


@pytest.mark.parametrize(
    "body",
    [
        '    return torch.optim.SGD(net.parameters(), lr=run["warmup"]["lr"])',
        '    return torch.optim.SGD(net.parameters(), lr=run["runs"][0]["warmup"]["lr"])',
        '    w = run["warmup"]\n    return torch.optim.SGD(net.parameters(), lr=w.get("lr"))',
        '    return torch.optim.SGD(net.parameters(), **run["warmup"])',
        '    return torch.optim.SGD(net.parameters(), lr=run["lr"])',
    ],
)
def test_the_section_that_holds_the_string_still_fires(body: str) -> None:
    found = _findings("R407", _yaml(body))
    assert len(found) == 1 and "config/smoke_test.yaml:4" in found[0]


# --------------------------------------------------------------------------- "x" in locals()

_LOCALS = """\
import torch


def finish(model, scores):
    for score in scores:
        print(score)
{use}
"""


@pytest.mark.parametrize(
    "use",
    [
        "    if 'best' in locals():\n        torch.save(best, 'best.pt')",
        "    if 'best' not in locals():\n        return None\n    else:\n        torch.save(best, 'best.pt')",
        "    return best if 'best' in globals() else model",
        "    return 'best' in vars() and best",
    ],
)
def test_use_behind_a_bound_name_test_never_raises(use: str) -> None:
    assert _findings("R301", Example(files={"src/train.py": _LOCALS.format(use=use)})) == []


@pytest.mark.parametrize(
    "use",
    [
        "    torch.save(best, 'best.pt')",
        "    if 'other' in locals():\n        torch.save(best, 'best.pt')",
        "    if 'best' in locals() or scores:\n        torch.save(best, 'best.pt')",
    ],
)
def test_unguarded_or_wrongly_guarded_use_still_fires(use: str) -> None:
    found = _findings("R301", Example(files={"src/train.py": _LOCALS.format(use=use)}))
    assert len(found) == 1 and "`best`" in found[0]


# --------------------------------------------------------------------------- config_path from a module constant

_HYDRA_MAIN = """\
import os
from pathlib import Path

import hydra

{constant}


@hydra.main(config_path=CONF_DIR, config_name=CONF_NAME, version_base="1.3")
def main(cfg):
    print(cfg.results_dir)


if __name__ == "__main__":
    main()
"""


def _app(constant: str) -> Example:
    main = _HYDRA_MAIN.format(constant=constant + '\nCONF_NAME = "config"')
    return Example(files={"src/main.py": main, "config/config.yaml": _CONFIG}, profile="airas-v2", runs=_RUNS)


@pytest.mark.parametrize(
    "constant",
    [
        'CONF_DIR = str(Path(__file__).resolve().parent.parent / "config")',
        'CONF_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config")',
        'ROOT = Path(__file__).parents[1]\nCONF_DIR = f"{ROOT}/config"',
        'CONF_DIR = "../config"',
    ],
)
def test_config_path_constant_reaches_the_config(constant: str) -> None:
    example = _app(constant)
    assert [a.config_dir for a in _facts(example).derived(hydra_apps)] == ["config"]
    assert _findings("C202", example) == []


def test_config_path_constant_that_misses_still_fires() -> None:
    found = _findings("C202", _app('CONF_DIR = str(Path(__file__).parent / "config")'))
    assert len(found) == 1 and "src/config/config.yaml" in found[0]


def test_config_path_none_is_still_no_config_folder() -> None:
    found = _findings("C202", _app("CONF_DIR = None"))
    assert len(found) == 1 and "config_path is not given" in found[0]


def test_config_path_expression_that_cannot_be_evaluated_is_not_called_missing() -> None:
    example = _app('CONF_DIR = os.environ["CONF_DIR"]')
    assert _facts(example).derived(hydra_apps)[0].config_path is None
    assert _findings("C202", example) == []


# --------------------------------------------------------------------------- design notes on interface hooks

_HOOKS = """\
class Scorer:
    def score(self, x):
        return self.adjust(x) * 2

{hook}

{subclass}
"""
_HOOK_INLINE = "    def adjust(self, x):  # to be implemented by subclasses\n        raise NotImplementedError"
_HOOK_ABOVE = (
    "    # Implement this in every concrete scorer.\n    def adjust(self, x):\n        raise NotImplementedError"
)
_SUBCLASS = "class PlainScorer(Scorer):\n    def adjust(self, x):\n        return x\n"


@pytest.mark.parametrize("hook", [_HOOK_INLINE, _HOOK_ABOVE])
def test_note_on_an_overridden_hook_is_not_unfinished_work(hook: str) -> None:
    example = Example(files={"src/model.py": _HOOKS.format(hook=hook, subclass=_SUBCLASS)})
    assert _findings("C101", example) == []
    assert _findings("C102", example) == []


@pytest.mark.parametrize("hook", [_HOOK_INLINE, _HOOK_ABOVE])
def test_note_on_a_hook_nobody_implements_still_fires(hook: str) -> None:
    example = Example(files={"src/model.py": _HOOKS.format(hook=hook, subclass="")})
    assert len(_findings("C101", example)) == 1
    assert len(_findings("C102", example)) == 1


def test_local_read_behind_a_bound_name_test_never_raises() -> None:
    guarded = "import torch\n\n\ndef step():\n    if 'torch' in locals():\n        return torch.zeros(1)\n    import torch\n    return torch.ones(1)\n"
    plain = guarded.replace("    if 'torch' in locals():\n        return", "    return")
    assert _findings("R302", Example(files={"src/train.py": guarded})) == []
    assert len(_findings("R302", Example(files={"src/train.py": plain}))) == 1
