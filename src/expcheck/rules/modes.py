"""C9 — trial and full modes: the switch is read, and the trial branch really shrinks the run.

The trial branch is found from the code: statements under a condition on the profile's mode key
(``cfg.mode == "trial"``, ``if cfg.trial_mode:``), including through local flags such as
``trial = cfg.mode == "trial"``. Each expected effect is looked for in that branch's source.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.cfgflow import cfg_flow
from expcheck.facts.hydra_app import entry_app
from expcheck.rules.base import Hit, rule
from expcheck.rules.examples_repo import MAIN_V2, v2


@dataclass(frozen=True)
class _Branches:
    switch: tuple[str, int] | None  # where the mode is first tested
    trial: str  # source of the code that runs only in trial mode
    full: str  # source of the code that runs only in full mode


def _mentions_mode(test: ast.expr, key: str, flags: set[str]) -> bool:
    names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(test) if isinstance(n, ast.Attribute)}
    names |= {n.value for n in ast.walk(test) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return key in names or bool(names & flags)


def _is_trial_test(test: ast.expr, key: str, flags: set[str]) -> bool | None:
    """True: the test holds in trial mode; False: it holds in full mode; None: not a mode test."""
    text = ast.unparse(test)
    if not _mentions_mode(test, key, flags):
        return None
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    if "'full'" in text or '"full"' in text:
        return "!=" in text
    if "'trial'" in text or '"trial"' in text:
        return "!=" not in text and "not in" not in text
    return not negated  # a boolean flag: trial_mode / trial


def _branches(facts: Facts) -> _Branches:
    modes = facts.profile.modes
    key = modes.key if modes is not None else "mode"
    trial_parts: list[str] = []
    full_parts: list[str] = []
    switch: tuple[str, int] | None = None
    first_is_trial = False
    for path, module in sorted(facts.python.items()):
        if module.tree is None or key not in module.file.text:
            continue
        flags = {
            node.targets[0].id
            for node in module.statements
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and re.search(rf"\b{re.escape(key)}\b", ast.unparse(node.value))
        }
        words = (key, *flags)
        tests: list[ast.If | ast.IfExp] = [
            n
            for n in module.statements
            if isinstance(n, ast.If) and any(w in module.file.line(n.test.lineno) for w in words)
        ]
        # A conditional expression's meaning lives in what it is assigned to: `max_batches = 2 if trial else None`.
        owner: dict[int, str] = {}
        for stmt in module.statements:
            if not isinstance(stmt, ast.Assign | ast.AnnAssign | ast.Return) or stmt.value is None:
                continue
            if not any(w in module.file.line(stmt.lineno) for w in words):
                continue
            targets = (
                stmt.targets
                if isinstance(stmt, ast.Assign)
                else [stmt.target]
                if isinstance(stmt, ast.AnnAssign)
                else []
            )
            prefix = " = ".join(ast.unparse(t) for t in targets)
            for n in ast.walk(stmt.value):
                if isinstance(n, ast.IfExp):
                    tests.append(n)
                    owner[id(n)] = f"{prefix} = " if prefix else ""
        for node in tests:
            if isinstance(node, ast.If | ast.IfExp):
                trial = _is_trial_test(node.test, key, flags)
                if trial is None:
                    continue
                if switch is None or (trial and not first_is_trial):
                    # Point at the first trial branch, else at the first mode test at all.
                    first_is_trial = first_is_trial or trial
                    switch = (path, node.lineno) if switch is None or trial else switch
                body = node.body if isinstance(node.body, list) else [node.body]
                orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
                # The test belongs to the branch too: `if cfg.mode == "trial" and step >= 2: break`.
                lead = owner.get(id(node), "")
                yes = "\n".join([ast.unparse(node.test), *(lead + ast.unparse(s) for s in body)])
                no = "\n".join(lead + ast.unparse(s) for s in orelse)
                (trial_parts if trial else full_parts).append(yes)
                (full_parts if trial else trial_parts).append(no)
    return _Branches(switch, "\n".join(trial_parts), "\n".join(full_parts))


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
    bad=[v2(main=MAIN_V2.replace('        if cfg.mode == "trial":\n', "        if False:\n"))],
    good=[v2()],
)
def mode_switch_unused(facts: Facts) -> Iterator[Hit]:
    if not _applies(facts):
        return
    key = facts.profile.modes.key  # type: ignore[union-attr]
    reads = [a for a in facts.derived(cfg_flow).accesses if a.binding.root == "cfg" and a.binding.keys[:1] == (key,)]
    if reads or _branches(facts).switch is not None:
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
        bad=[v2(main=bad_main)],
        good=[v2()],
    )
    def check(facts: Facts) -> Iterator[Hit]:
        if not _applies(facts):
            return
        if effect.branch == "full" and facts.profile.modes.full_override is None:  # type: ignore[union-attr]
            return  # this contract has no full-mode switch to check
        branches = facts.derived(_branches)
        if branches.switch is None:
            return  # C901 reports the missing switch
        text = branches.trial if effect.branch == "trial" else branches.full
        if not effect.pattern.search(text):
            path, line = branches.switch
            yield Hit(path=path, line=line, message=f"the {effect.branch}-mode code never sets {effect.what}")


for _effect in _EFFECTS:
    _effect_rule(_effect)
