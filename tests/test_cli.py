"""The command line as a user meets it: exit codes, formats, and one clear line for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = ROOT / "examples"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "expcheck", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_verdict_format_is_exactly_the_pipeline_shape() -> None:
    proc = run("check", str(FIXTURES / "trace_v2.txt"), "--format", "verdict")
    assert proc.returncode == 1, proc.stderr
    verdict = json.loads(proc.stdout)
    assert set(verdict) == {"is_code_ready", "code_issue"}
    assert verdict["is_code_ready"] is False
    assert "src/train.py:1 [C103]" in verdict["code_issue"]


def test_ready_example_exits_zero() -> None:
    proc = run(
        "check",
        str(EXAMPLES / "ready_bundle.json"),
        "--context",
        str(EXAMPLES / "ready_context.yaml"),
        "--format",
        "verdict",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == {"is_code_ready": True, "code_issue": ""}


def test_jsonl_keeps_order_and_reports_bad_input_in_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    context = str(EXAMPLES / "ready_context.yaml")
    proc = run(
        "check",
        str(FIXTURES / "trace_v2.txt"),
        str(bad),
        str(EXAMPLES / "ready_bundle.json"),
        "--context",
        context,
        "-f",
        "jsonl",
    )
    assert proc.returncode == 2
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["input"] for line in lines] == [
        str(FIXTURES / "trace_v2.txt"),
        str(bad),
        str(EXAMPLES / "ready_bundle.json"),
    ]
    assert lines[1]["error"] and lines[1]["verdict"]["is_code_ready"] is False  # unreadable: a verdict all the same
    assert lines[0]["verdict"]["is_code_ready"] is False and lines[2]["verdict"]["is_code_ready"] is True
    for finding in lines[0]["findings"]:
        assert set(finding) >= {"rule", "criterion", "severity", "path", "line", "column", "message", "evidence", "fix"}


def test_json_document() -> None:
    proc = run(
        "check", str(EXAMPLES / "ready_bundle.json"), "--context", str(EXAMPLES / "ready_context.yaml"), "-f", "json"
    )
    doc = json.loads(proc.stdout)
    assert doc["inputs"] == 1 and doc["ready"] == 1 and len(doc["reports"]) == 1


def test_text_output_groups_by_criterion() -> None:
    proc = run("check", str(FIXTURES / "trace_v2.txt"), "--color", "never")
    assert proc.returncode == 1
    assert "NOT READY" in proc.stdout
    assert "C1 Complete implementation" in proc.stdout
    assert "src/train.py:1:1" in proc.stdout
    assert "\x1b[" not in proc.stdout


def test_select_and_ignore() -> None:
    proc = run("check", str(FIXTURES / "trace_v2.txt"), "-f", "jsonl", "--ignore", "C1")
    report = json.loads(proc.stdout)
    assert all(not f["rule"].startswith("C1") for f in report["findings"])
    proc = run("check", str(FIXTURES / "trace_v2.txt"), "-f", "jsonl", "--select", "C103")
    assert {f["rule"] for f in json.loads(proc.stdout)["findings"]} == {"C103"}


@pytest.mark.parametrize(
    "maker",
    [
        lambda p: p / "missing",
        lambda p: (p / "rand.bin").write_bytes(bytes(range(256)) * 40) and p / "rand.bin",
        lambda p: (p / "latin1.txt").write_bytes("café".encode("latin-1")) and p / "latin1.txt",
        lambda p: (p / "x.json").write_text('{"hello": "world"}') and p / "x.json",
        lambda p: (p / "t.txt").write_text("Input:\n# Instructions\nno code\n") and p / "t.txt",
        lambda p: (p / "empty").mkdir() or p / "empty",
    ],
    ids=["nonexistent", "random-bytes", "non-utf8", "json-not-bundle", "trace-without-code", "empty-dir"],
)
def test_bad_input_exit_2_one_line_no_traceback(tmp_path: Path, maker) -> None:  # type: ignore[no-untyped-def]
    target = maker(tmp_path)
    proc = run("check", str(target))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_huge_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.write(b'{"train_py": "')
        fh.write(b"x" * (50 * 1024 * 1024))
        fh.write(b'"}')
    proc = run("check", str(big))
    assert proc.returncode == 2
    assert "MiB" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("check", "x", "--format", "nope"),
        ("check", "a", "b", "-f", "verdict"),
        ("check", "x", "--select", "ZZ9"),
        ("check", "x", "--profile", "no-such-profile"),
        ("explain", "NOPE1"),
    ],
)
def test_usage_errors(args: tuple[str, ...]) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip()


def test_rules_and_explain_and_profiles() -> None:
    listing = run("rules").stdout
    assert "R203" in listing and "dependencies-not-a-list" in listing
    md = run("rules", "--format", "markdown").stdout
    assert md.startswith("| id |")
    explained = run("explain", "dependencies-not-a-list").stdout
    assert "Fires on" in explained and "Stays silent on" in explained
    profiles = run("profiles").stdout
    for name in ("airas-v1", "airas-v1.5", "airas-v2"):
        assert name in profiles
    assert "required_files" in run("profiles", "airas-v2").stdout


def test_user_profile_file(tmp_path: Path) -> None:
    shown = (
        run("profiles", "airas-v2")
        .stdout.replace("name: airas-v2", "name: mine")
        .replace("extra_files: forbidden", "extra_files: allowed")
    )
    profile = tmp_path / "mine.yaml"
    profile.write_text(shown)
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps({**json.loads((EXAMPLES / "ready_bundle.json").read_text()), "utils_py": "X = 1\n"}))
    assert run("check", str(bundle), "-f", "verdict").returncode == 1
    proc = run(
        "check",
        str(bundle),
        "-f",
        "jsonl",
        "--profile",
        str(profile),
        "--context",
        str(EXAMPLES / "ready_context.yaml"),
    )
    assert json.loads(proc.stdout)["profile"] == "mine"
    assert proc.returncode == 0, proc.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\n")
    proc = run("check", str(bundle), "--profile", str(broken))
    assert proc.returncode == 2 and "required_files" in proc.stderr


def test_batch_folder_jobs_and_html(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "inputs"
    folder.mkdir()
    shutil.copy(FIXTURES / "trace_v2.txt", folder / "a.txt")
    shutil.copy(EXAMPLES / "ready_bundle.json", folder / "b.json")
    page = tmp_path / "report.html"
    proc = run("check", str(folder), "--jobs", "2", "-f", "jsonl", "--html", str(page))
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["input"] for line in lines] == [str(folder / "a.txt"), str(folder / "b.json")]
    assert proc.returncode == 1
    text = page.read_text()
    assert "<svg" in text and "C103" in text


def test_audit_command() -> None:
    proc = run("audit", str(FIXTURES / "trace_v2.txt"), "-f", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["aggregate"]["claims"]["refuted"] >= 1
    text = run("audit", str(FIXTURES / "trace_v2.txt"), "--color", "never").stdout
    assert "REFUTED" in text and "parses" in text
