"""Imports on first use without the garbage collector's passes, and omegaconf without attrs in expcheck's
own command-line processes (issue 19).

**omegaconf without attrs.** ``omegaconf._utils`` imports ``attr`` (the attrs package, about a twentieth
of a one-input CLI call) for one purpose: to recognise attrs classes and instances as structured
configs (``is_attr_class`` and the functions reached only when it answers yes: ``get_attr_class_fields``,
``is_attr_frozen``...). It is written for attrs being absent: ``try: import attr / except ImportError:
attr = None``, and ``is_attr_class`` then answers no. In a process that is expcheck's own command line
(:func:`mark_command_line`, called by ``expcheck.cli.main`` when it reads the process's own arguments),
:func:`import_omegaconf` imports omegaconf while ``attr`` is hidden (``sys.modules["attr"] = None`` for
that one import, restored right after), so omegaconf takes the "absent" branch. Why nothing else
changes there:

- omegaconf never sees an attrs class or instance in such a process: expcheck never imports or runs
  the submission's code; what it gives OmegaConf and Hydra is YAML data (dicts, lists, scalars from a
  safe loader), override strings, and Hydra's own structured configs, which are dataclasses
  (``hydra.conf``); expcheck defines no attrs class. For all of these ``attr.has`` answers no, exactly as
  ``is_attr_class`` answers with attrs absent, so every structured-config decision is the same;
- no other module of omegaconf or Hydra imports attrs (``omegaconf._utils`` is the only one), and
  ``attr`` is only hidden for the import of omegaconf itself: a later ``import attr`` in the process
  (by any other library) works as usual;
- where attrs was imported before (``"attr" in sys.modules``) or omegaconf already is, nothing is done.

In any other process (expcheck used as a library, the test suite calling ``main([...])``, ``python -m
expcheck.gencode``) omegaconf is imported as usual, with attrs: there the caller's own attrs classes may
reach OmegaConf.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# Set once the process is known to be expcheck's own command line (see the module's docstring).
_command_line = False


def mark_command_line() -> None:
    """This process runs expcheck's command line (its own arguments): nothing but expcheck's code runs in
    it, so omegaconf may be imported without attrs."""
    global _command_line
    _command_line = True


def import_omegaconf() -> None:
    """Import omegaconf, without attrs where that changes nothing (see the module's docstring)."""
    if not _command_line or "omegaconf" in sys.modules or "attr" in sys.modules:
        return
    sys.modules["attr"] = None  # type: ignore[assignment]  # `import attr` raises ImportError
    try:
        import omegaconf  # noqa: F401
    finally:
        if sys.modules.get("attr", 0) is None:
            del sys.modules["attr"]


@contextmanager
def quiet_collector() -> Iterator[None]:
    """No collection while the block runs. Importing expcheck builds thousands of long-lived objects (rules,
    dataclasses, compiled patterns) and no garbage cycles: the collector's passes over them are pure cost."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
