"""The clauses the reviewer is asked about: what no rule can decide, and the L rule each one reports as.

Rules decide what the code's text, Hydra, uv and Python decide. What remains needs reading intent:
does the code do what the method says, do the runs differ the way the design says, are the reported
numbers computed rather than made up. Each clause here names the L rule its kept claims become.
"""

from __future__ import annotations

from expcheck.findings import Confidence
from expcheck.profiles.schema import Profile, ReviewClause

CONFIDENCE = Confidence.INFERRED
KNOWN_LIMITS = (
    "a language model's reading of intent: the quote is checked to exist at the place claimed and "
    "claims the code refutes are dropped, but whether the quoted code really departs from the method "
    "is the model's judgement, not a proof"
)

_METHOD = ReviewClause(
    id="method-fidelity",
    rule="L101",
    criterion="C4",
    title="The code does not implement the method the research context describes",
    asks=(
        "Compare the proposed method as the hypothesis and method text describe it with what the model, "
        "loss, training loop and update steps actually compute. Report a component the method needs that "
        "the code leaves out or replaces by something else, a baseline that is really the proposed method "
        "(or the reverse), and a hyperparameter the method fixes that the code sets differently."
    ),
)
_DESIGN = ReviewClause(
    id="experimental-design",
    rule="L102",
    criterion="C7",
    title="The runs do not differ the way the experimental design says",
    asks=(
        "Check that each experiment run changes what the design says it changes and nothing else: the "
        "method, model or dataset named by its run config is the one the code uses; runs meant to be "
        "compared share data splits, budget and evaluation; the metric the code optimises and reports is "
        "the primary metric the study names, with the right direction."
    ),
)
_INTEGRITY = ReviewClause(
    id="result-integrity",
    rule="L103",
    criterion="C1",
    title="Reported results are not computed from the runs",
    asks=(
        "Look for numbers that are written rather than measured: metrics, confusion matrices or curves "
        "built from constants, random draws or other metrics; evaluation on the training data; test data "
        "used for model selection; a fallback that reports success when a run produced nothing."
    ),
)

REVIEW_CLAUSES: tuple[ReviewClause, ...] = (_METHOD, _DESIGN, _INTEGRITY)


def review_clauses(profile: Profile) -> tuple[ReviewClause, ...]:
    """The clauses asked of a submission under ``profile``: its own ``review`` list when it has one.

    Otherwise expcheck's three; a base code with placeholder datasets (``placeholder_data``) has no
    real data to evaluate yet, so its review leaves out the experimental-design clause, whose
    questions need real runs.
    """
    if profile.review:
        return tuple(profile.review)
    if profile.placeholder_data:
        return (_METHOD, _INTEGRITY)
    return REVIEW_CLAUSES
