"""C4 — model and method: every configured method takes a code path of its own, models come from the
config, results are measured, never made up, and the trained model is saved where the contract asks (C405)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from expcheck.facts import Facts
from expcheck.facts.astindex import code_modules
from expcheck.facts.dispatch import decides_on, dispatches, matches, normalize
from expcheck.facts.fabrication import fabrications_of
from expcheck.facts.loaders import loaders_of
from expcheck.facts.runvalues import RunValues, group_by_values, runs_of, varying_paths
from expcheck.facts.saving import model_saving
from expcheck.facts.variations import RunVariant, SameRuns, same_runs
from expcheck.facts.wandb import is_evaluate
from expcheck.rules.base import Example, Hit, rule

TRAIN = "src/train.py"


def _run(run_id: str, method: str, extra: str = "", model: str = "resnet18") -> tuple[str, str]:
    return (
        run_id,
        f"run_id: {run_id}\nmethod: {method}\nmodel:\n  name: {model}\ndataset:\n  name: cifar10\n"
        f"training:\n  epochs: 3\n  lr: 0.01\n{extra}optuna:\n  n_trials: 0\n",
    )


_TRAIN_BY_OBJECTIVE = """\
def loss_for(cfg, logits, labels):
    if cfg.training.objective == "weighted":
        return weighted_loss(logits, labels)
    return plain_loss(logits, labels)
"""

_TRAIN_BY_METHOD = """\
def build(cfg):
    if cfg.method == "proposed":
        return ProposedTrainer(cfg)
    elif cfg.method == "baseline":
        return BaselineTrainer(cfg)
    raise ValueError(cfg.method)
"""

_RUNS_OBJECTIVE = (
    _run("proposed-r18", "proposed", "  objective: weighted\n"),
    _run("comparative-1-r18", "comparative-1", "  objective: plain\n"),
)


def _method_runs(facts: Facts) -> list[RunValues]:
    return [r for r in runs_of(facts) if r.method]


_IGNORED_LEAVES = ("description", "notes", "note", "comment", "comments", "paper", "reference", "citation")


def _compared(path: tuple[str, ...]) -> bool:
    """Whether a setting can tell two methods' runs apart (names, W&B, seeds and search spaces cannot)."""
    if not path or path[0] in ("run_id", "wandb", "hardware", "seed", "optuna") or path == ("method",):
        return False
    return not (path[-1] in _IGNORED_LEAVES or (path[0] == "method" and path[-1] in ("name", "type")))


def _differing(a: RunValues, b: RunValues) -> list[tuple[str, ...]]:
    la, lb = a.flat, b.flat
    return [
        path
        for path in sorted(set(la) | set(lb), key=lambda p: tuple(map(str, p)))
        if _compared(path) and la.get(path, _MISSING) != lb.get(path, _MISSING)
    ]


_MISSING = object()


def _code_texts(facts: Facts) -> list[str]:
    """Texts of the training code (evaluate left out: it groups runs by method, it does not run them)."""
    return [facts.files[p].text for p in code_modules(facts) if not is_evaluate(p)]


def _read(path: tuple[str, ...], texts: list[str], seen: dict[tuple[str, str], bool] | None = None) -> bool:
    """Whether the code names the setting: its key anywhere, or a parent section passed on whole.

    Generous on purpose (a key named in a comment counts): a method is only reported when nothing
    that tells the runs apart appears in the code at all. ``seen`` keeps the answers per key and per
    section across the settings of one check (many settings share a section).
    """
    seen = {} if seen is None else seen
    if _named(("leaf", path[-1]), texts, seen):
        return True
    return any(_named(("whole", part), texts, seen) for part in path[:-1])


def _named(key: tuple[str, str], texts: list[str], seen: dict[tuple[str, str], bool]) -> bool:
    """Whether a text names ``key``: ("leaf", name) as a word, ("whole", section) passed on whole."""
    if key not in seen:
        seen[key] = _named_in(key, texts)
    return seen[key]


def _named_in(key: tuple[str, str], texts: list[str]) -> bool:
    """``_named``'s answer, the texts taken in order until one names the key. Every pattern spells the
    name literally, so a text without it is passed over, and no regex is compiled before a text has it."""
    kind, name = key
    patterns: list[_Pattern] | None = None
    for text in texts:
        if name not in text:
            continue
        if kind == "leaf" and name:
            if _word_found(name, text):
                return True
            continue
        if patterns is None:
            patterns = _leaf_patterns(name) if kind == "leaf" else _whole_patterns(name)
        if any(_found(p, text) for p in patterns):
            return True
    return False


def _word_found(name: str, text: str) -> bool:
    """``_found(_leaf_patterns(name)[0], text)`` for a non-empty ``name``: the name standing as a word
    (``\bname\b``), found with substring searches instead of a regex compiled for each key."""
    first_is_word, last_is_word = _is_word(name[0]), _is_word(name[-1])
    size = len(text)
    at = text.find(name)
    while at != -1:
        end = at + len(name)
        after = text[end] if end < size else ""
        before = text[at - 1] if at else ""
        if _is_word(after) != last_is_word and _is_word(before) != first_is_word:
            return True
        at = text.find(name, at + 1)
    return False


# A pattern is (regex, whether a word boundary must stand where its match starts). A regex that begins with
# ``\b`` or with an alternation gets no literal-prefix search in Python's engine (it tries every position):
# the boundary is checked by hand, and an alternation is split into one regex per branch.
_Pattern = tuple[re.Pattern[str], bool]


def _leaf_patterns(name: str) -> list[_Pattern]:
    """The setting's key as a word (``\bkey\b``)."""
    return [(re.compile(rf"{re.escape(name)}\b"), True)]


def _whole_patterns(part: str) -> list[_Pattern]:
    """A section passed on whole: ``**cfg.part``, ``part.items()`` (keys, values), ``to_container(cfg.part)``."""
    p = re.escape(part)
    return [
        (re.compile(rf"\*\*\s*[\w.\[\]'\"]*\b{p}\b"), False),
        (re.compile(rf"{p}\b['\"\]]*\.(?:items|values|keys)\(\)"), True),
        *((re.compile(rf"{call}\(\s*[\w.]*\b{p}\b"), False) for call in ("to_container", "asdict", "vars")),
    ]


def _found(pattern: _Pattern, text: str) -> bool:
    """Whether ``regex`` matches somewhere in ``text`` (at a word boundary when asked: ``\b`` + regex)."""
    regex, at_boundary = pattern
    if not at_boundary:
        return regex.search(text) is not None
    pos = 0
    while (match := regex.search(text, pos)) is not None:
        start = match.start()
        if start == match.end():
            return re.compile(r"\b" + regex.pattern).search(text) is not None  # an empty match: ask the engine
        if _is_word(text[start - 1] if start else "") != _is_word(text[start]):
            return True
        pos = start + 1
    return False


def _is_word(char: str) -> bool:
    """Whether ``char`` is a word character as ``\b`` of a str regex sees it (Unicode alphanumeric or _)."""
    return char.isalnum() or char == "_"


def _value(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


# --------------------------------------------------------------------------- C401


@rule(
    id="C401",
    name="method-not-distinguished",
    criterion="C4",
    severity="error",
    confidence="inferred",
    known_limits="""Follows reads of the method key through the code; a method chosen through a dynamic lookup it cannot follow makes runs look identical.""",
    title="Two methods of the experiment run the same code",
    why="""The experiment compares a proposed method with baselines, each a run config with its own
        `method`. If no code decides on the method, and the two run configs differ only in settings
        the code never reads, both runs execute the same code path and the comparison measures noise.
        The same holds when the code's method dispatch matches neither method and both fall to its
        default branch.""",
    fix="Branch on cfg.method (or on the setting that tells the methods apart) and implement each method's path.",
    bad=[
        Example(
            files={TRAIN: "def loss_for(cfg, logits, labels):\n    return plain_loss(logits, labels)\n"},
            runs=_RUNS_OBJECTIVE,
            expect=(("config/runs/proposed-r18.yaml", 2),),
        ),
        Example(
            files={
                TRAIN: "def build(cfg):\n    if cfg.method == 'ours':\n        return Ours(cfg)\n    return Plain(cfg)\n"
            },
            runs=(_run("proposed-a", "cw-tent"), _run("comparative-1-a", "tent")),
            note="both methods fall to the default branch",
            expect=(("src/train.py", 2),),
        ),
    ],
    good=[
        Example(files={TRAIN: _TRAIN_BY_OBJECTIVE}, runs=_RUNS_OBJECTIVE),
        Example(
            files={TRAIN: _TRAIN_BY_METHOD},
            runs=(_run("proposed-a", "proposed"), _run("comparative-1-a", "baseline")),
        ),
    ],
)
def method_not_distinguished(facts: Facts) -> Iterator[Hit]:
    runs = _method_runs(facts)
    methods = {normalize(r.method or "") for r in runs}
    train = facts.python.get(TRAIN)
    if len(methods) < 2 or train is None or train.tree is None or facts.files[TRAIN].is_blank:
        return  # without training code there is nothing to judge
    train_dispatches = [d for d in dispatches(facts, "method") if not is_evaluate(d.path)]
    if train_dispatches or _decides(facts):
        for dispatch in train_dispatches:
            if dispatch.fallback != "default":
                continue
            unmatched = sorted(
                {r.method for r in runs if r.method and not any(matches(r.method, lit) for lit in dispatch.literals)}
            )
            if len({normalize(m) for m in unmatched}) >= 2:
                yield Hit(
                    path=dispatch.path,
                    line=dispatch.line,
                    message=f"methods {', '.join(repr(m) for m in unmatched)} match none of "
                    f"{', '.join(repr(lit) for lit in dispatch.literals[:6])}: all take the same default path",
                )
        return
    for i, j in _indistinct_method_pairs(runs, _code_texts(facts)):
        a, b = runs[i], runs[j]
        differing = _differing(a, b)
        shown = ", ".join(".".join(p) for p in differing[:4]) or "nothing else"
        yield Hit(
            path=b.path,
            line=b.method_line,
            message=f"method {b.method!r} (run {b.run_id}) and {a.method!r} (run {a.run_id}) run the same code: "
            f"no code decides on the method, and their run configs differ only in {shown}, which no code reads",
        )


def _indistinct_method_pairs(runs: list[RunValues], texts: list[str]) -> list[tuple[int, int]]:
    """For each two methods, the first two runs of theirs (in run order) that only settings no code reads tell apart.

    Linear in runs: each run is flattened once, each setting looked up in the code once, and runs are
    grouped by the values of the settings the code reads; two runs of one group are told apart by no code.
    """
    flat = [run.flat for run in runs]
    seen: dict[tuple[str, str], bool] = {}
    read = [p for p in varying_paths(flat, _MISSING) if _compared(p) and _read(p, texts, seen)]
    methods = [normalize(run.method or "") for run in runs]
    first: dict[tuple[str, str], tuple[int, int]] = {}
    for group in group_by_values(flat, read, _MISSING):
        earliest: dict[str, int] = {}  # method -> its first run in this group
        for j in group:
            method = runs[j].method or ""
            for other, i in earliest.items():
                if methods[i] != methods[j]:
                    pair = (other, method) if other < method else (method, other)
                    first[pair] = min(first.get(pair, (i, j)), (i, j))
            earliest.setdefault(method, j)
    return sorted(first.values())


def _decides(facts: Facts) -> bool:
    """The training code uses the method value to choose something (compared, looked up, passed to a factory)."""
    return decides_on(facts, "method", exclude=is_evaluate)


# --------------------------------------------------------------------------- C402


@rule(
    id="C402",
    name="method-unknown-to-dispatch",
    criterion="C4",
    severity="error",
    confidence="inferred",
    known_limits="""Follows comparisons of cfg.method and mapping lookups to the raise; names normalised at run time in a way not modelled can be misjudged.""",
    title="The code raises for a method a run config names",
    why="""The code picks the method's implementation by comparing cfg.method with the names it
        knows, or by looking it up in a mapping, and raises for anything else. A run whose method
        name is not among them stops there — typically a baseline spelled 'comparative-1' in the run
        config and 'baseline' in the code.""",
    fix="Make the dispatch accept the method names the run configs use (or map them explicitly).",
    bad=[
        Example(
            files={TRAIN: _TRAIN_BY_METHOD},
            runs=(_run("proposed-a", "proposed"), _run("comparative-1-a", "comparative-1")),
            expect=(("src/train.py", 2),),
        ),
        Example(
            files={
                TRAIN: "TRAINERS = {'proposed': object, 'baseline': object}\n\ndef build(cfg):\n    return TRAINERS[cfg.method]()\n"
            },
            runs=(_run("proposed-a", "proposed"), _run("comparative-1-a", "comparative-1")),
            expect=(("src/train.py", 4),),
        ),
    ],
    good=[
        Example(
            files={
                TRAIN: (
                    "def build(cfg):\n    if cfg.method == 'proposed':\n        return 1\n"
                    "    if cfg.method == 'baseline':\n        return 2\n    raise ValueError(cfg.method)\n"
                )
            },
            runs=(_run("proposed-a", "proposed"), _run("comparative-1-a", "baseline")),
            note="consecutive `if ...: return` statements before the raise form one dispatch",
        ),
        Example(
            files={TRAIN: _TRAIN_BY_METHOD}, runs=(_run("proposed-a", "proposed"), _run("comparative-1-a", "baseline"))
        ),
        Example(
            files={TRAIN: _TRAIN_BY_METHOD.replace('"baseline"', '"Comparative-1"')},
            runs=(_run("proposed-a", "PROPOSED"), _run("comparative-1-a", "comparative-1")),
            note="names compared without regard to case",
        ),
    ],
)
def method_unknown_to_dispatch(facts: Facts) -> Iterator[Hit]:
    runs = _method_runs(facts)
    if not runs:
        return
    for dispatch in dispatches(facts, "method"):
        if dispatch.fallback != "raise" or is_evaluate(dispatch.path):
            continue
        missing = sorted(
            {r.method for r in runs if r.method and not any(matches(r.method, lit) for lit in dispatch.literals)}
        )
        for method in missing:
            ids = ", ".join(r.run_id for r in runs if r.method == method)
            yield Hit(
                path=dispatch.path,
                line=dispatch.line,
                message=f"method {method!r} (run {ids}) matches none of "
                f"{', '.join(repr(lit) for lit in dispatch.literals[:6])}: "
                + ("the lookup raises KeyError" if dispatch.kind == "mapping" else "the code raises here"),
            )


# --------------------------------------------------------------------------- C403


@rule(
    id="C403",
    name="model-hard-coded",
    criterion="C4",
    severity="warning",
    confidence="heuristic",
    known_limits="""Compares literal model ids passed to known loaders with the configured names; a literal that names a sub-module or tokenizer of the configured model may be reported.""",
    title="The code loads a hard-coded model instead of the configured one",
    why="""Run configs name the model (`model.name`); a loader called with a literal model id that is
        none of the configured ones trains something else than the experiment plan says, and the
        config has no effect.""",
    fix="Load `cfg.model.name` instead of a literal.",
    bad=[
        Example(
            files={
                "src/model.py": "from transformers import AutoModel\n\ndef build(cfg):\n"
                "    return AutoModel.from_pretrained('bert-base-uncased', cache_dir='.cache')\n"
            },
            runs=(_run("proposed-a", "proposed", model="roberta-large"),),
            expect=(("src/model.py", 4),),
        )
    ],
    good=[
        Example(
            files={
                "src/model.py": "from transformers import AutoModel\n\ndef build(cfg):\n"
                "    return AutoModel.from_pretrained(cfg.model.name, cache_dir='.cache')\n"
            },
            runs=(_run("proposed-a", "proposed", model="roberta-large"),),
        ),
        Example(
            files={
                "src/model.py": "import timm\n\ndef build(cfg):\n    return timm.create_model('resnet18', pretrained=False)\n"
            },
            runs=(_run("proposed-a", "proposed", model="ResNet-18"),),
            note="the literal is the configured model, spelled differently",
        ),
    ],
)
def model_hard_coded(facts: Facts) -> Iterator[Hit]:
    runs = [r for r in runs_of(facts) if r.model]
    if not runs:
        return
    models = [ld for ld in loaders_of(facts).loaders if ld.what == "model"]
    if any(ld.name is not None and ld.literal is None for ld in models):
        return  # the configured model is loaded by value; literals are auxiliary models
    configured = sorted({r.model for r in runs if r.model})
    literal = [ld for ld in models if ld.literal is not None]

    def fits(text: str) -> bool:
        b = normalize(text.rsplit("/", 1)[-1])
        return any((a := normalize(c.rsplit("/", 1)[-1])) and b and (a in b or b in a) for c in configured)

    if any(fits(ld.literal or "") for ld in literal):
        return
    for ld in literal:
        yield Hit(
            path=ld.path,
            line=ld.line,
            column=ld.call.column,
            message=f"loads the hard-coded model {ld.literal!r}, while the run configs name "
            + ", ".join(repr(c) for c in configured)
            + ": the config's model.name is not used",
        )


# --------------------------------------------------------------------------- C404


_FABRICATED_CM = """\
import numpy as np
import seaborn as sns


def plot_confusion(summary, preds, labels):
    if preds:
        cm = confusion_from(preds, labels)
    else:
        n = int(summary.get("n_eval", 100))
        acc = float(summary.get("test_accuracy", 0.0))
        right = round(n * acc)
        cm = np.array([[right, 0], [n - right, 0]])
    sns.heatmap(cm)
"""


@rule(
    id="C404",
    name="fabricated-results",
    criterion="C4",
    severity="error",
    confidence="inferred",
    known_limits="""Follows values from rate-named keys, random draws and literals into matrices and
    logged metrics within one function (assignments, walrus, tuple and augmented targets); a literal
    logged under a setting's name (learning_rate, dropout_rate, a threshold) is a setting, not a
    result; a rate is recognised by its key name, and a deliberately simulated result is reported.""",
    title="Results are made up instead of measured",
    why="""A confusion matrix assembled from an accuracy figure times a sample count, predictions or
        metrics drawn at random, or a metric logged as a written-in constant look like results but
        measure nothing: the report shows numbers no model produced.""",
    fix="Compute the matrix and metrics from real predictions and labels; when they are not available, "
    "skip the figure or fail loudly instead of inventing it.",
    bad=[
        Example(files={"src/evaluate.py": _FABRICATED_CM}, expect=(("src/evaluate.py", 12),)),
        Example(
            files={
                "src/evaluate.py": "import numpy as np\nimport seaborn as sns\n\ndef plot(n_classes):\n"
                "    sns.heatmap(np.random.rand(n_classes, n_classes))\n"
            },
            expect=(("src/evaluate.py", 5),),
        ),
        Example(
            files={"src/train.py": "import wandb\n\ndef finish(run):\n    run.summary['test_accuracy'] = 0.912\n"},
            expect=(("src/train.py", 4),),
        ),
    ],
    good=[
        Example(
            files={
                "src/evaluate.py": "import seaborn as sns\nfrom sklearn.metrics import confusion_matrix\n\n"
                "def plot(preds, labels):\n    sns.heatmap(confusion_matrix(labels, preds))\n"
            }
        ),
        Example(
            files={
                "src/evaluate.py": "import numpy as np\n\ndef plot(summary):\n"
                "    tp, fp = summary.get('tp', 0), summary.get('fp', 0)\n"
                "    fn, tn = summary.get('fn', 0), summary.get('tn', 0)\n"
                "    cm = np.array([[tp, fp], [fn, tn]])\n    return cm\n"
            },
            note="counts logged by train are real counts",
        ),
        Example(
            files={
                "src/train.py": "import torch\n\ndef probe(model):\n    x = torch.randn(1, 3, 32, 32)\n"
                "    return model(x).shape\n"
            },
            note="a random input fed to a model is not a result",
        ),
    ],
)
def fabricated_results(facts: Facts) -> Iterator[Hit]:
    for found in fabrications_of(facts):
        yield Hit(path=found.path, line=found.line, column=found.column, message=found.message)


_VARIANTS = """\
experiments:
  - name: baseline
    lr: 0.01
    epochs: 2
  - name: warm-start
    lr: 0.01
    epochs: 2
    {knob}: {value}
"""
_USES = """\
import yaml


def main(path):
    for run in yaml.safe_load(open(path))["experiments"]:
        train(run["lr"], run["epochs"], run.get("{read}"))


def train(lr, epochs, extra):
    return lr * epochs, extra
"""


def _setting_line(facts: Facts, run: RunVariant, key: str) -> int:
    """The line of ``key`` in ``run``'s part of its YAML file (the run's name line, or 1, when not found)."""
    lines = facts.files[run.path].lines
    start = next(
        (n for n, text in enumerate(lines, start=1) if re.search(rf":\s*['\"]?{re.escape(run.name)}['\"]?\s*$", text)),
        1,
    )
    pattern = re.compile(rf"^\s*-?\s*{re.escape(key)}\s*:")
    return next((n for n in range(start, len(lines) + 1) if pattern.match(lines[n - 1])), start)


@rule(
    id="C406",
    name="variations-differ-only-in-unread-settings",
    criterion="C4",
    severity="error",
    confidence="inferred",
    known_limits="""A setting counts as read when its name (or a parent's) appears in the code; settings consumed without being named (e.g. **cfg.training into a constructor) are seen through the parent's name only.""",
    title="Runs that differ only in settings the code never reads",
    why="""Each run variation exists to test something: a method, a warm start, a step count. When two
        runs differ only in settings whose names (and whose parents' names) appear nowhere in the code,
        the code cannot tell them apart: both run the same experiment, and the comparison the paper
        reports measures noise. The variation was declared in the config but never implemented.""",
    fix="Implement the setting in the code (read it and act on it), or drop the run that only differs by it.",
    bad=[
        Example(
            files={
                "src/main.py": _USES.format(read="seed"),
                "config/full_experiment.yaml": _VARIANTS.format(knob="warm_start_mode", value="random"),
            },
            profile="airas-v0-derived",
            expect=(("config/full_experiment.yaml", 8),),
        )
    ],
    good=[
        Example(
            files={
                "src/main.py": _USES.format(read="warm_start_mode"),
                "config/full_experiment.yaml": _VARIANTS.format(knob="warm_start_mode", value="random"),
            },
            profile="airas-v0-derived",
        ),
        Example(
            files={
                "src/main.py": _USES.format(read="seed"),
                "config/full_experiment.yaml": _VARIANTS.format(knob="description", value="a warm start"),
            },
            profile="airas-v0-derived",
            note="labels and descriptions do not configure a run",
        ),
    ],
)
def variations_differ_only_in_unread_settings(facts: Facts) -> Iterator[Hit]:
    grouped: dict[tuple[str, tuple[tuple[str, ...], ...]], list[SameRuns]] = {}
    for pair in facts.derived(same_runs):
        grouped.setdefault((pair.second.path, pair.keys), []).append(pair)
    for (path, keys), pairs in grouped.items():
        shown = ", ".join(f"{a.first.name} / {a.second.name}" for a in pairs[:3]) + (" ..." if len(pairs) > 3 else "")
        names = ", ".join(".".join(k) for k in keys[:4]) + (" ..." if len(keys) > 4 else "")
        yield Hit(
            path=path,
            line=_setting_line(facts, pairs[0].second, keys[0][-1]),
            message=f"runs {shown} differ only in {names}, which no code file ever names: they run the same experiment",
        )


_SAVE_TRAIN = """\
import torch


def train(model, loader, epochs, out_dir):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step(){marker}
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
    bad=[
        Example(files={"src/train.py": _SAVE_TRAIN.format(marker="  # expect: C405", save="")}, profile="airas-v0-base")
    ],
    good=[
        Example(
            files={
                "src/train.py": _SAVE_TRAIN.format(
                    marker="", save="    torch.save(model.state_dict(), f'{out_dir}/model.pt')\n"
                )
            },
            profile="airas-v0-base",
        ),
        Example(
            files={"src/train.py": _SAVE_TRAIN.format(marker="", save="")}, profile="airas-v0-derived", note="not asked"
        ),
    ],
)
def model_never_saved(facts: Facts) -> Iterator[Hit]:
    if not facts.profile.saves_model:
        return
    saving = facts.derived(model_saving)
    if not saving.saves and saving.trained_at is not None and saving.path is not None:
        yield Hit(
            path=saving.path,
            line=saving.trained_at.line,
            message="the model is trained here but nothing in the code saves it (no torch.save, save_pretrained or checkpoint call)",
        )
