"""``expcheck serve``: the checker as an HTTP service for pipelines (FastAPI on uvicorn; extra ``serve``).

Endpoints: ``POST /v1/check`` (files + context + options -> the full report), ``POST /v1/verdict``
(-> the verdict object only), ``GET /v1/rules``, ``GET /healthz``; OpenAPI at ``/openapi.json``
from the same pydantic models. Static checks only: the service never runs submitted code (no trial).

Every request is bounded: the body by ``max_body_bytes`` (413), the check by ``timeout`` seconds
(504), and checks run in a pool of worker processes sized to the machine. Errors are JSON,
``{"error": {"type": ..., "message": ...}}``: malformed or oversized requests get 4xx, never 500.
One JSON log line per request goes to stderr.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from expcheck.report.schema import Report

DEFAULT_MAX_BODY = 8 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
MAX_FILES = 2000

log = logging.getLogger("expcheck.serve")


class CheckRequest(BaseModel):
    """A submission held in memory, and how to judge it."""

    model_config = ConfigDict(extra="forbid")

    files: dict[str, str | dict[str, str]] = Field(
        description="repository path (src/train.py) or AIRAS bundle key (train_py) -> file text; "
        '"run_configs" may map run ids to run-config YAML',
        max_length=MAX_FILES,
    )
    context: dict[str, Any] | None = Field(
        None, description="research context: hypothesis, primary_metric, experiment_runs (as in --context)"
    )
    profile: str | None = Field(None, description="built-in profile name; default: detected from the files")
    select: list[str] = Field(default_factory=list, description="only these rule ids, prefixes or names")
    ignore: list[str] = Field(default_factory=list, description="skip these rule ids, prefixes or names")


class VerdictResponse(BaseModel):
    is_code_ready: bool
    code_issue: str


class ErrorBody(BaseModel):
    type: str
    message: str
    details: list[Any] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str
    version: str
    workers: int


class _Refused(Exception):
    """A request that cannot be judged as asked (unknown profile or rule, bad context): 400."""


def judge(request: dict[str, Any]) -> dict[str, Any]:
    """Run in a worker process: the report for one request, or {"refused": message}."""
    from expcheck.api import check_files
    from expcheck.profiles import builtin_profile_names
    from expcheck.rules.base import all_rules

    req = CheckRequest.model_validate(request)
    rules = all_rules()
    for selector in (*req.select, *req.ignore):
        if not any(r.matches(selector) for r in rules):
            return {"refused": f"no rule matches {selector!r} (see GET /v1/rules)"}
    # Only built-in names: a client never makes the server read a file.
    if req.profile is not None and req.profile not in builtin_profile_names():
        return {"refused": f"unknown profile {req.profile!r}; built-in: {', '.join(builtin_profile_names())}"}
    report = check_files(
        req.files, context=req.context, profile=req.profile, select=req.select, ignore=req.ignore, source="<request>"
    )
    if report.error is not None:
        return {"refused": report.error}
    return report.model_dump(mode="json")


def _warm() -> int:
    from expcheck.rules.base import all_rules

    return len(all_rules())


def _error(status: int, kind: str, message: str, details: list[Any] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(type=kind, message=message, details=details))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 before the application reads them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        too_big = _error(413, "too_large", f"request body is larger than {self.limit} bytes")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await too_big(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await too_big(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes started from a clean forkserver: they never inherit the listening socket."""
    import multiprocessing

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))


@dataclass(frozen=True)
class Settings:
    workers: int = max(1, os.cpu_count() or 1)
    max_body_bytes: int = DEFAULT_MAX_BODY
    timeout: float = DEFAULT_TIMEOUT


def create_app(settings: Settings | None = None) -> FastAPI:
    from expcheck import __version__

    settings = settings or Settings()
    pool: dict[str, ProcessPoolExecutor] = {}

    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        pool["p"] = _pool(settings.workers)
        # Start the workers and import the rules before serving: /healthz answers once checks are fast.
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool["p"], _warm) for _ in range(settings.workers)))
        yield
        pool["p"].shutdown(wait=True, cancel_futures=True)

    app = FastAPI(
        title="expcheck",
        version=__version__,
        description="Is this machine-generated ML experiment repository ready to run, and what must be fixed?",
        lifespan=lifespan,
        responses={
            400: {"model": ErrorResponse},
            413: {"model": ErrorResponse},
            422: {"model": ErrorResponse},
            504: {"model": ErrorResponse},
        },
    )

    @app.middleware("http")
    async def access_log(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:12]
        response = await call_next(request)
        response.headers["x-request-id"] = request_id
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "request_id": request_id,
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
        log.info(json.dumps(entry))
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return _error(422, "invalid_request", f"{where}: {first['msg']}" if where else first["msg"], details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.error(json.dumps({"error": f"{type(exc).__name__}: {exc}", "path": request.url.path}))
        return _error(500, "internal_error", "internal error in expcheck (please report)")

    async def _judge(req: CheckRequest) -> Report | JSONResponse:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(pool["p"], judge, req.model_dump())
        try:
            result = await asyncio.wait_for(future, timeout=settings.timeout)
        except TimeoutError:
            return _error(504, "timeout", f"the check took longer than {settings.timeout:g} s")
        except BrokenProcessPool:
            pool["p"] = _pool(settings.workers)
            return _error(503, "worker_lost", "the worker judging this request died; try again")
        if "refused" in result:
            return _error(400, "refused", result["refused"])
        return Report.model_validate(result)

    @app.post("/v1/check", response_model=Report)
    async def check(req: CheckRequest) -> Report | JSONResponse:
        """The full report: verdict, findings with path:line, evidence and fix."""
        return await _judge(req)

    @app.post("/v1/verdict", response_model=VerdictResponse)
    async def verdict(req: CheckRequest) -> VerdictResponse | JSONResponse:
        """Only {"is_code_ready", "code_issue"}, as the pipeline parses it."""
        report = await _judge(req)
        if isinstance(report, JSONResponse):
            return report
        assert report.verdict is not None
        return VerdictResponse(**report.verdict.model_dump())

    @app.get("/v1/rules", response_model=list[dict[str, Any]])
    async def rules() -> list[dict[str, Any]]:
        """Every rule, as `expcheck rules --format json` lists them."""
        from expcheck.report.rules_doc import rules_json
        from expcheck.rules.base import all_rules

        return json.loads(rules_json(all_rules()))

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return Health(status="ok", version=__version__, workers=settings.workers)

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app


def serve(host: str, port: int, settings: Settings) -> None:
    import uvicorn

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    uvicorn.run(create_app(settings), host=host, port=port, access_log=False, log_level="warning")
