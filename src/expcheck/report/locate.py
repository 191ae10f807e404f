"""Where a finding is, as the tools that consume reports want it: a path on disk when the input is a
directory, else the file's path inside the bundle or trace, prefixed by the input."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from expcheck.findings import Finding
from expcheck.report.schema import Report


def disk_path(report: Report, finding: Finding) -> str | None:
    """The finding's file on disk (relative when the input was), or None for bundles and traces.

    A finding about the check itself (scope "input": no file) is placed on the input.
    """
    if finding.scope == "input" or not finding.path:
        return report.input if report.kind == "directory" or os.path.exists(report.input) else None
    if report.kind != "directory":
        return None
    return os.path.normpath(os.path.join(report.input, finding.path)).replace(os.sep, "/")


def display_path(report: Report, finding: Finding) -> str:
    """``repo/src/train.py`` for a directory, ``bundle.json:src/train.py`` for a bundle or trace."""
    if finding.scope == "input" or not finding.path:
        return report.input
    return disk_path(report, finding) or f"{report.input}:{finding.path}"


def position(finding: Finding) -> str:
    """``:line:col`` (or ``:line``, or nothing for a missing file)."""
    if finding.line is None:
        return ""
    return f":{finding.line}" + (f":{finding.column}" if finding.column else "")


_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Located:
    report: Report
    finding: Finding
    fingerprint: str


def with_fingerprints(reports: list[Report]) -> Iterator[Located]:
    """Every finding with a fingerprint that stays the same across runs and line shifts.

    It hashes the rule, the file, the flagged source text (whitespace-normalised) and the message
    with numbers blanked (messages may quote line numbers), plus a counter for identical keys within
    one file, so that editing unrelated lines does not make a known finding look new.
    """
    for report in reports:
        seen: dict[str, int] = {}
        for finding in report.findings:
            text = " ".join(finding.evidence.split())
            key = "\0".join((finding.rule, display_path(report, finding), text, _DIGITS.sub("#", finding.message)))
            digest = hashlib.sha256(key.encode()).hexdigest()[:32]
            seen[digest] = seen.get(digest, 0) + 1
            yield Located(report, finding, f"{digest}:{seen[digest]}")
