"""Results the code makes up instead of measuring (facts/fabrication.py): the flows found and those not."""

from __future__ import annotations

import textwrap

import pytest

from conftest import facts_of
from expcheck.facts.fabrication import Fabrication, fabrications, fabrications_of

EVALUATE = "src/evaluate.py"


def _found(source: str, path: str = EVALUATE) -> list[tuple[int, int, str]]:
    """(line, column, kind) of every fabrication in one module."""
    return [(f.line, f.column, f.kind) for f in fabrications(facts_of({path: source}))]


# --------------------------------------------------------------------------- synthesised counts


_SYNTHESISED = """
import numpy as np

def report(summary):
    acc = summary.get("final_acc", 0.0)
    total = 100
    tp = int(total * acc)
    fn = total - tp
    cm = np.array([[tp, 0], [fn, 0]])
    return cm
"""


def test_a_confusion_matrix_built_from_an_aggregate_rate_is_synthesised() -> None:
    facts = facts_of({EVALUATE: _SYNTHESISED})
    assert fabrications(facts) == [
        Fabrication(
            EVALUATE,
            9,
            5,
            "synthesised",
            "confusion matrix built from counts computed out of the aggregate metric 'final_acc' (line 5), "
            "not from predictions",
        )
    ]
    assert fabrications_of(facts) is fabrications_of(facts)  # computed once per submission


@pytest.mark.parametrize(
    "source",
    [
        # an import inside the function, under another alias
        """
        def report(summary):
            import numpy as xp
            acc = summary["accuracy"]
            tp = round(200 * acc)
            conf_mat = xp.array([[tp, 1], [2, 3]])
        """,
        # a walrus in the condition
        """
        import numpy as np
        def report(metrics):
            if (acc := metrics["acc"]) > 0:
                tp = int(100 * acc)
                cm = np.array([[tp, 0], [0, 0]])
        """,
        # a tuple assignment
        """
        import numpy as np
        def report(metrics):
            acc, n = metrics["acc"], 100
            tp = int(n * acc)
            cm = np.array([[tp, 0], [0, 0]])
        """,
        # an augmented assignment
        """
        import numpy as np
        def report(metrics):
            tp = 0
            tp += int(100 * metrics["acc"])
            cm = np.array([[tp, 0], [0, 0]])
        """,
        # a row written as a comprehension
        """
        import numpy as np
        def report(metrics):
            acc = metrics["acc"]
            cm = np.array([[int(50 * acc) for _ in range(2)], [0, 0]])
        """,
        # an f-string key
        """
        import numpy as np
        def report(results, split):
            acc = results[f"{split}_accuracy"]
            cm = np.array([[int(50 * acc), 0], [0, 0]])
        """,
        # inside a match case
        """
        import numpy as np
        def report(stats, mode):
            match mode:
                case "eval":
                    acc = stats["top1"]
                    cm = np.array([[int(50 * acc), 0], [0, 0]])
        """,
    ],
)
def test_synthesised_counts_through_unusual_syntax(source: str) -> None:
    last = textwrap.dedent(source).rstrip().count("\n") + 1  # the matrix is the last line
    assert [(line, kind) for line, _col, kind in _found(source)] == [(last, "synthesised")]


def test_synthesised_counts_at_module_level() -> None:
    source = """
        import json
        import numpy as np
        summary = json.load(open("results.json"))
        acc = summary["accuracy"]
        tp = int(1000 * acc)
        cm = np.array([[tp, 1000 - tp], [0, 0]])
        """
    assert _found(source) == [(7, 1, "synthesised")]


def test_counts_fed_to_a_plotting_call_are_synthesised() -> None:
    source = """
        import seaborn as sns

        def plot(metrics):
            acc = metrics.get("val_f1")
            correct = [int(acc * 100), 0]
            sns.heatmap(correct)
        """
    assert fabrications(facts_of({EVALUATE: source})) == [
        Fabrication(
            EVALUATE,
            7,
            5,
            "synthesised",
            "heatmap() is given counts computed out of the aggregate metric 'val_f1' (line 5), not predictions",
        )
    ]


@pytest.mark.parametrize(
    "source",
    [
        # counts logged by training are counts, not a rate
        """
        import numpy as np
        def plot(summary):
            tp, fp = summary.get("tp", 0), summary.get("fp", 0)
            cm = np.array([[tp, fp], [0, 0]])
        """,
        # the rate is not multiplied into a count
        """
        import numpy as np
        def plot(summary):
            acc = summary["accuracy"]
            cm = np.array([[acc, 0], [0, 0]])
        """,
        # the rate comes from a holder that is no aggregate
        """
        import numpy as np
        def plot(batch):
            acc = batch["accuracy"]
            cm = np.array([[int(acc * 10), 0], [0, 0]])
        """,
        # the variable is rebound to a real matrix before the plot
        """
        import numpy as np
        def plot(metrics, y, p):
            acc = metrics["acc"]
            cm = np.array([[int(acc * 10), 0], [0, 0]]) if False else None
            acc = compute(y, p)
            cm = np.array([[int(acc * 10), 0], [0, 0]])
        """,
    ],
)
def test_no_synthesised_counts(source: str) -> None:
    assert _found(source) == []


# --------------------------------------------------------------------------- random stand-ins


def test_random_values_drawn_into_a_heatmap() -> None:
    source = """
        import seaborn as sns
        import numpy as np

        def plot(n):
            m = np.random.rand(n, n)
            sns.heatmap(m)
        """
    assert fabrications(facts_of({EVALUATE: source})) == [
        Fabrication(
            EVALUATE,
            7,
            5,
            "random",
            "heatmap() is given values drawn by numpy.random.rand (line 6) instead of model outputs",
        )
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            """
            def plot():
                from numpy.random import rand as draw
                import seaborn
                seaborn.heatmap(draw(3, 3))
            """,
            [(5, 5, "random")],
        ),
        (
            """
            import numpy as np
            import seaborn as sns
            async def plot():
                sns.heatmap(np.random.rand(2, 2))
            """,
            [(5, 5, "random")],
        ),
        (
            """
            import numpy as np
            import seaborn as sns
            def outer():
                def inner():
                    sns.heatmap(np.random.rand(2, 2))
                class P:
                    @staticmethod
                    def show():
                        sns.heatmap(np.random.rand(2, 2))
            """,
            [(6, 9, "random"), (10, 13, "random")],
        ),
        (
            """
            import numpy as np
            import seaborn as sns
            def plot(kind):
                match kind:
                    case "demo":
                        sns.heatmap(np.random.rand(2, 2))
            """,
            [(7, 13, "random")],
        ),
        (
            """
            import torch
            import matplotlib.pyplot as plt
            plt.imshow(torch.rand(4, 4))
            """,
            [(4, 1, "random")],
        ),
        (
            """
            import numpy as np
            from sklearn.metrics import confusion_matrix
            def plot(labels):
                confusion_matrix(labels, np.random.randint(0, 2, len(labels)))
            """,
            [(5, 5, "random")],
        ),
    ],
)
def test_random_values_in_every_kind_of_scope(source: str, expected: list[tuple[int, int, str]]) -> None:
    assert _found(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        # a seed is no value
        """
        import numpy as np
        import seaborn as sns
        def plot(preds):
            np.random.seed(0)
            sns.heatmap(preds)
        """,
        # a random input fed to a model: its output is a result
        """
        import torch
        import seaborn as sns
        def plot(model):
            x = torch.randn(4, 3)
            out = model(x)
            sns.heatmap(out)
        """,
        # a parameter named like the numpy alias is not numpy
        """
        import seaborn as sns
        def plot(np):
            sns.heatmap(np.random.rand(2, 2))
        """,
    ],
)
def test_no_random_stand_in(source: str) -> None:
    assert _found(source) == []


# --------------------------------------------------------------------------- logged constants


def test_a_rate_logged_as_a_literal_is_constant() -> None:
    source = """
        import wandb
        def main():
            wandb.log({"accuracy": 0.87, "loss": 0.5, "f1": 1.0})
        """
    assert fabrications(facts_of({"src/train.py": source})) == [
        Fabrication(
            "src/train.py",
            4,
            28,
            "constant",
            "metric 'accuracy' is reported as the constant 0.87, not a measured value",
        )
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('import wandb\nwandb.log({"accuracy": .87})\n', [(2, 24, "constant")]),  # a float with no leading digit
        ('import wandb\nwandb.log({"accuracy": 87e-2})\n', [(2, 24, "constant")]),
        ('import wandb\nwandb.log ({"test_acc": 0.91})\n', [(2, 25, "constant")]),  # a space before the paren
        ('import wandb\nwandb.log({f"test_acc": 0.91})\n', [(2, 25, "constant")]),  # an f-string with no field
        ('import wandb\nwandb.log({f"{split}/acc": 0.91})\n', [(2, 28, "constant")]),
        ('import random\ndef f(run):\n    run.log({"val_acc": random.random()})\n', [(3, 25, "random")]),
        (
            "import wandb\nwandb.log({\n"
            + "".join(f'    "k{i}": x,\n' for i in range(12))
            + '    "test_acc": 0.91,\n})\n',
            [(15, 17, "constant")],  # far down a long payload
        ),
        (
            'import math\nimport wandb\nwandb.log({\n    "log_ppl": math.log(x),\n    "acc": 0.9,\n})\n',
            [(5, 12, "constant")],  # another .log( inside the payload
        ),
        ('import wandb\nrun = wandb.init()\nrun.summary["best_accuracy"] = 0.93\n', [(3, 32, "constant")]),
        ('import wandb\nrun = wandb.init()\nrun.summary["best_accuracy"] = (\n    0.93\n)\n', [(4, 5, "constant")]),
    ],
)
def test_constant_and_random_metrics_in_unusual_spellings(source: str, expected: list[tuple[int, int, str]]) -> None:
    assert _found(source, "src/train.py") == expected


@pytest.mark.parametrize(
    "payload",
    [
        '{"learning_rate": 0.001}',
        '{"train/lr": 3e-4, "dropout_rate": 0.1, "weight_decay_rate": 0.01}',
        '{"score_threshold": 0.5}',
        '{"accuracy": 1.0, "error_rate": 0.0}',  # round values are no evidence
        '{"accuracy": acc}',
        '{"loss": 0.25}',
        "payload",
    ],
)
def test_settings_and_measured_values_are_no_constant(payload: str) -> None:
    assert _found(f"import wandb\ndef f(acc, payload):\n    wandb.log({payload})\n", "src/train.py") == []


def test_nothing_in_modules_without_a_hint_or_that_do_not_parse() -> None:
    assert _found("def f(x):\n    return x\n") == []
    assert _found('import wandb\nwandb.log({"accuracy": 0.87}\n') == []  # a syntax error: no tree
    assert fabrications(facts_of({"config/run.yaml": "accuracy: 0.87\n"})) == []
