"""Machine-readable renderers: the bare verdict, the full JSON document, and JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from expcheck.report.schema import SCHEMA_VERSION, Report


def _dump(obj: Any, indent: int | None) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=indent, sort_keys=False)


def render_verdict(report: Report, ready_key: str = "is_code_ready", issue_key: str = "code_issue") -> str:
    """Exactly the object the pipeline parses: {"is_code_ready": bool, "code_issue": str}."""
    assert report.verdict is not None
    return _dump({ready_key: report.verdict.is_code_ready, issue_key: report.verdict.code_issue}, 2)


def render_jsonl(reports: Sequence[Report]) -> str:
    return "".join(_dump(r.model_dump(mode="json"), None) + "\n" for r in reports)


def render_json(reports: Sequence[Report], version: str) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "expcheck_version": version,
        "inputs": len(reports),
        "ready": sum(1 for r in reports if r.ready),
        "unreadable": sum(1 for r in reports if r.error is not None),
        "reports": [r.model_dump(mode="json") for r in reports],
    }
    return _dump(document, 2) + "\n"
