"""The ML-semantics facts read what the index holds and skip work without changing an answer (issue 19).

Each shortcut is checked against the plain computation it replaces: the outline read from the index
against the outline walked from the tree, substring searches against the regexes they stand for, the
skipped unparse against unparse itself.
"""

from __future__ import annotations

import ast
import random
import re
import textwrap

import pytest

from conftest import facts_of
from expcheck.facts import fabrication, loaders, modes, variations
from expcheck.facts.astindex import index_module, outline_module
from expcheck.facts.fabrication import fabrications
from expcheck.facts.launches import _assigned_list
from expcheck.facts.outlines import outline_from_index
from expcheck.facts.python import walk

_MODULE = textwrap.dedent(
    """
    import os

    NAME = "x"

    class Box:
        @property
        def size(self):
            return 1

        @size.setter
        def size(self, value):
            try:
                pass
            except Exception:
                pass

    def outer(a=1):
        class Inner:
            def method(self):
                def deep():
                    try:
                        return 1
                    finally:
                        pass
                return deep

        if a:
            def branch(): return 2
        else:
            def branch(): return 3
        try:
            pass
        except* ValueError:
            pass
        return Inner

    async def later():
        match 1:
            case 1:
                def in_case(): pass
    """
)


def test_the_outline_read_from_the_index_is_the_walked_outline() -> None:
    facts = facts_of({"src/model.py": _MODULE})
    read = outline_from_index(facts, "src/model.py")
    assert read is not None
    walked = outline_module("src/model.py", read.tree, read.model)
    # Same functions in the same order (redefinitions such as a property's setter kept), same constants,
    # same try statements (the index lists them in its walk order).
    assert [(q, id(n)) for q, n in read.functions] == [(q, id(n)) for q, n in walked.functions]
    assert len(read.functions) == 9
    assert read.constants == walked.constants == {"NAME": "x"}
    assert sorted((id(t), f) for t, f in read.tries) == sorted((id(t), f) for t, f in walked.tries)
    assert outline_from_index(facts, "src/model.py") is read  # once per check


def _random_text(rng: random.Random, alphabet: str, size: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(size))


@pytest.mark.parametrize("seed", range(5))
def test_text_searches_agree_with_the_regexes_they_replace(seed: int) -> None:
    rng = random.Random(seed)
    float_literal = re.compile(r"\.\d|\d\.|\d[eE][-+]?\d")
    for _ in range(300):
        text = _random_text(rng, "cm_a1 .\n\u00e9\u0663eE+-x(", rng.randrange(0, 30))
        assert fabrication._has_word(text, "cm") == bool(re.search(r"\bcm\b", text)), text
        assert bool(fabrication._FLOAT_LITERAL.search(text)) == bool(float_literal.search(text)), text
        key = rng.choice(["lr", "a1", "x_1"])
        expected = re.search(rf"(?<![A-Za-z0-9_]){key}(?![A-Za-z0-9_])", text) is not None
        assert variations._names_word(text, key) == expected, (text, key)


def _log_lines_by_bisect(lines: list[str]) -> set[int]:
    """The judgement ``_log_lines`` makes, computed as it was: every suspicious line listed first."""
    import bisect

    starts = [n for n, line in enumerate(lines, start=1) if "log" in line and fabrication._LOG_CALL.search(line)]
    suspicious = [n for n, line in enumerate(lines, start=1) if fabrication._suspicious(line)]
    out = set()
    for i, start in enumerate(starts):
        end = max(starts[i + 1] if i + 1 < len(starts) else len(lines) + 1, start + 8)
        pos = bisect.bisect_left(suspicious, start)
        if pos < len(suspicious) and suspicious[pos] < end:
            out.add(start)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_log_lines_found_lazily_are_those_of_a_full_scan(seed: int) -> None:
    rng = random.Random(seed)
    pieces = ["wandb.log({", "x = 1", "y = 0.5", "z = rand()", "run . log (", "})", "", "log = 2"]
    for _ in range(200):
        lines = [rng.choice(pieces) for _ in range(rng.randrange(0, 40))]
        text = "\n".join(lines)
        assert fabrication._log_lines(text, lines) == _log_lines_by_bisect(lines)


@pytest.mark.parametrize(
    "value",
    [
        "cfg.mode",
        "cfg.get('mode')",
        "'mo' 'de'",
        "'\\x6dode'",
        "b'mo' b'de'",
        "f'{cfg.mode}'",
        "x if y else z",
        "'trial' == 'trial'",
        "get(m)",
        "'''\nmode'''",
        "'tab\\tmode'",
        "cfg.modes",
        "1e5 + 0x10",
    ],
)
@pytest.mark.parametrize("key", ["mode", "trial_mode", "nmode", "tmode", "x6dode"])
def test_a_value_is_skipped_only_when_its_unparsed_code_cannot_hold_the_key(value: str, key: str) -> None:
    source = f"flag = {value}\n"
    statement = ast.parse(source).body[0]
    assert isinstance(statement, ast.Assign)
    holds = re.search(rf"\b{re.escape(key)}\b", ast.unparse(statement.value)) is not None
    if holds:
        assert modes._may_write(source.splitlines(), statement.value, key)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_loader_trigger_lines_are_the_lines_a_line_scan_finds(newline: str) -> None:
    source = newline.join(
        [
            "from torchvision.datasets import CIFAR10 as C",
            "from datasets import load_dataset",
            "x = load_dataset('a')",
            "# load_dataset without a call",
            "y = C(root='.')  ; z = datasets.x(1)",
            "m = AutoModel.from_pretrained(",
            "    'b')",
        ]
    )
    facts = facts_of({"src/preprocess.py": source})
    outline = outline_from_index(facts, "src/preprocess.py")
    assert outline is not None
    found = [at for word in loaders._TRIGGERS for at in loaders._occurrences(source, word)]
    assert loaders._trigger_lines(outline, source, found) == {3, 5, 6}


def test_a_sink_behind_an_import_alias_or_a_walrus_is_still_followed() -> None:
    source = textwrap.dedent(
        """
        import numpy as np
        from seaborn import heatmap as draw

        def report(path):
            if (values := np.random.rand(2, 2)) is not None:
                pass
            confusion = values
            draw(confusion)
        """
    )
    found = [(f.line, f.kind) for f in fabrications(facts_of({"src/evaluate.py": source}))]
    assert found == [(9, "random")]


def _assigned_by_walk(function: ast.AST, name: str, before: int) -> ast.expr | None:
    found: tuple[int, ast.expr] | None = None
    for node in walk(function):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        named = any(isinstance(t, ast.Name) and t.id == name for t in targets)
        if named and node.lineno < before and (found is None or node.lineno >= found[0]):
            found = (node.lineno, value)
    return found[1] if found else None


def test_the_last_assignment_before_a_launch_is_the_one_a_walk_finds() -> None:
    source = textwrap.dedent(
        """
        def main(cfg):
            cmd = ["python", "a.py"]
            if cfg.x:
                cmd = ["python", "b.py"]; cmd = ["python", "c.py"]
            class Local:
                cmd: list = ["python", "d.py"]
            def inner():
                cmd = ["python", "e.py"]
            cmd: list
            for _ in range(2):
                cmd += ["--x"]
            return cmd
        """
    )
    tree = index_module("src/main.py", ast.parse(source)).tree
    function = tree.body[0]
    memo: dict[int, list[ast.stmt]] = {}
    for before in range(1, 15):
        assert _assigned_list(function, "cmd", before, memo) is _assigned_by_walk(function, "cmd", before)
