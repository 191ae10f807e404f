"""Classify each claim of a recorded verdict against the submission and expcheck's own findings.

- refuted: deterministically false — a syntax error claimed in a file that parses; a file claimed
  missing or empty that is present with content; run configs claimed missing that the trace
  supplies; relative imports said to need src/__init__.py under ``python -m src.main``;
- confirmed: one of expcheck's findings supports it (same file, same topic);
- unverified: neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from expcheck.audit.claims import Claim
from expcheck.facts import Facts
from expcheck.findings import Finding, Severity

Verdict = Literal["confirmed", "refuted", "unverified"]

_FILE = re.compile(r"(?:src/)?\b([A-Za-z_][\w-]*\.(?:py|toml|ya?ml))\b")
_SYNTAX = re.compile(
    r"syntax ?error|does not parse|non-?parsable|unparsable|invalid syntax|won't parse|cannot be parsed", re.I
)
_ABSENT = re.compile(r"\b(?:missing|empty|absent|not (?:provided|included|present)|is blank|are blank)\b", re.I)
_RUN_CONFIGS = re.compile(r"run[- ]?config|config/runs?/|config/runs?\b|\bruns?/\*?\{?run_id\}?\.yaml", re.I)
_INIT = re.compile(r"__init__\.py", re.I)
_RELATIVE = re.compile(r"relative import|from \.\w|import from \.|package", re.I)

# Words of a claim -> rule-id prefixes whose findings speak to the same topic.
_TOPICS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"empty|missing|not provided|absent", re.I), ("C103", "C501", "C703")),
    (re.compile(r"todo|placeholder|brevity|simplif|stub|not implemented|incomplete|pass\b", re.I), ("C1",)),
    (re.compile(r"pyproject|dependenc|requirement|install|poetry|package", re.I), ("R2", "R5")),
    (re.compile(r"syntax|parse", re.I), ("R101", "R102")),
    (re.compile(r"hydra|config_path|override|compose|struct|cfg\.", re.I), ("C2", "C7")),
    (re.compile(r"wandb|w&b|weights ?& ?biases", re.I), ("C6",)),
    (re.compile(r"evaluat|figure|aggregated|metrics\.json|run_ids", re.I), ("C8",)),
    (re.compile(r"trial|mode|epoch|n_trials", re.I), ("C9",)),
    (re.compile(r"dataset|data ?load|cache", re.I), ("C3",)),
    (re.compile(r"model|method|baseline|fabricat", re.I), ("C4",)),
    (re.compile(r"import|undefined|name ?error|attribute|signature|argument", re.I), ("R3", "R4", "R5")),
    (re.compile(r"extra file|additional file|__init__", re.I), ("C502",)),
)


@dataclass(frozen=True)
class Judgement:
    claim: Claim
    verdict: Verdict
    reason: str
    evidence: str = ""
    supporting: tuple[str, ...] = ()  # rule ids of the findings that confirm it


def _files_named(facts: Facts, text: str) -> list[str]:
    names = {m.group(1) for m in _FILE.finditer(text)}
    out = []
    for path in facts.files:
        base = path.rsplit("/", 1)[-1]
        if base in names or path in text:
            out.append(path)
    return sorted(set(out))


_ABSENT_AFTER = (
    r"`?\s+(?:file\s+)?(?:is|are|was|seems|appears)?\s*(?:still\s+|completely\s+|entirely\s+|effectively\s+)?"
    r"(?:(?:missing|absent|not (?:provided|included|present)|omitted)(?=\s*(?:$|[.,;:)!–—-]|\s(?:from|in|entirely|completely|altogether)\b))"
    r"|empty|blank)"
)
_ABSENT_BEFORE = r"(?:missing|empty|absent|no)\s+(?:required\s+)?(?:files?\s*:?\s*)?`?"


def _said_absent(text: str, path: str) -> bool:
    """Whether ``text`` says the file itself is missing or empty ("train.py is empty", "missing
    src/model.py"), not that something inside it is ("train.py is missing checkpoint saving")."""
    base = re.escape(path.rsplit("/", 1)[-1])
    name = rf"(?<![\w/.])(?:[\w./-]*/)?{base}\b"
    ends = r"`?(?=\s*(?:$|[.,;:)!–—-]|(?:and|or|file|is|are|was)\b))"
    return bool(re.search(name + _ABSENT_AFTER, text, re.I) or re.search(_ABSENT_BEFORE + name + ends, text, re.I))


def refute(facts: Facts, text: str, where: str | None = None) -> tuple[str, str] | None:
    """(reason, evidence) when the code itself refutes ``text``, else None.

    ``where`` is the file a located claim (an LLM review claim) points at: when the text names no
    file itself, a claimed syntax error is checked against that file. It is not used for the
    absence checks: a located claim that something is "missing" speaks of code inside the file.
    """
    return _refute(facts, Claim(0, text), where)


def _refute(facts: Facts, claim: Claim, where: str | None = None) -> tuple[str, str] | None:
    text = claim.text
    named = _files_named(facts, text)
    if _SYNTAX.search(text):
        about = named or ([where] if where is not None and where in facts.files else [])
        parses = [
            p for p in about if p in facts.python and facts.python[p].syntax is None and not facts.files[p].is_blank
        ]
        broken = [p for p in about if p in facts.python and facts.python[p].syntax is not None]
        if parses and not broken:
            path = parses[0]
            lines = len(facts.files[path].lines)
            return (f"{path} parses: Python's own parser accepts all {lines} lines", f"ast.parse({path}) succeeded")
    if _INIT.search(text) and _RELATIVE.search(text) and "src/__init__.py" not in facts.files:
        return (
            "relative imports inside src/ work without src/__init__.py when run as `python -m src.main` "
            "(src is then a namespace package)",
            "PEP 420 namespace package",
        )
    if _RUN_CONFIGS.search(text) and _ABSENT.search(text):
        supplied = [r.run_id for r in facts.submission.context.runs if r.config_text]
        if supplied:
            return (
                f"the trace supplies run configs for {len(supplied)} run(s) ({', '.join(supplied[:3])})",
                "run configs in the Experiment Runs section",
            )
    said_absent = [p for p in named if _said_absent(text, p)]
    if said_absent:
        present = [p for p in said_absent if p in facts.files and not facts.files[p].is_blank]
        absent = [p for p in said_absent if p not in facts.files or facts.files[p].is_blank]
        if present and not absent and not _SYNTAX.search(text):
            path = present[0]
            return (
                f"{path} is present with {len(facts.files[path].lines)} lines",
                facts.files[path].line(1).strip()[:120],
            )
    return None


def _confirming(facts: Facts, claim: Claim, findings: list[Finding]) -> list[Finding]:
    named = set(_files_named(facts, claim.text))
    prefixes = {p for pattern, ps in _TOPICS if pattern.search(claim.text) for p in ps}
    out = []
    for f in findings:
        if not any(f.rule.startswith(p) for p in prefixes):
            continue
        if named and f.path not in named:
            continue
        out.append(f)
    return out


def judge(facts: Facts, claims: list[Claim], findings: list[Finding]) -> list[Judgement]:
    out = []
    for claim in claims:
        refuted = _refute(facts, claim)
        if refuted is not None:
            out.append(Judgement(claim, "refuted", refuted[0], refuted[1]))
            continue
        support = _confirming(facts, claim, findings)
        if support:
            first = support[0]
            out.append(
                Judgement(
                    claim,
                    "confirmed",
                    f"{len(support)} finding(s) agree, e.g. {first.location()} [{first.rule}] {first.message}",
                    first.evidence,
                    tuple(sorted({f.rule for f in support})),
                )
            )
        else:
            out.append(Judgement(claim, "unverified", "no finding of expcheck speaks to it, and nothing refutes it"))
    return out


def missed(judgements: list[Judgement], findings: list[Finding], facts: Facts) -> list[Finding]:
    """Our error findings that no claim of the recorded verdict covers."""
    covered_files: set[str] = set()
    covered_rules: set[str] = set()
    for j in judgements:
        covered_files.update(_files_named(facts, j.claim.text))
        covered_rules.update(j.supporting)
    out = []
    for f in findings:
        if f.severity is not Severity.ERROR or f.rule in covered_rules:
            continue
        out.append(f)
    return out
