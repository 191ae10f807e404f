"""Config dataflow as a layer over the shared model: imports resolved by facts/imports.py, scoped as Python scopes them."""

from __future__ import annotations

import textwrap

from expcheck.facts import Facts
from expcheck.facts.cfgflow import cfg_flow
from expcheck.facts.imports import ImportFact, project_index, script_module
from expcheck.inputs import load_files


def _facts(files: dict[str, str], profile: str | None = None) -> Facts:
    loaded = load_files({k: textwrap.dedent(v) for k, v in files.items()}, profile, [])
    return Facts(loaded.submission, loaded.profile)


def _imports(facts: Facts, path: str) -> dict[str, ImportFact]:
    return {fact.bound: fact for fact in facts.derived(project_index).by_path[path].imports}


# ---- import-to-path resolution (ProjectIndex.resolve_module / split) ---------------------------


def test_modules_resolve_by_name_from_the_root_then_from_src() -> None:
    index = _facts(
        {
            "src/model.py": "",
            "src/pkg/__init__.py": "",
            "src/pkg/deep.py": "",
            "utils.py": "",
            "src/utils.py": "",
        }
    ).derived(project_index)

    def path(module: str) -> str | None:
        found = index.resolve_module(module)
        return found.path if found is not None else None

    assert path("src.model") == "src/model.py"
    # ``python src/main.py`` puts src/ first on sys.path: a bare ``import model`` loads src/model.py
    assert path("model") == "src/model.py"
    assert path("src.pkg") == "src/pkg/__init__.py"  # a package is its __init__.py
    assert path("pkg.deep") == "src/pkg/deep.py"
    assert path("utils") == "utils.py"  # the name from the root comes first
    assert path("src") is None  # a namespace package: no file
    assert path("torch") is None and path("src.missing") is None and path("") is None


def test_split_names_the_deepest_module_and_the_rest() -> None:
    index = _facts({"src/model.py": "class Net:\n    pass\n", "src/__init__.py": ""}).derived(project_index)
    found = index.split("src.model.Net.create")
    assert found is not None and (found[0].path, found[1]) == ("src/model.py", ["Net", "create"])
    found = index.split("src.other")
    assert found is not None and (found[0].path, found[1]) == ("src/__init__.py", ["other"])
    assert index.split("numpy.linalg.norm") is None


def test_import_targets_relative_plain_and_aliased() -> None:
    facts = _facts(
        {
            "src/__init__.py": "",
            "src/model.py": "",
            "src/pkg/__init__.py": "",
            "src/pkg/a.py": "from . import b\nfrom .b import f\nfrom ..model import Net\nfrom ... import x\n",
            "src/pkg/b.py": "def f():\n    pass\n",
            "src/main.py": "import os.path\nimport src.model as m\nimport wandb as wb\nfrom .model import Net\n",
            "top.py": "from .model import Net\n",
        }
    )
    a = _imports(facts, "src/pkg/a.py")
    assert a["b"].target == "src.pkg.b"
    assert a["f"].target == "src.pkg.b.f"
    assert a["Net"].target == "src.model.Net"
    assert a["x"].target == ""  # climbs past the top-level package: the import fails
    main = _imports(facts, "src/main.py")
    assert main["os"].target == "os"  # ``import os.path`` binds os
    assert main["m"].target == "src.model"
    assert main["wb"].target == "wandb"
    assert main["Net"].target == "src.model.Net"
    # A relative import in a top-level module has no package to be relative to (ImportError at run time).
    assert _imports(facts, "top.py")["Net"].target == ""


def test_imports_record_their_function_and_scoped_bindings() -> None:
    facts = _facts(
        {
            "src/main.py": """\
            import numpy as np

            def main():
                import wandb as wb

                def inner():
                    from src.train import run

            class Trainer:
                def fit(self):
                    from src import train as t

                    def step():
                        import os.path
                        import os
            """,
            "src/train.py": "def run(c):\n    pass\n",
        }
    )
    info = facts.derived(project_index).by_path["src/main.py"]
    assert {f.bound: f.function for f in info.imports} == {
        "np": "",
        "wb": "main",
        "run": "main.inner",
        "t": "Trainer.fit",
        "os": "Trainer.fit.step",
    }
    assert info.function_imports == {
        "main": {"wb": "wandb"},
        "main.inner": {"run": "src.train.run"},
        "Trainer.fit": {"t": "src.train"},
        "Trainer.fit.step": {"os": "os"},
    }
    assert list(info.functions) == ["main", "main.inner", "Trainer.fit", "Trainer.fit.step"]
    # A function sees its own imports, then those of the functions around it; never a sibling's.
    assert info.scoped_import("main.inner", "wb") == "wandb"
    assert info.scoped_import("main.inner", "run") == "src.train.run"
    assert info.scoped_import("main", "run") is None
    assert info.scoped_import("Trainer.fit.step", "t") == "src.train"
    assert info.scoped_import("Trainer.fit", "os") is None
    assert info.scoped_import("", "np") is None  # module-level names are the module's bindings
    assert "wb" not in info.bindings  # not a module-level name


# ---- definitions (ProjectIndex.definition) ------------------------------------------------------


def _definition(facts: Facts, path: str, dotted: str, function: str = "", certain: bool = False) -> str | None:
    index = facts.derived(project_index)
    found = index.definition(index.by_path[path], dotted, function, certain)
    if found is None:
        return None
    return f"{found[0].path}:{found[1].kind}:{getattr(found[1].node, 'name', '')}"


def test_definitions_follow_imports_scopes_and_re_exports() -> None:
    facts = _facts(
        {
            "src/__init__.py": "from .train import run as start\n",
            "src/train.py": "import torch\n\ndef run(c):\n    pass\n\nclass Trainer:\n    pass\n",
            "src/main.py": """\
            import src.train
            import src.train as tr
            from src import start
            from train import Trainer

            def local():
                pass

            def main():
                from src.train import run as go

            def other():
                go()
            """,
        }
    )
    assert _definition(facts, "src/main.py", "local") == "src/main.py:function:local"
    assert _definition(facts, "src/main.py", "src.train.run") == "src/train.py:function:run"
    assert _definition(facts, "src/main.py", "tr.Trainer") == "src/train.py:class:Trainer"
    assert _definition(facts, "src/main.py", "start") == "src/train.py:function:run"  # re-exported by the package
    assert _definition(facts, "src/main.py", "Trainer") == "src/train.py:class:Trainer"  # bare import, from src/
    assert _definition(facts, "src/main.py", "go", "main") == "src/train.py:function:run"
    # The import inside main() binds go only there.
    assert _definition(facts, "src/main.py", "go", "other") is None
    assert _definition(facts, "src/main.py", "go") is None
    assert _definition(facts, "src/main.py", "tr.torch") is None  # a third-party module, not a definition
    assert _definition(facts, "src/main.py", "tr.Trainer.create") is None  # past the definition
    assert _definition(facts, "src/main.py", "missing") is None


def test_certain_definitions_need_a_name_bound_once() -> None:
    facts = _facts(
        {
            "src/a.py": "def f():\n    pass\n\ndef f(x):\n    pass\n\nLIMIT = 3\n",
            "src/b.py": "try:\n    from src.a import f\nexcept ImportError:\n    from a import f\n",
        }
    )
    assert _definition(facts, "src/a.py", "f") == "src/a.py:function:f"  # the last def, what a later call sees
    assert _definition(facts, "src/a.py", "f", certain=True) is None
    assert _definition(facts, "src/a.py", "LIMIT") is None
    assert _definition(facts, "src/a.py", "LIMIT", certain=True) == "src/a.py:assign:"
    assert _definition(facts, "src/b.py", "f") == "src/a.py:function:f"
    assert _definition(facts, "src/b.py", "f", certain=True) is None


def test_a_script_no_import_can_name_still_has_a_module() -> None:
    facts = _facts({"src/train-v2.py": "from .model import Net\ndef main():\n    pass\n", "src/model.py": ""})
    assert "src/train-v2.py" not in facts.derived(project_index).by_path
    info = script_module(facts, "src/train-v2.py")
    assert info is not None and info.name == "" and "main" in info.functions
    assert info.imports[0].target == ""  # no package: the relative import fails
    assert script_module(facts, "src/train-v2.py") is info
    assert script_module(facts, "config/config.yaml") is None


# ---- the config dataflow over it ----------------------------------------------------------------

_APP = """\
import hydra
{head}

@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg):
{body}
"""

_TRAIN = "def run(c):\n    return c.training.alpha\n"


def _reads(files: dict[str, str]) -> set[tuple[str, tuple[str, ...]]]:
    flow = _facts({"config/config.yaml": "training:\n  alpha: 1\n", **files}, "airas-v2").derived(cfg_flow)
    return {(a.path, a.binding.keys) for a in flow.accesses if a.binding.root == "cfg"}


def _main(body: str, head: str = "") -> str:
    return _APP.format(head=head, body=textwrap.indent(textwrap.dedent(body), "    "))


ALPHA = ("src/train.py", ("training", "alpha"))


def test_cfg_followed_through_an_aliased_import_inside_the_app() -> None:
    assert ALPHA in _reads({"src/main.py": _main("from src.train import run as go\ngo(cfg)\n"), "src/train.py": _TRAIN})
    assert ALPHA in _reads({"src/main.py": _main("import src.train as tr\ntr.run(cfg)\n"), "src/train.py": _TRAIN})


def test_cfg_followed_through_a_plain_dotted_import() -> None:
    # ``import src.train`` binds src; the call names the module by its full chain.
    assert ALPHA in _reads({"src/main.py": _main("src.train.run(cfg)\n", "import src.train"), "src/train.py": _TRAIN})


def test_cfg_followed_through_relative_bare_and_package_imports() -> None:
    assert ALPHA in _reads({"src/main.py": _main("run(cfg)\n", "from .train import run"), "src/train.py": _TRAIN})
    assert ALPHA in _reads({"src/main.py": _main("run(cfg)\n", "from train import run"), "src/train.py": _TRAIN})
    files = {
        "src/main.py": _main("go(cfg.training)\n", "from src.pkg.a import go"),
        "src/pkg/__init__.py": "",
        "src/pkg/a.py": "from .b import inner\n\ndef go(t):\n    return inner(t)\n",
        "src/pkg/b.py": "def inner(t):\n    return t.depth\n",
    }
    assert ("src/pkg/b.py", ("training", "depth")) in _reads(files)


def test_cfg_followed_through_a_package_re_export() -> None:
    files = {
        "src/main.py": _main("start(cfg)\n", "from src import start"),
        "src/__init__.py": "from .train import run as start\n",
        "src/train.py": _TRAIN,
    }
    assert ALPHA in _reads(files)


def test_an_import_in_another_function_does_not_reach_the_app() -> None:
    # Python raises NameError at run(cfg): the import binds run only inside helper().
    main = _main("run(cfg)\n").replace("@hydra", "def helper():\n    from src.train import run\n\n\n@hydra")
    assert ALPHA not in _reads({"src/main.py": main, "src/train.py": _TRAIN})


def test_cfg_followed_into_a_method_that_imports_inside_itself() -> None:
    trainer = """\
    class Trainer:
        def __init__(self, cfg):
            self.cfg = cfg

        def fit(self):
            from src.train import run
            return run(self.cfg) + self.cfg.training.lr
    """
    files = {
        "src/main.py": _main("Trainer(cfg).fit()\n", "from src.trainer import Trainer"),
        "src/trainer.py": trainer,
        "src/train.py": _TRAIN,
    }
    reads = _reads(files)
    assert ("src/trainer.py", ("training", "lr")) in reads and ALPHA in reads


def test_cfg_read_in_an_app_no_import_can_name() -> None:
    reads = _reads({"src/train-v2.py": _main("print(cfg.training.alpha)\n")})
    assert ("src/train-v2.py", ("training", "alpha")) in reads


# ---- one relative-import resolver for both models -------------------------------------------------


def test_call_names_and_import_facts_resolve_relative_imports_alike() -> None:
    """The per-module index (CallSite names) and the import graph name a relative import's target the same."""
    from expcheck.facts.astindex import index_module
    from expcheck.facts.semantic import package_of

    assert package_of("src/pkg/a.py") == "src.pkg"
    assert package_of("src/pkg/__init__.py") == "src.pkg"
    assert package_of("src/main.py") == "src" and package_of("main.py") == ""
    assert package_of("my-dir/x.py") == ""  # no import can name the folder
    text = "from .b import f\nfrom .. import model\nfrom ... import gone\n\ndef g():\n    f()\n    model.build()\n"
    facts = _facts({"src/pkg/a.py": text, "src/pkg/b.py": "def f():\n    pass\n", "src/model.py": ""})
    tree = facts.python["src/pkg/a.py"].tree
    assert tree is not None
    index = index_module("src/pkg/a.py", tree)
    # Before, both calls read as if the module sat directly in src/ (src.b.f) and ``...`` stopped at src.
    assert [c.name for c in index.calls] == ["src.pkg.b.f", "src.model.build"]
    targets = {f.bound: f.target for f in _imports(facts, "src/pkg/a.py").values()}
    assert targets == {"f": "src.pkg.b.f", "model": "src.model", "gone": ""}
    assert index.aliases["f"] == targets["f"] and index.aliases["model"] == targets["model"]


def test_call_arguments_checked_through_a_bare_import_in_src() -> None:
    """R403 reads the same resolver: ``from model import build`` in src/ is src/model.py (as a script run
    from src/ sees it), so a call with too many arguments is reported there too."""
    from expcheck import check_files

    files = {
        "src/model.py": "def build(x):\n    return x\n",
        "src/train.py": "from model import build\n\nbuild(1, 2)\n",
    }
    report = check_files(files, select=["R403"])
    assert [(f.rule, f.path, f.line) for f in report.findings] == [("R403", "src/train.py", 3)]
    files["src/train.py"] = "from model import build\n\nbuild(1)\n"
    assert check_files(files, select=["R403"]).findings == []
