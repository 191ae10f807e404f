"""Hydra's reading of the plain override strings a train command passes, without running its ANTLR parser.

Hydra's ``OverridesParser`` costs ~0.3-0.6 ms per override string (lexer, parser and visitor objects in
pure Python), and a check that composes parses a few: ``results_dir=/tmp/...``, ``trial_mode=true``,
``run=<id>`` (again quoted when the bare id does not parse). For the override strings below, what Hydra's
grammar (hydra-core 1.3, ``hydra/grammar/Override{Lexer,Parser}.g4``) makes of them is certain from the
characters alone, so the ``Override`` Hydra would build is built directly; any other string (floats,
sweeps, functions, lists, escapes, spaces, interpolations, ``~``, ``@package``, ``group/option``) is left
to Hydra's parser. tests/test_override_shortcut.py compares both over generated and corpus strings.

``plain_override`` answers:

- a key of ID-shaped segments joined by dots, after at most two ``+`` (KEY mode: one ID token, or one
  DOT_PATH token; ``+`` and ``++`` are ADD and FORCE_ADD), then ``=``;
- an empty value: the empty string;
- a value quoted by ``'`` or ``"`` holding no quote and no backslash: one QUOTED_VALUE token, read as a
  ``QuotedString`` of what stands between the quotes;
- an unquoted value of letters, digits and ``_ - / + . $ % * @ ? | :`` (every one of them begins a token
  that a ``primitive`` may hold, and none can join a bracket, quote, escape or interpolation token):
  the value is one token or several that Hydra joins back into the text as written. It is read as
  something other than that text only when it is a single INT, FLOAT, BOOL or NULL token, and those are
  made of ``_SCALAR_TOKEN_CHARS`` only; among values made of those characters alone, an ID-shaped word
  that is no keyword is a string, ``true``/``false`` (any case) a bool, ``null`` None, and an INT token
  an int. Anything else made of them alone (``1.5``, ``inf``, ``1e-3``, ``0.1.2``) is left to Hydra.

``certainly_refused`` names override strings Hydra's parser refuses (an OverrideParseException, whatever its
message), for a caller that needs only that: a value with parentheses whose first one does not close at
the value's end, as in ``run=resnet (11M)-cifar``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# KEY mode: an ID (letters, digits, _ and -, not starting with a digit or -), or a DOT_PATH of such.
_KEY = r"(\+{0,2})([A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*)*)="

# VALUE mode characters each of which starts an ID, INT, FLOAT, BOOL, NULL, UNQUOTED_CHAR or COLON token.
_UNQUOTED_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-/+.$%*@?|:")

# Every character Hydra's INT, FLOAT, BOOL and NULL tokens can hold (1_000, -1.5e+3, inf, nan, true, null).
SCALAR_TOKEN_CHARS = frozenset("0123456789_.+-eEiInNfFaAtTrRuUlLsS")

_ID = r"[A-Za-z_][A-Za-z0-9_\-]*"
_INT = r"[+-]?(?:0|[1-9](?:_?[0-9])*)"
# Longer INT tokens are left to Hydra: past 4300 digits, int() raises (as it does in Hydra's visitor).
_LONGEST_INT = 100

_UNDECIDED = object()  # a value whose reading is left to Hydra's parser

# ID-shaped words that the lexer reads as another token (BOOL, NULL, FLOAT), in lower case, and their value.
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None, "inf": _UNDECIDED, "nan": _UNDECIDED}


@cache  # compiled on first use: most CLI calls compose nothing
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The key, ID and INT patterns above."""
    return re.compile(_KEY), re.compile(_ID), re.compile(_INT)


def plain_override(text: str, config_loader: Any = None) -> Any | None:
    """The ``Override`` Hydra's ``OverridesParser.parse_overrides([text])[0]`` gives ``text`` (with its
    ``config_loader``), or None when ``text`` is not one of the plain forms this module reads."""
    match = _patterns()[0].match(text)
    if match is None:
        return None
    value = _value(text[match.end() :])
    if value is _UNDECIDED:
        return None
    from hydra.core.override_parser.types import Override, OverrideType, ValueType

    plus = match.group(1)
    kind = OverrideType.FORCE_ADD if plus == "++" else OverrideType.ADD if plus else OverrideType.CHANGE
    override = Override(
        type=kind,
        key_or_group=match.group(2),
        value_type=ValueType.ELEMENT,
        _value=value,
        package=None,
        input_line=text,
        config_loader=config_loader,
    )
    override.validate()
    return override


def _value(value: str) -> Any:
    """What Hydra reads from ``value`` (the text after ``=``), or ``_UNDECIDED``."""
    if not value:
        return ""
    first = value[0]
    if first in "'\"":
        return _quoted(value)
    if not _UNQUOTED_CHARS.issuperset(value):
        return _UNDECIDED
    if not SCALAR_TOKEN_CHARS.issuperset(value):
        return value  # cannot be one INT, FLOAT, BOOL or NULL token
    lowered = value.lower()
    if lowered in _KEYWORDS:
        return _KEYWORDS[lowered]
    _key, identifier, integer = _patterns()
    if identifier.fullmatch(value):
        return value
    if len(value) <= _LONGEST_INT and integer.fullmatch(value):
        return int(value)
    return _UNDECIDED


def _quoted(value: str) -> Any:
    """A quoted value without inner quotes or backslashes: Hydra's QuotedString of the text between the quotes."""
    quote = value[0]
    inner = value[1:-1]
    if len(value) < 2 or value[-1] != quote or "'" in inner or '"' in inner or "\\" in inner:
        return _UNDECIDED
    from hydra.core.override_parser.types import Quote, QuotedString

    return QuotedString(text=inner, quote=Quote.single if quote == "'" else Quote.double)


# Parentheses nested deeper than this are left to Hydra's parser: its recursive descent may run out of Python's
# stack (RecursionError, near 500 levels at the default limit) before it reports the syntax error.
_DEEPEST_CERTAIN = 50

# Characters that could put a parenthesis inside a token other than POPEN/PCLOSE (quotes, escapes,
# interpolations) or let the value be more than one element (a choice sweep, a list, a dict).
_HIDING = frozenset("'\"\\{}[],")


def certainly_refused(text: str) -> bool:
    """Whether Hydra's override parser certainly refuses ``text`` (a plain key, ``=``, then a value).

    In such a value every ``(`` is a POPEN token and every ``)`` a PCLOSE, which only a function
    (``name(args)``) holds, and the value is a single element, so that function must span the whole value:
    it ends at the ``)`` closing its first ``(``, and nothing may follow (EOF must come next; Hydra's WS is
    a token too). A ``)`` before any ``(``, a first ``(`` never closed, or anything after the one closing it
    is a syntax error. Whether a value that does end there parses is left to Hydra, and so is a value
    nesting parentheses more than ``_DEEPEST_CERTAIN`` deep.
    """
    match = _patterns()[0].match(text)
    if match is None:
        return False
    value = text[match.end() :]
    if ("(" not in value and ")" not in value) or not _HIDING.isdisjoint(value):
        return False
    depth = 0
    for at, char in enumerate(value):
        if char == "(":
            depth += 1
            if depth > _DEEPEST_CERTAIN:
                return False  # Hydra's recursive parser may stop with RecursionError instead: its own answer
        elif char == ")":
            if depth == 0:
                return True  # a PCLOSE no function opened
            depth -= 1
            if depth == 0:
                return at != len(value) - 1  # the first function closed: only EOF may follow
    return True  # the first ( never closes
