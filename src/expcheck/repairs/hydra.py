"""Repairs of Hydra entry points and configs (C203, C204, C206), as exact-span text edits.

Python edits are placed by the syntax tree's token positions and verified against the source text
(the span must read exactly what the tree says it holds); nothing else in the file moves.
"""

from __future__ import annotations

import ast
import re

from expcheck.facts import Facts, yaml_data
from expcheck.facts.cfgflow import cfg_flow
from expcheck.facts.hydra_app import HydraApp, hydra_apps
from expcheck.findings import Finding
from expcheck.repairs import Edit, line_offsets

VERSION_BASE = "1.3"
_HYDRA_CONFIG_IMPORT = "from hydra.core.hydra_config import HydraConfig"


def ast_offset(text: str, offsets: list[int], line: int, col_offset: int) -> int:
    """Character offset of an ast position (1-based line, UTF-8 byte column)."""
    start = offsets[line - 1]
    end = offsets[line] if line < len(offsets) else len(text)
    return start + len(text[start:end].encode("utf-8")[:col_offset].decode("utf-8", errors="replace"))


def _node_span(text: str, offsets: list[int], node: ast.AST) -> tuple[int, int]:
    start = ast_offset(text, offsets, node.lineno, node.col_offset)  # type: ignore[attr-defined]
    end = ast_offset(text, offsets, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
    return start, end


def _declared_hydra_allows(facts: Facts, version: str) -> bool:
    """Whether the declared hydra-core requirement (if any) admits ``version`` (version_base must not exceed it)."""
    from packaging.requirements import InvalidRequirement, Requirement

    from expcheck.facts.dependencies import declared_dependencies

    declared = facts.derived(declared_dependencies)
    if declared is None:
        return True
    for item in declared.requirements:
        if item.name != "hydra-core":
            continue
        try:
            spec = Requirement(item.text).specifier
        except InvalidRequirement:
            return False
        if spec and not any(spec.contains(f"{version}.{patch}", prereleases=False) for patch in range(10)):
            return False
    return True


def _decorator_call(app: HydraApp, line: int) -> ast.Call | None:
    for decorator in app.node.decorator_list:
        if isinstance(decorator, ast.Call) and decorator.lineno == line:
            return decorator
    return None


def repair_version_base(facts: Facts, finding: Finding) -> list[Edit]:
    """C203: pass ``version_base="1.3"`` after the decorator's last argument (in the quotes it uses)."""
    app = next(
        (
            a
            for a in facts.derived(hydra_apps)
            if (a.path, a.line, a.column) == (finding.path, finding.line, finding.column)
        ),
        None,
    )
    if app is None or app.version_base_given or app.config_path is None:
        return []  # without an explicit config_path, version_base would also change where configs are searched
    call = _decorator_call(app, app.line)
    if call is None or any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
        return []
    if len(call.args) > 2 or not _declared_hydra_allows(facts, VERSION_BASE):
        return []
    text = facts.files[app.path].text
    offsets = line_offsets(facts.files[app.path])
    arguments: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
    last = max(arguments, key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0))
    _, at = _node_span(text, offsets, last)
    quote = "'" if text[at - 1 : at] == "'" else '"'
    argument = f"version_base={quote}{VERSION_BASE}{quote}"
    start, _ = _node_span(text, offsets, last)
    indent = text[offsets[last.lineno - 1] : start]
    trailing = re.match(r"[ \t]*,", text[at:])
    if trailing and last.lineno > call.lineno and not indent.strip():
        # One argument per line with a trailing comma: the new argument gets its own line.
        at += trailing.end()
        return [Edit(app.path, at, at, f"\n{indent}{argument},")]
    return [Edit(app.path, at, at, f", {argument}")]


def _hydra_node(module: ast.Module, line: int, column: int) -> ast.Attribute | ast.Subscript | None:
    """The ``<name>.hydra`` or ``<name>["hydra"]`` node starting at (line, column 1-based)."""
    for node in ast.walk(module):
        if not isinstance(node, ast.Attribute | ast.Subscript):
            continue
        if (node.lineno, node.col_offset + 1) != (line, column) or not isinstance(node.value, ast.Name):
            continue
        if isinstance(node, ast.Attribute) and node.attr == "hydra":
            return node
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "hydra":
            return node
    return None


def _import_edit(path: str, module: ast.Module, text: str, offsets: list[int]) -> list[Edit] | None:
    """The edit importing HydraConfig after the module's leading imports; [] when imported; None if unsafe."""
    last_import: ast.stmt | None = None
    for stmt in module.body:
        if (
            isinstance(stmt, ast.ImportFrom)
            and stmt.module == "hydra.core.hydra_config"
            and any(a.name == "HydraConfig" and a.asname is None for a in stmt.names)
        ):
            return []
    for node in ast.walk(module):
        bound = (isinstance(node, ast.Name) and node.id == "HydraConfig" and isinstance(node.ctx, ast.Store)) or (
            isinstance(node, ast.alias) and (node.asname or node.name.split(".")[0]) == "HydraConfig"
        )
        if bound or (isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == "HydraConfig"):
            return None  # the name means something else here
    for stmt in module.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            last_import = stmt
        elif not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and last_import is None):
            break
    if last_import is None or last_import.end_lineno is None or last_import.end_lineno >= len(offsets):
        return None
    line_end = offsets[last_import.end_lineno]
    if text[offsets[last_import.end_lineno - 1] : line_end].rstrip("\n").rstrip().endswith(("\\", ";")):
        return None
    return [Edit(path, line_end, line_end, _HYDRA_CONFIG_IMPORT + "\n")]


def repair_hydra_node_read(facts: Facts, finding: Finding) -> list[Edit]:
    """C206: ``cfg.hydra`` becomes ``HydraConfig.get()`` (the same node, as Hydra exposes it to the app)."""
    module = facts.python.get(finding.path)
    if module is None or module.tree is None or finding.line is None or finding.column is None:
        return []
    accesses = [
        a
        for a in facts.derived(cfg_flow).accesses
        if (a.path, a.line, a.column) == (finding.path, finding.line, finding.column)
        and a.binding.root == "cfg"
        and a.binding.keys[:1] == ("hydra",)
        and a.kind != "write"
    ]
    node = _hydra_node(module.tree, finding.line, finding.column) if accesses else None
    if node is None or not isinstance(node.value, ast.Name):
        return []
    text = module.file.text
    offsets = line_offsets(module.file)
    start, end = _node_span(text, offsets, node)
    name = re.escape(node.value.id)
    if not re.fullmatch(rf"{name}(?:\.hydra|\[(['\"])hydra\1\])", text[start:end]):
        return []  # the tree and the text disagree (positions inside an f-string): leave it
    imports = _import_edit(finding.path, module.tree, text, offsets)
    if imports is None:
        return []
    return [Edit(finding.path, start, end, "HydraConfig.get()"), *imports]


def _mode_default(facts: Facts, key: str) -> str | None:
    """The value config.yaml should declare for the profile's mode key: the full-mode value."""
    modes = facts.profile.modes
    if modes is None or modes.key != key:
        return None
    if modes.full_override:
        name, _, value = modes.full_override.partition("=")
        return value if name == key and re.fullmatch(r"[A-Za-z0-9_.-]+", value) else None
    name, _, value = modes.trial_override.partition("=")
    return {"true": "false", "True": "false"}.get(value) if name == key else None


def repair_missing_mode_key(facts: Facts, finding: Finding) -> list[Edit]:
    """C204 "Could not override '<mode key>'": declare the key in the primary config, set to full mode.

    Only the profile's trial/full switch has a value known for certain (the full run's); the line is
    appended at the end of the file, at the top level, and the result must parse to the same mapping
    plus that key.
    """
    import yaml

    match = re.search(r"Could not override '([A-Za-z_][\w-]*)'", finding.message)
    file = facts.files.get(finding.path)
    if match is None or file is None or not finding.path.endswith((".yaml", ".yml")):
        return []
    key = match.group(1)
    value = _mode_default(facts, key)
    if value is None:
        return []
    try:  # read as the facts read it: an impossible date is text, as in OmegaConf's loader
        before = yaml_data(file.text)
        new_text = file.text + ("" if file.text.endswith("\n") or not file.text else "\n") + f"{key}: {value}\n"
        after = yaml_data(new_text)
    except yaml.YAMLError:
        return []
    if not isinstance(before, dict) or key in before or not isinstance(after, dict):
        return []
    if {k: v for k, v in after.items() if k != key} != before or key not in after:
        return []
    return [Edit(finding.path, len(file.text), len(file.text), new_text[len(file.text) :])]
