"""The shortcuts of the config dataflow, the typed attributes and the module-attribute chains (issue 19):
the lines that name a binding decide which statements are walked, and the answers stay those of a full walk."""

from __future__ import annotations

import ast
import textwrap

from expcheck.facts import Facts
from expcheck.facts.callscopes import module_attribute_refs, project_module_aliases
from expcheck.facts.cfgflow import cfg_flow
from expcheck.facts.imports import project_index
from expcheck.facts.knowntypes import typed_attributes
from expcheck.facts.linespans import mention_lines, renames_identifiers, spans
from expcheck.facts.python import walk
from expcheck.facts.semantic import dotted_name
from expcheck.inputs import load_files
from expcheck.submission import SourceFile


def _facts(files: dict[str, str], profile: str | None = None) -> Facts:
    loaded = load_files({k: textwrap.dedent(v) for k, v in files.items()}, profile, [])
    return Facts(loaded.submission, loaded.profile)


# ---- facts/linespans.py ---------------------------------------------------------------------------


def test_mention_lines_are_the_lines_a_name_is_written_on_as_a_word() -> None:
    file = SourceFile("src/a.py", "import m\nx = m.f()\nmm = 1\nprint(mx, m_)\ny = (\n    m\n)\n")
    assert mention_lines(file, ["m"]) == [1, 2, 6]
    assert mention_lines(file, ["m", "mm"]) == [1, 2, 3, 6]
    assert mention_lines(file, ["m"], 2, 5) == [2]
    assert mention_lines(file, []) == []


def test_mention_lines_count_lines_as_the_parser_does() -> None:
    for text in ("a = 1\r\nb = m\r\nm.x\r\n", "a = 1\rb = m\rm.x\r", "a = 1\nb = m\rm.x\n"):
        file = SourceFile("src/a.py", text)
        tree = ast.parse(text)
        parsed = sorted({n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "m"})
        assert mention_lines(file, ["m"]) == parsed, repr(text)
        assert mention_lines(file, ["m"], 3) == [3], repr(text)


def test_a_non_ascii_identifier_leaves_the_lines_unknown() -> None:
    # The parser reads the fullwidth ｍ as m: no text search can find every use.
    spelled = SourceFile("src/a.py", "import m\nｍ.f()\n")
    assert renames_identifiers(spelled.text)
    assert mention_lines(spelled, ["m"]) is None
    # Non-ASCII text in strings and comments only (no identifier character outside ASCII): lines known.
    prose = SourceFile("src/a.py", "import m  # ✓ done\nprint('→', m.f())\n")
    assert not renames_identifiers(prose.text)
    assert mention_lines(prose, ["m"]) == [1, 2]


def test_spans_cover_a_decorated_def_from_its_first_decorator() -> None:
    tree = ast.parse("@deco(m)\n\ndef f():\n    pass\n\nx = 1\n")
    func, assign = tree.body
    assert spans(func, [1]) and spans(func, [4]) and not spans(func, [5, 6])
    assert spans(assign, [6]) and not spans(assign, [1, 2, 3, 4, 5])
    assert spans(assign, None)
    assert spans(func.args, [99])  # no position: may hold anything


# ---- module_attribute_refs: the walk's order, the walk's answers ---------------------------------


_MODEL = "def build():\n    pass\n"


def _reference_refs(facts: Facts, path: str) -> list[tuple[int, int, str]]:
    """What a full breadth-first walk finds (the chains before the scope filter and the longest-only cut)."""
    info = facts.derived(project_index).by_path[path]
    aliases = project_module_aliases(facts, info)
    tree = facts.python[path].tree
    assert tree is not None
    found = []
    for node in walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            dotted = dotted_name(node)
            if dotted is not None and dotted.split(".", 1)[0] in aliases:
                found.append(node)
    longest = {id(n.value) for n in found}
    return [(n.lineno, n.col_offset, dotted_name(n) or "") for n in found if id(n) not in longest]


def test_module_attribute_refs_keep_the_breadth_first_order_of_a_full_walk() -> None:
    source = """
        import src.model as mdl
        from src import model

        @mdl.decorate
        def train(x: mdl.Config = mdl.DEFAULT):
            if x:
                for i in range(3):
                    y = [model.build(j) for j in range(i)]
            return mdl.build(model.layers.first)

        z = mdl.nothing
        w = 1
        """
    facts = _facts({"src/train.py": source, "src/model.py": _MODEL})
    info = facts.derived(project_index).by_path["src/train.py"]
    tree = facts.python["src/train.py"].tree
    assert tree is not None
    refs = module_attribute_refs(facts, info, tree)
    assert [(r.node.lineno, r.node.col_offset, r.dotted) for r in refs] == _reference_refs(facts, "src/train.py")
    assert {r.dotted for r in refs} >= {"mdl.decorate", "mdl.Config", "mdl.DEFAULT", "model.layers.first"}


def test_module_attribute_refs_through_a_non_ascii_spelling() -> None:
    facts = _facts({"src/train.py": "import src.model as m\n\ndef f():\n    return ｍ.missing\n", "src/model.py": _MODEL})
    info = facts.derived(project_index).by_path["src/train.py"]
    tree = facts.python["src/train.py"].tree
    assert tree is not None
    assert [r.dotted for r in module_attribute_refs(facts, info, tree)] == ["m.missing"]


# ---- cfg_flow: statements on no line naming a binding are skipped ---------------------------------

_APP = """\
import hydra

@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg):
{body}
"""


def _reads(body: str) -> set[tuple[str, ...]]:
    app = _APP.format(body=textwrap.indent(textwrap.dedent(body), "    "))
    facts = _facts({"config/config.yaml": "training:\n  lr: 1\n", "src/main.py": app}, "airas-v2")
    return {a.binding.keys for a in facts.derived(cfg_flow).accesses if a.binding.root == "cfg"}


def test_cfg_reads_across_continued_lines_and_aliases() -> None:
    body = """
    total = 1 + \\
        cfg.training.lr
    tr = cfg.training
    x = [
        1,
        tr.epochs,
    ]
    if (
        tr.mode
        == "fast"
    ):
        y = cfg.model.depth
    """
    assert _reads(body) == {
        ("training", "lr"),
        ("training",),
        ("training", "epochs"),
        ("training", "mode"),
        ("model", "depth"),
    }


def test_cfg_read_through_a_non_ascii_spelling_of_the_parameter() -> None:
    # ``ｃｆｇ`` is ``cfg`` to Python: the text search cannot see it, so the whole body is walked.
    assert ("training", "lr") in _reads("print(ｃｆｇ.training.lr)\n")


# ---- typed_attributes: a thread target's uses on lines away from the call's first line ------------


def _typed(source: str) -> set[tuple[int, str, type]]:
    facts = _facts({"src/train.py": source})
    return {(a.line, a.attr, a.type_) for a in facts.derived(typed_attributes)}


def test_thread_target_named_on_a_later_line_of_the_call() -> None:
    found = _typed(
        """
        import threading

        def _work(log):
            log.push(1)

        def main():
            queue = []
            worker = threading.Thread(
                target=_work,
                args=(queue,),
            )
            worker.start()
        """
    )
    assert found == {(5, "push", list)}


def test_thread_target_mentioned_in_a_decorator_is_not_private() -> None:
    found = _typed(
        """
        import threading

        def _work(log):
            log.push(1)

        @register(_work)
        def main():
            queue = []
            threading.Thread(target=_work, args=(queue,)).start()
        """
    )
    assert found == set()


def test_thread_target_lines_are_counted_as_the_parser_counts_them() -> None:
    """A file whose lines end in a lone carriage return: the target's uses are found on the parser's lines
    (counting only newlines put every use on line 1, away from the target's body)."""
    source = textwrap.dedent(
        """
        import threading

        def _work(log):
            log.push(1)

        def main():
            queue = []
            threading.Thread(target=_work, args=(queue,)).start()
        """
    ).replace("\n", "\r")
    facts = Facts(load_files({"src/train.py": source}, None, []).submission, None)
    found = {(a.line, a.attr, a.type_) for a in facts.derived(typed_attributes)}
    assert found == {(5, "push", list)}
