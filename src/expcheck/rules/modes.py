"""C9 — trial and full modes: the switch is read, and the trial branch really shrinks the run.

The trial and full branches come from ``facts/modes.py``; each expected effect is looked for in
the source of its branch.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.cfgflow import cfg_flow
from expcheck.facts.hydra_app import entry_app
from expcheck.facts.modes import mode_branches
from expcheck.rules.base import Hit, rule
from expcheck.rules.examples_repo import MAIN_V2, v2


def _applies(facts: Facts) -> bool:
    return facts.profile.modes is not None and facts.derived(entry_app) is not None


@rule(
    id="C901",
    name="mode-switch-unused",
    criterion="C9",
    severity="error",
    confidence="inferred",
    clause="trial-switch",
    known_limits="""Looks for reads of the profile's switch key; a key read through a dynamic lookup it cannot follow is missed.""",
    title="The code never reads the trial/full mode switch",
    why="""The pipeline's trial run passes mode=trial (or trial_mode=true) to get a quick smoke test. Code
        that never looks at that key runs the full experiment, with W&B online, under the trial label.""",
    fix="Branch on cfg.mode (or cfg.trial_mode) in main.py and shrink the run in trial mode.",
    bad=[
        v2(
            main=MAIN_V2.replace('        if cfg.mode == "trial":\n', "        if False:\n"),
            expect=(("src/main.py", 5),),
        )
    ],
    good=[v2()],
)
def mode_switch_unused(facts: Facts) -> Iterator[Hit]:
    if not _applies(facts):
        return
    key = facts.profile.modes.key  # type: ignore[union-attr]
    reads = [a for a in facts.derived(cfg_flow).accesses if a.binding.root == "cfg" and a.binding.keys[:1] == (key,)]
    if reads or facts.derived(mode_branches).switch is not None:
        return
    app = facts.derived(entry_app)
    assert app is not None
    yield Hit(
        path=app.path,
        line=app.line,
        column=app.column,
        message=f"cfg.{key} is never read: {facts.profile.modes.trial_override} changes nothing",
    )  # type: ignore[union-attr]


@dataclass(frozen=True)
class _Effect:
    rule_id: str
    name: str
    title: str
    pattern: re.Pattern[str]
    branch: str  # "trial" or "full"
    what: str
    clause: str  # the profile's clause that asks for it


_EFFECTS = (
    _Effect(
        "C902",
        "trial-wandb-not-disabled",
        "Trial mode does not disable W&B",
        re.compile(r"disabled|WANDB_MODE|offline"),
        "trial",
        "W&B mode 'disabled'",
        "trial-wandb-disabled",
    ),
    _Effect(
        "C903",
        "trial-optuna-not-off",
        "Trial mode does not turn Optuna off",
        re.compile(r"n_trials\W{0,8}(?:=|:)\s*0\b|optuna\w*\W{0,8}(?:enabled|use)\w*\W{0,4}(?:=|:)\s*False", re.I),
        "trial",
        "Optuna n_trials = 0",
        "trial-optuna-off",
    ),
    _Effect(
        "C904",
        "trial-epochs-not-one",
        "Trial mode does not cut training to one epoch",
        re.compile(r"epoch\w*['\"]?\]?\s*(?:=|:)\s*1\b|epoch\w*\W{0,6}min\(\s*1\b|max_steps\w*\s*=\s*[12]\b", re.I),
        "trial",
        "one epoch",
        "trial-one-epoch",
    ),
    _Effect(
        "C905",
        "trial-batches-not-limited",
        "Trial mode does not limit the number of batches",
        re.compile(
            r"(?:batch|step|iter)\w*['\"]?\]?\s*(?:=|:|>=|>|<|<=)\s*[1-3]\b|limit\w*\s*=\s*[1-3]\b|islice\(", re.I
        ),
        "trial",
        "a limit of 1-2 batches",
        "trial-few-batches",
    ),
    _Effect(
        "C906",
        "full-wandb-not-online",
        "Full mode does not set W&B online",
        re.compile(r"online"),
        "full",
        "W&B mode 'online'",
        "full-wandb-online",
    ),
)


def _effect_rule(effect: _Effect) -> None:
    bad_main = {
        "C902": MAIN_V2.replace('            cfg.wandb.mode = "disabled"\n', ""),
        "C903": MAIN_V2.replace("            cfg.run.optuna.n_trials = 0\n", ""),
        "C904": MAIN_V2.replace("            cfg.run.training.epochs = 1\n", ""),
        "C905": MAIN_V2.replace("            cfg.run.training.max_batches = 2\n", ""),
        "C906": MAIN_V2.replace('        else:\n            cfg.wandb.mode = "online"\n', ""),
    }[effect.rule_id]

    @rule(
        id=effect.rule_id,
        name=effect.name,
        criterion="C9",
        severity="warning",
        confidence="heuristic",
        clause=effect.clause,
        known_limits=f"""Searches the source of the {effect.branch}-mode branches for a pattern of {effect.what}; a
            setting made by a helper called there, or in a config file the branch selects, is not seen.""",
        title=effect.title,
        why=f"""In {effect.branch} mode the contract expects {effect.what}. expcheck looks for it in the code
            that runs only in {effect.branch} mode (branches on the mode key); none sets it, so the
            {effect.branch} run is not what the pipeline asks for.""",
        fix=f"Set {effect.what} inside the {effect.branch}-mode branch, before the work starts.",
        bad=[v2(main=bad_main, expect=(("src/main.py", 9),))],  # the mode switch whose branch lacks the effect
        good=[v2()],
    )
    def check(facts: Facts) -> Iterator[Hit]:
        if not _applies(facts):
            return
        if effect.branch == "full" and facts.profile.modes.full_override is None:  # type: ignore[union-attr]
            return  # this contract has no full-mode switch to check
        branches = facts.derived(mode_branches)
        if branches.switch is None:
            return  # C901 reports the missing switch
        text = branches.trial if effect.branch == "trial" else branches.full
        if not effect.pattern.search(text):
            path, line = branches.switch
            yield Hit(path=path, line=line, message=f"the {effect.branch}-mode code never sets {effect.what}")


for _effect in _EFFECTS:
    _effect_rule(_effect)
