"""What a name means where a call stands, and which ``m.x`` chains name a project module's attribute."""

from __future__ import annotations

import textwrap

from expcheck.facts import Facts
from expcheck.facts.callscopes import ModuleScopes, module_attribute_refs, module_scopes
from expcheck.facts.imports import project_index
from expcheck.inputs import load_files


def _facts(files: dict[str, str]) -> Facts:
    loaded = load_files({k: textwrap.dedent(v) for k, v in files.items()}, None, [])
    return Facts(loaded.submission, loaded.profile)


def _local_at(scopes: ModuleScopes, line: int, name: str) -> bool:
    call = next(c for c in scopes.calls if c.line == line and c.dotted == name)
    return scopes.binds(call, name)


SOURCE = """
from src.model import build

def plain():
    build()

def param(build):
    build()

def later():
    build()
    build = None

def declared():
    global build
    build()

def outer():
    build = make()

    def inner():
        build()

class Net:
    build = staticmethod(make)
    build()

    def method(self):
        build()

apply = lambda build: build()
made = [build() for build in factories]
"""


def test_binds_follows_python_scopes() -> None:
    scopes = _facts({"src/train.py": SOURCE}).derived(module_scopes)["src/train.py"]
    assert not _local_at(scopes, 5, "build")  # the module's import
    assert _local_at(scopes, 8, "build")  # a parameter
    assert _local_at(scopes, 11, "build")  # assigned later in the function: local all through it
    assert not _local_at(scopes, 16, "build")  # declared global
    assert _local_at(scopes, 22, "build")  # the enclosing function's
    assert _local_at(scopes, 26, "build")  # the class body's own name
    assert not _local_at(scopes, 29, "build")  # a method does not see the class body
    # Lambda parameters and comprehension variables (the old per-function scan did not see them).
    assert _local_at(scopes, 31, "build")
    assert _local_at(scopes, 32, "build")


def test_attribute_refs_skip_only_the_scopes_that_rebind_the_module_name() -> None:
    facts = _facts(
        {
            "src/__init__.py": "",
            "src/model.py": "def build():\n    return 1\n",
            "src/train.py": """
                import src.model as model

                def main():
                    return model.build()

                def report(model):
                    return model.name
                """,
        }
    )
    info = facts.derived(project_index).by_path["src/train.py"]
    tree = facts.python["src/train.py"].tree
    assert tree is not None
    refs = module_attribute_refs(facts, info, tree)
    # ``model`` is a parameter in report(): only that function's chain is not the module's.
    # (The old scan dropped every chain on ``model`` once any scope rebound the name.)
    assert [(r.node.lineno, r.dotted) for r in refs] == [(5, "model.build")]


def test_symbol_rules_follow_the_scopes() -> None:
    """R403 judged a lambda parameter's and a comprehension variable's calls against the imported
    project function of the same name (two false errors), and R402 missed a misspelt module attribute
    because another function had a parameter named like the module (the old private scope models)."""
    from expcheck.engine import run_rules
    from expcheck.rules import all_rules

    facts = _facts(
        {
            "src/__init__.py": "",
            "src/model.py": "def build():\n    return 1\n",
            "src/train.py": """
                from src.model import build
                import src.model as model

                factories = [lambda n: n]
                apply = lambda build: build(1, 2)
                made = [build(3) for build in factories]


                def main():
                    return build() + model.build()


                def report(model):
                    return model.name


                def other():
                    return model.buidl()
                """,
        }
    )
    rules = [r for r in all_rules() if r.id in ("R402", "R403")]
    outcome = run_rules(facts, rules)
    assert not outcome.rule_errors, outcome.rule_errors
    assert [(f.rule, f.path, f.line) for f in outcome.findings] == [("R402", "src/train.py", 19)]
