"""The rules' cheaper paths (second speed round) answer exactly what the plain computations answered.

- facts/literalpoints.py: whether a point lies in a comment or a string, proven from its line or the
  syntax tree where possible, agrees with the full token list at every offset of tricky texts, and the
  token list is not built when every point asked is proven.
- R602: the substring pre-check of the W&B-handled regex agrees with the regex.
- C401: a setting's key found as a word by substring search agrees with the ``key\\b`` regex.
- R403: ``binding_problem`` keeps its answers (signatures built from real defs and calls).
- R501/R502: each needed distribution's status, asked once per check (facts/depstatus.py), is the one
  asking every declared set anew gave.
- C809/C812: the figure names filtered from the shared list of evaluate's file names are figure_names'.
"""

from __future__ import annotations

import ast
import random

import pytest

from conftest import facts_of
from expcheck.facts.dependencies import DeclaredDependencies, ExternalImport, declared_dependencies
from expcheck.facts.depstatus import dependency_status
from expcheck.facts.distributions import closure
from expcheck.facts.evaluatefigures import evaluate_figure_names
from expcheck.facts.evaluation import EVALUATE, figure_names
from expcheck.facts.literalpoints import in_comment_or_string
from expcheck.facts.python import PyModule
from expcheck.facts.signatures import Signature, _from_arguments, binding_problem
from expcheck.rules.model import _found, _leaf_patterns, _named_in, _whole_patterns, _word_found
from expcheck.rules.process import _HANDLED, _handles_wandb
from expcheck.submission import SourceFile

_SOURCES = {
    "comments": "x = 1  # HACK here\n# TODO: later\n    # indented note\ny = '#'  # after a hash in a string\n",
    "quote in comment": "def f():\n    # don't do this, it's a hack\n    return 1  # \"quoted\" hack\n",
    "docstrings": 'def f():\n    """Simplified version.\n\n    # not a comment\n    """\n    return "in a string"\n',
    "concatenated": 'x = ("first piece "  # a comment between\n     "second piece"\n     \'third\')\nz = "a" "b"\n',
    "backslash string": "s = 'one \\\n# two \\\nthree'\nt = 'open \\\n# not continued\nu = 1\n",
    "backslash statement": "total = 1 + \\\n    2  # trailing\n",
    "f-strings": 'name = "n"\nx = f"value {name!r} # not a comment"  # a comment\ny = rf"raw {name}"\n',
    "bytes": "data = b'# bytes'  # comment\n",
    "crlf": "x = 1  # comment\r\ny = 'text'\r\n# line\r\n",
    "lone cr": "x = 1\r# comment\ry = 'a # b'\n",
    "bom": "\ufeff# first line comment\nx = 'é # é'  # ü\n",
    "non-ascii": "nom = 'café # ☕'  # résumé\n# ñ at start\n",
    "unterminated triple": 'x = 1  # comment\ny = """never closed\n# inside\n',
    "open bracket": "x = foo(1,\n  # comment inside\n",
    "bad dedent": "if x:\n        y = 1  # deep\n    z = 2  # shallow\n",
    "syntax error": "def f(:\n    # comment\n    return 'x'\n",
    "tabs and form feed": "if x:\n\ty = 1\t# tab\n\x0c# form feed\n",
    "vertical tab": "\x0b# after a vertical tab\nx = 1\n",
    "empty": "",
    # Python's tokenizer cuts the triple-quoted string short after the unclosed continued one: line 4 is
    # then neither comment nor string, and that (not what the line shows) is the answer.
    "unclosed continued string": "x = 'abc\\\ndef\n\"\"\"Notes.\n# HACK: fixed seed\n\"\"\"\ny = 1\n",
}


def _module(text: str) -> PyModule:
    return PyModule(SourceFile(path="src/m.py", text=text))


def _token_answer(text: str, offset: int) -> bool:
    """What the full token list says of ``offset`` (a fresh module, so nothing is shared)."""
    line_start = text.rfind("\n", 0, offset) + 1
    return _module(text).in_comment_or_string(text.count("\n", 0, offset) + 1, offset - line_start)


@pytest.mark.parametrize("name", sorted(_SOURCES))
def test_points_agree_with_the_token_list(name: str) -> None:
    text = _SOURCES[name]
    module = _module(text)
    for offset in range(len(text)):
        assert in_comment_or_string(module, offset) == _token_answer(text, offset), (name, offset, text[offset])


def test_points_in_comments_and_docstrings_are_answered_without_tokenizing() -> None:
    text = 'def f():\n    """Placeholder implementation."""\n    return 1  # for brevity\n'
    module = _module(text)
    for phrase in ("Placeholder implementation", "for brevity"):
        assert in_comment_or_string(module, text.index(phrase) + len(phrase) - 1)
    assert "literal_spans" not in module.__dict__  # the token list was never built


def test_a_point_in_code_asks_the_token_list() -> None:
    text = "hack = 1  # the word again\n"
    module = _module(text)
    assert not in_comment_or_string(module, 0)
    assert "literal_spans" in module.__dict__


def test_random_texts_agree_with_the_token_list() -> None:
    pieces = ["#", "'", '"', '"""', "\\\n", "\n", " ", "x", "=", "(", ")", "f'", "b'", "\r", "é", "\t", "hack"]
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 25)))
        module = _module(text)
        for offset in range(len(text)):
            assert in_comment_or_string(module, offset) == _token_answer(text, offset), (text, offset)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "os.environ['WANDB_MODE'] = 'offline'",
        "wandb.login(key=key)",
        "mode: disabled\n",
        "mode: disabled_later\n",
        "anonymous = 'allow'",
        "anonymous: must",
        "dryrunner = 1",
        "offline",
        "WANDB_API_KEY",
        "wandb_mode: online",
        "x = 1",
    ],
)
def test_wandb_handled_precheck_agrees_with_the_regex(text: str) -> None:
    assert _handles_wandb(text) == (_HANDLED.search(text) is not None)


@pytest.mark.parametrize("name", ["lr", "batch_size", "x", "a.b", "é", "lr_", "_", "é1", "-"])
def test_word_search_agrees_with_the_regex(name: str) -> None:
    pieces = [name, name, "_", "a", "1", " ", ".", "é", "\u212a", "-", "\n", "(", name + name]
    rng = random.Random(name)
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert _word_found(name, text) == _found(_leaf_patterns(name)[0], text), (name, text)


_DEFS = [
    "def f(a, b=1): pass",
    "def f(a, /, b, *, c, d=2): pass",
    "def f(*args, **kwargs): pass",
    "def f(a, *rest, key): pass",
    "def f(): pass",
    "def f(a, /, b=2, **kw): pass",
]
_CALLS = [
    "f()",
    "f(1)",
    "f(1, 2)",
    "f(1, 2, 3)",
    "f(a=1)",
    "f(1, a=1)",
    "f(1, b=2)",
    "f(*xs)",
    "f(**kw)",
    "f(1, c=3)",
    "f(1, 2, c=3)",
    "f(zzz=1)",
    "f(1, *xs, key=2)",
    "f(*xs, a=1)",
    "f(1, **kw, c=2)",
    "f(b=1, key=2, a=3)",
]


def _reference(sig: Signature, call: ast.Call) -> str | None:
    """binding_problem as it stood before the second speed round, word for word."""
    star = any(isinstance(a, ast.Starred) for a in call.args)
    double_star = any(k.arg is None for k in call.keywords)
    given = sum(1 for a in call.args if not isinstance(a, ast.Starred))
    names = [k.arg for k in call.keywords if k.arg is not None]
    accepted = len(sig.positional)
    if not star and not sig.var_positional and given > accepted:
        return (
            f"{sig.name}() takes {accepted} positional argument{'s' if accepted != 1 else ''} "
            f"but {given} {'were' if given != 1 else 'was'} given"
        )
    keyword_ok = set(sig.positional[sig.positional_only :]) | set(sig.keyword_only)
    for name in names:
        if name not in keyword_ok and not sig.var_keyword:
            if name in sig.positional[: sig.positional_only]:
                return f"{sig.name}() got positional-only argument {name!r} passed as keyword"
            return f"{sig.name}() got an unexpected keyword argument {name!r}"
        if not star and name in sig.positional[:given]:
            return f"{sig.name}() got multiple values for argument {name!r}"
    if len(names) != len(set(names)):
        return None
    if not double_star:
        if not star:
            missing = [p for p in sig.positional[given : sig.required_positional] if p not in names]
            if missing:
                listed = ", ".join(repr(m) for m in missing)
                return f"{sig.name}() missing {len(missing)} required positional argument{'s' if len(missing) > 1 else ''}: {listed}"
        missing_kw = sorted(k for k in sig.required_keyword if k not in names)
        if missing_kw:
            listed = ", ".join(repr(m) for m in missing_kw)
            return f"{sig.name}() missing {len(missing_kw)} required keyword-only argument{'s' if len(missing_kw) > 1 else ''}: {listed}"
    return None


@pytest.mark.parametrize("definition", _DEFS)
def test_binding_problems_as_before(definition: str) -> None:
    func = ast.parse(definition).body[0]
    assert isinstance(func, ast.FunctionDef)
    sig = _from_arguments(func.name, "src/m.py", 1, func.args, drop_first=False)
    assert sig is not None
    answers = set()
    for text in _CALLS:
        call = ast.parse(text, mode="eval").body
        assert isinstance(call, ast.Call)
        answers.add(binding_problem(sig, call))
        assert binding_problem(sig, call) == _reference(sig, call), (definition, text)
    assert len(answers) > 1 or (sig.var_positional and sig.var_keyword)  # some call does not bind


def test_a_repeated_keyword_is_left_to_the_syntax_check() -> None:
    func = ast.parse("def f(a, b=1): pass").body[0]
    assert isinstance(func, ast.FunctionDef)
    sig = _from_arguments("f", "src/m.py", 1, func.args, drop_first=False)
    assert sig is not None
    call = ast.Call(func=ast.Name("f"), args=[ast.Constant(1)], keywords=[ast.keyword("b", ast.Constant(2))] * 2)
    assert binding_problem(sig, call) is None


def _status_as_before(ext: ExternalImport, declared: DeclaredDependencies) -> str:
    """rules/deps.py's _status as it stood before the second speed round: every set asked anew."""
    if ext.providers & declared.direct or ext.module.split(".", 1)[0] in declared.installed_imports:
        return "direct"
    if ext.providers & declared.installed:
        return "transitive"
    if ext.providers & declared.optional.keys():
        return "optional"
    if not ext.certain and declared.unknown:
        return "maybe"
    return "missing"


_DEPENDENCIES = (
    '[project]\nname = "exp"\nversion = "0.1.0"\n'
    'dependencies = ["torch", "transformers", "omegacnof"]\n'
    '[project.optional-dependencies]\nplots = ["matplotlib"]\n'
)
_IMPORTS = (
    "import torch\nimport numpy\nimport tqdm\nimport matplotlib.pyplot as plt\nimport sklearn\n"
    "import huggingface_hub\nimport mysterylib\n"
)


def test_dependency_status_agrees_with_asking_every_set() -> None:
    facts = facts_of({"pyproject.toml": _DEPENDENCIES, "src/train.py": _IMPORTS, "src/eval.py": "import torch\n"})
    found = facts.derived(dependency_status)
    declared = facts.derived(declared_dependencies)
    assert found is not None and declared is not None
    statuses = {need.ext.module: need.status for need in found.needed}
    assert statuses == {need.ext.module: _status_as_before(need.ext, declared) for need in found.needed}
    assert {"direct", "transitive", "optional", "maybe"} <= set(statuses.values())
    assert next(n.others for n in found.needed if n.ext.module == "torch") == 1  # src/eval.py imports it too
    assert found.sets.installs("transformers") == closure(["transformers"])


def test_no_declared_list_no_status() -> None:
    facts = facts_of({"src/train.py": "import torch\n"})
    assert facts.derived(dependency_status) is None


def test_evaluate_figure_names_are_the_filtered_named_files() -> None:
    evaluate = (
        "import json\nimport matplotlib.pyplot as plt\n\n\ndef main(run_ids):\n"
        "    for run_id in run_ids:\n        plt.savefig(f'{run_id}_learning_curve.pdf')\n"
        "    plt.savefig('comparison_accuracy.png')\n    json.dump({}, open('aggregated_metrics.json', 'w'))\n"
        "    print('figures/*.pdf')\n"
    )
    facts = facts_of({"src/evaluate.py": evaluate})
    shared = facts.derived(evaluate_figure_names)
    assert [f.template for f in shared] == [f.template for f in figure_names(facts, EVALUATE)]
    assert [f.basename for f in shared] == ["{}_learning_curve.pdf", "comparison_accuracy.png"]


@pytest.mark.parametrize("kind", ["leaf", "whole"])
def test_named_in_agrees_with_every_pattern_on_every_text(kind: str) -> None:
    pieces = ["training", "lr", "**cfg.", "to_container(cfg.", ".items()", "'", "]", " ", "_", "x", "\n", "vars("]
    rng = random.Random(kind)
    for name in ("training", "lr", ""):
        patterns = _leaf_patterns(name) if kind == "leaf" else _whole_patterns(name)
        for _ in range(300):
            texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(0, 3))]
            expected = any(name in text and any(_found(p, text) for p in patterns) for text in texts)
            assert _named_in((kind, name), texts) == expected, (name, texts)
