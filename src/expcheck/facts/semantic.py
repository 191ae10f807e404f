"""The shared semantic vocabulary of the submission's Python: names, bindings, call sites, resolution.

Every fact module that asks *what a name is bound to* or *what a call calls* reads the answers
from here, so they cannot disagree:

- ``dotted_name``: a Name/Attribute chain as written (``wb.init``);
- ``qualified_name``: the same chain with its root resolved through import bindings
  (``wandb.init``), calls in the chain written ``()``;
- ``target_nodes``/``target_names``: what an assignment target binds;
- ``import_bindings``: the names one ``import`` statement binds and what each stands for;
- ``CallSite``: one call expression, its resolved callee, its module, function and loop context;
- ``visible_imports``: the import bindings a call sees, those of its enclosing functions first
  (``import wandb as wb`` inside ``main``), then the module's own; ``CallSite.name`` is resolved
  through them.

The one walk that fills these per module is ``facts/astindex.py`` (``ModuleIndex``); the
cross-module import graph on top is ``facts/imports.py``. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, as written; None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def qualified_name(node: ast.AST, aliases: Mapping[str, str]) -> str:
    """``a.b.c`` of a Name/Attribute/Call chain with the root name resolved through ``aliases``.

    A call inside the chain is written ``()`` (``wandb.Api().run``); "" when the chain does not
    start at a name.
    """
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, ast.Name):
            parts.append(aliases.get(node.id, node.id))
            break
        else:
            return ""
    out = parts[-1]
    for part in reversed(parts[:-1]):
        out = out + part if part == "()" else f"{out}.{part}"
    return out


def last_name(node: ast.AST | None) -> str:
    """The last component of a Name/Attribute (``init`` of ``wb.init``, ``x`` of ``x``); "" otherwise."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def callee_attr(node: ast.Call) -> str:
    """The last component of a call's callee (``init`` of ``wb.init(...)``); "" when not a name."""
    return last_name(node.func)


def target_nodes(target: ast.expr) -> Iterator[ast.Name]:
    """The Name nodes an assignment target binds (``a``, ``a, (b, *c)``); attributes and subscripts bind none."""
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            yield from target_nodes(elt)
    elif isinstance(target, ast.Starred):
        yield from target_nodes(target.value)


def target_names(target: ast.expr) -> Iterator[str]:
    """The names an assignment target binds."""
    return (node.id for node in target_nodes(target))


def package_of(path: str) -> str:
    """The package a relative import in the module at ``path`` is taken from: its folder as a dotted
    name (``src/pkg/a.py`` -> ``src.pkg``); "" at the top or in a folder no import can name."""
    parts = path.split("/")[:-1]
    return ".".join(parts) if all(part.isidentifier() for part in parts) else ""


def import_bindings(node: ast.Import | ast.ImportFrom, package: str) -> Iterator[tuple[str, str, bool]]:
    """(bound name, what it stands for, whether it is a plain ``import a.b`` binding only ``a``).

    ``import wandb as wb`` binds wb → wandb; ``import os.path`` binds os → os; ``from . import m``
    inside ``src`` binds m → src.m. Star imports bind nothing nameable.
    """
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name, False
            else:
                top = alias.name.split(".", 1)[0]
                yield top, top, True
        return
    module = node.module or ""
    if node.level:
        module = resolve_relative(package, node.level, node.module)
    for alias in node.names:
        if alias.name != "*":
            yield alias.asname or alias.name, f"{module}.{alias.name}" if module else alias.name, False


@dataclass(frozen=True)
class CallSite:
    """One call expression of a project module."""

    node: ast.Call
    # Dotted callee with import bindings resolved ("wandb.init", "matplotlib.pyplot.savefig",
    # "run.log"); a call in the chain is written "()" ("wandb.Api().run"); "" when not nameable.
    name: str
    # The last component of the callee ("init", "savefig", "log").
    attr: str
    # Qualified name of the enclosing function ("" at module level).
    function: str
    # Inside a for/while loop of the enclosing function.
    in_loop: bool
    # The module's path in the submission.
    path: str

    @property
    def dotted(self) -> str | None:
        """The callee as written (``wb.init``), None when it is not a chain of names."""
        return dotted_name(self.node.func)

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def column(self) -> int:
        return self.node.col_offset + 1

    def arg(self, position: int, keyword: str | None = None) -> ast.expr | None:
        """The argument at ``position`` or passed as ``keyword``; None when absent."""
        if keyword is not None:
            for kw in self.node.keywords:
                if kw.arg == keyword:
                    return kw.value
        args = self.node.args
        if 0 <= position < len(args) and not isinstance(args[position], ast.Starred):
            return args[position]
        return None

    def keyword(self, name: str) -> ast.expr | None:
        for kw in self.node.keywords:
            if kw.arg == name:
                return kw.value
        return None

    @property
    def has_kwargs_splat(self) -> bool:
        return any(kw.arg is None for kw in self.node.keywords)


def call_site(node: ast.Call, aliases: Mapping[str, str], function: str, in_loop: bool, path: str) -> CallSite:
    """The CallSite of ``node`` with its callee resolved through ``aliases``."""
    return CallSite(node, qualified_name(node.func, aliases), callee_attr(node), function, in_loop, path)


def enclosing_functions(function: str) -> Iterator[str]:
    """``a.b.c`` → ``a.b.c``, ``a.b``, ``a``: the qualnames of the functions around a point, innermost first."""
    parts = function.split(".") if function else []
    for end in range(len(parts), 0, -1):
        yield ".".join(parts[:end])


def visible_imports(
    function_imports: Mapping[str, Mapping[str, str]], module_imports: Mapping[str, str], function: str
) -> Mapping[str, str]:
    """The import bindings visible inside ``function``: those of the enclosing functions, innermost
    first, then the module's own."""
    chain = [function_imports[q] for q in enclosing_functions(function) if q in function_imports]
    return ChainMap(*chain, module_imports) if chain else module_imports  # type: ignore[arg-type]


def load_lines(tree: ast.AST, name: str, skip_line: int) -> list[int]:
    """The lines (sorted, once each) where ``name`` is read, other than ``skip_line``."""
    return sorted(
        {
            n.lineno
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) and n.lineno != skip_line
        }
    )


def string_constants(tree: ast.AST) -> Iterator[str]:
    """Every string constant in ``tree``, docstrings included, in walk order."""
    return (n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def is_generator(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``func`` yields (itself or in a function nested in it)."""
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(func))


def source_text(node: ast.AST) -> str:
    """The code of ``node`` as Python writes it back (for messages)."""
    return ast.unparse(node)


def resolve_relative(package: str, level: int, module: str | None) -> str:
    """The absolute module a relative import names from ``package``; "" when it climbs past the top."""
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or not parts:
        return ""
    base = parts[: len(parts) - (level - 1)]
    if not base:
        return ""
    return ".".join([*base, module] if module else base)
