"""C809, C810, C812 — figures: evaluate.py saves them, named as the contract says, and only evaluate.py does.

What the contract asks for is profile data (``outputs``); contracts without it are not judged here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.evaluatefigures import evaluate_figure_names
from expcheck.facts.evaluation import (
    EVALUATE,
    evaluate_module,
    figure_saves,
)
from expcheck.facts.moduletexts import entry_of
from expcheck.rules.base import Example, Hit, rule
from expcheck.rules.examples_repo import EVALUATE_V2


def _outputs(facts: Facts):  # type: ignore[no-untyped-def]
    return facts.profile.outputs


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
            files={EVALUATE: EVALUATE_V2.replace('f"{rid}_learning_curve.pdf"', '"learning_curve.pdf"')},
            expect=(("src/evaluate.py", 22),),
        ),
        Example(
            files={EVALUATE: EVALUATE_V2.replace('"comparison_accuracy_bar.pdf"', '"accuracy_bar.png"')},
            expect=(("src/evaluate.py", 37),),
        ),
    ],
    good=[
        Example(files={EVALUATE: EVALUATE_V2}),
        Example(
            files={EVALUATE: EVALUATE_V2.replace('f"{rid}_learning_curve.pdf"', '"learning_curve.pdf"')},
            profile="airas-v1",
            note="v1 names figures by topic only",
        ),
    ],
)
def figure_name(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    if outputs is None or not outputs.figure_names or evaluate_module(facts) is None:
        return
    patterns = [re.compile(p) for p in outputs.figure_names]
    for named in facts.derived(evaluate_figure_names):
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
    good=[Example(files={EVALUATE: EVALUATE_V2})],
)
def evaluate_no_figures(facts: Facts) -> Iterator[Hit]:
    outputs = _outputs(facts)
    index = evaluate_module(facts)
    if outputs is None or not outputs.figure_names or index is None:
        return
    if figure_saves(facts, EVALUATE) or facts.derived(evaluate_figure_names):
        return
    if any(
        c.attr in ("savefig", "save", "write_image") or ("save" in c.attr.lower() and "fig" in c.attr.lower())
        for c in index.calls
    ):
        return
    yield Hit(
        path=EVALUATE,
        line=entry_of(facts, EVALUATE),
        message="evaluate.py saves no figure: no learning curves and no comparison charts are produced",
        evidence="(no savefig call in src/evaluate.py)",
    )
