"""Calls that load a dataset or a pretrained model, with the name they load and the cache folder they use.

Covered: Hugging Face ``datasets.load_dataset``, ``transformers`` ``*.from_pretrained``,
``huggingface_hub`` downloads, ``torchvision.datasets.*``, ``timm.create_model``,
``sklearn.datasets.fetch_*`` and ``sentence_transformers.SentenceTransformer``. Also the cache
folders set for a whole process through environment variables (HF_HOME, TORCH_HOME, ...).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, Outline, calls_on_lines, code_modules, const_str
from expcheck.facts.outlines import outline_from_index
from expcheck.facts.sourcetext import source_text
from expcheck.submission import split_lines

_HF_ENV = frozenset(
    {"HF_HOME", "HF_DATASETS_CACHE", "TRANSFORMERS_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_CACHE", "XDG_CACHE_HOME"}
)
_TORCH_ENV = frozenset({"TORCH_HOME", "XDG_CACHE_HOME"})
_SKLEARN_ENV = frozenset({"SCIKIT_LEARN_DATA"})


@dataclass(frozen=True)
class Loader:
    path: str
    call: CallSite
    family: str  # "hf", "torchvision", "timm", "sklearn"
    what: str  # "dataset" or "model"
    name: ast.expr | None  # the argument naming what is loaded
    literal: str | None  # its text when it is a literal (module constants resolved)
    subset: str | None  # a second literal naming a configuration/subset (load_dataset("glue", "sst2"))
    cache_kw: str  # the keyword that sets this loader's cache folder
    cache: ast.expr | None
    downloads: bool | None  # True/False when known (download=, pretrained=), None when not said

    @property
    def line(self) -> int:
        return self.call.line


def _literal(node: ast.expr | None, index: Outline) -> str | None:
    text = const_str(node)
    if text is None and isinstance(node, ast.Name):
        text = index.constants.get(node.id)
    return text


def _flag(node: ast.expr | None) -> bool | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True  # weights="DEFAULT"
    return None


def _classify(index: Outline, call: CallSite) -> Loader | None:
    name = call.name
    path = index.path
    if name == "datasets.load_dataset" or (name.endswith(".load_dataset") and name.startswith("datasets")):
        arg = call.arg(0, "path")
        subset = _literal(call.arg(1, "name"), index)
        return Loader(
            path, call, "hf", "dataset", arg, _literal(arg, index), subset, "cache_dir", call.keyword("cache_dir"), None
        )
    if call.attr == "from_pretrained":
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        last = owner.rsplit(".", 1)[-1]
        if (
            owner.startswith(("peft", "src."))
            or "Peft" in last
            or not (owner.startswith(("transformers.", "diffusers.")) or last.startswith("Auto"))
        ):
            return None
        arg = call.arg(0, "pretrained_model_name_or_path")
        return Loader(
            path, call, "hf", "model", arg, _literal(arg, index), None, "cache_dir", call.keyword("cache_dir"), None
        )
    if name in ("huggingface_hub.snapshot_download", "huggingface_hub.hf_hub_download"):
        arg = call.arg(0, "repo_id")
        return Loader(
            path, call, "hf", "model", arg, _literal(arg, index), None, "cache_dir", call.keyword("cache_dir"), None
        )
    if name.startswith("torchvision.datasets.") and name.count(".") == 2 and name[21:22].isupper():
        cls = name.rsplit(".", 1)[1]
        return Loader(
            path,
            call,
            "torchvision",
            "dataset",
            None,
            cls,
            None,
            "root",
            call.arg(0, "root"),
            _flag(call.keyword("download")),
        )
    if name == "timm.create_model":
        arg = call.arg(0, "model_name")
        pretrained = _flag(call.keyword("pretrained"))
        return Loader(
            path,
            call,
            "timm",
            "model",
            arg,
            _literal(arg, index),
            None,
            "cache_dir",
            call.keyword("cache_dir"),
            pretrained,
        )
    if name.startswith("sklearn.datasets.fetch_"):
        kind = name.rsplit(".", 1)[1][len("fetch_") :]
        literal = _literal(call.keyword("name"), index) if kind == "openml" else kind
        return Loader(
            path, call, "sklearn", "dataset", None, literal, None, "data_home", call.keyword("data_home"), True
        )
    if name == "sentence_transformers.SentenceTransformer":
        arg = call.arg(0, "model_name_or_path")
        return Loader(
            path,
            call,
            "hf",
            "model",
            arg,
            _literal(arg, index),
            None,
            "cache_folder",
            call.keyword("cache_folder"),
            None,
        )
    return None


@dataclass
class LoaderFacts:
    loaders: list[Loader]
    # Environment variables the code sets that move a library's cache (HF_HOME, TORCH_HOME, ...).
    cache_env: set[str]
    # ``torch.hub.set_dir(...)`` is called.
    torch_hub_dir: bool


_ENV_SET = re.compile(
    r"""os\.environ(?:\[\s*['"](\w+)['"]\s*\]\s*=(?!=)|\.setdefault\(\s*['"](\w+)['"])|os\.putenv\(\s*['"](\w+)['"]"""
)
_TRIGGERS = (
    "load_dataset",
    "from_pretrained",
    "snapshot_download",
    "hf_hub_download",
    "create_model",
    "fetch_",
    "SentenceTransformer",
)


def _env_sets(text: str) -> set[str]:
    if "os." not in text:  # every form starts with os.environ or os.putenv
        return set()
    found = {name for match in _ENV_SET.finditer(text) for name in match.groups() if name}
    for match in re.finditer(r"os\.environ\.update\(([^)]*)\)", text):
        found.update(re.findall(r"['\"]?([A-Z][A-Z0-9_]+)['\"]?\s*[:=]", match.group(1)))
    return found


def _occurrences(text: str, word: str) -> Iterator[int]:
    at = text.find(word)
    while at >= 0:
        yield at
        at = text.find(word, at + 1)


def _trigger_lines(outline: Outline, text: str, found: list[int]) -> set[int]:
    """Lines that may hold a loader call: a loader's name, or a class imported from torchvision.datasets.

    ``found`` are the offsets in ``text`` of the loaders' names: each of the other words is looked for
    once in the whole text, and a line number is counted only for an offset found.
    """
    words = ["datasets."]
    words += [
        local
        for scope in outline.model.scopes
        for local, target in scope.imports.items()
        if target.startswith("torchvision.datasets")
    ]
    lines = set()
    if "\r" in text:  # lines end in more ways than "\n": read them one by one
        words += _TRIGGERS
        for number, line in enumerate(split_lines(text, ".py"), start=1):
            if "(" in line and any(word in line for word in words):
                lines.add(number)
        return lines
    offsets = sorted([*found, *(at for word in words for at in _occurrences(text, word))])
    number, counted = 1, 0
    for at in offsets:
        number += text.count("\n", counted, at)
        counted = at
        if number not in lines:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            if "(" in text[start : end if end >= 0 else len(text)]:
                lines.add(number)
    return lines


def loader_facts(facts: Facts) -> LoaderFacts:
    loaders: list[Loader] = []
    env: set[str] = set()
    hub = False
    for path in code_modules(facts):
        text = facts.files[path].text
        env |= _env_sets(text)
        hub = hub or "hub.set_dir" in text
        found = [at for word in _TRIGGERS for at in _occurrences(text, word)]
        if not found and "torchvision" not in text:
            continue
        outline = outline_from_index(facts, path)
        if outline is None:
            continue
        for call in calls_on_lines(outline, _trigger_lines(outline, text, found)):
            found_loader = _classify(outline, call)
            if found_loader is not None:
                loaders.append(found_loader)
    return LoaderFacts(loaders, env, hub)


def loaders_of(facts: Facts) -> LoaderFacts:
    return facts.derived(loader_facts)


def cache_env_covers(lf: LoaderFacts, family: str) -> bool:
    """Whether an environment variable the code sets moves this family's cache."""
    wanted = {"hf": _HF_ENV, "torchvision": _TORCH_ENV, "timm": _HF_ENV | _TORCH_ENV, "sklearn": _SKLEARN_ENV}[family]
    return bool(lf.cache_env & wanted) or (family in ("torchvision", "timm") and lf.torch_hub_dir)


# --------------------------------------------------------------------------- caches and swallowed failures


def cache_points_into(node: ast.expr | None, facts: Facts, ld: Loader, cache: str) -> bool | None:
    """True/False when the cache argument does/does not point into ``cache``; None when it cannot be told."""
    if node is None:
        return None
    outline = outline_from_index(facts, ld.path)
    texts = []
    for sub in ast.walk(node):
        text = const_str(sub)
        if text is None and isinstance(sub, ast.Name) and outline is not None:
            text = outline.constants.get(sub.id)
        if text is not None:
            texts.append(text)
    if any(cache in t for t in texts):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return False
    if isinstance(node, ast.Constant) and node.value is None:
        return False
    return None


_LOCAL_WORDS = ("dir", "path", "ckpt", "checkpoint", "output", "save", "local", "folder")


def is_local_source(ld: Loader) -> bool:
    """A from_pretrained/create_model argument that names a local folder, not a hub id."""
    if ld.literal is not None:
        return ld.literal.startswith((".", "/", "~")) and not ld.literal.startswith(".cache")
    if ld.name is None:
        return False
    text = source_text(ld.name).lower()
    return any(word in text for word in _LOCAL_WORDS)


def _swallows(handler: ast.ExceptHandler) -> bool:
    kind = handler.type
    broad = kind is None or (isinstance(kind, ast.Name) and kind.id in ("Exception", "BaseException"))
    body = handler.body
    quiet = all(
        isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in body
    )
    return broad and quiet


def _raises_later(scope_node: ast.AST, after: int) -> bool:
    """A ``raise`` after line ``after`` in the function: the failure is caught up with (retry loops)."""
    return any(isinstance(n, ast.Raise) and n.lineno > after for n in ast.walk(scope_node))


@dataclass(frozen=True)
class SwallowedFailure:
    """A broad ``except`` that silently swallows the failure of a loader in its ``try``."""

    path: str
    line: int
    column: int
    loader: Loader


def swallowed_loader_failures(facts: Facts) -> list[SwallowedFailure]:
    """Handlers that swallow a loader's failure with nothing raised later in the function."""
    found: list[SwallowedFailure] = []
    lf = loaders_of(facts)
    by_path: dict[str, list[Loader]] = {}
    for ld in lf.loaders:
        by_path.setdefault(ld.path, []).append(ld)
    for path, loaders in sorted(by_path.items()):
        outline = outline_from_index(facts, path)
        if outline is None:
            continue
        functions = dict(outline.functions)
        for node, fn in outline.tries:
            start = node.body[0].lineno if node.body else node.lineno
            end = (node.body[-1].end_lineno or start) if node.body else start
            inside = [ld for ld in loaders if start <= ld.line <= end]
            if not inside:
                continue
            scope_node = functions.get(fn, outline.tree)
            for handler in node.handlers:
                if _swallows(handler) and not _raises_later(scope_node, node.end_lineno or end):
                    found.append(SwallowedFailure(path, handler.lineno, handler.col_offset + 1, inside[0]))
    return found
