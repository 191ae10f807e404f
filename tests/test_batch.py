"""Batch inputs: globs, folders of traces, index files, order kept, and the same reports with --jobs 2."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from expcheck.batch import Options, Progress, expand, judge, run
from expcheck.report.schema import Report

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "traces"
    (folder / "a").mkdir(parents=True)
    shutil.copy(FIXTURES / "trace_v2.txt", folder / "a" / "t1.txt")
    shutil.copy(EXAMPLES / "ready_bundle.json", folder / "b.json")
    return folder


def test_expand_folder_glob_and_index(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert expand([str(folder)]) == [str(folder / "a" / "t1.txt"), str(folder / "b.json")]
    assert expand([str(folder / "*.json")]) == [str(folder / "b.json")]
    index = tmp_path / "index.jsonl"
    index.write_text(json.dumps({"trace": "traces/b.json"}) + "\n" + json.dumps({"trace": "traces/a/t1.txt"}) + "\n")
    assert expand([str(index)]) == [str(tmp_path / "traces/b.json"), str(tmp_path / "traces/a/t1.txt")]
    assert expand(["no-such-*.txt"]) == ["no-such-*.txt"]  # kept, so the reader can say it is missing


def test_experiment_repo_folder_is_one_input(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    assert expand([str(tmp_path)]) == [str(tmp_path)]


def test_jobs_two_gives_the_same_reports_in_order(tmp_path: Path) -> None:
    sources = expand([str(_folder(tmp_path))]) * 3
    one = [r.model_dump() for r in run(sources, Options(), jobs=1)]
    two = [r.model_dump() for r in run(sources, Options(), jobs=2)]
    assert one == two
    assert [r["input"] for r in one] == sources


def test_progress_bar_only_on_a_terminal() -> None:
    stream = io.StringIO()
    bar = Progress(3, stream, enabled=True)
    for name in ("a", "b", "c"):
        bar.step(name)
    assert "3/3" in stream.getvalue() and stream.getvalue().endswith("\n")
    quiet = io.StringIO()
    Progress(3, quiet).step("a")  # StringIO is not a terminal
    assert quiet.getvalue() == ""


# --- one input's crash, death or hang is that input's report; the batch ends cleanly on signals ---

READY = str(EXAMPLES / "ready_bundle.json")
CONTEXT = str(EXAMPLES / "ready_context.yaml")  # the runs the ready bundle is ready for
WITH_CONTEXT = Options(context=CONTEXT)


def _hostile_judge(task: tuple[str, Options]) -> Report:
    """The real judge, except for inputs named to crash the process in the ways a parser can."""
    name = Path(task[0]).name
    if name == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if name == "exit":
        os._exit(7)
    if name == "hang":
        time.sleep(3600)
    if name == "raise":
        raise RuntimeError("a bug")
    return judge(task)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_crash_death_or_hang_of_one_input_is_that_inputs_report(jobs: int, tmp_path: Path) -> None:
    sources = [READY, "segfault", READY, "exit", "hang", "raise", READY]
    reports = list(run(sources, WITH_CONTEXT, jobs=jobs, time_limit=3, judge=_hostile_judge))
    assert [r.input for r in reports] == sources
    assert [r.ready for r in reports] == [True, False, True, False, False, False, True]
    errors = [r.error or "" for r in reports]
    assert "killed by SIGSEGV" in errors[1]
    assert "exited with status 7" in errors[3]
    assert "time limit of 3 s" in errors[4]
    assert "RuntimeError: a bug" in errors[5]
    assert all(r.verdict is not None and not r.verdict.is_code_ready for r in reports if r.error)
    # The verdict says the input was not judged (not that it was unreadable), and why.
    issue = reports[1].verdict.code_issue if reports[1].verdict else ""
    assert issue.startswith("expcheck could not judge the input:") and "SIGSEGV" in issue


def test_a_batch_leaves_no_folder_and_no_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    reports = list(run([READY, "segfault", "hang", READY], WITH_CONTEXT, jobs=2, time_limit=2, judge=_hostile_judge))
    assert len(reports) == 4
    assert list(tmp_path.iterdir()) == []
    assert multiprocessing.active_children() == []


def test_deeply_nested_yaml_does_not_take_the_batch_down(tmp_path: Path) -> None:
    """libyaml overflows the C stack on YAML nested 100,000 deep (exit 139 without isolation). Whether
    the reader refuses it or the worker dies, the input gets its own report and the others complete."""
    bundle = json.loads(Path(READY).read_text())
    bundle["config_yaml"] = "a: " + "[" * 100_000 + "]" * 100_000
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps(bundle))
    from expcheck.sandbox.bwrap import find_bwrap

    with_context = ["--context", CONTEXT]
    variants = [["--jobs", "1", *with_context], ["--jobs", "2", *with_context]]
    if find_bwrap()[0] is not None:  # the trial path judges each input in a worker too (no runs: no trial)
        variants.append(["--trial", "--python", sys.executable])
    for extra in variants:
        proc = subprocess.run(
            [sys.executable, "-m", "expcheck", "check", READY, str(deep), READY, "-f", "jsonl", *extra],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
        lines = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [line["input"] for line in lines] == [READY, str(deep), READY], proc.stderr
        if "--context" in extra:
            assert lines[0]["verdict"]["is_code_ready"] and lines[2]["verdict"]["is_code_ready"]
        assert lines[0]["error"] is None and lines[2]["error"] is None
        assert not (lines[1]["verdict"] or {}).get("is_code_ready")
        assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep.json"]


_DRIVER = """
import os, sys, time
from pathlib import Path
from expcheck.batch import Options, run

def slow(task):
    Path(sys.argv[1], str(os.getpid())).write_text("")
    time.sleep(3600)

print("started", flush=True)
for report in run(["a", "b", "c", "d"], Options(), jobs=2, judge=slow):
    print(report.input, flush=True)
"""


def _start_driver(tmp_path: Path) -> tuple[subprocess.Popen[str], Path, Path]:
    pids, temp = tmp_path / "pids", tmp_path / "temp"
    pids.mkdir()
    temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, str(pids)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    deadline = time.monotonic() + 60
    while len(list(pids.iterdir())) < 2:
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.05)
    return proc, pids, temp


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie has exited; only its parent (here: init) has yet to reap it.
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"


@pytest.mark.parametrize("how", ["SIGINT to the group", "SIGTERM to the main process", "SIGKILL"])
def test_a_signal_ends_the_batch_kills_the_workers_and_leaves_no_folder(how: str, tmp_path: Path) -> None:
    proc, pids, temp = _start_driver(tmp_path)
    workers = [int(p.name) for p in pids.iterdir()]
    assert any(temp.iterdir())  # the batch's folder exists while it runs
    start = time.monotonic()
    if how == "SIGINT to the group":
        os.killpg(proc.pid, signal.SIGINT)
    elif how == "SIGTERM to the main process":
        proc.terminate()
    else:
        proc.kill()
    _, stderr = proc.communicate(timeout=10)
    assert time.monotonic() - start < 5
    deadline = time.monotonic() + 5
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in workers), "a worker outlived the batch"
    if how == "SIGKILL":
        # Nothing can clean up after SIGKILL; the next batch removes the dead batch's folder.
        from expcheck.pool import sweep_stale

        sweep_stale(str(temp))
    assert list(temp.iterdir()) == [], stderr


def test_ctrl_c_ends_a_cli_batch_within_seconds(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "expcheck", "check", *([READY] * 400), "--jobs", "2", "-f", "jsonl", "--context", CONTEXT],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith("expcheck-batch-") for p in tmp_path.iterdir()):  # the workers run
        assert time.monotonic() < deadline and proc.poll() is None, "the batch never started"
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    start = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=10)
    assert time.monotonic() - start < 5
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    assert list(tmp_path.iterdir()) == []


def _greedy_judge(task: tuple[str, Options]) -> Report:
    if Path(task[0]).name == "greedy":
        import resource

        if resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY:
            return Report.failed(task[0], "the worker has no memory limit")  # fails the test, safely
        hoard = [bytes(2**28) for _ in range(1000)]  # 250 GiB of untouched pages: more than a worker may have
        return Report.failed(task[0], f"unreachable {len(hoard)}")
    return judge(task)


def test_an_input_that_needs_too_much_memory_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import expcheck.pool

    monkeypatch.setattr(expcheck.pool, "default_memory_limit", lambda workers: 2 * 2**30)
    reports = list(run([READY, "greedy", READY], WITH_CONTEXT, jobs=1, judge=_greedy_judge))
    assert [r.ready for r in reports] == [True, False, True]
    assert "a worker may use" in (reports[1].error or "")


def test_an_audit_batch_survives_an_input_that_crashes_the_parser(tmp_path: Path) -> None:
    bundle = json.loads(Path(READY).read_text())
    bundle["config_yaml"] = "a: " + "[" * 100_000 + "]" * 100_000
    deep = tmp_path / "deep.txt"
    verdict = '{"is_code_ready": false, "code_issue": "bad"}'
    deep.write_text(f"LLM Name: x\nInput:\n{json.dumps(bundle)}\nOutput:\n{verdict}\n")
    trace = str(FIXTURES / "trace_v2.txt")
    proc = subprocess.run(
        [sys.executable, "-m", "expcheck", "audit", trace, str(deep), trace, "-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    audits = json.loads(proc.stdout)["audits"]
    assert [a["input"] for a in audits] == [trace, str(deep), trace], proc.stderr
    assert audits[0]["error"] is None and audits[2]["error"] is None
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep.txt"]
def test_the_ray_executor_without_ray_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from expcheck.api import check_many
    from expcheck.cli import main
    from expcheck.errors import InputError

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert main(["check", str(FIXTURES / "trace_v2.txt"), "--executor", "ray"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'expcheck[ray]'" in err and "Traceback" not in err
    with pytest.raises(InputError, match="expcheck\\[ray\\]"):
        check_many([str(FIXTURES / "trace_v2.txt")], executor="ray")
    with pytest.raises(InputError, match="unknown executor"):
        check_many([str(FIXTURES / "trace_v2.txt")], executor="dask")
