"""How evaluate.py takes its command line, and what files and figures the code writes — from syntax trees.

The command-line fact replays what would happen to the profile's documented evaluate command
(``results_dir=<p> run_ids='["a","b"]'``) in the parser the code sets up: argparse's own rules
(positionals consume tokens in order, missing required arguments and leftover tokens are errors),
Hydra's override rules (a key absent from the config is refused; a ``[...]`` value becomes a list),
and what ``json.loads`` then receives. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, ModuleIndex, Scope, code_modules, const_str, index_of, template
from expcheck.facts.python import iter_statements
from expcheck.facts.semantic import dotted_name
from expcheck.facts.sourcetext import source_text
from expcheck.submission import SourceFile

EVALUATE = "src/evaluate.py"
_FIGURE_EXT = re.compile(r"\.(?:pdf|png|jpe?g|svg|eps)$", re.I)
# Shell-style wildcards: a string holding one is a pattern that lists files (glob, rglob, fnmatch), not a name.
_WILDCARD = re.compile(r"[*?]")


@dataclass(frozen=True)
class CliFailure:
    """What running the documented evaluate command would do, where the code decides it."""

    path: str
    line: int
    message: str


def evaluate_module(facts: Facts) -> ModuleIndex | None:
    """The index of src/evaluate.py when it is code that is not blank (what the C8 rules judge)."""
    file = facts.files.get(EVALUATE)
    if file is None or file.origin != "code" or file.is_blank:
        return None
    return index_of(facts, EVALUATE)


# --------------------------------------------------------------------------- the documented command


def command_tokens(facts: Facts) -> list[str] | None:
    """The arguments the profile's evaluate command passes to the module, with sample values filled in."""
    command = facts.profile.commands.evaluate
    if not command:
        return None
    run_ids = ["run-1", "run-2"]  # the values do not change how the tokens are parsed
    filled = (
        command.replace("{results_dir}", "results")
        .replace("{run_ids_json}", json.dumps(run_ids, separators=(",", ":")))
        .replace("{run_id}", run_ids[0])
    )
    try:
        tokens = shlex.split(filled)
    except ValueError:
        return None
    for marker in ("src.evaluate", "src/evaluate.py"):
        if marker in tokens:
            return tokens[tokens.index(marker) + 1 :]
    return None


# --------------------------------------------------------------------------- argparse


@dataclass
class _Argument:
    flags: tuple[str, ...]  # option strings; empty for a positional
    dest: str
    required: bool
    nargs: object  # None, "?", "*", "+", int, or "unknown"
    takes_value: bool
    line: int

    @property
    def display(self) -> str:
        return "/".join(self.flags) if self.flags else self.dest


def _argument(call: CallSite) -> _Argument | None:
    names = [const_str(a) for a in call.node.args]
    if not names or any(n is None for n in names):
        return None
    flags = tuple(n for n in names if n and n.startswith("-"))  # type: ignore[union-attr]
    keywords = {kw.arg: kw.value for kw in call.node.keywords if kw.arg}
    action = const_str(keywords.get("action")) or "store"
    takes_value = action in ("store", "append", "extend")
    nargs_node = keywords.get("nargs")
    nargs: object = None
    if nargs_node is not None:
        nargs = nargs_node.value if isinstance(nargs_node, ast.Constant) else "unknown"
    dest_node = const_str(keywords.get("dest"))
    if flags:
        long = [f for f in flags if f.startswith("--")]
        dest = dest_node or (long[0] if long else flags[0]).lstrip("-").replace("-", "_")
        required_node = keywords.get("required")
        required = isinstance(required_node, ast.Constant) and required_node.value is True
    else:
        dest = names[0] or ""
        required = nargs not in ("?", "*")
    return _Argument(flags, dest, required, nargs, takes_value, call.line)


@dataclass
class _Parse:
    values: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


def _simulate(arguments: list[_Argument], tokens: list[str]) -> _Parse | None:
    """argparse on ``tokens``: values by dest, missing required arguments, unrecognised tokens; None if unsure."""
    out = _Parse()
    options = {flag: arg for arg in arguments for flag in arg.flags}
    positionals = [a for a in arguments if not a.flags]
    if any(a.nargs == "unknown" or (isinstance(a.nargs, int) and a.nargs != 1) for a in arguments):
        return None
    loose: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("-") and len(token) > 1 and not re.fullmatch(r"-\d.*", token):
            flag, _, inline = token.partition("=")
            arg = options.get(flag)
            if arg is None:
                matches = [a for f, a in options.items() if f.startswith(flag) and flag.startswith("--")]
                if len({id(a) for a in matches}) != 1:
                    out.extra.append(token)
                    i += 1
                    continue
                arg = matches[0]
            seen.add(arg.dest)
            if arg.takes_value and not inline:
                if i + 1 < len(tokens):
                    out.values[arg.dest] = tokens[i + 1]
                    i += 2
                    continue
                return None  # "expected one argument": not the documented command's concern
            if inline:
                out.values[arg.dest] = inline
            i += 1
            continue
        loose.append(token)
        i += 1
    for arg in positionals:
        if arg.nargs in ("*", "+"):
            if loose:
                out.values[arg.dest] = " ".join(loose)
                seen.add(arg.dest)
            loose = []
        elif loose:
            out.values[arg.dest] = loose.pop(0)
            seen.add(arg.dest)
    out.extra.extend(loose)
    out.missing = [a.display for a in arguments if a.required and a.dest not in seen]
    return out


def _parsers(index: ModuleIndex) -> list[str]:
    """Names bound to ``argparse.ArgumentParser(...)``, module-wide."""
    names = []
    for scope in index.scopes.values():
        for name, values in scope.assigns.items():
            if any(
                isinstance(v, ast.Call) and index.qualified(v.func, scope.qualname).endswith("ArgumentParser")
                for v in values
            ):
                names.append(name)
    return names


def _json_loads_of(index: ModuleIndex, dest: str) -> CallSite | None:
    """The ``json.loads`` call that parses the argument ``dest`` (``json.loads(args.dest)`` or via a variable)."""
    for call in index.calls:
        if call.name != "json.loads" or not call.node.args:
            continue
        arg = call.node.args[0]
        if isinstance(arg, ast.Attribute) and arg.attr == dest:
            return call
        if isinstance(arg, ast.Name):
            for value in index.scope(call.function).assigns.get(arg.id, []):
                if isinstance(value, ast.Attribute) and value.attr == dest:
                    return call
    return None


def _handles_key_value(index: ModuleIndex, text: str) -> bool:
    """The code rewrites or splits ``key=value`` tokens itself before or instead of argparse."""
    if re.search(
        r"sys\.argv\s*=|sys\.argv\[[^\]]*\]\s*=|\.removeprefix\(|\.partition\(\s*['\"]=|split\(\s*['\"]=", text
    ):
        return True
    return any(call.name == "sys.argv.extend" or call.name == "sys.argv.insert" for call in index.calls)


def _argparse_failure(index: ModuleIndex, text: str, tokens: list[str]) -> CliFailure | None:
    parse_calls = [c for c in index.calls if c.attr in ("parse_args", "parse_known_args")]
    parsers = _parsers(index)
    if len(parse_calls) != 1 or len(parsers) != 1 or _handles_key_value(index, text):
        return None
    parse = parse_calls[0]
    if parse.node.args or parse.node.keywords:
        return None  # parses a list of its own making
    if any(c.attr in ("add_subparsers", "add_mutually_exclusive_group", "add_argument_group") for c in index.calls):
        return None
    calls = [c for c in index.calls if c.attr == "add_argument" and isinstance(c.node.func, ast.Attribute)]
    if not calls or any(
        not isinstance(c.node.func.value, ast.Name) or c.node.func.value.id != parsers[0] for c in calls
    ):  # type: ignore[attr-defined]
        return None
    arguments = [_argument(c) for c in calls]
    if any(a is None for a in arguments):
        return None
    result = _simulate([a for a in arguments if a is not None], tokens)
    if result is None:
        return None
    shown = " ".join(shlex.quote(t) for t in tokens)
    if result.missing:
        return CliFailure(
            index.path,
            parse.line,
            f"`python -m src.evaluate {shown}` exits with argparse's error: the following arguments are "
            f"required: {', '.join(result.missing)} (the key=value tokens are not options)",
        )
    if result.extra and parse.attr == "parse_args":
        return CliFailure(
            index.path,
            parse.line,
            f"`python -m src.evaluate {shown}` exits with argparse's error: unrecognized arguments: "
            f"{' '.join(result.extra)}",
        )
    for key_value in tokens:
        _key, sep, value = key_value.partition("=")
        if not sep or value[:1] not in ("[", "{"):
            continue
        for dest, got in result.values.items():
            if got == key_value:
                loads = _json_loads_of(index, dest)
                if loads is not None:
                    return CliFailure(
                        index.path,
                        loads.line,
                        f"`python -m src.evaluate {shown}`: argparse gives the positional argument {dest} the "
                        f"whole token {key_value!r}, and json.loads raises JSONDecodeError (Expecting value: "
                        "line 1 column 1 (char 0)) on it",
                    )
    return None


# --------------------------------------------------------------------------- Hydra


def _hydra_main(index: ModuleIndex) -> tuple[ast.FunctionDef, ast.Call | None] | None:
    for scope in index.scopes.values():
        node = scope.node
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            if index.model.qualified_at(target) == "hydra.main":
                return node, deco if isinstance(deco, ast.Call) else None
    return None


def _config_keys(facts: Facts, deco: ast.Call | None) -> set[str] | None:
    """Top-level keys of the primary config the decorator names, when composition adds nothing else."""
    name = "config"
    if deco is not None:
        for kw in deco.keywords:
            if kw.arg == "config_name" and const_str(kw.value):
                name = const_str(kw.value) or name
    doc = facts.yaml.get(f"config/{name}.yaml")
    if doc is None or not isinstance(doc.data, dict):
        return None
    defaults = doc.data.get("defaults", [])
    if isinstance(defaults, list) and any(d != "_self_" for d in defaults):
        return None  # groups may add keys
    return {str(k) for k in doc.data}


def _hydra_failure(facts: Facts, index: ModuleIndex, tokens: list[str]) -> CliFailure | None:
    found = _hydra_main(index)
    if found is None:
        return None
    function, deco = found
    shown = " ".join(shlex.quote(t) for t in tokens)
    keys = _config_keys(facts, deco)
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep or key.startswith(("+", "~")) or "." in key:
            continue
        if keys is not None and key not in keys:
            return CliFailure(
                index.path,
                function.lineno,
                f"`python -m src.evaluate {shown}`: Hydra refuses the override {token!r} — key {key!r} is not "
                f"in the config (it would need +{key}=...), so evaluate never starts",
            )
        if value[:1] == "[":
            param = function.args.args[0].arg if function.args.args else "cfg"
            for call in index.calls:
                if call.name != "json.loads" or not call.node.args:
                    continue
                arg = call.node.args[0]
                text = source_text(arg)
                if re.fullmatch(
                    rf"{re.escape(param)}(?:\.{re.escape(key)}|\[['\"]{re.escape(key)}['\"]\])", text
                ) and not _type_guarded(index, call, text):
                    return CliFailure(
                        index.path,
                        call.line,
                        f"Hydra parses the override {token!r} into a list (ListConfig), so json.loads({text}) "
                        "raises TypeError: the JSON object must be str, bytes or bytearray, not ListConfig",
                    )
    return None


_CATCHES_TYPE_ERROR = frozenset({"TypeError", "Exception", "BaseException"})
# Types an ``isinstance`` test can name that a string is (the body of ``isinstance(x, str)`` never sees a list)
# and types a Hydra list is (the else branch of ``isinstance(x, ListConfig)`` never sees one).
_STRING_TYPES = frozenset({"str", "bytes", "bytearray"})
_LIST_TYPES = frozenset({"ListConfig", "list", "tuple", "Sequence", "MutableSequence", "Iterable", "Collection"})
_EXITS = frozenset({"sys.exit", "exit", "quit", "os._exit"})


def _isinstance_types(test: ast.expr, text: str) -> set[str] | None:
    """The type names of ``isinstance(<text>, T)`` / ``isinstance(<text>, (T1, T2))``; None for another test."""
    if not (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Name)
        and test.func.id == "isinstance"
        and len(test.args) == 2
        and source_text(test.args[0]) == text
    ):
        return None
    kinds = test.args[1].elts if isinstance(test.args[1], ast.Tuple) else [test.args[1]]
    return {(dotted_name(k) or "?").rsplit(".", 1)[-1] for k in kinds}


def _branch_excludes_lists(test: ast.expr, text: str, in_body: bool) -> bool:
    """Whether the branch (body when ``in_body``, else the else branch) of ``if <test>`` never runs with a
    list in ``<text>``: the body of ``isinstance(x, str)``, the else branch of ``isinstance(x, ListConfig)``,
    the same swapped under ``not``, the body of an ``and`` with such an operand."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _branch_excludes_lists(test.operand, text, not in_body)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return in_body and any(_branch_excludes_lists(value, text, True) for value in test.values)
    kinds = _isinstance_types(test, text)
    if kinds is None:
        return False
    return kinds <= _STRING_TYPES if in_body else bool(kinds & _LIST_TYPES)


def _handler_recovers(handler: ast.ExceptHandler) -> bool:
    """Whether an except block goes on after the error: it neither raises nor exits the program."""
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Raise):
            return False
        if isinstance(node, ast.Call) and (dotted_name(node.func) or "") in _EXITS:
            return False
    return True


def _type_guarded(index: ModuleIndex, call: CallSite, text: str) -> bool:
    """Whether ``call`` never meets a list in the value ``text``, or goes on after its TypeError: it stands in
    the branch of an ``if`` / conditional expression where ``isinstance`` rules a list out, or in the body of
    a ``try`` whose handler for TypeError (or a broader one) neither raises nor exits."""
    scope = index.scopes.get(call.function)
    root: ast.AST = scope.node if scope is not None and scope.node is not None else index.tree
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(root):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    child: ast.AST = call.node
    node = parents.get(id(child))
    while node is not None:
        if isinstance(node, ast.If | ast.IfExp) and child is not node.test:
            in_body = child is node.body if isinstance(node, ast.IfExp) else any(child is s for s in node.body)
            if _branch_excludes_lists(node.test, text, in_body):
                return True
        if isinstance(node, ast.Try | ast.TryStar) and any(child is s for s in node.body):
            for handler in node.handlers:
                kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                catches = handler.type is None or any(
                    isinstance(k, ast.Name | ast.Attribute)
                    and (dotted_name(k) or "").rsplit(".", 1)[-1] in _CATCHES_TYPE_ERROR
                    for k in kinds
                )
                if catches:
                    # The first handler that catches TypeError is the one that runs.
                    if _handler_recovers(handler):
                        return True
                    break
        child, node = node, parents.get(id(node))
    return False


def evaluate_cli_failure(facts: Facts) -> CliFailure | None:
    """The failure the documented evaluate command meets in evaluate.py's argument handling, if certain."""
    tokens = command_tokens(facts)
    if not tokens:
        return None
    index = index_of(facts, EVALUATE)
    if index is None:
        return None
    text = facts.files[EVALUATE].text
    if _hydra_main(index) is not None:
        return _hydra_failure(facts, index, tokens)
    if "argparse" in text:
        return _argparse_failure(index, text, tokens)
    return None


# --------------------------------------------------------------------------- files and figures


@dataclass(frozen=True)
class NamedFile:
    """A file name the code spells out (a string literal or f-string), where it does."""

    path: str
    line: int
    column: int
    template: str  # the text, each {expression} of an f-string written {}
    function: str

    @property
    def basename(self) -> str:
        return self.template.rsplit("/", 1)[-1]


def named_files(facts: Facts, path: str) -> list[NamedFile]:
    """File-like names spelled in module ``path`` (strings ending in an extension), in source order.

    A glob pattern (``results_dir.rglob("*.pdf")``) matches files that exist; it names none, so it is
    not one of them.
    """
    index = index_of(facts, path)
    if index is None:
        return []
    found = []
    file = facts.files[path]
    for node, fn in index.strings:
        text = template(node)
        if text is None or "\n" in text or len(text) > 200 or _WILDCARD.search(text):
            continue
        if type(node) is ast.Constant and _EXTENSION.search(text):
            text = _as_part(file, node, text)
        found.append(NamedFile(path, node.lineno, node.col_offset + 1, text, fn))  # type: ignore[attr-defined]
    found.sort(key=lambda f: (f.line, f.column))
    return found


_EXTENSION = re.compile(r"\.\w{1,5}$")
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifgeExXr]")
_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")
_TEMPLATE_FIELD = re.compile(r"\$(?:\{\w+\}|\w+)")
_STR_JOIN = re.compile(r"""(['"])([^'"\n]*)\1\.join\(""")
# What ends an operand that is a path separator: a literal ending in / or \, os.sep, os.path.sep, os.altsep.
_SEPARATOR_END = re.compile(r"""(?:[/\\]['"]|\bsep|\baltsep)\s*$""")
_OPENERS, _CLOSERS = "([{", ")]}"


def _joined_part(before: str) -> bool:
    """Whether the literal that follows ``before`` is a later element of ``"<sep>".join([...])`` (a list or
    tuple written in the call) whose separator is no path separator: one part of a file name."""
    if not before.endswith(","):
        return False
    joins = list(_STR_JOIN.finditer(before))
    if not joins or any(c in joins[-1].group(2) for c in "/\\"):
        return False
    tail = before[joins[-1].end() :].lstrip()
    if not tail.startswith(("[", "(")):
        return False
    depth = 0
    for char in tail:
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
            if depth <= 0:
                return False  # the list closed before the literal
    return depth == 1


def _as_part(file: SourceFile, node: ast.Constant, text: str) -> str:
    """A string literal's text as the name it builds, where the code around it fills in more: a later operand
    of ``+`` (or the value of ``name += "..."``) is preceded by ``{}``; the fields of ``"..." % x``, ``"...".format(...)`` and
    ``string.Template("...")`` are written ``{}``; an element of ``"_".join([...])`` is one part of a name.

    Read from the source text around the literal (positions are UTF-8 byte offsets)."""
    line = file.line(node.lineno).encode()
    before = line[: node.col_offset].decode(errors="ignore").rstrip()
    if not before and node.lineno > 1:  # the literal opens a continuation line
        before = file.line(node.lineno - 1).rstrip()
    end_line = node.end_lineno or node.lineno
    after_bytes = file.line(end_line).encode()[node.end_col_offset or 0 :]
    after = after_bytes.decode(errors="ignore").lstrip()
    if after.startswith("%"):
        text = _PERCENT_FIELD.sub("{}", text)
    elif after.startswith(".format("):
        text = _FORMAT_FIELD.sub("{}", text)
    if before.endswith("Template("):
        text = _TEMPLATE_FIELD.sub("{}", text)
    if (
        before.endswith("+=")
        or (before.endswith("+") and not _SEPARATOR_END.search(before[:-1]))
        or _joined_part(before)
    ):
        # A path separator before the literal (``str(out) + "/" + "x.pdf"``, ``"/".join([out, "x.pdf"])``)
        # makes the literal the whole file name, not a part of one.
        text = "{}" + text
    return text


def figure_names(facts: Facts, path: str) -> list[NamedFile]:
    return [f for f in named_files(facts, path) if _FIGURE_EXT.search(f.template)]


_SAVE_ATTRS = frozenset({"savefig", "write_image", "write_html", "save_fig"})


def figure_saves(facts: Facts, path: str) -> list[CallSite]:
    """Calls that write a figure to disk (``plt.savefig``, ``fig.savefig``, plotly ``write_image``)."""
    index = index_of(facts, path)
    if index is None:
        return []
    return [c for c in index.calls if c.attr in _SAVE_ATTRS]


def modules(facts: Facts) -> list[str]:
    return code_modules(facts)


# --------------------------------------------------------------------------- how main.py reaches evaluate


_LAUNCHERS = (
    "subprocess.",
    "os.system",
    "os.exec",
    "os.spawn",
    "os.popen",
    "runpy.run_module",
    "runpy.run_path",
    "importlib.import_module",
    "asyncio.create_subprocess",
)


def _strings_in(node: ast.AST, scope: Scope, depth: int = 0) -> Iterator[str]:
    for sub in ast.walk(node):
        text = template(sub) if isinstance(sub, ast.Constant | ast.JoinedStr) else None
        if text is not None:
            yield text
        if isinstance(sub, ast.Name) and depth < 2:
            for value in scope.assigns.get(sub.id, []):
                yield from _strings_in(value, scope, depth + 1)


def _names_evaluate(text: str) -> bool:
    return bool(re.search(r"(?:^|[\s./])(?:src\.evaluate|evaluate\.py)\b", text)) or text == "src.evaluate"


@dataclass(frozen=True)
class EvaluateLink:
    """main.py importing evaluate ("import") or starting it as a process ("launch")."""

    kind: str
    line: int
    column: int | None


def evaluate_links(index: ModuleIndex) -> list[EvaluateLink]:
    """Where the module imports the evaluation module or launches it (a launcher call naming it)."""
    found: list[EvaluateLink] = []
    for node in ast.walk(index.tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = {a.name for a in node.names}
            if module.split(".")[-1] == "evaluate" or (module in ("src", "") and "evaluate" in names):
                found.append(EvaluateLink("import", node.lineno, None))
        elif isinstance(node, ast.Import) and any(a.name.split(".")[-1] == "evaluate" for a in node.names):
            found.append(EvaluateLink("import", node.lineno, None))
    for call in index.calls:
        if not call.name.startswith(_LAUNCHERS):
            continue
        scope = index.scope(call.function)
        args = [*call.node.args, *(kw.value for kw in call.node.keywords)]
        if any(_names_evaluate(text) for arg in args for text in _strings_in(arg, scope)):
            found.append(EvaluateLink("launch", call.line, call.column))
    return found


# Per module tree: id of an expression -> (lines of the string literals in it, names in it), so that
# dumped_object walks each call argument once, not once per file write it is asked about (a module
# writing the file a thousand times asked a thousand walks of every argument: quadratic).
_PARTS: weakref.WeakKeyDictionary[ast.Module, dict[int, tuple[frozenset[int], frozenset[str]]]] = (
    weakref.WeakKeyDictionary()
)


def _parts(tree: ast.Module, node: ast.AST) -> tuple[frozenset[int], frozenset[str]]:
    cache = _PARTS.get(tree)
    if cache is None:
        cache = _PARTS[tree] = {}
    found = cache.get(id(node))
    if found is None:
        lines: set[int] = set()
        names: set[str] = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant | ast.JoinedStr):
                lines.add(sub.lineno)
            elif isinstance(sub, ast.Name):
                names.add(sub.id)
        found = cache[id(node)] = (frozenset(lines), frozenset(names))
    return found


_DEFS: weakref.WeakKeyDictionary[ast.Module, list[tuple[int, int, str]]] = weakref.WeakKeyDictionary()
# Per module tree: function -> (its calls in source order, their lines).
_CALLS: weakref.WeakKeyDictionary[ast.Module, dict[str, tuple[list[CallSite], list[int]]]] = weakref.WeakKeyDictionary()


def _enclosing_def(tree: ast.Module, line: int) -> tuple[int, int, str] | None:
    """(first line, last line, name) of the innermost function definition holding ``line``."""
    defs = _DEFS.get(tree)
    if defs is None:
        defs = _DEFS[tree] = sorted(
            (node.lineno, node.end_lineno or node.lineno, node.name)
            for node in iter_statements(tree.body)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        )
    holding = [d for d in defs if d[0] <= line <= d[1]]
    return max(holding, key=lambda d: d[0]) if holding else None


def dumped_object(index: ModuleIndex, line: int, function: str) -> tuple[ast.expr, int] | None:
    """The object written to the file named at ``line`` in ``function``, and the line of the write."""
    scope = index.scope(function)
    path_names = {
        name
        for name, values in scope.assigns.items()
        if any(getattr(v, "lineno", -1) <= line <= getattr(v, "end_lineno", -1) for v in values)
    }

    def mentions(node: ast.AST) -> bool:
        """``node`` holds a string literal on ``line`` or a name assigned there."""
        lines, names = _parts(index.tree, node)
        return line in lines or not names.isdisjoint(path_names)

    by_function = _CALLS.get(index.tree)
    if by_function is None:
        by_function = _CALLS[index.tree] = {}
        for site in index.calls:  # in source order
            by_function.setdefault(site.function, ([], []))[0].append(site)
        for sites, lines in by_function.values():
            lines.extend(site.node.lineno for site in sites)
    calls, lines = by_function.get(function, ([], []))
    if function:
        # Only the definition holding the write: a module that defines the function again (a
        # thousand times, in a hostile file) has calls of that name in every copy.
        found = _enclosing_def(index.tree, line)
        if found is not None and found[2] == function.rsplit(".", 1)[-1]:
            calls = calls[bisect_left(lines, found[0]) : bisect_right(lines, found[1])]
    for call in calls:
        args = list(call.node.args)
        if call.attr == "write_text" and isinstance(call.node.func, ast.Attribute) and mentions(call.node.func.value):
            inner = args[0] if args else None
            if isinstance(inner, ast.Call) and index.qualified(inner.func, function) == "json.dumps" and inner.args:
                return inner.args[0], call.line
        if call.name == "open" or call.attr == "open":
            continue
        if call.name == "json.dump" and len(args) >= 2:
            continue
        if args and any(mentions(a) for a in args) and call.name not in ("print", "open"):
            others = [a for a in args if not mentions(a)]
            if len(others) == 1 and call.attr not in ("mkdir", "exists", "joinpath"):
                return others[0], call.line
    opens = [c for c in calls if (c.name == "open" or c.attr == "open") and any(mentions(a) for a in c.node.args)]
    opens += [
        c for c in calls if c.attr == "open" and isinstance(c.node.func, ast.Attribute) and mentions(c.node.func.value)
    ]
    for opened in opens:
        for call in calls:
            if call.name == "json.dump" and call.line >= opened.line and call.node.args:
                return call.node.args[0], call.line
    return None


def primary_metric_named(facts: Facts) -> str | None:
    """The primary metric: from the research context, else the name evaluate.py writes under primary_metric."""
    metric = facts.submission.context.primary_metric
    if metric:
        return metric
    index = index_of(facts, EVALUATE)
    if index is None:
        return None
    for name, text in index.constants.items():
        if "primary" in name.lower() and "metric" in name.lower():
            return text
    for node in ast.walk(index.tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and const_str(key) == "primary_metric" and const_str(value):
                    return const_str(value)
    return None
