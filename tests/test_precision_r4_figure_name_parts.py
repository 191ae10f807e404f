"""A string literal that is only part of a figure's file name is read as that part.

``run_id + "_learning_curve.pdf"``, ``"%s_learning_curve.pdf" % run_id``,
``"{rid}_learning_curve.pdf".format(rid=run_id)``, ``"_".join([run_id, "learning_curve.pdf"])`` and
``string.Template("${rid}_learning_curve.pdf").substitute(rid=run_id)`` all build
``<run_id>_learning_curve.pdf`` (plain Python string operations), the name the v2 contract asks for,
exactly like ``f"{run_id}_learning_curve.pdf"``. A literal that is the whole base name
(``os.path.join(out, "learning_curve.pdf")``, ``str(out) + "/learning_curve.pdf"``) is still judged.
"""

from __future__ import annotations

import pytest

from precision_r4_repo import EVALUATE, errors, repo

SAVE = 'fig.savefig(out / f"{run_id}_learning_curve.pdf")'


def _evaluate(save: str, imports: str = "") -> dict[str, str]:
    assert SAVE in EVALUATE
    return repo({"src/evaluate.py": imports + EVALUATE.replace(SAVE, save)})


@pytest.mark.parametrize(
    ("save", "imports"),
    [
        ('fig.savefig(str(out / run_id) + "_learning_curve.pdf")', ""),
        (
            "fig.savefig(os.path.join(str(out),\n                    run_id +\n                    '_learning_curve.pdf'))",
            "import os\n",
        ),
        ('fig.savefig(out / ("%s_learning_curve.pdf" % run_id))', ""),
        ('name = run_id\n        name += "_learning_curve.pdf"\n        fig.savefig(out / name)', ""),
        ('fig.savefig(out / "{rid}_learning_curve.pdf".format(rid=run_id))', ""),
        ('fig.savefig(out / "_".join([run_id, "learning_curve.pdf"]))', ""),
        ('fig.savefig(out / string.Template("${rid}_learning_curve.pdf").substitute(rid=run_id))', "import string\n"),
    ],
)
def test_name_built_around_the_literal_is_not_misread(save: str, imports: str) -> None:
    assert errors(_evaluate(save, imports), select=["C809"]) == []


@pytest.mark.parametrize(
    ("save", "imports"),
    [
        ('fig.savefig(os.path.join(out, "learning_curve.pdf"))', "import os\n"),
        ('fig.savefig(str(out) + "/learning_curve.pdf")', ""),
        ('fig.savefig(out / ("learning_curve_%s.png" % run_id))', ""),
        # A path separator before the literal makes it the whole file name.
        ('fig.savefig("/".join([str(out), "learning_curve.pdf"]))', ""),
        ('fig.savefig(str(out) + os.sep + "learning_curve.pdf")', "import os\n"),
        ('fig.savefig(str(out) + "/" + "learning_curve.pdf")', ""),
        ('fig.savefig(f"{out}/" + "learning_curve.pdf")', ""),
        # The join closed before the literal: the literal is a separate operand of os.path.join.
        ('fig.savefig(os.path.join("_".join([str(out), run_id]), "learning_curve.pdf"))', "import os\n"),
    ],
)
def test_literal_that_is_the_whole_name_is_still_judged(save: str, imports: str) -> None:
    found = errors(_evaluate(save, imports), select=["C809"])
    assert len(found) == 1 and "learning_curve" in found[0], found
