"""The Ray executor on a real local Ray cluster (2 CPUs, no dashboard), started once for this module.

Skips when Ray is not installed (it is the optional `ray` extra). Inputs are the test fixtures and,
where ../shared is present, a spread of corpus traces.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'expcheck[ray]')")

from conftest import CORPUS, ROOT, corpus_index  # noqa: E402
from expcheck.api import check_many, check_with_trial  # noqa: E402
from expcheck.batch import Options, run  # noqa: E402
from expcheck.cli import main  # noqa: E402
from expcheck.executors import Work, judge  # noqa: E402
from expcheck.executors import ray as ray_executor  # noqa: E402
from expcheck.report.schema import Report  # noqa: E402
from expcheck.sandbox import TrialOptions, detect_isolation  # noqa: E402
from test_trial import make_repo  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module", autouse=True)
def cluster() -> object:
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    yield
    ray.shutdown()


def inputs() -> list[str]:
    found = [str(FIXTURES / "trace_v2.txt"), *sorted(str(p) for p in (FIXTURES / "precision").glob("*.txt"))]
    found.append(str(FIXTURES / "no-such-input.txt"))  # unreadable: answered on the driver
    if (CORPUS / "index.jsonl").is_file():
        found += [str(CORPUS / entry["trace"]) for entry in corpus_index()[::20]]
    return found


def dumped(reports: list[Report]) -> list[dict]:
    return [r.model_dump(mode="json") for r in reports]


def test_reports_are_identical_to_the_local_executor_with_one_job() -> None:
    sources = inputs()
    local = list(run(sources, Options(), jobs=1))
    remote = list(ray_executor.run(sources, Options()))
    assert [r.input for r in remote] == sources
    assert dumped(remote) == dumped(local)
    assert any(r.error for r in remote) and any(r.findings for r in remote)


def test_the_python_api_takes_the_executor() -> None:
    sources = inputs()[:4]
    assert dumped(check_many(sources, executor="ray")) == dumped(check_many(sources, jobs=1))


def test_the_cli_writes_the_same_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    sources = [s for s in inputs() if Path(s).exists()][:4]
    assert main(["check", *sources, "--format", "jsonl", "--jobs", "1"]) in (0, 1)
    local = capsys.readouterr().out
    assert main(["check", *sources, "--format", "jsonl", "--executor", "ray"]) in (0, 1)
    assert capsys.readouterr().out == local


def test_a_task_whose_worker_dies_gives_that_input_an_error_report(tmp_path: Path) -> None:
    sources = [s for s in inputs() if Path(s).exists()][:4]
    doomed, flaky = sources[1], sources[2]
    marker = tmp_path / "flaky-died-once"

    def dying_judge(work: Work, options: Options) -> Report:  # sent to the worker by value
        if work.source == doomed:
            os._exit(1)  # every attempt: the worker process is gone
        if work.source == flaky and not marker.exists():
            marker.touch()
            os._exit(1)  # the first attempt only: the retry judges it
        return judge(work, options)

    reports = list(ray_executor.run(sources, Options(), judge_fn=dying_judge))
    local = list(run(sources, Options(), jobs=1))
    assert [r.input for r in reports] == sources
    lost = reports[1]
    assert not lost.ready and [f.rule for f in lost.findings] == ["X001"]
    assert "worker was lost 2 times" in lost.internal_errors[0]
    assert marker.exists()
    survivors = [0, 2, 3]
    assert dumped([reports[i] for i in survivors]) == dumped([local[i] for i in survivors])


def test_the_cli_refuses_ray_options_without_ray(capsys: pytest.CaptureFixture[str]) -> None:
    source = str(FIXTURES / "trace_v2.txt")
    assert main(["check", source, "--trial-gpus", "1"]) == 2
    assert "only apply with --executor ray" in capsys.readouterr().err
    assert main(["check", source, "--executor", "ray", "--trial-gpus", "1"]) == 2
    assert "only apply with --trial" in capsys.readouterr().err


def test_a_trial_runs_a_tiny_cpu_repository_in_a_ray_task(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {})
    options = TrialOptions(env="python", python=sys.executable, timeout=20, network=not detect_isolation().available)
    (checked,) = ray_executor.run_trials([str(repo)], Options(select=("T",)), options)
    local = check_with_trial(str(repo), options, select=["T"])
    assert checked.trial is not None and checked.trial.ran, checked.trial and checked.trial.notes
    assert [run.status for run in checked.trial.runs] == ["ok", "ok"]
    assert checked.report.model_dump(mode="json") == local.report.model_dump(mode="json")
    assert checked.trial.environment is None  # the worker's interpreter path stays on the worker
    assert "expcheck-trial-" not in json.dumps(checked.report.model_dump(mode="json"))


def test_an_input_over_the_time_limit_is_reported_not_judged() -> None:
    sources = [s for s in inputs() if Path(s).exists()][:2]
    slow = sources[0]

    def slow_judge(work: Work, options: Options) -> Report:
        if work.source == slow:
            import time

            time.sleep(30)
        return judge(work, options)

    reports = list(ray_executor.run(sources, Options(), judge_fn=slow_judge, time_limit=1))
    assert reports[0].error is not None and "time limit of 1 s" in reports[0].error
    assert reports[1].error is None and reports[1].input == sources[1]
