"""The reviewer's structured answer (claims), and the ``llm_review`` section of a report.

Importing this module needs no HTTP client: the report schema refers to it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_NAME = "expcheck_review"


class ReviewClaim(BaseModel):
    """One claim of the reviewer, located at a verbatim quote of the code."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    path: str = Field(description="repository path of the file, e.g. src/train.py")
    line: int = Field(ge=1, description="1-based line where the quote starts")
    quote: str = Field(description="code copied verbatim from that line (one or a few lines)")
    clause: str = Field(description="id of the review clause the claim concerns")
    severity: Literal["error", "warning"]
    message: str = Field(description="what is wrong, in one or two sentences")
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


class ClaimOutcome(BaseModel):
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


class Usage(BaseModel):
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = Field(None, description="estimate from the price table; null when no price is set")
    latency_s: float = 0.0
    attempts: int = 0


class Counts(BaseModel):
    claims: int = 0
    ungrounded: int = 0
    refuted: int = 0
    invalid: int = 0
    kept: int = 0


class LlmReview(BaseModel):
    """The report's ``llm_review`` section: whether the review happened, what it cost, what survived grounding."""

    model: str
    base_url: str
    performed: bool = Field(description="false when the call failed: the static verdict stands alone")
    error: str | None = Field(None, description="why the review did not happen")
    cached: bool = False
    blocking: bool = Field(False, description="whether kept error claims block readiness (--llm-blocking)")
    line_window: int = Field(description="a quote may start this many lines before or after the claimed line")
    counts: Counts = Field(default_factory=Counts)
    usage: Usage = Field(default_factory=Usage)
    claims: list[ClaimOutcome] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="retries and fallbacks on the way to the answer")
