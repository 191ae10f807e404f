"""Where the code chooses a path by a config value (the method, the dataset), and which values it knows.

A *dispatch* is an ``if``/``elif`` chain comparing a selector — an expression reading config key
``method``/``dataset`` (``cfg.method``, ``cfg.dataset.name``, ``run_cfg["method"]``, a local
variable holding one, through ``.lower()``/``str()``) — with string literals, or a lookup of the
selector in a dict literal. The fact records the literals and what happens to a value matching none
of them: an exception (``else: raise``, a KeyError from ``MAPPING[value]``) or a default path.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.astindex import Outline, code_modules, const_str
from expcheck.facts.outlines import outline_from_index
from expcheck.facts.python import SIMPLE_STATEMENTS

_UNWRAP_CALLS = frozenset({"lower", "upper", "strip", "casefold", "replace", "str", "get"})


@dataclass(frozen=True)
class Dispatch:
    path: str
    line: int
    function: str
    key: str  # the config key selected on ("method", "dataset")
    literals: tuple[str, ...]
    # What a value matching no literal gets: "raise" (an exception), "default" (some other code path).
    fallback: str
    kind: str  # "if" or "mapping"


def normalize(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def same_name(configured: str, literal: str) -> bool:
    """Loose equality of a configured value and a literal in the code (case, punctuation, org/ prefix)."""
    a, b = normalize(configured), normalize(literal)
    if not a or not b:
        return False
    if a == b:
        return True
    tail = normalize(configured.rsplit("/", 1)[-1])
    return tail == b or normalize(literal.rsplit("/", 1)[-1]) == a


def matches(configured: str, literal: str) -> bool:
    """Whether a dispatch literal (``"x"``, prefix ``"x*"``, substring ``"*x*"``) accepts the configured value."""
    if literal.startswith("*") and literal.endswith("*") and len(literal) > 2:
        return normalize(literal[1:-1]) in normalize(configured)
    if literal.endswith("*"):
        return normalize(configured).startswith(normalize(literal[:-1]))
    return same_name(configured, literal)


def _unwrap(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _UNWRAP_CALLS:
            if func.attr == "get" and node.args and const_str(node.args[0]) is not None:
                return node  # cfg.get("method") is itself a selector read
            node = func.value
        elif isinstance(func, ast.Name) and func.id == "str" and node.args:
            node = node.args[0]
        else:
            break
    return node


def _reads_key(node: ast.expr, key: str) -> bool:
    """``x.key``, ``x.key.name``, ``x["key"]``, ``x.get("key")`` (and ``.type``/``.id`` under it)."""
    node = _unwrap(node)
    if isinstance(node, ast.Attribute) and node.attr == "name":
        inner = _unwrap(node.value)
        if _direct_key(inner, key):
            return True
    return _direct_key(node, key)


def _direct_key(node: ast.expr, key: str) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == key
    if isinstance(node, ast.Subscript):
        return const_str(node.slice) == key
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return bool(node.args) and const_str(node.args[0]) == key
    return False


def _selector_names(fn: _Fn, key: str) -> set[str]:
    names = set()
    for name, values in fn.assigns.items():
        if any(_reads_key(v, key) for v in values):
            names.add(name)
    for param in fn.params:
        if param == key or param in (f"{key}_name", f"{key}_type", f"{key}_key"):
            names.add(param)
    return names


def is_selector(node: ast.expr, key: str, names: set[str]) -> bool:
    inner = _unwrap(node)
    if isinstance(inner, ast.Name):
        return inner.id in names
    return _reads_key(inner, key)


def _literals(node: ast.expr) -> list[str] | None:
    text = const_str(node)
    if text is not None:
        return [text]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        found = [const_str(e) for e in node.elts]
        return [t for t in found if t is not None] if all(t is not None for t in found) else None
    return None


def _test_literals(test: ast.expr, key: str, names: set[str]) -> list[str] | None:
    """Literals a test compares the selector with (``sel == "a"``, ``sel in {...}``, ``or`` of those)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        out: list[str] = []
        for value in test.values:
            part = _test_literals(value, key, names)
            if part is None:
                return None
            out.extend(part)
        return out
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq | ast.In):
        left, right = test.left, test.comparators[0]
        if is_selector(left, key, names):
            return _literals(right)
        if is_selector(right, key, names):
            found = _literals(left)
            if found is None:
                return None
            return found if isinstance(test.ops[0], ast.Eq) else [f"*{t}*" for t in found]
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "startswith"
        and is_selector(test.func.value, key, names)
        and test.args
    ):
        found = _literals(test.args[0])
        return [f"{t}*" for t in found] if found is not None else None
    return None


def _raises(block: list[ast.stmt]) -> bool:
    return bool(block) and any(isinstance(s, ast.Raise) for s in block[:2]) and len(block) <= 2


def _terminates(block: list[ast.stmt]) -> bool:
    return bool(block) and isinstance(block[-1], ast.Return | ast.Raise | ast.Continue | ast.Break)


def _chain(stmt: ast.If, key: str, names: set[str], inner: set[int]) -> tuple[list[str], str, bool] | None:
    """(literals, fallback, every branch ends the block) of an if/elif chain on the selector; None if not one."""
    literals: list[str] = []
    node: ast.If = stmt
    all_end = True
    while True:
        part = _test_literals(node.test, key, names)
        if part is None:
            return None
        literals.extend(part)
        all_end = all_end and _terminates(node.body)
        orelse = node.orelse
        if len(orelse) == 1 and isinstance(orelse[0], ast.If):
            inner.add(id(orelse[0]))
            node = orelse[0]
            continue
        if not orelse:
            return literals, "default", all_end
        return literals, "raise" if _raises(orelse) else "default", False


@dataclass
class _Fn:
    """A function (or the module body) as the dispatch analysis sees it: statements, not expressions."""

    qualname: str
    node: ast.AST
    params: tuple[str, ...]
    assigns: dict[str, list[ast.expr]]
    # Whether one of its own statements (``_own_statements``) is an ``if``.
    has_if: bool
    # Its own statements whose first line holds a "[", with the expressions a lookup in them may stand
    # in and that line: the only ones that can look a value up in a mapping.
    bracketed: list[tuple[ast.stmt, list[ast.AST], str]]


_NESTED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})


def _own_statements(node: ast.AST) -> list[ast.stmt]:
    """Statements of a function or module, nested blocks included, nested functions and classes left out."""
    out: list[ast.stmt] = []
    stack = list(getattr(node, "body", []))
    while stack:
        stmt = stack.pop()
        kind = type(stmt)
        if kind in _NESTED:
            continue
        out.append(stmt)
        if kind in SIMPLE_STATEMENTS:
            continue
        for field_name in ("body", "orelse", "finalbody"):
            stack.extend(getattr(stmt, field_name, None) or [])
        for handler in getattr(stmt, "handlers", None) or []:
            stack.extend(handler.body)
    return out


def _functions(outline: Outline, lines: list[str]) -> list[_Fn]:
    out = []
    for qual, node in [("", outline.tree), *outline.functions]:
        assigns: dict[str, list[ast.expr]] = {}
        has_if = False
        bracketed: list[tuple[ast.stmt, list[ast.AST], str]] = []
        for stmt in _own_statements(node):
            kind = type(stmt)
            if kind is ast.If:
                has_if = True
            elif (kind is ast.Assign or kind is ast.AnnAssign) and stmt.value is not None:  # type: ignore[attr-defined]
                targets = stmt.targets if kind is ast.Assign else [stmt.target]  # type: ignore[attr-defined]
                for target in targets:
                    if isinstance(target, ast.Name):
                        assigns.setdefault(target.id, []).append(stmt.value)  # type: ignore[attr-defined]
            if kind is ast.With or kind is ast.Try:
                continue
            text = lines[stmt.lineno - 1] if 0 < stmt.lineno <= len(lines) else ""
            if "[" in text:
                part = getattr(stmt, "test", None) or getattr(stmt, "iter", None) or stmt
                bracketed.append((stmt, [part if kind in (ast.If, ast.For, ast.While) else stmt], text))
        params: tuple[str, ...] = ()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            params = tuple(p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs))
        out.append(_Fn(qual, node, params, assigns, has_if, bracketed))
    return out


def _functions_cache(facts: Facts) -> dict[str, list[_Fn]]:
    return {}


def _module_functions(facts: Facts, outline: Outline) -> list[_Fn]:
    """``_functions`` of a module, once per check (the method and the dataset dispatches read the same)."""
    cache = facts.derived(_functions_cache)
    found = cache.get(outline.path)
    if found is None:
        found = cache[outline.path] = _functions(outline, facts.files[outline.path].lines)
    return found


def _if_chains(path: str, fn: _Fn, key: str, names: set[str]) -> list[Dispatch]:
    found: list[Dispatch] = []
    if not fn.has_if:
        return found
    blocks: list[list[ast.stmt]] = [list(getattr(fn.node, "body", []))]
    inner: set[int] = set()
    while blocks:
        block = blocks.pop()
        # Consecutive `if selector == a: return ...` statements are one dispatch with all their literals:
        # `if m == "a": return A` / `if m == "b": return B` / `raise ...` knows both a and b.
        run: list[str] = []
        run_start: ast.If | None = None
        for position, stmt in enumerate(block):
            kind = type(stmt)
            if kind in _NESTED or kind in SIMPLE_STATEMENTS:
                continue  # nested scopes are functions of their own; simple statements hold no block
            if kind is ast.If and id(stmt) not in inner:
                chain = _chain(stmt, key, names, inner)
                if chain is not None:
                    literals, fallback, all_end = chain
                    following = block[position + 1] if position + 1 < len(block) else None
                    if fallback == "default" and all_end:
                        run_start = run_start or stmt
                        run.extend(literals)
                        if isinstance(following, ast.If) and _chain(following, key, names, set()) is not None:
                            continue  # the next statement continues this dispatch
                        fallback = "raise" if isinstance(following, ast.Raise) else "default"
                        found.append(Dispatch(path, run_start.lineno, fn.qualname, key, tuple(run), fallback, "if"))
                        run, run_start = [], None
                    else:
                        if run_start is not None:  # the run before this chain ends here, with no raise after it
                            found.append(
                                Dispatch(path, run_start.lineno, fn.qualname, key, tuple(run), "default", "if")
                            )
                            run, run_start = [], None
                        found.append(Dispatch(path, stmt.lineno, fn.qualname, key, tuple(literals), fallback, "if"))
            for field_name in ("body", "orelse", "finalbody"):
                child = getattr(stmt, field_name, None)
                if child:
                    blocks.append(child)
            for handler in getattr(stmt, "handlers", []):
                blocks.append(handler.body)
    return found


def _dict_keys(fn: _Fn, module: _Fn, node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Name):
        values = fn.assigns.get(node.id) or module.assigns.get(node.id) or []
        node = values[0] if len(values) == 1 else node
    if isinstance(node, ast.Dict) and node.keys and all(k is not None for k in node.keys):
        keys = [const_str(k) for k in node.keys if k is not None]
        return [k for k in keys if k is not None] if all(k is not None for k in keys) else None
    return None


def _mappings(path: str, fn: _Fn, module: _Fn, key: str, names: set[str]) -> list[Dispatch]:
    found = []
    words = (key, *names)
    for _stmt, parts, text in fn.bracketed:
        if not any(w in text for w in words):
            continue
        for part in parts:
            for node in ast.walk(part):
                if isinstance(node, ast.Subscript) and is_selector(node.slice, key, names):
                    keys = _dict_keys(fn, module, node.value)
                    if keys:
                        found.append(Dispatch(path, node.lineno, fn.qualname, key, tuple(keys), "raise", "mapping"))
    return found


def _uses(key: str, text: str) -> bool:
    """Whether ``text`` can hold a comparison or lookup on ``key`` (a cheap filter before any tree is read)."""
    return key in text and ("==" in text or " in " in text or "[" in text)


def dispatches(facts: Facts, key: str) -> list[Dispatch]:
    """Every dispatch on config key ``key`` in the generated code."""
    return facts.derived(_DISPATCH_FACTS[key]) if key in _DISPATCH_FACTS else _dispatches(facts, key)


def _dispatches(facts: Facts, key: str) -> list[Dispatch]:
    found: list[Dispatch] = []
    for path in code_modules(facts):
        file = facts.files[path]
        if not _uses(key, file.text):
            continue
        outline = outline_from_index(facts, path)
        if outline is None:
            continue
        functions = _module_functions(facts, outline)
        module = functions[0]
        for fn in functions:
            names = _selector_names(fn, key)
            found.extend(_if_chains(path, fn, key, names))
            found.extend(_mappings(path, fn, module, key, names))
    found.sort(key=lambda d: (d.path, d.line))
    return found


# After the value read is replaced by X (with the character before ``.key``, so ``cfg.run.method`` leaves
# ``cfg.ru X``): the value indexes a container (``REGISTRY[cfg.run.method]``, ``T[cfg["run"]["method"]]``)
# or names the attribute getattr looks up (``getattr(module, cfg.method)``).
_LOOKED_UP = re.compile(
    r"\w\s*\[\s*\w[\w.]*(?:\[[^\[\]]*\][\w.]*)*\s*X\s*\]|\bgetattr\s*\([^,()]+,\s*(?:\w[\w.]*(?:\[[^\[\]]*\][\w.]*)*)?\s*X\b"
)

# What follows a subscript that is an assignment target (``d[k] = v``, ``d[k] += v``), not a lookup.
_STORED = re.compile(r"\s*(?:[-+*/%@&|^]|//|\*\*|>>|<<)?=(?!=)")
_ASSIGNED = re.compile(r"\s*(\w+)\s*(?::[^=]+)?=(?!=)")


def _looks_up(rest: str, line: str, text: str) -> bool:
    """Whether the value (X in ``rest``) is a key whose entry the code goes on to use: ``REGISTRY[X]`` read
    (not ``scores[X] = ...``, a write that selects nothing) or ``getattr(obj, X)``; when the line assigns
    the entry to a name (``fn = REGISTRY[X]``), that name must be used on another line of the module."""
    for match in _LOOKED_UP.finditer(rest):
        if match.group(0).endswith("]") and _STORED.match(rest, match.end()):
            continue  # an assignment target
        assigned = _ASSIGNED.match(line)
        if assigned and assigned.end() <= match.start():
            name = assigned.group(1)
            used = re.compile(rf"\b{re.escape(name)}\b")
            if name == "_" or sum(1 for other in text.splitlines() if used.search(other)) < 2:
                continue  # the entry looked up is never used
        return True
    return False


_NOT_A_DECISION = frozenset(
    {
        "print",
        "info",
        "debug",
        "warning",
        "error",
        "log",
        "format",
        "init",
        "str",
        "repr",
        "get",
        "setdefault",
        "update",
        "lower",
        "upper",
        "strip",
        "replace",
        "append",
        "extend",
        "join",
        "len",
        "isinstance",
        "hasattr",
        "getattr",
        "dict",
        "list",
        "tuple",
        "set",
        "f",
        "write",
        "dumps",
        "dump",
        "set_description",
        "add_scalar",
    }
)


def decides_on(facts: Facts, key: str, exclude: Callable[[str], bool] | None = None) -> bool:
    """Whether code (modules ``exclude`` rejects left out) compares, looks up or passes on config value ``key``.

    Read from the text, line by line, and on the generous side: a line that reads the value (or a local
    name assigned from it) and also compares, subscripts or passes it to a call counts as a decision.
    """
    if any(exclude is None or not exclude(d.path) for d in dispatches(facts, key)):
        return True
    k = re.escape(key)
    read = re.compile(rf"[\w\])]\.{k}\b(?:\.name\b)?|\[\s*['\"]{k}['\"]\s*\]|\.get\(\s*['\"]{k}['\"][^)]*\)")
    for path in code_modules(facts):
        text = facts.files[path].text
        if key not in text or (exclude is not None and exclude(path)):
            continue
        aliases = set()
        for line in text.splitlines():
            if key in line and read.search(line):
                assigned = re.match(r"\s*(\w+)\s*=(?!=)", line)
                if assigned:
                    aliases.add(assigned.group(1))
        alias = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(aliases))) + r")\b") if aliases else None
        for line in text.splitlines():
            if key not in line and (alias is None or not alias.search(line)):
                continue
            if not (read.search(line) or (alias is not None and alias.search(line))):
                continue
            rest = read.sub(" X ", line)
            if re.search(r"==|!=|\bin\b|\bmatch\b|\w\s*\[\s*X", rest) or _looks_up(rest, line, text):
                return True
            for callee in re.findall(r"(\w+)\s*\([^()]*\bX\b", rest):
                if callee not in _NOT_A_DECISION:
                    return True
    return False


def _method_dispatches(facts: Facts) -> list[Dispatch]:
    return _dispatches(facts, "method")


def _dataset_dispatches(facts: Facts) -> list[Dispatch]:
    return _dispatches(facts, "dataset")


_DISPATCH_FACTS = {"method": _method_dispatches, "dataset": _dataset_dispatches}
