"""Depth and expansion limits for structured text, checked before anything recursive touches it.

Hostile input is cheap to write and expensive to read: YAML nested 50,000 deep segfaults libyaml's
composer (and exhausts PyYAML's pure-Python one), ten lines of YAML aliases expand to millions of
nodes, a pyproject array nested a few hundred deep exhausts ``tomllib``, and Python expressions
nested a few hundred deep exhaust every recursive walk over the syntax tree. Each check here is
iterative, costs time proportional to the input, and says in one line what limit was passed:

* :func:`yaml_limit` scans the YAML *event stream* (libyaml's parser when PyYAML has it, else
  PyYAML's pure-Python one; both keep their own stack, neither recurses) before a document is
  composed: collection depth, and the node count the document's aliases expand to. A text whose
  characters show it within both (no alias, a nesting bound from its lines) is not scanned.
* :func:`toml_depth` scans TOML text for the nesting of arrays and inline tables, skipping strings
  and comments, before ``tomllib`` recurses into them.
* :func:`tree_depth` measures a parsed Python syntax tree (or any tree of ``ast`` nodes) level by level.
* :func:`data_depth` measures decoded JSON or YAML data (dicts and lists) without recursion.

Facts turn a tripped limit into a finding (a file expcheck cannot judge is not ready, rule R104);
readers of top-level input (bundle, trace, ``--context``, ``--profile``) turn it into an InputError.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

MAX_INPUT_BYTES = 16 * 1024 * 1024  # a bundle, trace, context or profile file

# Python, YAML and TOML that expcheck parses, per file and per submission (inputs/limits.py's
# limit_judged; a file past them is reported by R103, not judged, so the submission is not ready).
# Sized from data: the largest file of the development corpus (176 traces, 13 code states that ran)
# is 23 KB and its largest submission 44 KB of such files, so both budgets are over 11x the largest
# seen. Parsing and judging cost 75-110x the text in memory (Python's syntax tree alone ~60x) and,
# at a load average of 10 on 2 cores, about 10 s per MiB of code (benchmarks/hostile_size.py): at
# these budgets a submission costs at most ~40 MiB and a few seconds above the process's own cost.
MAX_JUDGED_FILE_BYTES = 256 * 1024
MAX_JUDGED_TOTAL_BYTES = 512 * 1024

# Nesting of YAML collections, JSON values and Python syntax trees that expcheck judges. The
# development corpus nests Python syntax trees at most 18 deep and configs at most 6; Python's own
# parser refuses expressions nested ~1,000 deep; recursive walks in rules need ~3 frames per level.
MAX_NESTING = 100
# TOML: uv's parser (toml_edit) refuses arrays and inline tables nested deeper than this, so a deeper
# pyproject.toml is one uv cannot read at all (measured with uv 0.13.9: 80 levels parse; at 81 `uv lock`
# fails with "cannot recurse further; max recursion depth met").
MAX_TOML_NESTING = 80
# Nodes a YAML document's aliases may add beyond the nodes it writes out (a "billion laughs" of ten
# lines adds millions; a config reusing a few anchors adds tens).
MAX_ALIAS_EXPANSION = 100_000


@dataclass(frozen=True)
class LimitProblem:
    """A limit that a text passes: where (1-based line and column), and a one-line message."""

    line: int
    column: int
    message: str


def yaml_limit(text: str) -> LimitProblem | None:
    """The first depth or alias-expansion limit ``text`` (a YAML stream) passes, or None.

    Syntax errors are not reported here (the loader reports them with its own message): the scan stops
    at the first one and returns None, unless a limit was already passed before it.
    """
    if _plainly_within(text):
        return None
    import yaml

    parser: Any
    if getattr(yaml, "__with_libyaml__", False):
        from yaml.cyaml import CParser

        try:
            parser = CParser(text)
        except UnicodeEncodeError:  # a lone surrogate: libyaml takes UTF-8 only
            return LimitProblem(1, 1, "text that cannot be encoded as UTF-8 (a lone surrogate)")
    else:
        from yaml.parser import Parser
        from yaml.reader import Reader
        from yaml.scanner import Scanner

        class _Events(Reader, Scanner, Parser):  # type: ignore[misc]
            def __init__(self, stream: str) -> None:
                Reader.__init__(self, stream)
                Scanner.__init__(self)
                Parser.__init__(self)

        parser = _Events(text)
    try:
        # Without an alias nothing expands (every node counts once, as written): depth is all there is to see.
        return _scan_events(parser) if "*" in text else _scan_depth(parser)
    except (yaml.YAMLError, UnicodeError):
        return None
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()


# Each YAML collection opens with one of these characters of its own: a block sequence with "-", a block
# mapping with ":" (or "?" for a complex key), a flow collection with "[" or "{".
_COLLECTION_INDICATORS = "-:?[{"
# Characters other than "\r" YAML 1.1 reads as line breaks, and the byte-order mark libyaml skips at the start
# of any line: where one stands, the line-by-line tests below would not see the lines libyaml sees.
_OTHER_BREAKS = "\x85\u2028\u2029\ufeff"
# The start of a line up to its first token: the indentation, then any block indicators ("-", "?", ":") each
# followed by blanks, as in ``  - - key: value``.
_LINE_PREFIX = re.compile(r"\n[ \t]*(?:[-?:][ \t]+)*")
# A comment's "#": at the start of a line or after a blank.
_COMMENT_MARK = re.compile(r"(?:^|[ \t])#")


def _plainly_within(text: str) -> bool:
    """Whether ``text`` cannot pass a YAML limit, seen from its characters alone, so that the scan of its
    events can be skipped: encodable as UTF-8 (no lone surrogate), so libyaml takes it; no alias, so nothing
    expands (an asterisk may stand in comments only); and collections that cannot nest past the depth
    limit: fewer collection indicators than the limit, or a depth bound from its lines within it.

    Most configs pass one test or the other; any other text is scanned, event by event.
    """
    if not utf8_encodable(text):
        return False
    if "*" in text and not _asterisks_in_comments(text):
        return False
    if sum(text.count(ch) for ch in _COLLECTION_INDICATORS) <= MAX_NESTING:
        return True
    return nesting_bound(text) <= MAX_NESTING


def _lines_as_libyaml_reads_them(text: str) -> bool:
    """Whether ``text``'s lines are its "\\n"-separated parts to libyaml and PyYAML (no other line break, no
    byte-order mark that libyaml would skip at a line's start)."""
    return "\r" not in text and (text.isascii() or not any(ch in text for ch in _OTHER_BREAKS))


def _asterisks_in_comments(text: str) -> bool:
    """Whether no asterisk of ``text`` can be an alias: each stands after a comment's "#" on its line, with no
    quote before it on that line.

    A "#" at a line's start or after a blank starts a comment unless it stands inside a quoted scalar (a
    plain scalar ends before it; in a block scalar everything is text). Without a quote before the asterisk
    on its line, a quoted scalar open at the "#" is still open at the asterisk. Either way the asterisk is
    text, never the start of an alias token.
    """
    if not _lines_as_libyaml_reads_them(text):
        return False
    for line in text.split("\n"):
        if "*" not in line:
            continue
        head = line[: line.rindex("*")]
        if '"' in head or "'" in head:
            return False
        if _COMMENT_MARK.search(line, 0, line.index("*")) is None:
            return False
    return True


def nesting_bound(text: str) -> int:
    """An upper bound of how deep collections nest in the YAML ``text`` (as far as it parses), from its lines.

    Block collections cannot stand inside flow ones, so a chain of nested collections is block ones, then
    flow ones. A flow collection opens at a bracket or brace of its own, and a single-pair mapping
    (``[a: b]``) stands right inside a flow sequence: at most ``count("{") + 2 * count("[")`` flow levels.
    A block collection starts at its first entry's column: libyaml opens one (``roll_indent``) only where a
    simple key or a "-" / "?" entry is allowed in block context, that is at a line's first token or right
    after a "-", "?" or ":" indicator and its blanks at the start of the line (``_LINE_PREFIX``); each
    nested one is indented further, but for a sequence written at its mapping's own indentation: at most
    two levels per such column. Brackets in strings and comments and prefixes of lines inside scalars only
    make the bound larger. A text with other line breaks than "\\n" gets a bound past any limit.
    """
    if not _lines_as_libyaml_reads_them(text):
        return sys.maxsize
    columns: set[int] = set()
    for prefix in set(_LINE_PREFIX.findall("\n" + text)):
        line = prefix[1:]
        columns.add(len(line) - len(line.lstrip(" \t")))
        columns.add(len(line))
        columns.update(at for at in range(1, len(line)) if line[at] in "-?:" and line[at - 1] in " \t")
    return 2 * len(columns) + text.count("{") + 2 * text.count("[")


def long_integer_at(text: str, start: int = 0, underscores: bool = False) -> int | None:
    """Offset of the first decimal integer in ``text`` (from ``start``) longer than Python's ``int()`` converts
    (``sys.get_int_max_str_digits()``, 4,300 digits by default), or None.

    json and tomllib raise a bare ``ValueError`` for one, outside their decode errors; their readers use this to
    say where. ``underscores``: digits may be grouped by single underscores, as TOML writes them.
    """
    limit = sys.get_int_max_str_digits()
    if limit == 0:
        return None
    pattern = rf"\d(?:_?\d){{{limit},}}" if underscores else rf"\d{{{limit + 1},}}"
    found = re.compile(pattern).search(text, start)
    return found.start() if found else None


def utf8_encodable(text: str) -> bool:
    """Whether ``text`` holds no lone surrogate: UTF-8 encodes every other code point (a quicker test
    than searching the text for one)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _too_deep(event: Any) -> LimitProblem:
    mark = event.start_mark
    return LimitProblem(
        mark.line + 1,
        mark.column + 1,
        f"collections nested more than {MAX_NESTING} levels deep (expcheck judges up to {MAX_NESTING})",
    )


def _scan_depth(parser: Any) -> LimitProblem | None:
    """``_scan_events`` for a stream without aliases: only the nesting of collections is followed."""
    import yaml

    starts = {yaml.SequenceStartEvent, yaml.MappingStartEvent}
    ends = {yaml.SequenceEndEvent, yaml.MappingEndEvent}
    stream_end = yaml.StreamEndEvent
    depth = 0
    while True:
        event = parser.get_event()
        kind = type(event)
        if kind in starts:
            depth += 1
            if depth > MAX_NESTING:
                return _too_deep(event)
        elif kind in ends:
            depth -= 1
        elif event is None or kind is stream_end:
            return None


def _scan_events(parser: Any) -> LimitProblem | None:
    import yaml

    starts = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    # One frame per open collection: [anchor, expanded node count so far, still open].
    stack: list[list[Any]] = []
    sizes: dict[str, int] = {}  # anchor -> expanded node count of its node
    # anchor -> the frame of the collection it names, while that collection is its latest definition
    # (an alias names the latest node anchored so; a collection is anchored at its start)
    latest: dict[str, list[Any] | None] = {}
    written = 0
    expanded = 0
    while True:
        event = parser.get_event()
        if event is None or isinstance(event, yaml.StreamEndEvent):
            return None
        if isinstance(event, starts):
            written += 1
            frame = [event.anchor, 1, True]
            stack.append(frame)
            if event.anchor is not None:
                latest[event.anchor] = frame
            if len(stack) > MAX_NESTING:
                return _too_deep(event)
            continue
        if isinstance(event, ends):
            frame = stack.pop()
            frame[2] = False
            anchor, size = frame[0], frame[1]
        elif isinstance(event, yaml.ScalarEvent):
            written += 1
            anchor, size = event.anchor, 1
            if anchor is not None:
                latest[anchor] = None
        elif isinstance(event, yaml.AliasEvent):
            named = latest.get(event.anchor)
            if named is not None and named[2]:
                mark = event.start_mark
                return LimitProblem(
                    mark.line + 1,
                    mark.column + 1,
                    f"the alias *{event.anchor} stands inside the collection it names: a value that contains "
                    "itself, which OmegaConf and Hydra cannot load",
                )
            anchor, size = None, sizes.get(event.anchor, 1)
        else:
            continue  # stream, document
        if anchor is not None:
            sizes[anchor] = size
        if stack:
            stack[-1][1] += size
        else:
            expanded += size
        if expanded - written > MAX_ALIAS_EXPANSION or (stack and stack[-1][1] - written > MAX_ALIAS_EXPANSION):
            mark = event.start_mark
            return LimitProblem(
                mark.line + 1,
                mark.column + 1,
                f"aliases expand the document by more than {MAX_ALIAS_EXPANSION:,} nodes (an alias bomb)",
            )


_TOML_SPECIAL = re.compile(r"[\n#\"'\[\]{}]")


def toml_depth(text: str) -> tuple[int, int, int]:
    """(deepest nesting of arrays and inline tables, its 1-based line, column) in TOML ``text``.

    Strings (basic, literal, multi-line) and comments are skipped, so brackets inside them do not
    count; table headers (``[a]``, ``[[a]]``) open nothing. A malformed text gives a best-effort
    figure: tomllib reports the syntax error itself.
    """
    depth = best = 0
    best_at = (1, 1)
    line, line_start = 1, 0
    i, n = 0, len(text)
    while True:
        match = _TOML_SPECIAL.search(text, i)
        if match is None:
            break
        i = match.start()
        ch = text[i]
        if ch == "\n":
            line, line_start = line + 1, i + 1
            i += 1
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif ch in "\"'":
            if text.startswith(ch * 3, i):
                end = text.find(ch * 3, i + 3)
                while ch == '"' and end > 0 and _escaped(text, end):
                    end = text.find(ch * 3, end + 1)
                stop = n if end < 0 else end + 3
                while stop < n and text[stop] == ch:  # up to two quotes may end the string's content
                    stop += 1
                newlines = text.count("\n", i, stop)
                if newlines:
                    line += newlines
                    line_start = text.rfind("\n", i, stop) + 1
            else:
                j = i + 1
                while j < n and text[j] != ch and text[j] != "\n":
                    j += 2 if (ch == '"' and text[j] == "\\") else 1
                stop = j + 1 if j < n and text[j] == ch else j
            i = stop
        elif ch == "[" and depth == 0 and not text[line_start:i].strip():
            end = text.find("\n", i)  # a table header: nothing on its line opens a value
            i = n if end < 0 else end
        else:
            if ch in "[{":
                depth += 1
                if depth > best:
                    best, best_at = depth, (line, i - line_start + 1)
            else:
                depth = max(depth - 1, 0)
            i += 1
    return best, best_at[0], best_at[1]


def _escaped(text: str, index: int) -> bool:
    """Whether the character at ``index`` is preceded by an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


_LEAF_KINDS: tuple[type, ...] = ()


def tree_depth(root: Any, limit: int = MAX_NESTING) -> tuple[int, Any]:
    """(depth of the ``ast`` tree under ``root``, a positioned node at the deepest level), stopping past ``limit``.

    Contexts and operators (``Load``, ``Add``, ...) are leaves without a position and are not counted.
    """
    import ast

    global _LEAF_KINDS
    if not _LEAF_KINDS:
        _LEAF_KINDS = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)

    level: list[Any] = [root]
    depth = 0
    deepest = root
    while level:
        depth += 1
        deepest = next((node for node in level if hasattr(node, "lineno")), deepest)
        if depth > limit:
            break
        nxt: list[Any] = []
        add = nxt.append
        for node in level:
            for name in node._fields:
                value = getattr(node, name, None)
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST):
                            add(item)
                elif isinstance(value, ast.AST) and not isinstance(value, _LEAF_KINDS):
                    add(value)
        level = nxt
    return depth, deepest


_TERMINALS: frozenset[type] = frozenset()
# Fields that hold an identifier, a number, a flag or an operator in every node type that has them (Python
# 3.11's grammar): never a counted node.
_SCALAR_FIELDS = frozenset({"id", "ctx", "attr", "op", "kind", "type_comment", "is_async", "level", "module", "simple"})
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}


def tree_within(root: Any, limit: int = MAX_NESTING) -> bool:
    """Whether ``tree_depth(root)[0] <= limit``, found without visiting the nodes that hold no counted node.

    The same levels as :func:`tree_depth`, but names, constants and other nodes without child nodes are
    only noted as making the next level, never queued: about half the nodes of real code.
    """
    import ast

    global _LEAF_KINDS, _TERMINALS
    if not _LEAF_KINDS:
        _LEAF_KINDS = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
    if not _TERMINALS:
        simple = {ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.alias, ast.Global, ast.Nonlocal}
        _TERMINALS = frozenset(simple | {kind for base in _LEAF_KINDS for kind in base.__subclasses__()})
    terminals, leaf_kinds, node_type = _TERMINALS, _LEAF_KINDS, ast.AST
    fields_of = _NODE_FIELDS
    level: list[Any] = [root]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return False
        nxt: list[Any] = []
        add = nxt.append
        terminal = False
        for node in level:
            kind = type(node)
            fields = fields_of.get(kind)
            if fields is None:
                fields = fields_of[kind] = tuple(f for f in kind._fields if f not in _SCALAR_FIELDS)
            for name in fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    for item in value:
                        if type(item) in terminals:
                            terminal = True
                        elif isinstance(item, node_type):
                            add(item)
                elif type(value) in terminals:
                    if not isinstance(value, leaf_kinds):
                        terminal = True
                elif isinstance(value, node_type) and not isinstance(value, leaf_kinds):
                    add(value)
        if not nxt:
            return depth + terminal <= limit
        level = nxt
    return True


def data_depth(value: Any, limit: int = MAX_NESTING) -> int:
    """Nesting depth of decoded data (dicts, lists, tuples), stopping once past ``limit``."""
    level = [value]
    depth = 0
    while level and depth <= limit:
        nxt: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                nxt.extend(v for v in item.values() if isinstance(v, dict | list | tuple))
                nxt.extend(k for k in item if isinstance(k, tuple))
            elif isinstance(item, list | tuple):
                nxt.extend(v for v in item if isinstance(v, dict | list | tuple))
        depth += 1
        level = nxt
    return depth
