"""Where the code makes a choice from a measured score, and which data split that score comes from.

Choices read from the shared module index (``facts/astindex.py``), each with the split of the
score it is made from (``facts/splits.py``):

- ``best``: a comparison of a score with a running best (``if acc > best_acc:``, ``val_loss < self.best``);
  the other side must hold the word ``best``;
- ``running_best``: a name with the word ``best`` assigned ``max(best, score)`` / ``min(best, score)``;
- ``early_stop``: a score passed to an early-stopping object or helper (a callee named with
  ``early``/``stop``/``stopper``/``patience``);
- ``scheduler``: a score passed to ``<scheduler>.step(score)`` (``ReduceLROnPlateau``);
- ``hpo``: a score an Optuna objective returns or reports (``trial.report(score, step)``); the
  objective is the function passed to ``study.optimize`` (by name, a lambda, or a
  ``functools.partial``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Literal

from expcheck.facts import Facts
from expcheck.facts.astindex import ModuleIndex, indexes
from expcheck.facts.markertext import lowered_texts
from expcheck.facts.splits import Split, module_splits, words

_STOP_HINTS = ("early", "stop", "patience")


def _hints_stop(text: str) -> bool:
    """Whether ``text`` holds one of ``_STOP_HINTS`` (spelled out: asked of most calls of a module)."""
    return "early" in text or "stop" in text or "patience" in text
ChoiceKind = Literal["best", "running_best", "early_stop", "scheduler", "hpo"]


@dataclass(frozen=True)
class Choice:
    path: str
    line: int
    column: int
    kind: ChoiceKind
    score: ast.expr
    split: Split | None
    function: str


def _says_best(text: str) -> bool:
    """Whether ``"best" in words(text)``; a word ``best`` needs ``best`` in the lower-cased text, which most
    names and strings lack, so the words are split only when it is there."""
    return "best" in text.lower() and "best" in words(text)


def _mentions_best(node: ast.expr) -> bool:
    """Whether a name, attribute or string anywhere in ``node`` has the word ``best`` (every node of the
    subtree, as ``ast.walk`` visits them, in another order; ``ast.parse`` makes nodes of these exact types)."""
    pending: list[ast.AST] = [node]
    while pending:
        sub = pending.pop()
        kind = type(sub)
        if kind is ast.Name:
            if _says_best(sub.id):  # type: ignore[attr-defined]
                return True
            continue  # its only child is its context
        if kind is ast.Attribute:
            if _says_best(sub.attr):  # type: ignore[attr-defined]
                return True
            pending.append(sub.value)  # type: ignore[attr-defined]
            continue
        if kind is ast.Constant:
            value = sub.value  # type: ignore[attr-defined]
            if isinstance(value, str) and _says_best(value):
                return True
            continue
        pending.extend(ast.iter_child_nodes(sub))
    return False


def _running_extreme(value: ast.expr) -> ast.expr | None:
    """``x`` in ``max(best, x)`` / ``min(x, best)``: the score a running best keeps."""
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("max", "min")):
        return None
    if len(value.args) != 2 or value.keywords:
        return None
    first, second = value.args
    if _mentions_best(first) and not _mentions_best(second):
        return second
    if _mentions_best(second) and not _mentions_best(first):
        return first
    return None


def _objectives(index: ModuleIndex) -> set[str]:
    """Qualnames of functions passed to ``<study>.optimize``."""
    found: set[str] = set()
    for call in index.calls:
        if call.attr != "optimize" or not call.node.args:
            continue
        target = call.node.args[0]
        if isinstance(target, ast.Call) and target.args:  # functools.partial(objective, ...)
            target = target.args[0]
        if isinstance(target, ast.Lambda) and isinstance(target.body, ast.Call):
            target = target.body.func
        name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else None
        if name is not None:
            found.update(index.by_name.get(name, []))
    return found


def choices(facts: Facts) -> list[Choice]:
    """Every score-based choice in the project (use through ``facts.derived``)."""
    found: list[Choice] = []
    splits = facts.derived(module_splits)
    lowered = facts.derived(lowered_texts)
    for path, index in facts.derived(indexes).items():
        roles = splits[path]
        here: list[tuple[ast.expr, ChoiceKind, ast.expr, str]] = []
        add = here.append

        text = lowered[path].lowered if path in lowered else facts.files[path].text.lower()
        has_best = "best" in text
        for compare, function in index.compares if has_best else ():
            if len(compare.ops) != 1 or not isinstance(compare.ops[0], ast.Gt | ast.Lt | ast.GtE | ast.LtE):
                continue
            left, right = compare.left, compare.comparators[0]
            if _mentions_best(right) and not _mentions_best(left):
                add((compare, "best", left, function))
            elif _mentions_best(left) and not _mentions_best(right):
                add((compare, "best", right, function))
        hinted = _hints_stop(text)
        for call in index.calls:
            args = call.node.args
            if not args or (call.attr not in ("step", "report") and not hinted):
                continue
            if call.attr not in ("step", "report") and not _hints_stop(call.name.lower()):
                continue
            said = set(words(call.name.replace(".", "_").replace("()", "")))
            if call.attr == "step" and said & {"scheduler", "sched", "plateau"} and len(args) == 1:
                add((call.node, "scheduler", args[0], call.function))
            elif said & {"early", "stopper", "stopping", "patience"}:
                add((call.node, "early_stop", args[0], call.function))
            elif call.attr == "report" and "trial" in said:
                add((call.node, "hpo", args[0], call.function))
        for scope in index.scopes.values() if has_best else ():
            for name, values in scope.assigns.items():
                if not _says_best(name) or name in scope.loop_targets:
                    continue
                for value in values:
                    score = _running_extreme(value)
                    if score is not None:
                        add((value, "running_best", score, scope.qualname))
        for qualname in _objectives(index):
            for value in index.scopes[qualname].returns:
                add((value, "hpo", value, qualname))
        for node, kind, score, function in here:
            split = roles.of(score, function)
            found.append(Choice(path, node.lineno, node.col_offset + 1, kind, score, split, function))
    return found
