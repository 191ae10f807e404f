"""C3 — data: every configured dataset is loaded by its config value, into .cache/, and loading fails loudly;
a base code whose contract keeps datasets as placeholders loads no real one (C305)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, indexes
from expcheck.facts.dispatch import dispatches, matches, normalize
from expcheck.facts.loaders import (
    Loader,
    cache_env_covers,
    cache_points_into,
    is_local_source,
    loaders_of,
    swallowed_loader_failures,
)
from expcheck.facts.runvalues import RunValues, runs_of
from expcheck.facts.semantic import source_text
from expcheck.rules.base import Example, Hit, rule

PRE = "src/preprocess.py"


def _run(run_id: str, dataset: str, method: str = "proposed", model: str = "bert-base-uncased") -> tuple[str, str]:
    return (
        run_id,
        f"run_id: {run_id}\nmethod: {method}\nmodel:\n  name: {model}\ndataset:\n  name: {dataset}\n"
        "training:\n  epochs: 1\noptuna:\n  n_trials: 0\n",
    )


_LOAD_BY_CONFIG = """\
from datasets import load_dataset


def load(cfg):
    return load_dataset(cfg.dataset.name, cache_dir=".cache/")
"""

_DISPATCH = """\
from torchvision import datasets


def load(cfg):
    name = cfg.dataset.name.lower()
    if name == "cifar10":
        return datasets.CIFAR10(root=".cache/cifar10", download=True)
    elif name == "cifar100":
        return datasets.CIFAR100(root=".cache/cifar100", download=True)
    else:
        raise ValueError(f"unknown dataset {name}")
"""


def _dataset_runs(facts: Facts) -> list[RunValues]:
    return [r for r in runs_of(facts) if r.dataset]


# --------------------------------------------------------------------------- C301


@rule(
    id="C301",
    name="dataset-unhandled",
    criterion="C3",
    severity="error",
    confidence="inferred",
    known_limits="""Follows comparisons of the dataset name to the branches that raise; a dispatch through a registry built at run time is not followed.""",
    title="The code has no branch for a dataset a run config names",
    why="""The data code chooses the loader by the configured dataset name and raises for names it
        does not know. A run whose `dataset.name` matches none of its branches stops there, before
        training starts.""",
    fix="Add a branch (or mapping entry) for the configured dataset, or name the dataset as the code spells it.",
    bad=[Example(files={PRE: _DISPATCH}, runs=(_run("proposed-svhn", "svhn"),), expect=(("src/preprocess.py", 6),))],
    good=[
        Example(files={PRE: _DISPATCH}, runs=(_run("proposed-c10", "CIFAR-10"),)),
        Example(files={PRE: _LOAD_BY_CONFIG}, runs=(_run("proposed-imdb", "imdb"),)),
    ],
)
def dataset_unhandled(facts: Facts) -> Iterator[Hit]:
    runs = _dataset_runs(facts)
    if not runs:
        return
    for dispatch in dispatches(facts, "dataset"):
        if dispatch.fallback != "raise" or not dispatch.literals:
            continue
        missing = [r for r in runs if not any(matches(r.dataset or "", lit) for lit in dispatch.literals)]
        for name in sorted({r.dataset for r in missing if r.dataset}):
            run_ids = ", ".join(r.run_id for r in missing if r.dataset == name)
            known = ", ".join(repr(lit) for lit in dispatch.literals[:6])
            yield Hit(
                path=dispatch.path,
                line=dispatch.line,
                message=f"dataset {name!r} (run {run_ids}) matches none of {known}: "
                + ("the lookup raises KeyError" if dispatch.kind == "mapping" else "the code raises here"),
            )


# --------------------------------------------------------------------------- C302


def _config_driven(loaders: list[Loader], what: str) -> bool:
    return any(ld.what == what and ld.name is not None and ld.literal is None for ld in loaders)


def _names_configured(literal: str, subset: str | None, configured: list[str]) -> bool:
    candidates = [literal, *([subset] if subset else [])]
    for name in configured:
        for cand in candidates:
            a, b = normalize(name), normalize(cand)
            if a and b and (a in b or b in a or matches(name, cand)):
                return True
    return False


@rule(
    id="C302",
    name="dataset-hard-coded",
    criterion="C3",
    severity="warning",
    confidence="heuristic",
    known_limits="""Compares literal dataset ids passed to known loaders with the configured names; a literal that is an alias or sub-dataset of the configured one is reported.""",
    title="The code loads a hard-coded dataset instead of the configured one",
    why="""Run configs name the dataset (`dataset.name`) so that each run trains on what the
        experiment plan says. A loader called with a literal name that is not the configured one
        ignores the config: changing the run config changes nothing, and a typo or a stand-in dataset
        goes unnoticed.""",
    fix="Load `cfg.dataset.name` (mapping it to the hub id if the names differ) instead of a literal.",
    bad=[
        Example(
            files={
                PRE: 'from datasets import load_dataset\n\ndef load(cfg):\n    return load_dataset("imdb", cache_dir=".cache")\n'
            },
            runs=(_run("proposed-sst2", "sst2"),),
            expect=(("src/preprocess.py", 4),),
        )
    ],
    good=[
        Example(files={PRE: _LOAD_BY_CONFIG}, runs=(_run("proposed-sst2", "sst2"),)),
        Example(
            files={
                PRE: "from datasets import load_dataset\n\ndef load(cfg):\n"
                '    return load_dataset("glue", "sst2", cache_dir=".cache")\n'
            },
            runs=(_run("proposed-sst2", "sst2"),),
            note="the literal names the configured dataset (as a GLUE subset)",
        ),
    ],
)
def dataset_hard_coded(facts: Facts) -> Iterator[Hit]:
    runs = _dataset_runs(facts)
    if not runs:
        return
    lf = loaders_of(facts)
    datasets = [ld for ld in lf.loaders if ld.what == "dataset" and ld.family in ("hf", "sklearn")]
    if _config_driven(datasets, "dataset"):
        return  # the configured dataset is loaded by value; literals are auxiliary data
    configured = sorted({r.dataset for r in runs if r.dataset})
    literal_loads = [ld for ld in datasets if ld.literal is not None]
    if any(_names_configured(ld.literal or "", ld.subset, configured) for ld in literal_loads):
        return
    for ld in literal_loads:
        yield Hit(
            path=ld.path,
            line=ld.line,
            column=ld.call.column,
            message=f"loads the hard-coded dataset {ld.literal!r}, while the run configs name "
            + ", ".join(repr(c) for c in configured)
            + ": the config's dataset.name is not used",
        )


# --------------------------------------------------------------------------- C303


@rule(
    id="C303",
    name="cache-dir-not-used",
    criterion="C3",
    severity="error",
    confidence="inferred",
    clause="cache-dir",
    known_limits="""Knows the cache arguments of common loaders (datasets, transformers, torchvision); a loader outside that list, or a cache set through an environment variable it cannot see, may be misjudged.""",
    title="A dataset or pretrained model is downloaded outside .cache/",
    why="""The contract has every dataset and pretrained model cached under `.cache/`, the one folder
        the runners keep between jobs. A loader without a cache argument downloads into the user's
        home (or wherever `root`/`cache_dir` points), which the runner neither keeps nor cleans.""",
    fix='Pass cache_dir=".cache/" (torchvision: root=".cache/...", scikit-learn: data_home=".cache/"), or set '
    'HF_HOME / TORCH_HOME to ".cache" before the first download.',
    bad=[
        Example(
            files={
                PRE: "from datasets import load_dataset\n\ndef load(cfg):\n    return load_dataset(cfg.dataset.name)\n"
            },
            expect=(("src/preprocess.py", 4),),
        ),
        Example(
            files={
                "src/model.py": "from transformers import AutoModel\n\ndef build(cfg):\n"
                "    return AutoModel.from_pretrained(cfg.model.name, cache_dir='./hf')\n"
            },
            expect=(("src/model.py", 4),),
        ),
        Example(
            files={
                PRE: "import torchvision\n\ndef load():\n    return torchvision.datasets.MNIST(root='./data', download=True)\n"
            },
            expect=(("src/preprocess.py", 4),),
        ),
    ],
    good=[
        Example(files={PRE: _LOAD_BY_CONFIG}),
        Example(
            files={
                PRE: "import os\nos.environ['HF_HOME'] = '.cache/hf'\nfrom datasets import load_dataset\n\n"
                "def load(cfg):\n    return load_dataset(cfg.dataset.name)\n"
            },
            note="the cache moved for the whole process",
        ),
        Example(
            files={
                "src/model.py": "from transformers import AutoModel\n\ndef reload(output_dir):\n"
                "    return AutoModel.from_pretrained(output_dir)\n"
            },
            note="a local checkpoint, not a download",
        ),
        Example(
            files={
                PRE: "from datasets import load_dataset\n\ndef load(cfg):\n    return load_dataset(cfg.dataset.name)\n"
            },
            profile="airas-v1-early",
            note="the earliest contract does not fix a cache folder",
        ),
    ],
)
def cache_dir_not_used(facts: Facts) -> Iterator[Hit]:
    outputs = facts.profile.outputs
    if outputs is None or not outputs.cache_dir:
        return
    cache = outputs.cache_dir.rstrip("/")
    lf = loaders_of(facts)
    for ld in lf.loaders:
        if cache_env_covers(lf, ld.family) or ld.call.has_kwargs_splat:
            continue
        if ld.family == "torchvision" and ld.downloads is not True:
            continue  # reads a folder prepared elsewhere
        if ld.family == "timm" and ld.downloads is not True:
            continue  # no pretrained weights fetched (or not known to be)
        if ld.what == "model" and is_local_source(ld):
            continue
        ok = cache_points_into(ld.cache, facts, ld, cache)
        if ok is True or (ok is None and ld.cache is not None):
            continue
        where = ld.literal or (source_text(ld.name) if ld.name is not None else ld.call.attr)
        if ld.cache is None:
            detail = f"has no {ld.cache_kw}=, so it downloads into the default cache under the home folder"
        else:
            detail = f"caches into {source_text(ld.cache)}, not {outputs.cache_dir}/"
        yield Hit(
            path=ld.path,
            line=ld.line,
            column=ld.call.column,
            message=f"{ld.call.name or ld.call.attr}({where}) {detail}",
        )


# --------------------------------------------------------------------------- C304


@rule(
    id="C304",
    name="loading-error-swallowed",
    criterion="C3",
    severity="error",
    confidence="inferred",
    known_limits="""Recognises loading calls by known library names; a swallowed error that is logged through a helper is still reported.""",
    title="A failure to load data or a model is silently swallowed",
    why="""A `try:` around a dataset or model download whose `except` only passes hides the failure:
        the run goes on with missing data (or none), and the error surfaces later as a confusing
        crash or as results computed on the wrong input.""",
    fix="Let the exception propagate, or catch it and raise a clear error naming the dataset/model and the cause.",
    bad=[
        Example(
            files={
                PRE: "from datasets import load_dataset\n\ndef load(cfg):\n    ds = None\n    try:\n"
                "        ds = load_dataset(cfg.dataset.name, cache_dir='.cache')\n    except Exception:\n"
                "        pass\n    return ds\n"
            },
            expect=((PRE, 7),),
        )
    ],
    good=[
        Example(
            files={
                PRE: "from datasets import load_dataset\n\ndef load(cfg):\n    try:\n"
                "        return load_dataset(cfg.dataset.name, cache_dir='.cache')\n    except Exception as exc:\n"
                "        raise RuntimeError(f'cannot load {cfg.dataset.name}') from exc\n"
            }
        )
    ],
)
def loading_error_swallowed(facts: Facts) -> Iterator[Hit]:
    for found in swallowed_loader_failures(facts):
        ld = found.loader
        yield Hit(
            path=found.path,
            line=found.line,
            column=found.column,
            message=f"the failure of {ld.call.name or ld.call.attr}(...) at line {ld.line} is swallowed "
            "here: the run continues without the data/model",
        )


_REAL_DATA = """\
from torchvision import datasets, transforms


def load(root):
    return datasets.{name}(root, train=True, download=True, transform=transforms.ToTensor())
"""


def _real_loaders(facts: Facts) -> Iterator[tuple[str, CallSite]]:
    for path, index in sorted(facts.derived(indexes).items()):
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
