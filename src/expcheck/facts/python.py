"""Facts about one Python file, from its syntax tree only: nothing is imported or executed."""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from expcheck.facts.semantic import last_name
from expcheck.limits import MAX_NESTING, LimitProblem, tree_depth, tree_within
from expcheck.submission import SourceFile

if TYPE_CHECKING:
    from expcheck.facts.astindex import ModuleIndex


@dataclass(frozen=True)
class SyntaxProblem:
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class FunctionFact:
    name: str
    qualname: str
    line: int
    column: int
    # What the body holds when it does nothing: "pass", "...", "docstring", "raise NotImplementedError";
    # None for a body that does something.
    stub: str | None
    # Declared as a stub on purpose: @abstractmethod, @overload, or a method of a Protocol class.
    intentional_stub: bool


@dataclass(frozen=True)
class ClassFact:
    name: str
    line: int
    # Base classes by their last name component (``nn.Module`` -> ``Module``).
    bases: tuple[str, ...]
    methods: frozenset[str]


_INTENTIONAL_DECORATORS = frozenset({"abstractmethod", "overload", "abstractproperty"})


def _decorator_name(node: ast.expr) -> str:
    return last_name(node.func if isinstance(node, ast.Call) else node)


def _is_not_implemented(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.Raise) or stmt.exc is None:
        return False
    exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _stub_kind(body: list[ast.stmt]) -> str | None:
    stmts = list(body)
    has_doc = bool(
        stmts
        and isinstance(stmts[0], ast.Expr)
        and isinstance(stmts[0].value, ast.Constant)
        and isinstance(stmts[0].value.value, str)
    )
    if has_doc:
        stmts = stmts[1:]
    if not stmts:
        return "docstring"
    if len(stmts) != 1:
        return None
    only = stmts[0]
    if isinstance(only, ast.Pass):
        return "pass"
    if isinstance(only, ast.Expr) and isinstance(only.value, ast.Constant) and only.value.value is Ellipsis:
        return "..."
    if _is_not_implemented(only):
        return "raise NotImplementedError"
    return None


def class_is_protocol(node: ast.ClassDef) -> bool:
    for base in node.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name in ("Protocol", "ABC"):
            return True
    return False


def function_fact(node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, in_protocol: bool) -> FunctionFact:
    """The FunctionFact of ``node`` (``in_protocol``: defined in the body of a Protocol or ABC class)."""
    intentional = in_protocol or any(_decorator_name(d) in _INTENTIONAL_DECORATORS for d in node.decorator_list)
    return FunctionFact(node.name, qualname, node.lineno, node.col_offset + 1, _stub_kind(node.body), intentional)


def class_fact(node: ast.ClassDef) -> ClassFact:
    bases = tuple(b.attr if isinstance(b, ast.Attribute) else b.id for b in node.bases if type(b) in _NAMES)  # type: ignore[attr-defined]
    methods = frozenset(n.name for n in node.body if type(n) is ast.FunctionDef or type(n) is ast.AsyncFunctionDef)  # type: ignore[attr-defined]
    return ClassFact(node.name, node.lineno, bases, methods)


_NAMES = frozenset({ast.Attribute, ast.Name})
_BODY_FIELDS = ("body", "orelse", "finalbody")
# Statements that never hold other statements: a walk over statements need not look inside them.
SIMPLE_STATEMENTS = frozenset(
    {
        ast.Expr,
        ast.Assign,
        ast.AugAssign,
        ast.AnnAssign,
        ast.Return,
        ast.Delete,
        ast.Raise,
        ast.Assert,
        ast.Import,
        ast.ImportFrom,
        ast.Global,
        ast.Nonlocal,
        ast.Pass,
        ast.Break,
        ast.Continue,
    }
)


@dataclass
class _StatementIndex:
    """Functions, classes and elided ``...`` statements, from one walk over statements only."""

    functions: list[FunctionFact]
    classes: list[ClassFact]
    elided: list[tuple[int, int]]


def _elided(block: list[ast.stmt], out: list[tuple[int, int]]) -> None:
    """Add the bare ``...`` statements of ``block`` to ``out`` when they stand among other statements."""
    if len(block) > 1:
        elided = [s for s in block if type(s) is ast.Expr and type(s.value) is ast.Constant and s.value.value is ...]
        if elided and _stub_kind(block) is None:
            out.extend((s.lineno, s.col_offset + 1) for s in elided)


def _index_statements(tree: ast.Module) -> _StatementIndex:
    index = _StatementIndex(functions=[], classes=[], elided=[])
    elided = index.elided
    # (statement, enclosing scope names, is the innermost scope a Protocol/ABC class)
    stack: list[tuple[ast.stmt, tuple[str, ...], bool]] = []
    extend, pop = stack.extend, stack.pop
    _elided(tree.body, elided)
    extend((s, (), False) for s in reversed(tree.body))
    blocks_of = _BLOCKS.get
    while stack:
        node, scope, protocol = pop()
        cls = type(node)
        if cls is ast.FunctionDef or cls is ast.AsyncFunctionDef:
            name = node.name  # type: ignore[attr-defined]
            index.functions.append(function_fact(node, ".".join([*scope, name]), protocol))  # type: ignore[arg-type]
            body = node.body  # type: ignore[attr-defined]
            _elided(body, elided)
            inner = (*scope, name)
            extend((s, inner, False) for s in reversed(body))
            continue
        if cls is ast.ClassDef:
            index.classes.append(class_fact(node))  # type: ignore[arg-type]
            body = node.body  # type: ignore[attr-defined]
            _elided(body, elided)
            inner = (*scope, node.name)  # type: ignore[attr-defined]
            is_protocol = class_is_protocol(node)  # type: ignore[arg-type]
            extend((s, inner, is_protocol) for s in reversed(body))
            continue
        fields = blocks_of(cls)
        if fields is None:
            fields = _block_fields(cls)
        if not fields:
            continue  # a simple statement
        for block in _blocks(node, fields):
            _elided(block, elided)
            extend((s, scope, protocol) for s in reversed(block))
    index.functions.sort(key=lambda f: (f.line, f.column))
    index.classes.sort(key=lambda c: c.line)
    elided.sort()
    return index


# Statement type -> the fields that hold its blocks of statements ("handlers" and "cases" hold them one
# level down, in each handler's or case's body); () for a statement that holds none.
_BLOCKS: dict[type, tuple[str, ...]] = {kind: () for kind in SIMPLE_STATEMENTS}


def _block_fields(cls: type) -> tuple[str, ...]:
    fields = _BLOCKS[cls] = tuple(
        f
        for f in (*_BODY_FIELDS, "handlers", "cases")
        if f in cls._fields  # type: ignore[attr-defined]
    )
    return fields


def _blocks(node: ast.AST, fields: tuple[str, ...]) -> list[list[ast.stmt]]:
    """The non-empty blocks of statements ``node`` holds, in the order of ``fields``."""
    out = []
    for name in fields:
        value = getattr(node, name, None)
        if not value or type(value) is not list:
            continue
        if name == "handlers" or name == "cases":
            out.extend(part.body for part in value if part.body)
        elif isinstance(value[0], ast.stmt):
            out.append(value)
    return out


class PyModule:
    """A parsed Python file: its tree, or the syntax problem that stops parsing."""

    def __init__(self, file: SourceFile) -> None:
        self.file = file
        self.path = file.path
        self.tree: ast.Module | None = None
        # The index of a code module (facts/astindex.py): its one walk also measures the tree's nesting.
        self.index: ModuleIndex | None = None
        self.syntax: SyntaxProblem | None = None
        # A limit the tree passes (nesting deeper than expcheck judges); the tree is then dropped.
        self.limit: LimitProblem | None = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(file.text, filename=file.path)
            # The tree is kept only once the walk has found it within the limit: nothing reads it before.
            if file.origin == "code":
                from expcheck.facts.astindex import build_index  # astindex imports this module

                self.index = build_index(file.path, tree, MAX_NESTING)
                within = self.index is not None
            else:
                within = tree_within(tree, MAX_NESTING)
            if within:
                self.tree = tree
            else:  # measured again, for the node to point at
                deepest = tree_depth(tree)[1]
                self.limit = LimitProblem(
                    line=getattr(deepest, "lineno", 1),
                    column=getattr(deepest, "col_offset", 0) + 1,
                    message=f"syntax tree nested more than {MAX_NESTING} levels deep (expcheck judges up to "
                    f"{MAX_NESTING})",
                )
        except SyntaxError as exc:
            line = exc.lineno or 1
            column = exc.offset or 1
            # The parser may point one past the last line (unexpected end of file).
            if line > max(len(file.lines), 1):
                line = max(len(file.lines), 1)
                column = len(file.line(line)) + 1
            self.syntax = SyntaxProblem(line=line, column=max(column, 1), message=exc.msg)
        except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
            self.syntax = SyntaxProblem(line=1, column=1, message=f"cannot be parsed: {exc}")

    @cached_property
    def literal_spans(self) -> list[tuple[tuple[int, int], tuple[int, int]]] | None:
        return literal_spans(self.file.text)

    def in_comment_or_string(self, line: int, column0: int) -> bool:
        """Whether the character at (line, 0-based column) lies in a comment or a string literal."""
        spans = self.literal_spans
        if spans is None:
            return True  # cannot tell apart: treat the text as prose
        point = (line, column0)
        return any(start <= point < end for start, end in spans)

    @cached_property
    def _index(self) -> _StatementIndex:
        if self.tree is None:
            return _StatementIndex(functions=[], classes=[], elided=[])
        index = self.index
        if index is None:
            return _index_statements(self.tree)
        # The module's index holds its functions and classes; a bare ``...`` needs its block: walked for.
        elided = _index_statements(self.tree).elided if index.ellipsis else []
        return _StatementIndex(functions=index.function_facts, classes=index.class_facts, elided=elided)

    @cached_property
    def statements(self) -> list[ast.stmt]:
        """All statements of the module, nested ones included, in source order (no expressions)."""
        return iter_statements(self.tree.body) if self.tree is not None else []

    @property
    def elided_statements(self) -> list[tuple[int, int]]:
        """(line, column) of each bare ``...`` statement that stands among other statements of a block."""
        return self._index.elided

    @property
    def classes(self) -> list[ClassFact]:
        return self._index.classes

    @property
    def functions(self) -> list[FunctionFact]:
        return self._index.functions


def iter_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Every statement in ``body`` and in the bodies nested in it (functions and classes included), in order."""
    out: list[ast.stmt] = []
    stack = list(reversed(body))
    pop, extend, append = stack.pop, stack.extend, out.append
    blocks_of = _BLOCKS.get
    while stack:
        node = pop()
        append(node)
        cls = type(node)
        fields = blocks_of(cls)
        if fields is None:
            fields = _block_fields(cls)
        if not fields:
            continue
        blocks = _blocks(node, fields)
        if len(blocks) == 1:
            extend(reversed(blocks[0]))
        elif blocks:
            extend(reversed([s for block in blocks for s in block]))
    return out


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes ``ast.walk(node)`` yields, in the same breadth-first order, without its nested generators."""
    todo = deque([node])
    popleft, append = todo.popleft, todo.append
    fields_of = _WALK_FIELDS.get
    node_type = ast.AST
    while todo:
        node = popleft()
        cls = type(node)
        fields = fields_of(cls)
        if fields is None:
            fields = _walk_fields(cls)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
            elif isinstance(value, node_type):
                append(value)
        yield node


# Node type -> its fields that may hold a node.
_WALK_FIELDS: dict[type, tuple[str, ...]] = {}
# Fields that hold an identifier, a number, a flag or a list of identifiers in every node type that has
# them: never a node (``value`` is one only in Constant and MatchSingleton).
SCALAR_FIELDS = frozenset(
    {"id", "attr", "arg", "asname", "name", "module", "level", "kind", "type_comment", "is_async", "simple"}
    | {"conversion", "kwd_attrs", "rest", "tag", "lineno", "n", "s"}
)


def _walk_fields(cls: type) -> tuple[str, ...]:
    fields: tuple[str, ...] = getattr(cls, "_fields", ())
    if cls is ast.Constant or cls is ast.MatchSingleton:
        fields = ()  # their ``value`` is a Python value, never a node
    fields = _WALK_FIELDS[cls] = tuple(f for f in fields if f not in SCALAR_FIELDS)
    return fields


def literal_spans(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]] | None:
    """(start, end) positions, as (line, column0), of every comment and string token; None if untokenizable."""
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.COMMENT, tokenize.STRING):
                spans.append((token.start, token.end))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return spans
