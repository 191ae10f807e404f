"""Findings about the check itself: what expcheck could not judge, and why.

The submission is written by a model told to make the verdict say "ready", so the check fails
closed: a rule that crashes, or rules that had nothing to look at because an input is absent, are
reported as findings of their own rather than as silence. They have scope "input" (no place in the
code): ``path`` is "", ``line`` is null, and the evidence states what was observed — the exception
a rule raised, or the input that is absent. Other stages that stop a check short (input limits,
for instance) build their findings with ``input_finding``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from expcheck.facts import PRIMARY_METRIC, RUNS
from expcheck.findings import Confidence, Finding, Severity

if TYPE_CHECKING:
    from expcheck.report.schema import Report

CRITERION = "X"


@dataclass(frozen=True)
class CheckFinding:
    """The documentation of one kind of input-scope finding (like a rule's, without a check function)."""

    id: str
    name: str
    severity: Severity
    title: str
    why: str
    fix: str


INTERNAL_ERROR = CheckFinding(
    id="X001",
    name="rule-crashed",
    severity=Severity.ERROR,
    title="A rule failed with an internal error, so its defects are unknown",
    why="A rule that crashes has not looked at the code; reading its silence as 'no defect' would let "
    "the input pass unchecked. The input is not ready until every selected rule has run.",
    fix="This is a bug in expcheck: please report it with the input. To accept the gap knowingly, "
    "leave the rule out with --ignore.",
)
NOT_APPLIED = CheckFinding(
    id="X002",
    name="rules-not-applied",
    severity=Severity.WARNING,
    title="Rules could not check everything because an input is absent",
    why="Some rules go run by run through the experiment runs, or need the primary metric; without "
    "them they check nothing, and a READY answer says nothing about those points.",
    fix="Give the research context (--context FILE, or context= in the API) with the experiment runs, "
    "their run configs and the primary metric.",
)
TOOL_UNAVAILABLE = CheckFinding(
    id="X003",
    name="tool-unavailable",
    severity=Severity.ERROR,
    title="A tool the rules rely on gave no answer, so their defects are unknown",
    why="Some rules read another program's diagnostics (ruff's, for undefined names and compile-time "
    "errors). When it cannot run, crashes or times out, those rules have not looked at the code; reading "
    "the silence as 'no defect' would let the input pass unchecked.",
    fix="Make the tool work where expcheck runs (ruff is installed with expcheck: reinstall it), or leave "
    "those rules out knowingly with --ignore.",
)
CATALOG = (INTERNAL_ERROR, NOT_APPLIED, TOOL_UNAVAILABLE)

# What each lacking input (see Facts.lacking) means, for the finding's message.
_ABSENT = {
    RUNS: "no experiment run is known (no research context lists them and the submission has no run config)",
    PRIMARY_METRIC: "no primary metric is known (not in the research context, not named by evaluate.py)",
}


def input_finding(kind: CheckFinding, message: str, evidence: str, fix: str | None = None) -> Finding:
    """A finding about the input as a whole (scope "input"), documented by ``kind``."""
    return Finding(
        rule=kind.id,
        criterion=CRITERION,
        severity=kind.severity,
        path="",
        line=None,
        message=message,
        evidence=evidence,
        fix=fix or kind.fix,
        confidence=Confidence.CERTAIN,  # what was observed (an exception, an absent input) is not in doubt
        scope="input",
    )


def crash_findings(errors: Iterable[tuple[str, str]]) -> list[Finding]:
    """One X001 finding per (rule or stage, error text) that failed."""
    return [
        input_finding(
            INTERNAL_ERROR,
            f"{who} failed with an internal error; what it checks is unknown, so the input is not ready",
            evidence=problem,
            fix=f"{INTERNAL_ERROR.fix.replace('--ignore.', f'--ignore {who}.')}" if _is_rule_id(who) else None,
        )
        for who, problem in errors
    ]


def not_applied_findings(gaps: Mapping[str, Iterable[str]]) -> list[Finding]:
    """One X002 finding per absent input, naming the rules that could not check everything."""
    out = []
    for what in sorted(gaps):
        rules = sorted(set(gaps[what]))
        reason = _ABSENT.get(what, f"no {what} is known")
        out.append(
            input_finding(
                NOT_APPLIED,
                f"{', '.join(rules)} not applied: {reason}",
                evidence=f"{what}: none in the input",
            )
        )
    return out


def _is_rule_id(who: str) -> bool:
    return len(who) == 4 and who[0].isalpha() and who[1:].isdigit()


def crash_report(source: str, where: str, problem: str) -> Report:
    """The report of an input a crash kept from being judged (``where`` it happened, the ``problem``):
    one X001 error finding, so it is not ready, and the problem in ``internal_errors`` (exit 3)."""
    from expcheck.report.schema import Report, summarise
    from expcheck.verdict import make_verdict

    findings = crash_findings([(where, problem)])
    return Report(
        input=source,
        verdict=make_verdict(findings),
        findings=findings,
        summary=summarise(findings, 0),
        internal_errors=[f"{where}: {problem}"],
    )


def unavailable_findings(causes: Mapping[str, Iterable[str]]) -> list[Finding]:
    """One X003 finding per reason a tool gave no answer, naming the rules that relied on it."""
    out = []
    for problem in sorted(causes):
        rules = sorted(set(causes[problem]))
        out.append(
            input_finding(
                TOOL_UNAVAILABLE,
                f"{', '.join(rules)} could not judge the code: {problem}",
                evidence=problem,
                fix=TOOL_UNAVAILABLE.fix.replace("--ignore.", f"--ignore {','.join(rules)}."),
            )
        )
    return out
