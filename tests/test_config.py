"""Configuration: [tool.expcheck] / expcheck.toml, precedence, fail-closed submission configuration,
profiles that extend a built-in one, `expcheck config` and `expcheck schema`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TRAIN = "import torch\n\n\ndef train(cfg):\n    return undefined_thing + cfg\n"
SUBMISSION_CONFIG = (
    '[project]\nname = "r"\nversion = "0.1"\ndependencies = []\n\n[tool.expcheck]\nignore = ["R", "C"]\n'
)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "expcheck", *args], capture_output=True, text=True, cwd=cwd, timeout=180, env=env
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A not-ready repository whose own pyproject.toml tries to switch every rule off."""
    (tmp_path / "repo" / "src").mkdir(parents=True)
    (tmp_path / "repo" / "src" / "train.py").write_text(TRAIN)
    (tmp_path / "repo" / "pyproject.toml").write_text(SUBMISSION_CONFIG)
    return tmp_path / "repo"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def _rules(proc: subprocess.CompletedProcess[str]) -> set[str]:
    return {f["rule"] for line in proc.stdout.splitlines() for f in json.loads(line)["findings"]}


def test_submission_config_never_weakens_the_verdict_by_default(repo: Path, project: Path) -> None:
    proc = run("check", str(repo), "-f", "jsonl", cwd=project)
    assert proc.returncode == 1
    assert "R301" in _rules(proc)
    assert "ignored, it is part of the submission under review" in proc.stderr


def test_config_found_from_inside_the_checked_repository_is_the_submissions(repo: Path) -> None:
    proc = run("check", ".", "-f", "jsonl", cwd=repo)
    assert proc.returncode == 1 and "R301" in _rules(proc)
    assert "inside the checked repository" in proc.stderr


def test_trusting_the_submission_config_is_an_explicit_choice(repo: Path, project: Path) -> None:
    assert run("check", str(repo), "--trust-submission-config", "-f", "jsonl", cwd=project).returncode == 0
    # The user's own configuration may opt in; the submission cannot opt itself in.
    (project / "expcheck.toml").write_text("trust-submission-config = true\n")
    assert run("check", str(repo), "-f", "jsonl", cwd=project).returncode == 0
    (project / "expcheck.toml").unlink()
    (repo / "pyproject.toml").write_text(SUBMISSION_CONFIG + "trust-submission-config = true\n")
    assert run("check", str(repo), "-f", "jsonl", cwd=project).returncode == 1


def test_trusted_submission_config_cannot_start_a_trial_or_set_the_format(repo: Path, project: Path) -> None:
    (repo / "pyproject.toml").write_text(
        SUBMISSION_CONFIG.replace('ignore = ["R", "C"]\n', 'format = "json"\n[tool.expcheck.trial]\nmode = "always"\n')
    )
    proc = run("config", str(repo), "--trust-submission-config", "--show", "json", cwd=project)
    data = json.loads(proc.stdout)
    assert data["settings"]["format"]["value"] == "text" and data["settings"]["trial.mode"]["value"] == "off"
    assert data["submissions"][0]["settings"] == {}


def test_project_config_applies_and_flags_win(repo: Path, project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "p"\n\n[tool.expcheck]\nformat = "concise"\nselect = ["R3"]\n'
        'per-file-ignores = { "src/*.py" = ["undefined-name"] }\n'
    )
    sub = project / "sub"
    sub.mkdir()
    concise = run("check", str(repo), cwd=sub)  # found from a sub-folder upwards
    assert concise.stdout.splitlines()[-1].startswith("0 errors")  # R301 ignored in src/*.py: ready
    assert concise.returncode == 0
    flags = run("check", str(repo), "--format", "jsonl", "--select", "R301,C5", cwd=sub)
    report = json.loads(flags.stdout)
    assert {f["rule"] for f in report["findings"]} == {"C501"}
    assert report["verdict"]["is_code_ready"] is False
    isolated = run("check", str(repo), "--isolated", "-f", "jsonl", cwd=sub)
    assert "R301" in _rules(isolated)


def test_expcheck_toml_wins_over_pyproject_and_sources_are_shown(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.expcheck]\nprofile = "airas-v1"\nformat = "json"\n')
    (project / "expcheck.toml").write_text('profile = "airas-v2"\ncontext = "ctx.yaml"\n')
    proc = run("config", "--ignore", "R206", "--show", "json", cwd=project)
    settings = json.loads(proc.stdout)["settings"]
    assert settings["profile"] == {"value": "airas-v2", "source": str(project / "expcheck.toml")}
    assert settings["context"]["value"] == str(project / "ctx.yaml")  # relative to the file
    assert settings["format"] == {"value": "text", "source": "default"}
    assert settings["ignore"] == {"value": ["R206"], "source": "command line"}
    text = run("config", cwd=project).stdout
    assert f'profile                 = "airas-v2"                # {project / "expcheck.toml"}' in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("select = 'R3'\n", "select: Input should be a valid list"),
        ("colour = 'red'\n", "colour: Extra inputs are not permitted"),
        ("profile = \n", "is not valid TOML"),
        ("ignore = ['NOPE9']\n", "no rule matches 'NOPE9'"),
        ("[trial]\nmode = 'sometimes'\n", "trial.mode"),
    ],
)
def test_bad_configuration_is_one_line_exit_2(project: Path, content: str, message: str) -> None:
    (project / "expcheck.toml").write_text(content)
    proc = run("check", str(EXAMPLES / "ready_bundle.json"), cwd=project)
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr and len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr


def test_trial_options_from_configuration_reach_the_trial(project: Path) -> None:
    (project / "expcheck.toml").write_text('[trial]\nmode = "if-clean"\nenv = "python"\npython = "/no/such/python"\n')
    proc = run("check", str(EXAMPLES / "ready_bundle.json"), cwd=project)
    assert proc.returncode == 2 and "/no/such/python" in proc.stderr
    # Without a trial mode the other trial keys are inert.
    (project / "expcheck.toml").write_text('[trial]\nenv = "python"\npython = "/no/such/python"\n')
    ready = run(
        "check", str(EXAMPLES / "ready_bundle.json"), "--context", str(EXAMPLES / "ready_context.yaml"), cwd=project
    )
    assert ready.returncode == 0, ready.stdout + ready.stderr


def test_profile_file_extends_a_builtin(project: Path) -> None:
    from expcheck.profiles import load_profile

    base = load_profile("airas-v1")
    (project / "lab.yaml").write_text("extends: airas-v1\nname: lab\ntitle: Our lab\nseverity:\n  R206: warning\n")
    (project / "team.yaml").write_text("extends: lab.yaml\nname: team\ncommands:\n  evaluate: null\n")
    lab = load_profile(str(project / "lab.yaml"))
    assert lab.name == "lab" and lab.severity == {"R206": "warning"}
    assert lab.required_files == base.required_files and lab.commands == base.commands
    team = load_profile(str(project / "team.yaml"))
    assert team.severity == {"R206": "warning"} and team.commands.evaluate is None
    assert team.commands.train == base.commands.train  # mappings merge key by key
    (project / "loop.yaml").write_text("extends: loop.yaml\nname: x\n")
    proc = run("check", str(EXAMPLES / "ready_bundle.json"), "--profile", str(project / "loop.yaml"), cwd=project)
    assert proc.returncode == 2 and "loops back" in proc.stderr


def test_schemas_in_the_repository_are_current() -> None:
    for which in ("report", "profile", "config"):
        proc = run("schema", which, cwd=ROOT)
        assert proc.returncode == 0
        assert (ROOT / "schemas" / f"{which}.schema.json").read_text() == proc.stdout, (
            f"schemas/{which}.schema.json is stale: uv run expcheck schema {which} > schemas/{which}.schema.json"
        )


def test_outputs_and_profiles_validate_against_the_published_schemas(tmp_path: Path) -> None:
    import jsonschema
    import yaml

    from expcheck.profiles import builtin_profile_names

    report_schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    doc = json.loads(
        run(
            "check",
            str(EXAMPLES / "defective_bundle.json"),
            str(EXAMPLES / "ready_bundle.json"),
            str(bad),
            "-f",
            "json",
            cwd=ROOT,
        ).stdout
    )
    jsonschema.Draft202012Validator(report_schema).validate(doc)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(report_schema).validate({**doc, "reports": [{"input": 3}]})
    profile_schema = json.loads((ROOT / "schemas" / "profile.schema.json").read_text())
    for name in builtin_profile_names():
        data = yaml.safe_load((ROOT / "src" / "expcheck" / "profiles" / f"{name}.yaml").read_text())
        jsonschema.Draft202012Validator(profile_schema).validate(data)
    jsonschema.Draft202012Validator(profile_schema).validate(
        {"extends": "airas-v1", "name": "x", "title": "y", "required_files": [], "commands": {"train": "t"}}
    )
    config_schema = json.loads((ROOT / "schemas" / "config.schema.json").read_text())
    jsonschema.Draft202012Validator(config_schema).validate(
        {"per-file-ignores": {"src/*.py": ["C5"]}, "trial": {"memory-limit": 0}}
    )
