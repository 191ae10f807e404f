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


def _class_is_protocol(node: ast.ClassDef) -> bool:
    for base in node.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name in ("Protocol", "ABC"):
            return True
    return False


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


def _is_ellipsis(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis


@dataclass
class _StatementIndex:
    """Functions, classes and elided ``...`` statements, from one walk over statements only."""

    functions: list[FunctionFact]
    classes: list[ClassFact]
    elided: list[tuple[int, int]]


def _index_statements(tree: ast.Module) -> _StatementIndex:
    index = _StatementIndex(functions=[], classes=[], elided=[])
    # (statement, enclosing scope names, is the innermost scope a Protocol/ABC class)
    stack: list[tuple[ast.stmt, tuple[str, ...], bool]] = []

    def push_block(block: list[ast.stmt], scope: tuple[str, ...], protocol: bool) -> None:
        if len(block) > 1:
            elided = [s for s in block if _is_ellipsis(s)]
            if elided and _stub_kind(block) is None:
                index.elided.extend((s.lineno, s.col_offset + 1) for s in elided)
        stack.extend((s, scope, protocol) for s in reversed(block))

    push_block(tree.body, (), False)
    while stack:
        node, scope, protocol = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            intentional = protocol or any(_decorator_name(d) in _INTENTIONAL_DECORATORS for d in node.decorator_list)
            index.functions.append(
                FunctionFact(
                    name=node.name,
                    qualname=".".join([*scope, node.name]),
                    line=node.lineno,
                    column=node.col_offset + 1,
                    stub=_stub_kind(node.body),
                    intentional_stub=intentional,
                )
            )
            push_block(node.body, (*scope, node.name), False)
            continue
        if isinstance(node, ast.ClassDef):
            bases = tuple(
                b.attr if isinstance(b, ast.Attribute) else b.id
                for b in node.bases
                if isinstance(b, ast.Attribute | ast.Name)
            )
            methods = frozenset(n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))
            index.classes.append(ClassFact(name=node.name, line=node.lineno, bases=bases, methods=methods))
            push_block(node.body, (*scope, node.name), _class_is_protocol(node))
            continue
        if type(node) in SIMPLE_STATEMENTS:
            continue
        for field in _BODY_FIELDS:
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                push_block(block, scope, protocol)
        for handler in getattr(node, "handlers", ()):  # try/except
            push_block(handler.body, scope, protocol)
        for case in getattr(node, "cases", ()):  # match
            push_block(case.body, scope, protocol)
    index.functions.sort(key=lambda f: (f.line, f.column))
    index.classes.sort(key=lambda c: c.line)
    index.elided.sort()
    return index


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
        return _index_statements(self.tree)

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
    while stack:
        node = stack.pop()
        out.append(node)
        if type(node) in SIMPLE_STATEMENTS:
            continue
        nested: list[ast.stmt] = []
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list):
                nested.extend(s for s in block if isinstance(s, ast.stmt))
        for handler in getattr(node, "handlers", ()):
            nested.extend(handler.body)
        for case in getattr(node, "cases", ()):
            nested.extend(case.body)
        stack.extend(reversed(nested))
    return out


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes ``ast.walk(node)`` yields, in the same breadth-first order, without its nested generators."""
    todo = deque([node])
    while todo:
        node = todo.popleft()
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        todo.append(item)
        yield node


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
