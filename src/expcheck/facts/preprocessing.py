"""Where preprocessors learn their statistics, and from which split.

A preprocessor is an object the code constructs from scikit-learn's preprocessing, feature
selection, decomposition, imputation or feature-extraction modules, or any class named like one
(``...Scaler``, ``...Normalizer``, ``...Encoder``, ``...Vectorizer``, ``...Imputer``, ``PCA``,
``Tokenizer``); the receiver of ``fit`` / ``fit_transform`` / ``partial_fit`` / ``fit_on_texts`` /
``adapt`` is followed back through the function's local assignments (``facts/astindex.py``).
Each fit records the split of the data it learns from (``facts/splits.py``) and, when that data is
whole (no split), whether the same function later splits that data or what the fit produced
(``train_test_split(X_scaled, ...)`` after ``X_scaled = scaler.fit_transform(X)``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, ModuleIndex, indexes
from expcheck.facts.splits import Split, module_splits

_FITS = frozenset({"fit", "fit_transform", "partial_fit", "fit_on_texts", "adapt"})
_MODULES = (
    "sklearn.preprocessing.",
    "sklearn.feature_selection.",
    "sklearn.decomposition.",
    "sklearn.impute.",
    "sklearn.feature_extraction.",
)
_SUFFIXES = ("Scaler", "Normalizer", "Encoder", "Vectorizer", "Imputer", "PCA", "Binarizer", "Discretizer")
_SPLITTERS = frozenset({"train_test_split", "random_split"})


@dataclass(frozen=True)
class Fit:
    path: str
    call: CallSite
    preprocessor: str  # the class constructed
    data: ast.expr
    split: Split | None
    # A later call in the same function that splits the data this fit learnt from (or its output).
    split_after: CallSite | None


def _preprocessor(receiver: ast.expr, call: CallSite, index: ModuleIndex) -> str | None:
    values: list[ast.expr] = [receiver]
    if isinstance(receiver, ast.Name):
        values = index.scope(call.function).assigns.get(receiver.id) or index.scopes[""].assigns.get(receiver.id, [])
    made = {index.model.qualified_at(v.func) for v in values if isinstance(v, ast.Call)}
    if len(made) != 1 or len(values) != 1:
        return None
    name = made.pop()
    if name.startswith(_MODULES) or name.rsplit(".", 1)[-1].endswith(_SUFFIXES):
        return name.rsplit(".", 1)[-1]
    return None


def _names_in(node: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _output_names(call: CallSite, index: ModuleIndex) -> set[str]:
    """Local names assigned from the fit call's result (``X_s = scaler.fit_transform(X)``)."""
    scope = index.scope(call.function)
    return {name for name, values in scope.assigns.items() if any(v is call.node for v in values)}


def fits(facts: Facts) -> list[Fit]:
    """Every fit of a preprocessor in the project (use through ``facts.derived``)."""
    found: list[Fit] = []
    splits = facts.derived(module_splits)
    for path, index in facts.derived(indexes).items():
        if "fit" not in facts.files[path].text:
            continue
        for call in index.calls:
            if call.attr not in _FITS or not isinstance(call.node.func, ast.Attribute) or not call.node.args:
                continue
            kind = _preprocessor(call.node.func.value, call, index)
            if kind is None:
                continue
            data = call.node.args[0]
            split = splits[path].of(data, call.function)
            later = None
            if split is None:
                learnt = _names_in(data) | _output_names(call, index)
                for other in index.calls:
                    if (
                        other.function == call.function
                        and other.line > call.line
                        and other.attr in _SPLITTERS
                        and other.node.args
                        and _names_in(other.node.args[0]) & learnt
                    ):
                        later = other
                        break
            found.append(Fit(path, call, kind, data, split, later))
    return found
