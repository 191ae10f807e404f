"""Audit a recorded LLM verdict claim by claim: confirmed, refuted or unverified, and what it missed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from expcheck.audit.claims import split_claims
from expcheck.audit.judge import judge, missed
from expcheck.engine import check_loaded
from expcheck.errors import InputError
from expcheck.facts import Facts
from expcheck.findings import Finding
from expcheck.inputs import load
from expcheck.verdict import Verdict, make_verdict


class ClaimResult(BaseModel):
    number: int
    text: str
    verdict: str = Field(description="confirmed, refuted or unverified")
    reason: str
    evidence: str = ""
    supporting_rules: list[str] = Field(default_factory=list)


class AuditReport(BaseModel):
    input: str
    profile: str | None = None
    reviewer: str | None = None
    recorded_ready: bool | None = None
    expcheck: Verdict | None = None
    claims: list[ClaimResult] = Field(default_factory=list)
    missed: list[Finding] = Field(default_factory=list, description="our errors the recorded verdict does not mention")
    error: str | None = None

    def counts(self) -> Counter[str]:
        return Counter(c.verdict for c in self.claims)


def audit(source: str, profile: str | None = None) -> AuditReport:
    try:
        loaded = load(source, profile=profile)
    except InputError as exc:
        return AuditReport(input=source, error=str(exc))
    sub = loaded.submission
    if sub.recorded is None:
        return AuditReport(input=source, profile=loaded.profile.name, error=f"{source}: no recorded verdict to audit")
    facts = Facts(sub, loaded.profile)
    findings = check_loaded(loaded).findings
    judgements = judge(facts, split_claims(sub.recorded.code_issue), findings)
    return AuditReport(
        input=source,
        profile=loaded.profile.name,
        reviewer=sub.recorded.reviewer,
        recorded_ready=sub.recorded.is_code_ready,
        expcheck=make_verdict(findings),
        claims=[
            ClaimResult(
                number=j.claim.number,
                text=j.claim.text,
                verdict=j.verdict,
                reason=j.reason,
                evidence=j.evidence,
                supporting_rules=list(j.supporting),
            )
            for j in judgements
        ],
        missed=missed(judgements, findings, facts),
    )


def aggregate(reports: Sequence[AuditReport]) -> dict[str, object]:
    """Totals over many audits: claims per class, and the most frequent refuted kinds."""
    totals: Counter[str] = Counter()
    refuted_kinds: Counter[str] = Counter()
    agreement: Counter[str] = Counter()
    for r in reports:
        if r.error is not None:
            agreement["unreadable"] += 1
            continue
        totals.update(r.counts())
        for c in r.claims:
            if c.verdict == "refuted":
                refuted_kinds[c.reason.split(":")[0].split(" (")[0][:60]] += 1
        ours = r.expcheck.is_code_ready if r.expcheck else None
        if r.recorded_ready is not None and ours is not None:
            agreement[
                "both ready"
                if ours and r.recorded_ready
                else "both not ready"
                if not (ours or r.recorded_ready)
                else "disagree"
            ] += 1
    return {
        "audits": len(reports),
        "claims": dict(totals),
        "refuted_kinds": dict(refuted_kinds.most_common(10)),
        "verdict_agreement": dict(agreement),
        "missed_errors": sum(len(r.missed) for r in reports),
    }
