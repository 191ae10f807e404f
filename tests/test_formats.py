"""Output formats for the tools that consume them: SARIF (checked against the official schema), GitHub
workflow commands, JUnit XML (read back with a JUnit library), concise lines, and --output-file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from expcheck.findings import Finding, Severity
from expcheck.report.github import MAX_PER_LEVEL, render_github
from expcheck.report.schema import Report, Summary
from expcheck.verdict import make_verdict

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"

TRAIN = "import torch\n\n\ndef train(cfg):\n    return undefined_thing + cfg\n"


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "expcheck", *args], capture_output=True, text=True, cwd=cwd, timeout=180, env=env
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository directory with an undefined name (R301, which knows where the name ends)."""
    (tmp_path / "repo" / "src").mkdir(parents=True)
    (tmp_path / "repo" / "src" / "train.py").write_text(TRAIN)
    return tmp_path / "repo"


def _inputs(repo: Path, tmp_path: Path) -> list[str]:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    return [str(repo), str(EXAMPLES / "defective_bundle.json"), str(EXAMPLES / "ready_bundle.json"), str(bad)]


@pytest.mark.skipif(not SARIF_SCHEMA.is_file(), reason="../shared/schemas not present")
def test_sarif_is_valid_and_complete(repo: Path, tmp_path: Path) -> None:
    import jsonschema

    proc = run("check", *_inputs(repo, tmp_path), "--format", "sarif")
    assert proc.returncode == 2, proc.stderr  # one input is unreadable
    doc = json.loads(proc.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(doc)

    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and len(ids) > 50
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
        assert f"expcheck explain {r['id']}" in r["help"]["markdown"]
    results = run_["results"]
    assert {r["properties"]["input"] for r in results} >= {str(repo), str(EXAMPLES / "defective_bundle.json")}
    for result in results:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning")
    r301 = next(r for r in results if r["ruleId"] == "R301")
    loc = r301["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("/repo/src/train.py")
    assert loc["region"] == {
        "startLine": 5,
        "startColumn": 12,
        "endLine": 5,
        "endColumn": 27,
        "snippet": {"text": "return undefined_thing + cfg"},
    }
    # Findings inside a bundle are located relative to the submission, never as if on disk.
    in_bundle = [
        r
        for r in results
        if r["properties"]["input"].endswith("defective_bundle.json") and not r["ruleId"].startswith("X")
    ]
    assert in_bundle
    assert all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "SUBMISSION" for r in in_bundle
    )
    # The unreadable input is a failed execution, not silence.
    invocation = run_["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert any(
        "bad.json" in n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for n in invocation["toolExecutionNotifications"]
    )


def _fingerprints(repo: Path) -> dict[str, tuple[str, int | None]]:
    doc = json.loads(run("check", str(repo), "--format", "sarif").stdout)
    out = {}
    for result in doc["runs"][0]["results"]:
        region = result["locations"][0]["physicalLocation"].get("region", {})
        out[result["partialFingerprints"]["expcheck/v1"]] = (result["ruleId"], region.get("startLine"))
    return out


def test_sarif_fingerprints_are_stable_across_runs_and_line_shifts(repo: Path) -> None:
    first = _fingerprints(repo)
    assert first == _fingerprints(repo)
    assert len(first) == len(json.loads(run("check", str(repo), "-f", "sarif").stdout)["runs"][0]["results"])
    (repo / "src" / "train.py").write_text("# a comment added above\n\n" + TRAIN)
    shifted = _fingerprints(repo)
    assert set(shifted) == set(first)
    r301 = next(fp for fp, (rule, _) in first.items() if rule == "R301")
    assert first[r301][1] == 5 and shifted[r301][1] == 7


def test_junit_reads_back_with_a_junit_library(repo: Path, tmp_path: Path) -> None:
    from junitparser import Error, Failure, JUnitXml

    inputs = _inputs(repo, tmp_path)
    out = tmp_path / "junit.xml"
    proc = run("check", *inputs, "--format", "junit", "--output-file", str(out))
    assert proc.returncode == 2 and proc.stdout == ""
    jsonl = [json.loads(line) for line in run("check", *inputs, "-f", "jsonl").stdout.splitlines()]
    xml = JUnitXml.fromfile(str(out))
    cases = [case for suite in xml for case in suite]
    assert [c.name for c in cases] == inputs
    for case, report in zip(cases, jsonl, strict=True):
        failures = [r for r in case.result if isinstance(r, Failure)]
        errors = [r for r in case.result if isinstance(r, Error)]
        if report["error"]:
            assert len(errors) == 1 and not failures
            continue
        expected = [f for f in report["findings"] if f["severity"] == "error" and f["confidence"] != "heuristic"]
        assert [f.type for f in failures] == [f["rule"] for f in expected]
        assert case.is_passed == report["verdict"]["is_code_ready"]


def test_concise_is_one_line_per_finding(repo: Path) -> None:
    proc = run("check", str(repo), str(EXAMPLES / "defective_bundle.json"), "--format", "concise")
    assert proc.returncode == 1
    *lines, summary = proc.stdout.splitlines()
    jsonl = run("check", str(repo), str(EXAMPLES / "defective_bundle.json"), "-f", "jsonl").stdout.splitlines()
    assert len(lines) == sum(len(json.loads(line)["findings"]) for line in jsonl)
    pattern = re.compile(r"^\S+?(:\d+(:\d+)?)?: [A-Z]\d{3} .+$")
    assert all(pattern.match(line) for line in lines), lines
    assert f"{repo}/src/train.py:5:12: R301 `undefined_thing` is not defined here" in proc.stdout
    assert "defective_bundle.json:src/train.py:12:1: R402" in proc.stdout
    assert summary.endswith("2 inputs, 2 not ready")


@pytest.mark.parametrize("fmt", ["text", "concise", "verdict", "json", "jsonl", "sarif", "github", "junit"])
def test_output_file_holds_what_stdout_would(fmt: str, tmp_path: Path) -> None:
    bundle = str(EXAMPLES / "defective_bundle.json")
    out = tmp_path / f"out.{fmt}"
    to_file = run("check", bundle, "--format", fmt, "--output-file", str(out))
    to_stdout = run("check", bundle, "--format", fmt)
    assert to_file.returncode == to_stdout.returncode == 1
    assert to_file.stdout == "" and out.read_text() == to_stdout.stdout != ""
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".expcheck-")]


def test_output_file_in_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    proc = run("check", str(EXAMPLES / "ready_bundle.json"), "-o", str(tmp_path / "no" / "such" / "out.sarif"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("expcheck: --output-file")


def _finding(i: int, severity: Severity) -> Finding:
    return Finding(
        rule="R301", criterion="R", severity=severity, path="src/train.py", line=i, column=1, message=f"problem {i}"
    )


def test_github_annotates_within_the_per_step_limit_and_summarises_the_rest() -> None:
    findings = [_finding(i, Severity.ERROR) for i in range(1, 26)] + [
        _finding(i, Severity.WARNING) for i in range(1, 4)
    ]
    report = Report(
        input="repo",
        kind="directory",
        profile="airas-v2",
        verdict=make_verdict(findings),
        findings=findings,
        summary=Summary(errors=25, warnings=3, files=1),
    )
    lines = render_github([report]).splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == MAX_PER_LEVEL and len(warnings) == 3
    assert errors[0] == "::error file=repo/src/train.py,line=1,col=1,title=expcheck R301::problem 1."
    assert sum(1 for line in lines if line.startswith("error: repo/src/train.py:")) == 25 - MAX_PER_LEVEL
    notice = [line for line in lines if line.startswith("::notice ")]
    assert len(notice) == 1 and "15 more errors and 0 more warnings" in notice[0]


def test_github_escapes_workflow_command_syntax(repo: Path) -> None:
    finding = Finding(
        rule="C101",
        criterion="C1",
        severity=Severity.ERROR,
        path="src/a,b:c.py",
        line=2,
        column=3,
        end_line=2,
        end_column=9,
        message="100% wrong\nsecond line",
    )
    report = Report(input="r", kind="directory", verdict=make_verdict([finding]), findings=[finding])
    line = render_github([report]).splitlines()[1]
    assert (
        line
        == "::error file=r/src/a%2Cb%3Ac.py,line=2,endLine=2,col=3,endColumn=9,title=expcheck C101::100%25 wrong%0Asecond line."
    )


def test_github_format_end_to_end(repo: Path) -> None:
    proc = run("check", str(repo), str(EXAMPLES / "defective_bundle.json"), "--format", "github")
    assert proc.returncode == 1
    assert f"::error file={repo}/src/train.py,line=5,endLine=5,col=12,endColumn=27,title=expcheck R301::" in proc.stdout
    bundle = str(EXAMPLES / "defective_bundle.json")
    alone = run("check", bundle, "--format", "github")
    assert f"::error file={bundle},title=expcheck R402::src/train.py:12:1: " in alone.stdout


def _env(**changes: str | None) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({k: v for k, v in changes.items() if v is not None})
    return env


def test_force_color_and_no_color(repo: Path) -> None:
    plain = run("check", str(repo), env=_env())
    forced = run("check", str(repo), env=_env(FORCE_COLOR="1"))
    both = run("check", str(repo), env=_env(FORCE_COLOR="1", NO_COLOR="1"))
    off = run("check", str(repo), env=_env(FORCE_COLOR="0"))
    always = run("check", str(repo), "--color", "always", env=_env(NO_COLOR="1"))
    assert "\x1b[" not in plain.stdout and "\x1b[" not in off.stdout and "\x1b[" not in both.stdout
    assert "\x1b[" in forced.stdout and "\x1b[" in always.stdout
