"""Which random number generators a project draws from, and which of them it seeds.

From the shared module index (calls with import aliases resolved): a generator is *used* when the
code calls one of its sampling functions (``np.random.permutation``, ``random.shuffle``,
``torch.randperm``) or a library function that draws from it when given no seed of its own
(``train_test_split`` / ``KFold(shuffle=True)`` without ``random_state`` draw from numpy's global
generator; ``DataLoader(shuffle=True)`` without ``generator`` and ``random_split`` without
``generator`` draw from torch's). It is *seeded* when any module calls its seed function or a
helper that seeds every generator (``transformers.set_seed``, ``lightning.seed_everything``,
``accelerate.utils.set_seed``). Whether the seeding call runs before the draw is not followed.

Also: generators created without a seed (``np.random.default_rng()``, ``random.Random()``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, indexes

_SEED_ALL = ("set_seed", "seed_everything")
_SEEDS = {
    "python": ("random.seed",),
    "numpy": ("numpy.random.seed",),
    "torch": ("torch.manual_seed", "torch.random.manual_seed"),
}
_PYTHON_DRAWS = frozenset(
    {"random", "randint", "randrange", "choice", "choices", "shuffle", "sample", "uniform", "gauss", "normalvariate"}
)
_NUMPY_DRAWS = frozenset(
    {"rand", "randn", "randint", "random", "choice", "shuffle", "permutation", "normal", "uniform", "binomial"}
    | {"random_sample", "beta", "poisson", "multinomial", "dirichlet", "exponential"}
)
_TORCH_DRAWS = frozenset({"torch.rand", "torch.randn", "torch.randint", "torch.randperm", "torch.bernoulli"})
_SKLEARN_SHUFFLERS = frozenset(
    {"train_test_split", "KFold", "StratifiedKFold", "ShuffleSplit", "StratifiedShuffleSplit"}
)
_RELEVANT = (
    _PYTHON_DRAWS
    | _NUMPY_DRAWS
    | {"rand", "randn", "randint", "randperm", "bernoulli", "DataLoader", "random_split"}
    | _SKLEARN_SHUFFLERS
    | {"default_rng", "RandomState", "Random"}
)
_UNSEEDED_CTORS = frozenset({"numpy.random.default_rng", "numpy.random.RandomState", "random.Random"})


@dataclass(frozen=True)
class Draw:
    path: str
    call: CallSite
    generator: str  # "python", "numpy" or "torch"
    what: str  # how the draw is written, for the message


@dataclass
class Seeding:
    # Generator -> first draw from it (by path, line).
    draws: dict[str, list[Draw]] = field(default_factory=dict)
    seeded: set[str] = field(default_factory=set)
    unseeded_generators: list[tuple[str, CallSite]] = field(default_factory=list)
    # Global seeding calls given a number written in the code (``torch.manual_seed(42)``).
    literal_seeds: list[tuple[str, CallSite]] = field(default_factory=list)
    # A YAML config of the submission declaring a ``seed`` key: (path, line), else None.
    config_seed: tuple[str, int] | None = None


def _true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _draw(call: CallSite) -> tuple[str, str] | None:
    name = call.name
    if name.startswith("random.") and call.attr in _PYTHON_DRAWS and name.count(".") == 1:
        return "python", name
    if name.startswith("numpy.random.") and call.attr in _NUMPY_DRAWS and name.count(".") == 2:
        return "numpy", name.replace("numpy.", "np.", 1)
    if name in _TORCH_DRAWS:
        return None if call.keyword("generator") is not None else ("torch", name)
    simple = name.rsplit(".", 1)[-1]
    if simple in _SKLEARN_SHUFFLERS and name.startswith("sklearn."):
        shuffles = simple in ("train_test_split", "ShuffleSplit", "StratifiedShuffleSplit") or _true(
            call.keyword("shuffle")
        )
        if shuffles and call.keyword("random_state") is None and not call.has_kwargs_splat:
            if simple == "train_test_split" and _false(call.keyword("shuffle")):
                return None
            return "numpy", f"{simple} without random_state"
    loader = name.endswith("DataLoader") and name.startswith("torch.") and _true(call.keyword("shuffle"))
    if loader and call.keyword("generator") is None and call.keyword("sampler") is None and not call.has_kwargs_splat:
        return "torch", "DataLoader(shuffle=True) without a generator"
    if name == "torch.utils.data.random_split" and call.keyword("generator") is None and len(call.node.args) < 3:
        return "torch", "random_split without a generator"
    return None


def _known_library(name: str) -> bool:
    return name.startswith(("random.", "numpy.", "torch.", "tensorflow.", "jax.", "sklearn."))


def _false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def seeding(facts: Facts) -> Seeding:
    """What the project draws from and seeds (use through ``facts.derived``)."""
    out = Seeding()
    every = facts.derived(indexes)
    defined = {name for index in every.values() for name in index.by_name}
    for path, index in every.items():
        for call in index.calls:
            if call.attr not in _RELEVANT and "seed" not in call.attr and "Seed" not in call.attr:
                continue
            name = call.name
            if call.attr in _SEED_ALL and name.startswith(
                ("transformers", "lightning", "pytorch_lightning", "accelerate")
            ):
                out.seeded.update(_SEEDS)
                continue
            func = call.node.func
            helper = isinstance(func, ast.Name) or (
                isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in index.model.visible(call.function)
            )
            if helper and "seed" in call.attr.lower() and call.attr not in defined and not _known_library(name):
                # A seeding helper whose body is not in the submission (a module it imports is
                # missing): what it seeds is unknown, so every generator counts as seeded.
                out.seeded.update(_SEEDS)
                continue
            for generator, seeds in _SEEDS.items():
                if name in seeds:
                    out.seeded.add(generator)
                    if _literal(call):
                        out.literal_seeds.append((path, call))
            if name in _UNSEEDED_CTORS and not call.node.args and not call.node.keywords:
                out.unseeded_generators.append((path, call))
                continue
            found = _draw(call)
            if found is not None:
                out.draws.setdefault(found[0], []).append(Draw(path, call, found[0], found[1]))
    out.config_seed = _config_seed(facts)
    return out


def _literal(call: CallSite) -> bool:
    args = call.node.args
    return len(args) == 1 and isinstance(args[0], ast.Constant) and type(args[0].value) is int


def _config_seed(facts: Facts) -> tuple[str, int] | None:
    """Where a YAML file of the submission declares a ``seed`` key (at any depth)."""
    for path, doc in sorted(facts.yaml.items()):
        stack = [doc.data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if "seed" in node:
                    lines = facts.files[path].lines
                    line = next((i for i, text in enumerate(lines, 1) if text.lstrip().startswith("seed:")), 1)
                    return path, line
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    return None
