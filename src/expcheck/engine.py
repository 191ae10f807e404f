"""Select rules, run them over the facts, and turn their hits into findings with evidence.

The engine is also where the evidence contract is enforced: a hit whose path is not in the
submission, or whose line is not in its file, is a bug in the rule and is reported as such. It fails
closed: a rule that raises becomes an X001 finding (the input is not ready), rules that found an
input lacking are named by an X002 finding, and the submission's own `# expcheck: ignore` comments
are honoured only when the user opts in (``honor_inline_ignores``).
"""

from __future__ import annotations

import gc
import io
import re
import tokenize
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from expcheck.coverage import crash_findings, not_applied_findings, unavailable_findings
from expcheck.errors import ToolUnavailable
from expcheck.facts import Facts
from expcheck.findings import Confidence, Finding, Severity
from expcheck.inputs import Loaded
from expcheck.profiles.clauses import clauses_off
from expcheck.rules.base import REGISTRY, Hit, Rule, all_rules
from expcheck.submission import SourceFile

_SUPPRESS = re.compile(r"#\s*expcheck:\s*ignore(?:\[(?P<ids>[A-Za-z0-9_,\s-]+)\])?")
MAX_EVIDENCE = 240


@dataclass
class Outcome:
    findings: list[Finding]
    # Rules that raised or broke the evidence contract: internal errors, never silently dropped.
    rule_errors: list[str] = field(default_factory=list)
    # The same, as (rule id or stage, what happened), for the X001 findings.
    crashes: list[tuple[str, str]] = field(default_factory=list)
    # Input found lacking -> ids of the rules that could not check everything without it.
    not_applied: dict[str, set[str]] = field(default_factory=dict)
    # Why a tool gave no answer (ToolUnavailable) -> ids of the rules that relied on it, for the X003 findings.
    unavailable: dict[str, set[str]] = field(default_factory=dict)

    def fail(self, who: str, problem: str) -> None:
        self.rule_errors.append(f"{who}: {problem}")
        self.crashes.append((who, problem))

    def tool_failed(self, who: str, problem: str) -> None:
        """A rule whose tool gave no answer: an error of the check (as ``fail``), reported once per cause."""
        self.rule_errors.append(f"{who}: {problem}")
        self.unavailable.setdefault(problem, set()).add(who)

    def coverage(self) -> list[Finding]:
        """The findings about the check itself: X001 per failure, X002 per lacking input, X003 per tool
        that gave no answer."""
        return [
            *crash_findings(self.crashes),
            *not_applied_findings(self.not_applied),
            *unavailable_findings(self.unavailable),
        ]


def _matching(selectors: Sequence[str]) -> Callable[[Rule], bool]:
    """``lambda rule: any(rule.matches(s) for s in selectors)``, with each selector's cases made once
    (``Rule.matches``: an id prefix in any case, or the rule's name)."""
    prefixes = tuple(s.upper() for s in selectors)
    names = frozenset(s.lower() for s in selectors)
    return lambda rule: rule.id.startswith(prefixes) or rule.name in names


def select_rules(select: Sequence[str] = (), ignore: Sequence[str] = (), off: Sequence[str] = ()) -> list[Rule]:
    selected = _matching(select)
    dropped = _matching((*ignore, *off))
    return [r for r in all_rules() if (not select or selected(r)) and not dropped(r)]


def _suppressed(text: str, rule: Rule) -> bool:
    """Whether the comment ``text`` is an inline ignore that names ``rule`` (or names no rule)."""
    match = _SUPPRESS.search(text)
    if match is None:
        return False
    ids = match.group("ids")
    if not ids:
        return True
    return any(rule.matches(part.strip()) for part in ids.split(",") if part.strip())


def python_comments(text: str) -> dict[int, str]:
    """Line -> the Python comment on it, from the tokenizer (text inside string literals is no comment)."""
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        pass  # the comments read before the tokenizer stopped still count
    return comments


class _InlineIgnores:
    """The user's opt-in to the submission's own suppression comments (real Python comments only)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._comments: dict[str, dict[int, str]] = {}

    def silences(self, file: SourceFile, line: int, rule: Rule) -> bool:
        if not self.enabled or file.origin != "code" or not file.path.endswith(".py"):
            return False
        if file.path not in self._comments:
            self._comments[file.path] = python_comments(file.text)
        comment = self._comments[file.path].get(line)
        return comment is not None and _suppressed(comment, rule)


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


def _end_known(hit: Hit) -> bool:
    return hit.line is not None and hit.end_line is not None and hit.end_line >= hit.line


def _to_finding(facts: Facts, rule: Rule, hit: Hit, ignores: _InlineIgnores) -> Finding | str:
    """The finding for ``hit``, "" when the user lets an inline comment silence it, or a message
    saying why the hit breaks the evidence contract."""
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
        if ignores.silences(file, hit.line, rule):
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
        severity=effective_severity(rule, facts.profile.severity_overrides()),
        path=hit.path,
        line=hit.line,
        column=hit.column,
        end_line=hit.end_line if _end_known(hit) else None,
        end_column=hit.end_column if _end_known(hit) else None,
        message=hit.message,
        evidence=evidence,
        fix=hit.fix or rule.fix,
        confidence=rule.confidence,
    )


def _mark_fixable(facts: Facts, rule: Rule, finding: Finding, errors: list[str]) -> Finding:
    """``finding`` marked fixable when its rule's repair yields an edit for it (see expcheck.fix)."""
    if rule.repair is None:
        return finding
    from expcheck.fix import repair_edits

    try:
        edits = repair_edits(facts, rule, finding)
    except Exception as exc:  # a broken repair leaves the finding unfixable, and says so
        errors.append(f"{rule.id} repair: {type(exc).__name__}: {exc}")
        return finding
    return finding.model_copy(update={"fixable": True}) if edits else finding


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


def run_rules(facts: Facts, rules: Sequence[Rule], honor_inline_ignores: bool = False) -> Outcome:
    """The rules' findings over ``facts``; failures and lacking inputs are kept in the outcome
    (``Outcome.coverage`` turns them into findings)."""
    outcome = Outcome(findings=[])
    ignores = _InlineIgnores(honor_inline_ignores)
    seen: set[tuple[str, str, int | None, int | None, str]] = set()
    for fact in dict.fromkeys(f for rule in rules for f in rule.needs):
        try:
            facts.derived(fact)  # the facts the rules declare, first one first: background work (ruff) starts now
        except Exception as exc:
            outcome.fail(f"fact {getattr(fact, '__name__', fact)}", f"{type(exc).__name__}: {exc}")
    for rule in rules:
        try:
            with facts.tracking() as lacking:
                hits = list(rule.check(facts))
        except ToolUnavailable as exc:  # a tool's silence is no pass either
            outcome.tool_failed(rule.id, str(exc))
            continue
        except Exception as exc:  # a broken rule must not hide the others' findings
            outcome.fail(rule.id, f"{type(exc).__name__}: {exc}")
            continue
        for what in lacking:
            outcome.not_applied.setdefault(what, set()).add(rule.id)
        for hit in hits:
            made = _to_finding(facts, rule, hit, ignores)
            if isinstance(made, str):
                if made:
                    outcome.fail(rule.id, made.removeprefix(f"{rule.id}: "))
                continue
            key = (made.rule, made.path, made.line, made.column, made.message)
            if key not in seen:
                seen.add(key)
                outcome.findings.append(_mark_fixable(facts, rule, made, outcome.rule_errors))
    outcome.findings.sort(key=Finding.sort_key)
    return outcome


# The rules in force per selection: (select, ignore, the profile's rules off, the clauses off, the registered
# rules' identities) -> (those rules, kept alive so that no identity in a key is reused, and the selection).
_SELECTIONS: dict[tuple[object, ...], tuple[tuple[Rule, ...], tuple[Rule, ...]]] = {}
_MAX_SELECTIONS = 64


def rules_in_force(loaded: Loaded, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[Rule]:
    """The selected rules the profile uses, minus those enforcing a clause the input's contract does not state.

    The answer depends only on the options, the contract and the registry, never on the submission, so it
    is worked out once per process for each of them (a batch's checks share one; the selection matched
    every rule against every selector at each check).
    """
    import expcheck.rules  # noqa: F401 - registers the rule modules, as all_rules does

    off = clauses_off(loaded.clauses)
    registered = tuple(REGISTRY.values())
    select, ignore = tuple(select), tuple(ignore)  # once: an iterator given for either is read only here
    key = (select, ignore, tuple(loaded.profile.rules_off), off, tuple(map(id, registered)))
    known = _SELECTIONS.get(key)
    if known is None:
        chosen = tuple(r for r in select_rules(select, ignore, loaded.profile.rules_off) if r.clause not in off)
        if len(_SELECTIONS) >= _MAX_SELECTIONS:
            _SELECTIONS.clear()
        known = _SELECTIONS[key] = (registered, chosen)
    return list(known[1])


def check_loaded(
    loaded: Loaded, select: Sequence[str] = (), ignore: Sequence[str] = (), honor_inline_ignores: bool = False
) -> Outcome:
    """Every selected rule over ``loaded``, the findings about the check itself included."""
    rules = rules_in_force(loaded, select, ignore)
    with _collector_paused():
        # The facts are dropped when run_rules returns, before the collector resumes: it never walks them.
        honor = honor_inline_ignores or loaded.profile.honor_inline_ignores
        outcome = run_rules(Facts(loaded.submission, loaded.profile), rules, honor)
    outcome.findings = sorted([*outcome.findings, *outcome.coverage()], key=Finding.sort_key)
    return outcome
