"""Reviews cached by content hash: the same request (model, prompt, schema) never costs twice.

Only successful answers are stored, one JSON file per request hash, written atomically. The default
folder is ``$XDG_CACHE_HOME/expcheck/llm`` (``~/.cache/expcheck/llm`` without it).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "expcheck" / "llm"


def request_key(
    base_url: str, model: str, messages: list[dict[str, str]], schema: dict[str, Any], prompt_version: str
) -> str:
    """Hash of everything that decides the answer: the endpoint too (one model name can be different models
    on two servers), never the API key."""
    payload = json.dumps(
        {"v": prompt_version, "url": base_url.rstrip("/"), "model": model, "messages": messages, "schema": schema},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ReviewCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("content"), str) else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store ``entry``; a cache that cannot be written is skipped, never an error of the review."""
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh, ensure_ascii=False)
            os.replace(tmp, target)
        except OSError:
            return
