"""The YAML loader expcheck reads every YAML text of a submission or of its own inputs with.

It is PyYAML's safe loader (libyaml's when installed), with one change: a value PyYAML's resolver recognises
but its constructor cannot build no longer raises a bare Python exception outside ``yaml.YAMLError``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_TAG = "tag:yaml.org,2002:"
_BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SHOWN_VALUE = 40  # characters of an unbuildable scalar quoted in the problem's message
_ANCHOR = re.compile(r"&[^\s]*\s*")  # an anchor and the space after it, before a node's value


class BuildingLoader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader, with the two ways a value PyYAML recognises can still fail to be built made plain.

    PyYAML's pattern for a timestamp takes ``2001-13-01`` or ``2001-02-30``, and its constructor then raises
    ``ValueError`` from ``datetime``, outside ``yaml.YAMLError``. Hydra reads config files with OmegaConf's
    loader, which has no timestamp rule: such a scalar is the text as written, so it is here too (a valid
    date stays a ``date``, as PyYAML builds it; a value written with ``!!timestamp`` fails in both).

    Every other value that cannot be built (a 4,301-digit integer past Python's conversion limit,
    ``!!bool 1e3``, ``!!float abc``) fails in OmegaConf's loader too, so the text cannot be loaded: that is a
    ``ConstructorError`` at the value's line, the same kind of answer as a syntax error, instead of an
    exception that every fact reading the YAML would raise (or, for a context file, a crash while reading
    the input). Hostile-input failures (``RecursionError``, ``MemoryError``) pass through unchanged.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        # The text the marks' indexes count in (libyaml's skip a leading byte-order mark, PyYAML's do not);
        # none for a stream, whose timestamps that cannot be built then fail as written with a tag.
        text = stream if isinstance(stream, str) else ""
        self.text = text[1:] if text.startswith("\ufeff") and _BASE_LOADER is not yaml.SafeLoader else text

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except Exception:
            if not self._written_plain(node):
                raise  # ``!!timestamp`` written in the file: OmegaConf's loader builds it, and fails, too
            return self.construct_scalar(node)  # a date or time out of range: OmegaConf's text

    def _written_plain(self, node: Any) -> bool:
        """Whether no tag precedes the scalar, so the timestamp came from PyYAML's implicit pattern (which needs
        a leading digit): the node starts at that digit, or at an anchor (``&name``) followed by it."""
        text, index = self.text, node.start_mark.index
        if 0 <= index < len(text) and text[index] == "&":
            index = _ANCHOR.match(text, index).end()
        return 0 <= index < len(text) and text[index].isdigit()

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (yaml.YAMLError, RecursionError, MemoryError):
            raise
        except Exception as exc:
            raise yaml.constructor.ConstructorError(None, None, _unbuildable(node, exc), node.start_mark) from None


BuildingLoader.add_constructor(_TAG + "timestamp", BuildingLoader.construct_yaml_timestamp)


def _unbuildable(node: Any, exc: Exception) -> str:
    """The problem's message: which value could not be built, and Python's reason."""
    value = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
    shown = value if len(value) <= _SHOWN_VALUE else value[: _SHOWN_VALUE - 3] + "..."
    tag = node.tag.removeprefix(_TAG)
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"the {tag} value {shown!r} cannot be built ({type(exc).__name__}: {reason})"
