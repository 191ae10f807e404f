"""R6xx — the process around the code: child processes, Hydra's working directory, W&B credentials.

These are the failures that happen before or beside the experiment's own code: a child process that
cannot find its module, a trial run that stops at the W&B login.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.hydra_app import hydra_apps
from expcheck.facts.imports import ModuleInfo, ProjectIndex, project_index
from expcheck.facts.launches import Launch, job_directory, launches, wandb_inits
from expcheck.rules.base import Example, Hit, rule

_LAUNCHER = """\
import subprocess
import sys

import hydra


@hydra.main(config_path="../config", config_name="config"{version_base})
def main(cfg):
    cmd = [sys.executable, "-u", "-m", "src.train", f"run={{cfg.run}}"]
    subprocess.run(cmd, check=True{cwd})


if __name__ == "__main__":
    main()
"""
_TRAIN = "import hydra\n\n\n@hydra.main(config_path='../config', config_name='config', version_base='1.3')\ndef main(cfg):\n    print(cfg)\n"
_CONFIG = "run: x\nresults_dir: results\nmode: full\nwandb:\n  mode: online\n"


def _launcher(version_base: str = "", cwd: str = "", config: str = _CONFIG, train: str = _TRAIN) -> dict[str, str]:
    return {
        "src/main.py": _LAUNCHER.format(version_base=version_base, cwd=cwd),
        "src/train.py": train,
        "config/config.yaml": config,
    }


@rule(
    id="R601",
    name="child-process-in-hydra-job-dir",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Models Hydra's working-directory change by version_base and hydra.job.chdir; a launcher that changes directory back is not followed.""",
    title="A child `python -m src.…` is started from inside a Hydra job that changed the working directory",
    why="""Without version_base (or with "1.1", or hydra.job.chdir: true) Hydra runs the task function
        inside outputs/<date>/<time>. A child started there with `python -m src.train` looks for the
        `src` package in that folder and stops with "No module named 'src'" (a relative script path
        fails the same way); the parent then fails too.""",
    fix="""Pass version_base="1.3" to @hydra.main, or start the child with
        cwd=hydra.utils.get_original_cwd().""",
    bad=[
        Example(files=_launcher(), expect=(("src/main.py", 10),)),
        Example(files=_launcher(version_base=', version_base="1.1"'), expect=(("src/main.py", 10),)),
        Example(
            files=_launcher(version_base=', version_base="1.3"', config=_CONFIG + "hydra:\n  job:\n    chdir: true\n"),
            expect=(("src/main.py", 10),),
        ),
    ],
    good=[
        Example(files=_launcher(version_base=', version_base="1.3"')),
        Example(files=_launcher(cwd=", cwd=hydra.utils.get_original_cwd()")),
        Example(
            files=_launcher(config=_CONFIG + "hydra:\n  run:\n    dir: .\n"),
            note="the job directory is the start folder",
        ),
    ],
)
def child_process_in_hydra_job_dir(facts: Facts) -> Iterator[Hit]:
    index = facts.derived(project_index)
    apps = facts.derived(hydra_apps)
    for launch in facts.derived(launches):
        app = next((a for a in apps if a.path == launch.call.path), None)
        if app is None or not launch.call.function or launch.cwd_given:
            continue
        text = facts.files[launch.call.path].text
        if "os.chdir" in text or (launch.env_given and "PYTHONPATH" in text):
            continue
        given = app.version_base_given
        version_base = app.version_base if app.version_base != "<unset>" else "1.3"
        where = job_directory(facts, app.config_dir, app.config_name, version_base, given)
        if not where.changes:
            continue
        module, script = launch.python_module, launch.python_script
        if module is not None and index.is_project(module):
            what = f"`python -m {module}` cannot import `{module.split('.', 1)[0]}` there (ModuleNotFoundError)"
        elif script is not None and not script.startswith("/") and "{" not in script:
            what = f"`python {script}` cannot find the script there"
        else:
            continue
        yield Hit(
            path=launch.call.path,
            line=launch.call.line,
            column=launch.call.column,
            message=f"started inside the Hydra job, whose working directory is its output folder ({where.reason}): {what}",
        )


_HANDLED = re.compile(
    r"WANDB_MODE|WANDB_DISABLED|WANDB_API_KEY|wandb\.login|anonymous\s*=|\b(?:disabled|offline|dryrun)\b"
)
_BROAD = frozenset({"Exception", "BaseException", "UsageError", "wandb.errors.UsageError", "wandb.Error", "CommError"})


# Substrings a text holding any of them matches ``_HANDLED`` for sure, and those one of which every other
# match holds: most texts hold none, and a few substring searches cost far less than the regex's scan.
_HANDLED_SURELY = ("WANDB_MODE", "WANDB_DISABLED", "WANDB_API_KEY", "wandb.login")
_HANDLED_MAYBE = ("anonymous", "disabled", "offline", "dryrun")


def _wandb_off_somewhere(facts: Facts) -> bool:
    """Whether any code or config file turns W&B off or deals with its key (mode disabled/offline, env vars, login)."""
    return any(_handles_wandb(f.text) for path, f in facts.files.items() if path.endswith((".py", ".yaml", ".yml")))


def _handles_wandb(text: str) -> bool:
    """``_HANDLED.search(text)``, the regex run only on a text holding a substring only some matches need."""
    if any(word in text for word in _HANDLED_SURELY):
        return True
    return any(word in text for word in _HANDLED_MAYBE) and _HANDLED.search(text) is not None


_TRAIN_WANDB = """\
import hydra
import wandb


@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg):
    run = wandb.init(project=cfg.wandb.project, entity=cfg.wandb.entity{mode})
    run.log({{"loss": 1.0}})
"""

_TRAIN_WANDB_LOCAL_ALIAS = """\
import hydra


@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg):
    import wandb as wb

    run = wb.init(project=cfg.wandb.project, entity=cfg.wandb.entity)  # expect: R602
    run.log({"loss": 1.0})
"""


@rule(
    id="R602",
    name="wandb-online-in-trial",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Looks for anything that turns W&B off or checks WANDB_API_KEY in trial mode; handling through a wrapper it cannot follow is reported.""",
    title="W&B starts online in trial mode and nothing handles a missing API key",
    why="""The trial run is a smoke test on a machine that may have no W&B credentials. When nothing in
        the code or config turns W&B off (mode disabled/offline) or checks WANDB_API_KEY, wandb.init
        stops the trial with "api_key not configured (no-tty)".""",
    fix="""In trial mode set `mode="disabled"` for wandb.init (or WANDB_MODE=disabled), and keep "online"
        for full mode.""",
    bad=[
        Example(
            files={
                "src/train.py": _TRAIN_WANDB.format(mode=""),
                "config/config.yaml": "wandb:\n  project: p\n  entity: e\n",
            },
            expect=(("src/train.py", 7),),
        ),
        Example(
            files={
                "src/train.py": _TRAIN_WANDB_LOCAL_ALIAS,
                "config/config.yaml": "wandb:\n  project: p\n  entity: e\n",
            },
            note="W&B imported under an alias inside the training function",
        ),
    ],
    good=[
        Example(
            files={
                "src/train.py": _TRAIN_WANDB.format(mode=', mode="disabled" if cfg.mode == "trial" else "online"'),
                "config/config.yaml": "wandb:\n  project: p\n  entity: e\n",
            }
        ),
        Example(
            files={
                "src/train.py": _TRAIN_WANDB.format(mode=""),
                "config/config.yaml": "wandb:\n  project: p\n  entity: e\n",
            },
            profile="airas-v1-early",
            note="a contract without a trial mode",
        ),
    ],
)
def wandb_online_in_trial(facts: Facts) -> Iterator[Hit]:
    if facts.profile.modes is None:
        return
    inits = facts.derived(wandb_inits)
    if not inits or _wandb_off_somewhere(facts):
        return
    for init in inits:
        call = init.call
        if call.path.endswith("evaluate.py"):
            continue  # evaluation runs on its own, not in the trial run
        keywords = {k.arg: k.value for k in call.node.keywords}
        if None in keywords or "anonymous" in keywords or any(name in _BROAD for name in init.caught):
            continue
        yield Hit(
            path=call.path,
            line=call.line,
            column=call.column,
            message=f"wandb.init runs online in trial mode ({facts.profile.modes.trial_override}) too, "
            "and no code turns W&B off or checks WANDB_API_KEY: the trial stops here without credentials",
        )


def _script_problem(index: ProjectIndex, facts: Facts, info: ModuleInfo) -> str | None:
    """Why a module fails when run as a script by path (no package context), or None."""
    if "sys.path" in facts.files[info.path].text:
        return None
    for fact in info.imports:
        if fact.guarded or fact.type_only or not fact.module_level:
            continue
        if fact.level:
            return f"its relative import at line {fact.line} fails without a package (ImportError)"
        if index.is_project(fact.module) and "." in fact.module:
            return f"`{fact.module.split('.', 1)[0]}` is not importable from a script (line {fact.line}, ModuleNotFoundError)"
    return None


def _target_problem(facts: Facts, index: ProjectIndex, launch: Launch) -> str | None:
    module, script = launch.python_module, launch.python_script
    if module is not None and "{" not in module:
        top = module.split(".", 1)[0]
        if not (index.is_project(module) or top in index.stems):
            return None
        if not index.exists(module):
            return f"`python -m {module}`: there is no module {module} in the submission"
        if module in index.packages and f"{module}.__main__" not in index.modules:
            return f"`python -m {module}`: {module} is a package without __main__.py and cannot be run"
        return None
    if script is None or launch.cwd_given or script.startswith("/") or "{" in script:
        return None
    path = posixpath.normpath(script)
    if path not in facts.files:
        return f"`python {script}`: the file is not in the submission"
    info = index.by_path.get(path)
    problem = _script_problem(index, facts, info) if info is not None else None
    return f"`python {script}` runs it as a script: {problem}" if problem else None


@rule(
    id="R603",
    name="child-process-target-missing",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Resolves the child process's module or script against the submission's files; a target built at run time is not resolved.""",
    title="A child process runs a module or script that does not exist or cannot run that way",
    why="""`subprocess.run([sys.executable, "-m", "src.training"])` needs src/training.py; a script run by
        path (`python src/train.py`) gets no package, so its relative imports and `src.` imports fail.""",
    fix="Name a module the submission has, and start project modules with `-m src.<module>`.",
    bad=[
        Example(
            files={
                **_launcher(version_base=', version_base="1.3"'),
                "src/main.py": _LAUNCHER.format(version_base=', version_base="1.3"', cwd="").replace(
                    "src.train", "src.trainer"
                ),
            },
            expect=(("src/main.py", 10),),
        ),
        Example(
            files={
                "src/main.py": "import subprocess\nimport sys\n\n\ndef main():\n"
                '    subprocess.run([sys.executable, "src/train.py"], check=True)\n',
                "src/train.py": "from .model import build\n\nbuild()\n",
                "src/model.py": "def build():\n    return 1\n",
            },
            expect=(("src/main.py", 6),),
        ),
    ],
    good=[
        Example(files=_launcher(version_base=', version_base="1.3"')),
        Example(
            files={
                "src/main.py": "import subprocess\nimport sys\n\n\ndef main():\n"
                '    subprocess.run([sys.executable, "-m", "src.train"], check=True)\n',
                "src/train.py": "from .model import build\n\nbuild()\n",
                "src/model.py": "def build():\n    return 1\n",
            }
        ),
    ],
)
def child_process_target_missing(facts: Facts) -> Iterator[Hit]:
    index = facts.derived(project_index)
    for launch in facts.derived(launches):
        problem = _target_problem(facts, index, launch)
        if problem is not None:
            yield Hit(path=launch.call.path, line=launch.call.line, column=launch.call.column, message=problem)
