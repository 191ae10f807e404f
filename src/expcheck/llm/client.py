"""One chat-completions call to an OpenAI-compatible endpoint, with retries, backoff and a deadline.

Plain HTTP through httpx (the optional ``expcheck[llm]`` extra), imported only when a review runs.
The request asks for JSON that follows the claim schema (``response_format`` of type json_schema,
which hosted APIs, vLLM and llama.cpp's server accept).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class ReviewFailed(Exception):
    """The review did not happen; the message says why, in one line."""


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 120.0  # seconds for the whole review of one input, retries included
    retries: int = 3
    backoff: float = 1.0  # first wait; doubles each retry (Retry-After wins when the server sends it)
    max_tokens: int = 4096


@dataclass
class Answer:
    content: str
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    attempts: int = 0
    notes: list[str] = field(default_factory=list)


def _httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise ReviewFailed("the LLM review needs httpx: pip install 'expcheck[llm]'") from None
    return httpx


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _content(data: Any) -> str:
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ReviewFailed("the endpoint's answer has no choices[0].message.content") from None
    if not isinstance(content, str):
        raise ReviewFailed("the endpoint's answer has no text content")
    return content


def complete(endpoint: Endpoint, messages: list[dict[str, str]], schema: dict[str, Any], schema_name: str) -> Answer:
    """The model's answer; raises ReviewFailed when no usable answer came within the deadline."""
    httpx = _httpx()
    url = endpoint.base_url.rstrip("/") + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    body: dict[str, Any] = {
        "model": endpoint.model,
        "messages": messages,
        "temperature": 0,
        "max_tokens": endpoint.max_tokens,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "strict": True, "schema": schema},
        },
    }
    start = time.monotonic()
    deadline = start + endpoint.timeout
    notes: list[str] = []
    attempt = failures = 0  # requests sent; failed ones that count against the retries
    with httpx.Client(trust_env=False) as client:
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReviewFailed(
                    f"no answer within the {endpoint.timeout:g} s limit ({'; '.join(notes) or 'timed out'})"
                )
            wait: float | None = None
            try:
                response = client.post(url, json=body, headers=headers, timeout=remaining)
            except httpx.TimeoutException:
                raise ReviewFailed(f"no answer within the {endpoint.timeout:g} s limit") from None
            except httpx.HTTPError as exc:
                notes.append(f"attempt {attempt}: {type(exc).__name__}")
                failures += 1
                if failures > endpoint.retries:
                    raise ReviewFailed(f"cannot reach {url}: {exc}") from None
            else:
                if response.status_code == 200:
                    try:
                        data = response.json()
                    except ValueError:
                        raise ReviewFailed("the endpoint answered 200 with a body that is not JSON") from None
                    usage = data.get("usage") if isinstance(data, dict) else None
                    usage = usage if isinstance(usage, dict) else {}
                    return Answer(
                        content=_content(data),
                        tokens_in=int(usage.get("prompt_tokens") or 0),
                        tokens_out=int(usage.get("completion_tokens") or 0),
                        latency_s=round(time.monotonic() - start, 3),
                        attempts=attempt,
                        notes=notes,
                    )
                notes.append(f"attempt {attempt}: HTTP {response.status_code}")
                if (
                    response.status_code == 400
                    and _refuses_schema(response.text)
                    and body["response_format"]["type"] != "json_object"
                ):
                    # Some servers know JSON mode but not JSON schemas: ask for JSON, the schema is in the
                    # prompt and grounding validates every claim anyway. Not counted as a retry.
                    body["response_format"] = {"type": "json_object"}
                    notes.append("the endpoint refuses json_schema: asked for json_object instead")
                    continue
                if response.status_code not in RETRY_STATUS:
                    raise ReviewFailed(
                        f"the endpoint refused the request: HTTP {response.status_code} {_brief(response.text)}"
                    )
                failures += 1
                if failures > endpoint.retries:
                    raise ReviewFailed(f"gave up after {attempt} attempts ({'; '.join(notes)})")
                wait = _retry_after(response.headers)
            wait = endpoint.backoff * 2 ** (failures - 1) if wait is None else wait
            if time.monotonic() + wait >= deadline:
                raise ReviewFailed(f"no answer within the {endpoint.timeout:g} s limit ({'; '.join(notes)})")
            time.sleep(wait)


def _refuses_schema(text: str) -> bool:
    lowered = text.lower()
    return "response_format" in lowered or "json_schema" in lowered


def _brief(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 200 else flat[:199] + "…"
