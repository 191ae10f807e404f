"""``--format sarif``: SARIF 2.1.0, the format code-scanning services (GitHub, GitLab, Azure DevOps,
editors' SARIF viewers) import.

One run for all inputs. ``tool.driver.rules`` documents every rule (title, why, fix, examples as
``expcheck explain`` prints them); each finding is a result with its rule, level, message, region
and a ``partialFingerprints`` entry that is stable across runs. Files of a repository directory are
located on disk; files inside a bundle or trace are located relative to the base id ``SUBMISSION``
with the input named in the result's properties. Unreadable inputs and internal errors become tool
execution notifications, and ``executionSuccessful`` is false when there are any.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from expcheck.coverage import CheckFinding
from expcheck.criteria import criterion_title
from expcheck.findings import Finding, Severity
from expcheck.report.locate import disk_path, with_fingerprints
from expcheck.report.rules_doc import explain
from expcheck.report.schema import Report
from expcheck.rules.base import Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "expcheck/v1"
_BASE_ID = "SUBMISSION"


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.why},
        "help": {
            "text": explain(rule),
            "markdown": f"**{rule.title}**\n\n{rule.why}\n\n**Fix:** {rule.fix}\n\n"
            f"More, with examples: `expcheck explain {rule.id}`",
        },
        "defaultConfiguration": {"level": _level(rule.severity)},
        "properties": {
            "criterion": rule.criterion,
            "confidence": rule.confidence.value,
            "tags": [f"criterion {rule.criterion}: {criterion_title(rule.criterion)}"],
        },
    }


def _uri(path: str) -> str:
    return Path(path).as_uri() if Path(path).is_absolute() else path


def _location(report: Report, finding: Finding) -> dict[str, Any]:
    on_disk = disk_path(report, finding)
    artifact: dict[str, Any] = (
        {"uri": _uri(on_disk)} if on_disk is not None else {"uri": finding.path, "uriBaseId": _BASE_ID}
    )
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if finding.line is not None:
        region: dict[str, Any] = {"startLine": finding.line}
        if finding.column is not None:
            region["startColumn"] = finding.column
        if finding.end_line is not None:
            region["endLine"] = finding.end_line
            if finding.end_column is not None:
                region["endColumn"] = finding.end_column
        if finding.evidence:
            region["snippet"] = {"text": finding.evidence}
        physical["region"] = region
    return {"physicalLocation": physical}


def _message(finding: Finding) -> str:
    text = finding.message.rstrip(".") + "."
    return f"{text} Fix: {finding.fix}" if finding.fix else text


def _check_kind(kind: CheckFinding) -> dict[str, Any]:
    """A finding about the check itself (X001 rule crashed, X002 rules not applied), described like a rule."""
    return {
        "id": kind.id,
        "name": kind.name,
        "shortDescription": {"text": kind.title},
        "fullDescription": {"text": kind.why},
        "help": {
            "text": f"{kind.title}\n\n{kind.why}\n\nFix: {kind.fix}\n",
            "markdown": f"**{kind.title}**\n\n{kind.why}\n\n**Fix:** {kind.fix}\n\nMore: `expcheck explain {kind.id}`",
        },
        "defaultConfiguration": {"level": _level(kind.severity)},
        "properties": {"criterion": "X", "tags": ["about the check itself"]},
    }


def render_sarif(
    reports: Sequence[Report], rules: Sequence[Rule], version: str, check_kinds: Sequence[CheckFinding] = ()
) -> str:
    descriptors = [_rule(r) for r in rules] + [_check_kind(k) for k in check_kinds]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results: list[dict[str, Any]] = []
    for located in with_fingerprints(list(reports)):
        report, finding = located.report, located.finding
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            # Only blocking findings are errors: a heuristic finding advises, whatever its severity.
            "level": "error" if finding.blocking else "warning",
            "message": {"text": _message(finding)},
            "locations": [_location(report, finding)],
            "partialFingerprints": {FINGERPRINT_KEY: located.fingerprint},
            "properties": {
                "input": report.input,
                "criterion": finding.criterion,
                **({"profile": report.profile} if report.profile else {}),
                "confidence": finding.confidence.value,
                "severity": finding.severity.value,
            },
        }
        if finding.rule in index:
            result["ruleIndex"] = index[finding.rule]
        results.append(result)
    notifications = []
    for report in reports:
        problems = ([report.error] if report.error is not None else []) + [
            f"internal error in expcheck (a crashed rule or a lost worker): {p}" for p in report.internal_errors
        ]
        notifications.extend(
            {
                "level": "error",
                "message": {"text": problem},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(report.input)}}}],
            }
            for problem in problems
        )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "expcheck",
                "version": version,
                "semanticVersion": version,
                "rules": descriptors,
            }
        },
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if any(r.kind not in (None, "directory") for r in reports):
        run["originalUriBaseIds"] = {
            _BASE_ID: {
                "description": {
                    "text": "the root of the submission held in the bundle or trace named by the result's properties.input"
                }
            }
        }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
