"""What the code does with Weights & Biases, from syntax trees: runs started, metric keys written and read.

Train side (every code module but evaluate): ``wandb.init`` calls and their arguments,
``wandb.log`` / ``run.log`` calls with the metric keys their dicts hold (literal keys exactly,
f-string keys as patterns), summary writes (``run.summary["k"] = v``, ``.summary.update({...})``),
logging reachable from an Optuna objective. Evaluate side: W&B API use and
every metric key it reads from a run's history or summary. Keys are followed through local
variables, ``.update`` calls and the dicts project functions return; where the code builds a key the
tree cannot tell, the write is *opaque* and key checks stand down.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cached_property

from expcheck.facts import Facts
from expcheck.facts.astindex import (
    CallSite,
    ModuleIndex,
    Scope,
    code_modules,
    const_str,
    index_of,
    indexes,
)
from expcheck.facts.dictkeys import EMPTY, KeyResolver, KeySet, pattern_regex
from expcheck.facts.semantic import last_name
from expcheck.facts.sourcetext import source_text

EVALUATE = "src/evaluate.py"
_RUN_LIKE = re.compile(r"(?:^|_)(?:w(?:and)?b|run)(?:_|$)", re.I)
_BUILTIN_KEY = re.compile(r"^_")  # _step, _runtime, _timestamp, _wandb: written by W&B itself
_MAX_DEPTH = 4


@dataclass(frozen=True)
class KeyWrite:
    """One write of metric keys to W&B on the train side."""

    path: str
    line: int
    kind: str  # "log" or "summary"
    keys: KeySet
    function: str
    in_loop: bool


@dataclass(frozen=True)
class KeyRead:
    """One metric key evaluate reads from a W&B run."""

    path: str
    line: int
    column: int
    key: str
    source: str  # "history" or "summary"
    # How the read behaves when the key is absent: "test" (a membership test: the branch is skipped),
    # "default" (.get: the default is used), "column" (history(keys=...): the column is missing),
    # "index" (x["k"]: KeyError, unless the same function tests for the key first: then "guarded").
    form: str
    # For a read in the default of another read (``s.get("a", s.get("b"))``): the key read first.
    fallback_of: str | None = None


@dataclass(frozen=True)
class Reach:
    """A W&B call reached from an Optuna objective: where the objective is and the chain of calls."""

    objective_path: str
    objective_line: int
    objective: str
    call_path: str
    call_line: int
    call: str  # "wandb.init" or "wandb.log"
    chain: tuple[str, ...]


@dataclass
class WandbFacts:
    # wandb.init calls that may log a run (online or offline); a call with mode="disabled" written out
    # logs nothing anywhere, so it needs no entity or project and starts no run: it is in disabled_inits.
    inits: list[tuple[str, CallSite]] = field(default_factory=list)
    disabled_inits: list[tuple[str, CallSite]] = field(default_factory=list)
    writes: list[KeyWrite] = field(default_factory=list)
    # Train-side modules that set WANDB_MODE in the environment.
    mode_env: list[tuple[str, int]] = field(default_factory=list)
    api_calls: list[tuple[str, CallSite]] = field(default_factory=list)  # wandb.Api() in evaluate
    api_run_calls: list[tuple[str, CallSite]] = field(default_factory=list)  # api.run(path) in evaluate
    reads: list[KeyRead] = field(default_factory=list)
    objective_reaches: list[Reach] = field(default_factory=list)

    @property
    def logs(self) -> list[KeyWrite]:
        return [w for w in self.writes if w.kind == "log"]

    @property
    def summary_writes(self) -> list[KeyWrite]:
        return [w for w in self.writes if w.kind == "summary"]

    @cached_property
    def written(self) -> dict[str, KeySet]:
        """Keys written per kind ("log", "summary"), each the union over all writes of that kind."""
        out = {"log": EMPTY, "summary": EMPTY}
        for w in self.writes:
            out[w.kind] = out[w.kind] | w.keys
        return out

    def is_written(self, key: str, source: str) -> bool:
        sets = [self.written["log"]] if source == "history" else [self.written["log"], self.written["summary"]]
        return any(key in keys.exact or any(pattern_regex(p).fullmatch(key) for p in keys.patterns) for keys in sets)


# --------------------------------------------------------------------------- train side


def _receiver(call: CallSite) -> ast.expr | None:
    func = call.node.func
    return func.value if isinstance(func, ast.Attribute) else None


def _run_variables(index: ModuleIndex) -> set[str]:
    """Names assigned the result of wandb.init, directly or through a module function returning it."""
    returning: set[str] = set()
    for scope in index.scopes.values():
        for value in scope.returns:
            if (isinstance(value, ast.Call) and _is_init(value, index, scope.qualname)) or (
                isinstance(value, ast.Name)
                and any(
                    isinstance(v, ast.Call) and _is_init(v, index, scope.qualname)
                    for v in scope.assigns.get(value.id, [])
                )
            ):
                returning.add(scope.qualname.rpartition(".")[2])
    names: set[str] = set()
    for scope in index.scopes.values():
        for name, values in scope.assigns.items():
            if any(isinstance(v, ast.Call) and (_is_init(v, index, scope.qualname) or last_name(v.func) in returning) for v in values):
                names.add(name)
    return names


def _is_init(call: ast.Call, index: ModuleIndex, function: str) -> bool:
    func = call.func
    kind = type(func)
    # Only ``X.init`` or a name some import binds can be resolved to wandb.init.
    if not ((kind is ast.Attribute and func.attr == "init") or (kind is ast.Name and func.id in index.model.imported)):  # type: ignore[attr-defined]
        return False
    return index.qualified(func, function) in ("wandb.init", "wandb.sdk.init")


def _run_variables_cache(facts: Facts) -> dict[str, set[str]]:
    return {}


def _run_variables_of(facts: Facts, index: ModuleIndex) -> set[str]:
    """``_run_variables`` of a module, once per check."""
    cache = facts.derived(_run_variables_cache)
    found = cache.get(index.path)
    if found is None:
        found = cache[index.path] = _run_variables(index)
    return found


def _is_log(call: CallSite, run_vars: set[str]) -> bool:
    if call.attr != "log":
        return False
    if call.name in ("wandb.log", "wandb.run.log"):
        return True
    receiver = _receiver(call)
    last = last_name(receiver)
    if not last or last in ("math", "np", "numpy", "torch", "logging", "logger", "log", "cmath", "jnp"):
        return False
    if not (last in run_vars or _RUN_LIKE.search(last)):
        return False
    first = call.arg(0, "data")
    return isinstance(first, ast.Dict | ast.DictComp | ast.Name | ast.Call | ast.Subscript | ast.Attribute)


def _disabled(init: CallSite) -> bool:
    """``wandb.init(mode="disabled")`` (or ``settings=wandb.Settings(mode="disabled")``): a no-op run."""
    mode = init.keyword("mode")
    settings = init.keyword("settings")
    if mode is None and isinstance(settings, ast.Call) and last_name(settings.func) == "Settings":
        mode = next((kw.value for kw in settings.keywords if kw.arg == "mode"), None)
    return const_str(mode) == "disabled"


def _summary_target(node: ast.expr) -> bool:
    """``X.summary`` (any X): W&B run summaries are the only summaries train code writes to."""
    return isinstance(node, ast.Attribute) and node.attr == "summary"


def _train_side(facts: Facts, out: WandbFacts, resolver: KeyResolver, path: str, index: ModuleIndex) -> None:
    run_vars = _run_variables_of(facts, index)
    for call in index.calls:
        if call.name in ("wandb.init", "wandb.sdk.init"):
            (out.disabled_inits if _disabled(call) else out.inits).append((path, call))
            continue
        if _is_log(call, run_vars):
            scope = index.scope(call.function)
            keys = resolver.keys(index, scope, call.arg(0, "data"))
            out.writes.append(KeyWrite(path, call.line, "log", keys, call.function, call.in_loop))
            continue
        func = call.node.func
        if call.attr == "update" and isinstance(func, ast.Attribute) and _summary_target(func.value):
            scope = index.scope(call.function)
            keys = EMPTY
            for arg in call.node.args:
                keys = keys | resolver.keys(index, scope, arg)
            keys = keys | KeySet(exact=frozenset(kw.arg for kw in call.node.keywords if kw.arg))
            out.writes.append(KeyWrite(path, call.line, "summary", keys, call.function, call.in_loop))
            continue
        if call.name in ("os.environ.setdefault", "os.environ.update", "os.putenv") and "WANDB_MODE" in source_text(
            call.node
        ):
            out.mode_env.append((path, call.line))
    for target, _value, fn in index.item_stores:
        if _summary_target(target.value):
            keys = resolver.key(index, index.scope(fn), target.slice)
            out.writes.append(KeyWrite(path, target.lineno, "summary", keys, fn, False))
        elif index.qualified(target.value, fn) == "os.environ" and const_str(target.slice) == "WANDB_MODE":
            out.mode_env.append((path, target.lineno))


def prints_json(call: CallSite, index: ModuleIndex) -> bool:
    """``print(json.dumps(...))`` or ``json.dump(x, sys.stdout)``."""
    args = call.node.args
    if call.name == "print" and args and isinstance(args[0], ast.Call):
        return index.qualified(args[0].func, call.function) == "json.dumps"
    return call.name == "json.dump" and len(args) >= 2 and index.qualified(args[1], call.function) == "sys.stdout"


# --------------------------------------------------------------------------- Optuna objectives


def _objective_scopes(index: ModuleIndex, call: CallSite) -> list[tuple[Scope, tuple[str, ...]]]:
    """The functions an ``X.optimize(objective, ...)`` call runs once per trial."""
    target = call.arg(0, "func")
    found: list[tuple[Scope, tuple[str, ...]]] = []
    if isinstance(target, ast.Name):
        scope = _scope_named(index, target.id, call.function)
        if scope is not None:
            found.append((scope, (scope.qualname,)))
    elif isinstance(target, ast.Lambda):
        for node in ast.walk(target.body):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                scope = _scope_named(index, node.func.id, call.function)
                if scope is not None:
                    found.append((scope, (scope.qualname,)))
    elif isinstance(target, ast.Call) and isinstance(target.func, ast.Name):
        factory = _scope_named(index, target.func.id, call.function)
        if factory is not None:
            if target.func.id == "partial" and target.args and isinstance(target.args[0], ast.Name):
                factory = _scope_named(index, target.args[0].id, call.function)
                if factory is not None:
                    found.append((factory, (factory.qualname,)))
                return found
            for value in factory.returns:
                if isinstance(value, ast.Name):
                    inner = index.scopes.get(f"{factory.qualname}.{value.id}")
                    if inner is not None:
                        found.append((inner, (factory.qualname, inner.qualname)))
        elif target.func.id == "partial" and target.args and isinstance(target.args[0], ast.Name):
            scope = _scope_named(index, target.args[0].id, call.function)
            if scope is not None:
                found.append((scope, (scope.qualname,)))
    return found


def _scope_named(index: ModuleIndex, name: str, near: str) -> Scope | None:
    """Function ``name`` as seen from function ``near``: a nested definition first, then the module's."""
    parts = near.split(".") if near else []
    while parts:
        nested = index.scopes.get(".".join([*parts, name]))
        if nested is not None:
            return nested
        parts.pop()
    return index.function_named(name)


def _disables_wandb(scope: Scope, facts: Facts, path: str) -> bool:
    """The objective turns W&B off for its trials (mode "disabled", WANDB_MODE, a logging flag set False)."""
    node = scope.node
    file = facts.files[path]
    start, end = getattr(node, "lineno", 1), getattr(node, "end_lineno", None) or len(file.lines)
    text = "\n".join(file.lines[start - 1 : end])
    if '"disabled"' in text or "'disabled'" in text or "WANDB_MODE" in text:
        return True
    return bool(re.search(r"(?i)\b\w*(?:wandb|wb|run|log)\w*\s*=\s*(?:False|None)\b", text))


def _objective_reaches(facts: Facts, out: WandbFacts, resolver: KeyResolver, train: dict[str, ModuleIndex]) -> None:
    for path, index in train.items():
        for call in index.calls:
            if call.attr != "optimize" or (not call.node.args and not call.node.keywords):
                continue
            receiver = last_name(_receiver(call)).lower()
            if "study" not in receiver and "optuna" not in call.name:
                continue
            for scope, chain in _objective_scopes(index, call):
                if _disables_wandb(scope, facts, path):
                    continue
                hit = _find_wandb(facts, resolver, index, scope, chain, set(), 0)
                if hit is not None:
                    call_path, call_site, full_chain = hit
                    out.objective_reaches.append(
                        Reach(
                            objective_path=path,
                            objective_line=getattr(scope.node, "lineno", call.line),
                            objective=scope.qualname,
                            call_path=call_path,
                            call_line=call_site.line,
                            call="wandb.init" if call_site.attr == "init" else "wandb.log",
                            chain=full_chain,
                        )
                    )


def _find_wandb(
    facts: Facts,
    resolver: KeyResolver,
    index: ModuleIndex,
    scope: Scope,
    chain: tuple[str, ...],
    seen: set[tuple[str, str]],
    depth: int,
) -> tuple[str, CallSite, tuple[str, ...]] | None:
    if depth > _MAX_DEPTH or (index.path, scope.qualname) in seen:
        return None
    seen.add((index.path, scope.qualname))
    run_vars = _run_variables_of(facts, index)
    inside = [c for c in index.calls if c.function == scope.qualname or c.function.startswith(scope.qualname + ".")]
    for call in inside:
        if call.name in ("wandb.init", "wandb.sdk.init") or _is_log(call, run_vars):
            if _guarded_off(scope, call) or (call.attr == "init" and _disabled(call)):
                continue
            return index.path, call, chain
    for call in inside:
        target = resolver.function(index, call.node, call.function)
        if target is None:
            continue
        other, fn_scope = target
        if _disables_wandb(fn_scope, facts, other.path):
            continue
        found = _find_wandb(facts, resolver, other, fn_scope, (*chain, fn_scope.qualname), seen, depth + 1)
        if found is not None:
            return found
    return None


def _guarded_off(scope: Scope, call: CallSite) -> bool:
    """The W&B call sits under an ``if`` that tests for a trial, Optuna or a W&B/logging switch."""
    for node in ast.walk(scope.node):
        if (isinstance(node, ast.If) and _contains(node.body, call.node)) or (
            isinstance(node, ast.If) and _contains(node.orelse, call.node)
        ):
            test = source_text(node.test).lower()
            if any(word in test for word in ("trial", "optuna", "wandb", "log", "disabled", "run")):
                return True
    return False


def _contains(block: list[ast.stmt], target: ast.AST) -> bool:
    return any(target is node for stmt in block for node in ast.walk(stmt))


# --------------------------------------------------------------------------- evaluate side


def _unwrap(node: ast.expr) -> ast.expr:
    """``dict(x)``, ``x.copy()``, ``x._json_dict``, ``pd.DataFrame(x)`` -> ``x``."""
    while True:
        if isinstance(node, ast.Call) and node.args and last_name(node.func) in ("dict", "DataFrame", "copy"):
            node = node.args[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "copy":
            node = node.func.value
        elif isinstance(node, ast.Attribute) and node.attr == "_json_dict":
            node = node.value
        else:
            return node


def _source_of(node: ast.expr) -> str | None:
    """ "history" or "summary" when ``node`` evaluates to a run's history table or summary."""
    inner = _unwrap(node)
    if isinstance(inner, ast.Attribute) and inner.attr in ("summary", "summary_metrics"):
        return "summary"
    probe = inner
    while True:
        if isinstance(probe, ast.Call):
            func = probe.func
            if isinstance(func, ast.Attribute) and func.attr in ("history", "scan_history"):
                return "history"
            probe = func.value if isinstance(func, ast.Attribute) else None  # type: ignore[assignment]
        elif isinstance(probe, ast.Attribute | ast.Subscript):
            probe = probe.value
        else:
            return None


def _tracked(index: ModuleIndex) -> dict[str, dict[str, str]]:
    """Per function: local names holding a run history ("history") or summary ("summary")."""
    tracked: dict[str, dict[str, str]] = {}
    for qual, scope in index.scopes.items():
        names: dict[str, str] = {}
        for param in scope.params:
            low = param.lower()
            if "hist" in low:
                names[param] = "history"
            elif "summary" in low:
                names[param] = "summary"
        for name, values in scope.assigns.items():
            for value in values:
                source = _source_of(value)
                if source is not None:
                    names[name] = source
        tracked[qual] = names
    # One level across calls: f(..., history, ...) makes f's parameter at that place a history.
    for call in index.calls:
        if not isinstance(call.node.func, ast.Name):
            continue
        callee = index.function_named(call.node.func.id)
        if callee is None:
            continue
        local = tracked.get(call.function, {})
        for position, arg in enumerate(call.node.args):
            source = _arg_source(arg, local)
            if source is not None and position < len(callee.params):
                tracked[callee.qualname].setdefault(callee.params[position], source)
        for kw in call.node.keywords:
            source = _arg_source(kw.value, local) if kw.arg else None
            if source is not None and kw.arg in callee.params:
                tracked[callee.qualname].setdefault(kw.arg, source)
    return tracked


def _arg_source(arg: ast.expr, local: dict[str, str]) -> str | None:
    if isinstance(arg, ast.Name) and arg.id in local:
        return local[arg.id]
    return _source_of(arg)


def _holder(node: ast.expr, local: dict[str, str]) -> str | None:
    """The source ("history"/"summary") ``node`` reads from: a tracked name, its ``.columns``, or ``run.summary``."""
    if isinstance(node, ast.Attribute) and node.attr in ("columns", "keys"):
        node = node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "keys":
        node = node.func.value
    if isinstance(node, ast.Name):
        return local.get(node.id)
    return _source_of(node)


def _str_keys(node: ast.expr, index: ModuleIndex) -> list[str]:
    if isinstance(node, ast.Set | ast.List | ast.Tuple):
        return [k for elt in node.elts for k in _str_keys(elt, index)]
    text = const_str(node)
    if text is None and isinstance(node, ast.Name):
        text = index.constants.get(node.id)
    return [text] if text is not None else []


def _evaluate_side(out: WandbFacts, path: str, index: ModuleIndex) -> None:
    tracked = _tracked(index)
    reads: list[KeyRead] = []
    fallbacks: dict[int, str] = {}  # id of a .get call -> key of the .get whose default holds it
    tested: set[tuple[str, str]] = set()  # (function, key) pairs the code tests for before reading

    def add(node: ast.AST, key: str, source: str, form: str) -> None:
        if key and not _BUILTIN_KEY.match(key):
            line, column = node.lineno, node.col_offset + 1  # type: ignore[attr-defined]
            reads.append(KeyRead(path, line, column, key, source, form, fallbacks.get(id(node))))

    for call in index.calls:
        if call.name == "wandb.Api":
            out.api_calls.append((path, call))
        local = tracked.get(call.function, {})
        func = call.node.func
        if not isinstance(func, ast.Attribute):
            continue
        if func.attr in ("history", "scan_history"):
            keys = call.keyword("keys")
            if keys is not None:
                for key in _str_keys(keys, index):
                    add(call.node, key, "history", "column")
        elif func.attr == "get" and call.node.args:
            source = _holder(func.value, local)
            if source is not None:
                keys = _str_keys(call.node.args[0], index)
                if len(call.node.args) > 1 and len(keys) == 1:
                    for inner in ast.walk(call.node.args[1]):
                        if isinstance(inner, ast.Call):
                            fallbacks[id(inner)] = keys[0]
                for key in keys:
                    add(call.node, key, source, "default")
        elif func.attr == "issubset" and call.node.args and _holder(call.node.args[0], local) is not None:
            for key in _str_keys(func.value, index):
                tested.add((call.function, key))
        elif (
            func.attr == "run"
            and call.node.args
            and ("api" in last_name(func.value).lower() or call.name.startswith("wandb.Api()"))
        ):
            out.api_run_calls.append((path, call))
    for compare, fn in index.compares:
        if len(compare.ops) != 1 or not isinstance(compare.ops[0], ast.In | ast.NotIn):
            continue
        source = _holder(compare.comparators[0], tracked.get(fn, {}))
        if source is not None:
            for key in _str_keys(compare.left, index):
                tested.add((fn, key))
                add(compare, key, source, "test")
    for node, fn in index.subscripts:
        source = _holder(node.value, tracked.get(fn, {}))
        if source is not None:
            for key in _str_keys(node.slice, index):
                add(node, key, source, "guarded" if (fn, key) in tested else "index")
    out.reads.extend(sorted(set(reads), key=lambda r: (r.line, r.column, r.key)))


# --------------------------------------------------------------------------- entry point


def is_evaluate(path: str) -> bool:
    return path == EVALUATE or path.endswith("/evaluate.py")


def wandb_facts(facts: Facts) -> WandbFacts:
    out = WandbFacts()
    paths = code_modules(facts)
    if not any("wandb" in facts.files[p].text for p in paths):
        return out  # no module touches W&B
    resolver = KeyResolver(facts)
    train: dict[str, ModuleIndex] = {}
    for path in paths:
        text = facts.files[path].text
        if is_evaluate(path):
            if "wandb" in text or "summary" in text or "history" in text:
                index = index_of(facts, path)
                if index is not None:
                    _evaluate_side(out, path, index)
            continue
        if "wandb" not in text and ".log(" not in text and "summary" not in text:
            continue
        index = index_of(facts, path)
        if index is None:
            continue
        train[path] = index
        _train_side(facts, out, resolver, path, index)
    if (out.inits or out.disabled_inits or out.writes) and any("optimize(" in facts.files[p].text for p in train):
        _objective_reaches(facts, out, resolver, train)
    out.writes.sort(key=lambda w: (w.path, w.line))
    return out


def wandb_of(facts: Facts) -> WandbFacts:
    """``wandb_facts``, computed once per submission."""
    return facts.derived(wandb_facts)


# --------------------------------------------------------------------------- helpers the C6 rules read


def train_modules(facts: Facts) -> dict[str, ModuleIndex]:
    """The indexes of the code modules other than the evaluation script."""
    return {p: i for p, i in indexes(facts).items() if not is_evaluate(p)}


def from_config(node: ast.expr | None, key: str, scope: Scope, depth: int = 0) -> bool:
    """Whether ``node`` takes its value from a config (``cfg.wandb.<key>``, ``w["<key>"]``, a variable holding one)."""
    if node is None or depth > 3:
        return False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == key:
            return True
        if isinstance(sub, ast.Constant) and sub.value == key:
            return True
        if (
            isinstance(sub, ast.Name)
            and sub.id in scope.assigns
            and any(from_config(v, key, scope, depth + 1) for v in scope.assigns[sub.id])
        ):
            return True
        if isinstance(sub, ast.Name) and sub.id in scope.params and key in sub.id:
            return True
    return False


def mode_guarded(scope: Scope, call: CallSite) -> bool:
    """The init runs only when W&B is on: under an ``if`` on the mode, or after an early return for it."""
    node = scope.node
    for sub in ast.walk(node):
        if not isinstance(sub, ast.If):
            continue
        test = source_text(sub.test).lower()
        if not any(word in test for word in ("mode", "disabled", "trial", "wandb", "use_", "log")):
            continue
        inside = any(call.node is n for stmt in (*sub.body, *sub.orelse) for n in ast.walk(stmt))
        returns_early = sub.lineno < call.line and any(isinstance(s, ast.Return) for s in sub.body)
        if inside or returns_early:
            return True
    return False


def logging_functions(train: dict[str, ModuleIndex], w: WandbFacts) -> set[str]:
    """Simple names of functions that log to W&B, directly or through other such functions."""
    direct = {(wr.path, wr.function) for wr in w.logs}
    names = {fn.rpartition(".")[2] for _, fn in direct if fn}
    changed = True
    while changed:
        changed = False
        for index in train.values():
            for call in index.calls:
                if call.attr in names and call.function:
                    simple = call.function.rpartition(".")[2]
                    if simple not in names:
                        names.add(simple)
                        changed = True
    return names
