"""expcheck: is a machine-generated ML experiment repository ready to run, and if not, what to fix."""

import sys as _sys

if _sys.argv[:1] == ["-m"] and not _sys.flags.safe_path:
    # ``python -m expcheck`` inside the repository under review: the working directory is first on
    # the import path, and the submission's own modules (a ``dataclasses.py``) would shadow the
    # standard library as this package imports it. It leaves the path before anything else is imported.
    import os as _os

    _cwd = _os.getcwd()
    _sys.path[:] = [p for p in _sys.path if p not in ("", ".") and _os.path.abspath(p) != _cwd]

import gc as _gc

# Importing expcheck builds thousands of long-lived objects (rules, dataclasses, compiled patterns) and no
# garbage cycles: the collector's passes over them during the import are pure cost (issue 19).
_collecting = _gc.isenabled()
_gc.disable()
try:
    from expcheck.api import check, check_files
    from expcheck.findings import Finding, Severity
    from expcheck.report.schema import Report
    from expcheck.verdict import Verdict
finally:
    if _collecting:
        _gc.enable()

__version__ = "0.1.0"
__all__ = ["Finding", "Report", "Severity", "Verdict", "__version__", "check", "check_files"]
