"""Readers: every input form becomes the same Submission, and bad input fails in one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expcheck.errors import InputError
from expcheck.inputs import load, read_submission
from expcheck.inputs.bundle import key_to_path
from expcheck.paths import glob_match, unsafe_reason

FIXTURES = Path(__file__).parent / "fixtures"


def test_trace_sections_runs_and_recorded_verdict() -> None:
    loaded = load(str(FIXTURES / "trace_v2.txt"))
    sub = loaded.submission
    assert loaded.profile.name == "airas-v2"
    assert sub.kind == "trace"
    assert sub.recorded is not None and sub.recorded.is_code_ready is False
    assert sub.recorded.reviewer == "test-reviewer-1"
    assert sub.context.primary_metric == "Top-1 accuracy on the held-out split."
    assert [r.run_id for r in sub.context.runs] == ["proposed-tiny-mnist", "comparative-1-tiny-mnist"]
    assert sub.context.runs[0].method == "proposed"
    # The first YAML line is indented by the prompt template; the config must come out as valid YAML.
    placed = sub.files["config/runs/proposed-tiny-mnist.yaml"]
    assert placed.origin == "context"
    assert placed.text.startswith("run_id: proposed-tiny-mnist\nmethod: proposed\nmodel:\n  name: tiny-cnn\n")
    # JSON escapes are decoded by the JSON parser: \u003e is '>'.
    assert "-> int" in sub.files["src/evaluate.py"].text
    assert sub.files["src/train.py"].text == ""


def test_trace_without_output_still_reads(tmp_path: Path) -> None:
    text = (FIXTURES / "trace_v2.txt").read_text()
    cut = tmp_path / "t.txt"
    cut.write_text(text[: text.index("Output:")])
    sub = read_submission(str(cut))
    assert sub.recorded is None
    assert "src/main.py" in sub.files


def test_trace_with_no_code_section(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("Input:\n# Instructions\nReview it.\n\n# Hypothesis\nx\nOutput:\n{}\n")
    with pytest.raises(InputError, match="no code bundle"):
        read_submission(str(path))


def test_bundle_keys_map_to_repository_paths() -> None:
    assert key_to_path("train_py") == "src/train.py"
    assert key_to_path("config_yaml") == "config/config.yaml"
    assert key_to_path("smoke_test_yaml") == "config/smoke_test.yaml"
    assert key_to_path("pyproject_toml") == "pyproject.toml"
    assert key_to_path("__init___py") == "src/__init__.py"
    assert key_to_path("src/utils.py") == "src/utils.py"
    assert key_to_path("run_id") is None


def test_hostile_bundle_keys_are_rejected_not_written(tmp_path: Path) -> None:
    bundle = {"train_py": "x = 1\n", "../../escape.py": "print('x')\n", "/etc/passwd": "root\n"}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    before = set(tmp_path.parent.iterdir())
    sub = read_submission(str(path))
    assert set(sub.files) == {"src/train.py"}
    assert {e.name for e in sub.rejected} == {"../../escape.py", "/etc/passwd"}
    assert set(tmp_path.parent.iterdir()) == before


@pytest.mark.parametrize(
    ("name", "reason"),
    [("../x", "climbs"), ("/abs", "absolute"), ("C:\\x", "absolute"), ("a//b", "empty"), ("src/ok.py", None)],
)
def test_unsafe_reason(name: str, reason: str | None) -> None:
    got = unsafe_reason(name)
    assert (got is None) if reason is None else (reason in got)


def test_directory_reader_and_detection(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "config" / "run").mkdir(parents=True)
    (tmp_path / "src" / "main.py").write_text("print(1)\n")
    (tmp_path / "config" / "run" / "r1.yaml").write_text("run_id: r1\n")
    (tmp_path / "config" / "config.yaml").write_text("trial_mode: false\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref\n")
    (tmp_path / "data.bin").write_bytes(b"\x00\x01\x02")
    loaded = load(str(tmp_path))
    sub = loaded.submission
    assert loaded.profile.name == "airas-v1"
    assert ".git/HEAD" not in sub.files
    assert sub.files["data.bin"].unreadable == "binary data"
    assert [r.run_id for r in sub.context.runs] == ["r1"]


def test_context_file_supplies_runs(tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps({"main_py": "print(1)\n"}))
    context = tmp_path / "ctx.yaml"
    context.write_text(
        "primary_metric: accuracy\nexperiment_runs:\n  - run_id: r1\n    method: proposed\n    config:\n      run_id: r1\n"
    )
    loaded = load(str(bundle), context=str(context))
    assert loaded.submission.context.primary_metric == "accuracy"
    assert "config/runs/r1.yaml" in loaded.submission.files


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02\x03garbage", "binary"),
        (b"\xff\xfe\xfa not utf8 at all", "not UTF-8"),
        (b'{"a": 1}', "not a code bundle"),
        (b'{"train_py": ', "invalid JSON"),
        (b"just some prose\n", "not a code bundle"),
    ],
)
def test_bad_files_fail_in_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_submission(str(path))
    assert "\n" not in str(info.value)


def test_directory_without_experiment_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(InputError, match="no experiment files"):
        read_submission(str(tmp_path))


def test_glob_semantics() -> None:
    assert glob_match("a/b/__pycache__/x.pyc", "**/__pycache__/**")
    assert glob_match("README.md", "README*")
    assert glob_match("config/runs/a.yaml", "config/runs/*.yaml")
    assert not glob_match("config/runs/sub/a.yaml", "config/runs/*.yaml")
    assert glob_match("data/x/y.csv", "data/**")
