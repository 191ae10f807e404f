"""The trial mode for real: small repositories of our own run in the sandbox, each ending a known way.

Every repository here needs only the standard library, Hydra and OmegaConf (the test interpreter
has them), runs on CPU in well under a second, and downloads nothing. Tests that need the network
off skip where no network namespace works on this machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from expcheck.api import check_with_trial
from expcheck.findings import Finding
from expcheck.inputs import load_files
from expcheck.profiles import load_profile
from expcheck.sandbox import TrialOptions, TrialRefused, detect_isolation, prepare, run_trial
from expcheck.sandbox.bwrap import find_bwrap
from expcheck.sandbox.materialise import write_files
from expcheck.sandbox.outcome import carried_on, final_crash, parse_crashes, parse_printed
from expcheck.sandbox.runner import plan_runs
from expcheck.submission import RunSpec, SourceFile, Submission

SANDBOXED = find_bwrap()[0] is not None
# Where bubblewrap cannot run, the tests accept the weaker isolation (and the CLI tests pass the flag).
WEAK = not SANDBOXED
WEAK_FLAGS = ["--weak-isolation"] if WEAK else []
ISOLATED = SANDBOXED or detect_isolation().available
needs_isolation = pytest.mark.skipif(
    not ISOLATED, reason=f"network isolation {detect_isolation().description}; the network-off trial cannot run"
)
needs_sandbox = pytest.mark.skipif(not SANDBOXED, reason=f"the sandbox cannot run here: {find_bwrap()[1]}")
PYTHON = TrialOptions(env="python", python=sys.executable, timeout=20, network=not ISOLATED, weak_isolation=WEAK)

HYDRA_MAIN = """\
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

ROOT = Path(__file__).resolve().parents[1]


@hydra.main(config_path="../config", config_name="config", version_base=None)
def main(cfg: DictConfig) -> None:
    run = OmegaConf.load(ROOT / "config" / "runs" / f"{cfg.run}.yaml")
    epochs = 1 if cfg.mode == "trial" else run.training.epochs
    from src.train import train

    train(run, epochs, Path(cfg.results_dir))


if __name__ == "__main__":
    main()
"""
TRAIN = """\
import json
from pathlib import Path


def train(run, epochs: int, results_dir: Path) -> None:
    w = 2.0
    lr = run.training.learning_rate
    for step in range(4 * epochs):
        loss = (w - 0.5) ** 2
        w -= lr * 2 * (w - 0.5)
        print(f"step={step} train_loss={loss:.6f}")
    out = results_dir / run.run_id
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps({"final_loss": loss}))
"""
CONFIG = "run: ???\nresults_dir: results\nmode: full\n"


def run_config(run_id: str, method: str, lr: str | None = "0.1") -> str:
    training = f"training:\n  epochs: 3\n  learning_rate: {lr}\n" if lr else "training:\n  epochs: 3\n"
    return f"run_id: {run_id}\nmethod: {method}\n{training}"


def make_repo(root: Path, files: dict[str, str]) -> Path:
    base = {
        "src/main.py": HYDRA_MAIN,
        "src/train.py": TRAIN,
        "config/config.yaml": CONFIG,
        "config/runs/proposed.yaml": run_config("proposed", "proposed", "0.1"),
        "config/runs/baseline.yaml": run_config("baseline", "baseline", "0.05"),
        "pyproject.toml": '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n',
    }
    for path, text in {**base, **files}.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def trial_findings(repo: Path, options: TrialOptions = PYTHON) -> tuple[list[Finding], object]:
    checked = check_with_trial(str(repo), options, select=["T"])
    assert checked.report.error is None, checked.report.error
    assert not checked.report.internal_errors, checked.report.internal_errors
    return checked.report.findings, checked.trial


def rules_of(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


# --- the four endings the issue names -------------------------------------------------------------


def test_a_working_repo_passes(tmp_path: Path) -> None:
    findings, trial = trial_findings(make_repo(tmp_path, {}))
    assert findings == []
    assert trial.ran and [run.status for run in trial.runs] == ["ok", "ok"]
    assert {run.label for run in trial.runs} == {"proposed", "baseline"}
    for run in trial.runs:
        assert run.command[-1] == "mode=trial"
        assert f"results/{run.label}/metrics.json" in run.new_files
        assert run.printed["train_loss"][0].value == pytest.approx(2.25)


def test_a_config_error_is_a_crash_at_the_reading_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"config/runs/baseline.yaml": run_config("baseline", "baseline", lr=None)})
    findings, trial = trial_findings(repo)
    assert rules_of(findings) == {"T102"}
    (finding,) = findings
    assert (finding.path, finding.line) == ("src/train.py", 7)
    assert finding.severity.value == "error"
    assert "ConfigAttributeError" in finding.message and "learning_rate" in finding.message
    assert "`baseline`" in finding.message and "`proposed`" not in finding.message
    assert "full_key: training.learning_rate" in finding.evidence
    assert "run=baseline" in finding.fix
    assert [run.status for run in trial.runs] == ["failed", "ok"] or [run.status for run in trial.runs] == [
        "ok",
        "failed",
    ]


def test_the_same_crash_in_every_run_is_one_finding(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"src/train.py": TRAIN.replace("run.training.learning_rate", "run.training.lr")})
    findings, _ = trial_findings(repo)
    (finding,) = findings
    assert finding.rule == "T102" and "trial runs" in finding.message
    assert "`baseline`" in finding.message and "`proposed`" in finding.message


def processes_with(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line holds ``marker``; a sandbox's processes included."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes() and "zombie" not in (entry / "status").read_text():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_until_gone(marker: str, seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_a_hanging_run_times_out_and_its_whole_group_is_killed(tmp_path: Path) -> None:
    marker = f"expcheck-test-child-{uuid.uuid4().hex}"
    hang = f"""\
import subprocess
import sys
import time
from pathlib import Path


def train(run, epochs, results_dir):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", {marker!r}])
    print("child", child.pid, flush=True)
    while True:
        time.sleep(0.05)
"""
    repo = make_repo(tmp_path / "repo", {"src/train.py": hang, "config/runs/baseline.yaml": ""})
    (repo / "config/runs/baseline.yaml").unlink()
    options = TrialOptions(env="python", python=sys.executable, timeout=6, network=not ISOLATED, weak_isolation=WEAK)
    start = time.monotonic()
    findings, trial = trial_findings(repo, options)
    assert time.monotonic() - start < 25
    assert len(findings) == 1, [(f.rule, f.message) for f in findings]
    (finding,) = findings
    assert finding.rule == "T103" and finding.criterion == "C9"
    assert (finding.path, finding.line) == ("src/train.py", 11)
    assert "6 s" in finding.message
    assert trial.runs[0].status == "timeout"
    assert "child" in trial.runs[0].output_tail
    assert wait_until_gone(marker) == [], "the run's child process survived the timeout"


@needs_isolation
def test_a_network_connection_with_the_network_off_is_reported(tmp_path: Path) -> None:
    fetch = """\
import socket


def train(run, epochs, results_dir):
    print("fetching the dataset")
    with socket.create_connection(("127.0.0.1", 9), timeout=3) as conn:
        conn.sendall(b"GET")
"""
    repo = make_repo(tmp_path, {"src/train.py": fetch})
    options = TrialOptions(env="python", python=sys.executable, timeout=20, weak_isolation=WEAK)
    findings, trial = trial_findings(repo, options)
    assert rules_of(findings) == {"T104"}
    (finding,) = findings
    assert (finding.path, finding.line) == ("src/train.py", 6)
    assert finding.severity.value == "warning"
    assert trial.network == "isolated"


@needs_isolation
def test_a_public_address_is_unreachable_too(tmp_path: Path) -> None:
    fetch = """\
import socket


def train(run, epochs, results_dir):
    socket.create_connection(("1.1.1.1", 443), timeout=3).close()
"""
    findings, _ = trial_findings(
        make_repo(tmp_path, {"src/train.py": fetch}),
        TrialOptions(env="python", python=sys.executable, timeout=20, weak_isolation=WEAK),
    )
    assert rules_of(findings) == {"T104"}


@needs_isolation
def test_a_download_failure_the_run_survives_is_reported_as_network_not_as_a_defect(tmp_path: Path) -> None:
    tolerant = """\
import urllib.request


def fetch():
    return urllib.request.urlopen("https://data.example.org/train.csv", timeout=5).read()


def train(run, epochs, results_dir):
    try:
        fetch()
    except OSError as exc:
        raise RuntimeError("could not load the training data") from exc
"""
    launcher = "import subprocess\nimport sys\n\n\ndef train(run, epochs, results_dir):\n"
    launcher += "    subprocess.run([sys.executable, '-c', 'from src.data import train; train(None, 1, None)'])\n"
    launcher += "    print('data step failed; continuing')\n"
    repo = make_repo(tmp_path, {"src/data.py": tolerant, "src/train.py": launcher})
    findings, trial = trial_findings(
        repo, TrialOptions(env="python", python=sys.executable, timeout=20, weak_isolation=WEAK)
    )
    assert [run.status for run in trial.runs] == ["ok", "ok"]
    assert rules_of(findings) == {"T104"}
    assert {(f.path, f.line) for f in findings} == {("src/data.py", 12)}
    assert "carried on" in findings[0].message


def test_with_network_allowed_a_refused_connection_is_a_plain_crash(tmp_path: Path) -> None:
    fetch = """\
import socket


def train(run, epochs, results_dir):
    socket.create_connection(("127.0.0.1", 9), timeout=3).close()
"""
    options = TrialOptions(env="python", python=sys.executable, timeout=20, network=True, weak_isolation=WEAK)
    findings, trial = trial_findings(make_repo(tmp_path, {"src/train.py": fetch}), options)
    assert rules_of(findings) == {"T102"}
    assert "ConnectionRefusedError" in findings[0].message
    assert trial.network == "allowed"


# --- limits and refusals ------------------------------------------------------------------------


def test_the_memory_limit_turns_a_huge_allocation_into_an_error(tmp_path: Path) -> None:
    greedy = "def train(run, epochs, results_dir):\n    block = bytearray(8 * 2**30)\n    print(len(block))\n"
    options = TrialOptions(
        env="python", python=sys.executable, timeout=20, network=not ISOLATED, memory_mb=1024, weak_isolation=WEAK
    )
    findings, _ = trial_findings(make_repo(tmp_path, {"src/train.py": greedy}), options)
    assert rules_of(findings) == {"T102"}
    assert "MemoryError" in findings[0].message and findings[0].line == 2


def test_without_bubblewrap_the_trial_refuses_unless_the_weaker_isolation_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from expcheck.sandbox import isolation, trial

    monkeypatch.setattr(trial, "find_bwrap", lambda: (None, "bubblewrap is not installed (test)"))
    with pytest.raises(TrialRefused, match=r"bubblewrap is not installed \(test\).*--weak-isolation"):
        prepare(TrialOptions(env="python", python=sys.executable))
    missing = isolation.Isolation(False, (), "not available: test")
    monkeypatch.setattr(trial, "detect_isolation", lambda: missing)
    with pytest.raises(TrialRefused, match="--network"):
        prepare(TrialOptions(env="python", python=sys.executable, weak_isolation=True))
    weak = prepare(TrialOptions(env="python", python=sys.executable, network=True, weak_isolation=True))
    assert weak.isolation is missing and weak.sandbox is None


def test_a_bad_interpreter_is_refused_before_anything_runs() -> None:
    with pytest.raises(Exception, match="not an executable"):
        prepare(TrialOptions(env="python", python="/nonexistent/python", network=True, weak_isolation=WEAK))


# --- the command per profile ------------------------------------------------------------------------


def test_trial_commands_follow_the_profile() -> None:
    runs = [RunSpec(run_id="r1")]
    v2 = plan_runs(load_profile("airas-v2"), runs, "/t/results")
    assert v2.runs[0].args == ("-u", "-m", "src.main", "run=r1", "results_dir=/t/results", "mode=trial")
    v1 = plan_runs(load_profile("airas-v1"), runs, "/t/results")
    assert v1.runs[0].args[-1] == "trial_mode=true"
    early = plan_runs(load_profile("airas-v1-early"), runs, "/t/results")
    assert early.runs == () and "no trial mode" in (early.refusal or "")
    v0 = plan_runs(load_profile("airas-v0-derived"), [], "/t/results")
    assert v0.runs[0].args == ("-m", "src.main", "--smoke-test", "--results-dir", "/t/results")
    none = plan_runs(load_profile("airas-v2"), [], "/t/results")
    assert none.runs == () and "no experiment runs" in (none.refusal or "")


def test_a_run_id_hydra_cannot_take_unquoted_is_not_tried() -> None:
    runs = [RunSpec(run_id="ResNet-18 (11M)"), RunSpec(run_id="resnet18-cifar10")]
    plan = plan_runs(load_profile("airas-v2"), runs, "/t/results")
    assert [run.run_id for run in plan.runs] == ["resnet18-cifar10"]
    assert "ResNet-18 (11M)" in plan.skipped[0]
    alone = plan_runs(load_profile("airas-v2"), runs[:1], "/t/results")
    assert alone.runs == () and "plain Hydra override" in (alone.refusal or "")


def test_a_python_started_by_name_is_the_trial_interpreter(tmp_path: Path) -> None:
    launcher = """\
import subprocess


def train(run, epochs, results_dir):
    subprocess.run(["python", "-c", "import omegaconf; print('child ok')"], check=True)
"""
    findings, trial = trial_findings(make_repo(tmp_path, {"src/train.py": launcher}))
    assert findings == [] and "child ok" in trial.runs[0].output_tail


def test_terminating_expcheck_kills_the_run_and_removes_the_folder(tmp_path: Path) -> None:
    marker = f"expcheck-test-run-{uuid.uuid4().hex}"
    hang = f"""\
import subprocess
import sys
import time


def train(run, epochs, results_dir):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", {marker!r}])
    while True:
        time.sleep(0.05)
"""
    repo = make_repo(tmp_path / "repo", {"src/train.py": hang})
    network = [] if ISOLATED else ["--network"]
    command = [
        sys.executable,
        "-m",
        "expcheck",
        "check",
        str(repo),
        "--trial",
        "--python",
        sys.executable,
        *network,
        *WEAK_FLAGS,
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if processes_with(marker):
                break
            time.sleep(0.05)
        (child,) = processes_with(marker)
        folder = os.readlink(f"/proc/{child}/cwd")  # the trial folder: the same path inside the sandbox
        proc.terminate()
        proc.wait(timeout=20)
    finally:
        proc.kill()
    assert "expcheck-trial-" in folder and not Path(folder).exists()
    assert wait_until_gone(marker) == []


def test_a_profile_without_trial_mode_is_not_run() -> None:
    loaded = load_files({"src/main.py": "print('full run')\n"}, "airas-v1-early", [RunSpec("r1", config_text="a: 1\n")])
    result = run_trial(loaded, prepare(PYTHON))
    assert not result.ran and result.runs == ()
    assert "no trial mode" in result.notes[-1]


# --- materialising --------------------------------------------------------------------------------


def test_materialise_writes_inside_the_folder_only(tmp_path: Path) -> None:
    root = tmp_path / "trial"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    files = {
        name: SourceFile(path=name, text="x = 1\n")
        for name in ("src/main.py", "../escape.py", "/abs/evil.py", "src//double.py", "a/../../b.py")
    }
    files["bin.dat"] = SourceFile(path="bin.dat", text="", unreadable="binary")
    made = write_files(Submission(source="<t>", kind="bundle", files=files), root)
    assert made.written == ("src/main.py",)
    assert {name for name, _ in made.skipped} == {
        "../escape.py",
        "/abs/evil.py",
        "src//double.py",
        "a/../../b.py",
        "bin.dat",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside", "trial"]
    assert not (tmp_path / "escape.py").exists()


def test_materialise_never_writes_through_a_link(tmp_path: Path) -> None:
    root = tmp_path / "trial"
    (root / "src").mkdir(parents=True)
    victim = tmp_path / "victim.py"
    victim.write_text("original\n")
    (root / "src" / "main.py").symlink_to(victim)
    made = write_files(
        Submission(source="<t>", kind="bundle", files={"src/main.py": SourceFile("src/main.py", "x\n")}), root
    )
    assert made.written == () and victim.read_text() == "original\n"


def test_the_trial_folder_is_removed_and_home_stays_inside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    writer = """\
import os
from pathlib import Path


def train(run, epochs, results_dir):
    Path(os.path.expanduser("~/.trial-was-here")).write_text("x")
    print("home", os.environ["HOME"], "wandb", os.environ["WANDB_MODE"], "hf", os.environ["HF_HOME"])
"""
    findings, trial = trial_findings(make_repo(tmp_path / "repo", {"src/train.py": writer}))
    assert findings == []
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not Path(os.path.expanduser("~/.trial-was-here")).exists()
    assert "wandb disabled" in trial.runs[0].output_tail


# --- reading the output ---------------------------------------------------------------------------


def test_the_child_traceback_wins_over_a_called_process_error() -> None:
    text = """\
Traceback (most recent call last):
  File "/t/src/train.py", line 9, in <module>
    boom()
KeyError: 'lr'
Traceback (most recent call last):
  File "/t/src/main.py", line 20, in main
    subprocess.run(cmd, check=True)
subprocess.CalledProcessError: Command '['python', '-m', 'src.train']' returned non-zero exit status 1.
"""
    crash = final_crash(parse_crashes(text, ("/t",)))
    assert crash is not None and crash.short_type == "KeyError"
    assert crash.deepest({"src/train.py"}).line == 9


def test_a_child_that_fails_without_traceback_is_quoted(tmp_path: Path) -> None:
    launcher = """\
import subprocess
import sys


def train(run, epochs, results_dir):
    subprocess.run([sys.executable, "-m", "src.trainer_that_does_not_exist"], check=True)
"""
    findings, _ = trial_findings(make_repo(tmp_path, {"src/train.py": launcher}))
    (finding,) = findings
    assert (finding.rule, finding.path, finding.line) == ("T102", "src/train.py", 6)
    assert "CalledProcessError" in finding.message
    assert "the child process printed:" in finding.message and "No module named" in finding.message


def test_a_chained_exception_is_one_failure_and_a_child_crash_is_carried_on() -> None:
    chained = """\
Traceback (most recent call last):
  File "/t/src/data.py", line 3, in load
    rows[key]
KeyError: 'train'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/t/src/data.py", line 5, in load
    raise ValueError("no train split") from exc
ValueError: no train split
"""
    crashes = parse_crashes(chained, ("/t",))
    assert [c.chained for c in crashes] == [True, False]
    assert carried_on(crashes, final_crash(crashes)) == ()
    child = 'Traceback (most recent call last):\n  File "/t/src/train.py", line 7, in f\n    x()\nNameError: x\n'
    crashes = parse_crashes(child + "variant failed; next\n" + chained, ("/t",))
    (kept,) = carried_on(crashes, final_crash(crashes))
    assert kept.short_type == "NameError"


def test_a_traceback_cut_off_before_its_exception_line_is_no_crash_carried_on() -> None:
    """A child killed by a timeout's interrupt while printing its traceback leaves frames and no
    exception line: not evidence that a process crashed and the run went on."""
    cut = 'Traceback (most recent call last):\n  File "/t/src/train.py", line 9, in <module>\n    time.sleep(120)\n'
    final = 'Traceback (most recent call last):\n  File "/t/src/train.py", line 11, in train\n    time.sleep(0.05)\n'
    crashes = parse_crashes(cut + "child 42\n" + final + "KeyboardInterrupt\n", ("/t",))
    assert carried_on(crashes, final_crash(crashes)) == ()
    whole = 'Traceback (most recent call last):\n  File "/t/src/train.py", line 9, in <module>\n    x()\nNameError: x\n'
    crashes = parse_crashes(whole + "child 42\n" + final + "KeyboardInterrupt\n", ("/t",))
    assert [c.short_type for c in carried_on(crashes, final_crash(crashes))] == ["NameError"]


def test_a_fault_dump_is_read_innermost_last() -> None:
    text = """\
Fatal Python error: Segmentation fault

Current thread 0x00007f (most recent call first):
  File "/usr/lib/python3/ctypes/__init__.py", line 519 in string_at
  File "/t/src/model.py", line 4 in forward
  File "/t/src/main.py", line 10 in <module>
"""
    (crash,) = parse_crashes(text, ("/t",))
    assert crash.kind == "fault" and crash.deepest({"src/model.py", "src/main.py"}).path == "src/model.py"


def test_printed_metrics_skip_tracebacks() -> None:
    text = 'epoch=1 loss: 0.5\nTraceback (most recent call last):\n  File "x", line 1\n    y = 2\nValueError: lr=3\n'
    assert set(parse_printed(text)) == {"epoch", "loss"}


# --- uv and the command line ----------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv not installed")
def test_uv_builds_the_environment_from_the_submission(tmp_path: Path) -> None:
    main = "import sys\nprint('args', sys.argv[1:], 'python', sys.version_info[:2])\n"
    repo = make_repo(tmp_path, {"src/main.py": main})
    options = TrialOptions(env="uv", timeout=60, network=not ISOLATED, weak_isolation=WEAK)
    findings, trial = trial_findings(repo, options)
    if trial.env_problem is not None and trial.env_problem.blame == "machine":
        pytest.skip(f"uv cannot build an environment here: {trial.env_problem.summary}")
    assert findings == [] and trial.ran
    assert trial.environment.kind == "uv" and "/.venv/bin/python" in trial.environment.python


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv not installed")
def test_uv_never_builds_from_a_pyproject_outside_the_submission(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {})
    (repo / "pyproject.toml").unlink()
    findings, trial = trial_findings(
        repo, TrialOptions(env="uv", timeout=60, network=not ISOLATED, weak_isolation=WEAK)
    )
    assert not trial.ran and trial.env_problem.blame == "submission"
    assert [(f.rule, f.path, f.line) for f in findings] == [("T101", "pyproject.toml", None)]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "expcheck", *args], capture_output=True, text=True, timeout=120)


def test_cli_trial_reports_and_exit_status(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"config/runs/baseline.yaml": run_config("baseline", "baseline", lr=None)})
    network = [] if ISOLATED else ["--network"]
    proc = cli(
        "check",
        str(repo),
        "--trial",
        "--python",
        sys.executable,
        "--timeout",
        "20",
        "-f",
        "jsonl",
        *network,
        *WEAK_FLAGS,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    trial = [f for f in report["findings"] if f["rule"].startswith("T")]
    assert [(f["rule"], f["path"], f["line"]) for f in trial] == [("T102", "src/train.py", 7)]
    static_errors = [
        i for i, f in enumerate(report["findings"]) if not f["rule"].startswith("T") and f["severity"] == "error"
    ]
    assert all(i < report["findings"].index(trial[0]) for i in static_errors)


def test_cli_trial_if_clean_skips_after_static_errors(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"src/train.py": "def train(:\n"})
    proc = cli(
        "check", str(repo), "--trial-if-clean", "--python", sys.executable, "--network", "-f", "jsonl", *WEAK_FLAGS
    )
    assert proc.returncode == 1
    assert "trial skipped" in proc.stderr
    assert not any(f["rule"].startswith("T") for f in json.loads(proc.stdout)["findings"])


def test_cli_trial_options_need_trial(tmp_path: Path) -> None:
    proc = cli("check", str(make_repo(tmp_path, {})), "--python", sys.executable)
    assert proc.returncode == 2 and "--trial" in proc.stderr


def test_cli_help_states_the_isolation_of_this_machine() -> None:
    proc = cli("check", "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "sandbox on this machine:" in text
    assert ("bubblewrap works" in text) == SANDBOXED
    if not SANDBOXED:
        assert "refuses to run unless --weak-isolation" in text and find_bwrap()[1] in text
