"""Profile detection with evidence, contract clauses from a trace's own text, template markers, confidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expcheck.api import check, report_for
from expcheck.findings import Confidence, Finding, Severity
from expcheck.inputs import load
from expcheck.paths import is_template_marker
from expcheck.profiles import builtin_profiles
from expcheck.profiles.detect import choose_profile
from expcheck.rules import all_rules
from expcheck.submission import SourceFile, Submission
from expcheck.verdict import make_verdict

HERE = Path(__file__).resolve().parent
OWN = HERE / "fixtures" / "precision"
RAN = HERE.parent.parent / "shared" / "corpus" / "ran"


def _repo(files: dict[str, str]) -> Submission:
    return Submission(source="<t>", kind="directory", files={p: SourceFile(path=p, text=t) for p, t in files.items()})


def test_switch_key_declared_in_config_decides_between_run_folder_families() -> None:
    sub = _repo(
        {
            "config/run/a.yaml": "run_id: a\n",
            "config/config.yaml": "defaults:\n  - run: ???\ntrial_mode: false\n",
            "src/train.py": "def f(run_cfg, cfg):\n    return run_cfg.model.hidden, cfg.wandb.mode\n",
        }
    )
    profile, choice = choose_profile(sub)
    assert profile.name == "airas-v1"
    assert choice.how == "repository layout" and not choice.ambiguous
    assert any("declares `trial_mode` (config/config.yaml:3)" in e for e in choice.evidence)


def test_root_mode_read_selects_the_mode_family() -> None:
    sub = _repo(
        {
            "config/run/a.yaml": "run_id: a\n",
            "config/config.yaml": "mode: full\n",
            "src/main.py": "def main(cfg):\n    if cfg.mode == 'trial':\n        pass\n",
        }
    )
    profile, choice = choose_profile(sub)
    assert profile.name == "airas-v1.5"
    assert any("src/main.py:2" in e for e in choice.evidence)


def test_conflicting_switch_evidence_is_reported_ambiguous() -> None:
    sub = _repo(
        {
            "config/run/a.yaml": "run_id: a\n",
            "config/config.yaml": "results_dir: out\n",
            "src/main.py": "def main(cfg):\n    return cfg.mode, cfg.trial_mode\n",
        }
    )
    _, choice = choose_profile(sub)
    assert choice.ambiguous and choice.alternatives


def test_profile_choice_and_clauses_reach_every_report_format() -> None:
    report = check(str(OWN / "v1_markers_and_mode_reads"))
    assert report.profile == "airas-v1" and report.profile_choice is not None
    data = json.loads(report.model_dump_json())
    assert data["profile_choice"]["how"] == "repository layout"
    assert {c["id"] for c in data["clauses"] if c["in_force"]} >= {"per-run-metrics", "trial-switch"}
    from expcheck.report.html import render_html
    from expcheck.report.text import Style, render_report

    assert "profile chosen by repository layout" in render_report(report, Style(False))
    assert "Profile chosen by repository layout" in render_html([report], {})


def test_a_clause_the_contract_text_does_not_state_is_not_enforced() -> None:
    trace = OWN / "v1_contract_without_metrics_files.txt"
    loaded = load(str(trace))
    states = {c.id: c for c in loaded.clauses}
    assert not states["per-run-metrics"].in_force and states["wandb-logging"].in_force
    assert report_for(loaded, str(trace)).ready
    # The same code held to the profile's default clauses (no contract text): the outputs are missing.
    loaded.submission.contract_text = None
    from expcheck.profiles.clauses import clause_states

    default = type(loaded)(loaded.submission, loaded.profile, loaded.choice, clause_states(loaded.profile, None))
    rules = {f.rule for f in report_for(default, str(trace)).findings}
    assert {"C805", "C806"} <= rules


def test_every_named_clause_is_defined_and_every_defined_clause_is_enforced() -> None:
    named = {r.clause for r in all_rules() if r.clause}
    defined = {c.id for p in builtin_profiles() for c in p.clauses}
    assert named - defined == set()
    assert defined - named == set()


def test_template_markers() -> None:
    assert is_template_marker("config/.gitkeep", "")
    assert is_template_marker(".keep", "")
    assert not is_template_marker("config/.gitkeep", "x\n")
    assert not is_template_marker("src/__init__.py", "")
    assert not is_template_marker("src/.hidden.py", "")


def test_heuristic_findings_never_block() -> None:
    advice = Finding(
        rule="C808",
        criterion="C8",
        severity=Severity.ERROR,
        path="a.py",
        line=1,
        message="m",
        confidence=Confidence.HEURISTIC,
    )
    assert make_verdict([advice]).is_code_ready
    assert not make_verdict([advice.model_copy(update={"confidence": Confidence.INFERRED})]).is_code_ready
    assert all(r.severity is Severity.WARNING for r in all_rules() if r.confidence is Confidence.HEURISTIC)
    assert all(r.known_limits for r in all_rules())


@pytest.mark.skipif(not (RAN / "index.jsonl").is_file(), reason="../shared/corpus/ran is absent")
def test_ran_repositories_get_the_profile_their_traces_state() -> None:
    from expcheck.inputs import read_submission

    for line in (RAN / "index.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        profile, _ = choose_profile(read_submission(str(RAN / row["dir"])))
        assert profile.name == row["profile"], row["dir"]


def test_defaults_list_group_names_the_run_folder_when_the_files_are_absent() -> None:
    sub = _repo({"config/config.yaml": "defaults:\n  - _self_\n  - run: ???\nmode: full\n"})
    profile, choice = choose_profile(sub)
    assert profile.name == "airas-v1.5" and not choice.ambiguous
    assert any("group `run` (config/config.yaml:3)" in e for e in choice.evidence)


CORPUS = HERE.parent.parent / "shared" / "corpus"


@pytest.mark.skipif(not (CORPUS / "index.jsonl").is_file(), reason="../shared/corpus is absent")
def test_every_clause_pattern_recognises_some_real_contract_text() -> None:
    """A clause no contract text of its family states is a dead pattern (its rules would never run on traces)."""
    from expcheck.inputs import read_submission
    from expcheck.profiles.clauses import clause_states

    texts: dict[str, set[str]] = {}
    for line in (CORPUS / "index.jsonl").read_text(encoding="utf-8").splitlines():
        sub = read_submission(str(CORPUS / json.loads(line)["trace"]))
        profile, _ = choose_profile(sub)
        texts.setdefault(profile.name, set()).add(sub.contract_text or "")
    for profile in builtin_profiles():
        stated = {c.id for text in texts.get(profile.name, ()) for c in clause_states(profile, text) if c.in_force}
        if profile.name in texts:
            assert {c.id for c in profile.clauses} - stated == set(), profile.name
