"""The quicker facts of issue 19's third round give exactly what the slower computations gave.

Each shortcut is compared with the computation it replaces, over crafted inputs and, when ../shared is
present, over every file of the corpus: the YAML loader's table-driven ``resolve`` with PyYAML's own,
the direct construction with PyYAML's loader, and yamlnumbers' screen and walk with the plain search
and the generator walk they replace.
"""

from __future__ import annotations

import ast
import itertools
import pickle
import warnings
from collections.abc import Iterator
from functools import cache

import pytest
import yaml

from conftest import CORPUS, corpus_facts, corpus_files, needs_shared
from expcheck.facts import Facts, _SafeLoader, fabrication, knowntypes, mltrain, selection, yamlnumbers
from expcheck.facts.callees import resolved_calls
from expcheck.facts.callscopes import module_scopes
from expcheck.facts.signatures import callee_definition
from expcheck.facts.splits import words
from expcheck.submission import SourceFile
from yaml_reference import assert_loads_as_pyyaml, our_load, reference_load

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
    assert_loads_as_pyyaml(text)


_INTEGERS = ["0", "00", "007", "010", "7", "10", "-3", "+3", "1_000", "0x1F", "0b11", "0o7", "190:20:30", "12345678901234567890",
             "9" * 5000, "\u0661\u0662", "\u00b2", "1.5", "x", "", "０"]


@pytest.mark.parametrize("text", _INTEGERS)
def test_integers_load_as_with_pyyaml(text: str) -> None:
    for document in (f"a: {text}\n", f"a: !!int '{text}'\n", f"- !!int {text}\n"):
        reference, ours = reference_load(document), our_load(document)
        assert repr(ours) == repr(reference), document
        if reference[0] == "data":
            assert [type(v) for v in _values(ours[1])] == [type(v) for v in _values(reference[1])]


def _values(data: object) -> list[object]:
    return list(data.values()) if isinstance(data, dict) else list(data)  # type: ignore[call-overload]


def test_resolver_walk_does_nothing() -> None:
    """PyYAML's resolver stacks stay empty without path resolvers: the no-op methods skip nothing."""
    assert not yaml.SafeLoader.yaml_path_resolvers
    reference = _PYYAML_LOADER("a: [b, {c: d}]\n")
    reference.get_single_node()
    assert reference.resolver_exact_paths == [] and reference.resolver_prefix_paths == []
    reference.dispose()


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
        assert pickle.dumps(our_load(text)) == pickle.dumps(reference_load(text)), where


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


# ---- knowntypes ---------------------------------------------------------------------------------------------

_PYTHON_SAMPLES = [
    "x = 0.5\ny = x\nz = 'a' % x\nw = Path('a') / 'b'\nv = open('f', 'rb')\nu = float(x).real\n",
    "from pathlib import Path as P\nimport pathlib\na = P('x')\nb = pathlib.Path('y').resolve()\nc = 'x'.upper().split()\n",
    "d = [1, 2]\ne = {'a': 1}\nf = {1}\ng = (1,)\nh = f'{d}'\ni = True\nj = None\nk = ...\nl = b'x'\nm = -1\n",
    "n = x.y\no = x[0]\np = lambda: 1\nq = [i for i in d]\nr = not d\ns = d if e else f\nt = 1 + 2\nu = 'a'.encode()\n",
    "def f(a):\n    with open(a, 'w') as fh, open(a, buffering=0) as raw:\n        fh.write(a)\n    return a % 2\n",
]


@cache
def _python_sources() -> list[tuple[str, str]]:
    """The samples above, and every Python file of the corpus when it is present."""
    found = [(f"sample {number}", text) for number, text in enumerate(_PYTHON_SAMPLES)]
    if (CORPUS / "index.jsonl").is_file():
        found.extend((f"{trace}:{path}", file.text) for trace, path, file in corpus_files(".py"))
    return found


def _types_of(text: str) -> tuple[knowntypes._Types, ast.Module] | None:
    from expcheck.facts.astindex import index_module
    from expcheck.facts.python import PyModule

    parsed = PyModule(SourceFile(path="src/m.py", text=text))
    if parsed.tree is None:
        return None
    return knowntypes._Types(parsed, index_module("src/m.py", parsed.tree).model), parsed.tree


def test_guess_type_is_the_type_expr_type_gives_without_a_scope() -> None:
    checked = 0
    for where, text in _python_sources():
        found = _types_of(text)
        if found is None:
            continue
        types, tree = found
        for node in ast.walk(tree):
            if isinstance(node, ast.expr):
                typed = types.expr_type(node, None)
                assert types.guess_type(node) == (typed.type_ if typed is not None else None), (where, ast.dump(node))
                checked += 1
    assert checked > 100


def test_children_are_iter_child_nodes_less_contexts_and_operators() -> None:
    plain = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
    for where, text in _python_sources():
        found = _types_of(text)
        if found is None:
            continue
        for node in ast.walk(found[1]):
            expected = [child for child in ast.iter_child_nodes(node) if not isinstance(child, plain)]
            assert knowntypes._children(node) == expected, (where, ast.dump(node)[:200])


def test_guards_are_the_nodes_with_a_test() -> None:
    with_test = {
        kind
        for kind in vars(ast).values()
        if isinstance(kind, type) and issubclass(kind, ast.AST) and "test" in getattr(kind, "_fields", ())
    }
    assert with_test | {ast.Try, ast.TryStar} == knowntypes._GUARDS


def test_guarded_access_inside_a_nested_test_is_not_reported() -> None:
    """The walk keeps only the guarding nodes around an access: a guard two levels up still counts."""
    from conftest import facts_of

    facts = facts_of(
        {
            "src/train.py": """
            def run(m):
                value = 0.5
                if hasattr(value, "atanh"):
                    for _ in range(2):
                        print(value.atanh())
                try:
                    while m:
                        value.sqrt()
                except AttributeError:
                    pass
                return value.conjugate_x()
            """
        }
    )
    assert [(a.line, a.attr) for a in knowntypes.typed_attributes(facts)] == [(12, "conjugate_x")]


# ---- callees ---------------------------------------------------------------------------------------------------


def _every_call_resolved(facts: Facts) -> list[int]:
    """The calls ``callee_definition`` resolves, asked of every call (no screen)."""
    found = []
    for scopes in facts.derived(module_scopes).values():
        for call in scopes.calls:
            if callee_definition(facts, scopes, call) is not None:
                found.append(id(call.node))
    return found


_CALLING = {
    "src/__init__.py": "",
    "src/model.py": "class Net:\n    pass\n\n\ndef build():\n    return Net()\n",
    "src/train.py": (
        "import src.model\nimport src.model as m\nfrom src import model\nimport torch\n\n"
        "def run(model=None):\n    a = m.build()\n    b = src.model.Net()\n    c = model.build()\n"
        "    d = torch.zeros(1)\n    e = m.build().x()\n    f = (m).build()\n    return a, b, c, d, e, f\n\n"
        "x = model.build()\ny = m.Net()\n"
    ),
}


def test_resolved_calls_are_the_calls_callee_definition_resolves() -> None:
    from conftest import facts_of

    facts = facts_of(_CALLING)
    resolved = resolved_calls(facts)
    assert list(resolved) == _every_call_resolved(facts)
    assert len(resolved) >= 4


@needs_shared
def test_corpus_resolved_calls_as_without_the_screen() -> None:
    for trace, facts in corpus_facts():
        assert list(resolved_calls(facts)) == _every_call_resolved(facts), trace


# ---- selection ---------------------------------------------------------------------------------------------------

_NAMES = ["best", "best_acc", "bestAcc", "BEST_LOSS", "is_best", "bestest", "best2", "x_best_y", "Best", "bEsT", "ßest",
          "İbest", "besT_Ω", "rebest", "acc", "", "stop", "early_stopper", "patience", "EarlyStopping", "stopped"]


@cache
def _corpus_names() -> list[str]:
    """Every identifier of the corpus's Python files (and the crafted ones above)."""
    names = set(_NAMES)
    for _where, text in _python_sources():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the corpus's own invalid escapes
                tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        names.update(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
        names.update(node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute))
    return sorted(names)


def test_says_best_is_the_word_test_it_screens() -> None:
    for name in _corpus_names():
        assert selection._says_best(name) == ("best" in words(name)), name


def test_stop_hint_is_any_hint_word() -> None:
    for name in _corpus_names():
        lowered = name.lower()
        assert selection._hints_stop(lowered) == any(w in lowered for w in selection._STOP_HINTS), name


# ---- mltrain -------------------------------------------------------------------------------------------------


def _layers(source: str) -> list[tuple[str, str]]:
    from conftest import facts_of

    return mltrain.training_facts(facts_of({"src/model.py": source})).mode_dependent_layers


def test_mode_dependent_layers_found_once_the_text_is_asked() -> None:
    source = """
    import timm
    import torch.nn as nn
    from torchvision import models
    from transformers import AutoModel

    def build(p):
        drop = nn.Dropout(p)
        norm = nn.BatchNorm1d(4)
        net = models.resnet18()
        enc = AutoModel.from_pretrained("x")
        return timm.create_model("y"), drop, norm, net, enc
    """
    assert [name for _, name in _layers(source)] == [
        "torch.nn.Dropout",
        "torch.nn.BatchNorm1d",
        "torchvision.models.resnet18",
        "transformers.AutoModel.from_pretrained",
        "timm.create_model",
    ]


def test_no_layer_without_its_name_in_the_text() -> None:
    # The parser reads the full-width letter as D: the call builds a dropout layer whose name the text lacks.
    assert _layers("import torch.nn as nn\n\nlayer = nn.\uff24ropout(0.1)\n") == []
    assert _layers("import torch.nn as nn\n\nlayer = nn.Linear(1, 2)\n") == []


def test_layer_hint_worked_out_once() -> None:
    answer: list[bool] = []
    assert mltrain._layer_hinted(answer, "x = nn.Dropout(0.1)") is True
    assert mltrain._layer_hinted(answer, "no layer here") is True  # the first answer stands for the module
    assert mltrain._layer_hinted([], "no layer here") is False


# ---- fabrication ---------------------------------------------------------------------------------------------


def test_fabrications_leave_a_module_without_log_calls_unsplit() -> None:
    from conftest import facts_of

    facts = facts_of(
        {
            "src/train.py": "import wandb\n\nrun = wandb.init()\nrun.log({'acc': 0.93})\n",
            "src/model.py": "import torch\n\n\ndef build():\n    return torch.nn.Linear(2, 2)\n",
        }
    )
    found = fabrication.fabrications(facts)
    assert [(f.path, f.line) for f in found] == [("src/train.py", 4)]
    assert "lines" in vars(facts.files["src/train.py"])  # its log call was read line by line
    assert "lines" not in vars(facts.files["src/model.py"])  # nothing to read there: never split


def test_file_lines_read_as_the_list() -> None:
    file = SourceFile(path="src/a.py", text="a\r\nb\rc\n\nd")
    lines = fabrication._FileLines(file)
    assert "lines" not in vars(file)
    assert list(lines) == file.lines == ["a", "b", "c", "", "d"]
    assert len(lines) == 5 and lines[1] == "b" and lines[-1] == "d" and lines[1:3] == ["b", "c"]
    assert list(enumerate(lines, start=1))[2] == (3, "c")
