"""C7 — every config key the code reads exists in every run's composed config; no new keys into a struct."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from expcheck.facts import Facts
from expcheck.facts.cfgflow import Access, cfg_flow
from expcheck.facts.compose import compose_setup
from expcheck.facts.effective import (
    MISSING,
    Effective,
    conditions_hold,
    effective_configs,
    is_absent,
    lookup,
    run_file,
    written_by_code,
)
from expcheck.rules.base import Hit, rule
from expcheck.rules.examples_repo import MAIN_V1, MAIN_V2, RUN_V2, v1, v2


@dataclass(frozen=True)
class _Miss:
    eff: Effective
    certain: bool  # every condition on the way was decided, and holds
    mandatory: bool  # the key exists with the value ??? (never given)


def _closest(data: object, keys: tuple[str, ...]) -> str:
    """A hint naming the nearest existing keys at the level where the path breaks."""
    parent: object = data
    for i, key in enumerate(keys):
        if isinstance(parent, dict) and key in parent:
            parent = parent[key]
            continue
        if isinstance(parent, dict) and parent:
            near = difflib.get_close_matches(key, [str(k) for k in parent], n=2, cutoff=0.6)
            where = ".".join(keys[:i]) or "the root"
            if near:
                return f"; under {where} there is {', '.join(repr('.'.join((*keys[:i], n))) for n in near)}"
            return f"; {where} has {', '.join(sorted(map(str, parent))[:6])}"
        if i and isinstance(parent, dict):
            return f"; {'.'.join(keys[:i])} is empty"
        if i:
            return f"; {'.'.join(keys[:i])} is {type(parent).__name__}, not a mapping"
        return ""
    return ""


def _misses(facts: Facts, access: Access, effs: list[Effective]) -> list[_Miss]:
    """The certain misses of ``access``: the effective configs whose conditions surely hold and that lack the
    key (or leave it ???), where no code of the same app writes it."""
    out = []
    if access.uncertain:
        return out  # no miss of it can be certain
    for eff in effs:
        holds = conditions_hold(access, eff)
        if holds is not True:
            continue  # false, or cannot be told: not a certain miss
        source = eff.config if access.binding.root == "cfg" else eff.runfile
        if source is None:
            continue
        value = lookup(source, access.binding.keys)
        mandatory = value == MISSING
        if not is_absent(value) and not mandatory:
            continue
        if written_by_code(facts, access, eff):
            continue
        out.append(_Miss(eff, certain=True, mandatory=mandatory))
    return out


def _runs_text(misses: list[_Miss], total_runs: int, modes: set[str]) -> str:
    runs = sorted({m.eff.run_id for m in misses})
    miss_modes = sorted({m.eff.mode for m in misses})
    who = (
        "every run"
        if len(runs) == total_runs and total_runs > 1
        else f"run {', '.join(runs[:3])}" + (" ..." if len(runs) > 3 else "")
    )
    if modes != {"default"} and set(miss_modes) != modes:
        who += f" in {'/'.join(miss_modes)} mode"
    return who


@rule(
    id="C701",
    name="config-key-missing",
    criterion="C7",
    severity="error",
    confidence="inferred",
    known_limits="""Composes each run's config with Hydra and follows config reads through aliases; keys added at run time through paths it cannot follow can be misjudged.""",
    title="The code reads a config key that a run's composed config does not have",
    why="""OmegaConf raises ConfigAttributeError (Missing key ...) when code reads a key the config lacks, and
        a key left at ??? raises MissingMandatoryValue. expcheck composes every run's config with Hydra,
        applies the run file the code loads itself, follows the config through aliases and calls, and
        checks every read; reads behind .get(), `in`/hasattr guards or a broad except are optional, and
        a branch that a run's config rules out (cfg.method == "proposed") is not held against that run.""",
    fix="Read the key the configs actually define, add it to config.yaml or every run config, or use .get(key, default).",
    bad=[
        v2(
            main=MAIN_V2.replace("cfg.run.training.lr", "cfg.run.training.learning_rate"),
            note="the runs define training.lr",
            expect=(("src/main.py", 17),),
        ),
        v1(
            main=MAIN_V1.replace("cfg.run.training.lr", "cfg.training.lr"),
            note="the run config sits under cfg.run",
            expect=(("src/main.py", 8),),
        ),
        v2(
            runs=(
                ("proposed-mlp", RUN_V2.format(run_id="proposed-mlp", method="proposed")),
                (
                    "comparative-1-mlp",
                    RUN_V2.format(run_id="comparative-1-mlp", method="comparative-1").replace("  lr: 0.01\n", ""),
                ),
            ),
            note="one run lacks the key",
            expect=(("src/main.py", 17),),
        ),
    ],
    good=[
        v2(),
        v1(),
        v2(
            main=MAIN_V2.replace(
                "    print(cfg.run.training.lr, cfg.results_dir)\n",
                '    if cfg.run.method == "proposed":\n        print(cfg.run.training.alpha)\n'
                '    print(cfg.run.training.get("beta", 0.5))\n',
            ),
            runs=(
                (
                    "proposed-mlp",
                    RUN_V2.format(run_id="proposed-mlp", method="proposed").replace(
                        "  lr: 0.01\n", "  lr: 0.01\n  alpha: 0.3\n"
                    ),
                ),
                ("comparative-1-mlp", RUN_V2.format(run_id="comparative-1-mlp", method="comparative-1")),
            ),
            note="a key only the proposed run has, read only when the method is proposed",
        ),
    ],
)
def config_key_missing(facts: Facts) -> Iterator[Hit]:
    effs = facts.derived(effective_configs)
    if not effs:
        return
    total_runs = len({e.run_id for e in effs})
    modes = {e.mode for e in effs}
    seen: set[tuple[str, int, tuple[str, ...]]] = set()
    for access in facts.derived(cfg_flow).accesses:
        if access.kind != "read" or access.binding.root == "reshaped" or access.binding.keys[:1] == ("hydra",):
            continue
        key = (access.path, access.line, access.binding.keys)
        if key in seen:
            continue
        misses = _misses(facts, access, effs)
        if not misses:
            continue
        seen.add(key)
        dotted = ".".join(access.binding.keys)
        where = "run config" if access.binding.root == "runfile" else "composed config"
        first = misses[0]
        if all(m.mandatory for m in misses):
            problem = (
                f"is ??? (mandatory) in the {where} of {_runs_text(misses, total_runs, modes)} and nothing sets it"
            )
        else:
            source = first.eff.config if access.binding.root == "cfg" else first.eff.runfile
            problem = f"is missing from the {where} of {_runs_text(misses, total_runs, modes)}{_closest(source, access.binding.keys)}"
        yield Hit(
            path=access.path,
            line=access.line,
            column=access.column,
            message=f"`{access.text}` reads '{dotted}', which {problem}",
            fix=None if all(m.mandatory for m in misses) else _add_key_fix(facts, access, misses, effs),
        )


def _add_key_fix(facts: Facts, access: Access, misses: list[_Miss], effs: list[Effective]) -> str | None:
    """The concrete edit: the key to add and the file(s) to add it to, when the configs show where it belongs.

    A key the composed config holds one level down, in every run that misses it (``cfg.training.lr``
    where the run config is mounted as ``run``), is to be read there. A key some runs have belongs in the run configs of the others, at the path those runs' files
    hold it; a key read from the run file, or under ``run`` where the contract mounts the run
    config, belongs in the run configs; a key no run has, read from the app config, in the primary
    config file. None when the configs do not tell.
    """
    keys = access.binding.keys
    if access.binding.root == "cfg":
        mounts = [
            str(k)
            for k, v in misses[0].eff.config.items()
            if isinstance(v, dict) and str(k) != (keys[0] if keys else "")
        ]
        for mount in mounts:
            if all(not is_absent(lookup(m.eff.config, (mount, *keys))) for m in misses):
                return f"Read the key under `{mount}` (`cfg.{mount}.<key>`): the composed config holds it there."
    missing = sorted({m.eff.run_id for m in misses})
    holders = [e for e in effs if e.run_id not in missing and e.runfile is not None]
    relative: tuple[str, ...] | None = None
    if access.binding.root == "runfile" or any(not is_absent(lookup(e.runfile, keys)) for e in holders):
        relative = keys
    elif keys[:1] == ("run",) and len(keys) > 1 and facts.profile.run_config_dir is not None:
        relative = keys[1:]
    if relative:
        paths = [p for p in (facts.profile.run_config_path(r) for r in missing) if p and p in facts.files]
        if paths:
            shown = ", ".join(paths[:4]) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")
            return f"Add `{'.'.join(relative)}` to {shown}, or read a key the configs define."
    setup = facts.derived(compose_setup)
    if access.binding.root == "cfg" and not holders and setup.config_name is not None:
        primary = f"{setup.config_dir}/{setup.config_name}.yaml" if setup.config_dir else f"{setup.config_name}.yaml"
        if primary in facts.files:
            return f"Add `{'.'.join(keys)}` to {primary}, or read a key the configs define."
    return None


@rule(
    id="C702",
    name="struct-key-assignment",
    criterion="C7",
    severity="error",
    confidence="inferred",
    known_limits="""Follows assignments into the Hydra config and the open_dict / set_struct scopes around them; a struct flag changed through an API it does not model is missed.""",
    title="New key assigned into Hydra's struct config",
    why="""Hydra hands the task a config in struct mode: assigning a key it does not already have raises
        ConfigAttributeError (Key '...' is not in struct) unless the assignment sits inside
        `with open_dict(cfg):` or after OmegaConf.set_struct(cfg, False) (`with read_write(cfg):` lifts
        only the read-only flag, not struct mode).""",
    fix="Wrap the assignment in `with open_dict(cfg):` (from omegaconf import open_dict), or declare the key in config.yaml.",
    bad=[
        v2(
            main=MAIN_V2.replace(
                "    print(cfg.run.training.lr, cfg.results_dir)\n",
                '    cfg.device = "cuda"\n    print(cfg.run.training.lr, cfg.device)\n',
            ),
            expect=(("src/main.py", 17),),
        ),
        v2(
            main=MAIN_V2.replace(
                "from omegaconf import OmegaConf, open_dict", "from omegaconf import OmegaConf, open_dict, read_write"
            ).replace(
                "    print(cfg.run.training.lr, cfg.results_dir)\n",
                '    with read_write(cfg):\n        cfg.device = "cuda"\n    print(cfg.run.training.lr, cfg.device)\n',
            ),
            expect=(("src/main.py", 18),),
        ),
    ],
    good=[
        v2(),
        v2(
            main=MAIN_V2.replace(
                "    print(cfg.run.training.lr, cfg.results_dir)\n",
                '    cfg.results_dir = "out"\n    print(cfg.results_dir)\n',
            ),
            note="assigning a key that exists is allowed",
        ),
    ],
)
def struct_key_assignment(facts: Facts) -> Iterator[Hit]:
    effs = facts.derived(effective_configs)
    if not effs:
        return
    for access in facts.derived(cfg_flow).accesses:
        if access.kind != "write" or access.struct_open or access.binding.root != "cfg" or not access.binding.keys:
            continue
        if "*" in access.binding.keys:
            continue
        missing = []
        for eff in effs:
            if conditions_hold(access, eff) is not True or access.uncertain:
                continue
            if is_absent(lookup(eff.config, access.binding.keys)):
                missing.append(eff)
        if missing:
            keys = access.binding.keys
            parent_missing = next(
                (keys[:i] for i in range(1, len(keys)) if is_absent(lookup(missing[0].config, keys[:i]))), None
            )
            if parent_missing is not None:
                where = ".".join(parent_missing)
                message = (
                    f"`{access.text} = ...` assigns under '{where}', which the config does not have: "
                    f"ConfigAttributeError: Key '{parent_missing[-1]}' is not in struct"
                )
            else:
                message = (
                    f"`{access.text} = ...` adds key '{keys[-1]}' to a struct config outside open_dict: "
                    f"ConfigAttributeError: Key '{keys[-1]}' is not in struct"
                )
            yield Hit(path=access.path, line=access.line, column=access.column, message=message)


def _undeclared(base: dict[str, Any], extra: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[str]:
    """Keys of ``extra`` that merging it into the struct node ``base`` would add (OmegaConf refuses them).

    A key whose value in ``base`` is not a mapping (None, ???, a string) is replaced whole, so only
    mappings on both sides are descended into.
    """
    out: list[str] = []
    for key, value in extra.items():
        path = (*prefix, str(key))
        if key not in base:
            out.append(".".join(path))
        elif isinstance(base[key], dict) and isinstance(value, dict):
            out.extend(_undeclared(base[key], value, path))
    return out


_MERGE_RUN = """\
import hydra
from omegaconf import OmegaConf


@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg):
    run_cfg = OmegaConf.load(f"config/runs/{cfg.run}.yaml")
    cfg = OmegaConf.merge(cfg, run_cfg)
    print(cfg.training.lr, cfg.results_dir)


if __name__ == "__main__":
    main()
"""

_FLAT_RUN = "run_id: {run_id}\nmethod: proposed\ntraining:\n  lr: 0.01\n  epochs: 5\n"
_FLAT_RUNS = (("proposed-mlp", _FLAT_RUN.format(run_id="proposed-mlp")),)
_DECLARED = (
    "run: ???\nresults_dir: results\nmode: full\nrun_id: null\nmethod: null\n"
    "training:\n  lr: 0.001\n  epochs: 1\nwandb:\n  mode: online\n"
)


@rule(
    id="C708",
    name="merge-into-struct-config",
    criterion="C7",
    severity="error",
    confidence="inferred",
    known_limits="""Follows merges of a loaded run file into the config Hydra passed; merges through helpers it cannot follow are missed.""",
    title="Run file merged into Hydra's struct config adds keys the config lacks",
    why="""`OmegaConf.merge(cfg, run_cfg)` starts from a copy of its first argument, flags included. When
        that is the config Hydra passed in (struct mode), every key of the run file that config.yaml does
        not declare raises ConfigKeyError (Key '...' is not in struct) before any training starts. The
        same holds for a node of it (`cfg.run`) and for an empty mapping declared as `model: {}`.""",
    fix="""Merge inside `with open_dict(cfg):` (or after OmegaConf.set_struct(cfg, False)), or declare
        every key the run files bring in config/config.yaml (null placeholders).""",
    bad=[
        v2(
            main=_MERGE_RUN,
            runs=_FLAT_RUNS,
            note="config.yaml declares none of run_id, method, training",
            expect=(("src/main.py", 8),),
        ),
        v2(
            main=_MERGE_RUN,
            config=_DECLARED.replace("training:\n  lr: 0.001\n  epochs: 1\n", "training: {}\n"),
            runs=_FLAT_RUNS,
            note="an empty mapping in config.yaml accepts no keys in struct mode",
            expect=(("src/main.py", 8),),
        ),
    ],
    good=[
        v2(
            main=_MERGE_RUN.replace(
                "    cfg = OmegaConf.merge(cfg, run_cfg)\n",
                "    with open_dict(cfg):\n        cfg = OmegaConf.merge(cfg, run_cfg)\n",
            ).replace("import OmegaConf\n", "import OmegaConf, open_dict\n"),
            runs=_FLAT_RUNS,
        ),
        v2(main=_MERGE_RUN, config=_DECLARED, runs=_FLAT_RUNS, note="every key is declared"),
        v2(
            main=_MERGE_RUN.replace("OmegaConf.merge(cfg, run_cfg)", "OmegaConf.merge(run_cfg, cfg)"),
            runs=_FLAT_RUNS,
            note="the run file, not struct, is the base of the merge",
        ),
    ],
)
def merge_into_struct_config(facts: Facts) -> Iterator[Hit]:
    setup = facts.derived(compose_setup)
    merges = [
        a
        for a in facts.derived(cfg_flow).accesses
        if a.kind == "write" and a.value == "runfile-merge" and a.struct_merge_base is not None and not a.uncertain
    ]
    if not merges or not setup.compositions:
        return
    for access in merges:
        assert access.struct_merge_base is not None
        added: dict[str, None] = {}
        runs: dict[str, None] = {}
        for comp in setup.compositions:
            data = run_file(facts, comp.run_id)
            if comp.config is None or data is None:
                continue
            if conditions_hold(access, Effective(comp.run_id, comp.mode, comp.config, data)) is not True:
                continue
            base = lookup(comp.config, access.struct_merge_base)
            if not isinstance(base, dict):
                continue
            for key in _undeclared(base, data):
                added[key] = None
                runs[comp.run_id] = None
        if not added:
            continue
        keys = list(added)
        shown = ", ".join(keys[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")
        node = ".".join(access.struct_merge_base) or "the root"
        yield Hit(
            path=access.path,
            line=access.line,
            column=access.column,
            message=(
                f"merging the run file into Hydra's struct config ({node}) adds keys config.yaml does not declare "
                f"({shown}; {len(runs)} run(s)): ConfigKeyError: Key '{keys[0].rsplit('.', 1)[-1]}' is not in struct"
            ),
        )
