"""The criteria of the review contract, in the order reports list them."""

from __future__ import annotations

CRITERIA: dict[str, str] = {
    "R": "Runs at all (syntax, installability, first-run crashes)",
    "C1": "Complete implementation",
    "C2": "Hydra integration and command line",
    "C3": "Data pipeline",
    "C4": "Model and methods",
    "C5": "File layout",
    "C6": "W&B integration",
    "C7": "Run configurations",
    "C8": "Independent evaluation",
    "C9": "Trial and full modes",
    "S": "Scientific validity",
    "X": "Completeness of the check (what expcheck could not judge)",
}


def criterion_title(criterion: str) -> str:
    return CRITERIA.get(criterion, criterion)
