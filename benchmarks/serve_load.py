"""Bounded load test of `expcheck serve` on loopback: a fixed number of requests, then it stops.

Starts the real server (uvicorn, one checking process per core unless --workers), waits for
/healthz, sends --requests POST /v1/verdict requests with --concurrency client threads, cycling
over the two example bundles (one ready, one defective) so it needs nothing outside the repository.
Then it sends a few malformed and oversized requests and checks each got a 4xx JSON error. Prints
requests/s and p50/p90/p99 latency, writes benchmarks/results/serve_load.json, and stops the server.

    uv run python benchmarks/serve_load.py [--requests 200] [--concurrency 4] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "serve_load.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(base: str, path: str, body: bytes) -> tuple[int, float, dict]:
    request = urllib.request.Request(base + path, data=body, method="POST")
    request.add_header("content-type", "application/json")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, payload = response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, json.loads(exc.read())
    return status, time.perf_counter() - started, payload


def _oversized(port: int, size: int) -> tuple[int, float, dict]:
    """A body declared larger than the limit: the server answers 413 without reading it, so send only
    the headers and a first chunk (a client pushing all of it would see the connection reset)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
        head = f"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
        conn.sendall(head.encode() + b"x" * 65536)
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    return status, time.perf_counter() - started, json.loads(reply.split(b"\r\n\r\n", 1)[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "expcheck", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.monotonic()
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                    health = json.loads(response.read())
                    break
            except OSError:
                if time.monotonic() - started > 120 or server.poll() is not None:
                    raise SystemExit("server did not start") from None
                time.sleep(0.2)
        startup = time.monotonic() - started
        import yaml

        context = yaml.safe_load((ROOT / "examples" / "ready_context.yaml").read_text())
        bodies = [
            json.dumps({"files": json.loads((ROOT / "examples" / name).read_text()), "context": context}).encode()
            for name in ("ready_bundle.json", "defective_bundle.json")
        ]
        work = [bodies[i % len(bodies)] for i in range(args.requests)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            results = list(pool.map(lambda body: _post(base, "/v1/verdict", body), work))
        wall = time.perf_counter() - t0
        bad = [
            _post(base, "/v1/check", body)
            for body in (b"{not json", b'{"files": 3}', b'{"files": {}, "profile": "nope"}')
        ]
        bad.append(_oversized(port, 9 * 1024 * 1024))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    latencies = [seconds * 1000 for status, seconds, _ in results]
    ok = sum(1 for status, _, _ in results if status == 200)
    figures = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "workers": health["workers"],
        "startup_s": round(startup, 2),
        "ok": ok,
        "requests_per_s": round(args.requests / wall, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p90_ms": round(_percentile(latencies, 0.90), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1),
        "bad_requests": [status for status, _, _ in bad],
        "bad_requests_all_4xx_json": all(400 <= s < 500 and "error" in p for s, _, p in bad),
    }
    for key, value in figures.items():
        print(f"{key:>26}: {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    if ok != args.requests or not figures["bad_requests_all_4xx_json"]:
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()
