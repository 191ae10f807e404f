"""The per-module index (facts/astindex.py): what one walk of a tree records, on ordinary and hostile code."""

from __future__ import annotations

import ast
import textwrap

from conftest import facts_of
from expcheck.facts.astindex import (
    ModuleIndex,
    calls_on_lines,
    code_modules,
    const_str,
    enclosing_loops,
    index_module,
    index_of,
    indexes,
    outline_module,
    outline_of,
    root_name,
    statements_on_lines,
    template,
)


def _index(source: str, path: str = "src/train.py") -> ModuleIndex:
    return index_module(path, ast.parse(textwrap.dedent(source)))


def _calls(index: ModuleIndex) -> list[tuple[int, str, str, bool]]:
    """(line, enclosing function, resolved callee, in a loop) of every call, in source order."""
    return [(c.line, c.function, c.name, c.in_loop) for c in index.calls]


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _unparsed(pairs: list[tuple[ast.AST, str]]) -> list[tuple[str, str]]:
    """(code, function) of recorded nodes, in source order (the walk records them in no set order)."""
    return [(ast.unparse(node), function) for node, function in sorted(pairs, key=lambda p: _position(p[0]))]


# --------------------------------------------------------------------------- helpers on expressions


def test_root_name_follows_attributes_subscripts_and_calls() -> None:
    assert root_name(_expr("x.a[0].b()")) == "x"
    assert root_name(_expr("f()(1).y")) == "f"
    assert root_name(_expr("cfg['a']['b']")) == "cfg"
    assert root_name(_expr("(a or b).c")) is None
    assert root_name(_expr("'sep'.join(xs)")) is None


def test_const_str_is_a_plain_string_literal_only() -> None:
    assert const_str(_expr("'acc'")) == "acc"
    assert const_str(_expr("'a' 'b'")) == "ab"  # implicit concatenation is one constant
    assert const_str(_expr("b'acc'")) is None
    assert const_str(_expr("1")) is None
    assert const_str(_expr("f'acc'")) is None
    assert const_str(None) is None


def test_template_writes_each_expression_as_braces() -> None:
    assert template(_expr("'val/acc'")) == "val/acc"
    assert template(_expr("f'{split}/acc'")) == "{}/acc"
    assert template(_expr("f'{x!r:>{width}}-{y}'")) == "{}-{}"
    assert template(_expr("f'{f\"{a}\"}_{b}'")) == "{}_{}"  # a nested f-string is one expression
    assert template(_expr("'a' + x")) == "a{}"
    assert template(_expr("x + '_b'")) == "{}_b"
    assert template(_expr("'a' + x + f'_{y}' + 'z'")) == "a{}_{}z"
    assert template(_expr("x + y")) is None
    assert template(_expr("'a' * 2")) is None
    assert template(_expr("1")) is None


# --------------------------------------------------------------------------- calls


def test_calls_are_attributed_to_the_scope_that_evaluates_them() -> None:
    index = _index(
        """
        import numpy as np

        def deco(arg):
            return arg

        @deco(np.ones(1))
        def main(cfg, lr=np.zeros(2)):
            helper = lambda y: np.exp(y)
            squares = [np.square(x) for x in cfg.xs]

            class Inner:
                table = np.eye(2)

                def method(self):
                    return np.abs(self)

            async def fetch():
                async with np.lock() as held:
                    await held.send()

        class Outer:
            size = np.prod(3)

            class Nested:
                def meth(self):
                    return np.min(self)

        np.save("x")
        """
    )
    assert _calls(index) == [
        (7, "", "deco", False),  # the decorator runs where the function is defined
        (7, "", "numpy.ones", False),
        (8, "", "numpy.zeros", False),  # so does a default
        (9, "main", "numpy.exp", False),  # a lambda's body is indexed with its function
        (10, "main", "numpy.square", False),
        (13, "main", "numpy.eye", False),  # a class body runs in the function that defines it
        (16, "main.Inner.method", "numpy.abs", False),
        (19, "main.fetch", "numpy.lock", False),
        (20, "main.fetch", "held.send", False),
        (23, "", "numpy.prod", False),
        (27, "Outer.Nested.meth", "numpy.min", False),
        (29, "", "numpy.save", False),
    ]


def test_in_loop_means_repeated_by_a_for_or_while_statement_of_the_same_function() -> None:
    index = _index(
        """
        def train(loader, run):
            for batch in loader.batches():
                run.log(batch)

                def hook():
                    run.flush()
            else:
                run.finish()
            while run.step() < 10:
                run.tick()
            async def stream():
                async for item in run.items():
                    await run.push(item)
            squares = [run.square(x) for x in loader]
        """
    )
    assert _calls(index) == [
        (3, "train", "loader.batches", False),  # the iterable is evaluated once
        (4, "train", "run.log", True),
        (7, "train.hook", "run.flush", False),  # a function defined in a loop is not itself looping
        (9, "train", "run.finish", False),  # for ... else: the else block runs once
        (10, "train", "run.step", True),  # a while test is evaluated on every turn
        (11, "train", "run.tick", True),
        (13, "train.stream", "run.items", False),
        (14, "train.stream", "run.push", True),
        (15, "train", "run.square", False),  # a comprehension is not a for statement
    ]


def test_calls_inside_match_walrus_fstrings_and_handlers_are_indexed() -> None:
    index = _index(
        """
        import wandb

        def main(cfg):
            match cfg.mode(1):
                case {"kind": "a"} if cfg.guard():
                    wandb.init(project=f"p-{cfg.name()}")
                case [first, *rest]:
                    wandb.log({"n": len(rest)})
                case _:
                    pass
            if (n := cfg.count()) > 0:
                try:
                    wandb.finish()
                except* ValueError:
                    wandb.alert(title="x")
        """
    )
    assert _calls(index) == [
        (5, "main", "cfg.mode", False),
        (6, "main", "cfg.guard", False),
        (7, "main", "wandb.init", False),
        (7, "main", "cfg.name", False),
        (9, "main", "wandb.log", False),
        (9, "main", "len", False),
        (12, "main", "cfg.count", False),
        (14, "main", "wandb.finish", False),
        (16, "main", "wandb.alert", False),
    ]


def test_unusual_but_valid_syntax() -> None:
    source = textwrap.dedent(
        """
        try: import wandb as wb
        except ImportError: wb = None
        def main(cfg): wb.init(); wb.log({"a": 1}); return cfg
        with (open("a") as fa,
              open("b") as fb):
            fa.write(fb.read())
        x = wb.config \\
            .get("lr")
        @(lambda f: f)
        def g(): pass
        @registry["x"].register(name="g2")
        def g2(): pass
        class C(Base, metaclass=make_meta()):
            def m(self): return super().m()
        def 学习(λ): return λ.exp()
        for i in range(3): wb.log({"i": i}); continue
        while True: wb.tick(); break
        if cfg := load(): run(cfg)
        """
    )
    index = _index(source)
    assert _calls(index) == [
        (4, "main", "wandb.init", False),  # one-line compound statements and semicolons
        (4, "main", "wandb.log", False),
        (5, "", "open", False),  # parenthesised context managers
        (6, "", "open", False),
        (7, "", "fa.write", False),
        (7, "", "fb.read", False),
        (8, "", "wandb.config.get", False),  # a call is placed where its chain starts
        (12, "", "", False),  # a decorator no dotted name spells
        (14, "", "make_meta", False),
        (15, "C.m", "super().m", False),
        (15, "C.m", "super", False),
        (16, "学习", "λ.exp", False),
        (17, "", "range", False),
        (17, "", "wandb.log", True),
        (18, "", "wandb.tick", True),
        (19, "", "load", False),
        (19, "", "run", False),
    ]
    assert index.scopes["学习"].params == ("λ",)
    outline = outline_module("src/train.py", ast.parse(source))
    found = calls_on_lines(outline, {4, 12, 17})
    assert [(c.line, c.function, c.name) for c in found] == [
        (4, "main", "wandb.init"),
        (4, "main", "wandb.log"),
        (12, "", ""),
        (17, "", "range"),
        (17, "", "wandb.log"),
    ]


def test_calls_resolve_through_the_imports_their_function_sees() -> None:
    index = _index(
        """
        import os.path
        from . import model
        from .data import load as load_data
        from torch import *

        def main():
            import wandb as wb
            from numpy.random import rand as draw
            wb.init()

            def inner():
                wb.log(draw(2))

        def sibling():
            wb.log({})

        os.path.join("a", "b")
        model.build()
        load_data("x")
        zeros(3)
        """
    )
    assert _calls(index) == [
        (10, "main", "wandb.init", False),
        (13, "main.inner", "wandb.log", False),  # a nested function sees its parent's imports
        (13, "main.inner", "numpy.random.rand", False),
        (16, "sibling", "wb.log", False),  # another function's import is not visible
        (18, "", "os.path.join", False),
        (19, "", "src.model.build", False),  # relative imports inside src/
        (20, "", "src.data.load", False),
        (21, "", "zeros", False),  # a star import binds nothing nameable
    ]


def test_a_local_binding_shadows_an_imported_name() -> None:
    index = _index(
        """
        import wandb as wb
        import numpy as np

        def fake():
            wb = make_tracker()
            wb.init()

        def scaled(np):
            return np.zeros(1)
        """
    )
    assert [(c.function, c.name) for c in index.calls] == [
        ("fake", "make_tracker"),
        ("fake", "wb.init"),
        ("scaled", "np.zeros"),
    ]


def test_calls_to_selects_by_resolved_name() -> None:
    index = _index(
        """
        import wandb as wb
        wb.init()
        wb.log({})
        wb.init(mode="offline")
        """
    )
    assert [c.line for c in index.calls_to("wandb.init")] == [3, 5]
    assert [c.line for c in index.calls_to("wandb.log", "wandb.init")] == [3, 4, 5]
    assert list(index.calls_to("wb.init")) == []


def test_very_long_and_deep_expressions_are_indexed() -> None:
    wide = 5000
    index = _index("total = [" + ", ".join(f"f({i})" for i in range(wide)) + "]\n")
    assert len(index.calls) == wide
    assert [c.node.args[0].value for c in index.calls[:3]] == [0, 1, 2]  # type: ignore[attr-defined]
    deep = 300  # a left-deep chain of additions, as deep as the parser comfortably builds
    index = _index("total = " + " + ".join(f"g({i})" for i in range(deep)) + "\n")
    assert [c.node.args[0].value for c in index.calls] == list(range(deep))  # type: ignore[attr-defined]
    assert [ast.unparse(v)[:10] for v in index.scopes[""].assigns["total"]] == ["g(0) + g(1"]


def test_deeply_nested_functions_get_dotted_qualnames() -> None:
    depth = 60
    lines = [f"{'    ' * i}def f{i}():" for i in range(depth)] + [f"{'    ' * depth}return g()"]
    index = _index("\n".join(lines) + "\n")
    deepest = ".".join(f"f{i}" for i in range(depth))
    assert [(c.function, c.name) for c in index.calls] == [(deepest, "g")]
    assert index.function_named(f"f{depth - 1}") is index.scopes[deepest]


# --------------------------------------------------------------------------- scopes


def test_scope_parameters_of_every_kind() -> None:
    index = _index(
        """
        def f(a, /, b, *args, c, d=1, **kw):
            pass

        class Model:
            async def forward(self, x):
                pass
        """
    )
    assert index.scopes["f"].params == ("a", "b", "c", "d", "args", "kw")
    assert index.scopes["Model.forward"].params == ("self", "x")
    assert sorted(index.scopes) == ["", "Model.forward", "f"]  # classes and lambdas are no scopes


def test_scope_assignments_item_stores_updates_and_returns() -> None:
    index = _index(
        """
        def collect(pairs, ctx):
            a, (b, c) = 1, (2, 3)
            first, *rest = pairs
            *head, tail = 1, 2, 3
            x = y = {"k": 1}
            total: int = 0
            total += 5
            annotated_only: int
            for i, (key, value) in enumerate(pairs):
                pass
            with ctx.open() as handle, ctx.pair() as (left, right):
                pass
            out = {}
            out["loss"] = 1
            out[key] += 2
            out.update(extra=3)
            self.attr = 4
            return out
        """
    )
    scope = index.scopes["collect"]
    assigns = {name: [ast.unparse(v) for v in values] for name, values in scope.assigns.items()}
    assert assigns == {
        "a": ["1"],  # nested tuples are paired element by element
        "b": ["2"],
        "c": ["3"],
        "first": ["pairs"],
        "rest": ["pairs"],
        "head": ["(1, 2, 3)"],  # a starred name takes a slice: every name may hold any element
        "tail": ["(1, 2, 3)"],
        "x": ["{'k': 1}"],
        "y": ["{'k': 1}"],
        "total": ["0"],  # an augmented assignment adds no value
        "i": ["enumerate(pairs)"],  # a for target holds the iterable
        "key": ["enumerate(pairs)"],
        "value": ["enumerate(pairs)"],
        "handle": ["ctx.open()"],
        "left": ["ctx.pair()"],
        "right": ["ctx.pair()"],
        "out": ["{}"],
    }
    assert scope.loop_targets == {"i", "key", "value"}
    assert {name: [ast.unparse(t) for t in ts] for name, ts in scope.item_stores.items()} == {
        "out": ["out['loss']", "out[key]"]
    }
    assert {name: [ast.unparse(c) for c in cs] for name, cs in scope.updates.items()} == {
        "out": ["out.update(extra=3)"]
    }
    assert [ast.unparse(r) for r in scope.returns] == ["out"]
    assert [(ast.unparse(t), ast.unparse(v), fn) for t, v, fn in index.item_stores] == [
        ("out['loss']", "1", "collect"),
        ("out[key]", "2", "collect"),
    ]


def test_a_class_body_binds_attributes_not_names_of_the_scope_around_it() -> None:
    index = _index(
        """
        import os

        class Config:
            metrics = {"acc": 1}
            os.environ["MODE"] = "x"

        def build():
            class Local:
                size = 3
            size = 4
        """
    )
    assert "metrics" not in index.scopes[""].assigns
    assert [ast.unparse(v) for v in index.scopes["build"].assigns["size"]] == ["4"]
    # what runs in the class body still runs there
    assert [(ast.unparse(t), fn) for t, _v, fn in index.item_stores] == [("os.environ['MODE']", "")]


def test_function_named_and_scope_lookup() -> None:
    index = _index(
        """
        def main():
            pass

        class A:
            def step(self):
                pass

        class B:
            def step(self):
                pass

            def only(self):
                pass
        """
    )
    assert index.by_name == {"main": ["main"], "step": ["A.step", "B.step"], "only": ["B.only"]}
    assert index.function_named("main") is index.scopes["main"]
    assert index.function_named("only") is index.scopes["B.only"]  # a method by its simple name
    assert index.function_named("step") is None  # ambiguous
    assert index.function_named("missing") is None
    assert index.scope("B.only") is index.scopes["B.only"]
    assert index.scope("gone") is index.scopes[""]  # an unknown qualname falls back to the module


# --------------------------------------------------------------------------- strings, reads, compares


def test_strings_skip_docstrings_and_keep_fstrings_whole() -> None:
    index = _index(
        '''
        """Module doc."""
        NAME = "name"

        def f(run):
            """Function doc."""
            run.log({f"val/{run.split}": b"bytes"})
            return "done"

        class C:
            """Class doc."""

            async def g(self):
                """Async doc."""
                x = 1
                "a bare string later in the body"
        '''
    )
    assert _unparsed(index.strings) == [
        ("'name'", ""),
        ("f'val/{run.split}'", "f"),
        ("'done'", "f"),
        ("'a bare string later in the body'", "C.g"),
    ]


def test_names_read_by_attribute_item_get_getattr_keyword_and_match_pattern() -> None:
    index = _index(
        """
        def f(cfg, key, point, **extra):
            cfg.model.depth
            cfg["lr"]
            cfg[key]
            cfg.get("batch_size")
            cfg.get(key)
            getattr(cfg, "seed")
            hasattr(cfg, "epochs")
            build(width=1, **extra)
            cfg["written"] = 1
            match point:
                case {"optimizer": opt}:
                    pass
                case Point(x=0, y=_):
                    pass
        """
    )
    assert index.names_read == frozenset(
        {"model", "depth", "lr", "get", "batch_size", "seed", "epochs", "width", "written", "optimizer", "x", "y"}
    )


def test_subscripts_compares_and_tries() -> None:
    index = _index(
        """
        def f(d, k, i, cfg):
            a = d["k"]
            b = d[["x", "y"]]
            c = d[k]
            e = d[cfg.key]
            g = d[pick()]
            h = d[1:2]
            j = d[i + 1]
            d["stored"] = 1
            if a == b and c in d:
                pass
            try:
                try:
                    pass
                except* KeyError:
                    pass
            finally:
                pass

        try:
            pass
        except Exception:
            pass
        """
    )
    # Loads indexed by a literal, list, name, attribute or call; slices, arithmetic and stores are not kept.
    assert _unparsed(index.subscripts) == [
        ("d['k']", "f"),
        ("d[['x', 'y']]", "f"),
        ("d[k]", "f"),
        ("d[cfg.key]", "f"),
        ("d[pick()]", "f"),
    ]
    assert _unparsed(index.compares) == [("a == b", "f"), ("c in d", "f")]
    assert sorted((node.lineno, type(node).__name__, fn) for node, fn in index.tries) == [
        (13, "Try", "f"),
        (14, "TryStar", "f"),
        (21, "Try", ""),
    ]


def test_module_constants_are_top_level_string_assignments() -> None:
    index = _index(
        """
        KEY = "acc"
        OTHER = "first"
        OTHER = "second"
        NUMBER = 3
        A, B = "a", "b"

        def f():
            LOCAL = "local"

        if True:
            GUARDED = "guarded"
        """
    )
    assert index.constants == {"KEY": "acc", "OTHER": "second"}


# --------------------------------------------------------------------------- through the facts layer


def test_index_of_indexes_parsed_code_modules_only_and_once() -> None:
    facts = facts_of(
        {
            "src/train.py": "import wandb\nwandb.init()\n",
            "src/broken.py": "def f(:\n",
            "config/base.yaml": "lr: 0.1\n",
            "README.md": "# r\n",
        }
    )
    assert code_modules(facts) == ["src/train.py"]
    index = index_of(facts, "src/train.py")
    assert index is not None and index_of(facts, "src/train.py") is index
    assert [c.name for c in index.calls] == ["wandb.init"]
    assert index_of(facts, "src/broken.py") is None
    assert index_of(facts, "config/base.yaml") is None
    assert index_of(facts, "missing.py") is None
    assert list(indexes(facts)) == ["src/train.py"]


def test_enclosing_loops_stop_at_function_boundaries() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """
            for a in xs:
                while b:
                    first()

                    def inner():
                        second()
                        for c in ys:
                            third()
            fourth()
            """
        )
    )
    loops = enclosing_loops(tree)
    by_callee = {
        node.func.id: [type(s).__name__ + str(s.lineno) for s in loops[id(node)]]  # type: ignore[attr-defined]
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert by_callee == {"first": ["For2", "While3"], "second": [], "third": ["For8"], "fourth": []}


# --------------------------------------------------------------------------- outlines


_OUTLINE_SOURCE = """\
import wandb as wb
KEY = "acc"

@register(wb.config())
def main(cfg):
    import numpy as np
    with wb.init(project=KEY) as run:
        run.log({"x": np.mean(cfg.values,
                              axis=0)})
    match cfg.mode():
        case "a":
            try:
                helper()
            except ValueError:
                def fallback():
                    wb.alert()

    class Inner:
        def method(self):
            pass

if __name__ == "__main__":
    try:
        main(None)
    finally:
        wb.finish()
"""


def test_outline_lists_functions_tries_and_constants_from_statements() -> None:
    outline = outline_module("src/train.py", ast.parse(_OUTLINE_SOURCE))
    assert [(qual, node.lineno) for qual, node in outline.functions] == [
        ("main", 5),
        ("main.fallback", 15),
        ("main.Inner.method", 19),
    ]
    assert sorted((node.lineno, fn) for node, fn in outline.tries) == [(12, "main"), (23, "")]
    assert outline.constants == {"KEY": "acc"}


def test_calls_on_lines_walks_only_the_statements_spanning_the_lines() -> None:
    outline = outline_module("src/train.py", ast.parse(_OUTLINE_SOURCE))

    def on(*lines: int) -> list[tuple[int, str, str]]:
        return [(c.line, c.function, c.name) for c in calls_on_lines(outline, set(lines))]

    assert on() == []
    assert on(4) == [(4, "", "register"), (4, "", "wandb.config")]  # a decorator line
    assert on(7) == [(7, "main", "wandb.init")]  # a with item
    assert on(8) == [(8, "main", "run.log"), (8, "main", "numpy.mean")]  # an import inside the function
    assert on(9) == []  # a call is found on the line it starts on
    assert on(10) == [(10, "main", "cfg.mode")]  # a match subject
    assert on(13, 16) == [(13, "main", "helper"), (16, "main.fallback", "wandb.alert")]
    assert on(24, 26) == [(24, "", "main"), (26, "", "wandb.finish")]


def test_statements_on_lines_are_simple_statements_starting_there() -> None:
    outline = outline_module("src/train.py", ast.parse(_OUTLINE_SOURCE))
    found = statements_on_lines(outline, {2, 5, 8, 9, 13, 16, 22})
    assert [(s.lineno, type(s).__name__) for s in found] == [(2, "Assign"), (8, "Expr"), (13, "Expr"), (16, "Expr")]


def test_outline_of_is_cached_per_code_module() -> None:
    facts = facts_of({"src/train.py": _OUTLINE_SOURCE, "src/bad.py": "x = (\n"})
    outline = outline_of(facts, "src/train.py")
    assert outline is not None and outline_of(facts, "src/train.py") is outline
    assert outline_of(facts, "src/bad.py") is None
