"""Everything derived once from a submission, shared by all rules.

Each fact is computed on first use and cached, so a rule set that never looks at YAML never pays
for parsing it. Facts describe; they never judge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import yaml

from expcheck.facts.pyproject import PyprojectFacts
from expcheck.facts.python import PyModule
from expcheck.limits import yaml_limit
from expcheck.profiles.schema import Profile
from expcheck.submission import RunSpec, SourceFile, Submission

__all__ = ["PRIMARY_METRIC", "RUNS", "Facts", "PyModule", "PyprojectFacts", "YamlDoc", "experiment_runs"]

# Inputs a fact can lack (see Facts.lacking); expcheck/coverage.py says what each absence means.
RUNS = "experiment runs"
PRIMARY_METRIC = "primary metric"

_YAML_SUFFIXES = (".yaml", ".yml")
T = TypeVar("T")


@dataclass(frozen=True)
class YamlProblem:
    line: int
    column: int
    message: str
    # "syntax": the YAML does not parse; "limit": it passes a nesting or alias limit (expcheck.limits)
    # and is not composed at all.
    kind: str = "syntax"


@dataclass(frozen=True)
class YamlDoc:
    file: SourceFile
    data: Any
    problem: YamlProblem | None


def _parse_yaml(file: SourceFile) -> YamlDoc:
    limit = yaml_limit(file.text)
    if limit is not None:  # checked before libyaml's composer recurses into it
        return YamlDoc(file=file, data=None, problem=YamlProblem(limit.line, limit.column, limit.message, "limit"))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return YamlDoc(file=file, data=yaml.load(file.text, Loader=loader), problem=None)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1) if mark else 1
        column = (mark.column + 1) if mark else 1
        line = min(max(line, 1), max(len(file.lines), 1))
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        return YamlDoc(file=file, data=None, problem=YamlProblem(line=line, column=column, message=message))
    except yaml.YAMLError as exc:
        return YamlDoc(file=file, data=None, problem=YamlProblem(line=1, column=1, message=str(exc).splitlines()[0]))


class _Tracking:
    """``Facts.tracking``'s context: one frame pushed for the ``with`` body (a plain class: the engine enters
    one per rule and submission, where a generator-based context manager costs several times more)."""

    __slots__ = ("_frame", "_frames")

    def __init__(self, frames: list[set[str]]) -> None:
        self._frames = frames
        self._frame: set[str] = set()

    def __enter__(self) -> set[str]:
        self._frames.append(self._frame)
        return self._frame

    def __exit__(self, *exc: object) -> None:
        self._frames.pop()


class Facts:
    def __init__(self, submission: Submission, profile: Profile) -> None:
        self.submission = submission
        self.profile = profile
        self._derived: dict[Callable[[Facts], Any], Any] = {}
        # Inputs each derived fact found missing, and the open frames (rule, then facts inside it).
        self._derived_gaps: dict[Callable[[Facts], Any], frozenset[str]] = {}
        self._frames: list[set[str]] = []

    def derived(self, compute: Callable[[Facts], T]) -> T:
        """``compute(self)``, computed once per submission and shared by every rule that asks.

        Fact modules (facts/config.py, facts/imports.py, ...) expose plain functions of Facts and
        call them through here, so adding a fact never touches this class. The inputs a fact lacked
        (``lacking``) are remembered with it and charged to every rule that reads it, cached or not.
        """
        try:
            value: T = self._derived[compute]
        except KeyError:
            self._frames.append(set())
            try:
                value = compute(self)
            finally:
                gaps = self._frames.pop()
            self._derived[compute] = value
            if gaps:
                self._derived_gaps[compute] = frozenset(gaps)
                if self._frames:
                    self._frames[-1].update(gaps)
            return value
        if self._frames and compute in self._derived_gaps:
            self._frames[-1].update(self._derived_gaps[compute])
        return value

    def lacking(self, what: str) -> None:
        """Record that the fact or rule being computed could not look at everything: ``what`` is absent."""
        if self._frames:
            self._frames[-1].add(what)

    def tracking(self) -> _Tracking:
        """The inputs found lacking while the ``with`` body runs (one rule's check)."""
        return _Tracking(self._frames)

    @property
    def files(self) -> dict[str, SourceFile]:
        return self.submission.files

    @cached_property
    def code_files(self) -> dict[str, SourceFile]:
        """Files of the generated code (run configs supplied by the context excluded)."""
        return {p: f for p, f in self.files.items() if f.origin == "code"}

    @cached_property
    def python(self) -> dict[str, PyModule]:
        return {
            path: PyModule(file)
            for path, file in sorted(self.files.items())
            if path.endswith(".py") and file.unreadable is None
        }

    @cached_property
    def yaml(self) -> dict[str, YamlDoc]:
        return {
            path: _parse_yaml(file)
            for path, file in sorted(self.files.items())
            if path.endswith(_YAML_SUFFIXES) and file.unreadable is None and not file.is_blank
        }

    @cached_property
    def pyproject(self) -> PyprojectFacts | None:
        file = self.files.get("pyproject.toml")
        if file is None or file.unreadable is not None or file.is_blank:
            return None
        return PyprojectFacts(file)


def experiment_runs(facts: Facts) -> tuple[RunSpec, ...]:
    """The experiment runs of the research context; an empty list is recorded as a lacking input
    when the contract has run configs (the checks that go run by run then check nothing)."""
    runs = facts.submission.context.runs
    if not runs and facts.profile.run_config_dir is not None:
        facts.lacking(RUNS)
    return runs
