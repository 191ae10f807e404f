"""Hydra's package without the eager imports of its ``__init__`` until something asks for them.

``import hydra.<anything>`` first runs ``hydra/__init__.py``, which imports ``hydra.utils`` (object
instantiation, argparse, ``logging.config``), ``hydra.main``, ``hydra.compose`` and ``hydra.initialize``
(the global Hydra, its launcher and plugin machinery): about a sixth of what importing Hydra costs a
one-input ``expcheck check`` (issue 19), none of which composing a config in memory (facts/compose.py)
uses. :func:`prepare` registers the ``hydra`` package module with what Hydra's own modules take from it
(``__version__``, ``MissingConfigException``, the ``version`` module), and with a module ``__getattr__``
that runs Hydra's real ``__init__`` in that module the first time anything else is asked of it
(``from hydra import compose``, ``hydra.main``, ``hydra.utils``) and then removes itself: Hydra's own
code is never changed, only when its package initialiser runs. Whatever imported Hydra first, in
this process, is kept as it is.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cache
from types import ModuleType
from typing import Any

# Hydra's "source of truth for Hydra's version": the first statement of hydra/__init__.py.
_VERSION = re.compile(r'^__version__ = "([^"]+)"$', re.MULTILINE)


@cache
def prepare() -> None:
    """Make ``import hydra.X`` import only X and what X imports (see the module's docstring); a no-op when
    Hydra is imported already, or laid out differently from hydra-core 1.3 (then it imports as usual)."""
    if "hydra" in sys.modules:
        return
    spec = importlib.util.find_spec("hydra")
    if spec is None or spec.loader is None or spec.origin is None or not spec.submodule_search_locations:
        return
    try:
        with open(spec.origin, encoding="utf-8") as handle:
            found = _VERSION.search(handle.read())
    except OSError:
        return
    if found is None:
        return
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def complete(name: str) -> Any:
        """Run Hydra's ``__init__`` in the package module, then answer as the complete package would."""
        if name.startswith("__") and name != "__all__":
            raise AttributeError(name)  # special look-ups (copy, pickle, inspect) do not need the package
        del module.__dict__["__getattr__"]
        loader.exec_module(module)
        return getattr(module, name)

    module.__version__ = found.group(1)  # type: ignore[attr-defined]
    module.__getattr__ = complete  # type: ignore[method-assign]
    sys.modules["hydra"] = module
    try:
        # What Hydra's modules import from the package (``from hydra import version``); import_module, as
        # ``from hydra import errors`` would ask the package for the attribute first.
        errors = importlib.import_module("hydra.errors")
        importlib.import_module("hydra.version")
        module.MissingConfigException = errors.MissingConfigException  # type: ignore[attr-defined]
    except Exception:
        _undo(module)
        raise


def _undo(module: ModuleType) -> None:
    for name in [n for n in sys.modules if n == "hydra" or n.startswith("hydra.")]:
        del sys.modules[name]
    module.__dict__.pop("__getattr__", None)
