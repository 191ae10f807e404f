"""A config file's data as OmegaConf's YAML loader reads it, from the node tree the submission's parse composed.

Hydra reads a config file with OmegaConf's loader: PyYAML's safe loader with a wider float rule
(``1e-3`` is a float), no timestamps (``2001-12-14`` stays a string) and duplicate keys refused. The
submission's YAML files are parsed once already (``Facts.yaml``, with PyYAML's safe loader), and the
composed node tree is kept; the two loaders differ only in the tag their resolver gives a plain scalar, so
OmegaConf's data can be built from that tree by resolving each plain scalar's tag again with OmegaConf's
resolver, instead of parsing the text a second time (issue 19). This holds only where no tag is written in
the file: :func:`omegaconf_data` answers :data:`UNREAD` for a text with a ``!`` anywhere (an explicit tag
or a ``%TAG`` directive), a mapping with a duplicate key, a merge key or a key that is not a scalar, a
scalar whose tag is not a plain one (null, bool, int, float, str), or a tree deeper than Python allows; the
caller then reads the text with OmegaConf's loader, which gives its own data or error.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

UNREAD = object()  # what omegaconf_data answers when only OmegaConf's loader may read the text

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
_PLAIN_STYLES = ("", None)  # a plain scalar's style: "" from libyaml's composer, None from PyYAML's


class _Unread(Exception):
    """A document only OmegaConf's loader may read."""


@cache
def _builder() -> Callable[[Any], Any] | None:
    import yaml
    from omegaconf._utils import get_yaml_loader

    loader = get_yaml_loader()
    if loader.yaml_path_resolvers:
        return None  # tags that depend on a node's place: only the loader itself resolves them
    implicit = loader.yaml_implicit_resolvers
    anywhere = implicit.get(None, [])
    constructor = yaml.constructor.SafeConstructor()
    makers: dict[str, Callable[[Any], Any]] = {
        _TAG + "null": constructor.construct_yaml_null,
        _TAG + "bool": constructor.construct_yaml_bool,
        _TAG + "int": constructor.construct_yaml_int,
        _TAG + "float": constructor.construct_yaml_float,
    }
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode

    def tag_of(node: Any) -> str:
        """The tag OmegaConf's loader gives a scalar written without a tag (its resolver, as PyYAML's
        ``BaseResolver.resolve`` applies it to a plain scalar; any other style is a string)."""
        if node.style not in _PLAIN_STYLES:
            return _STR
        value = node.value
        for tag, pattern in implicit.get(value[0] if value else "", []) + anywhere:
            if pattern.match(value):
                return tag  # type: ignore[no-any-return]
        return _STR

    def scalar(node: Any) -> Any:
        tag = tag_of(node)
        if tag == _STR:
            return node.value
        make = makers.get(tag)
        if make is None:
            raise _Unread
        return make(node)

    class Build:
        """One document's construction: each collection node built once, so an alias shares its object, as
        PyYAML's constructor shares it. (A class, not a recursive closure, which would be a reference cycle.)"""

        __slots__ = ("building", "made")

        def __init__(self) -> None:
            self.made: dict[Any, Any] = {}
            self.building: set[Any] = set()

        def data(self, node: Any) -> Any:
            kind = type(node)
            if kind is scalar_node:
                return scalar(node)
            if node in self.made:
                return self.made[node]
            if node in self.building:
                raise _Unread
            self.building.add(node)
            out: Any
            if kind is mapping_node and node.tag == _MAP:
                out = {}
                seen: set[str] = set()
                for key_node, value_node in node.value:
                    if type(key_node) is not scalar_node:
                        raise _Unread
                    if tag_of(key_node) == _STR:
                        if key_node.value in seen:
                            raise _Unread  # OmegaConf's loader refuses it, with its own message
                        seen.add(key_node.value)
                    out[scalar(key_node)] = self.data(value_node)  # a merge key has no maker: refused above
            elif kind is sequence_node and node.tag == _SEQ:
                out = [self.data(item) for item in node.value]
            else:
                raise _Unread
            self.building.discard(node)
            self.made[node] = out
            return out

    def build(root: Any) -> Any:
        return Build().data(root)

    return build


def omegaconf_data(root: Any, text: str) -> Any:
    """``yaml.load(text, Loader=<OmegaConf's loader>)`` built from ``root``, the node tree PyYAML's safe loader
    composed from ``text``; :data:`UNREAD` when only OmegaConf's loader may read it (see the module's docstring)."""
    if root is None or "!" in text:
        return UNREAD
    build = _builder()
    if build is None:
        return UNREAD
    try:
        return build(root)
    except Exception:  # _Unread, RecursionError, or a scalar PyYAML's constructor refuses: its loader decides
        return UNREAD
