"""Fail closed: nothing in the submission silences a rule by default, a crashing rule makes the input
not ready (exit 3), every input gets a verdict object, and rules that lack inputs say so."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from expcheck import check, check_files
from expcheck.cli import EXIT_INTERNAL, EXIT_NOT_READY, EXIT_USAGE, main
from expcheck.rules.base import REGISTRY, all_rules

ROOT = Path(__file__).resolve().parent.parent
DEFECTIVE = ROOT / "examples" / "defective_bundle.json"
READY = ROOT / "examples" / "ready_bundle.json"
CONTEXT = ROOT / "examples" / "ready_context.yaml"


def _bundle(path: Path) -> dict[str, str]:
    return json.loads(path.read_text(encoding="utf-8"))


def _with_ignores_on_reported_lines(bundle: dict[str, str], comment: str) -> dict[str, str]:
    """The bundle with ``comment`` appended to every line a finding points at (as a generator would)."""
    report = check_files(bundle)
    by_key = {("src/" + k[:-3] + ".py" if k.endswith("_py") else k): k for k in bundle}
    by_key["pyproject.toml"] = "pyproject_toml"
    edited = dict(bundle)
    for finding in report.findings:
        key = by_key.get(finding.path)
        if key is None or finding.line is None or not edited[key].strip():
            continue  # a comment in an empty file would fill the file, not suppress anything
        lines = edited[key].split("\n")
        if comment not in lines[finding.line - 1]:
            lines[finding.line - 1] += f"  {comment}"
        edited[key] = "\n".join(lines)
    return edited


def _errors(report) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(f"{f.rule}@{f.location()}" for f in report.findings if f.severity.value == "error")


@pytest.mark.parametrize("comment", ["# expcheck: ignore", "# expcheck: ignore[C1,R2,R4,C5]"])
def test_inline_ignores_in_the_submission_do_not_open_the_gate(comment: str) -> None:
    bundle = _bundle(DEFECTIVE)
    before = check_files(bundle)
    after = check_files(_with_ignores_on_reported_lines(bundle, comment))
    assert not after.ready
    assert _errors(after) == _errors(before)


def test_inline_ignores_are_honoured_only_on_opt_in_and_only_as_python_comments() -> None:
    bundle = _with_ignores_on_reported_lines(_bundle(DEFECTIVE), "# expcheck: ignore")
    honoured = check_files(bundle, honor_inline_ignores=True)
    rules = {f.rule for f in honoured.findings}
    assert "C101" not in rules and "R402" not in rules  # real comments on Python lines
    assert "R203" in rules  # a comment in pyproject.toml never silences anything
    # a suppression written inside a string literal is text, not a comment
    literal = dict(_bundle(DEFECTIVE))
    literal["model_py"] = literal["model_py"].replace(
        "# TODO: the baseline", 'NOTE = "# expcheck: ignore"  # TODO: the baseline'
    )
    assert "C101" in {f.rule for f in check_files(literal, honor_inline_ignores=True).findings}


def test_cli_honours_inline_ignores_only_with_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "bundle.json"
    target.write_text(json.dumps(_with_ignores_on_reported_lines(_bundle(DEFECTIVE), "# expcheck: ignore")))
    assert main(["check", str(target), "-f", "json"]) == EXIT_NOT_READY
    plain = json.loads(capsys.readouterr().out)["reports"][0]["findings"]
    main(["check", str(target), "-f", "json", "--honor-inline-ignores"])
    honoured = json.loads(capsys.readouterr().out)["reports"][0]["findings"]
    assert {f["rule"] for f in honoured} < {f["rule"] for f in plain}


@pytest.fixture
def crashing_rule(monkeypatch: pytest.MonkeyPatch) -> str:
    """C101 replaced by a check that raises, as a rule with a bug would."""

    def boom(facts):  # type: ignore[no-untyped-def]
        raise RuntimeError("rule bug")

    all_rules()
    monkeypatch.setitem(REGISTRY, "C101", replace(REGISTRY["C101"], check=boom))
    return "C101"


def test_a_rule_that_raises_makes_a_ready_input_not_ready(crashing_rule: str) -> None:
    report = check(str(READY), context=str(CONTEXT))
    assert not report.ready
    crash = [f for f in report.findings if f.rule == "X001"]
    assert len(crash) == 1 and crash[0].scope == "input" and crash[0].severity.value == "error"
    assert crashing_rule in crash[0].message and "RuntimeError: rule bug" in crash[0].evidence
    assert crashing_rule in report.verdict.code_issue  # type: ignore[union-attr]
    assert report.internal_errors


def test_cli_exits_3_when_a_rule_raises(crashing_rule: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(READY), "--context", str(CONTEXT), "-f", "verdict"]) == EXIT_INTERNAL
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["is_code_ready"] is False and crashing_rule in verdict["code_issue"]


@pytest.mark.parametrize("fmt", ["verdict", "json", "jsonl"])
@pytest.mark.parametrize("content", [b"{not json", b"\x00\x01\x02binary", b""])
def test_unreadable_input_gets_a_not_ready_verdict_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, content: bytes
) -> None:
    target = tmp_path / "input.json"
    target.write_bytes(content)
    assert main(["check", str(target), "-f", fmt]) == EXIT_USAGE
    out = capsys.readouterr().out
    if fmt == "verdict":
        verdict = json.loads(out)
    elif fmt == "json":
        verdict = json.loads(out)["reports"][0]["verdict"]
    else:
        verdict = json.loads(out.splitlines()[0])["verdict"]
    assert verdict["is_code_ready"] is False
    assert verdict["code_issue"].startswith("The input could not be read:")


def test_missing_input_path_gets_a_verdict_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.json"), "-f", "verdict"]) == EXIT_USAGE
    assert json.loads(capsys.readouterr().out)["is_code_ready"] is False


def test_v2_bundle_without_run_configs_is_not_ready_and_names_the_rules_not_applied() -> None:
    bundle = _bundle(READY)
    ready = check_files(bundle, context=yaml.safe_load(CONTEXT.read_text()))
    assert ready.ready, ready.verdict
    alone = check(str(READY))  # no --context: no experiment runs, no run configs
    assert not alone.ready
    assert [f.path for f in alone.findings if f.rule == "C709"] == ["config/runs/"]
    not_applied = [f for f in alone.findings if f.rule == "X002"]
    assert not_applied and all(f.scope == "input" and f.severity.value == "warning" for f in not_applied)
    runs_gap = next(f for f in not_applied if "experiment run" in f.message)
    for rule_id in ("C204", "C701", "C703"):
        assert rule_id in runs_gap.message


def test_v1_bundle_without_context_is_told_which_rules_did_not_run() -> None:
    bundle = {k: v for k, v in _bundle(READY).items()}
    report = check_files(bundle, profile="airas-v1")
    assert "C709" not in {f.rule for f in report.findings}  # v1 run configs come from the context
    assert any(f.rule == "X002" and "C703" in f.message for f in report.findings)


def test_no_x002_when_the_context_supplies_everything() -> None:
    report = check(str(READY), context=str(CONTEXT))
    assert not [f for f in report.findings if f.rule.startswith("X")]


def test_a_users_own_profile_may_honour_inline_ignores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from expcheck.profiles import load_profile

    mine = load_profile("airas-v2").model_dump(mode="json") | {"name": "mine", "honor_inline_ignores": True}
    profile = tmp_path / "mine.yaml"
    profile.write_text(yaml.safe_dump(mine), encoding="utf-8")
    bundle = _with_ignores_on_reported_lines(_bundle(DEFECTIVE), "# expcheck: ignore")
    assert "C101" in {f.rule for f in check_files(bundle).findings}
    assert "C101" not in {f.rule for f in check_files(bundle, profile=str(profile)).findings}


def test_a_crash_while_reading_is_a_not_ready_report(monkeypatch: pytest.MonkeyPatch) -> None:
    import expcheck.api

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("reader bug")

    monkeypatch.setattr(expcheck.api, "load", broken)
    report = check(str(READY))
    assert not report.ready and report.internal_errors
    assert [f.rule for f in report.findings] == ["X001"] and "reader bug" in report.findings[0].evidence


def test_explain_documents_the_check_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "X002"]) == 0
    assert "rules-not-applied" in capsys.readouterr().out


def test_explain_documents_a_tool_without_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "X003"]) == 0
    assert "tool-unavailable" in capsys.readouterr().out


def test_a_missing_ruff_makes_the_cli_exit_3(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """ruff's silence is no pass: not ready, one X003 naming the rules, and the exit status of a check that
    could not judge everything (in-process: the worker is forked from this process with the patch)."""
    from expcheck.facts import lint

    monkeypatch.setattr(lint, "ruff_binary", lambda: None)
    status = main(["check", str(READY), "--format", "verdict"])
    out = capsys.readouterr().out
    assert status == EXIT_INTERNAL
    assert '"is_code_ready": false' in out and "X003" in out and "ruff is not installed" in out
