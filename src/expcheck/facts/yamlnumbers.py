"""Config numbers that PyYAML reads as strings, and the places where code hands them to numeric APIs.

YAML 1.1, which PyYAML implements, only calls a scalar a float when it has a dot and, with an
exponent, a signed one: ``1e-3``, ``5e-4`` and ``1.0e3`` are strings to ``yaml.safe_load`` (OmegaConf,
and so Hydra, reads them as floats). A repository that loads its configs with PyYAML and passes such
a value to ``torch.optim.Adam(lr=...)`` crashes with TypeError when the optimizer compares it to 0.

This fact finds the numeric-looking strings in the YAML files, when the code loads YAML with PyYAML
and has no Hydra entry point, and the calls where a value read by one of those keys reaches an
optimizer, ``torch.tensor`` or a ``math`` function without ``float()`` on the way.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import yaml

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, ModuleIndex, const_str, indexes, root_name
from expcheck.facts.hydra_app import hydra_apps
from expcheck.facts.semantic import qualified_name

_PYYAML_LOADS = frozenset({"yaml.safe_load", "yaml.load", "yaml.full_load", "yaml.unsafe_load"})
# A number with an exponent that YAML 1.1 does not resolve to float: no dot, or an unsigned exponent.
_EXPONENT = re.compile(r"[-+]?(?:\d[\d_]*)?(?:\.\d*)?[eE][-+]?\d+")
# Where ``_EXPONENT`` finds a match somewhere in a text: its parts before the ``e`` are all optional, so it
# matches exactly where this does. Searched instead because a pattern with a fixed first character is
# scanned for that character in C, while ``_EXPONENT`` is tried at every position of the text.
_EXPONENT_ANYWHERE = re.compile(r"[eE][-+]?\d")
_MAX_YAML_DEPTH = 64
_SINK = re.compile(r"^(?:torch\.optim\.(?:lr_scheduler\.)?[A-Z]\w*|torch\.tensor|torch\.full|math\.\w+)$")


@dataclass(frozen=True)
class NumericString:
    """A YAML scalar such as ``lr: 1e-3`` that PyYAML loads as the string '1e-3'."""

    path: str
    line: int
    key: str
    text: str
    keys: tuple[str, ...] = ()  # the mapping keys from the document root to it (list levels left out)


@dataclass(frozen=True)
class NumericSink:
    """A call that receives, read from a PyYAML-loaded config, values that are strings."""

    call: CallSite
    path: str
    keys: tuple[str, ...]  # the reads, as written: "optimizer.lr"
    origins: tuple[NumericString, ...] = ()  # the YAML values those reads can reach


def loads_with_pyyaml(facts: Facts) -> bool:
    """Whether the code parses YAML with PyYAML and no Hydra app (whose configs OmegaConf reads) exists."""
    if facts.derived(hydra_apps):
        return False
    return any(call.name in _PYYAML_LOADS for index in facts.derived(indexes).values() for call in index.calls)


def _is_plain_exponent(node: yaml.ScalarNode) -> bool:
    """Whether ``node`` is unquoted, resolves to a string and looks like an exponent number."""
    return (
        not node.style  # plain (unquoted): None or "" depending on the loader
        and node.tag == "tag:yaml.org,2002:str"
        and _EXPONENT.fullmatch(node.value) is not None
    )


def _plain_exponents(
    node: yaml.Node | None, keys: tuple[str, ...], found: list[tuple[tuple[str, ...], yaml.ScalarNode]], depth: int = 0
) -> None:
    """Append the unquoted scalars that resolve to strings and look like exponent numbers, with their key
    paths, in document order (a plain recursion: a generator per node cost more than the search)."""
    if node is None or depth > _MAX_YAML_DEPTH:
        return
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(value, yaml.ScalarNode) and not _is_plain_exponent(value):
                continue  # nothing to find there: its key path is not built
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            _plain_exponents(value, (*keys, str(name)), found, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _plain_exponents(item, keys, found, depth + 1)
    elif isinstance(node, yaml.ScalarNode) and keys and _is_plain_exponent(node):
        found.append((keys, node))


def numeric_strings(facts: Facts) -> list[NumericString]:
    """Unquoted exponent numbers in the YAML files that PyYAML turns into strings."""
    if not loads_with_pyyaml(facts):
        return []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: list[NumericString] = []
    for path, doc in sorted(facts.yaml.items()):
        if doc.data is None or not _EXPONENT_ANYWHERE.search(doc.file.text):
            continue
        root = doc.node  # the tree the data was built from, when the facts kept it
        if root is None:
            try:
                root = yaml.compose(doc.file.text, Loader=loader)
            except yaml.YAMLError:
                continue
        plain: list[tuple[tuple[str, ...], yaml.ScalarNode]] = []
        _plain_exponents(root, (), plain)
        for keys, node in plain:
            found.append(NumericString(path, node.start_mark.line + 1, keys[-1], node.value, keys))
    return found


def _literal_mapping(node: ast.expr, index: ModuleIndex, function: str) -> bool:
    """Whether the read's root name holds a dict written in Python (whose numbers are real floats)."""
    root = root_name(node)
    if root is None:
        return False
    values = [*index.scope(function).assigns.get(root, []), *index.scope("").assigns.get(root, [])]
    return any(
        isinstance(v, ast.Dict | ast.DictComp) or (isinstance(v, ast.Call) and qualified_name(v.func, {}) == "dict")
        for v in values
    )


def _read_chain(node: ast.expr, index: ModuleIndex, function: str, depth: int = 0) -> tuple[str, ...] | None:
    """The literal keys ``node`` reads, outermost first: ``run["optimizer"]["lr"]`` -> ("optimizer", "lr").

    A local name bound to one such read continues it (``opt = run["optimizer"]; opt["lr"]``); the
    chain starts wherever the code's own keys start, so it is a suffix of the key path in the file.
    None when ``node`` is not a read by a literal key.
    """
    if depth > 8:
        return ()
    if isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Constant) and type(node.slice.value) is int:  # a list item: no key
            return _read_chain(node.value, index, function, depth + 1) or None
        key, owner = const_str(node.slice), node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        key, owner = const_str(node.args[0]), node.func.value
    else:
        return None
    if key is None:
        return None
    return (*_owner_chain(owner, index, function, depth), key)


def _owner_chain(owner: ast.expr, index: ModuleIndex, function: str, depth: int) -> tuple[str, ...]:
    if isinstance(owner, ast.Name):
        chains = {_read_chain(v, index, function, depth + 1) for v in index.scope(function).assigns.get(owner.id, [])}
        return (next(iter(chains)) or ()) if len(chains) == 1 else ()
    return _read_chain(owner, index, function, depth + 1) or ()


def _value_chains(node: ast.expr, index: ModuleIndex, function: str) -> set[tuple[str, ...]]:
    """Key chains whose raw value ``node`` is: a direct read, or a local name every assignment of which is one."""
    chain = _read_chain(node, index, function)
    if chain is not None:
        return set() if _literal_mapping(node, index, function) else {chain}
    if isinstance(node, ast.Name):
        values = index.scope(function).assigns.get(node.id, [])
        chains = [_read_chain(v, index, function) for v in values]
        if (
            values
            and all(c is not None for c in chains)
            and not any(_literal_mapping(v, index, function) for v in values)
        ):
            return {c for c in chains if c is not None}
    return set()


def _ends(keys: tuple[str, ...], chain: tuple[str, ...]) -> bool:
    """Whether a read of ``chain`` can reach the value at ``keys``: the chain ends the key path
    (a read of ``optimizer.lr`` never returns ``adapter.lr``)."""
    return len(chain) <= len(keys) and keys[len(keys) - len(chain) :] == chain


def numeric_sinks(facts: Facts) -> list[NumericSink]:
    """Optimizer/tensor/math calls whose arguments are config reads of values that are exponent strings."""
    strings = facts.derived(numeric_strings)
    if not strings:
        return []
    risky = {s.key for s in strings}
    out: list[NumericSink] = []
    for path, index in sorted(facts.derived(indexes).items()):
        for call in index.calls:
            if not _SINK.match(call.name):
                continue
            reads: dict[tuple[str, ...], list[NumericString]] = {}
            for arg in [*call.node.args, *(k.value for k in call.node.keywords if k.arg is not None)]:
                for chain in _value_chains(arg, index, call.function):
                    if chain[-1] in risky:
                        reads[chain] = [s for s in strings if _ends(s.keys, chain)]
            for kw in call.node.keywords:
                if kw.arg is None:  # **cfg["optimizer"]: every value of that mapping is passed
                    for parent in _value_chains(kw.value, index, call.function):
                        for s in strings:
                            if _ends(s.keys[:-1], parent):
                                reads.setdefault((*parent, s.key), []).append(s)
            origins = tuple(dict.fromkeys(s for found in reads.values() for s in found))
            if origins:
                keys = tuple(sorted(".".join(c) for c, found in reads.items() if found))
                out.append(NumericSink(call, path, keys, origins))
    return out
