"""R4xx — imports and calls between the submission's own modules that cannot work.

Modules are resolved as ``python -m src.main`` from the repository root sees them; a symbol is
missing only when its module is parsed and shows no dynamic way to define names (star imports,
module ``__getattr__``, writes to ``globals()``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.callees import callee_signatures, resolved_calls
from expcheck.facts.callscopes import module_scopes
from expcheck.facts.distributions import in_table
from expcheck.facts.imports import STDLIB, project_index
from expcheck.facts.launches import scripts_run_by_path
from expcheck.facts.moduleattrs import missing_module_attributes
from expcheck.facts.python import SIMPLE_STATEMENTS
from expcheck.facts.semantic import CallSite, is_generator
from expcheck.facts.signatures import _decorators_transparent, binding_problem
from expcheck.facts.valuestatements import value_statements
from expcheck.rules.base import Example, Hit, rule

# A loader returning a 5-tuple with the test split and a 4-tuple without it.
_TWO_SHAPES = (
    "def loaders(cfg, include_test=False):\n    train, val = cfg, cfg\n"
    "    if include_test:\n        return train, val, 10, (3, 32, 32), cfg\n    return train, val, 10, (3, 32, 32)\n"
)

_SHADOWING = """\
try:
    from datasets import load_dataset
except ImportError:
    load_dataset = None


def texts(cfg):
    return {call}


def load_dataset(cfg, split_ratio=0.9):
    return texts(cfg)
"""

_MODEL = "import torch\n\n\nclass Net(torch.nn.Module):\n    pass\n\n\ndef build_model(cfg):\n    return Net()\n"


@rule(
    id="R401",
    name="missing-project-module",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Resolves project imports against the submission's files; a module generated at run time is missed.""",
    title="Import of a project module that does not exist",
    why="""`from src.utils import x` or `from .helpers import y` needs src/utils.py or src/helpers.py in
        the repository; without it the import raises ModuleNotFoundError before anything runs.""",
    fix="Create the module, or import from the module that really holds the code.",
    bad=[
        Example(
            files={"src/model.py": _MODEL, "src/train.py": "from src.utils import set_seed\n"},
            expect=(("src/train.py", 1),),
        ),
        Example(
            files={"src/model.py": _MODEL, "src/train.py": "from .helpers import set_seed\n"},
            expect=(("src/train.py", 1),),
        ),
    ],
    good=[
        Example(files={"src/model.py": _MODEL, "src/train.py": "from src.model import build_model\n"}),
        Example(files={"src/model.py": _MODEL, "src/train.py": "from .model import build_model\n"}),
    ],
)
def missing_project_module(facts: Facts) -> Iterator[Hit]:
    index = facts.derived(project_index)
    for info in index.by_path.values():
        for fact in info.imports:
            if fact.guarded or fact.type_only:
                continue
            if fact.level and not fact.module:
                yield Hit(
                    path=fact.path,
                    line=fact.line,
                    column=fact.column,
                    message=f"relative import climbs above the top-level package of {info.name}",
                )
                continue
            if not (fact.level or index.is_project(fact.module)) or index.exists(fact.module):
                continue
            yield Hit(
                path=fact.path,
                line=fact.line,
                column=fact.column,
                message=f"module `{fact.module}` does not exist in the submission: ModuleNotFoundError on import",
            )


@rule(
    id="R402",
    name="missing-project-symbol",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Resolves names against what the module defines; names injected at run time (setattr, globals()) are missed.""",
    title="Name imported from (or looked up on) a project module that does not define it",
    why="""`from src.model import build` fails with ImportError when model.py defines no `build`;
        `import src.model as m; m.build()` fails with AttributeError. Generated files often rename a
        function in one file and not in its callers.""",
    fix="Import a name the module really defines (check the spelling), or define it there.",
    bad=[
        Example(
            files={"src/model.py": _MODEL, "src/train.py": "from src.model import get_model\n"},
            expect=(("src/train.py", 1),),
        ),
        Example(
            files={"src/model.py": _MODEL, "src/train.py": "from .model import Net, get_model\n"},
            expect=(("src/train.py", 1),),
        ),
        Example(
            files={
                "src/model.py": _MODEL,
                "src/train.py": "import src.model as M\n\n\ndef go(cfg):\n    return M.create(cfg)\n",
            },
            expect=(("src/train.py", 5),),
        ),
    ],
    good=[
        Example(files={"src/model.py": _MODEL, "src/train.py": "from src.model import Net, build_model\n"}),
        Example(
            files={
                "src/model.py": _MODEL,
                "src/train.py": "import src.model as M\n\n\ndef go(cfg):\n    return M.build_model(cfg)\n",
            }
        ),
        Example(
            files={"src/model.py": "from torch.nn import *\n", "src/train.py": "from src.model import Linear\n"},
            note="a star import hides what the module defines",
        ),
    ],
)
def missing_project_symbol(facts: Facts) -> Iterator[Hit]:
    index = facts.derived(project_index)
    for info in index.by_path.values():
        for fact in info.imports:
            if fact.guarded or fact.type_only or fact.name in (None, "*") or not index.exists(fact.module):
                continue
            if index.has_attribute(fact.module, str(fact.name)) is False:
                yield Hit(
                    path=fact.path,
                    line=fact.line,
                    column=fact.column,
                    message=f"`{fact.module}` defines no `{fact.name}`: ImportError on import",
                )
    for missing in facts.derived(missing_module_attributes):
        yield Hit(
            path=missing.path,
            line=missing.line,
            column=missing.column,
            message=f"module `{missing.target}` has no attribute `{missing.name}`: AttributeError when this line runs",
        )


@rule(
    id="R403",
    name="call-arguments-mismatch",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Matches calls with the signatures of project functions; calls through decorators that change the signature are skipped where seen.""",
    title="Call to a project function or class with arguments it does not accept",
    why="""When train.py calls `build_model(cfg, num_classes)` but model.py defines `build_model(cfg)`,
        Python raises TypeError at the call: too many or too few positional arguments, a missing
        required argument, or a keyword the function does not have.""",
    fix="Make the call match the definition (or change the definition and every caller together).",
    bad=[
        Example(
            files={
                "src/model.py": _MODEL,
                "src/train.py": "from src.model import build_model\n\nnet = build_model(None, 10)\n",
            },
            expect=(("src/train.py", 3),),
        ),
        Example(
            files={
                "src/model.py": _MODEL,
                "src/train.py": "from .model import build_model\n\n\ndef go():\n    return build_model(config=None)\n",
            },
            expect=(("src/train.py", 5),),
        ),
        Example(
            files={
                "src/preprocess.py": "class Loader:\n    def __init__(self, root, batch_size=32):\n        self.root = root\n",
                "src/train.py": "from src.preprocess import Loader\n\nloader = Loader(batch_size=8)\n",
            },
            expect=(("src/train.py", 3),),
        ),
        Example(
            files={"src/preprocess.py": _SHADOWING.format(call='load_dataset("imdb", split="train")')},
            note="a later def of the same name replaces the library import the call was written for",
            expect=(("src/preprocess.py", 8),),
        ),
    ],
    good=[
        Example(
            files={
                "src/model.py": _MODEL,
                "src/train.py": "from src.model import build_model\n\nnet = build_model(None)\n",
            }
        ),
        Example(
            files={"src/preprocess.py": _SHADOWING.format(call="load_dataset({'name': 'imdb'})")},
            note="the call fits the def that replaced the import",
        ),
        Example(
            files={
                "src/preprocess.py": "class Loader:\n    def __init__(self, root, batch_size=32):\n        self.root = root\n",
                "src/train.py": "from src.preprocess import Loader\n\nloader = Loader('.', batch_size=8)\n",
            }
        ),
        Example(
            files={
                "src/model.py": _MODEL,
                "src/train.py": "from src.model import build_model\n\n\ndef go(build_model):\n    return build_model(1, 2, 3)\n",
            },
            note="a parameter shadows the import",
        ),
    ],
)
def call_arguments_mismatch(facts: Facts) -> Iterator[Hit]:
    for resolved, sig in facts.derived(callee_signatures):
        call = resolved.call
        problem = binding_problem(sig, call.node)
        if problem is not None:
            yield Hit(
                path=call.path,
                line=call.line,
                column=call.column,
                message=f"{problem} (see {sig.describe()}{_replaced_import(facts, call)}): TypeError at this call",
            )


def _replaced_import(facts: Facts, call: CallSite) -> str:
    """Names the import that a later def of the same name replaced, when that is what the call reaches."""
    info = facts.derived(project_index).by_path.get(call.path)
    if info is None or call.dotted is None or "." in call.dotted:
        return ""
    found = info.bindings.get(call.dotted, [])
    imports = [b for b in found if b.kind == "import"]
    if len(found) < 2 or not imports:
        return ""
    return f", which replaces the {call.dotted!r} imported at line {imports[0].line}"


def _extends_sys_path(facts: Facts) -> bool:
    """Whether the code puts a folder on sys.path itself (then bare sibling imports may work)."""
    for module in facts.python.values():
        text = module.file.text
        if "sys.path" in text or "PYTHONPATH" in text or "site.addsitedir" in text:
            return True
    return False


@rule(
    id="R404",
    name="sibling-import-without-package",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Assumes the documented launch `python -m src.main` from the repository root; a sys.path change it cannot follow is missed.""",
    title="Bare import of a sibling module that is not on sys.path",
    why="""Run as `python -m src.main` from the repository root, only the root is on sys.path:
        `src/model.py` is `src.model`, and a bare `import model` or `from model import Net` inside src/
        raises ModuleNotFoundError.""",
    fix="Import it through its package: `from src.model import Net` or `from .model import Net`.",
    bad=[
        Example(
            files={"src/model.py": _MODEL, "src/train.py": "from model import build_model\n"},
            expect=(("src/train.py", 1),),
        )
    ],
    good=[
        Example(files={"src/model.py": _MODEL, "src/train.py": "from .model import build_model\n"}),
        Example(
            files={
                "src/model.py": _MODEL,
                "src/train.py": "try:\n    from .model import build_model\nexcept ImportError:\n    from model import build_model\n",
            },
            note="a fallback import runs only when the package import failed",
        ),
    ],
)
def sibling_import_without_package(facts: Facts) -> Iterator[Hit]:
    index = facts.derived(project_index)
    if _extends_sys_path(facts):
        return
    # A module the code runs as a script by path has its own folder on sys.path.
    scripts = scripts_run_by_path(facts)
    # The last part of each project module's name, by the package it is in (one pass, not one per module).
    by_package: dict[str, set[str]] = {}
    for name in index.modules:
        package, _, last = name.rpartition(".")
        by_package.setdefault(package, set()).add(last)
    for info in index.by_path.values():
        siblings = by_package.get(info.package, set()) if info.package else set()
        if info.path in scripts or not siblings:
            continue
        for fact in info.imports:
            if fact.level or fact.guarded or fact.type_only:
                continue
            top = fact.top
            if top not in siblings or index.is_project(fact.module):
                continue
            if top in STDLIB or in_table(top):
                continue  # the name of a library as well: that library is what Python imports
            yield Hit(
                path=fact.path,
                line=fact.line,
                column=fact.column,
                message=f"`{top}` is {info.package.replace('.', '/')}/{top}.py, importable only as "
                f"`{info.package}.{top}` when the run starts with `python -m {info.package}.main`",
            )


def _returned_lengths(func: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call) -> set[int] | None:
    """Tuple lengths ``func`` can return for ``call``; None when any reachable return is not a tuple literal.

    Whether ``func`` is a generator is not looked at here (see ``_yields``).

    Branches on a boolean parameter (``if include_test:``) are decided from the call's constant
    argument or the parameter's default; other branches keep both sides.
    """
    params = [a.arg for a in func.args.posonlyargs + func.args.args]
    defaults = dict(zip(reversed(params), reversed(func.args.defaults), strict=False))
    defaults.update({a.arg: d for a, d in zip(func.args.kwonlyargs, func.args.kw_defaults, strict=False) if d})
    given: dict[str, ast.expr] = dict(zip(params, call.args, strict=False))
    given.update({kw.arg: kw.value for kw in call.keywords if kw.arg})
    if any(isinstance(a, ast.Starred) for a in call.args) or any(kw.arg is None for kw in call.keywords):
        return None

    def known(name: str) -> bool | None:
        value = given.get(name, defaults.get(name))
        return bool(value.value) if isinstance(value, ast.Constant) else None

    def decide(test: ast.expr) -> bool | None:
        if isinstance(test, ast.Name) and test.id in params:
            return known(test.id)
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = decide(test.operand)
            return None if inner is None else not inner
        return None

    lengths: set[int] = set()

    def walk(body: list[ast.stmt]) -> tuple[bool, bool]:
        """(every reachable return is a fixed-size tuple, this block always returns) — lengths collected."""
        for stmt in body:
            if isinstance(stmt, ast.Return):
                value = stmt.value
                if not isinstance(value, ast.Tuple) or any(isinstance(e, ast.Starred) for e in value.elts):
                    return False, True
                lengths.add(len(value.elts))
                return True, True  # the rest of this block is unreachable
            if isinstance(stmt, ast.Raise):
                return True, True
            if isinstance(stmt, ast.If):
                taken = decide(stmt.test)
                branches = (
                    [stmt.body] if taken is True else [stmt.orelse] if taken is False else [stmt.body, stmt.orelse]
                )
                results = [walk(b) for b in branches]
                if not all(ok for ok, _ in results):
                    return False, True
                if all(done for _, done in results):
                    return True, True
                continue
            if type(stmt) in SIMPLE_STATEMENTS or isinstance(
                stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
            ):
                continue  # no block of statements in it to follow
            blocks = [getattr(stmt, f, None) for f in ("body", "orelse", "finalbody")]
            blocks += [h.body for h in getattr(stmt, "handlers", [])]
            for block in blocks:
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt) and not walk(block)[0]:
                    return False, True
        return True, False

    ok, _ = walk(func.body)
    return lengths if ok and lengths else None


@rule(
    id="R405",
    name="unpacking-count-mismatch",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Compares unpacking counts with every tuple the function can return for that call; returns built by loops or helpers are skipped.""",
    title="A project function's result is unpacked into the wrong number of names",
    why="""`a, b, c = f(...)` raises ValueError (too many / not enough values to unpack) when every tuple f
        can return for that call has another length. A helper that grew a return value (or lost one) while
        a caller kept the old unpacking crashes the run at that line.""",
    fix="Unpack exactly as many names as the function returns (or return a small dataclass instead of a tuple).",
    bad=[
        Example(
            files={
                "src/preprocess.py": _TWO_SHAPES,
                "src/train.py": (
                    "from src.preprocess import loaders\n\n\ndef run(cfg):\n"
                    "    _, _, _, test = loaders(cfg, include_test=True)\n    return test\n"
                ),
            },
            expect=(("src/train.py", 5),),
        )
    ],
    good=[
        Example(
            files={
                "src/preprocess.py": _TWO_SHAPES,
                "src/train.py": (
                    "from src.preprocess import loaders\n\n\ndef run(cfg):\n"
                    "    _, _, _, _, test = loaders(cfg, include_test=True)\n    a, b, c, d = loaders(cfg)\n    return test\n"
                ),
            }
        ),
        Example(
            files={
                "src/model.py": "def build(cfg):\n    parts = (cfg, cfg)\n    return parts\n",
                "src/train.py": "from src.model import build\n\n\ndef run(cfg):\n    a, b, c = build(cfg)\n    return a\n",
            },
            note="a return that is not a tuple literal is not judged",
        ),
    ],
)
def unpacking_count_mismatch(facts: Facts) -> Iterator[Hit]:
    callees = facts.derived(resolved_calls)
    unpacking = (ast.Tuple, ast.List)
    for path in facts.derived(module_scopes):
        module = facts.python.get(path)
        if module is None:
            continue
        for stmt in facts.derived(value_statements)[path].assigns:
            # Cheapest test first: few assignments unpack (the node classes are never subclassed).
            targets = stmt.targets
            if len(targets) != 1 or type(targets[0]) not in unpacking or type(stmt.value) is not ast.Call:
                continue
            target = targets[0]
            if any(isinstance(e, ast.Starred) for e in target.elts):
                continue
            resolved = callees.get(id(stmt.value))
            if resolved is None or not isinstance(resolved.node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            call, func = resolved.call, resolved.node
            if not _decorators_transparent(func):
                continue
            lengths = _returned_lengths(func, stmt.value)
            wanted = len(target.elts)
            if lengths is None or wanted in lengths or is_generator(func):
                continue
            got = " or ".join(str(n) for n in sorted(lengths))
            yield Hit(
                path=path,
                line=stmt.lineno,
                column=stmt.col_offset + 1,
                message=f"{wanted} names unpack `{call.dotted}(...)`, which returns {got} values here "
                f"({resolved.info.path}:{func.lineno}): ValueError at this line",
            )
