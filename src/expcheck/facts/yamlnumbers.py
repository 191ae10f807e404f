"""Config numbers that PyYAML reads as strings, and the places where code hands them to numeric APIs.

YAML 1.1, which PyYAML implements, only calls a scalar a float when it has a dot and, with an
exponent, a signed one: ``1e-3``, ``5e-4`` and ``1.0e3`` are strings to ``yaml.safe_load`` (OmegaConf,
and so Hydra, reads them as floats). A repository that loads its configs with PyYAML and passes such
a value to ``torch.optim.Adam(lr=...)`` crashes with TypeError when the optimizer compares it to 0.

This fact finds the numeric-looking strings in the YAML files, when the code loads YAML with PyYAML
and has no Hydra entry point, and the calls where a value read by one of those keys reaches an
optimizer, ``torch.tensor`` or a ``math`` function without ``float()`` on the way.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, ModuleIndex, const_str, dotted, indexes, root_name
from expcheck.facts.hydra_app import hydra_apps

_PYYAML_LOADS = frozenset({"yaml.safe_load", "yaml.load", "yaml.full_load", "yaml.unsafe_load"})
# A number with an exponent that YAML 1.1 does not resolve to float: no dot, or an unsigned exponent.
_EXPONENT = re.compile(r"[-+]?(?:\d[\d_]*)?(?:\.\d*)?[eE][-+]?\d+")
_SINK = re.compile(r"^(?:torch\.optim\.(?:lr_scheduler\.)?[A-Z]\w*|torch\.tensor|torch\.full|math\.\w+)$")


@dataclass(frozen=True)
class NumericString:
    """A YAML scalar such as ``lr: 1e-3`` that PyYAML loads as the string '1e-3'."""

    path: str
    line: int
    key: str
    text: str


@dataclass(frozen=True)
class NumericSink:
    """A call that receives, read by ``keys`` from a PyYAML-loaded config, values that are strings."""

    call: CallSite
    path: str
    keys: tuple[str, ...]


def _walk(data: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield str(key), value
            yield from _walk(value)
    elif isinstance(data, list):
        for item in data:
            yield from _walk(item)


def loads_with_pyyaml(facts: Facts) -> bool:
    """Whether the code parses YAML with PyYAML and no Hydra app (whose configs OmegaConf reads) exists."""
    if facts.derived(hydra_apps):
        return False
    return any(call.name in _PYYAML_LOADS for index in facts.derived(indexes).values() for call in index.calls)


def numeric_strings(facts: Facts) -> list[NumericString]:
    """Unquoted exponent numbers in the YAML files that PyYAML turns into strings."""
    if not loads_with_pyyaml(facts):
        return []
    found: list[NumericString] = []
    for path, doc in sorted(facts.yaml.items()):
        if doc.data is None:
            continue
        seen: set[tuple[str, str]] = set()
        for key, value in _walk(doc.data):
            if not isinstance(value, str) or not _EXPONENT.fullmatch(value) or (key, value) in seen:
                continue
            seen.add((key, value))
            plain = re.compile(rf"^\s*-?\s*{re.escape(key)}\s*:\s*{re.escape(value)}\s*(?:#.*)?$")
            for number, text in enumerate(doc.file.lines, start=1):
                if plain.match(text):
                    found.append(NumericString(path, number, key, value))
    return found


def _key_read(node: ast.expr) -> str | None:
    """``k`` when ``node`` reads a config entry by a literal key: ``x["k"]`` or ``x.get("k", ...)``."""
    if isinstance(node, ast.Subscript):
        return const_str(node.slice)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        return const_str(node.args[0])
    return None


def _literal_mapping(node: ast.expr, index: ModuleIndex, function: str) -> bool:
    """Whether the read's root name holds a dict written in Python (whose numbers are real floats)."""
    root = root_name(node)
    if root is None:
        return False
    values = [*index.scope(function).assigns.get(root, []), *index.scope("").assigns.get(root, [])]
    return any(
        isinstance(v, ast.Dict | ast.DictComp) or (isinstance(v, ast.Call) and dotted(v.func, {}) == "dict")
        for v in values
    )


def _value_keys(node: ast.expr, index: ModuleIndex, function: str) -> set[str]:
    """Config keys whose raw value ``node`` is: a direct read, or a local name every assignment of which is one."""
    key = _key_read(node)
    if key is not None:
        return set() if _literal_mapping(node, index, function) else {key}
    if isinstance(node, ast.Name):
        values = index.scope(function).assigns.get(node.id, [])
        keys = [_key_read(v) for v in values]
        if (
            values
            and all(k is not None for k in keys)
            and not any(_literal_mapping(v, index, function) for v in values)
        ):
            return {k for k in keys if k is not None}
    return set()


def numeric_sinks(facts: Facts) -> list[NumericSink]:
    """Optimizer/tensor/math calls whose arguments are config reads of keys that hold exponent strings."""
    strings = facts.derived(numeric_strings)
    if not strings:
        return []
    risky = {s.key for s in strings}
    nested = _nested_keys(facts, risky)
    out: list[NumericSink] = []
    for path, index in sorted(facts.derived(indexes).items()):
        for call in index.calls:
            if not _SINK.match(call.name):
                continue
            keys: set[str] = set()
            for arg in [*call.node.args, *(k.value for k in call.node.keywords if k.arg is not None)]:
                keys |= _value_keys(arg, index, call.function) & risky
            for kw in call.node.keywords:
                if kw.arg is None:  # **cfg["optimizer"]: every value of that mapping is passed
                    for parent in _value_keys(kw.value, index, call.function):
                        keys |= nested.get(parent, set())
            if keys:
                out.append(NumericSink(call, path, tuple(sorted(keys))))
    return out


def _nested_keys(facts: Facts, risky: set[str]) -> dict[str, set[str]]:
    """Mapping key -> the risky keys directly under it (``optimizer: {lr: 1e-3}`` gives optimizer -> {lr})."""
    out: dict[str, set[str]] = {}
    for doc in facts.yaml.values():
        for key, value in _walk(doc.data):
            if isinstance(value, dict):
                inner = {
                    str(k)
                    for k, v in value.items()
                    if str(k) in risky and isinstance(v, str) and _EXPONENT.fullmatch(v)
                }
                if inner:
                    out.setdefault(key, set()).update(inner)
    return out
