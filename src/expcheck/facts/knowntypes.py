"""Attribute accesses on values whose Python type the code alone makes certain.

A value's type is certain when it comes from a literal (``0.9``, ``"x"``, ``[...]``, f-strings), from a
builtin constructor that always returns its own type (``float(x)``, ``str(x)``, ``len(x)``), from
``open()`` / ``Path.open()`` with a literal mode, or from a str method that returns str. A local
name has a certain type when every binding of it in its scope gives that same type (parameters
only when the annotation says ``Path``, or when every call of a module-private function passes the
same certain type, directly or through ``threading.Thread(target=..., args=...)``).

The fact lists every ``x.attr`` whose receiver has such a type; rules decide which attributes the
type lacks. Nothing here runs submission code.
"""

from __future__ import annotations

import ast
import io
import pathlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice, repeat
from typing import NamedTuple

from expcheck.facts import Facts
from expcheck.facts.astindex import ModuleIndex, index_of
from expcheck.facts.linespans import mention_lines, spans
from expcheck.facts.python import SCALAR_FIELDS, PyModule
from expcheck.facts.semantic import FUNCTION, NameScope, SemanticModel, dotted_name, qualified_name
from expcheck.facts.sourcetext import constant_text, source_text

# Constructors that always return an instance of exactly this type (or raise).
_CONSTRUCTORS: dict[str, type] = {
    "float": float,
    "int": int,
    "str": str,
    "bytes": bytes,
    "list": list,
    "dict": dict,
    "set": set,
    "tuple": tuple,
    "frozenset": frozenset,
    "len": int,
    "repr": str,
    "format": str,
    "chr": str,
    "ord": int,
    "hex": str,
    "oct": str,
    "bin": str,
    "sorted": list,
}
_STR_TO_STR = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "replace", "format", "title", "capitalize", "casefold"}
    | {"zfill", "center", "ljust", "rjust", "join", "removeprefix", "removesuffix", "swapcase"}
)
_STR_TO_LIST = frozenset({"split", "rsplit", "splitlines"})
_PATH_TO_PATH = frozenset({"resolve", "absolute", "expanduser", "with_suffix", "with_name", "with_stem", "joinpath"})
_GUARD_CALLS = frozenset({"hasattr", "isinstance", "getattr", "type", "callable"})
_CATCHES_ATTRIBUTE = frozenset({"AttributeError", "Exception", "BaseException"})
_THREAD_CLASSES = frozenset({"Thread", "Process"})
# The callee name of a call on a freshly constructed value, as the AST index writes it:
# ``float().atanh`` for ``float(m).atanh()``, ``pathlib.Path().mkdirs`` for ``Path(p).mkdirs()``.
_CONSTRUCTED_CALL = re.compile(r"^(" + "|".join(sorted(_CONSTRUCTORS)) + r"|pathlib\.Path)\(\)\.(\w+)")


@dataclass(frozen=True)
class TypedAttribute:
    """``receiver.attr`` where the receiver's type is certain."""

    path: str
    line: int
    column: int
    attr: str
    type_: type
    receiver: str  # the receiver as written
    origin: str  # why its type is known: "float(...)", "open(..., 'wb')", ...


class _Typed(NamedTuple):
    """A certain type and why it is known (a named tuple: one is made per typed expression, where a frozen
    dataclass costs several times more to build)."""

    type_: type
    origin: str
    # False for a parameter typed only by its annotation: a caller may pass something else (a str for a
    # Path), so attributes are not judged on it; what its methods return is certain once they ran.
    certain: bool = True


_LITERALS: dict[type, _Typed] = {
    ast.JoinedStr: _Typed(str, "an f-string"),
    ast.List: _Typed(list, "a list"),
    ast.ListComp: _Typed(list, "a list"),
    ast.Dict: _Typed(dict, "a dict"),
    ast.DictComp: _Typed(dict, "a dict"),
    ast.Set: _Typed(set, "a set"),
    ast.SetComp: _Typed(set, "a set"),
    ast.Tuple: _Typed(tuple, "a tuple"),
}


# The expressions ``expr_type`` can type with no scope: a constant, a literal, a %-format or ``/``, a call.
_TYPED_KINDS = frozenset({ast.Constant, ast.BinOp, ast.Call, *_LITERALS})


def _file_type(mode: str, buffering_given: bool) -> _Typed | None:
    if buffering_given:
        return None
    if "b" not in mode:
        return _Typed(io.TextIOWrapper, f"open(..., {mode!r})")
    if "+" in mode:
        return _Typed(io.BufferedRandom, f"open(..., {mode!r})")
    kind = io.BufferedReader if "r" in mode else io.BufferedWriter
    return _Typed(kind, f"open(..., {mode!r})")


def _mode_of(call: ast.Call, position: int) -> str | None:
    """The literal mode of an open() call (positional ``position`` or ``mode=``); "r" when not given."""
    for kw in call.keywords:
        if kw.arg == "mode":
            return kw.value.value if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str) else None
        if kw.arg is None:
            return None
    if len(call.args) > position:
        arg = call.args[position]
        return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
    if any(isinstance(a, ast.Starred) for a in call.args):
        return None
    return "r"


class _Types:
    """The narrow type inference of one module, a layer over its semantic model (facts/semantic.py)."""

    def __init__(self, parsed: PyModule, model: SemanticModel) -> None:
        assert parsed.tree is not None
        self.parsed = parsed
        self.tree = parsed.tree
        self.path = parsed.path
        self.model = model
        # Names other modules mention: a function they might call is not module-private.
        self.foreign_names: frozenset[str] = frozenset()
        self.param_types: dict[tuple[int, str], _Typed] = {}
        self._cache: dict[tuple[int, str], _Typed | None] = {}
        self._busy: set[tuple[int, str]] = set()

    def shadowed(self, name: str, scope: NameScope) -> bool:
        """Whether ``name`` at ``scope`` means a binding of the module rather than a builtin (or some
        function declares it ``global``/``nonlocal``, so assignments elsewhere may change it)."""
        return scope.owner(name) is not None or name in self.model.declared

    # ---- expression types ---------------------------------------------------------------

    def expr_type(self, node: ast.expr, scope: NameScope | None) -> _Typed | None:
        """The certain type of ``node`` in ``scope``; with no scope, the type it has if names mean what
        they usually do (no shadowing, local names unknown): the screen's quick guess."""
        kind = type(node)  # the parser makes no subclasses of its node types
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            if isinstance(value, bool) or value is None or value is Ellipsis:
                return None
            return _Typed(type(value), constant_text(value)[:20])
        literal = _LITERALS.get(kind)
        if literal is not None:
            return literal
        if kind is ast.Name:
            return self.name_type(node.id, scope) if scope is not None else None  # type: ignore[attr-defined]
        if kind is ast.BinOp:
            return self._binop_type(node, scope)  # type: ignore[arg-type]
        if kind is ast.Call:
            return self._call_type(node, scope)  # type: ignore[arg-type]
        return None

    def guess_type(self, node: ast.expr) -> type | None:
        """``expr_type(node, None)``'s type (the screen's quick guess), read straight off the commonest
        shapes (a literal, a name, an attribute, a method called on one of those) without building the
        answer's origin."""
        kind = type(node)
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            return None if isinstance(value, bool) or value is None or value is Ellipsis else type(value)
        literal = _LITERALS.get(kind)
        if literal is not None:
            return literal.type_
        if kind is ast.Call:
            func = node.func  # type: ignore[attr-defined]
            if type(func) is ast.Attribute and func.attr != "Path" and type(func.value) not in _TYPED_KINDS:
                return None  # ``x.method(...)``: x has no type without a scope, so neither has the call
        elif kind is not ast.BinOp:
            return None  # a name means nothing without a scope; any other expression has no certain type
        found = self.expr_type(node, None)
        return found.type_ if found is not None else None

    def _binop_type(self, node: ast.BinOp, scope: NameScope | None) -> _Typed | None:
        op = type(node.op)
        if op is ast.Mod:
            left = self.expr_type(node.left, scope)
            return _Typed(str, "a %-formatted string") if left is not None and left.type_ is str else None
        if op is ast.Div:
            left = self.expr_type(node.left, scope)
            if left is not None and left.type_ is pathlib.Path:
                return _Typed(pathlib.Path, left.origin)
        return None

    def _call_type(self, node: ast.Call, scope: NameScope | None) -> _Typed | None:
        func = node.func
        # ``pathlib.Path`` as the callee resolves through the visible imports (a chain must end in ``Path``).
        if isinstance(func, ast.Name):
            if (scope or self.model.root).visible.get(func.id, func.id) == "pathlib.Path":
                return _Typed(pathlib.Path, f"{func.id}(...)")
        elif (
            isinstance(func, ast.Attribute)
            and func.attr == "Path"
            and qualified_name(func, (scope or self.model.root).visible) == "pathlib.Path"
        ):
            return _Typed(pathlib.Path, f"{dotted_name(func)}(...)")
        if isinstance(func, ast.Name):
            if scope is not None and self.shadowed(func.id, scope):
                return None
            if func.id == "open":
                mode = _mode_of(node, 1)
                return _file_type(mode, any(k.arg == "buffering" for k in node.keywords)) if mode else None
            made = _CONSTRUCTORS.get(func.id)
            return _Typed(made, f"{func.id}(...)") if made is not None else None
        if not isinstance(func, ast.Attribute):
            return None
        owner = self.expr_type(func.value, scope)
        if owner is None:
            return None
        if owner.type_ is str and func.attr in _STR_TO_STR:
            return _Typed(str, f"str.{func.attr}(...)")
        if owner.type_ is str and func.attr in _STR_TO_LIST:
            return _Typed(list, f"str.{func.attr}(...)")
        if owner.type_ is str and func.attr == "encode":
            return _Typed(bytes, "str.encode(...)")
        if owner.type_ is pathlib.Path and func.attr in _PATH_TO_PATH:
            return _Typed(pathlib.Path, owner.origin)
        if owner.type_ is pathlib.Path and func.attr == "open":
            mode = _mode_of(node, 0)
            return _file_type(mode, any(k.arg == "buffering" for k in node.keywords)) if mode else None
        return None

    # ---- name types -----------------------------------------------------------------------

    def name_type(self, name: str, scope: NameScope) -> _Typed | None:
        key = (id(scope), name)
        if key in self._cache:
            return self._cache[key]
        if key in self._busy:
            return None
        self._busy.add(key)
        try:
            found = self._name_type(name, scope)
        finally:
            self._busy.discard(key)
        self._cache[key] = found
        return found

    def _name_type(self, name: str, scope: NameScope) -> _Typed | None:
        """The one type every binding of ``name`` in ``scope`` gives it (a closure or module-level name
        is looked up where it is bound); None when a binding's type is unknown or they differ."""
        if scope.declares(name):
            return None
        if not scope.binds(name):
            outer = next(islice(scope.enclosing(), 1, None), None)
            if outer is None or name in self.model.declared:
                return None
            return self.name_type(name, outer)
        if name in self.model.declared and scope.parent is None:
            return None
        types: list[_Typed] = []
        if name in scope.params:
            param = self._param_type(name, scope)
            if param is None:
                return None
            types.append(param)
        for node in scope.bindings.get(name, []):
            if isinstance(node, ast.AnnAssign) and node.value is None:
                continue  # ``x: T`` alone gives no value
            typed = self._binding_type(node, scope)
            if typed is None:
                return None
            types.append(typed)
        if not types or any(t.type_ is not types[0].type_ for t in types):
            return None
        return types[0]

    def _binding_type(self, node: ast.AST, scope: NameScope) -> _Typed | None:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            return self.expr_type(node.value, scope)
        if isinstance(node, ast.NamedExpr):
            return self.expr_type(node.value, scope)
        if isinstance(node, ast.withitem):
            typed = self.expr_type(node.context_expr, scope)
            # A file object's __enter__ returns the file itself.
            return typed if typed is not None and issubclass(typed.type_, io.IOBase) else None
        return None

    def _param_type(self, name: str, scope: NameScope) -> _Typed | None:
        func = scope.node
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        arg = next((a for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs] if a.arg == name), None)
        if arg is None:
            return None  # *args or **kwargs
        ann = arg.annotation
        # An annotation is read in the scope around the def.
        if ann is not None and qualified_name(ann, (scope.parent or scope).visible) == "pathlib.Path":
            return _Typed(pathlib.Path, "a Path parameter", certain=False)
        return self.param_types.get((id(func), name))


# Fields that never hold a node the walks below look at: expression contexts, operators and plain values.
_NOT_CHILDREN = frozenset({"ctx", "op", "ops"}) | SCALAR_FIELDS
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes(node)`` as a list, in its order, less the expression contexts and operators
    (``Load``, ``Add``, ...: no position, no children, never a name, call or attribute)."""
    cls = type(node)
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(f for f in cls._fields if f not in _NOT_CHILDREN)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if type(value) is list:
            out.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


# Statements whose bodies are scopes of their own (their decorators and bases belong to the scope around),
# and the expressions that are scopes of their own: the walks below do not descend into them.
_DEFINITIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
_OWN_SCOPES = frozenset({ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp})


def _own_nodes(body: list[ast.stmt], lines: list[int] | None) -> Iterator[ast.AST]:
    """Every node of a scope's body that may stand on one of ``lines`` (sorted), not descending into
    nested functions, classes, lambdas or comprehensions; a subtree off those lines is skipped whole.
    (Expression contexts and operators are left out: see ``_children``.)"""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        if not spans(node, lines):
            continue
        yield node
        kind = type(node)
        if kind in _DEFINITIONS:
            stack.extend(reversed([*node.decorator_list, *getattr(node, "bases", [])]))  # type: ignore[attr-defined]
            continue
        if kind in _OWN_SCOPES:
            continue
        children = _children(node)
        children.reverse()
        stack.extend(children)


def _body(scope: NameScope) -> list[ast.stmt]:
    return scope.node.body  # type: ignore[attr-defined,no-any-return]


# The nodes ``_guarded`` looks at: a try, or a node with a ``test`` (the only node types that have one).
_GUARDS = frozenset({ast.Try, ast.TryStar, ast.If, ast.While, ast.IfExp, ast.Assert})


def _guarded(parents: tuple[ast.AST, ...], receiver: str) -> bool:
    """Whether an enclosing try catches AttributeError, or an enclosing test inspects the receiver
    (``parents``: the enclosing nodes; only those in ``_GUARDS`` can answer)."""
    for node in parents:
        if isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                if handler.type is None:
                    return True
                types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                if any(getattr(t, "id", getattr(t, "attr", "")) in _CATCHES_ATTRIBUTE for t in types):
                    return True
        test = getattr(node, "test", None)
        if isinstance(test, ast.expr):
            for sub in ast.walk(test):
                inspects = isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in _GUARD_CALLS
                if inspects and any(isinstance(a, ast.Name) and a.id == receiver for a in sub.args):  # type: ignore[attr-defined]
                    return True
    return False


def _infer_private_params(module: _Types, scopes: list[NameScope], names: frozenset[str]) -> None:
    """Parameter types of the module-private functions ``names`` whose every use is a call passing one
    certain type; ``scopes`` must hold every scope that mentions them.

    A use is a direct call ``f(...)`` or ``Thread(target=f, args=(...))``; any other mention of ``f`` (passed
    as a value, decorated, named by another module) leaves its parameters unknown.
    """
    top = {
        node.name: node
        for node in module.tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name in names
        and len(module.model.root.bindings.get(node.name, [])) == 1
    }
    uses: dict[str, list[tuple[ast.Call, bool, NameScope]]] = {name: [] for name in top}
    accounted: set[int] = set()  # the Name nodes that are such uses
    loads: list[ast.Name] = []
    lines = mention_lines(module.parsed.file, names)  # as the parser counts them
    for scope in scopes:
        for node in _own_nodes(_body(scope), lines):
            if isinstance(node, ast.Name) and node.id in top and isinstance(node.ctx, ast.Load):
                loads.append(node)
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id in top:
                uses[node.func.id].append((node, False, scope))
                accounted.add(id(node.func))
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if callee in _THREAD_CLASSES:
                for kw in node.keywords:
                    if kw.arg == "target" and isinstance(kw.value, ast.Name) and kw.value.id in top:
                        uses[kw.value.id].append((node, True, scope))
                        accounted.add(id(kw.value))
    escaped = {node.id for node in loads if id(node) not in accounted}
    for name, func in top.items():
        if name in escaped or name in module.foreign_names or not uses[name] or func.decorator_list:
            continue
        args = func.args
        if args.vararg or args.kwarg or args.posonlyargs or args.kwonlyargs:
            continue
        params = [a.arg for a in args.args]
        per_param: dict[str, list[_Typed | None]] = {p: [] for p in params}
        for call, threaded, scope in uses[name]:
            positional, keywords = _arguments(call, threaded)
            if positional is None or keywords is None or len(positional) > len(params):
                break
            given = dict(zip(params, positional, strict=False)) | keywords
            for p in params:
                per_param[p].append(module.expr_type(given[p], scope) if p in given else None)
        else:
            for p, typed in per_param.items():
                first = typed[0] if typed else None
                if first is not None and all(t is not None and t.type_ is first.type_ for t in typed):
                    module.param_types[(id(func), p)] = _Typed(first.type_, f"{first.origin}, passed by every caller")


def _arguments(call: ast.Call, threaded: bool) -> tuple[list[ast.expr] | None, dict[str, ast.expr] | None]:
    """The positional and keyword argument expressions a call (or a Thread(target=, args=)) passes."""
    if not threaded:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return None, None
        return list(call.args), {k.arg: k.value for k in call.keywords if k.arg is not None}
    positional: list[ast.expr] = []
    keywords: dict[str, ast.expr] = {}
    for kw in call.keywords:
        if kw.arg == "args":
            if not isinstance(kw.value, ast.Tuple | ast.List):
                return None, None
            positional = list(kw.value.elts)
        elif kw.arg == "kwargs":
            if not isinstance(kw.value, ast.Dict) or any(k is None for k in kw.value.keys):
                return None, None
            for key, value in zip(kw.value.keys, kw.value.values, strict=True):
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    return None, None
                keywords[key.value] = value
    if any(isinstance(a, ast.Starred) for a in positional):
        return None, None
    return positional, keywords


@dataclass(frozen=True)
class _Screen:
    lines: frozenset[int]  # lines where a typed receiver may be asked for an attribute its type lacks
    # Functions run as thread/process targets, and the lines that mention them: their parameters get
    # their types from the callers, so those lines' scopes are analysed too.
    targets: frozenset[str] = frozenset()
    mentions: frozenset[int] = frozenset()


def _guessed_names(module: _Types) -> dict[str, set[type]]:
    """The types each name is bound to anywhere in the module, as far as ``guess_type`` tells them, in
    statement order (``y = x`` after ``x = []`` takes x's one type)."""
    typed: dict[str, set[type]] = {}
    guess = module.guess_type
    Assign, AnnAssign, With, AsyncWith, Name = ast.Assign, ast.AnnAssign, ast.With, ast.AsyncWith, ast.Name
    for stmt in module.parsed.statements:
        statement = type(stmt)
        if statement is Assign or statement is AnnAssign:
            value = stmt.value  # type: ignore[attr-defined]
            if value is None:
                continue
            targets = stmt.targets if statement is Assign else [stmt.target]  # type: ignore[attr-defined]
            names = [target.id for target in targets if type(target) is Name]
            if not names:
                continue  # binds no name: nothing to note
            kind = guess(value)
            if kind is None and type(value) is Name and len(typed.get(value.id, ())) == 1:
                kind = next(iter(typed[value.id]))  # ``y = x`` after ``x = []``
            if kind is not None:
                for name in names:
                    typed.setdefault(name, set()).add(kind)
        elif statement is With or statement is AsyncWith:
            for item in stmt.items:  # type: ignore[attr-defined]
                if isinstance(item.optional_vars, Name):
                    kind = guess(item.context_expr)
                    if kind is not None:
                        typed.setdefault(item.optional_vars.id, set()).add(kind)
    return typed


def _screen(module: _Types, index: ModuleIndex) -> _Screen:
    """A cheap screen for the calls worth the scope-aware analysis, from facts other rules build anyway.

    A line is a candidate when a call there asks a name bound somewhere in the module to a literal, a
    builtin constructor, a Path or an opened file for an attribute that type lacks
    (``log_file.buffer.write``), or asks such a constructor call directly (``float(x).atanh()``). Only
    the scopes holding candidate lines are analysed: walking every tree in full would cost more than
    the rest of the check. (Attribute reads outside calls are not screened in, a deliberate trade.)
    """
    typed = _guessed_names(module)
    lines: set[int] = set()
    targets: set[str] = set()
    for call in index.calls:
        name = call.name
        constructed = _CONSTRUCTED_CALL.match(name) if "()." in name else None
        if constructed is not None:
            kind = _CONSTRUCTORS.get(constructed.group(1), pathlib.Path)
            if not hasattr(kind, constructed.group(2)):
                lines.add(call.line)
            continue
        if not typed:
            continue
        head, _, rest = name.partition(".")
        kinds = typed.get(head)
        if kinds and rest:
            attr = rest.split(".", 1)[0].removesuffix("()")
            if any(not hasattr(kind, attr) for kind in kinds):
                lines.add(call.line)
        if call.attr in _THREAD_CLASSES:
            target = call.keyword("target")
            if isinstance(target, ast.Name):
                targets.add(target.id)
    if not targets:
        return _Screen(frozenset(lines))
    # Lines as the parser counts them (a lone carriage return ends a line too); a name spelled with other
    # identifier characters is not searched for, as before.
    mentions = frozenset(mention_lines(module.parsed.file, targets, checked=True) or ())
    return _Screen(frozenset(lines), frozenset(targets), mentions)


def typed_attributes(facts: Facts) -> list[TypedAttribute]:
    """Every attribute access (read or write) on a receiver of certain type on a line the screen keeps."""
    out: list[TypedAttribute] = []
    modules = {path: m for path, m in facts.python.items() if m.tree is not None}
    for path, parsed in sorted(modules.items()):
        assert parsed.tree is not None
        index = index_of(facts, path)
        if index is None:
            continue
        module = _Types(parsed, index.model)
        screen = _screen(module, index)
        if not screen.lines and not screen.targets:
            continue
        if screen.targets:
            others = " ".join(m.file.text for p, m in modules.items() if p != path)
            module.foreign_names = frozenset(name for name in screen.targets if name in others)
        scopes = _scopes_for(module, screen.lines | screen.mentions)
        wanted = set(screen.lines)
        if screen.targets:
            _infer_private_params(module, scopes, screen.targets)
            for scope in scopes:
                func = scope.node
                if scope.kind == FUNCTION and func.name in screen.targets:  # type: ignore[attr-defined]
                    wanted.update(range(func.lineno, (func.end_lineno or func.lineno) + 1))  # type: ignore[attr-defined]
        lines = sorted(wanted)
        for scope in scopes:
            out.extend(a for a in _accesses(module, scope, lines) if a.line in wanted)
    return out


def _scopes_for(module: _Types, lines: frozenset[int]) -> list[NameScope]:
    """The module scope and every function scope (methods included) whose span holds one of ``lines``."""
    found = [module.model.root]
    for scope in module.model.scopes:
        if scope.kind == FUNCTION:
            first, last = scope.node.lineno, scope.node.end_lineno or scope.node.lineno  # type: ignore[attr-defined]
            if any(first <= line <= last for line in lines):
                found.append(scope)
    return found


def _accesses(module: _Types, scope: NameScope, lines: list[int]) -> Iterator[TypedAttribute]:
    """The typed attribute accesses of ``scope``'s own body that may stand on ``lines`` (sorted).

    Each node is walked with the enclosing nodes that may guard it (``_GUARDS``, outermost first)."""
    stack: list[tuple[ast.AST, tuple[ast.AST, ...]]] = [(node, ()) for node in reversed(_body(scope))]
    while stack:
        node, parents = stack.pop()
        if not spans(node, lines):
            continue
        kind = type(node)
        if kind in _DEFINITIONS or kind in _OWN_SCOPES:
            continue
        if kind is ast.Attribute:
            receiver = node.value
            typed = module.expr_type(receiver, scope)
            name = receiver.id if isinstance(receiver, ast.Name) else ""
            if typed is not None and typed.certain and not _guarded(parents, name):
                yield TypedAttribute(
                    path=module.path,
                    line=node.lineno,
                    column=node.col_offset + 1,
                    attr=node.attr,
                    type_=typed.type_,
                    receiver=source_text(receiver)[:60],
                    origin=typed.origin,
                )
        inner = (*parents, node) if kind in _GUARDS else parents
        children = _children(node)
        children.reverse()
        stack.extend(zip(children, repeat(inner)))
