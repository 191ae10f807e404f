"""R406–R408 — values used as what they are not, so that their line fails when it runs: an attribute
the value's known type does not have (R406), a config number PyYAML hands to a numeric API as a string
(R407), and a conditional expression that binds only the last element of the tuple it seems to choose
(R408).
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.knowntypes import typed_attributes
from expcheck.facts.valuestatements import value_statements
from expcheck.facts.yamlnumbers import numeric_sinks
from expcheck.repairs.yamlnumbers import repair_yaml_numbers
from expcheck.rules.base import Example, Hit, rule

# --------------------------------------------------------------------------- R406


# Attributes later Pythons added: a submission may require one of those, so they never count as missing.
_ADDED_AFTER_311: dict[type, frozenset[str]] = {
    int: frozenset({"is_integer"}),
    pathlib.Path: frozenset({"walk", "with_segments", "from_uri", "full_match", "copy", "copy_into", "move"}),
}

_TEE = """\
import subprocess
import sys
import threading


def _tee(stream, sink):
    for line in iter(stream.readline, b""):
        sys.stdout.buffer.write(line)
        sink.{attr}.write(line)


def run(cmd, log_path):
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        worker = threading.Thread(target=_tee, args=(proc.stdout, log))
        worker.start()
        proc.wait()
        worker.join()
"""


@rule(
    id="R406",
    name="attribute-missing-on-known-type",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Only for values whose type the code alone settles (literals, float(), open() with a literal mode); everything else is left alone.""",
    title="Attribute that the value's type does not have",
    why="""Some values have a type the code alone settles: `float(x)`, a string or list literal, a file
        opened with a literal mode. Asking such a value for an attribute its type lacks —
        `float(m).atanh()` (a tensor method), `text.contains(...)`, `items.push(...)`, `.buffer` on a file
        opened in binary mode — raises AttributeError when the line runs; in a worker thread the
        thread dies silently and the run hangs or loses its logs.""",
    fix="Use the operation the type really offers (e.g. torch.atanh(torch.tensor(m)), `in`, append), "
    "or convert the value first.",
    bad=[
        Example(
            files={
                "src/train.py": "import torch\n\n\ndef init(m):\n"
                "    return torch.nn.Parameter(torch.tensor(float(m).atanh()))\n"
            },
            expect=(("src/train.py", 5),),
        ),
        Example(
            files={"src/main.py": _TEE.format(attr="buffer")},
            note="a binary file has no .buffer",
            expect=(("src/main.py", 9),),
        ),
        Example(
            files={"src/preprocess.py": "def tokens(path):\n    words = []\n    words.push(path)\n    return words\n"},
            expect=(("src/preprocess.py", 3),),
        ),
    ],
    good=[
        Example(
            files={
                "src/train.py": "import torch\n\n\ndef init(m):\n"
                "    return torch.nn.Parameter(torch.atanh(torch.tensor(float(m))))\n"
            }
        ),
        Example(files={"src/main.py": _TEE.format(attr="raw")}, note="BufferedWriter.raw exists"),
        Example(
            files={
                "src/preprocess.py": "def tokens(path, words):\n    words = words or []\n    words.push(path)\n"
                "    return words\n"
            },
            note="the value may come from the caller: its type is not certain",
        ),
        Example(
            files={
                "src/model.py": "def head(x):\n    x = 0.5\n    if hasattr(x, 'atanh'):\n        return x.atanh()\n"
                "    return x\n"
            },
            note="guarded by hasattr",
        ),
        Example(
            files={
                "src/evaluate.py": "from pathlib import Path\n\n\ndef label(run_dir: Path):\n"
                "    return run_dir.startswith('proposed')\n\n\nlabel('proposed-1')\n"
            },
            note="an annotation is a promise callers may break (here a str is passed): not judged",
        ),
    ],
)
def attribute_missing_on_known_type(facts: Facts) -> Iterator[Hit]:
    for access in facts.derived(typed_attributes):
        kind = access.type_
        if hasattr(kind, access.attr) or access.attr in _ADDED_AFTER_311.get(kind, frozenset()):
            continue
        yield Hit(
            path=access.path,
            line=access.line,
            column=access.column,
            message=(
                f"`{access.receiver}` is a {kind.__name__} ({access.origin}), which has no attribute "
                f"{access.attr!r}: AttributeError when this line runs"
            ),
        )


# --------------------------------------------------------------------------- R407


_YAML_MAIN = """\
import yaml

from src.train import train


def main(path):
    with open(path) as f:
        cfg = yaml.safe_load(f)
    for run in cfg["runs"]:
        train(run)
"""

_YAML_TRAIN = """\
import torch


def train(run):
    model = torch.nn.Linear(4, 2)
    lr = run["training"].get("lr", 1e-3)
    {extra}optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return optimizer
"""

_SMOKE = "runs:\n  - run_id: baseline\n    training:\n      lr: {lr}\n      epochs: 1\n"


def _repaired(lr: str) -> dict[str, str]:
    return {"config/smoke_test.yaml": _SMOKE.format(lr=lr)}


# R407 is reported where the string reaches the numeric API (the line that raises TypeError), naming
# every YAML value that flows there by file:line: one finding per use, however many files set the key.
_AT_USE = (("src/train.py", 7),)


def _example(
    lr: str,
    extra: str = "",
    note: str = "",
    repaired: dict[str, str] | None = None,
    expect: tuple[tuple[str, int | None], ...] = (),
) -> Example:
    return Example(
        files={
            "src/main.py": _YAML_MAIN,
            "src/train.py": _YAML_TRAIN.format(extra=extra),
            "config/smoke_test.yaml": _SMOKE.format(lr=lr),
        },
        profile="airas-v0-derived",
        note=note,
        repaired=repaired,
        expect=expect,
    )


@rule(
    id="R407",
    name="yaml-exponent-string",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Follows YAML values read with PyYAML into optimizer and tensor arguments; a conversion through a helper it cannot follow is reported.""",
    title="A config number PyYAML reads as a string reaches an optimizer or tensor",
    why="""PyYAML follows YAML 1.1: `1e-3`, `5e-4` or `1.0e3` (no dot, or an exponent without a sign) are
        strings, not floats. Code that loads its configs with yaml.safe_load and passes such a value
        to torch.optim.Adam(lr=...), torch.tensor or math raises TypeError ('<=' not supported between
        float and str) before the first step. Hydra/OmegaConf configs are not affected: OmegaConf
        reads these as floats.""",
    fix="Write the number with a dot and a signed exponent (1.0e-3) in the YAML, or convert it in code (float(...)).",
    bad=[
        _example("1e-3", repaired=_repaired("1.0e-3"), expect=_AT_USE),
        _example("5e-4", note="a run file value", repaired=_repaired("5.0e-4"), expect=_AT_USE),
        _example("2e3", note="an unsigned exponent", repaired=_repaired("2.0e+3"), expect=_AT_USE),
    ],
    good=[
        _example("1.0e-3", note="a dot and a signed exponent: a float to PyYAML"),
        _example("0.001"),
        _example("1e-3", extra="lr = float(lr)\n    ", note="converted before use"),
        Example(
            files={
                "src/main.py": _YAML_MAIN,
                "src/train.py": _YAML_TRAIN.format(extra="").replace(
                    'lr = run["training"].get("lr", 1e-3)', 'defaults = {"lr": 1e-3}\n    lr = defaults["lr"]'
                ),
                "config/smoke_test.yaml": _SMOKE.format(lr="1e-3"),
            },
            profile="airas-v0-derived",
            note="the value read comes from a dict written in Python",
        ),
    ],
    repair=repair_yaml_numbers,
)
def yaml_exponent_string(facts: Facts) -> Iterator[Hit]:
    for sink in facts.derived(numeric_sinks):
        origins = sink.origins
        shown = ", ".join(f"{s.key}: {s.text} ({s.path}:{s.line})" for s in origins[:3])
        more = f" and {len(origins) - 3} more" if len(origins) > 3 else ""
        yield Hit(
            path=sink.path,
            line=sink.call.line,
            column=sink.call.column,
            message=(
                f"`{sink.call.name}` receives {', '.join(repr(k) for k in sink.keys)} from a config PyYAML loads, "
                f"where {shown}{more} is a string, not a float: TypeError when this line runs"
            ),
        )


# --------------------------------------------------------------------------- R408


_LOADERS = """\
def loaders(train, val, test, n_classes, with_test):
    return {body}
"""


def _repeats_prefix(elts: list[ast.expr], branch: ast.expr) -> bool:
    """Whether ``branch`` is a tuple that starts with the same expressions as ``elts``."""
    if not isinstance(branch, ast.Tuple) or len(branch.elts) <= len(elts):
        return False
    return all(ast.dump(a) == ast.dump(b) for a, b in zip(elts, branch.elts, strict=False))


@rule(
    id="R408",
    name="conditional-inside-tuple",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Reports `a, b if c else (x, y)` returns whose callers unpack the longer tuple; an intended single-element choice is reported.""",
    title="A conditional expression meant to choose between two tuples binds only the last element",
    why="""`return a, b, c if with_test else (a, b, c, d)` reads as a choice between two tuples, but the
        conditional binds tighter than the commas: the function returns (a, b, X) where X is c or the
        whole 4-tuple. The longer result is never returned, and a caller that unpacks it, or uses its
        last element, fails (ValueError on unpacking, or a tuple where a loader or tensor was expected).""",
    fix="Put the first tuple in parentheses: `return (a, b, c) if with_test else (a, b, c, d)`.",
    bad=[
        Example(
            files={
                "src/preprocess.py": _LOADERS.format(
                    body="train, val, n_classes if not with_test else (train, val, n_classes, test)"
                )
            },
            expect=(("src/preprocess.py", 2),),
        )
    ],
    good=[
        Example(
            files={
                "src/preprocess.py": _LOADERS.format(
                    body="(train, val, n_classes) if not with_test else (train, val, n_classes, test)"
                )
            }
        ),
        Example(
            files={"src/preprocess.py": _LOADERS.format(body="train, val, (test if with_test else None)")},
            note="a conditional for one element, as written",
        ),
    ],
)
def conditional_inside_tuple(facts: Facts) -> Iterator[Hit]:
    for path, module in sorted(facts.python.items()):
        if module.tree is None or " if " not in module.file.text:
            continue
        for stmt in facts.derived(value_statements)[path].valued:
            value = stmt.value
            if not isinstance(value, ast.Tuple):
                continue
            last = value.elts[-1] if value.elts else None
            if not isinstance(last, ast.IfExp) or len(value.elts) < 2:
                continue
            head = value.elts[:-1]
            for branch, other in ((last.orelse, last.body), (last.body, last.orelse)):
                if _repeats_prefix([*head, other], branch) or _repeats_prefix(head, branch):
                    yield Hit(
                        path=path,
                        line=value.lineno,
                        column=value.col_offset + 1,
                        message=(
                            f"the conditional binds only the last element: this is a {len(value.elts)}-tuple whose "
                            f"last item may be the whole {len(branch.elts)}-tuple, never a {len(branch.elts)}-tuple "
                            "itself (parenthesise the first tuple)"
                        ),
                    )
                    break
