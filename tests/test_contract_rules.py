"""Contract rules of criteria C3, C4, C6 and C8 beyond their own examples: the claims they make about
argparse and Hydra checked against the real libraries, the key-flow fact on harder shapes, and the
seed whose evaluate.py makes up a confusion matrix."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

import pytest

from conftest import SEEDS, needs_shared
from expcheck import check
from expcheck.engine import run_rules, select_rules
from expcheck.facts import Facts
from expcheck.facts.dispatch import dispatches
from expcheck.facts.evaluation import command_tokens, evaluate_cli_failure
from expcheck.facts.wandb import wandb_of
from expcheck.inputs import load_files
from expcheck.profiles import load_profile
from expcheck.submission import RunSpec


def _facts(files: dict[str, str], profile: str = "airas-v2", runs: tuple[tuple[str, str], ...] = ()) -> Facts:
    loaded = load_files(files, profile, [RunSpec(run_id=r, config_text=t) for r, t in runs])
    return Facts(loaded.submission, loaded.profile)


def _findings(files: dict[str, str], select: str, profile: str = "airas-v2", runs=()):  # type: ignore[no-untyped-def]
    facts = _facts(files, profile, runs)
    outcome = run_rules(facts, select_rules([select]))
    assert not outcome.rule_errors, outcome.rule_errors
    return outcome.findings


# --------------------------------------------------------------------------- C801 against real argparse

_SPECS = {
    "positional": [(("results_dir",), {}), (("run_ids",), {})],
    "options-required": [(("--results_dir",), {"required": True}), (("--run_ids",), {"required": True})],
    "options-default": [(("--results-dir",), {"default": "r"}), (("--run-ids",), {"default": "[]"})],
    "one-positional": [(("results_dir",), {})],
    "star": [(("tokens",), {"nargs": "*"})],
}


def _source(spec: list[tuple[tuple[str, ...], dict[str, object]]]) -> str:
    lines = ["import argparse", "import json", "", "def main():", "    parser = argparse.ArgumentParser()"]
    for names, kwargs in spec:
        args = ", ".join([*map(repr, names), *(f"{k}={v!r}" for k, v in kwargs.items())])
        lines.append(f"    parser.add_argument({args})")
    lines.append("    args = parser.parse_args()")
    dest = [n for n, _ in spec if "run" in n[0]]
    if dest:
        lines.append(f"    return json.loads(args.{dest[0][0].lstrip('-').replace('-', '_')})")
    return "\n".join(lines) + "\n"


class _Refused(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise _Refused(message)


def _real_outcome(spec: list[tuple[tuple[str, ...], dict[str, object]]], tokens: list[str]) -> str:
    """What real argparse (and json.loads of the run-ids argument) does with the documented tokens."""
    parser = _Parser()
    for names, kwargs in spec:
        parser.add_argument(*names, **kwargs)  # type: ignore[arg-type]
    try:
        args = parser.parse_args(tokens)
    except _Refused as exc:
        return "unrecognized" if "unrecognized arguments" in str(exc) else "required"
    run_dest = [n[0].lstrip("-").replace("-", "_") for n, _ in spec if "run" in n[0]]
    if run_dest:
        try:
            json.loads(getattr(args, run_dest[0]))
        except json.JSONDecodeError:
            return "json"
    return "ok"


@pytest.mark.parametrize("name", sorted(_SPECS))
def test_argparse_simulation_agrees_with_argparse(name: str) -> None:
    spec = _SPECS[name]
    facts = _facts({"src/evaluate.py": _source(spec)})
    tokens = command_tokens(facts)
    assert tokens == ["results_dir=results", 'run_ids=["run-1","run-2"]']
    real = _real_outcome(spec, tokens)
    failure = evaluate_cli_failure(facts)
    if real == "ok":
        assert failure is None
        return
    assert failure is not None, real
    if real == "required":
        assert "required" in failure.message
    elif real == "unrecognized":
        assert "unrecognized arguments" in failure.message
    else:
        assert "JSONDecodeError" in failure.message


def test_keyvalue_parsing_passes() -> None:
    source = textwrap.dedent(
        """
        import json, sys

        def main():
            kv = dict(a.split("=", 1) for a in sys.argv[1:])
            return json.loads(kv["run_ids"])
        """
    )
    assert evaluate_cli_failure(_facts({"src/evaluate.py": source})) is None


# --------------------------------------------------------------------------- C801 against real Hydra


def _compose(config_text: str, overrides: list[str], tmp_path: Path):  # type: ignore[no-untyped-def]
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    (tmp_path / "config.yaml").write_text(config_text)
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(tmp_path), version_base=None):
        return compose(config_name="config", overrides=overrides)


def test_hydra_turns_run_ids_into_a_list_that_json_refuses(tmp_path: Path) -> None:
    from omegaconf import ListConfig

    cfg = _compose("results_dir: results\nrun_ids: []\n", ["results_dir=r", 'run_ids=["a","b"]'], tmp_path)
    assert isinstance(cfg.run_ids, ListConfig)
    with pytest.raises(TypeError, match="ListConfig"):
        json.loads(cfg.run_ids)  # type: ignore[arg-type]
    source = textwrap.dedent(
        """
        import json
        import hydra

        @hydra.main(config_path="../config", config_name="config", version_base=None)
        def main(cfg):
            return json.loads(cfg.run_ids)
        """
    )
    failure = evaluate_cli_failure(
        _facts({"src/evaluate.py": source, "config/config.yaml": "results_dir: results\nrun_ids: []\n"})
    )
    assert failure is not None and "ListConfig" in failure.message


def test_hydra_refuses_a_key_the_config_lacks(tmp_path: Path) -> None:
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException):
        _compose("results_dir: results\n", ["results_dir=r", 'run_ids=["a","b"]'], tmp_path)
    source = """import json\nimport hydra\n\n@hydra.main(config_path="../config", config_name="config")\ndef main(cfg):\n    return json.loads(cfg.run_ids)\n"""
    failure = evaluate_cli_failure(_facts({"src/evaluate.py": source, "config/config.yaml": "results_dir: results\n"}))
    assert failure is not None and "+run_ids" in failure.message


# --------------------------------------------------------------------------- key flow (C608)

_TRAIN_HELPER = """\
import wandb


def _log(run, payload, step):
    run.log(payload, step=step)


def fit(cfg, model):
    run = wandb.init(project=cfg.wandb.project)
    for step in range(10):
        _log(run, {"train/loss": model.step()}, step)
        _log(run, {f"val/{name}": value for name, value in model.evaluate().items()}, step)
    final = {"best_acc": 1, "final_acc": 2}
    for key, value in final.items():
        wandb.summary[key] = value
"""


def test_keys_follow_helper_parameters_patterns_and_summary_loops() -> None:
    evaluate = """\
def read(run):
    history = run.history()
    a = history["train/loss"]
    b = history["val/acc"]
    c = run.summary.get("final_acc", run.summary.get("never_written"))
    return a, b, c
"""
    facts = _facts({"src/train.py": _TRAIN_HELPER, "src/evaluate.py": evaluate})
    w = wandb_of(facts)
    assert not any(wr.keys.opaque for wr in w.writes)
    assert w.is_written("train/loss", "history") and w.is_written("val/acc", "history")
    assert w.is_written("final_acc", "summary") and not w.is_written("final_acc", "history")
    assert not _findings({"src/train.py": _TRAIN_HELPER, "src/evaluate.py": evaluate}, "C608")


def test_unwritten_key_names_the_closest_written_key() -> None:
    evaluate = "def read(run):\n    return run.history()['train/losses']\n"
    found = _findings({"src/train.py": _TRAIN_HELPER, "src/evaluate.py": evaluate}, "C608")
    assert len(found) == 1 and found[0].line == 2 and "'train/loss'" in found[0].message


# --------------------------------------------------------------------------- figures, dispatch, profiles


@pytest.mark.parametrize(
    ("name", "fires"),
    [
        ('f"{run_id}_learning_curve.pdf"', False),
        ('"comparison_accuracy_bar.pdf"', False),
        ('f"{rid}_confusion_matrix_pair1.pdf"', False),
        ('"learning_curve.pdf"', True),
        ('f"learning_curve_{metric}.pdf"', True),
        ('f"{run_id}_curve.png"', True),
    ],
)
def test_v2_figure_names(name: str, fires: bool) -> None:
    source = f"import matplotlib.pyplot as plt\n\ndef save(run_id, rid, metric):\n    plt.savefig({name})\n"
    assert bool(_findings({"src/evaluate.py": source}, "C809")) is fires


def test_dispatch_raising_after_the_chain_and_substring_tests() -> None:
    source = textwrap.dedent(
        """
        def build(cfg):
            if "cifar" in cfg.dataset.name:
                return 1
            elif cfg.dataset.name == "svhn":
                return 2
            raise ValueError(cfg.dataset.name)
        """
    )
    found = dispatches(_facts({"src/preprocess.py": source}), "dataset")
    assert [(d.literals, d.fallback) for d in found] == [(("*cifar*", "svhn"), "raise")]


def test_outputs_contract_only_where_the_profile_states_it() -> None:
    assert load_profile("airas-v2").outputs is not None
    assert load_profile("airas-v2").outputs.aggregated_keys[-1] == "gap"  # type: ignore[union-attr]
    assert load_profile("airas-v1").outputs.figure_names == [r"[^/]+\.pdf"]  # type: ignore[union-attr]
    assert load_profile("airas-v0-base").outputs is None
    assert load_profile("airas-v0-derived").outputs is None


# --------------------------------------------------------------------------- seeds and corpus


@needs_shared
def test_seed_000_fabricated_confusion_matrix_is_reported_at_its_line() -> None:
    report = check(str(SEEDS / "000_881bcf544f0ec272.txt"), select=["C404"])
    assert [(f.path, f.line) for f in report.findings] == [("src/evaluate.py", 140)]
    assert "final_dev_em" in report.findings[0].message


@needs_shared
def test_seed_004_has_no_contract_findings_on_an_empty_training_side() -> None:
    report = check(str(SEEDS / "004_d382b2ae2d84167b.txt"), select=["C3", "C4", "C6", "C8"])
    assert not report.internal_errors
    assert not [f for f in report.findings if f.rule.startswith(("C4", "C6"))]
