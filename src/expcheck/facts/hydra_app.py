"""Facts about ``@hydra.main`` entry points, read from the syntax tree (nothing is imported)."""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.semantic import callee_attr

_UNSET = "<unset>"


@dataclass(frozen=True)
class HydraApp:
    """One function decorated with ``@hydra.main``."""

    path: str  # the module's repository path, e.g. src/main.py
    function: str
    line: int  # the decorator's line
    column: int
    # The folder given: a literal (relative to the module's folder, as Hydra reads it), or, for a
    # module-level constant built from __file__ (``str(Path(__file__).parent.parent / "config")``),
    # the path it names with "/" for the repository root (``from_file``). None when absent or unknown.
    config_path: str | None
    config_name: str | None
    version_base: str | None  # the literal given ("1.3", "1.1"), None for version_base=None
    version_base_given: bool
    cfg_param: str | None  # the decorated function's first parameter: the composed config
    node: ast.FunctionDef
    # config_path= is given as an expression whose value the code alone does not tell (os.environ[...]).
    config_path_unknown: bool = False
    from_file: bool = False  # config_path is a repository path computed from __file__

    @property
    def config_dir(self) -> str | None:
        """The repository folder config_path points at, if known."""
        if self.config_path is None:
            return None
        if self.from_file:  # "/" is the repository root
            joined = posixpath.normpath(self.config_path).lstrip("/")
        else:
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(self.path), self.config_path))
        return "" if joined in (".", "") else joined


def _is_none(node: ast.expr | None, constants: dict[str, ast.expr]) -> bool:
    """Absent, or the literal None (also through module constants)."""
    for _ in range(_MAX_EVAL_DEPTH):
        if not (isinstance(node, ast.Name) and node.id in constants):
            break
        node = constants[node.id]
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def _literal(node: ast.expr | None) -> tuple[bool, str | None]:
    """(is a literal, its value) for a str/None constant."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str | int | float)):
        return True, None if node.value is None else str(node.value)
    return False, None


_PASS_THROUGH = frozenset(
    {"str", "Path", "PurePath", "PosixPath", "fspath", "abspath", "realpath", "normpath", "resolve", "absolute"}
)
_MAX_EVAL_DEPTH = 12


@dataclass(frozen=True)
class _PathValue:
    text: str
    from_file: bool  # a path derived from __file__, with "/" for the repository root (else a plain string)


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level names assigned exactly once, with their value."""
    values: dict[str, ast.expr] = {}
    counts: dict[str, int] = {}
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        for target in targets:
            if isinstance(target, ast.Name):
                counts[target.id] = counts.get(target.id, 0) + 1
                if node.value is not None:
                    values[target.id] = node.value
    return {name: value for name, value in values.items() if counts[name] == 1}


def _join(left: _PathValue, right: _PathValue) -> _PathValue:
    if right.from_file or right.text.startswith("/"):
        return right
    text = posixpath.join(left.text, right.text) if left.text else right.text
    return _PathValue(text, left.from_file)


def _parent(value: _PathValue, times: int = 1) -> _PathValue | None:
    text = posixpath.normpath(value.text)
    for _ in range(times):
        if value.from_file and text.strip("/") == "":
            return None  # above the repository: not a folder of the submission
        text = posixpath.dirname(text)
    return _PathValue(text, value.from_file)


def _static_path(node: ast.expr, module_path: str, constants: dict[str, ast.expr], depth: int = 0) -> _PathValue | None:
    """The value of a path expression that needs nothing but literals, ``__file__`` and module constants.

    Understood: string literals and f-strings of such parts, ``__file__``, ``os.path.join/dirname/
    abspath/realpath``, ``Path(...)``, ``/``, ``.parent``, ``.parents[n]``, ``.resolve()``, ``str()``.
    ``__file__`` is the module's own repository path, so an absolute path built from it is a
    repository path (``from_file``).
    """
    if depth > _MAX_EVAL_DEPTH:
        return None

    def again(inner: ast.expr) -> _PathValue | None:
        return _static_path(inner, module_path, constants, depth + 1)

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _PathValue(node.value, False)
    if isinstance(node, ast.Name):
        if node.id == "__file__":
            return _PathValue("/" + module_path, True)  # "/" stands for the repository root
        value = constants.get(node.id)
        return again(value) if value is not None else None
    if isinstance(node, ast.JoinedStr):  # f"{BASE}/config": only the first part may be a path from __file__
        parts = [again(v.value if isinstance(v, ast.FormattedValue) else v) for v in node.values]
        known = [p for p in parts if p is not None]
        if not known or len(known) < len(parts) or any(p.from_file for p in known[1:]):
            return None
        return _PathValue("".join(p.text for p in known), known[0].from_file)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.Add):
        left, right = again(node.left), again(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return None if right.from_file else _PathValue(left.text + right.text, left.from_file)
        return _join(left, right)
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = again(node.value)
        return _parent(inner) if inner is not None else None
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "parents"
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, int)
    ):
        inner = again(node.value.value)
        return _parent(inner, node.slice.value + 1) if inner is not None else None
    if isinstance(node, ast.Call) and not node.keywords:
        func = node.func
        name = callee_attr(node)
        # A method called on a path (p.resolve(), p.joinpath("x")) or a function given the path.
        receiver = (
            [func.value] if isinstance(func, ast.Attribute) and name in ("resolve", "absolute", "joinpath") else []
        )
        args = [*receiver, *node.args]
        values = [again(a) for a in args]
        if not args or any(v is None for v in values):
            return None
        known = [v for v in values if v is not None]
        if name in _PASS_THROUGH and len(known) == 1:
            return known[0]
        if name == "dirname" and len(known) == 1:
            return _parent(known[0])
        if name in ("join", "joinpath", "Path", "PurePath", "PosixPath"):
            out = known[0]
            for value in known[1:]:
                out = _join(out, value)
            return out
    return None


def _hydra_main_names(statements: list[ast.stmt]) -> tuple[set[str], set[str]]:
    """Names under which the module can reach hydra (``import hydra as h``) and hydra.main itself."""
    modules, mains = set(), set()
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "hydra":
                    modules.add(alias.asname or "hydra")
        elif isinstance(node, ast.ImportFrom) and node.module == "hydra":
            for alias in node.names:
                if alias.name == "main":
                    mains.add(alias.asname or "main")
    return modules, mains


def _is_hydra_main(decorator: ast.expr, modules: set[str], mains: set[str]) -> ast.Call | None:
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call is not None else decorator
    if (
        isinstance(target, ast.Attribute)
        and target.attr == "main"
        and isinstance(target.value, ast.Name)
        and target.value.id in modules
    ):
        return call or ast.Call(func=target, args=[], keywords=[])
    if isinstance(target, ast.Name) and target.id in mains:
        return call or ast.Call(func=target, args=[], keywords=[])
    return None


def hydra_apps(facts: Facts) -> list[HydraApp]:
    apps: list[HydraApp] = []
    for path, module in facts.python.items():
        if module.tree is None or "hydra" not in module.file.text:
            continue
        modules, mains = _hydra_main_names(module.statements)
        if not (modules or mains):
            continue
        constants: dict[str, ast.expr] | None = None  # computed once per module, when an app is found
        for node in module.statements:
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                call = _is_hydra_main(decorator, modules, mains)
                if call is None:
                    continue
                given = {kw.arg: kw.value for kw in call.keywords if kw.arg}
                positional = ["config_path", "config_name", "version_base"]
                for name, value in zip(positional, call.args, strict=False):
                    given.setdefault(name, value)
                if constants is None:
                    constants = _module_constants(module.tree)
                path_value = _static_path(given["config_path"], path, constants) if "config_path" in given else None
                name_value = _static_path(given["config_name"], path, constants) if "config_name" in given else None
                vb_literal, version_base = _literal(given.get("version_base"))
                args = node.args.posonlyargs + node.args.args
                apps.append(
                    HydraApp(
                        path=path,
                        function=node.name,
                        line=decorator.lineno,
                        column=decorator.col_offset + 1,
                        config_path=path_value.text if path_value is not None else None,
                        config_name=_config_name(name_value.text)
                        if name_value is not None and not name_value.from_file
                        else None,
                        version_base=version_base if vb_literal else _UNSET,
                        version_base_given="version_base" in given,
                        cfg_param=args[0].arg if args else None,
                        node=node,
                        config_path_unknown=path_value is None and not _is_none(given.get("config_path"), constants),
                        from_file=path_value is not None and path_value.from_file,
                    )
                )
    return apps


def _config_name(given: str | None) -> str | None:
    """The config name as Hydra looks it up: it appends ``.yaml`` only to a name that lacks it, so
    ``config_name="config.yaml"`` and ``config_name="config"`` both name ``config.yaml``."""
    if given is not None and given.endswith(".yaml") and len(given) > len(".yaml"):
        return given[: -len(".yaml")]
    return given


def entry_app(facts: Facts) -> HydraApp | None:
    """The app the documented command starts: the one in src/main.py, else the first found."""
    apps = facts.derived(hydra_apps)
    for app in apps:
        if app.path == "src/main.py":
            return app
    return apps[0] if apps else None
