"""The development corpus (../shared/corpus, 176 real review traces); skipped when it is absent."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CORPUS, SEEDS, corpus_index, needs_shared
from expcheck import check
from expcheck.inputs import load

pytestmark = needs_shared


def _trace_path(entry: dict) -> str:
    return str(CORPUS / entry["trace"])


@pytest.fixture(scope="module")
def corpus_reports() -> dict[str, object]:
    return {_trace_path(e): check(_trace_path(e)) for e in corpus_index()}


def test_whole_corpus_in_one_batch_call() -> None:
    paths = [_trace_path(e) for e in corpus_index()]
    proc = subprocess.run(
        [sys.executable, "-m", "expcheck", "check", *paths, "--format", "jsonl"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["input"] for line in lines] == paths
    assert all(line["error"] is None for line in lines)


def test_every_finding_points_at_real_evidence(corpus_reports) -> None:  # type: ignore[no-untyped-def]
    for path, report in corpus_reports.items():
        assert report.error is None, (path, report.error)
        assert not report.internal_errors, (path, report.internal_errors)
        loaded = load(path)
        files = loaded.submission.files
        for f in report.findings:
            if f.line is None:
                assert f.path not in files, (path, f)  # only a missing file has no line
                continue
            assert f.path in files or any(e.name == f.path for e in loaded.submission.rejected), (path, f)
            if f.path in files:
                file = files[f.path]
                assert 1 <= f.line <= max(len(file.lines), 1), (path, f)
                if f.evidence and not f.evidence.startswith("("):
                    assert f.evidence.rstrip("…") in file.line(f.line).strip() or f.evidence in file.text, (path, f)


def test_profiles_detected_as_indexed(corpus_reports) -> None:  # type: ignore[no-untyped-def]
    expected = {
        "v0-base": "airas-v0-base", "v0-derived": "airas-v0-derived", "v1-early": "airas-v1-early",
        "v1": "airas-v1", "v1.5": "airas-v1.5", "v2": "airas-v2",
    }
    for entry in corpus_index():
        contract = entry["contract"].split(" ")[0]
        assert corpus_reports[_trace_path(entry)].profile == expected[contract], entry["trace"]


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else [])
def test_seeds_not_ready_and_name_every_empty_file(seed: str) -> None:
    report = check(str(SEEDS / seed))
    assert report.verdict is not None and not report.verdict.is_code_ready
    loaded = load(str(SEEDS / seed))
    empty = [p for p in loaded.profile.required_files if loaded.submission.files[p].is_blank]
    assert empty, "the seeds leave files empty"
    assert "[C103]" in report.verdict.code_issue
    for path in empty:
        assert f"{path} line 1" in report.verdict.code_issue
    assert not [f for f in report.findings if f.rule == "R101"], "evaluate.py parses: no syntax finding"


def test_approved_bundle_that_failed_its_first_run_is_not_ready() -> None:
    entry = next(e for e in corpus_index() if e["commit"].startswith("40d3ebb8"))
    assert entry["llm_is_code_ready"] is True and entry["first_run"]["status"] == "failed"
    report = check(_trace_path(entry))
    assert report.verdict is not None and not report.verdict.is_code_ready
    assert any(f.path == "pyproject.toml" and f.severity == "error" for f in report.findings)


def test_dependencies_table_defect_is_found_wherever_it_is() -> None:
    """The corpus README counts 128 of 252 experiment bundles with a [project.dependencies] table."""
    hits = 0
    for entry in corpus_index():
        loaded = load(_trace_path(entry))
        text = loaded.submission.files.get("pyproject.toml")
        has_table = text is not None and any(
            line.strip().startswith("[project.dependencies]") for line in text.lines
        )
        report = check(_trace_path(entry), select=["R203"])
        assert bool(report.findings) == has_table, entry["trace"]
        hits += has_table
    assert hits > 0
