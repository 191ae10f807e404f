"""The verdict the pipeline consumes, derived from the findings alone.

``code_issue`` is written for the code generator that receives it:

- only blocking findings (``blocks``) appear, ordered by cause (install, import, configuration,
  runtime, contract; see expcheck/causes.py), so the first line is what stops everything else;
- findings of one rule with one fix are one item listing their places, the message written once
  with only the part that differs given per place;
- each item carries its fix: the concrete edit when the rule computed one for this submission;
- the text stays under a budget (default 4,000 characters); what does not fit is counted in a last
  line that points at the full report, which keeps every finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from expcheck.causes import CAUSES, cause_of, cause_rank
from expcheck.findings import Finding
from expcheck.model import Model, field

DEFAULT_ISSUE_BUDGET = 4000
# Room kept for the closing "and N more" line.
_TAIL_ROOM = 160
# A shared message part shorter than this is no template: places are then listed with their messages.
_MIN_TEMPLATE = 16
# Ends an item `expcheck fix` repairs entirely, so a pipeline can run fix first and send the rest on.
FIXABLE_MARK = " [fixable: expcheck fix]"


@dataclass(kw_only=True)
class Verdict(Model):
    """The pipeline's answer, with its field names: AIRAS parses exactly these two keys."""

    is_code_ready: bool = field(description="true when no blocking finding remains")
    code_issue: str = field(description="what the code generator must fix; empty when ready")


def blocks(finding: Finding) -> bool:
    """Whether ``finding`` blocks readiness (an error that is not heuristic: Finding.blocking)."""
    return finding.blocking


def _common_prefix(texts: Sequence[str]) -> str:
    """The words every text starts with (ending at a space, so no word is cut)."""
    first, last = min(texts), max(texts)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    if n == len(first) == len(last):
        return first
    return first[: first.rfind(" ", 0, n) + 1]


def _common_suffix(texts: Sequence[str], prefix_len: int) -> str:
    """The words every text ends with, after the common prefix."""
    return _common_prefix([t[prefix_len:][::-1] for t in texts])[::-1]


def _balanced(text: str) -> bool:
    return all(text.count(quote) % 2 == 0 for quote in "'`\"")


def _template(messages: Sequence[str]) -> tuple[str, str]:
    """The common start and end of ``messages``, whole words, never cutting a quoted name in two."""
    prefix = _common_prefix(messages)
    while prefix and not _balanced(prefix):
        prefix = prefix[: prefix.rstrip().rfind(" ") + 1]
    suffix = _common_suffix(messages, len(prefix))
    while suffix and not _balanced(suffix):
        cut = suffix.find(" ", 1)
        suffix = suffix[cut:] if cut > 0 else ""
    return prefix, suffix


def _lines_by_file(findings: Sequence[Finding]) -> str:
    """``a.py line 3 and b.py lines 4, 9`` — the places of ``findings``, each file named once."""
    by_path: dict[str, list[str]] = {}
    for f in findings:
        lines = by_path.setdefault(f.location() if f.line is None else f.path, [])
        if f.line is not None and str(f.line) not in lines:
            lines.append(str(f.line))
    parts = []
    for path, lines in by_path.items():
        parts.append(path if not lines else f"{path} line{'s' if len(lines) > 1 else ''} {', '.join(lines)}")
    return " and ".join(parts)


def _fix(finding: Finding) -> str:
    return f" Fix: {finding.fix}" if finding.fix else ""


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _joined(parts: Sequence[tuple[str, int]], limit: int) -> str:
    """``parts`` (text, findings it covers) joined by "; ", cut at ``limit`` characters with a count of the rest."""
    out: list[str] = []
    size = 0
    for i, (text, _) in enumerate(parts):
        if out and size + len(text) + 2 > limit:
            rest = sum(count for _, count in parts[i:])
            return "; ".join(out) + f"; and {rest} more place{'s' if rest != 1 else ''} (see the full report)"
        out.append(text)
        size += len(text) + 2
    return "; ".join(out)


def issue_item(group: Sequence[Finding], limit: int = DEFAULT_ISSUE_BUDGET) -> str:
    """One line for findings that share a rule and a fix: the message once, then what differs and where.

    The list of places is cut near ``limit`` characters (the rest counted); the full report keeps them.
    """
    first = group[0]
    if len(group) == 1:
        return f"- {first.location()} [{first.rule}] {_sentence(first.message)}{_fix(first)}"
    by_message: dict[str, list[Finding]] = {}
    for f in group:
        by_message.setdefault(f.message, []).append(f)
    count = f"{len(group)} places"
    if len(by_message) == 1:
        return f"- [{first.rule}] {_sentence(first.message)} {count}: {_lines_by_file(group)}.{_fix(first)}"
    messages = list(by_message)
    prefix, suffix = _template(messages)
    if len(prefix) + len(suffix) >= _MIN_TEMPLATE:
        by_variant: dict[str, list[Finding]] = {}
        for f in group:
            variant = f.message[len(prefix) : len(f.message) - len(suffix)].strip().strip(";,:").strip()
            by_variant.setdefault(variant, []).append(f)
        head = f"- [{first.rule}] {_sentence(f'{prefix}…{suffix}')} {count}: "
        parts = [
            (
                _lines_by_file(where)
                if {f.path for f in where} == {variant}
                else f"{variant} at {_lines_by_file(where)}",
                len(where),
            )
            for variant, where in by_variant.items()
        ]
    else:
        head = f"- [{first.rule}] {count}: "
        parts = [(f"{message} at {_lines_by_file(where)}", len(where)) for message, where in by_message.items()]
    return head + _sentence(_joined(parts, max(limit - len(head) - len(_fix(first)), 200))) + _fix(first)


def _grouped(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Blocking findings grouped by (rule, fix), groups in cause order, then in report order."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in sorted(findings, key=Finding.sort_key):
        groups.setdefault((finding.rule, finding.fix), []).append(finding)
    return sorted(groups.values(), key=lambda g: (cause_rank(g[0].rule), g[0].sort_key()))


def make_verdict(findings: Sequence[Finding], budget: int = DEFAULT_ISSUE_BUDGET) -> Verdict:
    """Ready when nothing blocks; otherwise ``code_issue`` as described above, within ``budget`` characters."""
    blocking = [f for f in findings if blocks(f)]
    if not blocking:
        return Verdict(is_code_ready=True, code_issue="")
    groups = _grouped(blocking)
    lines: list[str] = []
    size = 0
    cause = None
    shown = 0
    item_limit = max(budget // 3, 600)
    for group in groups:
        item = issue_item(group, item_limit) + (FIXABLE_MARK if all(f.fixable for f in group) else "")
        heading = CAUSES[cause_of(group[0].rule)] + ":"
        added = ([heading] if heading != cause else []) + [item]
        cost = sum(len(line) + 1 for line in added)
        room = budget - _TAIL_ROOM if shown < len(groups) - 1 else budget
        if size + cost > room:
            if shown == 0:  # the first item alone is too long: cut it, never return nothing
                keep = max(room - size - len(heading) - 2, 40)
                lines.extend([heading, item[: keep - 1] + "…"] if heading != cause else [item[: keep - 1] + "…"])
                shown = 1
            break
        lines.extend(added)
        size += cost
        cause = heading
        shown += 1
    hidden = groups[shown:]
    if hidden:
        count = sum(len(g) for g in hidden)
        lines.append(
            f"… and {len(hidden)} more issue{'s' if len(hidden) != 1 else ''} ({count} finding{'s' if count != 1 else ''}) "
            "not shown here: the full report (expcheck check --format json) lists every finding."
        )
    return Verdict(is_code_ready=False, code_issue="\n".join(lines))
