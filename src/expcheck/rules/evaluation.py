"""C8 — independent evaluation: evaluate.py runs alone from the documented command, reads W&B, and
writes per-run metrics, the cross-run summary and figures named as the contract says.

What the contract asks for is profile data (``outputs`` and ``commands.evaluate``); contracts
without it are not judged here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from expcheck.facts import PRIMARY_METRIC, Facts
from expcheck.facts.astindex import ModuleIndex, index_of, template
from expcheck.facts.dictkeys import KeyResolver
from expcheck.facts.evaluation import (
    EVALUATE,
    dumped_object,
    evaluate_cli_failure,
    evaluate_links,
    figure_names,
    figure_saves,
    named_files,
    primary_metric_named,
)
from expcheck.facts.wandb import wandb_of
from expcheck.rules.base import Example, Hit, rule

MAIN = "src/main.py"
CONFIG = "config/config.yaml"

_EVAL_OK = """\
import json
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import wandb
from scipy import stats


def main():
    args = dict(token.split("=", 1) for token in sys.argv[1:])
    out = Path(args["results_dir"])
    run_ids = json.loads(args["run_ids"])
    api = wandb.Api()
    values = {}
    for rid in run_ids:
        run = api.run(f"{ENTITY}/{PROJECT}/{rid}")
        history = run.history()
        (out / rid).mkdir(parents=True, exist_ok=True)
        (out / rid / "metrics.json").write_text(json.dumps(run.summary._json_dict))
        plt.plot(history["val_acc"])
        plt.savefig(out / rid / f"{rid}_learning_curve.pdf")
        values[rid] = run.summary["best_val_acc"]
    best_p = max(v for r, v in values.items() if "proposed" in r)
    best_b = max(v for r, v in values.items() if "comparative" in r)
    summary = {
        "primary_metric": "accuracy",
        "metrics": {"best_val_acc": values},
        "best_proposed": best_p,
        "best_baseline": best_b,
        "gap": (best_p - best_b) / best_b * 100,
        "p_value": stats.ttest_ind(list(values.values()), list(values.values())).pvalue,
    }
    (out / "comparison").mkdir(parents=True, exist_ok=True)
    (out / "comparison" / "aggregated_metrics.json").write_text(json.dumps(summary))
    plt.bar(list(values), list(values.values()))
    plt.savefig(out / "comparison" / "comparison_accuracy_bar.pdf")


ENTITY, PROJECT = "lab", "study"

if __name__ == "__main__":
    main()
"""

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


def _evaluate(facts: Facts) -> ModuleIndex | None:
    file = facts.files.get(EVALUATE)
    if file is None or file.origin != "code" or file.is_blank:
        return None
    return index_of(facts, EVALUATE)


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
        Example(files={EVALUATE: _EVAL_OK}),
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
    failure = evaluate_cli_failure(facts)
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
    bad=[Example(files={EVALUATE: "import json\n\ndef load(path):\n    return json.loads(open(path).read())\n"})],
    good=[Example(files={EVALUATE: _EVAL_OK})],
)
def evaluate_no_wandb_api(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = _evaluate(facts)
    if outputs is None or not outputs.evaluate_reads_wandb or index is None:
        return
    if any(c.name.startswith("wandb.") and c.attr == "Api" for c in index.calls):
        return
    yield Hit(
        path=EVALUATE,
        line=1,
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
    good=[Example(files={EVALUATE: _EVAL_OK})],
)
def evaluate_wandb_path_hard_coded(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or not outputs.evaluate_reads_wandb or _evaluate(facts) is None:
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


# --------------------------------------------------------------------------- C805 / C806 / C807


def _anchor(index: ModuleIndex) -> int:
    """Line of the evaluate entry function (``def main``), else 1."""
    scope = index.function_named("main")
    return getattr(scope.node, "lineno", 1) if scope is not None else 1


def _writes_file(facts: Facts, name: str, exact_base: bool = True) -> list[tuple[int, str]]:
    found = []
    for named in named_files(facts, EVALUATE):
        base = named.basename
        if base == name or (not exact_base and re.fullmatch(r"\{\}[_-]" + re.escape(name), base)):
            found.append((named.line, named.function))
    return found


@rule(
    id="C805",
    name="per-run-metrics-missing",
    criterion="C8",
    severity="error",
    confidence="inferred",
    clause="per-run-metrics",
    known_limits="""Looks for the file name the profile gives in evaluate.py's writes; a name assembled from parts it cannot resolve is missed.""",
    title="evaluate.py writes no per-run metrics file",
    why="""Step one of the evaluation exports each run's metrics to `{results_dir}/{run_id}/metrics.json`
        (the contract's file name); later steps and the paper writer read them there.""",
    fix='Write `json.dump(metrics, open(results_dir / run_id / "metrics.json", "w"))` for every run id.',
    bad=[
        Example(
            files={EVALUATE: _EVAL_OK.replace('"metrics.json"', '"run_summary.json"')},
            expect=(("src/evaluate.py", 10),),
        )
    ],
    good=[Example(files={EVALUATE: _EVAL_OK})],
)
def per_run_metrics_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = _evaluate(facts)
    if outputs is None or not outputs.per_run_metrics or index is None:
        return
    if _writes_file(facts, outputs.per_run_metrics, exact_base=False):
        return
    yield Hit(
        path=EVALUATE,
        line=_anchor(index),
        message=f"evaluate.py never names {outputs.per_run_metrics!r}: no per-run metrics file is written "
        f"under results_dir/<run_id>/",
        evidence=f"(no {outputs.per_run_metrics} in src/evaluate.py)",
    )


@rule(
    id="C806",
    name="aggregated-metrics-missing",
    criterion="C8",
    severity="error",
    confidence="inferred",
    clause="aggregated-metrics",
    known_limits="""Looks for the file name the profile gives in evaluate.py's writes; a name assembled from parts it cannot resolve is missed.""",
    title="evaluate.py writes no comparison/aggregated_metrics.json",
    why="""Step two of the evaluation writes the cross-run summary to
        `{results_dir}/comparison/aggregated_metrics.json`; the pipeline reads the result of the
        experiment from that file.""",
    fix="Collect the per-run values and write them to results_dir / 'comparison' / 'aggregated_metrics.json'.",
    bad=[
        Example(
            files={EVALUATE: _EVAL_OK.replace('"aggregated_metrics.json"', '"summary.json"')},
            expect=(("src/evaluate.py", 10),),
        )
    ],
    good=[Example(files={EVALUATE: _EVAL_OK})],
)
def aggregated_metrics_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = _evaluate(facts)
    if outputs is None or not outputs.aggregated_metrics or index is None:
        return
    if _writes_file(facts, outputs.aggregated_metrics):
        return
    yield Hit(
        path=EVALUATE,
        line=_anchor(index),
        message=f"evaluate.py never names {outputs.aggregated_metrics!r}: the cross-run summary is not written",
        evidence=f"(no {outputs.aggregated_metrics} in src/evaluate.py)",
    )


@rule(
    id="C807",
    name="aggregated-keys-missing",
    criterion="C8",
    severity="error",
    confidence="inferred",
    clause="aggregated-schema",
    known_limits="""Reads the keys of the dict literal written to the file; a dict built by a loop or a helper it cannot follow is misjudged.""",
    title="aggregated_metrics.json lacks keys the contract requires",
    why="""The contract fixes the shape of comparison/aggregated_metrics.json (v2: primary_metric,
        metrics, best_proposed, best_baseline, gap); downstream steps read those keys.""",
    fix="Write every required key into the aggregated dict before dumping it.",
    bad=[
        Example(
            files={EVALUATE: _EVAL_OK.replace('        "gap": (best_p - best_b) / best_b * 100,\n', "")},
            expect=(("src/evaluate.py", 34),),
        )
    ],
    good=[
        Example(files={EVALUATE: _EVAL_OK}),
        Example(
            files={EVALUATE: _EVAL_OK.replace('        "gap": (best_p - best_b) / best_b * 100,\n', "")},
            profile="airas-v1",
            note="v1 does not fix the keys",
        ),
    ],
)
def aggregated_keys_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = _evaluate(facts)
    if outputs is None or not outputs.aggregated_keys or not outputs.aggregated_metrics or index is None:
        return
    resolver = KeyResolver(facts)
    for line, function in _writes_file(facts, outputs.aggregated_metrics):
        found = dumped_object(index, line, function)
        if found is None:
            continue
        obj, write_line = found
        keys = resolver.keys(index, index.scope(function), obj)
        if keys.opaque or keys.patterns:
            continue
        missing = [k for k in outputs.aggregated_keys if k not in keys.exact]
        if missing:
            yield Hit(
                path=EVALUATE,
                line=write_line,
                message=f"the dict written to {outputs.aggregated_metrics} has no "
                + ", ".join(repr(k) for k in missing)
                + f" (the contract requires {', '.join(outputs.aggregated_keys)})",
            )


# --------------------------------------------------------------------------- C808

_LOWER_IS_BETTER = re.compile(
    r"(?i)\b(?:loss|error|err|perplexity|ppl|latency|regret|mse|mae|rmse|wer|cer|fid|ece|"
    r"calibration error|time to|runtime|wall[- ]clock time|energy consumption|memory usage|distance)\b"
)
_HIGHER_IS_BETTER = re.compile(
    r"(?i)\b(?:accuracy|acc|f1|auc|auroc|bleu|rouge|score|precision|recall|reward|"
    r"exact[- ]match|em|hyper-?volume|success rate|throughput|win rate)\b"
)
_DIRECTION_HANDLED = re.compile(
    r"(?i)minimi[sz]|maximi[sz]|lower_is_better|higher_is_better|greater_is_better|lower is better|"
    r"higher is better|direction|sign"
)


def _gap_line(index: ModuleIndex, key: str) -> int | None:
    for node, _fn in index.strings:
        if isinstance(node, ast.Constant) and node.value == key:
            return node.lineno
    return None


@rule(
    id="C808",
    name="gap-ignores-direction",
    criterion="C8",
    severity="warning",
    confidence="heuristic",
    clause="gap-direction",
    known_limits="""Guesses that the primary metric is minimised from its words (loss, error, latency) and looks for direction words near the gap; it can guess the direction wrong.""",
    title="The gap keeps its sign for a metric that is minimised",
    why="""The contract's gap is (best_proposed - best_baseline) / best_baseline * 100, with the sign
        reversed when the primary metric is to be minimised (a loss, an error, a latency). Without the
        flip an improvement is reported as a negative gap — the experiment's conclusion inverted.""",
    fix="Read the metric's direction and multiply the gap by -1 when lower is better (and pick the best "
    "runs with min instead of max).",
    bad=[
        Example(
            files={EVALUATE: _EVAL_OK.replace('"primary_metric": "accuracy"', '"primary_metric": "validation loss"')},
            expect=(("src/evaluate.py", 31),),
        )
    ],
    good=[Example(files={EVALUATE: _EVAL_OK})],
)
def gap_ignores_direction(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = _evaluate(facts)
    if outputs is None or not outputs.gap_key or index is None:
        return
    metric = primary_metric_named(facts)
    if metric is None:
        facts.lacking(PRIMARY_METRIC)
        return
    if not _LOWER_IS_BETTER.search(metric) or _HIGHER_IS_BETTER.search(metric):
        return
    if _DIRECTION_HANDLED.search(facts.files[EVALUATE].text):
        return
    line = _gap_line(index, outputs.gap_key)
    if line is None:
        return
    yield Hit(
        path=EVALUATE,
        line=line,
        message=f"the primary metric ({metric.strip()}) is to be minimised, but the {outputs.gap_key!r} keeps the "
        "sign of (proposed - baseline): an improvement is reported as a negative gap",
    )


# --------------------------------------------------------------------------- C809 / C810 / C811 / C812


@rule(
    id="C809",
    name="figure-name",
    criterion="C8",
    severity="error",
    confidence="inferred",
    clause="figure-names",
    known_limits="""Resolves figure file names from literals and f-strings; names built by helpers or from glob patterns can be misread.""",
    title="Figure file name does not follow the contract's naming pattern",
    why="""Figures of all runs are collected into one place, so the contract fixes globally unique
        names: v2 `{run_id}_{topic}[_<condition>][_pairN].pdf` per run and
        `comparison_{topic}[_<condition>][_pairN].pdf` across runs; v1 `<topic>[_<condition>][_pairN].pdf`.
        Other names collide between runs or are not picked up; other formats than PDF are not used.""",
    fix="Name per-run figures f'{run_id}_<topic>.pdf' and cross-run figures 'comparison_<topic>.pdf'.",
    bad=[
        Example(
            files={EVALUATE: _EVAL_OK.replace('f"{rid}_learning_curve.pdf"', '"learning_curve.pdf"')},
            expect=(("src/evaluate.py", 22),),
        ),
        Example(
            files={EVALUATE: _EVAL_OK.replace('"comparison_accuracy_bar.pdf"', '"accuracy_bar.png"')},
            expect=(("src/evaluate.py", 37),),
        ),
    ],
    good=[
        Example(files={EVALUATE: _EVAL_OK}),
        Example(
            files={EVALUATE: _EVAL_OK.replace('f"{rid}_learning_curve.pdf"', '"learning_curve.pdf"')},
            profile="airas-v1",
            note="v1 names figures by topic only",
        ),
    ],
)
def figure_name(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or not outputs.figure_names or _evaluate(facts) is None:
        return
    patterns = [re.compile(p) for p in outputs.figure_names]
    for named in figure_names(facts, EVALUATE):
        base = named.basename
        if any(p.fullmatch(base) for p in patterns):
            continue
        if base.startswith("{}") and base.lower().endswith(".pdf"):
            continue  # the name starts with an expression whose value the tree does not show
        if base.strip("{}.pdfPDF") == "" or base.startswith("."):
            continue  # a bare extension or suffix joined to a name built elsewhere
        yield Hit(
            path=EVALUATE,
            line=named.line,
            column=named.column,
            message=f"figure file name {base.replace('{}', '{...}')!r} does not follow the contract's pattern "
            f"({_describe(outputs.figure_names)})",
        )


def _describe(patterns: list[str]) -> str:
    if any(p.startswith("comparison_") for p in patterns):
        return "{run_id}_<topic>.pdf per run, comparison_<topic>.pdf across runs"
    return "<topic>[_<condition>][_pairN].pdf"


@rule(
    id="C810",
    name="figures-outside-evaluate",
    criterion="C8",
    severity="error",
    confidence="inferred",
    clause="figures-only-in-evaluate",
    known_limits="""Looks for savefig and similar calls in train.py and main.py; figures saved through a helper library are missed.""",
    title="train.py or main.py saves figures",
    why="""The contract reserves figures for evaluate.py, which draws them from W&B after all runs
        finished; train.py and main.py generate none (trial runs and runners have no place for them).""",
    fix="Log the values to W&B in train.py and draw the figure in evaluate.py.",
    bad=[
        Example(
            files={
                "src/train.py": "import matplotlib.pyplot as plt\n\ndef done(losses):\n"
                "    plt.plot(losses)\n    plt.savefig('loss.pdf')\n"
            },
            expect=(("src/train.py", 5),),
        )
    ],
    good=[Example(files={"src/train.py": "import wandb\n\ndef done(losses):\n    wandb.log({'loss': losses[-1]})\n"})],
)
def figures_outside_evaluate(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None:
        return
    for path in outputs.no_figures_in:
        file = facts.files.get(path)
        if file is None or file.origin != "code":
            continue
        for call in figure_saves(facts, path):
            yield Hit(
                path=path,
                line=call.line,
                column=call.column,
                message=f"{path} saves a figure ({call.attr}); figures belong to evaluate.py only",
            )


_TESTS = frozenset(
    {
        "ttest_ind",
        "ttest_rel",
        "ttest_1samp",
        "wilcoxon",
        "mannwhitneyu",
        "ks_2samp",
        "chi2_contingency",
        "binomtest",
        "binom_test",
        "permutation_test",
        "bootstrap",
        "f_oneway",
        "kruskal",
        "friedmanchisquare",
        "fisher_exact",
        "mcnemar",
        "ranksums",
        "anova_lm",
    }
)


@rule(
    id="C811",
    name="significance-test-missing",
    criterion="C8",
    severity="warning",
    confidence="heuristic",
    clause="significance-test",
    known_limits="""Looks for calls of known test functions (scipy.stats t-test, Wilcoxon, ...); a test written by hand or from another library is not recognised.""",
    title="evaluate.py runs no statistical significance test",
    why="""The contract's aggregated analysis includes a significance test of the proposed method
        against the baselines; without one the comparison cannot tell an effect from noise.""",
    fix="Compare the runs with a test such as scipy.stats.ttest_ind, wilcoxon or a bootstrap, and report "
    "the p-value in aggregated_metrics.json.",
    bad=[
        Example(
            files={EVALUATE: _EVAL_OK.replace("stats.ttest_ind(", "compare(").replace("from scipy import stats\n", "")},
            expect=(("src/evaluate.py", 9),),
        )
    ],
    good=[Example(files={EVALUATE: _EVAL_OK})],
)
def significance_test_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = _evaluate(facts)
    if outputs is None or not outputs.significance_test or index is None:
        return
    for call in index.calls:
        if call.attr in _TESTS or re.search(r"(?i)bootstrap|permutation|signific|p_?value", call.attr):
            return
    yield Hit(
        path=EVALUATE,
        line=_anchor(index),
        message="evaluate.py calls no significance test (t-test, Wilcoxon, Mann-Whitney, bootstrap, ...)",
        evidence="(no significance test in src/evaluate.py)",
    )


@rule(
    id="C812",
    name="evaluate-no-figures",
    criterion="C8",
    severity="error",
    confidence="inferred",
    clause="evaluate-figures",
    known_limits="""Looks for savefig and similar calls in evaluate.py; figures saved through a helper library are missed.""",
    title="evaluate.py saves no figure",
    why="""The contract's evaluation produces figures: learning curves per run and comparison charts
        across runs. An evaluate.py that never saves a figure delivers none of them.""",
    fix="Draw the learning curves and comparison charts with matplotlib and save them as PDF.",
    bad=[
        Example(
            files={EVALUATE: "import json\nimport wandb\n\ndef main():\n    api = wandb.Api()\n    return api\n"},
            expect=(("src/evaluate.py", 4),),
        )
    ],
    good=[Example(files={EVALUATE: _EVAL_OK})],
)
def evaluate_no_figures(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = _evaluate(facts)
    if outputs is None or not outputs.figure_names or index is None:
        return
    if figure_saves(facts, EVALUATE) or figure_names(facts, EVALUATE):
        return
    if any(
        c.attr in ("savefig", "save", "write_image") or ("save" in c.attr.lower() and "fig" in c.attr.lower())
        for c in index.calls
    ):
        return
    yield Hit(
        path=EVALUATE,
        line=_anchor(index),
        message="evaluate.py saves no figure: no learning curves and no comparison charts are produced",
        evidence="(no savefig call in src/evaluate.py)",
    )
