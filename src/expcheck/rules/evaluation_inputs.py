"""C801–C804 — how evaluate.py is started and where it reads the runs: it runs alone from the
documented command (main.py neither imports nor launches it) and reads the runs from the W&B API with
the entity and project the config names.

What the contract asks for is profile data (``outputs`` and ``commands.evaluate``); contracts
without it are not judged here.
"""

from __future__ import annotations

from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.astindex import index_of, template
from expcheck.facts.evaluation import (
    EVALUATE,
    evaluate_cli_failure,
    evaluate_links,
    evaluate_module,
)
from expcheck.facts.moduletexts import entry_of
from expcheck.facts.wandb import wandb_of
from expcheck.rules.base import Example, Hit, rule
from expcheck.rules.examples_repo import EVALUATE_V2

MAIN = "src/main.py"
CONFIG = "config/config.yaml"

_ARGPARSE_POSITIONAL = """\
import argparse
import json


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results_dir")
    parser.add_argument("run_ids")
    args = parser.parse_args()
    run_ids = json.loads(args.run_ids)
    return args.results_dir, run_ids
"""

_ARGPARSE_OPTIONS = """\
import argparse
import json


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results-dir", required=True)
    parser.add_argument("--run-ids", required=True)
    args = parser.parse_args()
    return args.results_dir, json.loads(args.run_ids)
"""

_HYDRA_EVAL = """\
import json

import hydra


@hydra.main(config_path="../config", config_name="config", version_base=None)
def main(cfg):
    run_ids = json.loads(cfg.run_ids)
    return cfg.results_dir, run_ids
"""


def _outputs(facts: Facts):  # type: ignore[no-untyped-def]
    return facts.profile.outputs


# --------------------------------------------------------------------------- C801


@rule(
    id="C801",
    name="evaluate-cli-rejects-command",
    criterion="C8",
    severity="error",
    confidence="inferred",
    clause="evaluate-command",
    known_limits="""Models argparse and sys.argv parsing of the documented command line; a parser library it does not model can be misjudged.""",
    title="evaluate.py fails on the documented command line",
    why="""The pipeline runs `python -m src.evaluate results_dir=<path> run_ids='["a","b"]'`:
        key=value tokens, with run_ids a JSON list to parse with json.loads. argparse with --options
        rejects those tokens (missing required arguments, unrecognized arguments); argparse with
        positionals hands json.loads the whole `run_ids=[...]` token; a Hydra app turns the list into
        a ListConfig, which json.loads cannot take. Each stops the evaluation at its first line.""",
    fix="Read `sys.argv[1:]` as key=value pairs (`k, v = token.split('=', 1)`) and `json.loads` the run_ids value.",
    bad=[
        Example(files={EVALUATE: _ARGPARSE_POSITIONAL}, expect=(("src/evaluate.py", 10),)),
        Example(files={EVALUATE: _ARGPARSE_OPTIONS}, expect=(("src/evaluate.py", 9),)),
        Example(
            files={EVALUATE: _HYDRA_EVAL, CONFIG: "results_dir: results\nrun_ids: []\n"},
            expect=(("src/evaluate.py", 8),),
        ),
    ],
    good=[
        Example(files={EVALUATE: EVALUATE_V2}),
        Example(
            files={
                EVALUATE: _ARGPARSE_OPTIONS.replace(
                    "    args = parser.parse_args()",
                    "    argv = ['--' + t.replace('_', '-').replace('=', ' ', 1) for t in sys.argv[1:]]\n"
                    "    args = parser.parse_args(' '.join(argv).split())",
                ).replace("import json", "import json\nimport sys")
            },
            note="the code rewrites the key=value tokens into options itself",
        ),
        Example(
            files={EVALUATE: _ARGPARSE_OPTIONS},
            profile="airas-v1-early",
            note="the earliest contract documents no evaluate command",
        ),
    ],
)
def evaluate_cli_rejects_command(facts: Facts) -> Iterator[Hit]:
    failure = facts.derived(evaluate_cli_failure)
    if failure is not None:
        yield Hit(path=failure.path, line=failure.line, message=failure.message)


# --------------------------------------------------------------------------- C802


@rule(
    id="C802",
    name="main-runs-evaluate",
    criterion="C8",
    severity="error",
    confidence="inferred",
    clause="evaluate-independent",
    known_limits="""Looks for imports of evaluate and launches of src.evaluate from main.py; an indirect launch through a string it cannot resolve is missed.""",
    title="main.py imports or launches evaluate",
    why="""Evaluation runs once, on its own, after every run has finished (it compares runs). When
        main.py imports evaluate or launches `src.evaluate`, each training run triggers it with a
        single run and without the run_ids it needs.""",
    fix="Remove the evaluate import/launch from main.py; the pipeline calls evaluate separately.",
    bad=[
        Example(
            files={
                MAIN: "import subprocess\nimport sys\n\ndef main(cfg):\n"
                "    subprocess.run([sys.executable, '-m', 'src.train', f'run={cfg.run}'], check=True)\n"
                "    subprocess.run([sys.executable, '-m', 'src.evaluate', f'results_dir={cfg.results_dir}'], check=True)\n"
            },
            expect=(("src/main.py", 6),),
        ),
        Example(
            files={MAIN: "from src.evaluate import main as evaluate_main\n\ndef main(cfg):\n    evaluate_main()\n"},
            expect=(("src/main.py", 1),),
        ),
    ],
    good=[
        Example(
            files={
                MAIN: "import subprocess\nimport sys\n\ndef main(cfg):\n"
                "    print('evaluate with: python -m src.evaluate')\n"
                "    subprocess.run([sys.executable, '-m', 'src.train', f'run={cfg.run}'], check=True)\n"
            }
        ),
        Example(
            files={
                MAIN: "import subprocess\nimport sys\n\ndef main(cfg):\n"
                "    subprocess.run([sys.executable, '-m', 'src.evaluate', f'results_dir={cfg.results_dir}'])\n"
            },
            profile="airas-v1-early",
            note="the earliest contract has main launch evaluate",
        ),
    ],
)
def main_runs_evaluate(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or not outputs.evaluate_standalone:
        return
    index = index_of(facts, MAIN)
    if index is None:
        return
    for link in evaluate_links(index):
        if link.kind == "import":
            yield Hit(path=MAIN, line=link.line, message="main.py imports evaluate; evaluation must run on its own")
        else:
            yield Hit(
                path=MAIN,
                line=link.line,
                column=link.column,
                message="main.py launches src.evaluate; evaluation runs once, separately, over all run_ids",
            )


# --------------------------------------------------------------------------- C803 / C804


@rule(
    id="C803",
    name="evaluate-no-wandb-api",
    criterion="C8",
    severity="error",
    confidence="inferred",
    clause="evaluate-wandb-api",
    known_limits="Looks for wandb.Api() use in evaluate.py; reading W&B through a wrapper library is missed.",
    title="evaluate.py does not read the runs from the W&B API",
    why="""Under the W&B contract evaluate takes each run's history, summary and config from
        `wandb.Api().run(f"{entity}/{project}/{run_id}")`; train writes no local result files for it
        to read instead.""",
    fix='Create `api = wandb.Api()` and read `api.run(f"{entity}/{project}/{run_id}")` for each run id.',
    bad=[
        Example(
            files={
                EVALUATE: "import json\n\ndef load(path):  # expect: C803\n    return json.loads(open(path).read())\n"
            }
        )
    ],
    good=[Example(files={EVALUATE: EVALUATE_V2})],
)
def evaluate_no_wandb_api(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = evaluate_module(facts)
    if outputs is None or not outputs.evaluate_reads_wandb or index is None:
        return
    if any(c.name.startswith("wandb.") and c.attr == "Api" for c in index.calls):
        return
    yield Hit(
        path=EVALUATE,
        line=entry_of(facts, EVALUATE),
        message="evaluate.py never creates wandb.Api(): the runs' histories and summaries are not read from W&B",
        evidence="(no wandb.Api() call in src/evaluate.py)",
    )


@rule(
    id="C804",
    name="evaluate-wandb-path-hard-coded",
    criterion="C8",
    severity="warning",
    confidence="inferred",
    clause="config-wandb",
    known_limits="""Reports a literal entity/project path in evaluate.py; a literal that equals the config's value is still reported.""",
    title="evaluate.py hard-codes the W&B entity/project",
    why="""The contract has evaluate load the W&B entity and project from config/config.yaml, the
        same place train takes them from; a path written into the code breaks as soon as the config
        names another project.""",
    fix='Read entity and project from config/config.yaml and build `f"{entity}/{project}/{run_id}"`.',
    bad=[
        Example(
            files={
                EVALUATE: "import wandb\n\ndef get(rid):\n    return wandb.Api().run(f'lab/study/{rid}')\n",
            },
            expect=(("src/evaluate.py", 4),),
        )
    ],
    good=[Example(files={EVALUATE: EVALUATE_V2})],
)
def evaluate_wandb_path_hard_coded(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or not outputs.evaluate_reads_wandb or evaluate_module(facts) is None:
        return
    for path, call in wandb_of(facts).api_run_calls:
        text = template(call.node.args[0])
        if text is None:
            continue
        head = text.split("{}", 1)[0]
        parts = [p for p in head.split("/") if p]
        if head.count("/") >= 2 or (len(parts) >= 1 and head.endswith("/") and head.count("/") >= 1 and "{}" in text):
            if head.count("/") < 2 and text.count("{}") > 1:
                continue
            yield Hit(
                path=path,
                line=call.line,
                column=call.column,
                message=f"api.run path starts with the literal {head!r}: the entity/project are hard-coded "
                "instead of read from config/config.yaml",
            )
