"""The pipeline's shapes: in-memory files by bundle key or path, nested run_configs, the files wrapper,
the research context as a mapping; the same shapes through the CLI; typed results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import expcheck
from expcheck import Report, Verdict, check_files
from expcheck.cli import EXIT_READY, main
from expcheck.inputs.bundle import key_to_path

ROOT = Path(__file__).resolve().parent.parent
READY = json.loads((ROOT / "examples" / "ready_bundle.json").read_text(encoding="utf-8"))
CONTEXT = yaml.safe_load((ROOT / "examples" / "ready_context.yaml").read_text(encoding="utf-8"))
RUN_CONFIGS = {run["run_id"]: run["config_yaml"] for run in CONTEXT["experiment_runs"]}


def _by_path(bundle: dict[str, str]) -> dict[str, str]:
    return {key_to_path(k) or k: v for k, v in bundle.items()}


def test_bundle_keys_with_context_mapping() -> None:
    report = check_files(READY, context=CONTEXT)
    assert isinstance(report, Report) and isinstance(report.verdict, Verdict)
    assert report.ready, report.verdict
    assert report.profile == "airas-v2"


def test_repository_paths_with_context_mapping() -> None:
    assert check_files(_by_path(READY), context=CONTEXT).ready


def test_nested_run_configs_are_files_of_the_submission() -> None:
    report = check_files({**READY, "run_configs": RUN_CONFIGS})  # no context at all
    assert report.ready, report.verdict
    assert not [f for f in report.findings if f.rule in ("C709", "C703")]
    runs_gap = [f for f in report.findings if f.rule == "X002" and "experiment run" in f.message]
    assert not runs_gap, "runs are derived from the nested run configs"


def test_nested_run_configs_are_judged_like_files() -> None:
    broken = {**RUN_CONFIGS, next(iter(RUN_CONFIGS)): "run_id: [unclosed\n"}
    report = check_files({**READY, "run_configs": broken})
    assert any(f.rule == "R102" and f.path.startswith("config/runs/") for f in report.findings)


def test_files_wrapper_with_repository_paths() -> None:
    files = {**_by_path(READY), **{f"config/runs/{rid}.yaml": text for rid, text in RUN_CONFIGS.items()}}
    report = check_files({"files": files})
    assert report.ready, report.verdict


def test_files_wrapper_with_bundle_keys_and_nested_run_configs() -> None:
    assert check_files({"files": {**READY, "run_configs": RUN_CONFIGS}}).ready


def test_a_run_config_named_by_an_unsafe_id_is_rejected_not_written() -> None:
    report = check_files({**READY, "run_configs": {**RUN_CONFIGS, "../escape": "run_id: x\n"}})
    assert any(f.rule == "C503" for f in report.findings)


def test_bad_context_mapping_is_a_not_ready_report_not_an_exception() -> None:
    report = check_files(READY, context={"experiment_runs": "not a list"})
    assert report.error and report.verdict is not None and not report.verdict.is_code_ready


@pytest.mark.parametrize(
    "shape",
    [
        {**READY, "run_configs": RUN_CONFIGS},
        {"files": {**READY, "run_configs": RUN_CONFIGS}},
        {"files": {**_by_path(READY), **{f"config/runs/{r}.yaml": t for r, t in RUN_CONFIGS.items()}}},
    ],
    ids=["nested-run-configs", "files-wrapper-keys", "files-wrapper-paths"],
)
def test_cli_accepts_the_same_shapes(tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: dict) -> None:  # type: ignore[type-arg]
    target = tmp_path / "bundle.json"
    target.write_text(json.dumps(shape), encoding="utf-8")
    assert main(["check", str(target), "-f", "verdict"]) == EXIT_READY, capsys.readouterr().out
    assert json.loads(capsys.readouterr().out) == {"is_code_ready": True, "code_issue": ""}


def test_cli_context_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    context = tmp_path / "context.json"
    context.write_text(json.dumps(CONTEXT), encoding="utf-8")
    code = main(["check", str(ROOT / "examples" / "ready_bundle.json"), "--context", str(context), "-f", "verdict"])
    assert code == EXIT_READY and json.loads(capsys.readouterr().out)["is_code_ready"] is True


def test_package_is_typed() -> None:
    assert (Path(expcheck.__file__).parent / "py.typed").is_file()
