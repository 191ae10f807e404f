"""What is reviewed: files, research context, and (for traces) the verdict recorded at the time.

Readers in ``expcheck.inputs`` build these objects; nothing here judges anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

InputKind = Literal["directory", "bundle", "trace", "file"]  # file: one Python source file

# Where a line ends, as the parser of each file type counts lines (str.splitlines also splits on form
# feeds, vertical tabs, file/group/record separators, NEL and the Unicode separators, which would
# shift every later line number away from the parser's).
_PYTHON_BREAK = re.compile(r"\r\n?|\n")  # Python's tokenizer (universal newlines)
_YAML_BREAK = re.compile("\r\n?|[\n\x85\u2028\u2029]")  # PyYAML and libyaml (YAML 1.1 line breaks)
_TOML_BREAK = re.compile(r"\r?\n")  # tomllib: a bare CR is not a line break


def _has_yaml_only_break(text: str) -> bool:
    """Whether ``text`` holds a line break only YAML counts (NEL, LS, PS): one-character tests, much quicker
    than a regex scanning for a character class."""
    return "\x85" in text or "\u2028" in text or "\u2029" in text


def _break_pattern(text: str, path: str) -> re.Pattern[str] | None:
    """The line breaks of ``path``'s parser, or None when ``text`` holds only ``\n`` breaks that every parser
    reads alike."""
    yaml = path.endswith((".yaml", ".yml"))
    if "\r" not in text and not (yaml and not text.isascii() and _has_yaml_only_break(text)):
        return None
    if yaml:
        return _YAML_BREAK
    if path.endswith(".toml"):
        return _TOML_BREAK
    return _PYTHON_BREAK


def line_starts(text: str, path: str) -> list[int]:
    """The offset in ``text`` where each line starts (index 0 is line 1), lines counted as ``split_lines``
    counts them; after a final line break, the offset past it."""
    pattern = _break_pattern(text, path)
    if pattern is not None:
        return [0, *(match.end() for match in pattern.finditer(text))]
    offsets = [0]
    at = 0
    for line in text.split("\n")[:-1]:  # the offsets of re.finditer("\n"), without a match object each
        at += len(line) + 1
        offsets.append(at)
    return offsets


def split_lines(text: str, path: str) -> list[str]:
    """``text`` cut into lines the way the parser of ``path``'s file type counts them, without endings.

    Like ``str.splitlines``, a final line break does not start another line, and an empty text has no lines.
    """
    pattern = _break_pattern(text, path)
    lines = text.split("\n") if pattern is None else pattern.split(text)  # "\n" alone: every parser agrees
    if lines and lines[-1] == "":
        lines.pop()
    return lines
FileOrigin = Literal["code", "context"]


@dataclass(frozen=True)
class SourceFile:
    """One file of the submission, by its repository-relative POSIX path."""

    path: str
    text: str
    # "code": part of the generated code; "context": a run config supplied by the research context.
    origin: FileOrigin = "code"
    # Why the text could not be read (binary, too large, not UTF-8); the text is then "".
    unreadable: str | None = None

    @cached_property
    def lines(self) -> list[str]:
        """The file's lines without line endings, as its parser counts them; an empty file has no lines."""
        return split_lines(self.text, self.path)

    @cached_property
    def size(self) -> int:
        """The text's size in bytes as UTF-8 (a lone surrogate counted as ``surrogatepass`` writes it)."""
        text = self.text
        return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))

    def line(self, number: int) -> str:
        """Line ``number`` (1-based), or "" when out of range."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()


def with_size(file: SourceFile, size: int) -> SourceFile:
    """``file``, its ``size`` given by a reader that has measured it already (a cached property keeps its
    value in the instance's dict, which a frozen dataclass lets one write)."""
    file.__dict__["size"] = size
    return file


@dataclass(frozen=True)
class RunSpec:
    """One experiment run as the research context lists it."""

    run_id: str
    method: str | None = None
    model: str | None = None
    dataset: str | None = None
    # The run config YAML as supplied by the context (None when the context gives none).
    config_text: str | None = None


@dataclass(frozen=True)
class ResearchContext:
    hypothesis: str | None = None
    method: str | None = None
    experimental_design: str | None = None
    primary_metric: str | None = None
    runs: tuple[RunSpec, ...] = ()
    # Older (v0) contracts name run variations instead of runs with configs.
    run_variations: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordedVerdict:
    """The verdict a reviewer recorded in a saved trace."""

    is_code_ready: bool | None
    code_issue: str
    reviewer: str | None = None


@dataclass(frozen=True)
class RejectedEntry:
    """A bundle entry that cannot be a file of the repository (absolute path, ``..``, bad name)."""

    name: str
    reason: str
    text: str


@dataclass
class Submission:
    source: str
    kind: InputKind
    files: dict[str, SourceFile]
    context: ResearchContext = field(default_factory=ResearchContext)
    # The contract text a trace states (its instructions); used to detect the profile.
    contract_text: str | None = None
    # Bundle keys present in the input (bundles and traces), used to detect the profile.
    bundle_keys: tuple[str, ...] = ()
    recorded: RecordedVerdict | None = None
    rejected: list[RejectedEntry] = field(default_factory=list)
    # The code bundle of the reference code a derived bundle was made from (v0 contracts), when a trace
    # carries one, as decoded; ``base_files`` reads it.
    base_bundle: Mapping[str, Any] | None = None
    # Run configs a bundle nests as "run_configs": {run_id: yaml}; placed as files once the profile is known.
    run_configs: dict[str, str] = field(default_factory=dict)

    @cached_property
    def base_files(self) -> dict[str, SourceFile] | None:
        """The reference code's files, by repository path (None without a reference bundle).

        Made on first use: no rule reads them, and making the files of a second bundle cost every check
        of a trace that carries one about a tenth of a millisecond (the bundle is still decoded when the
        trace is read, so a reference bundle nested too deep is refused there as before).
        """
        if self.base_bundle is None:
            return None
        from expcheck.inputs.bundle import files_from_bundle  # the readers import this module

        return files_from_bundle(self.base_bundle)[0]

    def file(self, path: str) -> SourceFile | None:
        return self.files.get(path)

    def add_file(self, file: SourceFile) -> None:
        self.files[file.path] = file
