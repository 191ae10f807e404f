"""C805–C808, C811 — what evaluate.py writes about the results: per-run metrics, the cross-run summary
with the keys the contract requires, a gap that respects the metric's direction, and a significance test.

What the contract asks for is profile data (``outputs``); contracts without it are not judged here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from expcheck.facts import PRIMARY_METRIC, Facts
from expcheck.facts.astindex import ModuleIndex
from expcheck.facts.dictkeys import KeyResolver
from expcheck.facts.evaluation import (
    EVALUATE,
    dumped_object,
    evaluate_module,
    primary_metric_named,
)
from expcheck.facts.moduletexts import entry_of, evaluate_named_files
from expcheck.rules.base import Example, Hit, rule
from expcheck.rules.examples_repo import EVALUATE_V2


def _outputs(facts: Facts):  # type: ignore[no-untyped-def]
    return facts.profile.outputs


# --------------------------------------------------------------------------- C805 / C806 / C807


def _writes_file(facts: Facts, name: str, exact_base: bool = True) -> list[tuple[int, str]]:
    found = []
    # A name numbered by run, ``{run_id}_metrics.json``: one regex for the call, not one lookup per name.
    numbered = None if exact_base else re.compile(r"\{\}[_-]" + re.escape(name))
    for named in facts.derived(evaluate_named_files):
        base = named.basename
        if base == name or (numbered is not None and numbered.fullmatch(base)):
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
            files={EVALUATE: EVALUATE_V2.replace('"metrics.json"', '"run_summary.json"')},
            expect=(("src/evaluate.py", 10),),
        )
    ],
    good=[Example(files={EVALUATE: EVALUATE_V2})],
)
def per_run_metrics_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = evaluate_module(facts)
    if outputs is None or not outputs.per_run_metrics or index is None:
        return
    if _writes_file(facts, outputs.per_run_metrics, exact_base=False):
        return
    yield Hit(
        path=EVALUATE,
        line=entry_of(facts, EVALUATE),
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
            files={EVALUATE: EVALUATE_V2.replace('"aggregated_metrics.json"', '"summary.json"')},
            expect=(("src/evaluate.py", 10),),
        )
    ],
    good=[Example(files={EVALUATE: EVALUATE_V2})],
)
def aggregated_metrics_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = evaluate_module(facts)
    if outputs is None or not outputs.aggregated_metrics or index is None:
        return
    if _writes_file(facts, outputs.aggregated_metrics):
        return
    yield Hit(
        path=EVALUATE,
        line=entry_of(facts, EVALUATE),
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
            files={EVALUATE: EVALUATE_V2.replace('        "gap": (best_p - best_b) / best_b * 100,\n', "")},
            expect=(("src/evaluate.py", 34),),
        )
    ],
    good=[
        Example(files={EVALUATE: EVALUATE_V2}),
        Example(
            files={EVALUATE: EVALUATE_V2.replace('        "gap": (best_p - best_b) / best_b * 100,\n', "")},
            profile="airas-v1",
            note="v1 does not fix the keys",
        ),
    ],
)
def aggregated_keys_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = evaluate_module(facts)
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
            files={
                EVALUATE: EVALUATE_V2.replace('"primary_metric": "accuracy"', '"primary_metric": "validation loss"')
            },
            expect=(("src/evaluate.py", 31),),
        )
    ],
    good=[Example(files={EVALUATE: EVALUATE_V2})],
)
def gap_ignores_direction(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = evaluate_module(facts)
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
            files={
                EVALUATE: EVALUATE_V2.replace("stats.ttest_ind(", "compare(").replace("from scipy import stats\n", "")
            },
            expect=(("src/evaluate.py", 9),),
        )
    ],
    good=[Example(files={EVALUATE: EVALUATE_V2})],
)
def significance_test_missing(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = evaluate_module(facts)
    if outputs is None or not outputs.significance_test or index is None:
        return
    for attr in {call.attr for call in index.calls}:  # each callee name once
        if attr in _TESTS or re.search(r"(?i)bootstrap|permutation|signific|p_?value", attr):
            return
    yield Hit(
        path=EVALUATE,
        line=entry_of(facts, EVALUATE),
        message="evaluate.py calls no significance test (t-test, Wilcoxon, Mann-Whitney, bootstrap, ...)",
        evidence="(no significance test in src/evaluate.py)",
    )
