"""The shared semantic layer: names as written and resolved, bindings, call sites, scoped imports."""

from __future__ import annotations

import ast
import textwrap

from expcheck.facts import Facts
from expcheck.facts.astindex import index_module
from expcheck.facts.callscopes import module_scopes
from expcheck.facts.launches import launches, wandb_inits
from expcheck.facts.semantic import (
    callee_attr,
    dotted_name,
    import_bindings,
    last_name,
    qualified_name,
    target_names,
)
from expcheck.inputs import load_files


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _facts(files: dict[str, str]) -> Facts:
    loaded = load_files({k: textwrap.dedent(v) for k, v in files.items()}, None, [])
    return Facts(loaded.submission, loaded.profile)


def test_dotted_name_is_the_chain_as_written() -> None:
    assert dotted_name(_expr("wb.sdk.init")) == "wb.sdk.init"
    assert dotted_name(_expr("x")) == "x"
    assert dotted_name(_expr("f().init")) is None
    assert dotted_name(_expr("a[0].b")) is None


def test_last_name_and_callee_attr() -> None:
    assert last_name(_expr("wb.sdk.init")) == "init"
    assert last_name(_expr("f().Exception")) == "Exception"
    assert last_name(_expr("x")) == "x"
    assert last_name(_expr("x[0]")) == ""
    call = _expr("cfg.merge(a)")
    assert isinstance(call, ast.Call) and callee_attr(call) == "merge"


def test_qualified_name_resolves_the_root_and_writes_calls() -> None:
    aliases = {"wb": "wandb", "plt": "matplotlib.pyplot"}
    assert qualified_name(_expr("wb.init"), aliases) == "wandb.init"
    assert qualified_name(_expr("plt.savefig"), aliases) == "matplotlib.pyplot.savefig"
    assert qualified_name(_expr("wb.Api().run"), aliases) == "wandb.Api().run"
    assert qualified_name(_expr("other.x"), aliases) == "other.x"
    assert qualified_name(_expr("(a or b).c"), aliases) == ""


def test_target_names_cover_nested_and_starred_targets() -> None:
    stmt = ast.parse("a, (b, *c), d.e, f[0] = v").body[0]
    assert isinstance(stmt, ast.Assign)
    assert list(target_names(stmt.targets[0])) == ["a", "b", "c"]


def test_import_bindings() -> None:
    def bindings(text: str, package: str = "") -> list[tuple[str, str, bool]]:
        node = ast.parse(text).body[0]
        assert isinstance(node, ast.Import | ast.ImportFrom)
        return list(import_bindings(node, package))

    assert bindings("import wandb as wb") == [("wb", "wandb", False)]
    assert bindings("import os.path") == [("os", "os", True)]
    assert bindings("from . import model", "src") == [("model", "src.model", False)]
    assert bindings("from x import *") == []


def test_index_records_imports_per_function() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """
            import subprocess as sp

            def main():
                import wandb as wb
                wb.init()

                def inner():
                    from os import system
                    system("ls")

            def other():
                wb.init()
            """
        )
    )
    index = index_module("src/train.py", tree)
    model = index.model
    assert model.function("main").imports == {"wb": "wandb"}
    assert model.function("main.inner").imports == {"system": "os.system"}
    assert dict(index.aliases) == {"sp": "subprocess"}  # the module scope's imports only
    assert dict(model.visible("main.inner")) == {"system": "os.system", "wb": "wandb", "sp": "subprocess"}
    assert all(call.path == "src/train.py" for call in index.calls)
    assert [(c.function, c.dotted, c.name) for c in index.calls] == [
        ("main", "wb.init", "wandb.init"),
        ("main.inner", "system", "os.system"),
        ("other", "wb.init", "wb.init"),  # main's import is not visible in other()
    ]


def test_call_sites_resolve_through_the_imports_in_scope() -> None:
    facts = _facts(
        {
            "src/train.py": """
                import subprocess as sp

                def main():
                    import wandb as wb
                    wb.init(project="p")
                    sp.run(["python", "-m", "src.evaluate"])

                def other():
                    wb.init()
                """
        }
    )
    scopes = facts.derived(module_scopes)["src/train.py"]
    callees = {(c.function, c.name) for c in scopes.calls}
    assert callees == {("main", "wandb.init"), ("main", "subprocess.run"), ("other", "wb.init")}
    assert [(i.call.function, i.call.line) for i in facts.derived(wandb_inits)] == [("main", 6)]
    assert [launch.python_module for launch in facts.derived(launches)] == ["src.evaluate"]


def test_local_import_rebinding_a_module_name_wins_inside_its_function() -> None:
    facts = _facts(
        {
            "src/train.py": """
                import wandb

                def main():
                    import my_tracker as wandb
                    wandb.init()

                def other():
                    wandb.init()
                """
        }
    )
    assert [i.call.function for i in facts.derived(wandb_inits)] == ["other"]


SCOPED = """
import numpy as np
import wandb

def train(np):
    np.save("x")

def shadow():
    wandb = make_client()
    wandb.init()

def local_import():
    import torch as np
    np.save("y")

class Box:
    import json as np
    np.dumps(1)

    def method(self):
        return np.zeros(1)

def counter():
    total = 0

    def bump():
        nonlocal total
        total = total + 1

    def reset():
        global wandb
        wandb = None

    squares = [y for x in range(3) if (y := x * x)]
    return squares
"""


def _model(source: str = SCOPED):
    return index_module("src/train.py", ast.parse(textwrap.dedent(source)))


def test_calls_resolve_through_the_binding_in_scope_not_a_flat_import_map() -> None:
    index = _model()
    names = {(c.line, c.name) for c in index.calls if c.attr in ("save", "init", "dumps", "zeros")}
    assert names == {
        (6, "np.save"),  # a parameter shadows the module's numpy
        (10, "wandb.init"),  # a local assignment shadows the module's wandb: unresolved, as written
        (14, "torch.save"),  # the function's own import
        (18, "json.dumps"),  # the class body's import, seen in the class body...
        (21, "numpy.zeros"),  # ...but not in its methods
    }
    # ``wandb.init`` in shadow() names the local client: the dotted text is the same, the binding is not.
    shadow = index.model.function("shadow")
    assert shadow.owner("wandb") is shadow and shadow.import_of("wandb") is None


def test_scopes_bindings_and_declarations() -> None:
    model = _model().model
    assert [s.kind for s in model.scopes] == [
        "module", "function", "function", "function", "class", "function", "function", "function", "function",
        "comprehension",
    ]  # fmt: skip
    counter = model.function("counter")
    bump = model.function("counter.bump")
    assert bump.owner("total") is counter  # nonlocal: the enclosing function's binding
    assert "total" not in bump.bindings
    reset = model.function("counter.reset")
    assert reset.owner("wandb") is model.root  # global: the module's binding
    assert len(model.root.bindings["wandb"]) == 2  # the import and the assignment through ``global``
    assert model.declared == {"total", "wandb"}
    # A walrus in a comprehension binds in the function around it; the loop variable stays inside.
    assert "y" in counter.bindings and "x" not in counter.bindings
    assert set(counter.params) == set() and set(model.function("train").params) == {"np"}
    assert model.root.owner("len") is None  # a builtin is bound nowhere


def test_scope_at_and_qualified_at_find_the_scope_by_position() -> None:
    index = _model()
    model = index.model
    call = next(c for c in index.calls if c.attr == "zeros")
    assert model.scope_at(call.node) is model.function("Box.method")
    assert call.scope is model.function("Box.method")
    assert model.qualified_at(call.node.func) == "numpy.zeros"
    save = next(c for c in index.calls if c.line == 14)
    assert model.qualified_at(save.node.func) == "torch.save"
    assert model.qualified(save.node.func, "local_import") == "torch.save"
    assert model.qualified(save.node.func) == "numpy.save"  # read at module level
