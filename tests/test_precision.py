"""Correct submissions are judged ready, with zero error findings.

Two sets, each listed by an ``index.jsonl`` (``path``, ``expect``, ``pattern``): the shared precision
set in ``../shared/precision`` (skipped when absent) and this project's own examples in
``tests/fixtures/precision``. Each example shows one pattern correct code uses that a checker can
misread as a defect.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expcheck.api import check

HERE = Path(__file__).resolve().parent
SETS = {
    "shared": HERE.parent.parent / "shared" / "precision",
    "own": HERE / "fixtures" / "precision",
}



def _cases() -> list[tuple[str, Path, str]]:
    cases = []
    for name, folder in SETS.items():
        index = folder / "index.jsonl"
        if not index.is_file():
            continue
        for line in index.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                cases.append((name, folder / row["path"], row["expect"]))
    return cases


@pytest.mark.parametrize(("name", "path", "expect"), _cases(), ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_correct_submission_is_ready(name: str, path: Path, expect: str) -> None:
    assert expect == "ready"
    report = check(str(path))
    assert report.error is None, report.error
    errors = [f"{f.rule} {f.location()}: {f.message}" for f in report.findings if f.severity.value == "error"]
    assert not errors, errors
    assert report.ready
    assert not report.internal_errors, report.internal_errors


def test_shared_set_present_or_skipped() -> None:
    if not (SETS["shared"] / "index.jsonl").is_file():
        pytest.skip("../shared/precision is absent")
    assert any(n == "shared" for n, _, _ in _cases())
