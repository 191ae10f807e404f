"""Clause recognition finds exactly what re.search(..., re.IGNORECASE) finds, on a text searched only
next to the occurrences of a literal (issue 18: a megabytes-long contract text stays cheap)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml

from expcheck.profiles import clauses
from expcheck.profiles.clauses import _anchor, _Folded

PROFILES = Path(clauses.__file__).parent
STATED = {
    e
    for f in PROFILES.glob("*.yaml")
    for c in yaml.safe_load(f.read_text()).get("clauses") or []
    for e in c["stated_by"]
}
EXPRESSIONS = [*sorted(STATED), "ab*c", "x(?=y)z?", "^exactly", "a|b", "[a-z]+ing files", "(?<=no )files"]
WORDS = [
    "exactly ", "the following ", "3 ", "required ", "files", "EXACTLY src/", "no ", "other ", "FILES", "ing files",
    "stdout.log", "ſtdout.LOG", "wandb.log", "per-step", "PER step", "per", "epoch", "each training step",
    "aggregated_metrics.json", "metrics.json", "generates no figures", "produce", "s no figures", "draw",
    "İ", "ı", "K", "ﬃ", "ß", " ", "\n", "x", "z", "ab", "bc", "xy",
]  # fmt: skip


def test_anchor_is_a_literal_every_match_contains() -> None:
    assert _anchor(r"stdout\.log") == ("stdout.log", 0, 0)
    assert _anchor("(generate|draw|produce|create)s? no figures") == (" no figures", 4, 9)
    assert _anchor("a|b") is None


@pytest.mark.parametrize("match_cost", [0, clauses._MATCH_COST])  # 0: always the occurrence walk
def test_same_matches_as_a_plain_search(monkeypatch: pytest.MonkeyPatch, match_cost: int) -> None:
    monkeypatch.setattr(clauses, "_MATCH_COST", match_cost)
    rng = random.Random(18)
    for _ in range(1500):
        text = "".join(rng.choice(WORDS) for _ in range(rng.randint(0, 14)))
        folded = _Folded(text)
        for expression in EXPRESSIONS:
            plain = re.search(expression, text, re.IGNORECASE)
            found = folded.search(expression)
            assert (found and (found.span(), found.group(0))) == (plain and (plain.span(), plain.group(0))), (
                text,
                expression,
            )
