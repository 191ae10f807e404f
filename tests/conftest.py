"""Shared test helpers: where the development corpus lives, and how to run one example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus"

needs_shared = pytest.mark.skipif(not (CORPUS / "index.jsonl").is_file(), reason="../shared corpus not present")


def corpus_index() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "index.jsonl").read_text().splitlines() if line.strip()]
