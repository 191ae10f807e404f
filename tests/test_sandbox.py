"""The trial sandbox contains hostile code: each test's submission attacks the machine one way, and the
test checks from outside that nothing got through and nothing is left after the run.

Every attack here would succeed without the sandbox (the weaker isolation): the tests skip where
bubblewrap cannot run.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from expcheck.api import check_with_trial
from expcheck.sandbox import TrialOptions
from expcheck.sandbox.bwrap import find_bwrap
from expcheck.sandbox.runner import LOG_HEAD, LOG_TAIL, run_command
from test_trial import processes_with

pytestmark = pytest.mark.skipif(find_bwrap()[0] is None, reason=f"the sandbox cannot run here: {find_bwrap()[1]}")

MAIN = """\
import sys

from src.train import train

if __name__ == "__main__":
    train(sys.argv[1:])
"""
PYPROJECT = '[project]\nname = "exp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n'
# A profile whose trial command is one plain Python run: the attacks need no Hydra.
PROFILE = """\
name: sandbox-test
title: one plain trial run
required_files: [src/main.py, src/train.py, pyproject.toml]
commands:
  train: uv run python -u -m src.main {results_dir}
"""


def make_repo(root: Path, train: str, extra: dict[str, str] | None = None) -> Path:
    files = {"src/main.py": MAIN, "src/train.py": train, "pyproject.toml": PYPROJECT, **(extra or {})}
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temp folder for this test: empty again after every trial."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return folder


def trial(repo: Path, tmp_path: Path, **options: object):  # type: ignore[no-untyped-def]
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE)
    settings: dict[str, object] = {"env": "python", "python": sys.executable, "timeout": 30, **options}
    checked = check_with_trial(str(repo), TrialOptions(**settings), profile=str(profile), select=["T"])  # type: ignore[arg-type]
    assert checked.report.error is None, checked.report.error
    assert checked.trial is not None
    return checked.trial


def output(result) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(run.output_tail for run in result.runs)


def test_writes_to_home_tmp_and_the_repository_stay_inside(tmp_path: Path, temp: Path) -> None:
    canary = f"expcheck-canary-{uuid.uuid4().hex}"
    home = Path(os.path.expanduser("~"))
    repo = tmp_path / "repo"
    targets = [home / canary, Path("/tmp") / canary, repo / canary, Path("/var/tmp") / canary]
    writer = f"""\
import os


def train(args):
    for target in {[str(t) for t in targets]!r}:
        try:
            with open(target, "w") as fh:
                fh.write("escaped")
            print("wrote", target)
        except OSError as exc:
            print("refused", target, type(exc).__name__)
"""
    result = trial(make_repo(repo, writer), tmp_path)
    assert result.ran and result.runs[0].status == "ok", output(result)
    for target in targets:
        assert not target.exists(), f"the run wrote {target}"
    # /tmp inside the sandbox is the trial's own: writable, and gone with it.
    assert f"wrote /tmp/{canary}" in output(result)
    assert f"refused {repo / canary}" in output(result)
    assert list(temp.iterdir()) == []


def test_a_double_forked_daemon_dies_with_the_run(tmp_path: Path, temp: Path) -> None:
    marker = f"expcheck-daemon-{uuid.uuid4().hex}"
    daemon = f"""\
import os
import subprocess
import sys
import time


def train(args):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)", {marker!r}])
        os._exit(0)
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", {marker!r}], start_new_session=True)
    time.sleep(1.0)
    print("daemons started")
"""
    result = trial(make_repo(tmp_path / "repo", daemon), tmp_path)
    assert result.runs[0].status == "ok" and "daemons started" in output(result), output(result)
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(marker) == [], "a daemon outlived the trial run"
    assert list(temp.iterdir()) == []


def test_host_unix_sockets_are_out_of_reach(tmp_path: Path, temp: Path) -> None:
    path = tmp_path / "host.sock"
    abstract = f"\0expcheck-{uuid.uuid4().hex}"
    servers = []
    accepted: list[str] = []
    for address in (str(path), abstract):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(address)
        server.listen(1)
        server.settimeout(0.2)
        servers.append(server)

    def serve() -> None:
        end = time.monotonic() + 60
        while time.monotonic() < end and not stop.is_set():
            for server in servers:
                try:
                    conn, _ = server.accept()
                except OSError:
                    continue
                accepted.append("connected")
                conn.close()

    stop = threading.Event()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = f"""\
import socket


def train(args):
    for address in {[str(path), abstract]!r}:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(address)
            print("CONNECTED", repr(address))
        except OSError as exc:
            print("no socket", repr(address), type(exc).__name__)
"""
    try:
        # The control first: the same code outside the sandbox reaches both sockets.
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(str(path))
        probe.close()
        result = trial(make_repo(tmp_path / "repo", client), tmp_path)
        time.sleep(0.5)
    finally:
        stop.set()
        thread.join(5)
        for server in servers:
            server.close()
    assert result.runs[0].status == "ok", output(result)
    assert "CONNECTED" not in output(result) and output(result).count("no socket") == 2
    assert accepted == ["connected"]  # the control's connection only
    assert list(temp.iterdir()) == []


def _tcp_listener() -> tuple[socket.socket, list[str], threading.Event]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    hits: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append("hit")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server, hits, stop


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv not installed")
def test_the_build_backend_runs_in_the_sandbox_too(tmp_path: Path, temp: Path) -> None:
    """``uv sync`` builds the submission's own project: its build backend is the submission's code."""
    server, hits, stop = _tcp_listener()
    port = server.getsockname()[1]
    canary = tmp_path / f"backend-{uuid.uuid4().hex}"
    backend = f"""\
import os
import socket

for action in ("connect", "write"):
    try:
        if action == "connect":
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
        else:
            open({str(canary)!r}, "w").write("escaped")
    except OSError:
        pass


def _fail(*args, **kwargs):
    raise RuntimeError("this backend builds nothing")


get_requires_for_build_wheel = get_requires_for_build_editable = lambda config_settings=None: []
build_wheel = build_editable = prepare_metadata_for_build_wheel = prepare_metadata_for_build_editable = _fail
"""
    pyproject = PYPROJECT + '\n[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
    repo = make_repo(tmp_path / "repo", "def train(args):\n    print('ran')\n", {"backend.py": backend})
    (repo / "pyproject.toml").write_text(pyproject)
    try:
        # The control: outside the sandbox the backend's connection reaches the listener.
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        time.sleep(0.3)
        assert hits == ["hit"]
        result = trial(repo, tmp_path, env="uv", python=None, timeout=60)
        time.sleep(0.3)
    finally:
        stop.set()
        server.close()
    assert hits == ["hit"], "the build backend reached the host's network"
    assert not canary.exists(), "the build backend wrote outside the trial folder"
    assert not result.ran and result.env_problem is not None  # the backend refused to build
    assert list(temp.iterdir()) == []


def test_a_fifo_at_the_metrics_file_does_not_hang_expcheck(tmp_path: Path, temp: Path) -> None:
    fifo = """\
import os
import sys
from pathlib import Path


def train(args):
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    os.mkfifo(out / "metrics.json")
    print("fifo made")
"""
    start = time.monotonic()
    result = trial(make_repo(tmp_path / "repo", fifo), tmp_path)
    assert time.monotonic() - start < 30
    assert result.runs[0].status == "ok" and "fifo made" in output(result)
    assert "results/metrics.json" in result.runs[0].new_files
    assert result.runs[0].written == ()
    assert list(temp.iterdir()) == []


def test_endless_output_keeps_its_head_and_tail_only(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    script = "import sys\nprint('FIRST')\nfor i in range(400000): print('x' * 60)\nprint('LAST')\n"
    raw = run_command([sys.executable, "-c", script], tmp_path, dict(os.environ), log, 60, None)
    assert raw.returncode == 0
    data = log.read_bytes()
    assert len(data) <= LOG_HEAD + LOG_TAIL + 200
    assert data.startswith(b"FIRST\n") and data.rstrip().endswith(b"LAST")
    assert b"bytes of output left out here" in data


def test_deeply_nested_results_json_keeps_the_report(tmp_path: Path, temp: Path) -> None:
    deep = """\
from pathlib import Path


def train(args):
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    for depth in (50, 900, 990, 5000, 100000):
        (out / f"deep{depth}.json").write_text("[" * depth + "1" + "]" * depth)
    (out / "metrics.json").write_text('{"accuracy": 0.5}')
"""
    result = trial(make_repo(tmp_path / "repo", deep), tmp_path)
    assert result.runs[0].status == "ok", output(result)
    written = {(m.file, m.value) for m in result.runs[0].written}
    assert ("results/metrics.json", 0.5) in written and ("results/deep50.json", 1.0) in written


@pytest.mark.skipif(not os.path.isfile("/etc/shadow"), reason="no /etc/shadow here")
def test_system_secrets_are_not_readable(tmp_path: Path, temp: Path) -> None:
    reader = """\
def train(args):
    try:
        print("shadow bytes", len(open("/etc/shadow", "rb").read()))
    except OSError as exc:
        print("shadow refused", type(exc).__name__)
"""
    result = trial(make_repo(tmp_path / "repo", reader), tmp_path)
    assert result.runs[0].status == "ok", output(result)
    assert "shadow refused" in output(result) or "shadow bytes 0" in output(result)


def test_files_of_home_and_beside_the_repository_are_not_readable(tmp_path: Path, temp: Path) -> None:
    """The run sees the system folders, its interpreter and the trial folder: not the user's home, not
    the folder the repository came from, not the original repository itself."""
    canary = f"expcheck-canary-{uuid.uuid4().hex}"
    home_secret = Path(os.path.expanduser("~")) / canary
    beside = tmp_path / f"{canary}-beside"
    repo = tmp_path / "repo"
    reader = f"""\
def train(args):
    for target in {[str(home_secret), str(beside), str(repo / "src" / "train.py")]!r}:
        try:
            with open(target) as fh:
                print("READ", target, fh.read())
        except OSError as exc:
            print("unreadable", target, type(exc).__name__)
"""
    make_repo(repo, reader)
    try:
        home_secret.write_text("home secret")
        beside.write_text("secret beside the repository")
        # The control: outside the sandbox the same reads succeed.
        assert home_secret.read_text() == "home secret" and beside.is_file()
        result = trial(repo, tmp_path)
    finally:
        home_secret.unlink(missing_ok=True)
    assert result.runs[0].status == "ok", output(result)
    assert "READ" not in output(result), output(result)
    assert output(result).count("unreadable") == 3, output(result)
    assert list(temp.iterdir()) == []


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv not installed")
def test_the_offline_environment_build_cannot_change_uvs_cache(tmp_path: Path, temp: Path) -> None:
    """The build backend (the submission's code) runs during ``uv sync``, with uv's cache in reach."""
    import subprocess

    from expcheck.sandbox.environment import uv_executable

    shared = subprocess.run([uv_executable(), "cache", "dir"], capture_output=True, text=True).stdout.strip()
    Path(shared).mkdir(parents=True, exist_ok=True)
    buckets = [entry for entry in sorted(os.listdir(shared)) if os.path.isdir(os.path.join(shared, entry))]
    canary = f"expcheck-canary-{uuid.uuid4().hex}"
    targets = [os.path.join(shared, canary), *(os.path.join(shared, b, canary) for b in buckets)]
    backend = f"""\
import os
import sys

found = []
cache = os.environ.get("UV_CACHE_DIR", "")
for target in {targets!r} + [os.path.join(cache, name, {canary!r}) for name in os.listdir(cache or ".")]:
    try:
        with open(target, "w") as fh:
            fh.write("poisoned")
        found.append("WROTE " + target)
    except OSError as exc:
        found.append("refused " + type(exc).__name__)
print("; ".join(found), file=sys.stderr)


def _fail(*args, **kwargs):
    raise RuntimeError("this backend builds nothing: " + "; ".join(found))


get_requires_for_build_wheel = get_requires_for_build_editable = lambda config_settings=None: []
build_wheel = build_editable = prepare_metadata_for_build_wheel = prepare_metadata_for_build_editable = _fail
"""
    pyproject = PYPROJECT + '\n[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
    repo = make_repo(tmp_path / "repo", "def train(args):\n    print('ran')\n", {"backend.py": backend})
    (repo / "pyproject.toml").write_text(pyproject)
    try:
        result = trial(repo, tmp_path, env="uv", python=None, timeout=60)
        leaked = [t for t in targets if os.path.lexists(t)]
    finally:
        for target in targets:
            if os.path.lexists(target):
                os.unlink(target)
    assert leaked == [], "the build backend wrote into uv's shared cache"
    assert not result.ran and result.env_problem is not None  # the backend refused to build
    said = result.env_problem.output_tail
    assert "this backend builds nothing" in said and "refused" in said, said
    # Its private cache in the trial folder is writable (and goes with it); the shared one is not.
    assert f"WROTE {shared}" not in said and f"WROTE {os.path.realpath(shared)}" not in said, said
    assert list(temp.iterdir()) == []


def test_the_home_folder_is_never_shown_whole(tmp_path: Path) -> None:
    """A folder an interpreter seems to need is shown read-only, but never ``$HOME`` or a folder above it."""
    from expcheck.sandbox.bwrap import _outside

    home = os.path.realpath(os.path.expanduser("~"))
    inside_home = tmp_path / "python-prefix"
    inside_home.mkdir()
    shown = _outside(tmp_path / "trial", [home, os.path.dirname(home), str(inside_home)])
    assert shown == [str(inside_home.resolve())]
