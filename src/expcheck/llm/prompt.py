"""The reviewer's prompt, in our own words, built from the profile, the research context, the code and
the deterministic findings.

The code is shown with line numbers so that a claim can name its line; the findings are given as
settled facts so that the model spends its attention on what rules cannot decide.
"""

from __future__ import annotations

from collections.abc import Sequence

from expcheck.findings import Finding
from expcheck.inputs import Loaded
from expcheck.llm.clauses import ReviewClause, review_clauses
from expcheck.profiles.schema import Profile
from expcheck.submission import ResearchContext

PROMPT_VERSION = "1"  # part of the cache key: a new prompt never reuses old answers
MAX_FINDINGS_LISTED = 60

_ROLE = """\
You are a careful reviewer of machine-generated machine-learning experiment code. A static checker \
has already examined this repository for everything that can be decided mechanically: syntax, \
imports, dependencies, configuration keys, command-line overrides, file layout and logging calls. \
Its findings are listed below as established facts. Do not repeat them, argue with them, or report \
anything of the same kind: a claim about syntax, a missing file, a missing dependency, a missing \
configuration or a crash will be discarded.

Your job is the part no checker can decide: whether the code does what the research says it should. \
Judge only the clauses you are given. Report a problem only when you can point at the code that shows \
it, and stay silent when the code is acceptable: an empty list of claims is a good answer for sound code.

Every claim must carry:
- path: the file, exactly as written in the headers below (e.g. src/train.py);
- line: the number shown at the start of the line where your quote begins;
- quote: one to three lines copied character for character from that place, without the line numbers \
(a claim whose quote cannot be found there is discarded);
- clause: the id of the clause it concerns;
- severity: "error" when the experiment would answer a different question than the one asked or \
report numbers it did not measure, "warning" for a weaker departure;
- message: what is wrong, in one or two sentences; fix: how to repair it, in one sentence.

Answer with one JSON object {"claims": [...]} and nothing else."""


def _profile_notes(profile: Profile) -> list[str]:
    notes = [f"Contract: {profile.title}."]
    if profile.description:
        notes.append(" ".join(profile.description.split()))
    notes.append(f"The pipeline runs training as `{profile.commands.train}`.")
    if profile.commands.evaluate:
        notes.append(f"Evaluation runs separately as `{profile.commands.evaluate}`.")
    if profile.modes is not None:
        notes.append(
            f"A trial mode (`{profile.modes.trial_override}`) shrinks the work on purpose; "
            "small budgets in trial mode are not a departure from the design."
        )
    if profile.placeholder_data:
        notes.append(
            "This is a base code: datasets and models are placeholders by design, to be filled in later. "
            "Judge the structure of the method, not the choice of data."
        )
    if profile.outputs is not None and profile.outputs.significance_test:
        notes.append("The evaluation is expected to test the significance of the difference between methods.")
    return notes


def _context_text(context: ResearchContext) -> str:
    parts = []
    for title, value in (
        ("Hypothesis", context.hypothesis),
        ("Method", context.method),
        ("Experimental design", context.experimental_design),
        ("Primary metric", context.primary_metric),
    ):
        if value and value.strip():
            parts.append(f"### {title}\n{value.strip()}")
    if context.runs:
        lines = []
        for run in context.runs:
            described = ", ".join(
                f"{k}={v}" for k, v in (("method", run.method), ("model", run.model), ("dataset", run.dataset)) if v
            )
            lines.append(f"- {run.run_id}" + (f" ({described})" if described else ""))
        parts.append("### Experiment runs\n" + "\n".join(lines))
    if context.run_variations:
        parts.append("### Run variations\n" + "\n".join(f"- {v}" for v in context.run_variations))
    return "\n\n".join(parts) if parts else "(the input states no research context: judge the code on its own terms)"


def _clauses_text(clauses: Sequence[ReviewClause]) -> str:
    return "\n".join(f"- {c.id}: {c.title}. {c.asks}" for c in clauses)


def _facts_text(loaded: Loaded, findings: Sequence[Finding]) -> str:
    decided = [s.text for s in loaded.clauses if s.in_force]
    parts = []
    if decided:
        parts.append(
            "Clauses of the contract the checker enforces itself (not yours to judge):\n"
            + "\n".join(f"- {t}" for t in decided)
        )
    if findings:
        listed = [
            f"- {f.location()} [{f.rule}, {f.severity.value}] {f.message}" for f in findings[:MAX_FINDINGS_LISTED]
        ]
        if len(findings) > MAX_FINDINGS_LISTED:
            listed.append(f"- … and {len(findings) - MAX_FINDINGS_LISTED} more")
        parts.append("The checker's findings (established; do not restate them):\n" + "\n".join(listed))
    else:
        parts.append("The checker found nothing to report.")
    return "\n\n".join(parts)


def numbered(text: str) -> str:
    lines = text.splitlines()
    width = len(str(max(len(lines), 1)))
    return "\n".join(f"{i:>{width}}| {line}" for i, line in enumerate(lines, start=1))


def _code_text(loaded: Loaded) -> str:
    blocks = []
    for path, file in sorted(loaded.submission.files.items()):
        if file.unreadable is not None:
            blocks.append(f"=== {path} (not shown: {file.unreadable})")
            continue
        origin = " (run config supplied by the research context)" if file.origin == "context" else ""
        blocks.append(f"=== {path}{origin}\n{numbered(file.text)}")
    return "\n\n".join(blocks)


def build_messages(loaded: Loaded, findings: Sequence[Finding]) -> list[dict[str, str]]:
    """The chat messages of one review: our instructions (system), then the material (user)."""
    clauses = review_clauses(loaded.profile)
    system = "\n\n".join([_ROLE, "Clauses to judge:\n" + _clauses_text(clauses)])
    user = "\n\n".join(
        [
            "## The contract\n" + "\n".join(_profile_notes(loaded.profile)),
            "## Research context\n" + _context_text(loaded.submission.context),
            "## What the checker established\n" + _facts_text(loaded, findings),
            "## The code\n" + _code_text(loaded),
        ]
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
