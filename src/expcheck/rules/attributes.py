"""R406 — attributes that a value of certain type does not have (AttributeError when the line runs)."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.knowntypes import typed_attributes
from expcheck.rules.base import Example, Hit, rule

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
