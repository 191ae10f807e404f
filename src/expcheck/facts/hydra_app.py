"""Facts about ``@hydra.main`` entry points, read from the syntax tree (nothing is imported)."""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass

from expcheck.facts import Facts

_UNSET = "<unset>"


@dataclass(frozen=True)
class HydraApp:
    """One function decorated with ``@hydra.main``."""

    path: str  # the module's repository path, e.g. src/main.py
    function: str
    line: int  # the decorator's line
    column: int
    config_path: str | None  # the literal given, None when absent or not a literal
    config_name: str | None
    version_base: str | None  # the literal given ("1.3", "1.1"), None for version_base=None
    version_base_given: bool
    cfg_param: str | None  # the decorated function's first parameter: the composed config
    node: ast.FunctionDef

    @property
    def config_dir(self) -> str | None:
        """The repository folder config_path points at (relative to the module's folder), if literal."""
        if self.config_path is None:
            return None
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(self.path), self.config_path))
        return "" if joined == "." else joined


def _literal(node: ast.expr | None) -> tuple[bool, str | None]:
    """(is a literal, its value) for a str/None constant."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str | int | float)):
        return True, None if node.value is None else str(node.value)
    return False, None


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
                _, config_path = _literal(given.get("config_path"))
                _, config_name = _literal(given.get("config_name"))
                vb_literal, version_base = _literal(given.get("version_base"))
                args = node.args.posonlyargs + node.args.args
                apps.append(
                    HydraApp(
                        path=path,
                        function=node.name,
                        line=decorator.lineno,
                        column=decorator.col_offset + 1,
                        config_path=config_path,
                        config_name=config_name,
                        version_base=version_base if vb_literal else _UNSET,
                        version_base_given="version_base" in given,
                        cfg_param=args[0].arg if args else None,
                        node=node,
                    )
                )
    return apps


def entry_app(facts: Facts) -> HydraApp | None:
    """The app the documented command starts: the one in src/main.py, else the first found."""
    apps = facts.derived(hydra_apps)
    for app in apps:
        if app.path == "src/main.py":
            return app
    return apps[0] if apps else None
