"""expcheck: is a machine-generated ML experiment repository ready to run, and if not, what to fix."""

import sys as _sys

if _sys.argv[:1] == ["-m"] and not _sys.flags.safe_path:
    # ``python -m expcheck`` inside the repository under review: the working directory is first on
    # the import path, and the submission's own modules (a ``dataclasses.py``) would shadow the
    # standard library as this package imports it. It leaves the path before anything else is imported.
    import os as _os

    _cwd = _os.getcwd()
    _sys.path[:] = [p for p in _sys.path if p not in ("", ".") and _os.path.abspath(p) != _cwd]

from typing import TYPE_CHECKING as _TYPE_CHECKING

if _TYPE_CHECKING:
    from expcheck.api import check, check_files
    from expcheck.findings import Finding, Severity
    from expcheck.report.schema import Report
    from expcheck.verdict import Verdict

__version__ = "0.1.0"
__all__ = ["Finding", "Report", "Severity", "Verdict", "__version__", "check", "check_files"]

# The public names are imported on first use (PEP 562), so that a command that needs none of the checking
# machinery (``expcheck --help``, ``rules``, ``explain``, or a CLI call whose judging happens in a worker
# process) does not import the rules, the facts and Hydra (issue 19).
_PUBLIC = {
    "check": "expcheck.api",
    "check_files": "expcheck.api",
    "Finding": "expcheck.findings",
    "Severity": "expcheck.findings",
    "Report": "expcheck.report.schema",
    "Verdict": "expcheck.verdict",
}


def __getattr__(name: str) -> object:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'expcheck' has no attribute {name!r}")
    from importlib import import_module

    from expcheck.gencode import stored_code
    from expcheck.lazy import quiet_collector

    with quiet_collector(), stored_code():
        value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
