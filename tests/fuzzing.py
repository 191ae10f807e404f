"""Hypothesis strategies for hostile inputs, and one function that judges an input and classifies the outcome.

Shared by tests/test_fuzz.py (a small budget on every run) and benchmarks/fuzz.py (10,000+ inputs,
each in a worker process with a time limit). An input is a (kind, payload) pair:

* ``bundle``: JSON text of a code bundle (often broken, deep, with duplicate keys or odd characters);
* ``trace``: a saved review trace (sections, run configs, a bundle and a recorded verdict);
* ``directory``: repository files (path -> bytes), written to a temporary folder;
* ``context``: a ``--context`` file (JSON or YAML text) beside the ready example bundle;
* ``profile``: a ``--profile`` YAML file;
* ``files``: ``expcheck.check_files`` on an in-memory mapping.

The outcome is ``ok`` (judged, no internal error), ``refused`` (InputError: the one-line exit-2 path),
``internal:<messages>`` (a rule broke) or ``raised:<type>: <message>`` (an exception escaped).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
READY: dict[str, str] = json.loads((ROOT / "examples" / "ready_bundle.json").read_text())
CONTEXT_TEXT = (ROOT / "examples" / "ready_context.yaml").read_text()

# Characters that broke readers before: line and page breaks Python does not count, a BOM, a lone
# surrogate, NUL, CR, brackets and YAML indicators.
_ODD = "\x00\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\ufeff\ud800\udfff\t []{}&*!|>:-?#'\"\\,=."
odd_text = st.text(alphabet=st.sampled_from(_ODD) | st.characters(codec="utf-8"), max_size=40)


@st.composite
def nested(draw: st.DrawFn) -> str:
    """Brackets (or YAML block/alias structure) nested from shallow to far past every limit."""
    depth = draw(st.sampled_from([1, 5, 50, 99, 100, 101, 150, 600, 1200, 5000, 60_000]))
    kind = draw(st.sampled_from(["[]", "{}", "()", "-", "+", ".a", "block", "alias"]))
    if kind == "[]":
        return "[" * depth + "]" * depth
    if kind == "{}":
        return '{"a":' * depth + "1" + "}" * depth
    if kind == "()":
        return "(" * depth + ")" * depth
    if kind == "-":
        return "x = " + "-" * depth + "1"
    if kind == "+":
        return "x = " + "+".join(["1"] * min(depth, 5000))
    if kind == ".a":
        return "x = y" + ".a" * min(depth, 5000)
    if kind == "block":
        return "".join(" " * i + "- \n" for i in range(min(depth, 400)))
    levels = min(depth, 9)
    text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, levels):
        text += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n"
    return text


def _mutate(text: str) -> st.SearchStrategy[str]:
    """``text`` with pieces cut, repeated, or replaced by odd or nested text."""
    return st.builds(
        lambda cut, piece, extra: text[:cut] + piece + text[cut + extra :],
        st.integers(0, len(text)),
        odd_text | nested() | st.just(""),
        st.integers(0, 40),
    )


file_text = st.one_of(
    st.sampled_from(sorted(READY.values())).flatmap(_mutate),
    odd_text,
    nested(),
    st.lists(odd_text | nested(), max_size=4).map("\n".join),
)
bundle_key = st.one_of(
    st.sampled_from(sorted(READY)),
    st.sampled_from(
        ["src/x.py", "config/runs/r.yaml", "../up.py", "/abs.py", "a//b.py", "x" * 300 + "_py", "\ud800_py"]
    ),
    odd_text.map(lambda t: t + "_py"),
)


@st.composite
def bundle_text(draw: st.DrawFn) -> str:
    files = dict(READY) if draw(st.booleans()) else {}
    for key in draw(st.lists(bundle_key, max_size=4)):
        files[key] = draw(file_text)
    text = json.dumps(files, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):  # a duplicate key, or a deep value, spliced in
        text = (
            text[:-1]
            + (", " if files else "")
            + f'"{draw(st.sampled_from(sorted(READY)))}": '
            + draw(st.sampled_from(['"dup\\n"', "[" * 2000 + "]" * 2000, '"\\ud800"', "1"]))
            + "}"
        )
    if draw(st.booleans()):
        return draw(_mutate(text))
    return text


@st.composite
def trace_text(draw: st.DrawFn) -> str:
    parts = ["LLM Name: fuzz", "Input:", "# Instructions", draw(odd_text), "# Experiment Runs"]
    for _ in range(draw(st.integers(0, 2))):
        run_id = draw(st.sampled_from(["proposed-mlp-mnist", "x" * 300, "a b", "\ud800"]) | odd_text)
        parts += [f"- Run ID: {run_id}", "  ```yaml", draw(file_text), "  ```"]
    parts += ["# Current Experiment (To be validated)", draw(bundle_text()), "Output:"]
    parts.append(draw(st.sampled_from(['{"is_code_ready": true, "code_issue": ""}', "{" * 3000, "```json\n{}\n```"])))
    text = "\n".join(parts)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text


directory_files = st.dictionaries(
    st.one_of(
        st.sampled_from(["pyproject.toml", "config/config.yaml", "config/runs/r.yaml", "src/train.py", "src/main.py"]),
        st.from_regex(r"\A(src|config|data)/[a-z]{1,8}\.(py|yaml|toml|txt)\Z"),
    ),
    st.one_of(file_text.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=64)),
    max_size=6,
)
context_text = st.one_of(
    st.just(CONTEXT_TEXT).flatmap(_mutate),
    nested(),
    st.builds(lambda body: '{"experiment_runs": ' + body + "}", nested() | odd_text),
)
profile_text = st.one_of(
    st.builds(lambda body: "name: fuzz\nrequired_files: " + body + "\n", nested() | odd_text),
    st.just((ROOT / "src" / "expcheck" / "profiles" / "airas-v2.yaml").read_text()).flatmap(_mutate),
    nested(),
)
fuzz_input = st.one_of(
    st.tuples(st.just("bundle"), bundle_text()),
    st.tuples(st.just("trace"), trace_text()),
    st.tuples(st.just("directory"), directory_files),
    st.tuples(st.just("context"), context_text),
    st.tuples(st.just("profile"), profile_text),
    st.tuples(st.just("files"), st.dictionaries(bundle_key, file_text, max_size=4)),
)


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", "surrogatepass"))


def judge(kind: str, payload: Any) -> str:
    """Judge one fuzz input through the public API; classify what happened (see the module docstring)."""
    import expcheck
    from expcheck.errors import InputError
    from expcheck.profiles import load_profile

    try:
        with tempfile.TemporaryDirectory(prefix="expcheck-fuzz-") as tmp:
            root = Path(tmp)
            if kind == "profile":
                _write(root / "profile.yaml", payload)
                try:
                    load_profile(str(root / "profile.yaml"))
                except InputError:
                    return "refused"
                return "ok"
            if kind == "files":
                report = expcheck.check_files(payload)
            else:
                context = None
                if kind == "bundle":
                    _write(root / "input.json", payload)
                    source = root / "input.json"
                elif kind == "trace":
                    _write(root / "input.txt", payload)
                    source = root / "input.txt"
                elif kind == "directory":
                    source = root / "repo"
                    source.mkdir()
                    for rel, data in payload.items():
                        (source / rel).parent.mkdir(parents=True, exist_ok=True)
                        (source / rel).write_bytes(data)
                else:  # context
                    source = ROOT / "examples" / "ready_bundle.json"
                    context = root / ("context.json" if payload.lstrip().startswith("{") else "context.yaml")
                    _write(context, payload)
                report = expcheck.check(str(source), context=str(context) if context else None)
            if report.error is not None:
                return "refused"
            if report.internal_errors:
                return "internal:" + " | ".join(report.internal_errors)[:500]
            report.model_dump_json()  # the report must also serialise
            return "ok"
    except Exception as exc:  # what the fuzzing looks for: nothing may escape
        return f"raised:{type(exc).__name__}: {str(exc)[:300]}"
