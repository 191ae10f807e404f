"""Where the code reads and writes the Hydra config, followed from each ``@hydra.main`` function.

The composed config enters through the decorated function's first parameter. From there this
module follows it through aliases (``tr = cfg.training``), attributes of ``self``, and calls into
the project's own functions and classes (a parameter that receives ``cfg`` or a sub-node is bound to
that node), and records every access as a key path from the config root:

- ``read``: the run fails if the key is absent (attribute or constant-subscript access);
- ``optional``: ``.get(k, default)``, ``getattr(x, k, d)``, ``OmegaConf.select``, or a read guarded
  by ``"k" in node`` / ``hasattr`` / a broad ``except``;
- ``write``: an assignment, with whether struct mode is lifted there (``open_dict``,
  ``flag_override(x, "struct", False)``, ``OmegaConf.set_struct(x, False)``; not ``read_write``, which
  lifts only the read-only flag).

Each access carries the branch conditions it sits under. Conditions that compare a config value
with constants (``cfg.method == "proposed"``, ``cfg.mode in ("trial",)``) are kept so a rule can
decide them per run; any other condition marks the access as uncertain.

A run config the code loads itself (``OmegaConf.load(".../runs/{run}.yaml")``) is a second root,
``runfile``, whose keys are checked against each run's own config file.

This module is the dataflow only: modules, their bindings and what a called name stands for
(imports scoped as Python scopes them, followed into other modules) come from the shared model,
``facts/imports.py`` (``ProjectIndex.definition``) over ``facts/semantic.py``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Literal

from expcheck.facts import Facts
from expcheck.facts.hydra_app import hydra_apps
from expcheck.facts.imports import ModuleInfo, project_index, script_module
from expcheck.facts.linespans import mention_lines, renames_identifiers, spans
from expcheck.facts.python import iter_statements, walk
from expcheck.facts.semantic import callee_attr, dotted_name, last_name
from expcheck.facts.sourcetext import source_text

RootKind = Literal["cfg", "runfile", "reshaped"]  # reshaped: rebound to a config of unknown shape
AccessKind = Literal["read", "optional", "write"]

# Methods of DictConfig/ListConfig and of plain values: a chain ending in a call drops the method.
_GET_METHODS = frozenset({"get", "setdefault", "pop"})
_BROAD_EXCEPTIONS = frozenset(
    {
        "Exception",
        "BaseException",
        "AttributeError",
        "KeyError",
        "LookupError",
        "ConfigAttributeError",
        "ConfigKeyError",
        "MissingMandatoryValue",
        "OmegaConfBaseException",
        "InterpolationResolutionError",
    }
)
_STRUCT_OPENERS = frozenset({"open_dict"})
_IN_PLACE_MERGES = frozenset({"merge_with", "update"})
# Context managers of OmegaConf whose ``as`` target is the config node passed first, bound as an alias.
# ``read_write`` yields its node too, but it lifts only the read-only flag, not struct mode: it is no struct
# opener, and an alias through it is left unbound, so a key added through the alias is not taken to exist.
_YIELDS_ITS_NODE = frozenset({"open_dict", "flag_override"})
_MAX_DEPTH = 8
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_NESTED_SCOPES = frozenset({ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp})


@dataclass(frozen=True)
class KeyPath:
    """A node of a config: its root and the keys from there (``cfg`` + ("training", "lr"))."""

    root: RootKind
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    """A branch condition on one config value: ``value <op> constants`` must hold for the branch to run."""

    binding: KeyPath
    op: Literal["in", "not in", "truthy", "falsy"]
    constants: tuple[object, ...] = ()


@dataclass(frozen=True)
class Access:
    path: str
    line: int
    column: int
    binding: KeyPath  # the full key path read or written
    kind: AccessKind
    conditions: tuple[Condition, ...] = ()
    uncertain: bool = False  # under a branch whose condition cannot be decided from the config
    struct_open: bool = False  # writes: struct mode lifted here
    value: Literal["runfile", "runfile-merge", "other"] = "other"  # writes: what is assigned
    # runfile-merge writes: the keys of the Hydra config node passed first to OmegaConf.merge while that
    # node is still in struct mode (no open_dict / set_struct(False) around it); None otherwise.
    struct_merge_base: tuple[str, ...] | None = None
    text: str = ""  # the access as written
    value_text: str = ""  # writes: the assigned expression as written
    app: str = ""  # the @hydra.main function (path:name) whose config this is: each app is its own process


@dataclass
class CfgFlow:
    accesses: list[Access] = field(default_factory=list)
    # Function keys analysed: which project functions the config reaches.
    reached: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Ctx:
    conditions: tuple[Condition, ...] = ()
    uncertain: bool = False
    optional_keys: frozenset[tuple[str, tuple[str, ...]]] = frozenset()  # guarded (root, keys)
    broad_try: bool = False
    struct_open: frozenset[KeyPath] = frozenset()


def _segments(node: ast.expr) -> list[str] | None:
    """The key path a chain writes from its root name: ``a.b["c"].d`` -> ["a", "b", "c", "d"] (attributes
    and constant string subscripts); None unless the chain starts at a Name."""
    segs: list[str] = []
    cur: ast.expr = node
    while True:
        kind = type(cur)
        if kind is ast.Attribute:
            segs.append(cur.attr)  # type: ignore[attr-defined]
            cur = cur.value  # type: ignore[attr-defined]
        elif kind is ast.Name:
            segs.append(cur.id)  # type: ignore[attr-defined]
            segs.reverse()
            return segs
        elif kind is ast.Subscript:
            key = cur.slice  # type: ignore[attr-defined]
            if type(key) is not ast.Constant or not isinstance(key.value, str):
                return None
            segs.append(key.value)
            cur = cur.value  # type: ignore[attr-defined]
        else:
            return None


def _const_str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _assigned_value(info: ModuleInfo, name: str) -> ast.expr | None:
    """The value last assigned to module-level ``name`` (``RUNS = "config/runs"``); None when none."""
    for binding in reversed(info.bindings.get(name, ())):
        node = binding.node
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            return node.value
    return None


class _Texts:
    """``source_text`` (``ast.unparse``) of the nodes of one check's trees, each computed once (the trees
    outlive the analysis)."""

    def __init__(self) -> None:
        self._done: dict[int, str] = {}

    def __call__(self, node: ast.AST | None) -> str:
        if node is None:
            return ""
        found = self._done.get(id(node))
        if found is None:
            found = self._done[id(node)] = source_text(node)
        return found


class _LocalText(dict[str, ast.expr]):
    """The value last assigned to each local name of a function, its source text read on demand."""

    def __init__(self, texts: _Texts) -> None:
        super().__init__()
        self._texts = texts

    def text(self, name: str) -> str:
        return self._texts(self.get(name))


class _Analyzer:
    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.index = facts.derived(project_index)
        run_dir = facts.profile.run_config_dir or ""
        segment = run_dir.rstrip("/").rsplit("/", 1)[-1]
        self._runfile_pattern = re.compile(rf"""(['"/]){re.escape(segment)}(['"/])""") if segment else None
        self.flow = CfgFlow()
        self.current_app = ""
        self._done: set[tuple[object, ...]] = set()
        self._statements: dict[int, list[ast.stmt]] = {}
        self.texts = _Texts()
        self._mentions: dict[tuple[str, frozenset[str]], list[int] | None] = {}
        self._renames: dict[str, bool] = {}
        self._assigns: dict[int, list[tuple[ast.Assign, tuple[str, ...]]]] = {}
        self._struct_offs: dict[int, list[ast.Call]] = {}
        self._definitions: dict[tuple[int, str, str], tuple[ModuleInfo, ast.AST] | None] = {}
        self._struct_off_anywhere: bool | None = None  # some file names set_struct at all
        self._unlocked: dict[int, frozenset[str]] = {}  # per project function: parameters it unlocks for good

    def statements_of(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
        found = self._statements.get(id(func))
        if found is None:
            found = self._statements[id(func)] = iter_statements(func.body)
        return found

    def struct_offs_of(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
        """The ``x.set_struct(node, False)`` statements of ``func`` (nested bodies included), in order."""
        found = self._struct_offs.get(id(func))
        if found is None:
            found = self._struct_offs[id(func)] = [
                node.value
                for node in self.statements_of(func)
                if isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Call)
                and callee_attr(node.value) == "set_struct"
                and len(node.value.args) == 2
                and isinstance(node.value.args[1], ast.Constant)
                and node.value.args[1].value is False
            ]
        return found

    def assigns_of(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[ast.Assign, tuple[str, ...]]]:
        """The one-target assignments of ``func`` (nested bodies included) whose target is a key chain, in order.

        ``with open_dict(node) as name:`` counts as ``name = node``: ``open_dict`` and ``flag_override`` yield
        the very node they are given (see _YIELDS_ITS_NODE), when ``name`` is bound nowhere else."""
        found = self._assigns.get(id(func))
        if found is None:
            found = []
            aliases: list[tuple[ast.Assign, tuple[str, ...]]] = []
            bound: dict[str, int] = {}  # name -> how many statements bind it
            for node in self.statements_of(func):
                if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for name in {n for t in targets for n in _bound_names(t)}:
                        bound[name] = bound.get(name, 0) + 1
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = _segments(node.targets[0])
                    if target is not None:
                        found.append((node, tuple(target)))
                elif isinstance(node, ast.With | ast.AsyncWith):
                    for item in node.items:
                        call, alias = item.context_expr, item.optional_vars
                        if alias is not None:
                            for name in _bound_names(alias):
                                bound[name] = bound.get(name, 0) + 1
                        if (
                            isinstance(alias, ast.Name)
                            and isinstance(call, ast.Call)
                            and call.args
                            and callee_attr(call) in _YIELDS_ITS_NODE
                        ):
                            assign = ast.Assign(targets=[alias], value=call.args[0])
                            aliases.append((ast.copy_location(assign, item.context_expr), (alias.id,)))
            # An alias the function binds again anywhere else (``tr = cfg.other`` in the block) may not be
            # the node at a given write: it is left to the plain assignments.
            found += [(node, target) for node, target in aliases if bound.get(target[0], 0) == 1]
            found.sort(key=lambda pair: (pair[0].lineno, pair[0].col_offset))
            self._assigns[id(func)] = found
        return found

    # ---- resolution ----------------------------------------------------------------------

    def _resolve_callable(
        self, module: ModuleInfo, func: ast.expr, cls: ast.ClassDef | None, function: str
    ) -> tuple[ModuleInfo, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] | None:
        """The project function or class a call in ``function`` of ``module`` reaches (``self.m`` in ``cls``)."""
        if cls is not None and isinstance(func, ast.Attribute) and dotted_name(func.value) == "self":
            for item in cls.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == func.attr:
                    return module, item
            return None
        dotted = dotted_name(func)
        if dotted is None:
            return None
        key = (id(module), dotted, function)
        if key in self._definitions:
            return self._definitions[key]  # type: ignore[return-value]
        found = self.index.definition(module, dotted, function)
        out = None if found is None or not isinstance(found[1].node, _DEFINITIONS) else (found[0], found[1].node)
        self._definitions[key] = out
        return out  # type: ignore[return-value]

    def _is_runfile_load(self, node: ast.expr, module: ModuleInfo, local_text: _LocalText) -> bool:
        if self._runfile_pattern is None or not isinstance(node, ast.Call):
            return False
        if dotted_name(node.func) not in ("OmegaConf.load", "omegaconf.OmegaConf.load") or not node.args:
            return False
        arg = node.args[0]
        text = self.texts(arg)
        names = [n.id for n in ast.walk(arg) if isinstance(n, ast.Name)]
        texts = [
            text,
            *(local_text.text(n) for n in names),
            *(self.texts(_assigned_value(module, n)) for n in names),
        ]
        return any(self._runfile_pattern.search(t) for t in texts)

    # ---- binding of expressions ------------------------------------------------------------

    @staticmethod
    def _bind(bindings: dict[tuple[str, ...], KeyPath], segs: list[str]) -> tuple[KeyPath, int] | None:
        """The binding of the longest bound prefix of ``segs`` and that prefix's length."""
        chain = tuple(segs)
        for cut in range(len(chain), 0, -1):
            found = bindings.get(chain[:cut])
            if found is not None:
                return found, cut
        return None

    def _expr_binding(self, bindings: dict[tuple[str, ...], KeyPath], node: ast.expr) -> KeyPath | None:
        found = self._expr_access(bindings, node)
        return found[0] if found is not None else None

    def _expr_access(self, bindings: dict[tuple[str, ...], KeyPath], node: ast.expr) -> tuple[KeyPath, bool] | None:
        """The binding ``node`` evaluates to, and whether evaluating it reads the config (goes past an alias)."""
        segs = _segments(node)
        if segs is None:
            return None
        return self._segments_access(bindings, segs)

    def _segments_access(
        self, bindings: dict[tuple[str, ...], KeyPath], segs: list[str]
    ) -> tuple[KeyPath, bool] | None:
        """``_expr_access`` of the chain whose key path from its root name is ``segs``."""
        bound = self._bind(bindings, segs)
        if bound is None:
            return None
        binding, cut = bound
        return KeyPath(binding.root, binding.keys + tuple(segs[cut:])), cut < len(segs)

    # ---- analysis -------------------------------------------------------------------------

    def analyse_function(
        self,
        module: ModuleInfo,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        bindings: dict[tuple[str, ...], KeyPath],
        cls: ast.ClassDef | None = None,
        depth: int = 0,
        base: _Ctx | None = None,
        qualname: str | None = None,
    ) -> dict[tuple[str, ...], KeyPath]:
        """Record the accesses of ``func``; returns the ``self.*`` bindings it creates (for classes).

        ``base`` carries the call site's branch conditions into the callee: a function called only
        when ``cfg.dataset.name == "cifar10"`` reads its keys only for such runs. ``qualname`` names
        ``func`` in its module (default: ``func.name``, ``Class.name`` for a method of ``cls``); the
        imports written in it and around it are the ones its calls see.
        """
        base = base or _Ctx()
        if qualname is None:
            qualname = f"{cls.name}.{func.name}" if cls else func.name
        key = (
            module.path,
            qualname,
            frozenset(bindings.items()),
            base.conditions,
            base.uncertain,
        )
        if key in self._done or depth > _MAX_DEPTH:
            return {}
        self._done.add(key)
        self.flow.reached.add(f"{module.path}:{key[1]}")
        bindings = dict(bindings)
        local_text = _LocalText(self.texts)
        # Aliases, to a fixpoint: x = cfg.a ; y = x.b ; self.cfg = cfg ; rc = OmegaConf.load(runs file)
        for _ in range(4):
            changed = False
            for node, tsegs in self.assigns_of(func):
                if isinstance(node.targets[0], ast.Name):
                    local_text[tsegs[0]] = node.value
                value: KeyPath | None
                if self._is_runfile_load(node.value, module, local_text):
                    value = KeyPath("runfile", ())
                else:
                    value = self._expr_binding(bindings, node.value)
                    if value is None and isinstance(node.value, ast.Call) and callee_attr(node.value) == "merge":
                        for arg in node.value.args:
                            value = self._expr_binding(bindings, arg)
                            if value is not None:
                                break
                if value is None:
                    continue
                # An assignment into a bound node is a write, not an alias (cfg.run = loaded file).
                if self._bind(bindings, list(tsegs)) is not None and len(tsegs) > 1 and tsegs[0] != "self":
                    continue
                if bindings.get(tsegs) != value and tsegs not in bindings:
                    bindings[tsegs] = value
                    changed = True
            if not changed:
                break
        struct_open_fn = frozenset(
            b for node in self.struct_offs_of(func) if (b := self._expr_binding(bindings, node.args[0])) is not None
        )
        rebound = {
            node.targets[0].id
            for node, _ in self.assigns_of(func)
            if isinstance(node.targets[0], ast.Name)
            and (node.targets[0].id,) in bindings
            and self._expr_binding(bindings, node.value) != bindings[(node.targets[0].id,)]
            and not _merges_runfile(node.value, self, bindings, module, local_text)
            and not self._is_runfile_load(node.value, module, local_text)
        }
        for name in rebound:  # its shape after the rebinding is unknown: stop checking keys through it
            bindings[(name,)] = KeyPath("reshaped", ())
        walker = _Walker(self, module, bindings, cls, depth, local_text, qualname)
        walker.lines = self._lines_naming(module, {k[0] for k in bindings if k})
        walker.rebound_plain = {
            node.targets[0].id
            for node, _ in self.assigns_of(func)
            if isinstance(node.targets[0], ast.Name)
            and (node.targets[0].id,) in bindings
            and self._expr_binding(bindings, node.value) is None
            and not _merges_runfile(node.value, self, bindings, module, local_text)
        }
        # Struct mode lifted by the caller (open_dict around the call, set_struct(cfg, False) before it) holds here too.
        opened = struct_open_fn | base.struct_open
        walker.block(func.body, _Ctx(conditions=base.conditions, uncertain=base.uncertain, struct_open=opened))
        return {k: v for k, v in bindings.items() if k and k[0] == "self" and len(k) == 2}

    def unlocked_by(
        self, module: ModuleInfo, node: ast.stmt, bindings: dict[tuple[str, ...], KeyPath], qualname: str
    ) -> frozenset[KeyPath]:
        """Nodes whose struct mode the call statement ``node`` turns off for good through a project function:
        ``unlock(cfg)`` where ``def unlock(c): OmegaConf.set_struct(c, False)`` (the flag stays on the node
        after the call). The walker lifts struct mode for the statements after ``node`` in its block only."""
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            return frozenset()
        if self._struct_off_anywhere is None:
            self._struct_off_anywhere = any("set_struct" in f.text for f in self.facts.files.values())
        if not self._struct_off_anywhere:
            return frozenset()
        call = node.value
        if not isinstance(call.func, ast.Name | ast.Attribute) or callee_attr(call) == "set_struct":
            return frozenset()
        target = self._resolve_callable(module, call.func, None, qualname)
        if target is None or not isinstance(target[1], ast.FunctionDef | ast.AsyncFunctionDef):
            return frozenset()
        callee = target[1]
        turned_off = self._unlocked_params(callee)
        if not turned_off:
            return frozenset()
        params = [a.arg for a in callee.args.posonlyargs + callee.args.args]
        given = list(zip(params, call.args, strict=False))
        given += [(kw.arg, kw.value) for kw in call.keywords if kw.arg]
        found: set[KeyPath] = set()
        for name, arg in given:
            if name in turned_off and not isinstance(arg, ast.Starred):
                binding = self._expr_binding(bindings, arg)
                if binding is not None:
                    found.add(binding)
        return frozenset(found)

    def _unlocked_params(self, callee: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
        """The parameters whose struct mode every call of ``callee`` leaves off: a ``set_struct(p, False)``
        statement of the function's own body (not under a condition, a loop or a try), no ``return`` before
        it, ``p`` never rebound in the function, and no other ``set_struct(p, ...)`` (one turning it on again,
        positional or ``value=True``, or with a value not literally False)."""
        found = self._unlocked.get(id(callee))
        if found is not None:
            return found
        params = {a.arg for a in callee.args.posonlyargs + callee.args.args + callee.args.kwonlyargs}
        statements = self.statements_of(callee)
        rebound = {
            name
            for stmt in statements
            if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor | ast.With)
            for target in (
                stmt.targets
                if isinstance(stmt, ast.Assign)
                else [item.optional_vars for item in stmt.items if item.optional_vars is not None]
                if isinstance(stmt, ast.With)
                else [stmt.target]
            )
            for name in _bound_names(target)
        }
        settings: dict[str, list[tuple[ast.stmt, object]]] = {}
        for stmt in statements:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and callee_attr(stmt.value) == "set_struct":
                node_arg, value_arg = _set_struct_args(stmt.value)
                if isinstance(node_arg, ast.Name):
                    value = value_arg.value if isinstance(value_arg, ast.Constant) else None
                    settings.setdefault(node_arg.id, []).append((stmt, value))
        first_return = min(
            (s.lineno for s in statements if isinstance(s, ast.Return | ast.Raise)), default=None
        )
        top = {id(stmt) for stmt in callee.body}
        found = frozenset(
            name
            for name, calls in settings.items()
            if name in params
            and name not in rebound
            and all(value is False for _, value in calls)
            and any(
                id(stmt) in top and (first_return is None or stmt.lineno < first_return) for stmt, _ in calls
            )
        )
        self._unlocked[id(callee)] = found
        return found

    def _lines_naming(self, module: ModuleInfo, roots: set[str]) -> list[int] | None:
        """The lines of ``module`` that name one of ``roots`` (the names a function's bindings start at): a
        statement of that function on no such line reads, writes and passes on no config node. None when
        that cannot be told from the text."""
        parsed = self.facts.python.get(module.path)
        if parsed is None or parsed.tree is None:
            return None
        key = (module.path, frozenset(roots))
        if key not in self._mentions:  # the module's lines, once per set of roots: a statement of func is in func
            renames = self._renames.get(module.path)
            if renames is None:
                renames = self._renames[module.path] = renames_identifiers(parsed.file.text)
            self._mentions[key] = None if renames else mention_lines(parsed.file, roots, checked=True)
        return self._mentions[key]

    def analyse_call_target(
        self,
        module: ModuleInfo,
        target: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
        call: ast.Call,
        caller_bindings: dict[tuple[str, ...], KeyPath],
        cls: ast.ClassDef | None,
        depth: int,
        ctx: _Ctx | None = None,
    ) -> None:
        base = _Ctx(conditions=ctx.conditions, uncertain=ctx.uncertain) if ctx is not None else None
        if isinstance(target, ast.ClassDef):
            init = next((n for n in target.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            if init is None:
                return
            params = self._param_bindings(init, call, caller_bindings, skip_self=True)
            if not params:
                return
            self_bindings = self.analyse_function(module, init, params, target, depth + 1, base)
            if self_bindings:
                for item in target.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name != "__init__":
                        self.analyse_function(module, item, dict(self_bindings), target, depth + 1, base)
            return
        is_method = cls is not None and isinstance(call.func, ast.Attribute) and dotted_name(call.func.value) == "self"
        params = self._param_bindings(target, call, caller_bindings, skip_self=is_method)
        if is_method:
            params.update({k: v for k, v in caller_bindings.items() if k and k[0] == "self"})
        if params:
            self.analyse_function(module, target, params, cls if is_method else None, depth + 1, base)

    def _param_bindings(
        self,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        call: ast.Call,
        caller: dict[tuple[str, ...], KeyPath],
        skip_self: bool,
    ) -> dict[tuple[str, ...], KeyPath]:
        names = [a.arg for a in func.args.posonlyargs + func.args.args]
        if skip_self and names:
            names = names[1:]
        out: dict[tuple[str, ...], KeyPath] = {}
        for name, arg in zip(names, call.args, strict=False):
            if isinstance(arg, ast.Starred):
                break
            binding = self._expr_binding(caller, arg)
            if binding is not None:
                out[(name,)] = binding
        allowed = set(names) | {a.arg for a in func.args.kwonlyargs}
        for kw in call.keywords:
            if kw.arg in allowed:
                binding = self._expr_binding(caller, kw.value)
                if binding is not None:
                    out[(kw.arg,)] = binding
        return out


class _Walker:
    """Walks one function body in order, keeping branch conditions and guards."""

    def __init__(
        self,
        analyzer: _Analyzer,
        module: ModuleInfo,
        bindings: dict[tuple[str, ...], KeyPath],
        cls: ast.ClassDef | None,
        depth: int,
        local_text: _LocalText,
        function: str,
    ) -> None:
        self.a = analyzer
        self.module = module
        self.bindings = bindings
        self.cls = cls
        self.depth = depth
        self.local_text = local_text
        self.function = function  # the qualname of the function walked
        self.rebound_plain: set[str] = set()
        self.lines: list[int] | None = None  # the lines a statement must touch to matter (None: all)
        self._guards: dict[int, frozenset[tuple[str, tuple[str, ...]]]] = {}  # the bindings are fixed per walk

    # -- statements --
    def block(self, stmts: list[ast.stmt], ctx: _Ctx) -> None:
        for stmt in stmts:
            self.stmt(stmt, ctx)
            if type(stmt) is ast.Expr and spans(stmt, self.lines):
                # ``unlock(cfg)`` turns struct mode off for the statements after it in this block.
                unlocked = self.a.unlocked_by(self.module, stmt, self.bindings, self.function)
                if unlocked - ctx.struct_open:
                    ctx = _replace(ctx, struct_open=ctx.struct_open | unlocked)

    def stmt(self, node: ast.stmt, ctx: _Ctx) -> None:
        if not spans(node, self.lines):
            return  # names no binding: nothing here touches the config
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return  # nested definitions run only when called; calls are followed where they happen
        if isinstance(node, ast.If):
            self.expr(node.test, ctx)
            yes, no = self.branch(node.test, ctx)
            self.block(node.body, yes)
            self.block(node.orelse, no)
            return
        if isinstance(node, ast.While):
            self.expr(node.test, ctx)
            self.block(node.body, ctx)
            self.block(node.orelse, ctx)
            return
        if isinstance(node, ast.Try | ast.TryStar):
            broad = any(self._is_broad(h) for h in node.handlers)
            self.block(node.body, _replace(ctx, broad_try=ctx.broad_try or broad))
            for handler in node.handlers:
                self.block(handler.body, _replace(ctx, uncertain=True))
            self.block(node.orelse, ctx)
            self.block(node.finalbody, ctx)
            return
        if isinstance(node, ast.With | ast.AsyncWith):
            opened = set(ctx.struct_open)
            for item in node.items:
                self.expr(item.context_expr, ctx)
                call = item.context_expr
                if isinstance(call, ast.Call) and call.args:
                    name = callee_attr(call)
                    is_flag = name == "flag_override" and len(call.args) >= 3
                    if name in _STRUCT_OPENERS or (
                        is_flag and _const_str(call.args[1]) == "struct" and getattr(call.args[2], "value", 1) is False
                    ):
                        binding = self.a._expr_binding(self.bindings, call.args[0])
                        if binding is not None:
                            opened.add(binding)
            self.block(node.body, _replace(ctx, struct_open=frozenset(opened)))
            return
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            value = node.value
            if value is not None:
                self.expr(value, ctx)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                self.target(target, value, ctx, augmented=isinstance(node, ast.AugAssign))
            return
        if isinstance(node, ast.For | ast.AsyncFor):
            self.expr(node.iter, ctx)
            self.block(node.body, ctx)
            self.block(node.orelse, ctx)
            return
        if isinstance(node, ast.Match):
            self.expr(node.subject, ctx)
            for case in node.cases:
                self.block(case.body, _replace(ctx, uncertain=True))
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child, ctx)
            elif isinstance(child, ast.stmt):
                self.stmt(child, ctx)

    @staticmethod
    def _is_broad(handler: ast.ExceptHandler) -> bool:
        if handler.type is None:
            return True
        names = [handler.type] if not isinstance(handler.type, ast.Tuple) else list(handler.type.elts)
        return any(last_name(n) in _BROAD_EXCEPTIONS for n in names)

    # -- branch conditions --
    def branch(self, test: ast.expr, ctx: _Ctx) -> tuple[_Ctx, _Ctx]:
        cond = self.condition(test)
        guards = self.guards(test)
        yes = _replace(ctx, optional_keys=ctx.optional_keys | guards)
        if cond is None:
            return _replace(yes, uncertain=True), _replace(ctx, uncertain=True)
        if cond is True:  # a guard-only test (hasattr, "k" in x): not a config condition
            return _replace(yes, uncertain=True), _replace(ctx, uncertain=True)
        positive, negative = cond
        return (
            _replace(yes, conditions=ctx.conditions + positive),
            _replace(ctx, conditions=ctx.conditions + negative)
            if negative is not None
            else _replace(ctx, uncertain=True),
        )

    def condition(self, test: ast.expr) -> tuple[tuple[Condition, ...], tuple[Condition, ...] | None] | bool | None:
        """(conditions when true, conditions when false or None) for a decidable test; True for a guard."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self.condition(test.operand)
            if isinstance(inner, tuple) and inner[1] is not None:
                return inner[1], inner[0]
            return None
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            parts = [self.condition(v) for v in test.values]
            if all(isinstance(p, tuple) for p in parts):
                return tuple(c for p in parts for c in p[0]), None  # type: ignore[index]
            return None
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            left, right, op = test.left, test.comparators[0], test.ops[0]
            binding = self.a._expr_binding(self.bindings, left)
            if binding is None:
                return True if self.guards(test) else None
            consts = _constants(right)
            if consts is None:
                return None
            if isinstance(op, ast.Eq | ast.Is) or (
                isinstance(op, ast.In) and isinstance(right, ast.Tuple | ast.List | ast.Set)
            ):
                return (Condition(binding, "in", consts),), (Condition(binding, "not in", consts),)
            if isinstance(op, ast.NotEq | ast.IsNot) or (
                isinstance(op, ast.NotIn) and isinstance(right, ast.Tuple | ast.List | ast.Set)
            ):
                return (Condition(binding, "not in", consts),), (Condition(binding, "in", consts),)
            return None
        binding = self.a._expr_binding(self.bindings, test)
        if binding is not None:
            return (Condition(binding, "truthy"),), (Condition(binding, "falsy"),)
        if self.guards(test):
            return True
        return None

    def guards(self, test: ast.expr) -> frozenset[tuple[str, tuple[str, ...]]]:
        """Keys a test proves present: ``"k" in node``, ``hasattr(node, "k")``, ``node.get("k")``."""
        known = self._guards.get(id(test))
        if known is None:
            known = self._guards[id(test)] = self._find_guards(test)
        return known

    def _find_guards(self, test: ast.expr) -> frozenset[tuple[str, tuple[str, ...]]]:
        found: set[tuple[str, tuple[str, ...]]] = set()
        for node in walk(test):
            if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In):
                key = _const_str(node.left)
                binding = self.a._expr_binding(self.bindings, node.comparators[0])
                if key is not None and binding is not None:
                    found.add((binding.root, (*binding.keys, key)))
            elif isinstance(node, ast.Call) and node.args:
                name = callee_attr(node)
                if name == "hasattr" and len(node.args) == 2:
                    key = _const_str(node.args[1])
                    binding = self.a._expr_binding(self.bindings, node.args[0])
                    if key is not None and binding is not None:
                        found.add((binding.root, (*binding.keys, key)))
                elif name == "get" and isinstance(node.func, ast.Attribute):
                    key = _const_str(node.args[0])
                    binding = self.a._expr_binding(self.bindings, node.func.value)
                    if key is not None and binding is not None:
                        found.add((binding.root, (*binding.keys, key)))
        return frozenset(found)

    # -- expressions --
    def record(self, node: ast.expr, binding: KeyPath, kind: AccessKind, ctx: _Ctx, **extra: object) -> None:
        if kind == "read" and (ctx.broad_try or (binding.root, binding.keys) in ctx.optional_keys):
            kind = "optional"
        self.a.flow.accesses.append(
            Access(
                path=self.module.path,
                line=node.lineno,
                column=node.col_offset + 1,
                binding=binding,
                kind=kind,
                conditions=ctx.conditions,
                uncertain=ctx.uncertain,
                text=_display(node),
                app=self.a.current_app,
                **extra,  # type: ignore[arg-type]
            )
        )

    def expr(self, node: ast.expr, ctx: _Ctx) -> None:
        kind = type(node)
        if kind is ast.Name or kind is ast.Constant:
            return  # nothing below: a name alone reads no key
        if kind is ast.Call:
            self.call(node, ctx)  # type: ignore[arg-type]
            return
        if kind is ast.IfExp:
            self.expr(node.test, ctx)
            yes, no = self.branch(node.test, ctx)
            self.expr(node.body, yes)
            self.expr(node.orelse, no)
            return
        if kind is ast.BoolOp:
            guards: frozenset[tuple[str, tuple[str, ...]]] = frozenset()
            for i, value in enumerate(node.values):
                inner = _replace(ctx, optional_keys=ctx.optional_keys | guards, uncertain=ctx.uncertain or i > 0)
                self.expr(value, inner)
                guards = guards | self.guards(value)
            return
        if kind in _NESTED_SCOPES:
            ctx = _replace(ctx, uncertain=True)
        elif kind is ast.Attribute or kind is ast.Subscript:
            found = _segments(node)
            if found is not None:
                access = self.a._segments_access(self.bindings, found)
                if access is not None and access[0].keys and access[1]:
                    self.record(node, access[0], "read", ctx)
                if kind is ast.Subscript:
                    self.expr(node.slice, ctx)  # type: ignore[attr-defined]
                return
        for name in node._fields:  # ast.iter_child_nodes, inlined
            value = getattr(node, name, None)
            for child in value if isinstance(value, list) else (value,):
                if isinstance(child, ast.expr):
                    self.expr(child, ctx)
                elif isinstance(child, ast.comprehension):
                    self.expr(child.iter, ctx)
                    for cond in child.ifs:
                        self.expr(cond, ctx)

    def call(self, node: ast.Call, ctx: _Ctx) -> None:
        func = node.func
        name = callee_attr(node)
        # A method called on a config node: the node itself is read; .get(k, d) reads k optionally.
        if isinstance(func, ast.Attribute):
            owner_access = self.a._expr_access(self.bindings, func.value)
            owner = owner_access[0] if owner_access is not None else None
            if owner is not None:
                if owner.keys and owner_access is not None and owner_access[1]:
                    self.record(func.value, owner, "read", ctx)
                key = _const_str(node.args[0]) if node.args else None
                if func.attr in _GET_METHODS and key is not None:
                    self.record(node, KeyPath(owner.root, (*owner.keys, key)), "optional", ctx)
                if func.attr in _IN_PLACE_MERGES:
                    self._in_place_merge(node, owner, ctx)
                for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                    self.expr(arg, ctx)
                return
            if not (isinstance(func.value, ast.Name) and func.value.id == "self"):
                self.expr(func.value, ctx)
        if name == "getattr" and len(node.args) >= 2:
            owner_access = self.a._expr_access(self.bindings, node.args[0])
            key = _const_str(node.args[1])
            if owner_access is not None and key is not None:
                owner = owner_access[0]
                if owner.keys and owner_access[1]:
                    self.record(node.args[0], owner, "read", ctx)
                kind: AccessKind = "optional" if len(node.args) >= 3 else "read"
                self.record(node, KeyPath(owner.root, (*owner.keys, key)), kind, ctx)
                return
        if (
            name in ("update", "setattr")
            and len(node.args) >= 2
            and ((dotted_name(func) or "").endswith("OmegaConf.update") or name == "setattr")
        ):
            owner = self.a._expr_binding(self.bindings, node.args[0])
            if owner is not None:
                prefix = _static_prefix(node.args[1], self.local_text)
                self.record(node, KeyPath(owner.root, (*owner.keys, *prefix, "*")), "write", ctx, struct_open=True)
        if name == "select" and len(node.args) >= 2 and (dotted_name(func) or "").endswith("OmegaConf.select"):
            owner = self.a._expr_binding(self.bindings, node.args[0])
            key = _const_str(node.args[1])
            if owner is not None and key is not None:
                self.record(node, KeyPath(owner.root, (*owner.keys, *key.split("."))), "optional", ctx)
                return
        for arg in [*node.args, *(kw.value for kw in node.keywords)]:
            self.expr(arg, ctx)
        target = self.a._resolve_callable(self.module, func, self.cls, self.function)
        if target is not None:
            module, definition = target
            self.a.analyse_call_target(module, definition, node, self.bindings, self.cls, self.depth, ctx)

    def _in_place_merge(self, node: ast.Call, owner: KeyPath, ctx: _Ctx) -> None:
        """``node.merge_with(...)`` / ``node.update(...)``: the keys the arguments bring are written at ``owner``.

        A run file merged in (``cfg.merge_with(OmegaConf.load(".../runs/{run}.yaml"))``) is a run-file merge:
        its keys are the run's own. A mapping literal or keyword arguments write their constant keys;
        anything else may write any key under the node. Like OmegaConf.merge, an in-place merge into a
        node still in struct mode refuses keys the node lacks.
        """
        opened = _opened(owner, ctx)
        receiver = _segments(node.func.value) if isinstance(node.func, ast.Attribute) else None
        plain = receiver is not None and receiver[0] in self.rebound_plain  # a plain container, not struct
        keys: list[str | None] = [kw.arg for kw in node.keywords if kw.arg is not None]
        for arg in [*node.args, *(kw.value for kw in node.keywords if kw.arg is None)]:
            if _is_runfile(arg, self.a, self.bindings, self.module, self.local_text):
                base = owner.keys if owner.root == "cfg" and "*" not in owner.keys and not (opened or plain) else None
                self.record(node, owner, "write", ctx, value="runfile-merge", struct_open=True, struct_merge_base=base)
            elif isinstance(arg, ast.Dict):
                keys.extend(_const_str(k) if k is not None else None for k in arg.keys)
            else:
                keys.append(None)
        for key in dict.fromkeys(keys):
            written = KeyPath(owner.root, (*owner.keys, key if key is not None else "*"))
            self.record(node, written, "write", ctx, struct_open=opened or plain, value_text=_display(node))

    def target(self, target: ast.expr, value: ast.expr | None, ctx: _Ctx, augmented: bool) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self.target(elt, None, ctx, augmented)
            return
        found = _segments(target)
        if found is None:
            if isinstance(target, ast.Subscript):
                owner = self.a._expr_binding(self.bindings, target.value)
                if owner is not None:  # cfg.training[k] = v: some key under training
                    self.record(target, KeyPath(owner.root, (*owner.keys, "*")), "write", ctx, struct_open=True)
                self.expr(target.value, ctx)
                self.expr(target.slice, ctx)
            return
        segs = found
        bound = self.a._bind(self.bindings, segs)
        if bound is None:
            return
        binding, cut = bound
        keys = binding.keys + tuple(segs[cut:])
        full = KeyPath(binding.root, keys)
        if cut == len(segs):
            # Rebinding the name itself: cfg = OmegaConf.merge(cfg, run_cfg) merges a run file at this node.
            if value is not None and _merges_runfile(value, self.a, self.bindings, self.module, self.local_text):
                base = self._struct_merge_base(value, ctx)
                self.record(target, full, "write", ctx, value="runfile-merge", struct_open=True, struct_merge_base=base)
            return
        if augmented:
            self.record(target, full, "read", ctx)
        opened = _opened(full, ctx)
        kind_value: Literal["runfile", "runfile-merge", "other"] = "other"
        extra: dict[str, object] = {}
        if value is not None:
            if _is_runfile(value, self.a, self.bindings, self.module, self.local_text):
                kind_value = "runfile"
            elif _merges_runfile(value, self.a, self.bindings, self.module, self.local_text):
                kind_value = "runfile-merge"
                extra["struct_merge_base"] = self._struct_merge_base(value, ctx)
        plain = segs[0] in self.rebound_plain  # the name was turned into a plain container somewhere
        self.record(
            target,
            full,
            "write",
            ctx,
            struct_open=opened or plain,
            value=kind_value,
            value_text=self.a.texts(value)[:80] if value is not None else "",
            **extra,
        )

    def _struct_merge_base(self, merge: ast.expr, ctx: _Ctx) -> tuple[str, ...] | None:
        """Keys of the Hydra config node ``OmegaConf.merge(node, ...)`` copies first, when that node is still
        in struct mode here (the merged copy keeps the flag, so keys it lacks raise ConfigKeyError)."""
        if not isinstance(merge, ast.Call) or not merge.args:
            return None
        found = _segments(merge.args[0])
        if found is None or found[0] in self.rebound_plain:
            return None
        first = self.a._expr_binding(self.bindings, merge.args[0])
        if first is None or first.root != "cfg" or "*" in first.keys:
            return None
        if _opened(first, ctx):
            return None
        return first.keys


def _is_runfile(
    node: ast.expr,
    analyzer: _Analyzer,
    bindings: dict[tuple[str, ...], KeyPath],
    module: ModuleInfo,
    local: _LocalText,
) -> bool:
    """Whether ``node`` is the run file itself: loaded right there, or a name bound to it."""
    return analyzer._is_runfile_load(node, module, local) or analyzer._expr_binding(bindings, node) == KeyPath(
        "runfile", ()
    )


def _opened(binding: KeyPath, ctx: _Ctx) -> bool:
    """Whether struct mode is lifted at ``binding`` here (open_dict around it or one of its parents)."""
    return any(binding.root == o.root and binding.keys[: len(o.keys)] == o.keys for o in ctx.struct_open)


def _merges_runfile(
    value: ast.expr,
    analyzer: _Analyzer,
    bindings: dict[tuple[str, ...], KeyPath],
    module: ModuleInfo,
    local: _LocalText,
) -> bool:
    if not (isinstance(value, ast.Call) and callee_attr(value) == "merge"):
        return False
    return any(_is_runfile(arg, analyzer, bindings, module, local) for arg in value.args)


def _display(node: ast.expr) -> str:
    """How an access reads in messages: the attribute chain, cheaply (source_text only as a fallback)."""
    found = _segments(node)
    if found is not None:
        return ".".join(found)[:120]
    if isinstance(node, ast.Call):
        func = _segments(node.func)
        if func is not None:
            return (".".join(func) + "(...)")[:120]
    return source_text(node)[:120]


def _static_prefix(node: ast.expr, local_text: _LocalText) -> tuple[str, ...]:
    """The dotted keys a key expression surely starts with: "training.{k}" -> ("training",)."""
    text: str | None = None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return tuple(node.value.split("."))[:-1]
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "{" for v in node.values)
    elif isinstance(node, ast.Name):
        source = local_text.text(node.id)
        text = source[2:-1] if source.startswith(("f'", 'f"')) else None
    if not text:
        return ()
    head = text.split("{", 1)[0]
    return tuple(part for part in head.split(".")[:-1] if part)


def _constants(node: ast.expr) -> tuple[object, ...] | None:
    if isinstance(node, ast.Constant):
        return (node.value,)
    if isinstance(node, ast.Tuple | ast.List | ast.Set) and all(isinstance(e, ast.Constant) for e in node.elts):
        return tuple(e.value for e in node.elts)  # type: ignore[attr-defined]
    return None


def _replace(
    ctx: _Ctx,
    *,
    conditions: tuple[Condition, ...] | None = None,
    uncertain: bool | None = None,
    optional_keys: frozenset[tuple[str, tuple[str, ...]]] | None = None,
    broad_try: bool | None = None,
    struct_open: frozenset[KeyPath] | None = None,
) -> _Ctx:
    """``dataclasses.replace`` for the context, without its introspection."""
    return _Ctx(
        ctx.conditions if conditions is None else conditions,
        ctx.uncertain if uncertain is None else uncertain,
        ctx.optional_keys if optional_keys is None else optional_keys,
        ctx.broad_try if broad_try is None else broad_try,
        ctx.struct_open if struct_open is None else struct_open,
    )


def cfg_flow(facts: Facts) -> CfgFlow:
    """Every config access reachable from the submission's ``@hydra.main`` functions."""
    analyzer = _Analyzer(facts)
    for app in facts.derived(hydra_apps):
        if app.cfg_param is None:
            continue
        module = script_module(facts, app.path)
        if module is None:
            continue
        qualname = next((q for q, node in module.functions.items() if node is app.node), app.function)
        analyzer.current_app = f"{app.path}:{app.function}"
        analyzer._done.clear()
        analyzer.analyse_function(module, app.node, {(app.cfg_param,): KeyPath("cfg", ())}, qualname=qualname)
    return analyzer.flow


def _set_struct_args(call: ast.Call) -> tuple[ast.expr | None, ast.expr | None]:
    """The node and the value of ``OmegaConf.set_struct(conf, value)``, positional or by keyword."""
    given: dict[str, ast.expr] = dict(zip(("conf", "value"), call.args, strict=False))
    given.update({kw.arg: kw.value for kw in call.keywords if kw.arg})
    return given.get("conf"), given.get("value")


def _bound_names(target: ast.expr) -> list[str]:
    """The names an assignment target binds (``x``, ``a, *b``), not those it writes into (``x.k``, ``x[k]``)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return [name for elt in target.elts for name in _bound_names(elt)]
    return []
