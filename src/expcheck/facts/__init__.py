"""Everything derived once from a submission, shared by all rules.

Each fact is computed on first use and cached, so a rule set that never looks at YAML never pays
for parsing it. Facts describe; they never judge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import yaml

from expcheck.facts.pyproject import PyprojectFacts
from expcheck.facts.python import PyModule
from expcheck.limits import yaml_limit
from expcheck.profiles.schema import Profile
from expcheck.submission import RunSpec, SourceFile, Submission
from expcheck.yamlbuild import BuildingLoader

__all__ = ["PRIMARY_METRIC", "RUNS", "Facts", "PyModule", "PyprojectFacts", "YamlDoc", "experiment_runs", "yaml_data"]

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
    # "syntax": the YAML does not parse; "value": it parses, but a value in it cannot be built (an unknown
    # tag, an unhashable key, an integer past Python's digit limit); "limit": it passes a nesting or alias
    # limit (expcheck.limits) and is not composed at all.
    kind: str = "syntax"


@dataclass(frozen=True)
class YamlDoc:
    file: SourceFile
    data: Any
    problem: YamlProblem | None
    # The composed node tree ``data`` was constructed from, as ``yaml.compose`` returns it (for facts that
    # need node positions and styles); None when the document is empty or does not parse, or when
    # PyYAML's own constructor, which may rewrite merge keys in the nodes, built ``data``.
    node: Any = field(default=None, compare=False, repr=False)


_TAG = "tag:yaml.org,2002:"
_STR_TAG, _MAP_TAG, _SEQ_TAG, _INT_TAG = _TAG + "str", _TAG + "map", _TAG + "seq", _TAG + "int"
# Scalar tags whose safe constructor is a plain function of the node (collections, merge keys, sets,
# ordered maps and every other tag are left to PyYAML's constructor).
_SCALAR_TAGS = {_TAG + name: f"construct_yaml_{name}" for name in ("null", "bool", "int", "float", "timestamp", "binary")}


def _implicit_resolvers(resolver: type) -> dict[str, tuple[tuple[str, Any], ...]]:
    """First character of a plain scalar -> the (tag, pattern) pairs PyYAML's ``Resolver.resolve`` tries
    for it, in its order: the resolvers registered for that character, then the wildcard ones."""
    table: dict[Any, list[tuple[str, Any]]] = resolver.yaml_implicit_resolvers  # type: ignore[attr-defined]
    wildcard = tuple(table.get(None, ()))
    return {first: (*pairs, *wildcard) for first, pairs in table.items() if first is not None}


_BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # BuildingLoader's base
class _SafeLoader(BuildingLoader):
    """The safe loader (libyaml's when installed) with PyYAML's ``Resolver.resolve`` answered from tables.

    The composer asks ``resolve`` for the tag of every node, and PyYAML's pure-Python one concatenates two
    lists per scalar and looks up class attributes each time (about 300 calls per check). This one gives
    the same tag: the implicit resolvers of the scalar's first character, then the wildcard ones, tried
    in PyYAML's order (``_IMPLICIT``, from PyYAML's tables when expcheck is imported; expcheck registers
    none), else the default tag of the node's kind. It relies on there being no path resolvers
    (``_SafeLoader`` is the plain loader when some are registered), with which PyYAML's
    ``descend_resolver`` and ``ascend_resolver``, called around every node, do nothing: so do these.
    """

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str | None:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, pattern in _IMPLICIT.get(value[:1], ()):  # "" for an empty scalar, as PyYAML
                    if pattern.match(value):
                        return tag
            return _STR_TAG
        return _COLLECTION_TAGS.get(kind)


_IMPLICIT = _implicit_resolvers(_BASE_LOADER)
_COLLECTION_TAGS = {yaml.SequenceNode: _SEQ_TAG, yaml.MappingNode: _MAP_TAG}
if _BASE_LOADER.yaml_path_resolvers:  # pragma: no cover - PyYAML registers none, nor does expcheck
    _SafeLoader = BuildingLoader  # type: ignore[misc]


class _Unusual(Exception):
    """A document the direct construction leaves to PyYAML's constructor."""


class _Construction:
    """The data PyYAML's safe constructor builds from a composed node tree, built directly.

    PyYAML constructs in pure Python through generators and per-node bookkeeping; for documents of plain
    mappings, sequences and the standard scalars the result is the same data built in one recursive pass
    (each collection node built once, so aliases share their object as in PyYAML). Anything else (an
    unusual tag, a merge or value key, a collection as a key, a recursive alias) raises ``_Unusual``
    before any node is changed. A string scalar, the commonest node, is read in its collection's loop
    without a call. (A class, not a closure: a recursive closure is a reference cycle that would keep
    the loader and the data alive until the next garbage collection.)
    """

    __slots__ = ("_building", "_made", "_scalars")

    def __init__(self, loader: Any) -> None:
        self._scalars = {tag: getattr(loader, name) for tag, name in _SCALAR_TAGS.items()}
        self._made: dict[Any, Any] = {}
        self._building: set[Any] = set()

    def build(self, node: Any) -> Any:
        kind = type(node)
        if kind is _ScalarNode:
            return self._scalar(node)
        made = self._made
        if node in made:
            return made[node]
        if node in self._building:
            raise _Unusual
        self._building.add(node)
        out: Any
        if kind is _MappingNode and node.tag == _MAP_TAG:
            out = {}
            for key_node, value_node in node.value:
                if type(key_node) is not _ScalarNode:  # a collection as a key; merge and value keys raise below
                    raise _Unusual
                key = key_node.value if key_node.tag == _STR_TAG else self._scalar(key_node)
                if type(value_node) is _ScalarNode and value_node.tag == _STR_TAG:
                    out[key] = value_node.value
                else:
                    out[key] = self.build(value_node)
        elif kind is _SequenceNode and node.tag == _SEQ_TAG:
            out = [
                item.value if type(item) is _ScalarNode and item.tag == _STR_TAG else self.build(item)
                for item in node.value
            ]
        else:
            raise _Unusual
        self._building.discard(node)
        made[node] = out
        return out

    def _scalar(self, node: Any) -> Any:
        tag = node.tag
        if tag == _STR_TAG:
            return node.value
        if tag == _INT_TAG:
            value = node.value
            # Plain decimal digits, no leading zero (an octal to PyYAML): ``construct_yaml_int`` ends in int().
            if value.isascii() and value.isdigit() and (value[0] != "0" or value == "0"):
                return int(value)
        make = self._scalars.get(tag)
        if make is None:
            raise _Unusual
        return make(node)


_ScalarNode, _MappingNode, _SequenceNode = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode


def _load_yaml(text: str) -> tuple[Any, Any]:
    """``yaml.load(text, Loader=CSafeLoader)`` (the same data, the same errors, but for the values
    ``expcheck.yamlbuild.BuildingLoader`` makes plain) and the composed node tree when the direct construction built the data
    (else None)."""
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        try:
            return _Construction(loader).build(root), root
        except Exception:  # _Unusual, or a scalar PyYAML's constructor rejects: its own path decides
            return loader.construct_document(root), None
    finally:
        loader.dispose()


def yaml_data(text: str) -> Any:
    """The data a YAML text holds, read as the submission's YAML files are (``_load_yaml``); raises
    ``yaml.YAMLError`` when it does not parse or load."""
    return _load_yaml(text)[0]


def _parse_yaml(file: SourceFile) -> YamlDoc:
    limit = yaml_limit(file.text)
    if limit is not None:  # checked before libyaml's composer recurses into it
        return YamlDoc(file=file, data=None, problem=YamlProblem(limit.line, limit.column, limit.message, "limit"))
    try:
        data, node = _load_yaml(file.text)
        return YamlDoc(file=file, data=data, problem=None, node=node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1) if mark else 1
        column = (mark.column + 1) if mark else 1
        line = min(max(line, 1), max(len(file.lines), 1))
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        kind = "value" if isinstance(exc, yaml.constructor.ConstructorError) else "syntax"
        return YamlDoc(file=file, data=None, problem=YamlProblem(line, column, message, kind))
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
