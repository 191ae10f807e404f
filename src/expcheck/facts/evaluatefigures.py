"""The figure file names src/evaluate.py spells, from the file names the metrics rules already asked for.

``facts/evaluation.py``'s ``figure_names(facts, path)`` filters ``named_files(facts, path)``, which goes
over every string of the module; the figure rules (C809, C812) each called it, while the metrics-file
rules (C805-C807) share the same names once per check (``facts/moduletexts.py``:
``evaluate_named_files``). This fact is that filter over the shared list: the same names, in the same
order, without going over the strings again. Nothing is imported or executed.
"""

from __future__ import annotations

from expcheck.facts import Facts
from expcheck.facts.evaluation import _FIGURE_EXT, NamedFile
from expcheck.facts.moduletexts import evaluate_named_files


def evaluate_figure_names(facts: Facts) -> list[NamedFile]:
    """``figure_names(facts, "src/evaluate.py")`` (use through ``facts.derived``)."""
    return [named for named in facts.derived(evaluate_named_files) if _FIGURE_EXT.search(named.template)]
