"""Contract items some profiles state and others do not: per-run log files, placeholder data, model saving.

Each rule reads the profile's own field (run_logs, placeholder_data, saves_model) and stays silent
under profiles that do not ask for the item.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, index_of
from expcheck.facts.semantic import string_constants
from expcheck.rules.base import Example, Hit, rule

_MAIN = """\
import subprocess
import sys
from pathlib import Path


def launch(run_id, results_dir):
    run_dir = Path(results_dir) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "stdout.log", "w") as out{err_open}:
        proc = subprocess.Popen(
            [sys.executable, "-m", "src.train", "--run-id", run_id],
            stdout=subprocess.PIPE,
            stderr={err},
            text=True,
        )
        for line in proc.stdout:
            sys.stdout.write(line)
            out.write(line)
        proc.wait()
"""


def _main(separate: bool) -> str:
    if separate:
        return _MAIN.format(err_open=', open(run_dir / "stderr.log", "w") as err', err="err")
    return _MAIN.format(err_open="", err="subprocess.STDOUT")


def _launch_line(facts: Facts, path: str) -> int:
    """Where main.py starts a run (its first subprocess call), else line 1."""
    index = index_of(facts, path)
    if index is not None:
        for call in index.calls:
            if call.name.startswith("subprocess."):
                return call.line
    return 1


@rule(
    id="C208",
    name="run-log-missing",
    criterion="C2",
    severity="error",
    confidence="inferred",
    clause="run-logs",
    known_limits="""Follows subprocess calls and the file names they write; log files opened through helpers it cannot follow are missed.""",
    title="main.py does not write a per-run log file the contract names",
    why="""Contracts that ask main.py to keep `stdout.log` and `stderr.log` for every run rely on them to
        diagnose a failed run after the fact. Merging stderr into stdout (stderr=subprocess.STDOUT) or
        writing only one file leaves no stderr.log, and the pipeline's repair step has nothing to read.""",
    fix="Open <results_dir>/<run_id>/stderr.log beside stdout.log and tee the child's stderr into it.",
    bad=[Example(files={"src/main.py": _main(separate=False)}, profile="airas-v0-base", expect=(("src/main.py", 10),))],
    good=[
        Example(files={"src/main.py": _main(separate=True)}, profile="airas-v0-base"),
        Example(
            files={"src/main.py": _main(separate=False)}, profile="airas-v0-derived", note="not asked by this contract"
        ),
    ],
)
def run_log_missing(facts: Facts) -> Iterator[Hit]:
    wanted = facts.profile.run_logs
    main = facts.python.get("src/main.py")
    if not wanted or main is None or main.tree is None:
        return
    literals = " ".join(string_constants(main.tree))
    missing = [name for name in wanted if name not in literals]
    if not missing:
        return
    yield Hit(
        path="src/main.py",
        line=_launch_line(facts, "src/main.py"),
        message=(
            f"main.py never names {', '.join(repr(m) for m in missing)}: each run's "
            f"{' and '.join(wanted)} must be written under <results_dir>/<run_id>/"
        ),
    )


_REAL_DATA = """\
from torchvision import datasets, transforms


def load(root):
    return datasets.{name}(root, train=True, download=True, transform=transforms.ToTensor())
"""


def _real_loaders(facts: Facts) -> Iterator[tuple[str, CallSite]]:
    for path in sorted(facts.python):
        index = index_of(facts, path)
        if index is None:
            continue
        for call in index.calls:
            name = call.name
            if name.startswith("torchvision.datasets.") and name.count(".") == 2:
                cls = call.attr
                if cls[:1].isupper() and cls not in ("FakeData", "ImageFolder", "DatasetFolder", "VisionDataset"):
                    yield path, call
            elif name == "datasets.load_dataset":
                first = call.arg(0, "path")
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield path, call


@rule(
    id="C305",
    name="real-dataset-in-base",
    criterion="C3",
    severity="error",
    confidence="inferred",
    known_limits="""Recognises real datasets by known loader calls and names; a synthetic stand-in built with a real loader's API is reported.""",
    title="A base code loads a real dataset where the contract asks for a placeholder",
    why="""A base-code contract keeps dataset loading as a named placeholder so that each experiment fills
        in its own dataset later. A hard-coded CIFAR-10 or Hugging Face dataset in the base is the
        premature specialisation the contract forbids, and it downloads data in the smoke test.""",
    fix="Leave dataset loading as the DATASET_PLACEHOLDER branch (synthetic data such as FakeData for the smoke test).",
    bad=[
        Example(
            files={"src/preprocess.py": _REAL_DATA.format(name="CIFAR10")},
            profile="airas-v0-base",
            expect=(("src/preprocess.py", 5),),
        )
    ],
    good=[
        Example(
            files={
                "src/preprocess.py": _REAL_DATA.format(name="FakeData").replace("root, train=True, download=True, ", "")
            },
            profile="airas-v0-base",
        ),
        Example(
            files={"src/preprocess.py": _REAL_DATA.format(name="CIFAR10")},
            profile="airas-v0-derived",
            note="the derived code is where real datasets belong",
        ),
    ],
)
def real_dataset_in_base(facts: Facts) -> Iterator[Hit]:
    if not facts.profile.placeholder_data:
        return
    for path, call in _real_loaders(facts):
        yield Hit(
            path=path,
            line=call.line,
            column=call.column,
            message=f"`{call.name}(...)` loads a real dataset in the base code; this contract keeps datasets as placeholders",
        )


_SAVES = ("torch.save", "save_pretrained", "save_checkpoint", "save_model", "save_state_dict", "safetensors")
_TRAIN = """\
import torch


def train(model, loader, epochs, out_dir):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
{save}"""


@rule(
    id="C405",
    name="model-never-saved",
    criterion="C4",
    severity="error",
    confidence="inferred",
    known_limits="""Looks for torch.save, save_pretrained and checkpoint calls; saving through a helper library it does not know is missed.""",
    title="The trained model is never saved",
    why="""Contracts that ask for model saving (and loading) need the trained weights on disk: later steps
        evaluate or resume from them. Training code with no torch.save, save_pretrained or checkpoint
        call throws the weights away when the process ends.""",
    fix="Save the model's state_dict (torch.save(model.state_dict(), run_dir / 'model.pt')) at the end of training or on the best epoch.",
    bad=[Example(files={"src/train.py": _TRAIN.format(save="")}, profile="airas-v0-base")],
    good=[
        Example(
            files={"src/train.py": _TRAIN.format(save="    torch.save(model.state_dict(), f'{out_dir}/model.pt')\n")},
            profile="airas-v0-base",
        ),
        Example(files={"src/train.py": _TRAIN.format(save="")}, profile="airas-v0-derived", note="not asked"),
    ],
)
def model_never_saved(facts: Facts) -> Iterator[Hit]:
    if not facts.profile.saves_model:
        return
    anchor: tuple[str, int] | None = None  # a training step to point at, train.py's preferred
    for path in sorted(facts.python):
        index = index_of(facts, path)
        if index is None:
            continue
        if any(part in call.name for call in index.calls for part in _SAVES):
            return
        step = next((c for c in index.calls if c.attr in ("backward", "step")), None)
        if step is not None and (anchor is None or path == "src/train.py"):
            anchor = (path, step.line)
    if anchor is not None:
        yield Hit(
            path=anchor[0],
            line=anchor[1],
            message="the model is trained here but nothing in the code saves it (no torch.save, save_pretrained or checkpoint call)",
        )
