"""Findings: what a rule reports, with the evidence that backs it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from expcheck.criteria import CRITERIA
from expcheck.model import Model, field


class Severity(StrEnum):
    ERROR = "error"  # blocks readiness
    WARNING = "warning"  # reported, does not block


class Confidence(StrEnum):
    """What a rule's finding rests on; only certain and inferred findings can block readiness."""

    CERTAIN = "certain"  # a parser, Hydra, uv or Python itself would fail or refuse
    INFERRED = "inferred"  # follows from the facts under an assumption the rule states
    HEURISTIC = "heuristic"  # word lists or name patterns: advice, never blocks


FindingScope = Literal["file", "input"]


@dataclass(frozen=True, kw_only=True)
class Finding(Model):
    """One defect at one place. ``line``/``column`` are 1-based; ``line`` is null only for a missing file.

    ``scope`` is "file" for a finding about the submission's code: ``path`` (and ``line`` unless the
    file is missing) locate it, ``evidence`` quotes it. A finding about the check itself — a rule
    that crashed, rules that could not run for lack of inputs, a limit that tripped — has scope
    "input": it has no place in the code, so ``path`` is "" and ``line`` null, and ``evidence`` states
    what was observed (the exception, the inputs that are absent). See expcheck/coverage.py.
    """

    rule: str
    criterion: str
    severity: Severity
    path: str
    line: int | None = field(default=None, ge=1)
    column: int | None = field(default=None, ge=1)
    end_line: int | None = field(default=None, ge=1, description="last line of the flagged text, when known")
    end_column: int | None = field(
        default=None, ge=1, description="column just past the flagged text on end_line (1-based), when known"
    )
    message: str
    evidence: str = ""
    fix: str = ""
    confidence: Confidence = Confidence.INFERRED
    scope: FindingScope = "file"
    # `expcheck fix` repairs this finding deterministically (its rule's repair yields an edit for it).
    fixable: bool = False

    def __post_init__(self) -> None:
        # The enums from their values, as the earlier pydantic model coerced them ("error" -> Severity.ERROR).
        if type(self.severity) is not Severity:
            object.__setattr__(self, "severity", Severity(self.severity))
        if type(self.confidence) is not Confidence:
            object.__setattr__(self, "confidence", Confidence(self.confidence))

    @property
    def blocking(self) -> bool:
        """An error that blocks readiness: heuristic findings are advice, whatever their severity."""
        return self.severity is Severity.ERROR and self.confidence is not Confidence.HEURISTIC

    def location(self) -> str:
        if self.scope == "input":
            return "(whole input)"
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}"

    def sort_key(self) -> tuple[int, int, str, int, int, str]:
        """Deterministic order: errors first, then criterion, path, line, column, rule."""
        return (
            0 if self.severity is Severity.ERROR else 1,
            criterion_order(self.criterion),
            self.path,
            self.line or 0,
            self.column or 0,
            self.rule,
        )


_CRITERION_RANK = {name: rank for rank, name in enumerate(CRITERIA)}


def criterion_order(criterion: str) -> int:
    return _CRITERION_RANK.get(criterion, len(_CRITERION_RANK))
