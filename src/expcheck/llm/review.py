"""The LLM review stage: prompt, call (or cache), ground, account; added to a report, never replacing it.

The static verdict is computed first and stays: kept claims only add findings (warnings, or errors
with ``blocking``), so an L finding can never turn a deterministic error into readiness. When the
call fails, the report's ``llm_review`` says so and the static verdict stands alone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from expcheck.errors import InputError
from expcheck.facts import Facts
from expcheck.findings import Finding
from expcheck.inputs import Loaded, load
from expcheck.llm.accounting import PriceTable, estimate_cost
from expcheck.llm.cache import ReviewCache, request_key
from expcheck.llm.clauses import review_clauses
from expcheck.llm.client import Answer, Endpoint, ReviewFailed, complete
from expcheck.llm.grounding import LINE_WINDOW, MalformedAnswer, ground, parse_answer
from expcheck.llm.prompt import PROMPT_VERSION, build_messages
from expcheck.llm.schema import SCHEMA_NAME, LlmReview, Usage, response_schema
from expcheck.report.schema import Report, summarise
from expcheck.verdict import DEFAULT_ISSUE_BUDGET, Verdict, make_verdict

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"


@dataclass(frozen=True)
class LlmOptions:
    model: str
    base_url: str = DEFAULT_BASE_URL
    api_key_env: str = DEFAULT_KEY_ENV
    timeout: float = 120.0
    retries: int = 3
    backoff: float = 1.0
    blocking: bool = False
    prices: PriceTable = field(default_factory=dict)
    cache_dir: Path | None = None  # None: no cache
    window: int = LINE_WINDOW

    def endpoint(self) -> Endpoint:
        return Endpoint(
            base_url=self.base_url,
            model=self.model,
            api_key=os.environ.get(self.api_key_env) or None,
            timeout=self.timeout,
            retries=self.retries,
            backoff=self.backoff,
        )


def _ask(options: LlmOptions, messages: list[dict[str, str]], schema: dict[str, object]) -> tuple[Answer, bool]:
    """The answer and whether it came from the cache."""
    cache = ReviewCache(options.cache_dir) if options.cache_dir is not None else None
    key = request_key(options.base_url, options.model, messages, schema, PROMPT_VERSION)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return Answer(content=hit["content"]), True
    answer = complete(options.endpoint(), messages, schema, SCHEMA_NAME)
    try:
        parse_answer(answer.content)  # only a usable answer is worth keeping
    except MalformedAnswer:
        return answer, False
    if cache is not None:
        cache.put(
            key,
            {
                "model": options.model,
                "content": answer.content,
                "tokens_in": answer.tokens_in,
                "tokens_out": answer.tokens_out,
            },
        )
    return answer, False


def review(loaded: Loaded, findings: Sequence[Finding], options: LlmOptions) -> tuple[LlmReview, list[Finding]]:
    """The review section for ``loaded`` and the findings its kept claims make."""
    clauses = review_clauses(loaded.profile)
    messages = build_messages(loaded, findings)
    schema = response_schema([c.id for c in clauses])
    section = LlmReview(
        model=options.model,
        base_url=options.base_url,
        performed=False,
        blocking=options.blocking,
        line_window=options.window,
    )
    try:
        answer, cached = _ask(options, messages, schema)
    except ReviewFailed as exc:
        return section.model_copy(update={"error": str(exc)}), []
    usage = Usage(
        tokens_in=answer.tokens_in,
        tokens_out=answer.tokens_out,
        cost_usd=0.0 if cached else estimate_cost(options.prices, options.model, answer.tokens_in, answer.tokens_out),
        latency_s=answer.latency_s,
        attempts=answer.attempts,
    )
    section = section.model_copy(update={"usage": usage, "cached": cached, "notes": answer.notes})
    try:
        items = parse_answer(answer.content)
    except MalformedAnswer as exc:
        return section.model_copy(update={"error": str(exc)}), []
    grounded = ground(
        Facts(loaded.submission, loaded.profile), items, clauses, blocking=options.blocking, window=options.window
    )
    section = section.model_copy(update={"performed": True, "counts": grounded.counts(), "claims": grounded.outcomes})
    return section, grounded.findings


def add_review(report: Report, loaded: Loaded, options: LlmOptions, issue_budget: int = DEFAULT_ISSUE_BUDGET) -> Report:
    """``report`` with the review section, and the kept claims' findings after the static ones."""
    try:
        section, extra = review(loaded, report.findings, options)
    except Exception as exc:  # a bug of the review must not cost the static verdict
        section = LlmReview(
            model=options.model,
            base_url=options.base_url,
            performed=False,
            error=f"internal error in the LLM review (please report): {type(exc).__name__}: {exc}",
            blocking=options.blocking,
            line_window=options.window,
        )
        extra = []
    findings = [*report.findings, *sorted(extra, key=Finding.sort_key)]
    verdict = report.verdict
    if any(f.blocking for f in extra):  # only --llm-blocking makes them block; they never unblock
        verdict = Verdict(is_code_ready=False, code_issue=make_verdict(findings, issue_budget).code_issue)
    return report.model_copy(
        update={
            "llm_review": section,
            "findings": findings,
            "verdict": verdict,
            "summary": summarise(findings, report.summary.files),
        }
    )


def review_report(
    report: Report,
    options: LlmOptions,
    profile: str | None = None,
    context: str | None = None,
    issue_budget: int = DEFAULT_ISSUE_BUDGET,
) -> Report:
    """Review an already checked input, read again from ``report.input`` with the options it was checked
    with (``profile`` as given, not as detected); unreadable inputs are returned as they are."""
    if report.error is not None or report.verdict is None:
        return report
    try:
        loaded = load(report.input, profile=profile, context=context)
    except InputError as exc:
        section = LlmReview(
            model=options.model,
            base_url=options.base_url,
            performed=False,
            error=f"the input could not be read again: {exc}",
            blocking=options.blocking,
            line_window=options.window,
        )
        return report.model_copy(update={"llm_review": section})
    return add_review(report, loaded, options, issue_budget)


def summary_line(section: LlmReview) -> str:
    """One line for a terminal: what the review kept and what it cost."""
    if not section.performed:
        return f"LLM review ({section.model}) did not happen: {section.error}; the static verdict stands"
    c, u = section.counts, section.usage
    cost = (
        "cached, no cost"
        if section.cached
        else (f"${u.cost_usd:.4f}" if u.cost_usd is not None else "cost unknown (no price set)")
    )
    return (
        f"LLM review ({section.model}): {c.claims} claims, {c.ungrounded} ungrounded, {c.refuted} refuted, "
        f"{c.invalid} invalid, {c.kept} kept; {u.tokens_in} tokens in, {u.tokens_out} out, {cost}, {u.latency_s:.1f} s"
    )
