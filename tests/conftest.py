"""Shared test helpers: where the development corpus lives, and how to run one example."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from expcheck.facts import Facts
from expcheck.inputs import load_files
from expcheck.submission import SourceFile

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus"

needs_shared = pytest.mark.skipif(not (CORPUS / "index.jsonl").is_file(), reason="../shared corpus not present")


def corpus_index() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "index.jsonl").read_text().splitlines() if line.strip()]


def corpus_facts() -> Iterator[tuple[str, Facts]]:
    """(trace, facts) for every corpus trace that reads."""
    from expcheck.inputs import load

    for entry in corpus_index():
        try:
            loaded = load(str(CORPUS / entry["trace"]))
        except Exception:
            continue
        yield entry["trace"], Facts(loaded.submission, loaded.profile)


def corpus_files(*suffixes: str) -> Iterator[tuple[str, str, SourceFile]]:
    """(trace, path, file) for every file ending in one of ``suffixes`` of every corpus trace that reads."""
    for trace, facts in corpus_facts():
        for path, file in facts.submission.files.items():
            if path.endswith(suffixes):
                yield trace, path, file


def facts_of(files: dict[str, str], profile: str | None = None) -> Facts:
    """The facts of a submission made of ``files`` (path -> text, each dedented), with no runs."""
    loaded = load_files({path: textwrap.dedent(text) for path, text in files.items()}, profile, [])
    return Facts(loaded.submission, loaded.profile)
