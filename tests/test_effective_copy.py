"""facts.effective.copied: copy.deepcopy's answer for config data, sharing and recursion included."""

from __future__ import annotations

import copy
import datetime
import random
from typing import Any

import yaml

from expcheck.facts.effective import copied


def _shape(value: Any, seen: dict[int, int] | None = None) -> Any:
    """The value's structure with every container numbered by first visit: equal shapes mean equal values,
    equal types and the same sharing (a container met again is named by its number)."""
    seen = {} if seen is None else seen
    if isinstance(value, dict | list | set | tuple):
        if id(value) in seen:
            return ("again", seen[id(value)])
        seen[id(value)] = len(seen)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return (type(value).__name__, [(_shape(k, seen), _shape(v, seen)) for k, v in items])
    return (type(value).__name__, repr(value))


def _same_as_deepcopy(value: Any) -> None:
    mine, theirs = copied(value), copy.deepcopy(value)
    assert _shape(mine) == _shape(theirs)
    for original, made in ((value, mine), (value, theirs)):
        if isinstance(original, dict | list):
            assert made is not original


def test_plain_and_odd_values() -> None:
    shared = [1, 2]
    data: dict[str, Any] = {
        "a": 1,
        "b": [shared, shared, {"c": shared}],
        "d": {"e": None, "f": 1.5, "g": True, "h": "s"},
        "day": datetime.date(2001, 12, 14),
        "raw": b"\x00",
        "set": {1, 2},
        "pair": (shared, 3),
        1: "int key",
        (1, 2): "tuple key",
    }
    _same_as_deepcopy(data)
    copy_ = copied(data)
    assert copy_["b"][0] is copy_["b"][1] is copy_["b"][2]["c"] is copy_["pair"][0]  # shared as deepcopy shares
    assert copy_["b"][0] is not shared


def test_recursive_data() -> None:
    loop: dict[str, Any] = {"x": 1}
    loop["self"] = loop
    items: list[Any] = [1]
    items.append(items)
    _same_as_deepcopy(loop)
    _same_as_deepcopy(items)
    made = copied(loop)
    assert made["self"] is made


def test_yaml_documents_with_anchors() -> None:
    text = "base: &b {lr: 0.1, layers: [1, 2]}\nruns:\n  - *b\n  - {<<: *b, lr: 0.2}\n  - &l [1, *b]\n  - *l\n"
    _same_as_deepcopy(yaml.safe_load(text))


def test_generated_nests() -> None:
    rng = random.Random(3)
    pool: list[Any] = []

    def make(depth: int) -> Any:
        pick = rng.random()
        if depth > 4 or pick < 0.3:
            return rng.choice([1, 2.5, "s", None, True, b"b", datetime.datetime(2020, 1, 1)])
        if pick < 0.4 and pool:
            return rng.choice(pool)  # shared
        made: Any = {f"k{i}": make(depth + 1) for i in range(rng.randint(0, 4))} if pick < 0.7 else [
            make(depth + 1) for _ in range(rng.randint(0, 4))
        ]
        pool.append(made)
        return made

    for _ in range(300):
        _same_as_deepcopy(make(0))
