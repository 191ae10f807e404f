"""`expcheck fix`: apply the deterministic repairs of the rules, then judge what remains.

The fixer runs the rules that have a repair, collects the edits their repairs propose for each
finding, applies the ones that do not overlap, and repeats on the repaired text until nothing more is
proposed (a repair may enable another: R202 writes [project], after which nothing else is needed; a
second round also proves idempotence). It never edits a file the finding does not name, nor a file
the submission did not bring as code (run configs supplied by the research context). The repaired
submission is then judged by every selected rule, and the result carries the edits, the repaired
texts and both reports.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from expcheck.engine import rules_in_force, run_rules
from expcheck.errors import InputError
from expcheck.facts import Facts
from expcheck.findings import Finding
from expcheck.inputs import Loaded, load, load_files
from expcheck.repairs import Edit, apply_to_files, named_paths
from expcheck.report.schema import Report
from expcheck.rules.base import REGISTRY, Rule

# A round repairs what the findings of the moment name (R407 names three YAML lines per finding).
MAX_ROUNDS = 20


@dataclass(frozen=True)
class Repair:
    """One applied edit: the rule whose finding it repairs, where, and the text replaced."""

    rule: str
    path: str
    line: int  # where the edit starts, in the text it was applied to
    old: str
    new: str


@dataclass
class FixResult:
    source: str
    kind: str
    profile: str
    # Texts before the fix of every file the fix changed, and after.
    original: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    repairs: list[Repair] = field(default_factory=list)
    before: Report | None = None
    after: Report | None = None
    error: str | None = None

    @property
    def changed(self) -> list[str]:
        return sorted(p for p in self.files if self.files[p] != self.original.get(p))

    @property
    def fixed_rules(self) -> list[str]:
        return sorted({r.rule for r in self.repairs})

    def diff(self) -> str:
        """A unified diff (``a/``, ``b/`` prefixes, as git writes it) of every changed file."""
        out: list[str] = []
        for path in self.changed:
            for line in difflib.unified_diff(
                self.original[path].splitlines(keepends=True),
                self.files[path].splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            ):
                # A last line without a newline is marked as git marks it, so the diff applies with patch.
                out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(out)


def repair_edits(facts: Facts, rule: Rule, finding: Finding) -> list[Edit]:
    """The edits ``rule``'s repair proposes for ``finding``, limited to files the finding names.

    Edits on other files, on files the research context supplied, or outside a file's text are
    dropped: a repair never touches what its finding does not point at.
    """
    if rule.repair is None:
        return []
    allowed = named_paths(finding, facts.files)
    edits = []
    for edit in rule.repair(facts, finding):
        file = facts.files.get(edit.path)
        if edit.path not in allowed or file is None or file.origin != "code" or file.unreadable is not None:
            continue
        if not 0 <= edit.start <= edit.end <= len(file.text):
            continue
        edits.append(edit)
    return edits


def _with_texts(loaded: Loaded, texts: dict[str, str]) -> Loaded:
    sub = loaded.submission
    files = dict(sub.files)
    for path, text in texts.items():
        files[path] = replace(sub.files[path], text=text)
    return replace(loaded, submission=replace(sub, files=files))  # profile, choice and clauses kept


def _report(loaded: Loaded, source: str, select: Sequence[str], ignore: Sequence[str], options: Any) -> Report:
    from expcheck.api import report_for

    return report_for(loaded, source, select, ignore, **options)


def fix_loaded(
    loaded: Loaded, source: str, select: Sequence[str] = (), ignore: Sequence[str] = (), **report_options: Any
) -> FixResult:
    """Repair ``loaded`` and judge the result; ``loaded`` itself is not changed.

    ``report_options`` (honor_inline_ignores, issue_budget) are those of ``api.report_for``: a finding
    an honoured inline ignore silences is neither reported nor repaired.
    """
    result = FixResult(source=source, kind=loaded.submission.kind, profile=loaded.profile.name)
    result.before = _report(loaded, source, select, ignore, report_options)
    rules = [r for r in rules_in_force(loaded, select, ignore) if r.repair is not None]
    honor = bool(report_options.get("honor_inline_ignores")) or loaded.profile.honor_inline_ignores
    current = loaded
    # Nothing fixable in the first check: no round to run (a repair only ever follows a fixable finding).
    for _ in range(MAX_ROUNDS if any(f.fixable for f in result.before.findings) else 0):
        facts = Facts(current.submission, current.profile)
        proposed: list[tuple[str, Edit]] = []
        for finding in run_rules(facts, rules, honor).findings:
            if finding.fixable:
                proposed.extend((finding.rule, e) for e in repair_edits(facts, REGISTRY[finding.rule], finding))
        if not proposed:
            break
        texts = {p: f.text for p, f in current.submission.files.items()}
        changed, applied = apply_to_files(texts, [e for _, e in proposed])
        if not changed:
            break
        owner = {edit: rule for rule, edit in reversed(proposed)}
        for edit in applied:
            text = texts[edit.path]
            result.repairs.append(
                Repair(owner[edit], edit.path, edit.line(text), text[edit.start : edit.end], edit.new)
            )
        for path in changed:
            result.original.setdefault(path, texts[path])
        current = _with_texts(current, changed)
    result.files = {p: current.submission.files[p].text for p in result.original}
    result.after = _report(current, source, select, ignore, report_options) if result.changed else result.before
    return result


def fix(
    source: str,
    *,
    profile: str | None = None,
    context: str | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    **report_options: Any,
) -> FixResult:
    """Repair one repository directory, bundle JSON or review trace (nothing is written).

    Unreadable input does not raise: the result carries ``error``.
    """
    try:
        loaded = load(source, profile=profile, context=context)
    except InputError as exc:
        return FixResult(source=source, kind="", profile="", error=str(exc))
    return fix_loaded(loaded, source, select, ignore, **report_options)


def fix_files(
    files: dict[str, str], *, profile: str = "airas-v2", select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> FixResult:
    """Repair in-memory files (repository path or bundle key -> text) under ``profile``."""
    return fix_loaded(load_files(files, profile), "<memory>", select, ignore)


def write_directory(result: FixResult, root: str) -> list[str]:
    """Write the repaired files into the repository at ``root``; the paths written.

    A file is written only when its text on disk is still the text that was repaired (line endings
    aside: a file read with CRLF is written back with CRLF). Raises InputError otherwise.
    """
    base = Path(root)
    plans: list[tuple[Path, str]] = []
    for path in result.changed:
        target = base / path
        if target.is_symlink() or not target.resolve().is_relative_to(base.resolve()):
            raise InputError(f"{target}: a symbolic link or outside the repository; nothing written")
        try:
            data = target.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{target}: cannot be rewritten: {exc}") from None
        if data.replace("\r\n", "\n") != result.original[path]:
            raise InputError(f"{target}: changed on disk since it was read; nothing written")
        text = result.files[path]
        plans.append((target, text.replace("\n", "\r\n") if "\r\n" in data else text))
    for target, text in plans:
        target.write_bytes(text.encode("utf-8"))
    return [str(t) for t, _ in plans]


def repaired_bundle(result: FixResult, source: str) -> dict[str, object]:
    """The repaired code bundle: the input's JSON object (a bundle) or the trace's bundle, values replaced."""
    from expcheck.inputs.bundle import key_to_path, parse_bundle_text
    from expcheck.inputs.limits import read_text_file
    from expcheck.paths import normalise

    text = read_text_file(Path(source), "bundle or trace")
    if result.kind == "bundle":
        obj: dict[str, object] = parse_bundle_text(text, source)
    else:
        from expcheck.inputs.trace import bundle_object

        obj = bundle_object(text, source)
    for key in list(obj):
        path = key_to_path(str(key))
        if path is None or not isinstance(obj[key], str):
            continue
        path = normalise(path)
        if path in result.files:
            obj[key] = result.files[path]
    return obj


def bundle_json(obj: dict[str, object]) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


__all__ = ["FixResult", "Repair", "fix", "fix_files", "fix_loaded", "repair_edits"]
