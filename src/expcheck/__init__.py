"""expcheck: is a machine-generated ML experiment repository ready to run, and if not, what to fix."""

from expcheck.api import check, check_files
from expcheck.findings import Finding, Severity
from expcheck.report.schema import Report
from expcheck.verdict import Verdict

__version__ = "0.1.0"
__all__ = ["Finding", "Report", "Severity", "Verdict", "__version__", "check", "check_files"]
