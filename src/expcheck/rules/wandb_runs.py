"""C601–C604, C611 — W&B runs: training starts a run, with the entity, project and mode the config names.

Which of these a contract asks for is profile data (``outputs``): contracts without W&B (the older
ones) are not judged here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, Scope, index_of
from expcheck.facts.wandb import (
    from_config,
    mode_guarded,
    wandb_of,
)
from expcheck.rules.base import Example, Hit, rule
from expcheck.rules.examples_repo import WANDB_TRAIN

CONFIG = "config/config.yaml"
_CFG = "wandb:\n  entity: lab\n  project: study\n  mode: online\n"


def _outputs(facts: Facts):  # type: ignore[no-untyped-def]
    return facts.profile.outputs


def _train_file(facts: Facts) -> str | None:
    """src/train.py when it holds code (the anchor of findings about what train never does)."""
    file = facts.files.get("src/train.py")
    if file is None or file.is_blank or file.unreadable is not None or file.origin != "code":
        return None
    module = facts.python.get("src/train.py")
    return "src/train.py" if module is not None and module.tree is not None else None


def _config_wandb(facts: Facts) -> dict[str, object]:
    doc = facts.yaml.get(CONFIG)
    if doc is None or not isinstance(doc.data, dict):
        return {}
    section = doc.data.get("wandb")
    return section if isinstance(section, dict) else {}


def _init_scope(facts: Facts, path: str, call: CallSite) -> Scope:
    index = index_of(facts, path)
    assert index is not None  # the init was found in this module's index
    return index.scope(call.function)


# --------------------------------------------------------------------------- C601


@rule(
    id="C601",
    name="wandb-init-missing",
    criterion="C6",
    severity="error",
    confidence="inferred",
    clause="wandb-logging",
    known_limits="""Looks for wandb.init reachable from train.py; a W&B run started through a wrapper library (e.g. a Lightning logger) is missed.""",
    title="Training never starts a W&B run",
    why="""The contract has train log every run to W&B and evaluate read the runs back through the
        W&B API. Without a `wandb.init` call nothing is logged, and evaluation finds no run to read.""",
    fix="Call `wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project, mode=cfg.wandb.mode, id=run_id)` "
    "in train.py before the training loop.",
    bad=[
        Example(
            files={"src/train.py": "def train(model, loader):\n    for batch in loader:\n        model.step(batch)\n"},
            expect=(("src/train.py", 1),),
        )
    ],
    good=[
        Example(files={"src/train.py": WANDB_TRAIN}),
        Example(
            files={"src/train.py": "def train(model, loader):\n    for batch in loader:\n        model.step(batch)\n"},
            profile="airas-v1-early",
            note="the earliest contract logs JSON to stdout; W&B is optional",
        ),
    ],
)
def wandb_init_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    train = _train_file(facts)
    if outputs is None or outputs.wandb != "required" or train is None:
        return
    if wandb_of(facts).inits:
        return
    yield Hit(
        path=train,
        line=1,
        message="no module of the training code calls wandb.init: no run is logged, so evaluate has nothing to read",
        evidence="(no wandb.init call in the training code)",
    )


# --------------------------------------------------------------------------- C602 / C603


@rule(
    id="C602",
    name="wandb-init-target",
    criterion="C6",
    severity="error",
    confidence="inferred",
    clause="config-wandb",
    known_limits="""Compares wandb.init's project/entity with the config's; a project set through WANDB_PROJECT in the environment is not seen.""",
    title="wandb.init logs to a project evaluate does not read",
    why="""evaluate looks runs up as `<entity>/<project>/<run_id>` with the entity and project of
        config/config.yaml. A `wandb.init` without `project` logs to W&B's default project, and one
        with a hard-coded entity or project other than the config's logs somewhere else: either way
        the evaluation cannot find the runs.""",
    fix="Pass `entity=cfg.wandb.entity` and `project=cfg.wandb.project` to wandb.init.",
    bad=[
        Example(
            files={"src/train.py": "import wandb\n\ndef go(cfg):\n    wandb.init(mode=cfg.wandb.mode)\n"},
            expect=(("src/train.py", 4),),
        ),
        Example(
            files={
                "src/train.py": "import wandb as wb\n\ndef go(cfg):\n"
                "    wb.init(entity='lab', project='scratch', mode=cfg.wandb.mode)\n",
                CONFIG: _CFG,
            },
            note="a literal project other than the config's",
            expect=(("src/train.py", 4),),
        ),
    ],
    good=[
        Example(files={"src/train.py": WANDB_TRAIN, CONFIG: _CFG}),
        Example(files={"src/train.py": "import wandb\n\ndef go(cfg, **kw):\n    wandb.init(**cfg.wandb)\n"}),
    ],
)
def wandb_init_target(facts: Facts) -> Iterator[Hit]:
    config = _config_wandb(facts)
    for path, call in wandb_of(facts).inits:
        if call.has_kwargs_splat or call.node.args:
            continue
        project = call.keyword("project")
        if project is None:
            yield Hit(
                path=path,
                line=call.line,
                column=call.column,
                message="wandb.init has no project=: the run goes to W&B's default project, not the config's "
                "wandb.project that evaluate reads",
            )
            continue
        for key, node in (("entity", call.keyword("entity")), ("project", project)):
            literal = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
            wanted = config.get(key)
            resolved = isinstance(wanted, str) and wanted and "${" not in wanted and wanted != "???"
            if literal is not None and resolved and literal != wanted:
                yield Hit(
                    path=path,
                    line=call.line,
                    column=call.column,
                    message=f"wandb.init logs to {key} {literal!r}, but config/config.yaml names {wanted!r}, "
                    "where evaluate looks for the runs",
                )


@rule(
    id="C603",
    name="wandb-target-not-from-config",
    criterion="C6",
    severity="warning",
    confidence="inferred",
    clause="config-wandb",
    known_limits="""Checks that entity and project come from the config; values routed through helpers it cannot follow are reported.""",
    title="wandb.init does not take entity and project from the config",
    why="""The contract keeps the W&B entity and project in config/config.yaml so train and evaluate
        agree on where runs live. A missing entity (W&B then picks the API key's default) or a
        value written into the code drifts from the config as soon as one of them changes.""",
    fix="Pass `entity=cfg.wandb.entity, project=cfg.wandb.project`.",
    bad=[
        Example(
            files={"src/train.py": "import wandb\n\ndef go(cfg):\n    wandb.init(project=cfg.wandb.project)\n"},
            note="entity missing",
            expect=(("src/train.py", 4),),
        ),
        Example(
            files={
                "src/train.py": "import wandb\n\ndef go(cfg):\n    wandb.init(entity='lab', project='study')\n",
                CONFIG: _CFG,
            },
            note="the same values as the config, but written into the code",
            expect=(("src/train.py", 4),),
        ),
    ],
    good=[Example(files={"src/train.py": WANDB_TRAIN, CONFIG: _CFG})],
)
def wandb_target_notfrom_config(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or not outputs.config_wandb_keys:
        return
    for path, call in wandb_of(facts).inits:
        if call.has_kwargs_splat or call.node.args or call.keyword("project") is None:
            continue  # C602 reports a missing project
        scope = _init_scope(facts, path, call)
        missing = [k for k in ("entity", "project") if call.keyword(k) is None]
        literal = [k for k in ("entity", "project") if isinstance(call.keyword(k), ast.Constant) and k not in missing]
        other = [
            k
            for k in ("entity", "project")
            if k not in missing and k not in literal and not from_config(call.keyword(k), k, scope)
        ]
        parts = []
        if missing:
            parts.append(f"has no {' or '.join(f'{k}=' for k in missing)}")
        if literal:
            parts.append(f"writes {' and '.join(literal)} into the code")
        if other:
            parts.append(f"does not take {' and '.join(other)} from the config")
        if parts:
            yield Hit(
                path=path,
                line=call.line,
                column=call.column,
                message=f"wandb.init {'; '.join(parts)}: take them from cfg.wandb (config/config.yaml)",
            )


# --------------------------------------------------------------------------- C604


@rule(
    id="C604",
    name="wandb-mode-ignored",
    criterion="C6",
    severity="error",
    confidence="inferred",
    clause="trial-wandb-disabled",
    known_limits="""Follows the config's wandb.mode to wandb.init; a mode set through WANDB_MODE in a way it does not follow is reported.""",
    title="The config's W&B mode never reaches wandb.init",
    why="""Trial mode turns W&B off by setting `wandb.mode: disabled` in the config. A `wandb.init`
        that passes no `mode=` (and is not skipped when the mode is disabled, nor told through
        WANDB_MODE) starts an online run anyway: trial runs are logged as real experiments.""",
    fix="Pass `mode=cfg.wandb.mode` to wandb.init (or skip the call when it is 'disabled').",
    bad=[
        Example(
            files={
                "src/train.py": "import wandb\n\ndef go(cfg):\n"
                "    if cfg.mode == 'trial':\n        cfg.wandb.mode = 'disabled'\n"
                "    wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project)\n",
                CONFIG: _CFG,
            },
            expect=(("src/train.py", 6),),
        )
    ],
    good=[
        Example(files={"src/train.py": WANDB_TRAIN, CONFIG: _CFG}),
        Example(
            files={
                "src/train.py": "import wandb\n\ndef go(cfg):\n"
                "    if cfg.wandb.mode == 'disabled':\n        return None\n"
                "    return wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project)\n",
                CONFIG: _CFG,
            },
            note="skipped when disabled",
        ),
        Example(
            files={
                "src/train.py": "import os\nimport wandb\n\ndef go(cfg):\n"
                "    os.environ['WANDB_MODE'] = cfg.wandb.mode\n"
                "    wandb.init(entity=cfg.wandb.entity, project=cfg.wandb.project)\n",
                CONFIG: _CFG,
            },
            note="mode given through the environment",
        ),
    ],
)
def wandb_mode_ignored(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or facts.profile.modes is None:
        return
    w = wandb_of(facts)
    if w.mode_env or "mode" not in _config_wandb(facts):
        return
    for path, call in w.inits:
        if call.has_kwargs_splat or call.keyword("mode") is not None or call.keyword("settings") is not None:
            continue
        if mode_guarded(_init_scope(facts, path, call), call):
            continue
        yield Hit(
            path=path,
            line=call.line,
            column=call.column,
            message="wandb.init passes no mode=: the config's wandb.mode (disabled in trial mode) is ignored "
            "and every run is logged online",
        )


# --------------------------------------------------------------------------- C611


def _key_line(facts: Facts, key: str) -> int:
    file = facts.files[CONFIG]
    for number, text in enumerate(file.lines, start=1):
        if text.startswith(f"{key}:"):
            return number
    return 1


@rule(
    id="C611",
    name="config-wandb-settings",
    criterion="C6",
    severity="error",
    confidence="certain",
    clause="config-wandb",
    known_limits="None known: the keys are read from the YAML of config/config.yaml.",
    title="config/config.yaml lacks the W&B entity or project",
    why="""train and evaluate both take the W&B entity and project from config/config.yaml; the
        contract makes them mandatory there. Without them train logs to a default place and evaluate
        has no address to read from.""",
    fix="Add `wandb:` with `entity:`, `project:` (and `mode: online`) to config/config.yaml.",
    bad=[
        Example(files={CONFIG: "results_dir: results\nwandb:\n  mode: online\n"}, expect=(("config/config.yaml", 2),))
    ],
    good=[
        Example(files={CONFIG: _CFG}),
        Example(
            files={CONFIG: "results_dir: results\n"},
            profile="airas-v1-early",
            note="the earliest contract keeps no W&B settings",
        ),
    ],
)
def config_wandb_settings(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or not outputs.config_wandb_keys:
        return
    doc = facts.yaml.get(CONFIG)
    if doc is None or doc.problem is not None or not isinstance(doc.data, dict):
        return
    if facts.files[CONFIG].origin != "code":
        return
    section = doc.data.get("wandb")
    if not isinstance(section, dict):
        yield Hit(
            path=CONFIG,
            line=_key_line(facts, "wandb"),
            message="config/config.yaml has no wandb: section with " + " and ".join(outputs.config_wandb_keys),
        )
        return
    missing = [k for k in outputs.config_wandb_keys if section.get(k) in (None, "")]
    if missing:
        yield Hit(
            path=CONFIG,
            line=_key_line(facts, "wandb"),
            message=f"the wandb: section of config/config.yaml has no {' and no '.join(missing)}",
        )
