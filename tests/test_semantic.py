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
    enclosing_functions,
    import_bindings,
    last_name,
    qualified_name,
    target_names,
    visible_imports,
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


def test_resolution_prefers_the_innermost_function_import() -> None:
    scoped = {"outer": {"wb": "wandb"}, "outer.inner": {"wb": "weightsandbiases"}}
    assert list(enclosing_functions("outer.inner")) == ["outer.inner", "outer"]
    module = {"wb": "module.level", "np": "numpy"}
    assert visible_imports(scoped, module, "outer.inner")["wb"] == "weightsandbiases"
    assert visible_imports(scoped, module, "outer")["wb"] == "wandb"
    assert visible_imports(scoped, module, "outer.inner")["np"] == "numpy"
    assert visible_imports(scoped, module, "other")["wb"] == "module.level"
    assert "wb" not in visible_imports(scoped, {}, "")


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
    assert index.function_imports == {"main": {"wb": "wandb"}, "main.inner": {"system": "os.system"}}
    assert index.aliases["sp"] == "subprocess"
    assert index.aliases["wb"] == "wandb"  # the flat map of every import, wherever it stands
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
