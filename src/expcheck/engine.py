"""Select rules, run them over the facts, and turn their hits into findings with evidence.

The engine is also where the evidence contract is enforced: a hit whose path is not in the
submission, or whose line is not in its file, is a bug in the rule and is reported as such.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from expcheck.facts import Facts
from expcheck.findings import Confidence, Finding, Severity
from expcheck.inputs import Loaded
from expcheck.profiles.clauses import clauses_off
from expcheck.rules.base import Hit, Rule, all_rules

_SUPPRESS = re.compile(r"#\s*expcheck:\s*ignore(?:\[(?P<ids>[A-Za-z0-9_,\s-]+)\])?")
MAX_EVIDENCE = 240


@dataclass
class Outcome:
    findings: list[Finding]
    # Rules that raised or broke the evidence contract: internal errors, never silently dropped.
    rule_errors: list[str] = field(default_factory=list)


def select_rules(select: Sequence[str] = (), ignore: Sequence[str] = (), off: Sequence[str] = ()) -> list[Rule]:
    chosen = []
    for candidate in all_rules():
        if select and not any(candidate.matches(s) for s in select):
            continue
        if any(candidate.matches(s) for s in (*ignore, *off)):
            continue
        chosen.append(candidate)
    return chosen


def _suppressed(line_text: str, rule: Rule) -> bool:
    match = _SUPPRESS.search(line_text)
    if match is None:
        return False
    ids = match.group("ids")
    if not ids:
        return True
    return any(rule.matches(part.strip()) for part in ids.split(",") if part.strip())


def effective_severity(rule: Rule, overrides: dict[str, str]) -> Severity:
    """The profile's severity for ``rule`` (the longest matching id prefix wins), else the rule's own.

    A heuristic rule only advises: its findings are warnings whatever the profile says.
    """
    if rule.confidence is Confidence.HEURISTIC:
        return Severity.WARNING
    matching = [key for key in overrides if rule.matches(key)]
    if not matching:
        return rule.severity
    return Severity(overrides[max(matching, key=len)])


def _to_finding(facts: Facts, rule: Rule, hit: Hit) -> Finding | str:
    """The finding for ``hit``, or a message saying why the hit breaks the evidence contract."""
    sub = facts.submission
    file = sub.files.get(hit.path)
    rejected = any(entry.name == hit.path for entry in sub.rejected)
    if hit.line is None:
        if file is not None:
            return f"{rule.id}: finding on {hit.path} has no line, but only a missing file may"
        evidence = hit.evidence or "(file missing)"
    elif file is not None:
        last = max(len(file.lines), 1)
        if not 1 <= hit.line <= last:
            return f"{rule.id}: line {hit.line} is outside {hit.path} (1..{last})"
        if file.origin == "code" and _suppressed(file.line(hit.line), rule):
            return ""
        evidence = hit.evidence if hit.evidence is not None else file.line(hit.line).strip()
    elif rejected:
        evidence = hit.evidence or ""
    else:
        return f"{rule.id}: finding names {hit.path}, which is not in the submission"
    if len(evidence) > MAX_EVIDENCE:
        evidence = evidence[: MAX_EVIDENCE - 1] + "…"
    return Finding(
        rule=rule.id,
        criterion=rule.criterion,
        severity=effective_severity(rule, facts.profile.severity),
        path=hit.path,
        line=hit.line,
        column=hit.column,
        message=hit.message,
        evidence=evidence,
        fix=hit.fix or rule.fix,
        confidence=rule.confidence,
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for one check, then restored as it was.

    A check builds hundreds of thousands of syntax-tree nodes and facts that stay alive until it
    ends, so the collections their allocation would trigger find next to nothing and walk them again
    and again (about a tenth of the check's time on the corpus). Reference counting still frees
    everything acyclic at once; cyclic garbage waits for the first collection after the check.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_rules(facts: Facts, rules: Sequence[Rule]) -> Outcome:
    outcome = Outcome(findings=[])
    seen: set[tuple[str, str, int | None, int | None, str]] = set()
    for fact in dict.fromkeys(f for rule in rules for f in rule.prefetch):
        try:
            facts.derived(fact)  # starts background work (e.g. ruff) before the first rule runs
        except Exception as exc:
            outcome.rule_errors.append(f"prefetch {getattr(fact, '__name__', fact)}: {type(exc).__name__}: {exc}")
    for rule in rules:
        try:
            hits = list(rule.check(facts))
        except Exception as exc:  # a broken rule must not hide the others' findings
            outcome.rule_errors.append(f"{rule.id}: {type(exc).__name__}: {exc}")
            continue
        for hit in hits:
            made = _to_finding(facts, rule, hit)
            if isinstance(made, str):
                if made:
                    outcome.rule_errors.append(made)
                continue
            key = (made.rule, made.path, made.line, made.column, made.message)
            if key not in seen:
                seen.add(key)
                outcome.findings.append(made)
    outcome.findings.sort(key=Finding.sort_key)
    return outcome


def rules_in_force(loaded: Loaded, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[Rule]:
    """The selected rules the profile uses, minus those enforcing a clause the input's contract does not state."""
    off = clauses_off(loaded.clauses)
    return [r for r in select_rules(select, ignore, loaded.profile.rules_off) if r.clause not in off]


def check_loaded(loaded: Loaded, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> Outcome:
    rules = rules_in_force(loaded, select, ignore)
    with _collector_paused():
        # The facts are dropped when run_rules returns, before the collector resumes: it never walks them.
        return run_rules(Facts(loaded.submission, loaded.profile), rules)
