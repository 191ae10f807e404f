"""What grounding buys: the corpus's recorded reviewer claims, put through the LLM review's grounding.

Each recorded verdict (the ``Output:`` of a trace in ``../shared/corpus/``) is split into claims and
turned into the claim schema (``expcheck.llm.recorded``: file named, backticked quote, stated or
found line). Grounding then keeps, or drops as ungrounded (no file, no quote, or the quote is not at
that place) or refuted (the audit's deterministic checks), exactly as it does for a live review.
Also printed: the size of our review prompt per trace (characters, and tokens at ~4 characters per
token), the figure behind the README's cost per review. Writes benchmarks/results/llm_grounding.json.

    uv run python benchmarks/llm_grounding.py [--show kept|ungrounded|refuted]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from pathlib import Path

from expcheck.engine import check_loaded
from expcheck.errors import InputError
from expcheck.facts import Facts
from expcheck.inputs import load
from expcheck.llm.clauses import REVIEW_CLAUSES
from expcheck.llm.grounding import ground
from expcheck.llm.prompt import build_messages
from expcheck.llm.recorded import claims_from_recorded

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "llm_grounding.json"


def _why(reason: str) -> str:
    if reason.startswith("no file") or "names no file" in reason:
        return "names no file of the submission"
    if "too short" in reason:
        return "no quote (or too short to locate)"
    return "quote not at the place claimed"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", choices=("kept", "ungrounded", "refuted"))
    args = parser.parse_args()
    if not (CORPUS / "index.jsonl").is_file():
        raise SystemExit(f"no corpus at {CORPUS}")
    entries = [json.loads(line) for line in (CORPUS / "index.jsonl").read_text().splitlines() if line.strip()]
    fates: Counter[str] = Counter()
    ungrounded_why: Counter[str] = Counter()
    refuted_why: Counter[str] = Counter()
    prompt_chars: list[int] = []
    answer_chars: list[int] = []
    traces = with_claims = 0
    for entry in entries:
        try:
            loaded = load(str(CORPUS / entry["trace"]))
        except InputError:
            continue
        traces += 1
        findings = check_loaded(loaded).findings
        prompt_chars.append(sum(len(m["content"]) for m in build_messages(loaded, findings)))
        if loaded.submission.recorded is not None:
            answer_chars.append(len(loaded.submission.recorded.code_issue))
        items = claims_from_recorded(loaded.submission)
        if not items:
            continue
        with_claims += 1
        grounded = ground(Facts(loaded.submission, loaded.profile), items, REVIEW_CLAUSES)
        for outcome in grounded.outcomes:
            fates[outcome.fate] += 1
            if outcome.fate == "ungrounded":
                ungrounded_why[_why(outcome.reason)] += 1
            elif outcome.fate == "refuted":
                refuted_why[outcome.reason.split(":")[0].split(" (")[0][:70]] += 1
            if args.show == outcome.fate:
                print(f"[{outcome.fate}] {entry['trace']}: {outcome.path}:{outcome.line} {outcome.message[:160]}")
                if outcome.reason:
                    print(f"    -> {outcome.reason}")
    total = sum(fates.values())
    print(f"traces read: {traces}; with recorded claims: {with_claims}; recorded claims: {total}")
    for fate in ("kept", "ungrounded", "refuted", "invalid"):
        share = fates[fate] / total if total else 0.0
        print(f"  {fate:<11} {fates[fate]:>5}  {share:6.1%}")
    print("ungrounded, why:")
    for why, n in ungrounded_why.most_common():
        print(f"  {n:>5}  {why}")
    print("refuted, why (first words of the refutation):")
    for why, n in refuted_why.most_common(10):
        print(f"  {n:>5}  {why}")
    median = statistics.median(prompt_chars) if prompt_chars else 0
    print(
        f"review prompt per trace: median {median:,.0f} chars (~{median / 4:,.0f} tokens), "
        f"max {max(prompt_chars, default=0):,} chars (~{max(prompt_chars, default=0) / 4:,.0f} tokens)"
    )
    answers = statistics.median(answer_chars) if answer_chars else 0
    print(
        f"recorded answers (code_issue): median {answers:,.0f} chars (~{answers / 4:,.0f} tokens), "
        f"max {max(answer_chars, default=0):,} chars"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "traces": traces,
                "traces_with_claims": with_claims,
                "claims": total,
                "fates": dict(fates),
                "ungrounded_why": dict(ungrounded_why),
                "refuted_why": dict(refuted_why),
                "prompt_chars_median": median,
                "prompt_chars_max": max(prompt_chars, default=0),
                "answer_chars_median": answers,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
