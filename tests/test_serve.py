"""`expcheck serve`: the real server on loopback, called over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "expcheck", "serve", "--port", str(self.port), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start")

    def call(self, method: str, path: str, body: bytes | object | None = None) -> tuple[int, dict | list]:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server("--workers", "1", "--max-body-bytes", "300000")
    yield srv
    srv.stop()


def _bundle(name: str) -> dict[str, str]:
    return json.loads((EXAMPLES / name).read_text())


def test_health_and_rules(server: Server) -> None:
    status, health = server.call("GET", "/healthz")
    assert status == 200 and health["status"] == "ok" and health["workers"] == 1
    status, rules = server.call("GET", "/v1/rules")
    cli = json.loads(
        subprocess.run([sys.executable, "-m", "expcheck", "rules", "-f", "json"], capture_output=True, text=True).stdout
    )
    assert status == 200 and rules == cli


def test_check_matches_the_command_line(server: Server) -> None:
    status, report = server.call("POST", "/v1/check", {"files": _bundle("defective_bundle.json")})
    assert status == 200
    cli = json.loads(
        subprocess.run(
            [sys.executable, "-m", "expcheck", "check", str(EXAMPLES / "defective_bundle.json"), "-f", "jsonl"],
            capture_output=True,
            text=True,
        ).stdout
    )
    assert isinstance(report, dict)
    assert report["findings"] == cli["findings"] and report["verdict"] == cli["verdict"]
    assert report["profile"] == cli["profile"]  # detected the same way


def test_verdict_and_options(server: Server) -> None:
    context = yaml.safe_load((EXAMPLES / "ready_context.yaml").read_text())
    status, verdict = server.call("POST", "/v1/verdict", {"files": _bundle("ready_bundle.json"), "context": context})
    assert status == 200 and verdict == {"is_code_ready": True, "code_issue": ""}
    status, verdict = server.call(
        "POST", "/v1/verdict", {"files": _bundle("defective_bundle.json"), "context": context, "ignore": ["R", "C"]}
    )
    assert status == 200 and verdict["is_code_ready"] is True


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        (b"{not json", 422, "invalid_request"),
        (b"", 422, "invalid_request"),
        ({"files": 3}, 422, "invalid_request"),
        ({"files": {}, "extra": 1}, 422, "invalid_request"),
        ({"files": {"a.py": None}}, 422, "invalid_request"),
        ({"files": {}, "profile": "nope"}, 400, "refused"),
        ({"files": {}, "profile": "/etc/passwd"}, 400, "refused"),
        ({"files": {}, "select": ["XYZ9"]}, 400, "refused"),
        ({"files": {}, "context": {"experiment_runs": [{"no_id": 1}]}}, 400, "refused"),
        (b"x" * 300001, 413, "too_large"),
    ],
)
def test_bad_requests_get_4xx_json(server: Server, body: bytes | object, status: int, kind: str) -> None:
    got, error = server.call("POST", "/v1/check", body)
    assert got == status, error
    assert isinstance(error, dict) and error["error"]["type"] == kind and error["error"]["message"]


def test_unknown_route_and_method_are_json(server: Server) -> None:
    assert server.call("GET", "/nope")[0] == 404
    status, error = server.call("GET", "/v1/check")
    assert status == 405 and isinstance(error, dict) and "error" in error


def test_openapi_comes_from_the_models(server: Server) -> None:
    status, spec = server.call("GET", "/openapi.json")
    assert status == 200 and isinstance(spec, dict)
    assert {"/v1/check", "/v1/verdict", "/v1/rules", "/healthz"} <= set(spec["paths"])
    assert {"Report", "Finding", "CheckRequest"} <= set(spec["components"]["schemas"])


def test_timeout_is_a_504_and_logs_are_json_lines() -> None:
    srv = Server("--workers", "1", "--timeout", "0.001")
    try:
        status, error = srv.call("POST", "/v1/check", {"files": _bundle("defective_bundle.json")})
        assert status == 504 and isinstance(error, dict) and error["error"]["type"] == "timeout"
        assert srv.call("GET", "/healthz")[0] == 200
    finally:
        err = srv.stop()
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert {(entry["path"], entry["status"]) for entry in lines} >= {("/v1/check", 504), ("/healthz", 200)}


def test_serve_without_the_extra_is_a_usage_error(tmp_path: Path) -> None:
    # A fastapi that cannot be imported, as on an install without the extra.
    (tmp_path / "fastapi").mkdir()
    (tmp_path / "fastapi" / "__init__.py").write_text("raise ImportError('no fastapi', name='fastapi')\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT / 'src'}"}
    proc = subprocess.run(
        [sys.executable, "-m", "expcheck", "serve"], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 2 and "pip install 'expcheck[serve]'" in proc.stderr and "Traceback" not in proc.stderr
