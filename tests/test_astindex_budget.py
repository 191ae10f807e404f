"""The index walk measures each tree's nesting (limits.tree_depth's count) while it indexes it, so the
tree budget is checked without a walk of its own: the walk must agree with tree_depth at every limit,
also for the parts of a tree it does not index (annotations, loop targets, format specs)."""

from __future__ import annotations

import ast

import pytest

from expcheck.facts.astindex import build_index, index_module
from expcheck.facts.python import PyModule
from expcheck.limits import MAX_NESTING, tree_depth
from expcheck.submission import SourceFile

SHAPES = {
    "empty": "",
    "sum": "x = " + " + ".join(["a"] * 12),
    "attribute chain": "y" + ".a" * 12,
    "call chain": "f" + "()" * 8,
    "annotation": "def f(x: " + " + ".join(["a"] * 9) + ") -> int:\n    return x\n",
    "return annotation": "def f() -> " + "-" * 9 + "1:\n    pass\n",
    "vararg and kwonly annotations": "def f(*a: b[c[d[e]]], k: g.h.i.j = 1, **kw: m[n[o]]):\n    pass\n",
    "positional-only": "def f(a: b.c.d, /, e=f(g(h(i)))):\n    pass\n",
    "bare parameters": "def f(a, b, *c, d, **e):\n    pass\n",
    "lambda parameters": "g = lambda a, b=c.d.e, *f, **h: a",
    "decorators": "@a.b.c(d(e(f)))\nclass K(L.M, metaclass=N.O):\n    @p.q\n    def m(self): ...\n",
    "for target": "for a.b.c.d[e[f]] in g:\n    pass\nelse:\n    h()\n",
    "async for target": "async def f():\n    async for a[b[c[d]]] in e:\n        await g(h)\n",
    "while": "while a(b(c(d))):\n    break\nelse:\n    e = 1\n",
    "format spec": "s = f'{x:{y + z + w}}'",
    "f-string conversion": "s = f'{a.b!r:>{c[d]}} and {e}'",
    "elif chain": "if a:\n    pass\n" + "".join(f"elif b{i}:\n    pass\n" for i in range(9)),
    "nested lambdas": "f = " + "lambda: " * 8 + "0",
    "comprehensions": "x = [[y for y in z if y] for z in {k: v for k, v in w.items()}]",
    "dict spread": "d = {**a, 'b': {**c, 'd': [e, (f, g)]}}",
    "imports": "import a.b as c\nfrom . import d\ndef f():\n    from e import g\n    global h\n",
    "try": "try:\n    a()\nexcept (B, C) as e:\n    raise D from e\nelse:\n    f()\nfinally:\n    g()\n",
    "with": "with a(b) as (c, d), e as f.g:\n    pass\n",
    "match": (
        "match x:\n    case {'a': [b, *c], **d}:\n        pass\n    case P(q=1, r=S(t)) if u:\n        pass\n"
        "    case [1, 2, *_] | None:\n        pass\n    case {1: v} as w:\n        pass\n"
    ),
    "walrus and yield": "def f():\n    if (n := g(h)) > 1:\n        yield from i(n)\n    yield\n    return await_(j)\n",
    "class body": "class A:\n    x: int = 1\n    y = z = [1, 2]\n    def m(self, a: 'A') -> 'A':\n        return a\n",
    "slices and subscripts": "a[1:2:3] = b[c, d:e][f][::g]\ndel h[i], j.k",
    "assert and starred": "assert a, b\nc, *d = e\nprint(*f, **g)\nh += i",
    "docstrings": '"""m"""\ndef f():\n    """d"""\n    return "s"\n',
    "ternary": "x = a if b else c if d else e if f else g",
    "unary and bool": "x = not -~a and b or c < d <= e",
}


@pytest.mark.parametrize("source", SHAPES.values(), ids=SHAPES.keys())
def test_the_index_walk_measures_nesting_as_tree_depth_does(source: str) -> None:
    tree = ast.parse(source)
    depth = tree_depth(tree, 10**6)[0]
    for limit in range(0, depth + 3):
        assert (build_index("src/m.py", tree, limit) is not None) == (depth <= limit), (limit, depth)


@pytest.mark.parametrize("source", SHAPES.values(), ids=SHAPES.keys())
def test_nesting_found_deep_inside_a_function_or_class(source: str) -> None:
    # The same shapes pushed down a few levels, where the walk has entered scopes and loops.
    body = "\n".join("    " * 3 + line for line in source.splitlines()) or "    " * 3 + "pass"
    wrapped = f"class A:\n    def f(self):\n        for i in r:\n{body}\n"
    tree = ast.parse(wrapped)
    depth = tree_depth(tree, 10**6)[0]
    for limit in range(max(depth - 8, 0), depth + 2):
        assert (build_index("src/m.py", tree, limit) is not None) == (depth <= limit), (limit, depth)


def test_a_limited_index_equals_an_unlimited_one() -> None:
    source = "\n".join(SHAPES.values())
    tree = ast.parse(source)
    limited = build_index("src/m.py", tree, MAX_NESTING)
    assert limited is not None
    full = index_module("src/m.py", tree)
    assert [c.name for c in limited.calls] == [c.name for c in full.calls]
    assert limited.names_read == full.names_read
    assert [id(s) for s, _ in limited.strings] == [id(s) for s, _ in full.strings]


DEEP_PARTS = {
    "annotation": "def f(x: " + " + ".join(["a"] * (MAX_NESTING + 5)) + "):\n    pass\n",
    "return annotation": "def f() -> " + ".a".join(["b"] * (MAX_NESTING + 5)) + ":\n    pass\n",
    "for target": "for " + "a" + ".b" * (MAX_NESTING + 5) + " in c:\n    pass\n",
    "format spec": "s = f'{x:{" + " + ".join(["a"] * (MAX_NESTING + 5)) + "}}'",
    "default": "def f(x=" + "-" * (MAX_NESTING + 5) + "1):\n    pass\n",
}


@pytest.mark.parametrize("source", DEEP_PARTS.values(), ids=DEEP_PARTS.keys())
def test_a_tree_nested_too_deep_in_a_part_the_index_skips_is_dropped(source: str) -> None:
    module = PyModule(SourceFile(path="src/m.py", text=source))
    assert module.tree is None and module.index is None
    assert module.limit is not None and module.limit.line == 1
    context = PyModule(SourceFile(path="src/m.py", text=source, origin="context"))  # measured without an index
    assert context.tree is None and context.limit == module.limit


def test_a_code_module_within_the_limit_has_its_index() -> None:
    module = PyModule(SourceFile(path="src/m.py", text="import wandb as wb\nwb.init()\n"))
    assert module.tree is not None and module.index is not None
    assert [c.name for c in module.index.calls] == ["wandb.init"]
