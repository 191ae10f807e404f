"""The quicker facts of issue 19's third round give exactly what the slower computations gave.

Each shortcut is compared with the computation it replaces, over crafted inputs and, when ../shared is
present, over every file of the corpus: the YAML loader's table-driven ``resolve`` with PyYAML's own,
the direct construction with PyYAML's loader, and yamlnumbers' screen and walk with the plain search
and the generator walk they replace.
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Iterator
from functools import cache

import pytest
import yaml

from conftest import corpus_files, needs_shared
from expcheck.facts import _load_yaml, _SafeLoader
from expcheck.facts import yamlnumbers
from expcheck.submission import SourceFile

_PYYAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # resolves with PyYAML's Resolver.resolve
_IMPLICITS = [(True, False), (False, True), (True, True), (False, False)]
# Characters that start or continue the scalars PyYAML's implicit resolvers look for, and some that do not.
_ALPHABET = "0123456789-+._:eExXbBoOyYnNtTfF~<=!&* aZ"
_KNOWN = [
    "", "~", "null", "Null", "NULL", "nULL", "yes", "Yes", "YES", "yEs", "no", "on", "Off", "true", "False",
    "1e-3", "1.0e-3", "1.0e+3", "1.e3", ".5", "-.inf", "+.INF", ".NaN", ".nan", "1_000", "0x1F", "0o17", "0b101",
    "017", "190:20:30", "190:20:30.15", "2023-01-01", "2023-1-1 10:00:00", "2023-01-01T10:00:00.5Z",
    "2023-01-01 10:00:00 +01:00", "<<", "=", "!", "&", "*", "1 000", "1.2.3", "v1.0", "1e3x", "0.001\n",
]


def _generated() -> Iterator[str]:
    yield from _KNOWN
    for length in range(1, 4):
        for chars in itertools.product(_ALPHABET, repeat=length):
            yield "".join(chars)


def _tags(loader: object, value: str) -> list[str | None]:
    resolve = loader.resolve  # type: ignore[attr-defined]
    return [resolve(yaml.ScalarNode, value, implicit) for implicit in _IMPLICITS]


def test_resolve_gives_pyyamls_tag_for_generated_scalars() -> None:
    ours, reference = _SafeLoader(""), yaml.SafeLoader("")
    for value in _generated():
        assert _tags(ours, value) == _tags(reference, value), value
    for kind in (yaml.SequenceNode, yaml.MappingNode):
        for implicit in _IMPLICITS:
            assert ours.resolve(kind, None, implicit) == reference.resolve(kind, None, implicit)


def test_resolve_knows_each_implicit_tag() -> None:
    """A table that lost a resolver would answer str: the tags PyYAML gives are all there."""
    ours = _SafeLoader("")
    assert {ours.resolve(yaml.ScalarNode, v, (True, False)) for v in ("1", "1.5", "true", "~", "2023-01-01")} == {
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:timestamp",
    }


def _reference_load(text: str) -> tuple[object, ...]:
    try:
        return ("data", yaml.load(text, Loader=_PYYAML_LOADER))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


def _our_load(text: str) -> tuple[object, ...]:
    try:
        return ("data", _load_yaml(text)[0])
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


def _same_nodes(ours: yaml.Node | None, reference: yaml.Node | None) -> bool:
    """Whether two composed trees have the same kinds, tags, styles, values and positions everywhere."""
    if type(ours) is not type(reference):
        return False
    if ours is None or reference is None:
        return ours is reference
    if (ours.tag, ours.start_mark.index, ours.end_mark.index) != (
        reference.tag,
        reference.start_mark.index,
        reference.end_mark.index,
    ):
        return False
    if isinstance(ours, yaml.ScalarNode):
        return (ours.value, ours.style) == (reference.value, reference.style)
    if len(ours.value) != len(reference.value):
        return False
    if isinstance(ours, yaml.MappingNode):
        return all(
            _same_nodes(k1, k2) and _same_nodes(v1, v2)
            for (k1, v1), (k2, v2) in zip(ours.value, reference.value, strict=True)
        )
    return all(_same_nodes(a, b) for a, b in zip(ours.value, reference.value, strict=True))


def _compose(text: str, loader: type) -> tuple[object, ...]:
    try:
        return ("node", yaml.compose(text, Loader=loader))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


_DOCUMENTS = [
    "a: [x, 'y', 1, z]\nb: {c: d, 2: e, f: [g, ~]}\n",
    "- a\n- &s shared\n- *s\n- [*s, b]\n",
    "k: !!str 12\n!!str 3: v\n? !!int '4'\n: w\n",
    "seq: !!seq [a, b]\nmap: !!map {a: b}\n",
    "a: &m {x: y}\nb: [*m, *m]\n",
    "a: [1, !!binary aGk=, 2.5]\n",
    "a: [x, <<]\n",
    "a: [x, !weird y]\n",
    "{a: b, c: [d, {e: f}]}\n",
    "= : x\n",
]


@pytest.mark.parametrize("text", _DOCUMENTS)
def test_load_is_pyyamls(text: str) -> None:
    reference, ours = _reference_load(text), _our_load(text)
    assert repr(ours) == repr(reference)
    assert pickle.dumps(ours) == pickle.dumps(reference)  # shared objects stay shared


@cache
def _corpus_yaml() -> list[tuple[str, str]]:
    return [(f"{trace}:{path}", file.text) for trace, path, file in corpus_files(".yaml", ".yml")]


@needs_shared
def test_corpus_yaml_composes_and_loads_as_with_pyyaml() -> None:
    texts = _corpus_yaml()
    assert texts
    for where, text in texts:
        ours, reference = _compose(text, _SafeLoader), _compose(text, _PYYAML_LOADER)
        if reference[0] == "error":
            assert ours == reference, where
        else:
            assert ours[0] == "node" and _same_nodes(ours[1], reference[1]), where  # type: ignore[arg-type]
        assert pickle.dumps(_our_load(text)) == pickle.dumps(_reference_load(text)), where


def _scalars(node: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, yaml.ScalarNode):
            yield item
        elif isinstance(item, yaml.MappingNode):
            stack.extend(part for pair in item.value for part in pair)
        elif isinstance(item, yaml.SequenceNode):
            stack.extend(item.value)


@needs_shared
def test_corpus_scalars_resolve_as_with_pyyaml() -> None:
    ours, reference = _SafeLoader(""), yaml.SafeLoader("")
    seen = 0
    for _where, text in _corpus_yaml():
        composed = _compose(text, _PYYAML_LOADER)
        if composed[0] != "node":
            continue
        for scalar in _scalars(composed[1]):  # type: ignore[arg-type]
            assert _tags(ours, scalar.value) == _tags(reference, scalar.value), scalar.value
            seen += 1
    assert seen > 1000


# ---- yamlnumbers -------------------------------------------------------------------------------------------


def _reference_plain_exponents(
    node: yaml.Node | None, keys: tuple[str, ...], depth: int = 0
) -> Iterator[tuple[tuple[str, ...], yaml.ScalarNode]]:
    """The generator walk yamlnumbers used before (round 2)."""
    if node is None or depth > yamlnumbers._MAX_YAML_DEPTH:
        return
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            yield from _reference_plain_exponents(value, (*keys, str(name)), depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _reference_plain_exponents(item, keys, depth + 1)
    elif (
        isinstance(node, yaml.ScalarNode)
        and keys
        and not node.style
        and node.tag == "tag:yaml.org,2002:str"
        and yamlnumbers._EXPONENT.fullmatch(node.value)
    ):
        yield keys, node


def _plain_exponents(node: yaml.Node | None) -> list[tuple[tuple[str, ...], yaml.ScalarNode]]:
    found: list[tuple[tuple[str, ...], yaml.ScalarNode]] = []
    yamlnumbers._plain_exponents(node, (), found)
    return found


def _nested(depth: int, leaf: str) -> str:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)) + f"{'  ' * depth}lr: {leaf}\n"


_EXPONENT_DOCUMENTS = [
    "lr: 1e-3\nwd: 1.0e-4\nq: '1e-3'\nn: 1e+3\nx: 5E7\ns: [1e-3, {a: 2e-2}]\n",
    "a: {b: [1e-3, [2e-3]], ? [k]\n: 3e-3}\n",
    "- 1e-3\n- {lr: 1e-3}\n",
    "1e-3: lr\n",
    "lr: !!str 1e-3\nwd: \"1e-3\"\n",
    _nested(yamlnumbers._MAX_YAML_DEPTH - 1, "1e-3"),
    _nested(yamlnumbers._MAX_YAML_DEPTH, "1e-3"),
    _nested(yamlnumbers._MAX_YAML_DEPTH + 1, "1e-3"),
    "a:\n" + "  - " * 70 + "1e-3\n",
]


@pytest.mark.parametrize("text", _EXPONENT_DOCUMENTS)
def test_plain_exponents_walk_as_before(text: str) -> None:
    root = yaml.compose(text, Loader=_PYYAML_LOADER)
    assert _plain_exponents(root) == list(_reference_plain_exponents(root, ()))


def test_plain_exponents_stop_at_the_depth_limit() -> None:
    inside = yaml.compose(_nested(yamlnumbers._MAX_YAML_DEPTH - 1, "1e-3"), Loader=_PYYAML_LOADER)
    past = yaml.compose(_nested(yamlnumbers._MAX_YAML_DEPTH, "1e-3"), Loader=_PYYAML_LOADER)
    assert len(_plain_exponents(inside)) == 1
    assert _plain_exponents(past) == []


def _screens_alike(text: str) -> bool:
    return bool(yamlnumbers._EXPONENT_ANYWHERE.search(text)) == bool(yamlnumbers._EXPONENT.search(text))


def test_exponent_screen_finds_what_the_full_pattern_finds() -> None:
    for chars in itertools.product("1e-E+._ax\n", repeat=4):
        assert _screens_alike("".join(chars)), chars
    for text in ("lr: 1e-3", "lr: 0.001", "name: e5", "name: e", "a: 1.e", "e-", "E+1", "x" * 50 + "e9"):
        assert _screens_alike(text), text


@needs_shared
def test_corpus_exponents_as_before() -> None:
    for where, text in _corpus_yaml():
        assert _screens_alike(text), where
        composed = _compose(text, _PYYAML_LOADER)
        if composed[0] == "node":
            root = composed[1]
            assert _plain_exponents(root) == list(_reference_plain_exponents(root, ())), where  # type: ignore[arg-type]


def test_numeric_strings_found_through_the_screen() -> None:
    from conftest import facts_of

    facts = facts_of(
        {
            "config.yaml": "optimizer:\n  lr: 1e-3\n  wd: 0.01\n",
            "train.py": "import yaml\n\ncfg = yaml.safe_load(open('config.yaml'))\n",
        }
    )
    found = yamlnumbers.numeric_strings(facts)
    assert [(s.path, s.line, s.keys, s.text) for s in found] == [("config.yaml", 2, ("optimizer", "lr"), "1e-3")]
    assert isinstance(facts.files["config.yaml"], SourceFile)
