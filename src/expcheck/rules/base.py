"""The rule model: a pure function of facts, with its documentation and examples attached.

Every rule carries a stable id, the criterion it serves, a severity, a title, why it matters, how to
fix it, and bad/good examples. One generic test runs every example: a rule is not done until its
bad examples make it fire and its good examples keep it silent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from expcheck.facts import Facts
from expcheck.findings import Confidence, Finding, Severity

if TYPE_CHECKING:
    from expcheck.repairs import Edit


@dataclass(frozen=True)
class Example:
    """A tiny submission: files by repository path, the contract it is judged by, optional runs."""

    files: Mapping[str, str]
    profile: str = "airas-v2"
    # Experiment runs of the research context: (run_id, run-config YAML) pairs.
    runs: tuple[tuple[str, str], ...] = ()
    note: str = ""
    # Trial examples (T rules) are run in the sandbox: "python" with the test's own interpreter,
    # "uv" with an environment uv builds from the example's pyproject.toml; "" for a static example.
    trial: str = ""
    # For a bad example of a rule with a repair: the text of every file `expcheck fix` changes, after
    # the repair (None: the repair must leave this example alone, its fix hint stays written).
    repaired: Mapping[str, str] | None = None
    # Where the findings of a bad example must appear, beside the ``# expect: RULE`` comments on the
    # lines of its files: (path, line) for each finding, line None for a finding about a whole file.
    # An example with neither only has to fire; one with any must produce exactly these.
    expect: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class Hit:
    """What a rule reports; the engine adds rule, criterion, severity and evidence."""

    path: str
    line: int | None
    message: str
    column: int | None = None
    evidence: str | None = None
    fix: str | None = None
    # Where the flagged text ends (1-based, end column exclusive), when the rule knows it.
    end_line: int | None = None
    end_column: int | None = None


Check = Callable[[Facts], Iterable[Hit]]
# A repair: a pure function of the facts and one of the rule's findings, returning the text edits that
# remove it (none when the repair is not certainly right for this finding). See expcheck.repairs.
Repair = Callable[[Facts, Finding], "Sequence[Edit]"]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    criterion: str
    severity: Severity
    title: str
    why: str
    fix: str
    check: Check
    # What the rule rests on, and what it can get wrong.
    confidence: Confidence
    known_limits: str
    # The contract clause the rule enforces (a clause id of the profile), or None for a rule every
    # contract implies (Python, Hydra, uv).
    clause: str | None = None
    bad: tuple[Example, ...] = field(default_factory=tuple)
    good: tuple[Example, ...] = field(default_factory=tuple)
    # Facts the rule reads that the engine derives before any rule runs, so that one doing its work
    # in the background (ruff) starts early; a rule may read other facts too, lazily.
    needs: tuple[Callable[[Facts], object], ...] = ()
    # The rule's deterministic repair, when it has one (`expcheck fix`).
    repair: Repair | None = None

    def matches(self, selector: str) -> bool:
        """A selector is a rule id prefix (``C1``, ``R20``, ``R201``) or the rule's name."""
        return self.id.startswith(selector.upper()) or selector.lower() == self.name


REGISTRY: dict[str, Rule] = {}


def rule(
    *,
    id: str,
    name: str,
    criterion: str,
    severity: Severity | str,
    title: str,
    why: str,
    fix: str,
    bad: Iterable[Example],
    good: Iterable[Example],
    confidence: Confidence | str,
    known_limits: str,
    clause: str | None = None,
    needs: Iterable[Callable[[Facts], object]] = (),
    repair: Repair | None = None,
) -> Callable[[Check], Check]:
    """Register ``check`` as a rule; refuses a rule without a bad and a good example."""

    def register(check: Check) -> Check:
        bad_t, good_t = tuple(bad), tuple(good)
        if not bad_t or not good_t:
            raise ValueError(f"rule {id} needs at least one bad and one good example")
        if Confidence(confidence) is Confidence.HEURISTIC and Severity(severity) is Severity.ERROR:
            raise ValueError(f"rule {id} is heuristic: it advises (warning), it cannot block (error)")
        if not known_limits.strip():
            raise ValueError(f"rule {id} needs a known_limits line: what it can get wrong")
        if id in REGISTRY:
            raise ValueError(f"rule id {id} registered twice")
        REGISTRY[id] = Rule(
            id=id,
            name=name,
            criterion=criterion,
            severity=Severity(severity),
            title=title,
            why=" ".join(why.split()),
            fix=" ".join(fix.split()),
            check=check,
            confidence=Confidence(confidence),
            known_limits=" ".join(known_limits.split()),
            clause=clause,
            bad=bad_t,
            good=good_t,
            needs=tuple(needs),
            repair=repair,
        )
        return check

    return register


def all_rules() -> list[Rule]:
    import expcheck.rules  # noqa: F401 - registers the rule modules

    return sorted(REGISTRY.values(), key=lambda r: r.id)
