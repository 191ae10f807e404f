"""Documentation of the rules, generated from the rules themselves (``expcheck rules`` / ``explain``)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from expcheck.criteria import criterion_title
from expcheck.rules.base import Example, Rule


def rules_table(rules: Sequence[Rule]) -> str:
    width = max((len(r.name) for r in rules), default=4)
    lines = [f"{'id':<5} {'name':<{width}} {'crit':<4} {'severity':<8} {'confidence':<10} title"]
    lines += [
        f"{r.id:<5} {r.name:<{width}} {r.criterion:<4} {r.severity.value:<8} {r.confidence.value:<10} {r.title}"
        for r in rules
    ]
    return "\n".join(lines) + "\n"


def rules_markdown(rules: Sequence[Rule]) -> str:
    lines = [
        "| id | name | criterion | severity | confidence | what it finds |",
        "|---|---|---|---|---|---|",
    ]
    for r in rules:
        title = r.title.replace("|", "\\|")
        lines.append(
            f"| `{r.id}` | {r.name} | {r.criterion} {criterion_title(r.criterion)} | {r.severity.value} "
            f"| {r.confidence.value} | {title} |"
        )
    return "\n".join(lines) + "\n"


def rules_json(rules: Sequence[Rule]) -> str:
    data = [
        {
            "id": r.id,
            "name": r.name,
            "criterion": r.criterion,
            "severity": r.severity.value,
            "title": r.title,
            "why": r.why,
            "fix": r.fix,
            "confidence": r.confidence.value,
            "known_limits": r.known_limits,
            "clause": r.clause,
        }
        for r in rules
    ]
    return json.dumps(data, indent=2) + "\n"


def _example(example: Example) -> list[str]:
    out = []
    if example.profile != "airas-v2":
        out.append(f"  (profile {example.profile})")
    if example.note:
        out.append(f"  ({example.note})")
    for path, text in example.files.items():
        out.append(f"  --- {path}")
        shown = text.splitlines() or ["(empty file)"]
        out.extend(f"  {line}" for line in shown[:14])
        if len(shown) > 14:
            out.append("  ...")
    return out


def _doc_line(function: object) -> str:
    doc = (getattr(function, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""


def explain(rule: Rule) -> str:
    lines = [
        f"{rule.id} {rule.name} ({rule.severity.value}, criterion {rule.criterion}: {criterion_title(rule.criterion)})",
        "",
        rule.title,
        "",
        f"Why: {rule.why}",
        "",
        f"Fix: {rule.fix}",
        "",
        f"Confidence: {rule.confidence.value}"
        + (" (advice: never blocks readiness)" if rule.confidence.value == "heuristic" else ""),
        f"Known limits: {rule.known_limits}",
    ]
    if rule.clause:
        lines.append(
            f"Contract clause: {rule.clause} (the rule runs only where the input's contract states it; "
            "see 'expcheck profiles NAME')"
        )
    if rule.repair is not None:
        lines += ["", f"Repair: `expcheck fix` repairs it where the repair is certainly right: {_doc_line(rule.repair)}"]
    for label, examples in (("Fires on", rule.bad), ("Stays silent on", rule.good)):
        for i, example in enumerate(examples, start=1):
            lines += ["", f"{label} (example {i}):", *_example(example)]
    return "\n".join(lines) + "\n"
