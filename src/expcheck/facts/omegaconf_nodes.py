"""OmegaConf's config tree for plain YAML data, built without OmegaConf's per-node validation.

``OmegaConf.create`` wraps every value of a parsed YAML file in a node, and on the way validates each
assignment against types, flags and interpolation grammar that plain data (a dict with string keys
holding strings, numbers, booleans, None, lists and dicts) cannot violate: it costs ~3 ms for a run
config of a few dozen keys, most of a composition (issue 19). :func:`plain_config` builds the same tree
(the same node classes, metadata, keys and parents, every flags cache empty, as ``create`` leaves them)
directly; a string holding an interpolation (``${...}``) still goes through OmegaConf's own ``AnyNode``,
which validates its grammar. For anything else (a non-string key, a value of another type, an
interpolation OmegaConf refuses) it answers None and the caller uses ``OmegaConf.create``, with its own
errors. tests/test_compose_nodes.py checks the trees equal ``create``'s, node by node, over the corpus.

Written against omegaconf 2.3 (the version hydra-core 1.3 requires); :func:`plain_config` answers None
with any other minor version, so the caller falls back to ``OmegaConf.create``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import cache, partial
from typing import Any


class _NotPlain(Exception):
    """A value that only ``OmegaConf.create`` may wrap."""


# The deepest nesting the shortcuts handle. OmegaConf's own create, deepcopy and to_container recurse about
# ten frames per level and hit Python's recursion limit near 90 levels, which makes Hydra refuse the config
# in a real run as well; a deeper tree goes to OmegaConf's own functions, so it fails as it would there.
# Real configs nest a few levels.
DEEPEST = 32
# The OmegaConf whose node layout the builder, copier and readers mirror; any other gets OmegaConf's own functions.
_MIRRORED = "2.3."
# The leaf values a plain tree may hold (those YAML gives, besides the containers).
_PLAIN_TYPES = (str, int, float, bool, type(None))


@cache
def _builder() -> Callable[[dict[str, Any] | list[Any]], Any] | None:
    import omegaconf
    from omegaconf import AnyNode, DictConfig, ListConfig
    from omegaconf.base import ContainerMetadata, Metadata

    if not omegaconf.__version__.startswith(_MIRRORED):
        return None
    new = object.__new__
    resolver_cache = partial(defaultdict, dict)  # Metadata's resolver_cache, as its default factory makes it

    def leaf(value: Any, key: Any, parent: Any) -> Any:
        kind = type(value)
        if kind not in _PLAIN_TYPES:
            raise _NotPlain
        if kind is str and "${" in value:
            try:
                return AnyNode(value=value, key=key, parent=parent)  # OmegaConf validates the interpolation
            except Exception as exc:
                raise _NotPlain from exc
        node = node_of(AnyNode, Metadata, None, key, parent)
        node.__dict__["_val"] = value
        return node

    def container(cls: type, object_type: type, key_type: Any, key: Any, parent: Any) -> Any:
        return node_of(cls, ContainerMetadata, object_type, key, parent, key_type=key_type, element_type=Any)

    def node_of(cls: type, meta_cls: type, object_type: Any, key: Any, parent: Any, **extra: Any) -> Any:
        """A node of ``cls`` with its metadata as OmegaConf's constructors leave them for plain data."""
        meta = new(meta_cls)
        meta.__dict__.update(
            ref_type=Any,
            object_type=object_type,
            optional=True,
            key=key,
            flags={},
            flags_root=False,
            resolver_cache=resolver_cache(),
            **extra,
        )
        node = new(cls)
        node.__dict__.update(_metadata=meta, _parent=parent, _flags_cache=None)
        return node

    def wrap(value: Any, key: Any, parent: Any, depth: int) -> Any:
        kind = type(value)
        if kind is dict:
            return mapping(value, key, parent, depth)
        if kind is list:
            if depth > DEEPEST:
                raise _NotPlain
            node = container(ListConfig, list, int, key, parent)
            node.__dict__["_content"] = [wrap(item, index, node, depth + 1) for index, item in enumerate(value)]
            return node
        return leaf(value, key, parent)

    def mapping(value: dict[Any, Any], key: Any, parent: Any, depth: int) -> Any:
        if depth > DEEPEST:
            raise _NotPlain
        node = container(DictConfig, dict, Any, key, parent)
        content: dict[str, Any] = {}
        for name, item in value.items():
            if type(name) is not str:
                raise _NotPlain
            content[name] = wrap(item, name, node, depth + 1)
        node.__dict__["_content"] = content
        return node

    def build(data: dict[str, Any] | list[Any]) -> Any:
        return wrap(data, None, None, 0)

    return build


@cache
def _copier() -> Callable[[Any], Any] | None:
    import omegaconf
    from omegaconf import AnyNode, DictConfig, ListConfig
    from omegaconf.base import ContainerMetadata, Metadata

    if not omegaconf.__version__.startswith(_MIRRORED):
        return None
    new = object.__new__

    def metadata(node: Any) -> Any:
        old = node.__dict__["_metadata"]
        kind = type(old)
        if kind is Metadata:
            if old.ref_type is not Any or old.object_type is not None:
                raise _NotPlain
        elif kind is ContainerMetadata:
            if old.ref_type is not Any or old.element_type is not Any or old.key_type not in (Any, int):
                raise _NotPlain
        else:
            raise _NotPlain
        flags = old.flags
        if old.resolver_cache or type(old.key) not in (str, int, type(None)):
            raise _NotPlain
        if flags and any(type(value) not in (bool, type(None)) for value in flags.values()):
            raise _NotPlain
        fresh = new(kind)  # the other fields hold classes, typing.Any, booleans and keys: kept by deepcopy too
        fresh.__dict__.update(old.__dict__)
        fresh.__dict__.update(flags=dict(flags) if flags is not None else None, resolver_cache=defaultdict(dict))
        return fresh

    def tree(node: Any, parent: Any, depth: int) -> Any:
        kind = type(node)
        if depth > DEEPEST:
            raise _NotPlain
        if kind is AnyNode:
            value = node.__dict__["_val"]
            if type(value) not in _PLAIN_TYPES:
                raise _NotPlain
            out = new(AnyNode)
            out.__dict__.update(_metadata=metadata(node), _flags_cache=None, _val=value, _parent=parent)
            return out
        if kind is DictConfig:
            out = new(DictConfig)
            out.__dict__.update(_metadata=metadata(node), _flags_cache=None, _parent=parent)
            content = node.__dict__["_content"]
            if type(content) is dict:
                content = {key: tree(value, out, depth + 1) for key, value in content.items()}
            elif not (content is None or type(content) is str):
                raise _NotPlain
            out.__dict__["_content"] = content
            return out
        if kind is ListConfig:
            out = new(ListConfig)
            out.__dict__.update(_metadata=metadata(node), _flags_cache=None, _parent=parent)
            content = node.__dict__["_content"]
            if type(content) is list:
                content = [tree(value, out, depth + 1) for value in content]
            elif not (content is None or type(content) is str):
                raise _NotPlain
            out.__dict__["_content"] = content
            return out
        raise _NotPlain

    def copy_root(node: Any) -> Any:
        return tree(node, node.__dict__["_parent"], 0)  # deepcopy keeps the root's parent, not copied

    return copy_root


def _answer(make: Callable[[Any], Any] | None, value: Any) -> Any:
    """``make(value)``, or None when there is no such function here (another OmegaConf) or it refuses the tree
    (only OmegaConf may handle it, or it nests past Python's recursion limit)."""
    if make is None:
        return None
    try:
        return make(value)
    except (_NotPlain, RecursionError):
        return None


def tree_copy(node: Any) -> Any:
    """``copy.deepcopy(node)`` for a tree of untyped OmegaConf nodes holding plain values, with every flags cache
    empty (a cache the copy's first re-parenting would clear); None when only ``copy.deepcopy`` may copy it."""
    return _answer(_copier(), node)


@cache
def _reader() -> Callable[[Any], Any] | None:
    import omegaconf
    from omegaconf import AnyNode, DictConfig, ListConfig
    from omegaconf.base import ContainerMetadata, Metadata

    if not omegaconf.__version__.startswith(_MIRRORED):
        return None

    def untyped(node: Any) -> None:
        meta = node.__dict__["_metadata"]
        kind = type(meta)
        if kind is Metadata:
            if meta.ref_type is not Any or meta.object_type is not None:
                raise _NotPlain
        elif kind is ContainerMetadata:
            if meta.ref_type is not Any or meta.element_type is not Any or meta.object_type not in (dict, list, None):
                raise _NotPlain
        else:
            raise _NotPlain

    def data(node: Any, depth: int) -> Any:
        kind = type(node)
        if depth > DEEPEST:
            raise _NotPlain
        untyped(node)
        if kind is AnyNode:
            value = node.__dict__["_val"]
            if type(value) not in _PLAIN_TYPES:
                raise _NotPlain
            return value
        if kind is DictConfig:
            content = node.__dict__["_content"]
            if type(content) is dict:
                return {key: data(value, depth + 1) for key, value in content.items()}
        elif kind is ListConfig:
            content = node.__dict__["_content"]
            if type(content) is list:
                return [data(value, depth + 1) for value in content]
        else:
            raise _NotPlain
        if content is None or type(content) is str:  # None, ``???`` or an interpolation, kept as written
            return content
        raise _NotPlain

    return partial(data, depth=0)


def plain_data(config: Any) -> Any:
    """``OmegaConf.to_container(config, resolve=False, throw_on_missing=False)`` for a tree of untyped nodes
    holding plain values (``???`` and interpolations kept as written); None when only OmegaConf may convert it."""
    return _answer(_reader(), config)


@cache
def _merge_reader() -> Callable[[Any], Any] | None:
    import omegaconf
    from omegaconf import AnyNode, DictConfig, ListConfig
    from omegaconf.base import ContainerMetadata, Metadata

    if not omegaconf.__version__.startswith(_MIRRORED):
        return None
    key_types = (str, int, type(None))

    def untyped(meta: Any, kind: type, object_type: Any, key_type: Any) -> None:
        """Metadata as OmegaConf gives plain data: no type, optional, no flag set (a merge copies the source's
        flags onto the destination, and a read-only or struct flag changes what a later merge may do)."""
        if type(meta) is not kind or meta.ref_type is not Any or meta.optional is not True:
            raise _NotPlain
        flags = meta.flags
        if type(meta.key) not in key_types or type(flags) is not dict or any(v is not None for v in flags.values()):
            raise _NotPlain
        if kind is Metadata:
            if meta.object_type is not None:
                raise _NotPlain
        elif meta.object_type is not object_type or meta.element_type is not Any or meta.key_type is not key_type:
            raise _NotPlain

    def data(node: Any, depth: int) -> Any:
        if depth > DEEPEST:
            raise _NotPlain
        kind = type(node)
        fields = node.__dict__
        if kind is AnyNode:
            untyped(fields["_metadata"], Metadata, None, None)
            value = fields["_val"]
            if type(value) not in _PLAIN_TYPES:
                raise _NotPlain
            return value
        if kind is DictConfig:
            untyped(fields["_metadata"], ContainerMetadata, dict, Any)
            content = fields["_content"]
            if type(content) is not dict or any(type(key) is not str for key in content):
                raise _NotPlain
            return {key: data(value, depth + 1) for key, value in content.items()}
        if kind is ListConfig:
            untyped(fields["_metadata"], ContainerMetadata, list, int)
            content = fields["_content"]
            if type(content) is not list:
                raise _NotPlain
            return [data(value, depth + 1) for value in content]
        raise _NotPlain

    return partial(data, depth=0)


def merge_data(config: Any) -> Any:
    """The plain data of a config tree that OmegaConf merges as it would merge the plain data: every node an
    untyped, optional ``AnyNode``, ``DictConfig`` (string keys) or ``ListConfig`` with no flag set, every
    container holding content (not None, ``???`` or an interpolation), every leaf a plain value (``???`` and
    interpolations as written). None for any other tree: only OmegaConf's merge may merge it."""
    return _answer(_merge_reader(), config)


def plain_config(data: Any) -> Any:
    """``OmegaConf.create(data)`` for a plain YAML mapping, or None when only ``OmegaConf.create`` may build it."""
    return _answer(_builder(), data) if type(data) is dict else None


def empty_list() -> Any:
    """``OmegaConf.create([])`` (Hydra's stand-in for a config without a defaults list), or None when only
    ``OmegaConf.create`` may build it."""
    build = _builder()
    return None if build is None else build([])
