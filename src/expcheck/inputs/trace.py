"""Saved review traces: ``LLM Name:`` (optional), ``Input:`` with the review prompt, ``Output:`` with the verdict.

The prompt carries the contract (its instructions), the research context, the experiment runs with
their run-config YAML, and the code bundle as one JSON object, which is decoded with a JSON parser
(so ``\\u003e`` is ``>``). Every part but the code bundle is optional.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from expcheck.errors import InputError
from expcheck.inputs.bundle import decode_json, files_from_bundle, is_code_bundle, printable
from expcheck.submission import RecordedVerdict, ResearchContext, RunSpec, Submission

_HEADING = re.compile(r"^# (?P<title>[^\n#][^\n]*?)\s*$", re.M)
_SECTION_TITLES = {
    "Instructions": "instructions",
    "Hypothesis": "hypothesis",
    "Current Research Method": "method",
    "Experimental Design": "design",
    "Experiment Runs": "runs",
    "Base Code (Reference Foundation)": "base",
    "Current Experiment (To be validated)": "experiment",
}
_LLM_NAME = re.compile(r"\A\s*LLM Name:[ \t]*(?P<name>[^\n]*)\n")
_INPUT = re.compile(r"^Input:[ \t]*$", re.M)
_OUTPUT = re.compile(r"^Output:[ \t]*$", re.M)
_RUN_START = re.compile(r"^[ \t]*- Run ID:[ \t]*(?P<id>[^\n]*)$", re.M)
_FIELD = re.compile(r"^[ \t]*(?P<key>Method|Model|Dataset):[ \t]*(?P<value>[^\n]*)$", re.M)
_FENCE_OPEN = re.compile(r"^[ \t]*```[ \t]*(?:ya?ml)?[ \t]*$", re.M)
_FENCE_CLOSE = re.compile(r"^[ \t]*```[ \t]*$", re.M)
_PRIMARY_METRIC = re.compile(r"""primary_metric=(?P<q>['"])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)""", re.S)
_MAX_BUNDLE_CANDIDATES = 256
_VARIATIONS = re.compile(r"^[ \t]*- Run Variations:[ \t]*(?P<list>\[[^\n]*\])[ \t]*$", re.M)


def looks_like_trace(text: str) -> bool:
    head = text[:4096]
    return bool(_INPUT.search(head) or _LLM_NAME.match(head)) or "\n# Instructions" in text[:65536]


def _section_kind(title: str) -> str | None:
    if title in _SECTION_TITLES:
        return _SECTION_TITLES[title]
    lowered = title.lower()
    if "code" in lowered and "reference" not in lowered and ("validated" in lowered or "code files" in lowered):
        return "code"
    return None


@dataclass
class _Sections:
    prompt: str
    parts: dict[str, str]
    output: str | None


def _line_matches(pattern: re.Pattern[str], text: str, literal: str) -> list[re.Match[str]]:
    """``list(pattern.finditer(text))`` for a multi-line ``pattern`` that starts with ``^`` and ``literal``.

    Only lines that begin with ``literal`` are tried, found by plain string search: much faster than
    the regex engine trying every position of a long trace.
    """
    found: list[re.Match[str]] = []
    # The line starts, by a search for the literal after a newline (the regex engine finds a literal
    # quicker than str.find in text that is not ASCII, and far quicker than trying every position).
    starts = [m.start() + 1 for m in re.finditer("\n" + re.escape(literal), text)]
    if text.startswith(literal):
        starts.insert(0, 0)
    for start in starts:
        if not found or start >= found[-1].end():
            match = pattern.match(text, start)
            if match is not None:
                found.append(match)
    return found


def _last_line_match(pattern: re.Pattern[str], text: str, literal: str) -> re.Match[str] | None:
    """The last match of ``_line_matches(pattern, text, literal)`` for a ``pattern`` that never spans a
    line end (so no two of its matches overlap), looked for from the end of ``text``."""
    stop = len(text)
    while True:
        hit = text.rfind("\n" + literal, 0, stop)
        start = hit + 1 if hit >= 0 else (0 if text.startswith(literal) else -1)
        if start < 0:
            return None
        match = pattern.match(text, start)
        if match is not None or start == 0:
            return match
        stop = hit + len(literal)  # the next candidate ends before this one's newline


def _indented_line_matches(pattern: re.Pattern[str], text: str, literal: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a multi-line ``pattern`` that starts with ``^[ \\t]*`` and ``literal`` and
    never spans a line end.

    Only lines that hold ``literal`` after their indentation are tried, found by plain string search: the
    regex engine would try every position of the text (a trace's code section is tens of thousands of
    characters).
    """
    at = text.find(literal)
    while at >= 0:
        line_start = text.rfind("\n", 0, at) + 1
        if not text[line_start:at].strip(" \t"):  # (a later occurrence on a line has text before it)
            match = pattern.match(text, line_start)
            if match is not None:
                yield match
        at = text.find(literal, at + 1)


def _split(text: str) -> _Sections:
    out_match = _last_line_match(_OUTPUT, text, "Output:")
    input_match = _INPUT.search(text)
    start = input_match.end() if input_match else 0
    end = out_match.start() if out_match else len(text)
    if out_match and out_match.start() < start:
        end = len(text)
        out_match = None
    prompt = text[start:end]
    heads = [(m.start(), m.end(), _section_kind(m.group("title"))) for m in _line_matches(_HEADING, prompt, "# ")]
    known = [(s, e, kind) for s, e, kind in heads if kind is not None]
    parts: dict[str, str] = {}
    for i, (_, head_end, kind) in enumerate(known):
        stop = known[i + 1][0] if i + 1 < len(known) else len(prompt)
        assert kind is not None
        # Keep the first occurrence of a section; traces sometimes repeat a heading inside quoted text.
        parts.setdefault(kind, prompt[head_end:stop])
    if "instructions" not in parts:
        first = known[0][0] if known else len(prompt)
        parts["instructions"] = prompt[:first]
    return _Sections(prompt=prompt, parts=parts, output=text[out_match.end() :] if out_match else None)


def _decode_first_object(text: str, name: str, start: int = 0) -> Any:
    """The JSON object that opens at the first brace at or after ``start``; None when it is not JSON."""
    brace = text.find("{", start)
    if brace < 0:
        return None
    try:
        obj, _ = decode_json(text, name, brace)
    except json.JSONDecodeError:
        return None
    return obj


def _find_bundle(sections: _Sections, name: str) -> dict[str, Any]:
    code = sections.parts.get("code")
    if code is not None:
        brace = code.find("{")
        if brace < 0:
            raise InputError(f"{name}: the trace's code section holds no JSON object")
        try:
            obj, _ = decode_json(code, name, brace)
        except json.JSONDecodeError as exc:
            line = sections.prompt[: sections.prompt.find(code)].count("\n") + exc.lineno
            raise InputError(
                f"{name}: the code bundle is not valid JSON ({exc.msg}, near prompt line {line})"
            ) from None
        if not is_code_bundle(obj):
            raise InputError(f"{name}: the trace's code section is JSON but not a code bundle")
        return obj
    # No known heading: take the last line that opens a JSON object holding file keys. Candidates are
    # tried from the end, and only so many: each failed decode costs json a count of the lines before it.
    found: dict[str, Any] | None = None
    starts = [m.start() for m in re.finditer(r"^\{", sections.prompt, re.M)]
    for start in reversed(starts[-_MAX_BUNDLE_CANDIDATES:]):
        obj = _decode_first_object(sections.prompt, name, start)
        if is_code_bundle(obj):
            found = obj
            break
    if found is None:
        raise InputError(
            f"{name}: a review trace, but it has no code bundle (no JSON object with train_py, main_py, ...)"
        )
    return found


def _dedent_yaml(block: str) -> str:
    """The YAML of a fenced block; the prompt template indents its first line only, or every line alike."""
    lines = block.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return ""
    body = [len(line) - len(line.lstrip(" ")) for line in lines[1:] if line.strip()]
    base = min(body) if body else 0
    # A YAML document's first line is top level, so it loses all of its indent.
    return "\n".join([lines[0].lstrip(" "), *(line[base:] for line in lines[1:])]) + "\n"


def _runs(section: str) -> tuple[RunSpec, ...]:
    starts = list(_indented_line_matches(_RUN_START, section, "- Run ID:"))
    runs: list[RunSpec] = []
    for i, match in enumerate(starts):
        block = section[match.end() : starts[i + 1].start() if i + 1 < len(starts) else len(section)]
        fields = {m.group("key"): m.group("value").strip() or None for m in _FIELD.finditer(block)}
        config: str | None = None
        opened = _FENCE_OPEN.search(block)
        if opened:
            closed = _FENCE_CLOSE.search(block, opened.end())
            config = _dedent_yaml(block[opened.end() : closed.start() if closed else len(block)])
        runs.append(
            RunSpec(
                run_id=match.group("id").strip(),
                method=fields.get("Method"),
                model=fields.get("Model"),
                dataset=fields.get("Dataset"),
                config_text=config,
            )
        )
    return tuple(runs)


def _primary_metric(*texts: str | None) -> str | None:
    for text in texts:
        if not text:
            continue
        match = _PRIMARY_METRIC.search(text)
        if match:
            try:
                return str(ast.literal_eval(match.group("q") + match.group("value") + match.group("q")))
            except (ValueError, SyntaxError):
                return match.group("value")
    return None


def _variations(section: str | None) -> tuple[str, ...]:
    if not section:
        return ()
    match = next(_indented_line_matches(_VARIATIONS, section, "- Run Variations:"), None)
    if not match:
        return ()
    # A list literal Python cannot read or write back (a dict keyed by a list: TypeError; nesting past the
    # parser's limits: RecursionError, MemoryError; an int past the decimal conversion limit: ValueError
    # from str) names no variation that can be known.
    try:
        value = ast.literal_eval(match.group("list"))
        return tuple(str(v) for v in value) if isinstance(value, list) else ()
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        return ()


def _recorded(output: str | None, reviewer: str | None, name: str) -> RecordedVerdict | None:
    if output is None:
        return None
    text = output.strip()
    if text.startswith("```"):
        text = re.sub(r"\A```[a-zA-Z]*\n|\n?```\s*\Z", "", text)
    obj = _decode_first_object(text, name)
    if not isinstance(obj, dict):
        return None
    ready_key = next((k for k in obj if k.startswith("is_") and k.endswith("_ready")), None)
    issue_key = next((k for k in obj if k.endswith("_issue")), None)
    ready = obj.get(ready_key) if ready_key else None
    issue = obj.get(issue_key) if issue_key else ""
    return RecordedVerdict(
        is_code_ready=ready if isinstance(ready, bool) else None,
        code_issue=printable(issue) if isinstance(issue, str) else json.dumps(issue),
        reviewer=reviewer,
    )


def submission_from_trace(text: str, name: str) -> Submission:
    if "\r" in text:  # (a one-character test: far quicker than looking for "\r\n" in non-ASCII text)
        text = text.replace("\r\n", "\n")  # a trace saved with CRLF line ends reads as the same trace
    llm = _LLM_NAME.match(text)
    reviewer = (llm.group("name").strip() or None) if llm else None
    sections = _split(text)
    bundle = _find_bundle(sections, name)
    files, rejected, keys = files_from_bundle(bundle)
    base_obj = _decode_first_object(sections.parts.get("base", ""), name)
    parts = sections.parts
    context = ResearchContext(
        hypothesis=(parts.get("hypothesis") or "").strip() or None,
        method=(parts.get("method") or "").strip() or None,
        experimental_design=(parts.get("design") or "").strip() or None,
        primary_metric=_primary_metric(parts.get("hypothesis"), parts.get("design"), parts.get("method")),
        runs=_runs(parts.get("runs", "")),
        run_variations=_variations(parts.get("experiment")),
    )
    return Submission(
        source=name,
        kind="trace",
        files=files,
        context=context,
        contract_text=parts.get("instructions"),
        bundle_keys=keys,
        recorded=_recorded(sections.output, reviewer, name),
        rejected=rejected,
        base_bundle=base_obj if is_code_bundle(base_obj) else None,
    )


def bundle_object(text: str, name: str) -> dict[str, Any]:
    """The trace's code bundle as the JSON object it holds (what `expcheck fix --output` rewrites)."""
    return _find_bundle(_split(text), name)
