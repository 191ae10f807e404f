"""R3xx — names that break the run when their line executes, found by ruff (run once per submission).

Only crash-class diagnostics become errors; files that do not parse are left to R101.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.imports import project_index
from expcheck.facts.lint import (
    Diagnostic,
    LintResult,
    LintUnavailable,
    lint,
    name_errors,
    start_lint,
    verified_compile_error,
)
from expcheck.facts.semantic import load_lines
from expcheck.rules.base import Example, Hit, rule

_REDEFINED_FROM = re.compile(r"from line (\d+)")


def _lint(facts: Facts) -> LintResult:
    """ruff's result. When ruff could not run or answer, this raises: the rule has then not looked at the
    code, and the check reports so (X003, not ready) rather than reading ruff's silence as "no defect"."""
    result = facts.derived(lint)
    if result.note:
        raise LintUnavailable(result.note)
    return result


def _parsed(facts: Facts, diag: Diagnostic) -> bool:
    module = facts.python.get(diag.path)
    return module is not None and module.tree is not None


def _name(diag: Diagnostic) -> str:
    return diag.subject or "?"


@rule(
    id="R301",
    needs=[start_lint],
    name="undefined-name",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Static scoping as Python defines it; names created dynamically (globals() writes, exec, star imports of unknown modules) are not seen.""",
    title="Name is used but never defined",
    why="""Python looks the name up when the line runs and raises NameError: a missing import (`os`,
        `Any`), a variable defined in another function, or a typo. The run stops there, often after
        minutes of data loading or training.""",
    fix="Import or define the name before it is used (e.g. add `import os` at the top of the file).",
    bad=[
        Example(
            files={"src/evaluate.py": "import json\n\n\ndef save(d):\n    os.makedirs(d, exist_ok=True)\n"},
            expect=(("src/evaluate.py", 5),),
        ),
        Example(
            files={
                "src/preprocess.py": "def load():\n    train_ds = [1, 2]\n    return train_ds\n\n\n"
                "def split():\n    return eval_ds[:1]\n"
            },
            expect=(("src/preprocess.py", 7),),
        ),
        Example(
            files={"src/model.py": "def build(width: Sequence[int]) -> None:\n    return None\n"},
            expect=(("src/model.py", 1),),
        ),
    ],
    good=[
        Example(files={"src/evaluate.py": "import os\n\n\ndef save(d):\n    os.makedirs(d, exist_ok=True)\n"}),
        Example(
            files={
                "src/model.py": "from __future__ import annotations\n\n\n"
                "def build(width: Sequence[int]) -> None:\n    return None\n"
            },
            note="postponed annotations are never evaluated",
        ),
    ],
)
def undefined_name(facts: Facts) -> Iterator[Hit]:
    _lint(facts)  # fails when ruff could not run
    for diag in facts.derived(name_errors):
        if diag.code != "F821":
            continue
        yield Hit(
            path=diag.path,
            line=diag.line,
            column=diag.column,
            end_line=diag.end_line,
            end_column=diag.end_column,
            message=f"`{_name(diag)}` is not defined here: NameError when this line runs",
        )


@rule(
    id="R302",
    needs=[start_lint],
    name="local-before-assignment",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Follows Python's local-scope rule along the statement order; a read that a preceding branch always skips at run time is still reported.""",
    title="Local variable read before it is assigned",
    why="""A name assigned anywhere in a function is local to the whole function; reading it before the
        assignment raises UnboundLocalError, even when a global of the same name exists.""",
    fix="Assign the variable before reading it, or rename the local so the global is used.",
    bad=[
        Example(
            files={
                "src/train.py": "import torch\n\n\ndef step():\n    x = torch.zeros(1)\n    import torch\n    return x\n"
            },
            expect=(("src/train.py", 5),),
        )
    ],
    good=[Example(files={"src/train.py": "import torch\n\n\ndef step():\n    x = torch.zeros(1)\n    return x\n"})],
)
def local_before_assignment(facts: Facts) -> Iterator[Hit]:
    _lint(facts)  # fails when ruff could not run
    for diag in facts.derived(name_errors):
        if diag.code == "F823":
            yield Hit(
                path=diag.path,
                line=diag.line,
                column=diag.column,
                end_line=diag.end_line,
                end_column=diag.end_column,
                message=f"local `{_name(diag)}` is read before it is assigned: UnboundLocalError",
            )


@rule(
    id="R303",
    needs=[start_lint],
    name="import-replaced-by-definition",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Reports a def/class that rebinds an imported name; a deliberate wrapper with the same name that handles both call shapes is reported.""",
    title="An imported name is replaced by a function or class of the same name",
    why="""A def or class statement rebinds the module-level name, so every use of the import — also
        the ones written above the def, inside functions — calls the project's own function instead,
        with arguments meant for the library (e.g. `load_dataset("text", ...)` reaching a local
        `load_dataset(cfg)`).""",
    fix="Rename the project function (or import the library function under another name, `from x import f as lib_f`).",
    bad=[
        Example(
            files={
                "src/preprocess.py": "from datasets import load_dataset\n\n\n"
                "def _raw(name):\n    return load_dataset('text', name)\n\n\n"
                "def load_dataset(cfg):\n    return _raw(cfg['name'])\n"
            },
            expect=(("src/preprocess.py", 8),),
        )
    ],
    good=[
        Example(
            files={
                "src/preprocess.py": "from datasets import load_dataset as hf_load\n\n\n"
                "def _raw(name):\n    return hf_load('text', name)\n\n\n"
                "def load_dataset(cfg):\n    return _raw(cfg['name'])\n"
            }
        ),
        Example(
            files={
                "src/preprocess.py": "from datasets import load_dataset\n\n\ndef load_dataset(cfg):\n    return cfg\n"
            },
            note="the import is never used: dead, not harmful",
        ),
    ],
)
def import_replaced_by_definition(facts: Facts) -> Iterator[Hit]:
    index = facts.derived(project_index)
    # Line -> binding kind, per (file, name): a name redefined n times has n diagnostics, built once.
    kinds_of: dict[tuple[str, str], dict[int, str]] = {}
    for diag in _lint(facts).by_code("F811"):
        module, info = facts.python.get(diag.path), index.by_path.get(diag.path)
        match = _REDEFINED_FROM.search(diag.message)
        if module is None or module.tree is None or info is None or match is None:
            continue
        name, first = _name(diag), int(match.group(1))
        kinds = kinds_of.get((diag.path, name))
        if kinds is None:
            kinds = kinds_of[(diag.path, name)] = {b.line: b.kind for b in info.bindings.get(name, [])}
        if kinds.get(first) != "import" or kinds.get(diag.line) not in ("function", "class"):
            continue
        uses = load_lines(module.tree, name, diag.line)
        if not uses:
            continue
        shown = ", ".join(str(u) for u in uses[:5])
        yield Hit(
            path=diag.path,
            line=diag.line,
            column=diag.column,
            end_line=diag.end_line,
            end_column=diag.end_column,
            message=f"`{name}` imported at line {first} is replaced by this definition; "
            f"the use{'s' if len(uses) > 1 else ''} at line{'s' if len(uses) > 1 else ''} {shown} call{'' if len(uses) > 1 else 's'} it instead of the import",
        )


@rule(
    id="R304",
    needs=[start_lint],
    name="star-import-name",
    criterion="R",
    severity="warning",
    confidence="inferred",
    known_limits="Names that may come from a star import of a module it cannot read are uncertain by nature.",
    title="Name may come from a star import, or may not exist",
    why="""After `from m import *` nobody can tell from the file which names exist; a name the star
        import does not provide raises NameError at run time.""",
    fix="Import the names explicitly (`from m import a, b`).",
    bad=[
        Example(
            files={"src/model.py": "from torch.nn import *\n\n\ndef build():\n    return Linear(2, 2)\n"},
            expect=(("src/model.py", 5),),
        )
    ],
    good=[Example(files={"src/model.py": "from torch.nn import Linear\n\n\ndef build():\n    return Linear(2, 2)\n"})],
)
def star_import_name(facts: Facts) -> Iterator[Hit]:
    index = facts.derived(project_index)
    reported: set[tuple[str, str]] = set()
    for diag in _lint(facts).by_code("F405"):
        name = _name(diag)
        info = index.by_path.get(diag.path)
        if not _parsed(facts, diag) or info is None or (diag.path, name) in reported:
            continue
        sources = [i.module for i in info.imports if i.bound == "*"]
        if sources and all(index.is_project(m) for m in sources):
            answers = [index.has_attribute(m, name) for m in sources]
            if any(a is True for a in answers) or any(a is None for a in answers):
                continue
        reported.add((diag.path, name))
        origin = ", ".join(sources) or "a star import"
        yield Hit(
            path=diag.path,
            line=diag.line,
            column=diag.column,
            end_line=diag.end_line,
            end_column=diag.end_column,
            message=f"`{name}` is not defined in this file; it can only come from `from {origin} import *`",
        )


_COMPILE_CODES = (
    "invalid-syntax",
    "F621",
    "F622",
    "F701",
    "F702",
    "F704",
    "F706",
    "F707",
    "PLE0115",
    "PLE0117",
    "PLE0118",
    "PLE1142",
)


@rule(
    id="R305",
    needs=[start_lint],
    name="compile-time-syntax-error",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: Python's compiler refuses the construct.",
    title="File parses but Python refuses to compile it",
    why="""Some errors pass the parser and are raised only when Python compiles the module: `return` or
        `yield` outside a function, `break` outside a loop, a duplicate parameter name, `nonlocal`
        without a binding, `await` outside `async def`. Importing the module fails with SyntaxError.""",
    fix="Correct the statement at the reported line (move it into the function or loop it belongs to).",
    bad=[
        Example(
            files={"src/train.py": "def train(epochs):\n    pass\n\nfor e in range(3):\n    pass\nbreak\n"},
            expect=(("src/train.py", 6),),
        ),
        Example(files={"src/model.py": "def build(width, width):\n    return width\n"}, expect=(("src/model.py", 1),)),
    ],
    good=[Example(files={"src/train.py": "def train(epochs):\n    for e in range(epochs):\n        break\n"})],
)
def compile_time_syntax_error(facts: Facts) -> Iterator[Hit]:
    seen: set[str] = set()
    for diag in _lint(facts).by_code(*_COMPILE_CODES):
        module = facts.python.get(diag.path)
        if module is None or module.tree is None or diag.path in seen:
            continue
        seen.add(diag.path)
        confirmed = verified_compile_error(module)
        if confirmed is None:
            continue
        line, column, message = confirmed
        line = min(max(line, 1), max(len(module.file.lines), 1))
        yield Hit(
            path=diag.path, line=line, column=column, message=f"SyntaxError when the module is compiled: {message}"
        )


_FORMAT_CODES = ("F501", "F502", "F505", "F506", "F507", "F508", "F509", "F521", "F524", "F525")


@rule(
    id="R306",
    needs=[start_lint],
    name="format-string-mismatch",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Checks format strings against literal arguments; arguments passed through *args/**kwargs are not checked.""",
    title="String formatting whose arguments do not fit its placeholders",
    why="""A %-format or str.format call with too few arguments, a missing name, or a malformed
        placeholder raises TypeError, KeyError, IndexError or ValueError when the line runs — often in
        the final logging after all the training is done.""",
    fix="Give one argument per placeholder (or switch to an f-string).",
    bad=[
        Example(
            files={"src/train.py": "def report(acc, loss):\n    print('acc=%s loss=%s' % (acc,))\n"},
            expect=(("src/train.py", 2),),
        ),
        Example(
            files={"src/evaluate.py": "def label(run):\n    return '{name}-{seed}'.format(name=run)\n"},
            expect=(("src/evaluate.py", 2),),
        ),
    ],
    good=[Example(files={"src/train.py": "def report(acc, loss):\n    print('acc=%s loss=%s' % (acc, loss))\n"})],
)
def format_string_mismatch(facts: Facts) -> Iterator[Hit]:
    for diag in _lint(facts).by_code(*_FORMAT_CODES):
        if _parsed(facts, diag):
            yield Hit(
                path=diag.path,
                line=diag.line,
                column=diag.column,
                end_line=diag.end_line,
                end_column=diag.end_column,
                message=f"{diag.message}: fails when this line runs",
            )


@rule(
    id="R307",
    needs=[start_lint],
    name="suspicious-construct",
    criterion="R",
    severity="warning",
    confidence="inferred",
    known_limits="""Reports constructs Python accepts but that do not do what they say; an intentional identity test on an interned literal is reported.""",
    title="Code that runs but does not do what it says",
    why="""`x is "literal"` compares identity, not value (and Python warns about it); `assert (cond, msg)`
        asserts a non-empty tuple and never fails; a name in `__all__` that the module does not define
        breaks `from module import *`.""",
    fix="Use `==` for values, `assert cond, msg`, and list only defined names in `__all__`.",
    bad=[
        Example(
            files={"src/train.py": "def run(mode):\n    if mode is 'trial':\n        return 1\n    return 2\n"},
            expect=(("src/train.py", 2),),
        ),
        Example(
            files={"src/model.py": "__all__ = ['build', 'get_model']\n\n\ndef build():\n    return 1\n"},
            expect=(("src/model.py", 1),),
        ),
    ],
    good=[Example(files={"src/train.py": "def run(mode):\n    if mode == 'trial':\n        return 1\n    return 2\n"})],
)
def suspicious_construct(facts: Facts) -> Iterator[Hit]:
    for diag in _lint(facts).by_code("F631", "F632", "F822"):
        if _parsed(facts, diag):
            yield Hit(
                path=diag.path,
                line=diag.line,
                column=diag.column,
                end_line=diag.end_line,
                end_column=diag.end_column,
                message=diag.message,
            )
