"""A decimal integer longer than Python's ``int()`` converts (4,300 digits by default) in any text expcheck reads.

json and tomllib raise a bare ``ValueError`` for one, outside ``JSONDecodeError`` and ``TOMLDecodeError``.
Before, it escaped the readers: a bundle or context was an internal error (X001) instead of bad input, a
pyproject.toml made every pyproject rule an internal error instead of one R201 at the number, a batch index
or expcheck's own configuration crashed, and a model's answer to the LLM review raised AttributeError.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from expcheck import check_files
from expcheck.errors import InputError
from expcheck.inputs.bundle import decode_json
from expcheck.limits import long_integer_at

ROOT = Path(__file__).resolve().parent.parent
READY = ROOT / "examples" / "ready_bundle.json"
CONTEXT = str(ROOT / "examples" / "ready_context.yaml")
LIMIT = sys.get_int_max_str_digits()
LONG = "7" * (LIMIT + 1)


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "expcheck", *args], capture_output=True, text=True, check=False, cwd=cwd
    )


def test_long_integer_at_finds_the_first_run_past_the_limit() -> None:
    text = f'{{"a": {"1" * LIMIT}, "b": {LONG}}}'
    assert long_integer_at(text) == text.index(LONG)
    assert long_integer_at(text, text.index(LONG) + 1) is None  # the rest of it is within the limit
    assert long_integer_at(f"x = {'1' * LIMIT}") is None
    grouped = "_".join("12" for _ in range(LIMIT // 2 + 1))
    assert long_integer_at(f"x = {grouped}", underscores=True) == 4
    assert long_integer_at(f"x = {grouped}") is None


def test_json_with_a_long_integer_is_a_decode_error_at_the_number() -> None:
    text = f'{{"train_py": "x = 1", "n": {LONG}}}'
    with pytest.raises(json.JSONDecodeError) as failure:
        decode_json(text, "b.json")
    assert failure.value.pos == text.index(LONG)


def test_a_bundle_with_a_long_integer_is_bad_input(tmp_path: Path) -> None:
    bundle = READY.read_text(encoding="utf-8").rstrip().removesuffix("}") + f', "extra": {LONG}}}'
    path = tmp_path / "bundle.json"
    path.write_text(bundle, encoding="utf-8")
    done = _cli("check", str(path), "--context", CONTEXT)
    assert done.returncode == 2, done.stdout
    assert done.stderr.count("\n") == 1 and "integer longer than Python reads" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_json_context_with_a_long_integer_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "context.json"
    path.write_text(f'{{"research_hypothesis": "h", "n": {LONG}}}', encoding="utf-8")
    done = _cli("check", str(READY), "--context", str(path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "integer longer than Python reads" in done.stderr


@pytest.mark.parametrize("number", [LONG, "_".join("12" for _ in range(LIMIT // 2 + 1))])
def test_a_pyproject_with_a_long_integer_is_one_r201_at_the_number(number: str) -> None:
    bundle: dict[str, str] = json.loads(READY.read_text(encoding="utf-8"))
    bundle["pyproject_toml"] = bundle["pyproject_toml"].rstrip("\n") + f"\n\n[tool.knobs]\nsize = {number}\n"
    line = bundle["pyproject_toml"].count("\n")
    report = check_files(bundle, context=CONTEXT)
    assert not report.ready
    assert report.internal_errors == []
    assert [(f.rule, f.line, f.column) for f in report.findings if f.severity == "error"] == [("R201", line, 8)]


def test_a_batch_index_line_with_a_long_integer_is_not_an_index(tmp_path: Path) -> None:
    from expcheck.batch import _index_entries

    index = tmp_path / "runs.jsonl"
    index.write_text(f'{{"trace": "a.json", "n": {LONG}}}\n', encoding="utf-8")
    assert _index_entries(index) is None


def test_expcheck_s_own_configuration_with_a_long_integer_is_bad_input(tmp_path: Path) -> None:
    from expcheck.config import _read

    path = tmp_path / "expcheck.toml"
    path.write_text(f"[tool.expcheck]\nx = {LONG}\n", encoding="utf-8")
    with pytest.raises(InputError, match="not TOML Python can read"):
        _read(path, required=True)


def test_a_model_answer_with_a_long_integer_is_malformed() -> None:
    from expcheck.llm.grounding import MalformedAnswer, parse_answer

    with pytest.raises(MalformedAnswer, match="not JSON Python can read"):
        parse_answer(f'{{"claims": [{LONG}]}}')
    with pytest.raises(MalformedAnswer, match="not JSON Python can read"):
        parse_answer("[" * 100_000)
