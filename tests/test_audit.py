"""Audit of recorded verdicts: claims split, classified, and checked against the code."""

from __future__ import annotations

from pathlib import Path

from conftest import SEEDS, needs_shared
from expcheck.audit import aggregate, audit
from expcheck.audit.claims import split_claims

FIXTURES = Path(__file__).parent / "fixtures"


def test_split_numbered_items() -> None:
    claims = split_claims("Problems:\n1. train.py is empty.\n2. evaluate.py has a syntax error.\n3) No W&B.")
    assert [c.text for c in claims] == ["train.py is empty.", "evaluate.py has a syntax error.", "No W&B."]


def test_split_sentences_when_no_items() -> None:
    claims = split_claims("The config is missing. Evaluate reads local files.")
    assert [c.number for c in claims] == [1, 2]


def test_fixture_trace_syntax_claim_refuted_and_empty_file_confirmed() -> None:
    report = audit(str(FIXTURES / "trace_v2.txt"))
    assert report.error is None
    verdicts = {c.text: c.verdict for c in report.claims}
    assert verdicts["evaluate.py has a syntax error."] == "refuted"
    assert verdicts["train.py is empty."] == "confirmed"
    refuted = next(c for c in report.claims if c.verdict == "refuted")
    assert "parses" in refuted.reason


def test_trace_without_recorded_verdict_is_an_error(tmp_path: Path) -> None:
    text = (FIXTURES / "trace_v2.txt").read_text()
    cut = tmp_path / "t.txt"
    cut.write_text(text[: text.index("Output:")])
    assert audit(str(cut)).error is not None


@needs_shared
def test_seed_000_syntax_claim_refuted_with_the_parse() -> None:
    seed = next(p for p in SEEDS.glob("000_*.txt"))
    report = audit(str(seed))
    refuted = [c for c in report.claims if c.verdict == "refuted"]
    assert refuted and "evaluate.py" in refuted[0].text
    assert "src/evaluate.py parses" in refuted[0].reason
    totals = aggregate([report])
    assert totals["claims"]["refuted"] >= 1
