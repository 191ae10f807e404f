"""The keys of an expcheck configuration file, validated by pydantic (imported only when a file is read)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=_kebab, populate_by_name=True)


class TrialConfig(_Strict):
    """``[tool.expcheck.trial]``: the trial run (executes the submission's code)."""

    mode: Literal["off", "always", "if-clean"] = Field(
        "off", description="off; always (like --trial); if-clean (like --trial-if-clean)"
    )
    env: Literal["uv", "python"] | None = Field(None, description="how the environment is built (like --env)")
    python: str | None = Field(None, description="interpreter for --env python (like --python)")
    timeout: float | None = Field(None, gt=0, description="wall-clock limit per experiment run in seconds")
    network: bool | None = Field(None, description="let the runs reach the network (like --network)")
    memory_limit: int | None = Field(None, ge=0, description="address-space limit per run in MiB; 0 for none")


class Config(_Strict):
    """The keys of ``[tool.expcheck]`` (pyproject.toml) or of an expcheck.toml file."""

    profile: str | None = Field(None, description="built-in profile name or profile YAML file (relative to this file)")
    context: str | None = Field(None, description="research context file (relative to this file)")
    select: list[str] | None = Field(None, description="only these rule ids, prefixes or names")
    ignore: list[str] | None = Field(None, description="skip these rule ids, prefixes or names")
    per_file_ignores: dict[str, list[str]] | None = Field(
        None, description="glob pattern of submission paths (fnmatch, e.g. src/evaluate.py) -> rule ids to ignore there"
    )
    format: Literal["text", "concise", "verdict", "json", "jsonl", "sarif", "github", "junit"] | None = Field(
        None, description="output format of expcheck check"
    )
    trial: TrialConfig | None = None
    trust_submission_config: bool | None = Field(
        None,
        description="apply the [tool.expcheck] of checked repositories (written by the code under review); "
        "honoured only in the user's own configuration",
    )
