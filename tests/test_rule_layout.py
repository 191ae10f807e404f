"""rules/__init__.py's docstring names the module of every rule id range; this keeps it true."""

from __future__ import annotations

import pkgutil
import re

import expcheck.rules
from expcheck.rules import all_rules

_MODULE = re.compile(r"``(\w+)``")
_IDS = re.compile(r"\b([A-Z])(\d{3})(?:–[A-Z](\d{3}))?\b")


def _documented() -> dict[str, str]:
    """Rule id -> the module the package docstring says holds it."""
    doc = expcheck.rules.__doc__ or ""
    found: dict[str, str] = {}
    parts = _MODULE.split(doc)  # text, module, text, module, text, ...
    for module, text in zip(parts[1::2], parts[2::2], strict=True):
        for letter, first, last in _IDS.findall(text):
            for number in range(int(first), int(last or first) + 1):
                found[f"{letter}{number:03d}"] = module
    return found


def test_docstring_names_each_rules_module() -> None:
    documented = _documented()
    wrong = {
        r.id: (documented.get(r.id), r.check.__module__.rsplit(".", 1)[-1])
        for r in all_rules()
        if documented.get(r.id) != r.check.__module__.rsplit(".", 1)[-1]
    }
    # Ranges name ids that are not rules (S101–S151): only the rules' own ids must match.
    assert not wrong, f"rule id: (module the docstring names, module that holds it): {wrong}"


def test_docstring_names_every_module() -> None:
    doc = expcheck.rules.__doc__ or ""
    modules = {m.name for m in pkgutil.iter_modules(expcheck.rules.__path__)}
    assert modules == set(_MODULE.findall(doc)) - {"@rule"}
