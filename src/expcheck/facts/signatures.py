"""Signatures of project functions and classes, and whether a call's arguments can bind to them.

A signature is only given where the tree shows it for certain: a plain function (or one whose
decorators keep the signature), a class whose ``__init__`` is found in the project, a plain
``@dataclass``. Anything else — an unknown decorator, a base class from a library, ``__new__``, a
metaclass — has no signature here, and its calls are not judged.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from expcheck.facts import Facts
from expcheck.facts.callscopes import ModuleScopes, project_module_aliases, resolve_module_chain
from expcheck.facts.imports import Binding, ModuleInfo, ProjectIndex, project_index
from expcheck.facts.semantic import CallSite, dotted_name
from expcheck.facts.sourcetext import source_text

# Decorators that return a callable taking the same arguments.
_TRANSPARENT = frozenset(
    {
        "torch.no_grad",
        "no_grad",
        "torch.inference_mode",
        "inference_mode",
        "torch.enable_grad",
        "functools.lru_cache",
        "lru_cache",
        "functools.cache",
        "cache",
        "contextmanager",
        "contextlib.contextmanager",
        "staticmethod",
        "functools.wraps",
    }
)


@dataclass(frozen=True)
class Signature:
    """What a callable accepts."""

    name: str
    path: str
    line: int
    positional: tuple[str, ...]  # positional-only first, then positional-or-keyword
    positional_only: int
    required_positional: int  # how many leading positional parameters have no default
    keyword_only: tuple[str, ...]
    required_keyword: frozenset[str]
    var_positional: bool
    var_keyword: bool

    def describe(self) -> str:
        return f"{self.name}() defined at {self.path}:{self.line}"


def _from_arguments(name: str, path: str, line: int, args: ast.arguments, drop_first: bool) -> Signature | None:
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    posonly = len(args.posonlyargs)
    defaults = len(args.defaults)
    if drop_first:
        if not positional:
            return None  # a method without self: only *args can take it
        positional = positional[1:]
        posonly = max(posonly - 1, 0)
    required = max(len(positional) - defaults, 0)
    kwonly = tuple(a.arg for a in args.kwonlyargs)
    required_kw = frozenset(a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None)
    return Signature(
        name=name,
        path=path,
        line=line,
        positional=tuple(positional),
        positional_only=posonly,
        required_positional=required,
        keyword_only=kwonly,
        required_keyword=required_kw,
        var_positional=args.vararg is not None,
        var_keyword=args.kwarg is not None,
    )


def _decorators_transparent(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if dotted_name(target) not in _TRANSPARENT:
            return False
    return True


def _dataclass_signature(info: ModuleInfo, node: ast.ClassDef) -> Signature | None:
    """The generated ``__init__`` of a plain ``@dataclass`` without base classes."""
    if len(node.decorator_list) != 1 or node.bases or node.keywords:
        return None
    deco = node.decorator_list[0]
    target = deco.func if isinstance(deco, ast.Call) else deco
    if dotted_name(target) not in ("dataclass", "dataclasses.dataclass"):
        return None
    if isinstance(deco, ast.Call) and any(k.arg in ("init", "kw_only") or k.arg is None for k in deco.keywords):
        return None
    fields: list[str] = []
    required = 0
    seen_default = False
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name in ("__init__", "__new__"):
            return None
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        annotation = source_text(stmt.annotation)
        if "KW_ONLY" in annotation:
            return None
        if "ClassVar" in annotation:
            continue
        value = stmt.value
        if isinstance(value, ast.Call) and dotted_name(value.func) in ("field", "dataclasses.field"):
            keywords = {k.arg: k.value for k in value.keywords}
            if None in keywords or "kw_only" in keywords:
                return None
            init = keywords.get("init")
            if isinstance(init, ast.Constant) and init.value is False:
                continue
            has_default = "default" in keywords or "default_factory" in keywords
        else:
            has_default = value is not None
        fields.append(stmt.target.id)
        if has_default:
            seen_default = True
        elif seen_default:
            return None  # the class itself fails; that is not a call problem
        else:
            required += 1
    return Signature(
        name=node.name,
        path=info.path,
        line=node.lineno,
        positional=tuple(fields),
        positional_only=0,
        required_positional=required,
        keyword_only=(),
        required_keyword=frozenset(),
        var_positional=False,
        var_keyword=False,
    )


def _class_signature(index: ProjectIndex, info: ModuleInfo, node: ast.ClassDef, depth: int = 0) -> Signature | None:
    if depth > 8:
        return None
    if node.decorator_list:
        return _dataclass_signature(info, node) if depth == 0 else None
    if node.keywords:
        return None  # metaclass or class keywords
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == "__new__":
            return None
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__init__" for t in stmt.targets):
            return None
    inits = [s for s in node.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == "__init__"]
    if len(inits) > 1:
        return None
    if inits:
        init = inits[0]
        if init.decorator_list:
            return None
        return _from_arguments(node.name, info.path, init.lineno, init.args, drop_first=True)
    bases = [b for b in node.bases if not (isinstance(b, ast.Name) and b.id == "object")]
    if not bases:
        return Signature(
            name=node.name,
            path=info.path,
            line=node.lineno,
            positional=(),
            positional_only=0,
            required_positional=0,
            keyword_only=(),
            required_keyword=frozenset(),
            var_positional=False,
            var_keyword=False,
        )
    if len(bases) != 1 or not isinstance(bases[0], ast.Name):
        return None
    base = _project_class(index, info, bases[0].id)
    if base is None:
        return None
    base_info, base_node = base
    inherited = _class_signature(index, base_info, base_node, depth + 1)
    if inherited is None:
        return None
    return replace(inherited, name=node.name)


def _project_class(index: ProjectIndex, info: ModuleInfo, name: str) -> tuple[ModuleInfo, ast.ClassDef] | None:
    found = index.definition(info, name, certain=True)
    if found is None or not isinstance(found[1].node, ast.ClassDef):
        return None
    return found[0], found[1].node


def signature_of(index: ProjectIndex, info: ModuleInfo, binding: Binding) -> Signature | None:
    node = binding.node
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        if not _decorators_transparent(node):
            return None
        return _from_arguments(node.name, info.path, node.lineno, node.args, drop_first=False)
    if isinstance(node, ast.ClassDef):
        return _class_signature(index, info, node)
    return None


def settled_binding(facts: Facts, info: ModuleInfo, name: str) -> Binding | None:
    """The def or class a module-level ``name`` bound several times stands for once the module is imported.

    Certain only when the last binding is a ``def`` or ``class`` written in the module body itself (not
    in an if, try or loop), so it replaces whatever came before (say, an import of the same name, guarded
    or not); no function declares the name ``global``; and no module-level code between the first binding
    and the last one calls ``name``.
    """
    cache = facts.derived(_settled_cache)
    key = (info.path, name)
    if key not in cache:  # once per module and name, not once per call (the walk below spans the module)
        cache[key] = _settled_binding(facts, info, name)
    return cache[key]


def _settled_cache(facts: Facts) -> dict[tuple[str, str], Binding | None]:
    return {}


def _settled_binding(facts: Facts, info: ModuleInfo, name: str) -> Binding | None:
    found = info.bindings.get(name)
    module = facts.python.get(info.path)
    if not found or module is None or module.tree is None or any(b.kind == "global" for b in found):
        return None
    body = module.tree.body
    first = min(found, key=lambda b: b.line)
    last = max(found, key=lambda b: b.line)
    if last.kind not in ("function", "class") or not any(node is last.node for node in body):
        return None
    for node in body:
        if not first.line < node.lineno < last.line or isinstance(node, _DEFINITIONS):
            continue
        if any(isinstance(sub, ast.Call) and _calls_name(sub, name) for sub in ast.walk(node)):
            return None
    return last


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _calls_name(call: ast.Call, name: str) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id == name


def callee_signature(facts: Facts, scopes: ModuleScopes, call: CallSite) -> Signature | None:
    """The signature of the project function or class ``call`` calls, when it is known for certain."""
    found = callee_definition(facts, scopes, call)
    return None if found is None else signature_of(facts.derived(project_index), *found)


def callee_definition(facts: Facts, scopes: ModuleScopes, call: CallSite) -> tuple[ModuleInfo, Binding] | None:
    """The project function or class definition ``call`` calls, when it is known for certain."""
    info = facts.derived(project_index).by_path.get(call.path)
    if info is None:
        return None
    root = call.node.func
    if isinstance(root, ast.Name):
        if root.id not in info.bindings:
            return None  # only a name the module binds can stand for a project definition
    else:
        while isinstance(root, ast.Attribute):
            root = root.value
        # ``m.f(...)`` reaches a project definition only through a module-level name bound to a project module.
        if not isinstance(root, ast.Name) or root.id not in project_module_aliases(facts, info):
            return None
    dotted = call.dotted  # a property that walks the callee: read once
    if dotted is None:
        return None
    cache = facts.derived(_definition_cache)
    key = (call.path, dotted, bool(call.function))
    if key not in cache:  # once per module, callee as written and kind of place (a function or not)
        cache[key] = _module_definition(facts, call.path, dotted, bool(call.function))
    found = cache[key]
    if found is None:
        return None
    # Last, as the costliest question: does a local of the same name hide the module's binding?
    if scopes.binds(call, dotted.split(".", 1)[0]):
        return None
    return found


def _definition_cache(facts: Facts) -> dict[tuple[str, str, bool], tuple[ModuleInfo, Binding] | None]:
    return {}


def _module_definition(facts: Facts, path: str, dotted: str, in_function: bool) -> tuple[ModuleInfo, Binding] | None:
    """The def or class ``dotted`` written in module ``path`` reaches by the module's own bindings."""
    index = facts.derived(project_index)
    info = index.by_path.get(path)
    if info is None:
        return None
    root = dotted.split(".", 1)[0]
    binding = info.unique(root)
    if binding is None:
        # Called from a function body, the name means what it means once the module has been imported.
        settled = settled_binding(facts, info, root) if in_function and "." not in dotted else None
        if settled is None:
            return None
        found = (info, settled)
    elif "." not in dotted:
        found = index.definition(info, dotted, certain=True)
    else:
        chain = resolve_module_chain(facts, info, dotted)
        if chain is None or len(chain[1]) != 1:
            return None
        module = index.modules.get(chain[0])
        found = index.definition(module, chain[1][0], certain=True) if module is not None else None
    if found is None or not isinstance(found[1].node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return None
    return found


def _keyword_problem(sig: Signature, names: list[str], given: int, star: bool) -> str | None:
    """Why the keyword arguments ``names`` cannot bind to ``sig`` after ``given`` positional ones, or None."""
    keyword_ok = set(sig.positional[sig.positional_only :]) | set(sig.keyword_only)
    for name in names:
        if name not in keyword_ok and not sig.var_keyword:
            if name in sig.positional[: sig.positional_only]:
                return f"{sig.name}() got positional-only argument {name!r} passed as keyword"
            return f"{sig.name}() got an unexpected keyword argument {name!r}"
        if not star and name in sig.positional[:given]:
            return f"{sig.name}() got multiple values for argument {name!r}"
    return None


def binding_problem(sig: Signature, call: ast.Call) -> str | None:
    """Why ``call``'s arguments cannot bind to ``sig`` (the TypeError Python would raise), or None."""
    # One pass over the arguments each (this runs for every resolved call of a check).
    starred = ast.Starred
    given = 0
    for argument in call.args:
        if not isinstance(argument, starred):
            given += 1
    star = given != len(call.args)
    names = [k.arg for k in call.keywords if k.arg is not None]
    double_star = len(names) != len(call.keywords)
    accepted = len(sig.positional)
    if not star and not sig.var_positional and given > accepted:
        return (
            f"{sig.name}() takes {accepted} positional argument{'s' if accepted != 1 else ''} "
            f"but {given} {'were' if given != 1 else 'was'} given"
        )
    if names:
        problem = _keyword_problem(sig, names, given, star)
        if problem is not None:
            return problem
        if len(names) != len(set(names)):
            return None  # a SyntaxError, reported elsewhere
    if not double_star:
        if not star:
            missing = [p for p in sig.positional[given : sig.required_positional] if p not in names]
            if missing:
                listed = ", ".join(repr(m) for m in missing)
                return f"{sig.name}() missing {len(missing)} required positional argument{'s' if len(missing) > 1 else ''}: {listed}"
        missing_kw = sorted(k for k in sig.required_keyword if k not in names) if sig.required_keyword else []
        if missing_kw:
            listed = ", ".join(repr(m) for m in missing_kw)
            return f"{sig.name}() missing {len(missing_kw)} required keyword-only argument{'s' if len(missing_kw) > 1 else ''}: {listed}"
    return None
