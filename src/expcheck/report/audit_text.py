"""Renderers for audits of recorded verdicts: text for people, JSON for tools."""

from __future__ import annotations

import json
from collections.abc import Sequence

from expcheck.audit import AuditReport, aggregate
from expcheck.report.text import Style

_COLOUR = {"confirmed": "green", "refuted": "red", "unverified": "yellow"}


def render_audit_text(reports: Sequence[AuditReport], style: Style) -> str:
    out: list[str] = []
    for r in reports:
        if r.error is not None:
            out.append(f"{style(r.input, 'bold')}: {style('UNREADABLE', 'red')}: {r.error}\n")
            continue
        said = {True: "ready", False: "not ready", None: "no verdict"}[r.recorded_ready]
        ours = "ready" if r.expcheck and r.expcheck.is_code_ready else "not ready"
        counts = r.counts()
        out.append(
            f"{style(r.input, 'bold')} (profile {r.profile}): recorded verdict {said} by {r.reviewer or 'reviewer'}; "
            f"expcheck: {ours}; claims: {counts['confirmed']} confirmed, {counts['refuted']} refuted, "
            f"{counts['unverified']} unverified"
        )
        for c in r.claims:
            out.append(f"  {c.number:>2}. {style(c.verdict.upper(), _COLOUR[c.verdict])}  {c.text}")
            out.append(f"      {style('why: ' + c.reason, 'dim')}")
            if c.verdict == "refuted" and c.evidence:
                out.append(f"      {style('evidence: ' + c.evidence, 'dim')}")
        if r.missed:
            out.append(f"  missed by the recorded verdict ({len(r.missed)} error(s) expcheck found):")
            for f in r.missed:
                out.append(f"    - {f.location()} [{f.rule}] {f.message}")
        out.append("")
    if len(reports) > 1:
        total = aggregate(reports)
        out.append(f"{len(reports)} audits: claims {total['claims']}; most frequent refuted: {total['refuted_kinds']}")
        out.append(
            f"verdict agreement: {total['verdict_agreement']}; errors the recorded verdicts missed: {total['missed_errors']}"
        )
    return "\n".join(out) + "\n"


def render_audit_json(reports: Sequence[AuditReport]) -> str:
    document = {"aggregate": aggregate(reports), "audits": [r.model_dump(mode="json") for r in reports]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
