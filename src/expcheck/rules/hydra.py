"""C2 — Hydra integration: an entry point Hydra can start, configs the documented command composes, and
the per-run log files main.py writes where the contract names them (C208)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.astindex import index_of
from expcheck.facts.cfgflow import cfg_flow
from expcheck.facts.compose import Composition, compose_setup, failure_place
from expcheck.facts.hydra_app import hydra_apps
from expcheck.facts.launches import composes_argv_overrides, train_launch_with_overrides
from expcheck.facts.moduletexts import entry_of, string_constants_of
from expcheck.repairs.hydra import repair_hydra_node_read, repair_missing_mode_key, repair_version_base
from expcheck.rules.base import Example, Hit, rule
from expcheck.rules.examples_repo import CONFIG_V1, MAIN_V2, v1, v2


def _uses_hydra_runs(facts: Facts) -> bool:
    return facts.profile.run_config_dir is not None


@rule(
    id="C201",
    name="no-hydra-entry-point",
    criterion="C2",
    severity="error",
    confidence="inferred",
    known_limits="""Looks for @hydra.main on a function main.py runs; an entry point built with hydra's compose API or a decorator alias it cannot resolve is missed or misread.""",
    title="main.py has no @hydra.main entry point",
    why="""The pipeline starts `python -m src.main run=<id> results_dir=<dir> ...`: key=value overrides
        that only Hydra parses. Without @hydra.main, argparse rejects them or they are ignored.""",
    fix='Decorate the entry function with @hydra.main(config_path="../config", config_name="config", version_base="1.3").',
    bad=[
        v2(
            main="import argparse\n\ndef main():  # expect: C201\n    p = argparse.ArgumentParser()\n    p.add_argument('--run')\n    p.parse_args()\n\nmain()\n"
        )
    ],
    good=[v2()],
)
def no_hydra_entry_point(facts: Facts) -> Iterator[Hit]:
    if not _uses_hydra_runs(facts):
        return
    module = facts.python.get("src/main.py")
    if module is None or module.tree is None or module.file.is_blank:
        return
    if not any(app.path == "src/main.py" for app in facts.derived(hydra_apps)):
        yield Hit(
            path="src/main.py",
            line=entry_of(facts, "src/main.py"),
            message="src/main.py defines no @hydra.main function",
        )


@rule(
    id="C202",
    name="hydra-config-not-found",
    criterion="C2",
    severity="error",
    confidence="inferred",
    known_limits="""Resolves config_path and config_name statically (literals and module constants); a path computed at run time cannot be followed.""",
    title="@hydra.main config_path/config_name do not reach the primary config",
    why="""Hydra resolves config_path relative to the decorated file's folder (src/), so the repository's
        config/ folder is "../config". A path or name that misses it stops the run with
        MissingConfigException before any code runs.""",
    fix='Use config_path="../config" and config_name="config" for config/config.yaml read from src/main.py.',
    bad=[v2(main=MAIN_V2.replace('config_path="../config"', 'config_path="config"'), expect=(("src/main.py", 5),))],
    good=[v2()],
)
def hydra_config_not_found(facts: Facts) -> Iterator[Hit]:
    if not _uses_hydra_runs(facts):
        return
    for app in facts.derived(hydra_apps):
        if app.config_path_unknown:
            continue  # an expression whose value the code alone does not tell
        if app.config_path is None:
            problem = "config_path is not given, so Hydra searches no config folder"
        elif app.config_name is None:
            problem = "config_name is not given"
        else:
            folder = app.config_dir or ""
            target = f"{folder}/{app.config_name}.yaml" if folder else f"{app.config_name}.yaml"
            if target in facts.files:
                continue
            problem = f"it resolves to {target}, which does not exist"
        yield Hit(path=app.path, line=app.line, column=app.column, message=f"@hydra.main in {app.path}: {problem}")


@rule(
    id="C203",
    name="hydra-version-base-missing",
    criterion="C2",
    severity="warning",
    confidence="certain",
    known_limits="None known: Hydra itself warns when version_base is not given.",
    title="@hydra.main without version_base",
    why="""Without version_base Hydra warns and falls back to 1.1 behaviour, which changes the working
        directory into outputs/<date>/<time>: relative paths (data, .cache/, config/runs/) then point
        elsewhere.""",
    fix='Pass version_base="1.3" to @hydra.main.',
    bad=[
        v2(
            main=MAIN_V2.replace(', version_base="1.3"', ""),
            repaired={"src/main.py": MAIN_V2},
            expect=(("src/main.py", 5),),
        ),
        v2(
            main=MAIN_V2.replace(
                'config_path="../config", config_name="config", version_base="1.3"',
                "\n    config_path='../config',\n    config_name='config',\n",
            ),
            repaired={
                "src/main.py": MAIN_V2.replace(
                    'config_path="../config", config_name="config", version_base="1.3"',
                    "\n    config_path='../config',\n    config_name='config',\n    version_base='1.3',\n",
                )
            },
            note="a trailing comma and single quotes are kept",
            expect=(("src/main.py", 5),),
        ),
        v2(
            main=MAIN_V2.replace(
                'config_path="../config", config_name="config", version_base="1.3"', 'config_name="config"'
            ),
            note="no config_path: version_base would also move the config search path, so no repair",
            expect=(("src/main.py", 5),),
        ),
    ],
    good=[v2()],
    repair=repair_version_base,
)
def hydra_version_base_missing(facts: Facts) -> Iterator[Hit]:
    for app in facts.derived(hydra_apps):
        if not app.version_base_given:
            yield Hit(
                path=app.path, line=app.line, column=app.column, message="@hydra.main is called without version_base"
            )


_SAFE_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


_LEAVES = (
    "leaves the config folder {folder}/: the run's Hydra would look for it outside the repository "
    "(expcheck reads nothing there)"
)
_INSIDE_FIX = "Keep every config inside the config folder and name it by its path there (no ../, no absolute path)."


@rule(
    id="C204",
    name="hydra-compose-fails",
    criterion="C2",
    severity="error",
    confidence="certain",
    known_limits="""Composes with Hydra's own compose API over the YAML. Configs the code stores in Hydra's ConfigStore are
        not composed: a failure naming one stored with a literal group and name on import is not judged (no
        finding), so a defect inside such a schema is missed; a Hydra plugin is not seen.""",
    title="The documented command's overrides do not compose",
    why="""expcheck composes the configs with Hydra itself, exactly as `run=<id> results_dir=<dir>` plus the
        mode switch would. When Hydra rejects the overrides (a key missing from config.yaml, a run
        group that cannot be selected, a run id Hydra cannot parse), the run stops before main()
        starts.""",
    fix="Make config.yaml declare every key the command overrides (mode, results_dir, run) and the run group reachable.",
    bad=[
        v2(
            config="run: ???\nresults_dir: results\nwandb:\n  mode: online\n",
            note="mode=trial targets a key config.yaml lacks (not wandb.mode): one finding for both modes, on the file",
            repaired={"config/config.yaml": "run: ???\nresults_dir: results\nwandb:\n  mode: online\nmode: full\n"},
            expect=(("config/config.yaml", 1),),
        ),
        v1(
            config=CONFIG_V1.replace("  - run: ???\n", ""),
            note="run=<id> selects a group the defaults list lacks",
            expect=(("config/config.yaml", 1),),
        ),
        v1(
            config=CONFIG_V1.replace("trial_mode: false\n", ""),
            note="trial_mode=true targets a key config.yaml lacks; the full run is the default",
            repaired={"config/config.yaml": CONFIG_V1.replace("trial_mode: false\n", "") + "trial_mode: false\n"},
            expect=(("config/config.yaml", 1),),
        ),
    ],
    good=[v2(), v1()],
    repair=repair_missing_mode_key,
)
def hydra_compose_fails(facts: Facts) -> Iterator[Hit]:
    setup = facts.derived(compose_setup)
    if not setup.compositions or setup.config_name is None:
        return
    primary = f"{setup.config_dir}/{setup.config_name}.yaml" if setup.config_dir else f"{setup.config_name}.yaml"
    # Runs and modes that fail for one reason at one place are one finding, worded as the first says it.
    grouped: dict[tuple[str, int, str], tuple[str, list[Composition]]] = {}
    explained: set[str] = set()
    for comp in setup.compositions:
        if comp.error is None:
            continue
        if comp.error_type == "OverrideParseException" and not _SAFE_RUN_ID.match(comp.run_id):
            continue  # C704 names the unusable run id
        where = failure_place(facts, primary, comp)
        message, reason = comp.error.replace(comp.run_id, "<run_id>"), comp.failure or ""
        entry = next((e for e in setup.outside if f"'{e.config_path}" in comp.error), None)
        if entry is not None:
            explained.add(entry.config_path)
            where = (entry.path, entry.line)
            outside = f" ('{entry.config_path}' {_LEAVES.format(folder=setup.config_dir or '.')})"
            message, reason = message + outside, reason + outside
        grouped.setdefault((*where, reason), (message, []))[1].append(comp)
    for entry in setup.outside:
        if entry.config_path not in explained:
            yield Hit(
                path=entry.path,
                line=entry.line,
                message=f"defaults entry '{entry.config_path}' {_LEAVES.format(folder=setup.config_dir or '.')}",
                fix=_INSIDE_FIX,
            )
    for (path, line, _), (message, comps) in sorted(grouped.items()):
        runs = sorted({c.run_id for c in comps})
        modes = sorted({c.mode for c in comps})
        example = " ".join(comps[0].overrides)
        scope = f"{len(runs)} run(s) ({', '.join(runs[:3])}{', ...' if len(runs) > 3 else ''})"
        mode_text = f", mode {'/'.join(modes)}" if modes != ["default"] else ""
        yield Hit(
            path=path,
            line=line,
            message=f"Hydra refuses `{example}` for {scope}{mode_text}: {message}",
            fix=_INSIDE_FIX if message.endswith("(expcheck reads nothing there))") else None,
        )


@rule(
    id="C205",
    name="run-group-replaced-by-string",
    criterion="C2",
    severity="error",
    confidence="certain",
    known_limits="""Follows Hydra's defaults-list semantics for `runs@run`; relies on the run group being selected only on the command line.""",
    title="`run=<id>` replaces the run config by a string",
    why="""With run configs in config/runs/ and a defaults entry `runs@run: <default>`, the override
        run=<id> does not select config/runs/<id>.yaml: it replaces the whole `run` node by the
        string '<id>'. Hydra accepts the command and every later cfg.run.<key> read fails.""",
    fix="Keep `run` a plain key (`run: ???`) and load config/runs/{cfg.run}.yaml in code (OmegaConf.load, under open_dict).",
    bad=[
        v2(
            main=MAIN_V2.replace('        cfg.run = OmegaConf.load(f"config/runs/{cfg.run}.yaml")\n', ""),
            config="defaults:\n  - runs@run: proposed-mlp\n  - _self_\nresults_dir: results\nmode: full\nwandb:\n  mode: online\n",
            expect=(("config/config.yaml", 2),),
        )
    ],
    good=[v2()],
)
def run_group_replaced(facts: Facts) -> Iterator[Hit]:
    setup = facts.derived(compose_setup)
    if not setup.compositions or setup.config_name is None:
        return
    loads_itself = any(a.value in ("runfile", "runfile-merge") for a in facts.derived(cfg_flow).accesses)
    if loads_itself:
        return
    replaced = [c for c in setup.compositions if c.config is not None and c.config.get("run") == c.run_id]
    if not replaced:
        return
    primary = f"{setup.config_dir}/{setup.config_name}.yaml" if setup.config_dir else f"{setup.config_name}.yaml"
    file = facts.files[primary]
    line = next((n for n, text in enumerate(file.lines, start=1) if "@run" in text), None)
    if line is None:
        return  # `run` is a plain key but nothing loads the run file: key checks report the reads
    yield Hit(
        path=primary,
        line=line,
        message=f"with this defaults entry, run={replaced[0].run_id} makes cfg.run the string {replaced[0].run_id!r}; "
        "no run config is loaded",
    )


@rule(
    id="C206",
    name="hydra-node-read",
    criterion="C2",
    severity="error",
    confidence="certain",
    known_limits="""Hydra removes the hydra node from the task's config; a read guarded by a check that the key exists is not distinguished.""",
    title="cfg.hydra read inside the Hydra app",
    why="""Hydra removes the `hydra` node from the config it passes to the task function, so cfg.hydra...
        raises ConfigAttributeError: Key 'hydra' is not in struct.""",
    fix="Use `from hydra.core.hydra_config import HydraConfig; HydraConfig.get().runtime.choices` instead.",
    bad=[
        v2(
            main=MAIN_V2.replace(
                "    print(cfg.run.training.lr, cfg.results_dir)\n", "    print(cfg.hydra.runtime.choices)\n"
            ),
            repaired={
                "src/main.py": MAIN_V2.replace(
                    "    print(cfg.run.training.lr, cfg.results_dir)\n",
                    "    print(HydraConfig.get().runtime.choices)\n",
                ).replace("open_dict\n", "open_dict\nfrom hydra.core.hydra_config import HydraConfig\n", 1)
            },
            expect=(("src/main.py", 17),),
        )
    ],
    good=[v2()],
    repair=repair_hydra_node_read,
)
def hydra_node_read(facts: Facts) -> Iterator[Hit]:
    for access in facts.derived(cfg_flow).accesses:
        keys = access.binding.keys
        if access.binding.root == "cfg" and keys and keys[0] == "hydra" and access.kind != "write":
            yield Hit(
                path=access.path,
                line=access.line,
                column=access.column,
                message=f"`{access.text}` reads the hydra node, which the task function's config does not have",
            )


@rule(
    id="C207",
    name="train-not-a-hydra-app",
    criterion="C2",
    severity="error",
    confidence="inferred",
    known_limits="""Recognises a launch of src.train with key=value arguments in main.py; a train.py that parses such tokens by hand in a way not recognised is reported.""",
    title="main.py launches src.train with Hydra overrides, but train.py is not a Hydra app",
    why="""key=value arguments passed to a process are only understood by @hydra.main; a train.py that
        uses argparse or reads sys.argv otherwise rejects or ignores them.""",
    fix="Decorate train.py's entry function with @hydra.main too, or pass the resolved config another way.",
    bad=[
        v2(
            main=MAIN_V2.replace(
                "    print(cfg.run.training.lr, cfg.results_dir)\n",
                '    import subprocess, sys\n    subprocess.run([sys.executable, "-m", "src.train", f"run={cfg.run.run_id}"], check=True)\n',
            ),
            extra={"src/train.py": "import sys\n\nprint(sys.argv)\n"},
            expect=(("src/main.py", 18),),
        )
    ],
    good=[
        v2(
            main=MAIN_V2.replace(
                "    print(cfg.run.training.lr, cfg.results_dir)\n",
                '    import subprocess, sys\n    subprocess.run([sys.executable, "-m", "src.train", f"run={cfg.run.run_id}"], check=True)\n',
            ),
            extra={
                "src/train.py": "import hydra\n\n@hydra.main(config_path='../config', config_name='config', version_base='1.3')\n"
                "def main(cfg):\n    print(cfg.results_dir)\n"
            },
        )
    ],
)
def train_not_a_hydra_app(facts: Facts) -> Iterator[Hit]:
    if not _uses_hydra_runs(facts) or "src/train.py" not in facts.python:
        return
    line = facts.derived(train_launch_with_overrides)
    if line is None:
        return
    if any(app.path == "src/train.py" for app in facts.derived(hydra_apps)):
        return
    if composes_argv_overrides(facts, "src/train.py"):
        return  # Hydra's compose API reads the overrides
    yield Hit(
        path="src/main.py", line=line, message="src.train is launched with key=value overrides but has no @hydra.main"
    )


_RUN_LOG_MAIN = """\
import subprocess
import sys
from pathlib import Path


def launch(run_id, results_dir):
    run_dir = Path(results_dir) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "stdout.log", "w") as out{err_open}:
        proc = subprocess.Popen(
            [sys.executable, "-m", "src.train", "--run-id", run_id],
            stdout=subprocess.PIPE,
            stderr={err},
            text=True,
        )
        for line in proc.stdout:
            sys.stdout.write(line)
            out.write(line)
        proc.wait()
"""


def _run_log_main(separate: bool) -> str:
    if separate:
        return _RUN_LOG_MAIN.format(err_open=', open(run_dir / "stderr.log", "w") as err', err="err")
    return _RUN_LOG_MAIN.format(err_open="", err="subprocess.STDOUT")


def _launch_line(facts: Facts, path: str) -> int:
    """Where main.py starts a run (its first subprocess call), else line 1."""
    index = index_of(facts, path)
    if index is not None:
        for call in index.calls:
            if call.name.startswith("subprocess."):
                return call.line
    return 1


@rule(
    id="C208",
    name="run-log-missing",
    criterion="C2",
    severity="error",
    confidence="inferred",
    clause="run-logs",
    known_limits="""Follows subprocess calls and the file names they write; log files opened through helpers it cannot follow are missed.""",
    title="main.py does not write a per-run log file the contract names",
    why="""Contracts that ask main.py to keep `stdout.log` and `stderr.log` for every run rely on them to
        diagnose a failed run after the fact. Merging stderr into stdout (stderr=subprocess.STDOUT) or
        writing only one file leaves no stderr.log, and the pipeline's repair step has nothing to read.""",
    fix="Open <results_dir>/<run_id>/stderr.log beside stdout.log and tee the child's stderr into it.",
    bad=[
        Example(
            files={"src/main.py": _run_log_main(separate=False)}, profile="airas-v0-base", expect=(("src/main.py", 10),)
        )
    ],
    good=[
        Example(files={"src/main.py": _run_log_main(separate=True)}, profile="airas-v0-base"),
        Example(
            files={"src/main.py": _run_log_main(separate=False)},
            profile="airas-v0-derived",
            note="not asked by this contract",
        ),
    ],
)
def run_log_missing(facts: Facts) -> Iterator[Hit]:
    wanted = facts.profile.run_logs
    main = facts.python.get("src/main.py")
    if not wanted or main is None or main.tree is None:
        return
    literals = " ".join(string_constants_of(facts, "src/main.py"))
    missing = [name for name in wanted if name not in literals]
    if not missing:
        return
    yield Hit(
        path="src/main.py",
        line=_launch_line(facts, "src/main.py"),
        message=(
            f"main.py never names {', '.join(repr(m) for m in missing)}: each run's "
            f"{' and '.join(wanted)} must be written under <results_dir>/<run_id>/"
        ),
    )
