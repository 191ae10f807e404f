"""`expcheck fix`: exact repairs, layout and comments kept, idempotent, only named files, CLI and API.

The generic example test (tests/test_rule_examples.py) checks every rule's repair on its examples;
these tests cover what examples cannot show: comments and layout around the edit, the number forms,
the write paths of the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from expcheck.cli import main
from expcheck.facts import Facts
from expcheck.findings import Finding, Severity
from expcheck.fix import fix, fix_files, repair_edits
from expcheck.inputs import load_files
from expcheck.repairs import Edit, apply_edits, replace_whole
from expcheck.repairs.pyproject import poetry_specifier
from expcheck.repairs.yamlnumbers import yaml11_float
from expcheck.rules import REGISTRY, all_rules
from expcheck.rules.examples_repo import MAIN_V2

all_rules()

PYPROJECT_TABLE = """\
# Experiment repository
[project]
name = 'exp'            # single quotes stay
version = "0.1.0"
requires-python = ">=3.11"

[project.dependencies]
torch = ">=2.0"   # CUDA 12 wheels
numpy = "^1.26"

[tool.uv]
package = false   # run as modules
"""


def test_dependencies_table_keeps_everything_else() -> None:
    result = fix_files({"pyproject.toml": PYPROJECT_TABLE}, select=["R2"])
    new = result.files["pyproject.toml"]
    assert new == (
        "# Experiment repository\n[project]\nname = 'exp'            # single quotes stay\n"
        'version = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = [\n    "torch>=2.0", # CUDA 12 wheels\n'
        '    "numpy>=1.26,<2.0",\n]\n\n[tool.uv]\npackage = false   # run as modules\n'
    )
    assert result.after is not None and not [f for f in result.after.findings if f.rule.startswith("R20")]
    again = fix_files({"pyproject.toml": new}, select=["R2"])
    assert not again.changed and not again.repairs


def test_poetry_repair_only_inserts() -> None:
    text = (
        "# generated\n[tool.poetry]\nname = \"exp\"\nversion = \"0.2.0\"\ndescription = 'an experiment'\n\n"
        '[tool.poetry.dependencies]\npython = "^3.10"\ntorch = {version = "^2.1", extras = ["cuda"]}  # big\n'
        'scikit-learn = "~1.4"\n\n[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'
    )
    result = fix_files({"pyproject.toml": text, "src/main.py": "print(1)\n"}, select=["R2"])
    new = result.files["pyproject.toml"]
    # The original text is all still there, in order: the repair only inserted [project] (and [tool.uv]).
    assert new.startswith("# generated\n# Written by `expcheck fix`")
    rest = text[text.index("\n[tool.poetry]\n") :]
    assert new[new.index("\n[tool.poetry]\n") :].startswith(rest)
    project = __import__("tomllib").loads(new)["project"]
    assert project == {
        "name": "exp",
        "version": "0.2.0",
        "description": "an experiment",
        "requires-python": ">=3.10,<4.0",
        "dependencies": ["torch[cuda]>=2.1,<3.0", "scikit-learn>=1.4,<1.5"],
    }
    # poetry-core finds no package named exp: R208, unmasked by the new [project], is repaired too.
    assert {r.rule for r in result.repairs} == {"R202", "R208"}
    assert new.endswith("[tool.uv]\npackage = false\n")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0", ">=0,<1"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1", ">=1,<2"),
        ("*", ""),
        (">=2.0,<3", ">=2.0,<3"),
        ("2.0", "==2.0"),
        ("^1.0rc1", None),
        ("^1.2 || ^2.0", None),
        ("latest", None),
    ],
)
def test_poetry_constraints(spec: str, expected: str | None) -> None:
    assert poetry_specifier(spec) == expected


@pytest.mark.parametrize("text", ["1e-3", "5e-4", "1.0e3", "2E5", "-3e-2", "+1e-7", "1_000e-3", "7.e3"])
def test_yaml_numbers_become_floats_for_pyyaml_and_omegaconf(text: str) -> None:
    new = yaml11_float(text)
    assert new is not None
    assert yaml.safe_load(new) == float(text.replace("_", ""))
    assert isinstance(yaml.safe_load(new), float)
    assert OmegaConf.create(f"x: {new}").x == float(text.replace("_", ""))


def test_yaml_number_repair_keeps_the_line() -> None:
    example = REGISTRY["R407"].bad[0]
    files = dict(example.files)
    files["config/smoke_test.yaml"] = (
        "# smoke test\nruns:\n  - run_id: baseline\n    training:\n      lr:   1e-3   # small\n      epochs: 1\n"
    )
    result = fix_files(files, profile=example.profile)
    assert result.files["config/smoke_test.yaml"] == files["config/smoke_test.yaml"].replace("1e-3", "1.0e-3")
    assert result.after is not None and not [f for f in result.after.findings if f.rule == "R407"]


def test_hydra_node_repair_adds_the_import_once() -> None:
    main_py = MAIN_V2.replace(
        "    print(cfg.run.training.lr, cfg.results_dir)\n",
        '    print(cfg.hydra.runtime.choices)\n    out = cfg["hydra"].runtime.output_dir  # where Hydra writes\n',
    )
    result = fix_files({"src/main.py": main_py, "config/config.yaml": "run: ???\n"}, select=["C206"])
    new = result.files["src/main.py"]
    assert new.count("from hydra.core.hydra_config import HydraConfig\n") == 1
    assert "print(HydraConfig.get().runtime.choices)" in new
    assert "out = HydraConfig.get().runtime.output_dir  # where Hydra writes" in new
    assert "cfg.hydra" not in new and 'cfg["hydra"]' not in new


def test_hydra_node_written_is_left_alone() -> None:
    main_py = MAIN_V2.replace("    print(cfg.run.training.lr, cfg.results_dir)\n", "    HydraConfig = 1\n    print(cfg.hydra.job)\n")
    result = fix_files({"src/main.py": main_py, "config/config.yaml": "run: ???\n"}, select=["C206"])
    assert not result.changed  # the name HydraConfig means something else in this module
    assert result.before is not None and result.before.findings and not result.before.findings[0].fixable


def test_version_base_not_added_when_hydra_is_pinned_below_1_3() -> None:
    files = {
        "src/main.py": MAIN_V2.replace(', version_base="1.3"', ""),
        "pyproject.toml": '[project]\nname = "e"\nversion = "0"\ndependencies = ["hydra-core==1.2.0"]\n',
    }
    result = fix_files(files, select=["C203"])
    assert not result.changed


def test_edits_on_files_the_finding_does_not_name_are_dropped() -> None:
    from dataclasses import replace

    loaded = load_files({"src/main.py": "x = 1\n", "src/train.py": "y = 2\n"})
    facts = Facts(loaded.submission, loaded.profile)
    finding = Finding(rule="X", criterion="R", severity=Severity.ERROR, path="src/main.py", line=1, message="m")
    rule = replace(
        REGISTRY["C203"],
        repair=lambda _f, _x: [Edit("src/train.py", 0, 1, "z"), Edit("src/main.py", 0, 1, "w"), Edit("src/main.py", 0, 99, "")],
    )
    assert repair_edits(facts, rule, finding) == [Edit("src/main.py", 0, 1, "w")]


def test_overlapping_edits_apply_once() -> None:
    text, applied = apply_edits("abcdef", [Edit("f", 1, 3, "X"), Edit("f", 2, 4, "Y"), Edit("f", 1, 3, "X")])
    assert text == "aXdef" and len(applied) == 1
    assert replace_whole("f", "a b c", "a bb c") == [Edit("f", 3, 3, "b")]


def test_verdict_marks_fixable_findings() -> None:
    example = REGISTRY["R203"].bad[0]
    from expcheck import check_files

    report = check_files(dict(example.files))
    r203 = [f for f in report.findings if f.rule == "R203"]
    assert r203 and all(f.fixable for f in r203)
    line = next(line for line in report.verdict.code_issue.splitlines() if "[R203]" in line)
    assert line.endswith("[fixable: expcheck fix]")
    assert not any("[fixable" in line for line in report.verdict.code_issue.splitlines() if "[C501]" in line)


# Command line


def _repo(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "config").mkdir()
    (root / "src" / "main.py").write_text(MAIN_V2.replace(', version_base="1.3"', ""))
    (root / "config" / "config.yaml").write_text("run: ???\nresults_dir: results\nmode: full\n")
    (root / "pyproject.toml").write_bytes(PYPROJECT_TABLE.replace("\n", "\r\n").encode())
    return root


def test_cli_fix_prints_a_diff_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "repo")
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    code = main(["fix", str(repo)])
    out, err = capsys.readouterr()
    assert code == 1  # other defects remain (missing files)
    assert "--- a/pyproject.toml" in out and "+++ b/src/main.py" in out and '+    "torch>=2.0",' in out
    assert "after fix: NOT READY" in err
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


def test_cli_fix_write_then_nothing_left(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "repo")
    main(["fix", str(repo), "--write"])
    capsys.readouterr()
    data = (repo / "pyproject.toml").read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")  # CRLF kept
    assert 'version_base="1.3"' in (repo / "src" / "main.py").read_text()
    main(["fix", str(repo)])
    out, err = capsys.readouterr()
    assert out == "" and "nothing to repair" in err


def test_cli_fix_output_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = REGISTRY["R203"].bad[0]
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps({"pyproject_toml": example.files["pyproject.toml"], "id": 7}))
    out_file = tmp_path / "fixed.json"
    main(["fix", str(bundle), "--output", str(out_file)])
    capsys.readouterr()
    fixed = json.loads(out_file.read_text())
    assert fixed["id"] == 7 and fixed["pyproject_toml"] == example.repaired["pyproject.toml"]  # type: ignore[index]
    assert main(["fix", str(bundle), "--write"]) == 2
    assert "--output" in capsys.readouterr().err


def test_cli_fix_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    assert main(["fix", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_check_fix_repairs_in_place_and_reports_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "repo")
    code = main(["check", str(repo), "--fix", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1
    rules = {f["rule"] for r in json.loads(out)["reports"] for f in r["findings"]}
    assert not rules & {"R203", "C203"}
    assert "fixed" in err and 'version_base="1.3"' in (repo / "src" / "main.py").read_text()


def test_api_returns_edits_and_files(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    result = fix(str(repo))
    assert result.changed == ["pyproject.toml", "src/main.py"]
    # R501 (hydra undeclared) was hidden by the dependency table and is repaired once it is a list.
    assert {r.rule for r in result.repairs} == {"R203", "C203", "R501"}
    assert result.after is not None and result.before is not None
    assert not {f.rule for f in result.after.findings} & {"R203", "C203", "R501"}
    assert '    "numpy>=1.26,<2.0",\n    "hydra-core",\n]' in result.files["pyproject.toml"]


def test_fix_help_runs() -> None:
    proc = subprocess.run([sys.executable, "-m", "expcheck", "fix", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "--output" in proc.stdout


def test_diff_applies_with_patch(tmp_path: Path) -> None:
    import shutil

    if shutil.which("patch") is None:
        pytest.skip("patch not installed")
    text = '[project]\nname = "e"\nversion = "0"\n\n[project.dependencies]\ntorch = "*"'  # no final newline
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "pyproject.toml").write_text(text)
    result = fix_files({"pyproject.toml": text}, select=["R203"])
    proc = subprocess.run(["patch", "-p1"], input=result.diff(), cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (repo / "pyproject.toml").read_text() == result.files["pyproject.toml"]


def test_repaired_submission_keeps_the_contract_state() -> None:
    """The re-check judges the repaired files by the same profile and contract clauses as the first check."""
    from dataclasses import replace

    from expcheck.fix import _with_texts

    loaded = load_files({"pyproject.toml": "x = 1\n"}, "airas-v1")
    marked = replace(loaded, clauses=["sentinel"])  # type: ignore[list-item]
    again = _with_texts(marked, {"pyproject.toml": "x = 2\n"})
    assert again.clauses == ["sentinel"] and again.profile is loaded.profile and again.choice == loaded.choice
    assert again.submission.files["pyproject.toml"].text == "x = 2\n"
    assert loaded.submission.files["pyproject.toml"].text == "x = 1\n"


def test_write_refuses_a_file_replaced_by_a_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "repo")
    result = fix(str(repo))
    outside = tmp_path / "outside.toml"
    outside.write_bytes((repo / "pyproject.toml").read_bytes())
    (repo / "pyproject.toml").unlink()
    (repo / "pyproject.toml").symlink_to(outside)
    from expcheck.errors import InputError
    from expcheck.fix import write_directory

    with pytest.raises(InputError):
        write_directory(result, str(repo))
    assert outside.read_bytes() == PYPROJECT_TABLE.replace("\n", "\r\n").encode()


def test_repairs_count_lines_as_the_parser_does() -> None:
    """A module whose lines end in a lone carriage return: Python reads its lines as usual, and the repair
    places its edit on the decorator's line (counting only "\\n" put every line at offset 0 and the C203
    repair died with an IndexError, an internal error)."""
    ending = "\r"
    main_py = MAIN_V2.replace(', version_base="1.3"', "").replace("\n", ending)
    result = fix_files({"src/main.py": main_py, "config/config.yaml": "run: ???\n"}, select=["C203"])
    assert result.before is not None and not result.before.internal_errors
    new = result.files["src/main.py"]
    assert new == MAIN_V2.replace("\n", ending)
