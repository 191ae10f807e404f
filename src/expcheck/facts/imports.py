"""The submission's import graph, from syntax trees only: project modules, what each defines, what each imports.

Module names are what Python sees when the experiment is started from the repository root as
``python -m src.main``: ``src/train.py`` is ``src.train``, ``src/pkg/__init__.py`` is ``src.pkg``,
and every folder holding Python files is a package (a namespace package when it has no
``__init__.py``, which is why relative imports work inside ``src/`` without one).

This is the one place an import is resolved to a project file: ``ProjectIndex.resolve_module``
(a module name to its file), ``split`` (a qualified name to its module and the rest) and
``definition`` (a name chain written in a function to the def or class it stands for, through the
imports that function sees and re-exports).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from expcheck.facts import Facts
from expcheck.facts.python import SIMPLE_STATEMENTS
from expcheck.facts.semantic import resolve_relative, target_names

BindingKind = Literal["function", "class", "import", "assign", "global"]

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


# Hashable and compared by value like frozen dataclasses, without the cost of a frozen one's __init__ (one
# is made per import and per module-level binding of every module): nothing writes to them once made.
@dataclass(unsafe_hash=True, slots=True)
class ImportFact:
    """One imported name (``import a.b as c`` or ``from m import x as y``) where it is written."""

    path: str
    line: int
    column: int
    # The module the statement names, made absolute ("" when a relative import climbs past the top).
    module: str
    # The name imported from ``module`` (``from m import name``); None for ``import module``.
    name: str | None
    # The local name the statement binds ("*" for a star import).
    bound: str
    level: int
    # Inside a try whose handlers catch ImportError (the code expects the import may fail), or
    # in such a handler (a fallback that runs only when the first import failed).
    guarded: bool
    # Under ``if TYPE_CHECKING:`` (never executed).
    type_only: bool
    # Written at module level (runs on import) rather than inside a function or class.
    module_level: bool
    # What the bound name stands for: ``import a.b`` binds a -> "a", ``import a.b as c`` binds
    # c -> "a.b", ``from m import n`` binds n -> "m.n"; "" when a relative import climbs past the top.
    target: str = ""
    # Qualified name of the function the import is written in ("" outside any function; a method
    # is ``Class.method``, a nested function ``outer.inner``), as ``CallSite.function`` names it.
    function: str = ""

    @property
    def top(self) -> str:
        """The first component of the imported module ("torch" for ``torch.nn``)."""
        return self.module.split(".", 1)[0]


@dataclass(unsafe_hash=True, slots=True)
class Binding:
    """A module-level name and the statement that binds it."""

    name: str
    kind: BindingKind
    line: int
    node: ast.AST
    # For kind "import": the import that binds it.
    source: ImportFact | None = None


@dataclass
class ModuleInfo:
    """A project module: its name, package, the names it defines at module level, and its imports."""

    name: str
    path: str
    package: str
    is_package: bool
    parsed: bool
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    imports: list[ImportFact] = field(default_factory=list)
    # Names listed in a literal ``__all__``, when there is one.
    all_names: tuple[str, ...] | None = None
    # Names may come from places the tree does not show: star imports, module __getattr__,
    # writes to globals(); a missing name cannot be told apart from a dynamic one.
    open: bool = False
    # function qualname -> name -> what it stands for, for imports written inside that function
    # (its own, not those of functions nested in it); see ``semantic.visible_imports``.
    function_imports: dict[str, dict[str, str]] = field(default_factory=dict)
    # function qualname -> its def, every function of the module (methods as ``Class.method``).
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)

    def defines(self, name: str) -> bool:
        return name in self.bindings

    def scoped_import(self, function: str, name: str) -> str | None:
        """What ``name`` stands for inside ``function`` when an import in it, or in a function around it,
        binds it (innermost first); None when no function import binds it (the module's own bindings
        then decide). A class body is no scope for the methods in it."""
        scopes = self.function_imports
        while function:
            found = scopes.get(function, {}).get(name)
            if found is not None:
                return found
            function = function.rpartition(".")[0]
        return None

    def unique(self, name: str) -> Binding | None:
        """The only module-level binding of ``name``, or None when there is none or several."""
        found = self.bindings.get(name)
        return found[0] if found and len(found) == 1 else None


@dataclass
class ProjectIndex:
    """Every project module by dotted name, the packages they form, and the top-level project names."""

    modules: dict[str, ModuleInfo]
    by_path: dict[str, ModuleInfo]
    packages: frozenset[str]
    # First components of project module names ("src", a top-level "utils" module, ...).
    tops: frozenset[str]
    # Stems of every project module wherever it lives ("train" for src/train.py): a bare
    # ``import train`` only works when that folder is put on sys.path.
    stems: frozenset[str]
    # First components of the names modules under src/ have from there ("model" for src/model.py).
    src_tops: frozenset[str] = frozenset()

    def exists(self, module: str) -> bool:
        return module in self.modules or module in self.packages

    def is_project(self, module: str) -> bool:
        return module.split(".", 1)[0] in self.tops

    def has_attribute(self, module: str, name: str) -> bool | None:
        """Whether ``module.name`` exists (a defined name or a submodule); None when it cannot be told."""
        if f"{module}.{name}" in self.modules or f"{module}.{name}" in self.packages:
            return True
        info = self.modules.get(module)
        if info is None:
            # A namespace package (no __init__.py) has only its submodules.
            return False if module in self.packages else None
        if not info.parsed or info.open:
            return None
        return info.defines(name) or name in _MODULE_DUNDERS

    def resolve_module(self, module: str) -> ModuleInfo | None:
        """The project module an import of ``module`` loads; None for a third-party or missing module,
        or a namespace package (a folder without ``__init__.py``: no file to read).

        By name from the repository root (``python -m src.main``), else from ``src/``: a script started
        as ``python src/main.py`` has ``src/`` first on sys.path, so its ``import model`` loads
        ``src/model.py``.
        """
        found = self.modules.get(module)
        if found is None and module:
            found = self.modules.get(f"src.{module}")
        return found

    def split(self, qualified: str) -> tuple[ModuleInfo, list[str]] | None:
        """The deepest project module a qualified name lies in and the names after it:
        ``src.model.Net`` -> (src/model.py, ["Net"]); None when no prefix is a project module."""
        top = qualified.partition(".")[0]
        if top not in self.tops and top not in self.src_tops:
            return None  # a third-party or missing module: no prefix can be a project module
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            found = self.resolve_module(".".join(parts[:cut]))
            if found is not None:
                return found, parts[cut:]
        return None

    def definition(
        self, info: ModuleInfo, dotted: str, function: str = "", certain: bool = False, depth: int = 0
    ) -> tuple[ModuleInfo, Binding] | None:
        """The project function or class a name chain written in ``function`` of ``info`` calls
        (``train``, ``model.build``, ``src.model.Net``), with the module that defines it.

        The root name is looked up where Python looks for it: an import written in ``function`` or in a
        function around it, else the module's last def, class or import of it. An import is followed into the module it names, re-exports included. None for anything
        else: a third-party name, a chain past the definition (``Net.create``).

        ``certain``: only a module-level name bound once counts (the answer must hold whichever way the
        module runs), and a name bound otherwise than by def, class or import comes back as it is.
        """
        if depth > _MAX_FOLLOW:
            return None
        root, _, rest = dotted.partition(".")
        target = info.scoped_import(function, root) if function else None
        if target is None:
            binding = info.unique(root) if certain else _last_definition(info, root)
            if binding is None:
                return None
            if binding.kind != "import" or binding.source is None:
                return None if rest else (info, binding)
            target = binding.source.target
        if not target:
            return None
        found = self.split(f"{target}.{rest}" if rest else target)
        if found is None or len(found[1]) != 1:
            return None
        return self.definition(found[0], found[1][0], "", certain, depth + 1)


_MAX_FOLLOW = 8
_DEFINITION_KINDS = frozenset({"function", "class", "import"})


def _last_definition(info: ModuleInfo, name: str) -> Binding | None:
    """The last def, class or import of module-level ``name`` (what a function called later sees)."""
    for binding in reversed(info.bindings.get(name, ())):
        if binding.kind in _DEFINITION_KINDS:
            return binding
    return None


_MODULE_DUNDERS = frozenset(
    {"__name__", "__file__", "__doc__", "__path__", "__package__", "__spec__", "__loader__", "__dict__", "__all__"}
)


def module_name(path: str) -> tuple[str, bool] | None:
    """(dotted name, is a package) for a repository path, or None when it cannot be imported by name."""
    pure = PurePosixPath(path)
    if pure.suffix != ".py":
        return None
    parts = list(pure.parent.parts) + ([] if pure.stem == "__init__" else [pure.stem])
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts), pure.stem == "__init__"


_PROBES = frozenset({"find_spec", "find_loader"})

# A module known importable in a branch: (name, exact). ``find_spec("x.y")`` names the package ``x``
# exactly; ``is_flash_attn_2_available()`` names ``flash_attn_2``, which also covers ``import flash_attn``.
Present = frozenset[tuple[str, bool]]
_NOTHING: Present = frozenset()


def _probed(call: ast.Call) -> Present:
    """The module a call asks about: ``find_spec("x")``/``find_loader("x")`` with a literal name, or an
    ``is_<x>_available()`` helper with a non-empty ``<x>`` (``torch.cuda.is_available()`` asks about a
    device, not a module)."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name in _PROBES:
        arg = call.args[0] if call.args else None
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
            return frozenset({(arg.value.split(".", 1)[0], True)})
        return _NOTHING
    if name.startswith("is_") and name.endswith("_available") and len(name) > len("is__available"):
        return frozenset({(name[3 : -len("_available")], False)})
    return _NOTHING


def _presence(expr: ast.expr, flags: dict[str, tuple[Present, Present]]) -> tuple[Present, Present]:
    """The modules known importable where ``expr`` is true and where it is false (``if find_spec("x")``,
    ``if find_spec("x") is None``, ``if not HAS_X``, ``a and b``); empty for any other test."""
    if isinstance(expr, ast.Call):
        return _probed(expr), _NOTHING
    if isinstance(expr, ast.Name):
        return flags.get(expr.id, (_NOTHING, _NOTHING))
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
        when_true, when_false = _presence(expr.operand, flags)
        return when_false, when_true
    if (
        isinstance(expr, ast.Compare)
        and len(expr.ops) == 1
        and isinstance(expr.comparators[0], ast.Constant)
        and expr.comparators[0].value is None
    ):
        when_true, when_false = _presence(expr.left, flags)
        if isinstance(expr.ops[0], ast.IsNot | ast.NotEq):
            return when_true, when_false
        if isinstance(expr.ops[0], ast.Is | ast.Eq):
            return when_false, when_true
        return _NOTHING, _NOTHING
    if isinstance(expr, ast.BoolOp):
        parts = [_presence(value, flags) for value in expr.values]
        if isinstance(expr.op, ast.And):  # true: every operand held; false: nothing known
            return frozenset().union(*(t for t, _ in parts)), _NOTHING
        # ``a or b`` true: only what every operand guarantees; false: every operand was false
        return frozenset.intersection(*(t for t, _ in parts)), frozenset().union(*(f for _, f in parts))
    return _NOTHING, _NOTHING


def _covers(present: Present, module: str) -> bool:
    """Whether a module known importable is the one ``module`` (a dotted import name) needs."""
    top = module.split(".", 1)[0]
    return bool(top) and any(name == top or (not exact and name.startswith(top + "_")) for name, exact in present)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    for handler in handlers:
        if handler.type is None:
            return True
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for t in types:
            name = t.attr if isinstance(t, ast.Attribute) else getattr(t, "id", "")
            if name in _IMPORT_ERRORS:
                return True
    return False


# Statements that hold no statement and, below module level, nothing the scanner records.
_INERT = SIMPLE_STATEMENTS - {ast.Import, ast.ImportFrom, ast.Global}


class _Scanner:
    """Statement-level walk of one module: module-level bindings and every import with its context."""

    def __init__(self, info: ModuleInfo, walrus: bool) -> None:
        self.info = info
        # Whether the text has ``:=`` at all (walrus targets bind module names too).
        self.walrus = walrus
        # Qualname of the enclosing function ("" at module level) and the "Class." prefix of a class body.
        self.function = ""
        self.prefix = ""
        # Names assigned whether a module can be imported (``HAS_X = find_spec("x") is not None``), with
        # the modules known importable where the name is true and where it is false; the tests are looked
        # at only when the text names such a probe. ``present``: the modules known importable in the
        # branch being walked (an import of one of them is guarded like one under ``except ImportError``).
        self.probes: dict[str, tuple[Present, Present]] = {}
        self.probing = False
        self.present: Present = _NOTHING

    def bind(self, name: str, kind: BindingKind, node: ast.AST, source: ImportFact | None = None) -> None:
        line = getattr(node, "lineno", 1)
        self.info.bindings.setdefault(name, []).append(Binding(name, kind, line, node, source))

    def scan(self, body: list[ast.stmt]) -> None:
        self._block(body, module_level=True, guarded=False, type_only=False)

    def _import(self, node: ast.Import | ast.ImportFrom, module_level: bool, guarded: bool, type_only: bool) -> None:
        info = self.info
        function = self.function
        for alias in node.names:
            if isinstance(node, ast.Import):
                top = alias.name.split(".", 1)[0]
                module, name, bound, level = alias.name, None, alias.asname or top, 0
                target = alias.name if alias.asname else top
            else:
                module = resolve_relative(info.package, node.level, node.module)
                name, bound, level = alias.name, alias.asname or alias.name, node.level
                target = f"{module}.{name}" if module else "" if level else name
            fact = ImportFact(
                path=info.path,
                line=node.lineno,
                column=node.col_offset + 1,
                module=module,
                name=name,
                bound=bound,
                level=level,
                guarded=guarded or (bool(self.present) and not level and _covers(self.present, module)),
                type_only=type_only,
                module_level=module_level,
                target=target,
                function=function,
            )
            info.imports.append(fact)
            if function and bound != "*":
                local = info.function_imports.setdefault(function, {})
                # A plain ``import a.b`` after ``import a.c`` binds the same ``a``: the first one stands.
                if isinstance(node, ast.Import) and not alias.asname:
                    local.setdefault(bound, target)
                else:
                    local[bound] = target
            if module_level and not type_only:
                if fact.bound == "*":
                    info.open = True
                else:
                    self.bind(fact.bound, "import", node, fact)

    def _block(self, body: list[ast.stmt], module_level: bool, guarded: bool, type_only: bool) -> None:
        stmt = self._stmt
        if module_level:
            for node in body:
                stmt(node, module_level, guarded, type_only)
            return
        for node in body:
            if type(node) not in _INERT:  # below module level, most statements bind nothing here
                stmt(node, module_level, guarded, type_only)

    def _stmt(self, node: ast.stmt, module_level: bool, guarded: bool, type_only: bool) -> None:
        cls = type(node)
        if cls is ast.Import or cls is ast.ImportFrom:
            self._import(node, module_level, guarded, type_only)  # type: ignore[arg-type]
            return
        if cls is ast.Global:
            for name in node.names:  # type: ignore[attr-defined]
                self.bind(name, "global", node)
            return
        if cls is ast.FunctionDef or cls is ast.AsyncFunctionDef:
            if module_level:
                self.bind(node.name, "function", node)
                if node.name == "__getattr__":
                    self.info.open = True
            outer, prefix = self.function, self.prefix
            self.function = qualname = (
                f"{prefix}{node.name}" if prefix else f"{outer}.{node.name}" if outer else node.name
            )
            self.prefix = ""
            self.info.functions[qualname] = node
            self._block(node.body, module_level=False, guarded=False, type_only=type_only)
            self.function, self.prefix = outer, prefix
            return
        if cls is ast.ClassDef:
            if module_level:
                self.bind(node.name, "class", node)
            prefix = self.prefix
            self.prefix = f"{prefix}{node.name}." if prefix or not self.function else f"{self.function}.{node.name}."
            self._block(node.body, module_level=False, guarded=False, type_only=type_only)
            self.prefix = prefix
            return
        if module_level:
            self._module_assignments(node)
            if self.probing and cls is ast.Assign:
                presence = _presence(node.value, self.probes)  # type: ignore[attr-defined]
                for target in node.targets:  # type: ignore[attr-defined]
                    for name in target_names(target):
                        if presence[0] or presence[1]:
                            self.probes[name] = presence
                        else:
                            self.probes.pop(name, None)  # rebound to something else
        if cls in SIMPLE_STATEMENTS:
            return  # holds no statement
        if cls is ast.If and _is_type_checking(node.test):  # type: ignore[attr-defined]
            self._block(node.body, module_level, guarded, True)
            self._block(node.orelse, module_level, guarded, type_only)
            return
        if self.probing and cls is ast.If:
            when_true, when_false = _presence(node.test, self.probes)  # type: ignore[attr-defined]
            if when_true or when_false:
                # ``if find_spec("x") is not None: import x``: an import of x runs only in the branch where x
                # was found; any other import, and x in the other branch, is as unguarded as before.
                outer = self.present
                self.present = outer | when_true
                self._block(node.body, module_level, guarded, type_only)  # type: ignore[attr-defined]
                self.present = outer | when_false
                self._block(node.orelse, module_level, guarded, type_only)  # type: ignore[attr-defined]
                self.present = outer
                return
        if cls is ast.Try or cls is ast.TryStar:
            catches = _catches_import_error(node.handlers)  # type: ignore[attr-defined]
            self._block(node.body, module_level, guarded or catches, type_only)
            for handler in node.handlers:
                # A fallback import runs only when the one above failed.
                self._block(handler.body, module_level, guarded or catches, type_only)
            self._block(node.orelse, module_level, guarded, type_only)
            self._block(node.finalbody, module_level, guarded, type_only)
            return
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                self._block(block, module_level, guarded, type_only)
        for case in getattr(node, "cases", ()):
            self._block(case.body, module_level, guarded, type_only)

    def _module_assignments(self, node: ast.stmt) -> None:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
                self._all(node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        elif isinstance(node, ast.AugAssign):
            targets = [node.target]
            if isinstance(node.target, ast.Name) and node.target.id == "__all__":
                self.info.open = True  # __all__ built up piecewise
        elif isinstance(node, ast.For | ast.AsyncFor):
            targets = [node.target]
        elif isinstance(node, ast.With | ast.AsyncWith):
            targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
        elif isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                if handler.name:
                    self.bind(handler.name, "assign", handler)
        for target in targets:
            for name in target_names(target):
                self.bind(name, "assign", node)
        if not self.walrus:
            return
        if not isinstance(node, ast.If | ast.Try | ast.TryStar | ast.For | ast.AsyncFor | ast.While):
            for sub in ast.walk(node):
                if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                    self.bind(sub.target.id, "assign", node)
        elif isinstance(node, ast.If | ast.While):
            for sub in ast.walk(node.test):
                if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                    self.bind(sub.target.id, "assign", node)

    def _all(self, value: ast.expr) -> None:
        if isinstance(value, ast.List | ast.Tuple) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
        ):
            self.info.all_names = tuple(e.value for e in value.elts)  # type: ignore[union-attr]


def _module_info(facts: Facts, path: str, name: str, is_package: bool) -> ModuleInfo:
    module = facts.python[path]
    package = name if is_package else name.rpartition(".")[0]
    info = ModuleInfo(name=name, path=path, package=package, is_package=is_package, parsed=module.tree is not None)
    if module.tree is not None:
        text = module.file.text
        scanner = _Scanner(info, walrus=":=" in text)
        scanner.probing = "find_spec" in text or "find_loader" in text or "_available" in text
        scanner.scan(module.tree.body)
        if "globals()" in text or "vars()" in text or "sys.modules" in text:
            info.open = info.open or any(
                (isinstance(node, ast.Call) and _writes_module_namespace(node))
                or (
                    isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and _is_globals_call(node.value)
                )
                for node in ast.walk(module.tree)
            )
    return info


def _is_globals_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("globals", "vars")


def _writes_module_namespace(call: ast.Call) -> bool:
    """``globals().update(...)`` and the like, or ``setattr(sys.modules[...], ...)``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("update", "setdefault", "__setitem__"):
        return _is_globals_call(func.value)
    if isinstance(func, ast.Name) and func.id == "setattr" and call.args:
        return "modules" in ast.dump(call.args[0])
    return False


def project_index(facts: Facts) -> ProjectIndex:
    """The submission's modules and packages (cached per submission: use ``facts.derived(project_index)``)."""
    modules: dict[str, ModuleInfo] = {}
    packages: set[str] = set()
    for path in facts.python:
        named = module_name(path)
        if named is None:
            continue
        name, is_package = named
        modules[name] = _module_info(facts, path, name, is_package)
        parts = name.split(".")
        packages.update(".".join(parts[:i]) for i in range(1, len(parts) if not is_package else len(parts) + 1))
    tops = frozenset(n.split(".", 1)[0] for n in modules) | frozenset(p.split(".", 1)[0] for p in packages)
    stems = frozenset(n.rsplit(".", 1)[-1] for n in modules)
    return ProjectIndex(
        modules=modules,
        by_path={m.path: m for m in modules.values()},
        packages=frozenset(packages),
        tops=tops,
        stems=stems,
        src_tops=frozenset(n.split(".")[1] for n in modules if n.startswith("src.")),
    )


def script_module(facts: Facts, path: str) -> ModuleInfo | None:
    """The module at ``path``, also when no import can name it (``src/train-v2.py`` still runs as a
    script, with no package for relative imports); None when it is not parsed Python."""
    found = facts.derived(project_index).by_path.get(path)
    if found is None:
        module = facts.python.get(path)
        if module is None or module.tree is None:
            return None
        cache = facts.derived(_scripts)
        found = cache.get(path)
        if found is None:
            found = cache[path] = _module_info(facts, path, "", False)
    return found


def _scripts(facts: Facts) -> dict[str, ModuleInfo]:
    return {}


def imports_of(facts: Facts) -> list[ImportFact]:
    """Every import statement of every parsed project module, in path and line order."""
    index = facts.derived(project_index)
    return [fact for info in sorted(index.by_path.values(), key=lambda m: m.path) for fact in info.imports]
