"""JSON Schemas of what expcheck reads and writes: the report (``--format json``; each ``jsonl`` line
is one of its ``reports``), contract profiles, and the configuration. ``expcheck schema`` prints them;
the copies under schemas/ in the repository are generated from here (a test keeps them current)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from expcheck.report.schema import Report

DIALECT = "https://json-schema.org/draft/2020-12/schema"


class Document(BaseModel):
    """The document ``expcheck check --format json`` prints."""

    schema_version: int = Field(description="version of this report format")
    expcheck_version: str
    inputs: int = Field(description="number of inputs judged")
    ready: int = Field(description="inputs judged ready")
    unreadable: int = Field(description="inputs that could not be read")
    reports: list[Report] = Field(description="one report per input, in input order (also each line of --format jsonl)")


def _profile_schema() -> dict[str, Any]:
    from expcheck.profiles.schema import Profile

    schema = Profile.model_json_schema()
    schema["properties"] = {
        "extends": {
            "type": "string",
            "description": "a built-in profile name, or a profile file relative to this one, whose values this "
            "profile starts from (mappings are merged key by key, other values replaced)",
        },
        **schema["properties"],
    }
    return schema


def schema_of(which: str) -> dict[str, Any]:
    if which == "report":
        body = Document.model_json_schema(mode="serialization")
        title = "expcheck report"
    elif which == "profile":
        body = _profile_schema()
        title = "expcheck contract profile"
    elif which == "config":
        from expcheck.config_schema import Config

        body = Config.model_json_schema(by_alias=True)
        title = "expcheck configuration ([tool.expcheck] or expcheck.toml)"
    else:
        raise ValueError(which)
    return {"$schema": DIALECT, "title": title, **{k: v for k, v in body.items() if k != "title"}}


def schema_text(which: str) -> str:
    return json.dumps(schema_of(which), indent=2, ensure_ascii=False) + "\n"
