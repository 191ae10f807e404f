"""The report schema: one Report per input. This is the contract of --format json/jsonl and the Python API."""

from __future__ import annotations

from dataclasses import dataclass

from expcheck.findings import Finding, Severity
from expcheck.llm.schema import LlmReview
from expcheck.model import Model, field
from expcheck.profiles.clauses import ClauseState
from expcheck.profiles.detect import ProfileChoice
from expcheck.verdict import Verdict

SCHEMA_VERSION = 1


@dataclass(kw_only=True)
class Recorded(Model):
    """The verdict a saved trace recorded (its reviewer's answer), kept for comparison and audit."""

    reviewer: str | None
    is_code_ready: bool | None
    code_issue: str


@dataclass(kw_only=True)
class Summary(Model):
    errors: int = 0
    warnings: int = 0
    files: int = 0


@dataclass(kw_only=True)
class Report(Model):
    input: str = field(description="the input path as given")
    kind: str | None = field(None, description="directory, bundle or trace")
    profile: str | None = field(None, description="the contract profile the input was judged by")
    profile_choice: ProfileChoice | None = field(None, description="how the profile was chosen, on which evidence")
    clauses: list[ClauseState] = field(
        default_factory=list, description="the profile's contract clauses, and which are in force for this input"
    )
    verdict: Verdict | None = field(
        None, description="always set by expcheck; not ready, with the reason, when the input could not be read"
    )
    findings: list[Finding] = field(default_factory=list)
    error: str | None = field(None, description="one line when the input could not be read")
    summary: Summary = field(default_factory=Summary)
    recorded: Recorded | None = None
    internal_errors: list[str] = field(default_factory=list, description="rules that failed: bugs of expcheck")
    llm_review: LlmReview | None = field(
        None, description="the optional grounded LLM review (--llm): null when none was asked"
    )

    @classmethod
    def failed(cls, source: str, message: str, cause: str = "The input could not be read") -> Report:
        """The report of an input that could not be read (or, with another ``cause``, not judged): not
        ready, the cause and the reason as ``code_issue``."""
        verdict = Verdict(is_code_ready=False, code_issue=f"{cause}: {message}")
        return cls(input=source, error=message, verdict=verdict)

    @property
    def ready(self) -> bool:
        return self.verdict is not None and self.verdict.is_code_ready


def summarise(findings: list[Finding], files: int) -> Summary:
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    return Summary(errors=errors, warnings=len(findings) - errors, files=files)
