"""The reviewer's structured answer (claims), and the ``llm_review`` section of a report.

Importing this module needs no HTTP client: the report schema refers to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from expcheck.model import Model, field

SCHEMA_NAME = "expcheck_review"


@dataclass(frozen=True, kw_only=True)
class ReviewClaim(Model):
    """One claim of the reviewer, located at a verbatim quote of the code."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "ignore"}  # a model's answer may carry more keys

    path: str = field(description="repository path of the file, e.g. src/train.py")
    line: int = field(ge=1, description="1-based line where the quote starts")
    quote: str = field(description="code copied verbatim from that line (one or a few lines)")
    clause: str = field(description="id of the review clause the claim concerns")
    severity: Literal["error", "warning"]
    message: str = field(description="what is wrong, in one or two sentences")
    fix: str = ""


def response_schema(clause_ids: list[str]) -> dict[str, Any]:
    """The JSON schema sent as ``response_format`` (strict: every field required, nothing extra)."""
    claim = {
        "type": "object",
        "additionalProperties": False,
        "required": ["path", "line", "quote", "clause", "severity", "message", "fix"],
        "properties": {
            "path": {"type": "string"},
            "line": {"type": "integer"},
            "quote": {"type": "string"},
            "clause": {"type": "string", "enum": clause_ids},
            "severity": {"type": "string", "enum": ["error", "warning"]},
            "message": {"type": "string"},
            "fix": {"type": "string"},
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["claims"],
        "properties": {"claims": {"type": "array", "items": claim}},
    }


Fate = Literal["kept", "ungrounded", "refuted", "invalid"]


@dataclass(kw_only=True)
class ClaimOutcome(Model):
    """What grounding made of one claim: kept (a finding), or dropped and why."""

    fate: Fate
    reason: str = ""
    path: str = ""
    line: int | None = None
    quote: str = ""
    clause: str = ""
    severity: str = ""
    message: str = ""
    # The line grounding found the quote on (kept claims), which may differ from the claimed one by the window.
    found_line: int | None = None


@dataclass(kw_only=True)
class Usage(Model):
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = field(None, description="estimate from the price table; null when no price is set")
    latency_s: float = 0.0
    attempts: int = 0


@dataclass(kw_only=True)
class Counts(Model):
    claims: int = 0
    ungrounded: int = 0
    refuted: int = 0
    invalid: int = 0
    kept: int = 0


@dataclass(kw_only=True)
class LlmReview(Model):
    """The report's ``llm_review`` section: whether the review happened, what it cost, what survived grounding."""

    model: str
    base_url: str
    performed: bool = field(description="false when the call failed: the static verdict stands alone")
    error: str | None = field(None, description="why the review did not happen")
    cached: bool = False
    blocking: bool = field(False, description="whether kept error claims block readiness (--llm-blocking)")
    line_window: int = field(description="a quote may start this many lines before or after the claimed line")
    counts: Counts = field(default_factory=Counts)
    usage: Usage = field(default_factory=Usage)
    claims: list[ClaimOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list, description="retries and fallbacks on the way to the answer")
