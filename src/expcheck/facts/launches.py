"""How the code starts other processes and services: subprocess commands, Hydra's working directory, W&B.

All read from the syntax trees and the YAML: a subprocess command is known only as far as it is
written with literals (``[sys.executable, "-m", "src.train", ...]``, possibly through a local
variable assigned a list literal); anything computed stays unknown and is never judged.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from dataclasses import dataclass
from typing import Any

from expcheck.facts import Facts
from expcheck.facts.callscopes import ModuleScopes, module_scopes
from expcheck.facts.python import iter_statements, walk
from expcheck.facts.semantic import CallSite, dotted_name
from expcheck.facts.sourcetext import source_text

_SUBPROCESS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "os.system",
        "os.popen",
    }
)
_SHELL_ONLY = frozenset({"os.system", "os.popen"})
PYTHON = "<python>"


@dataclass(frozen=True)
class Launch:
    """A subprocess started by the code."""

    call: CallSite
    callee: str  # "subprocess.run", "os.system", ...
    # The command's words as far as they are literals; None for a word that is computed.
    # ``sys.executable`` reads as "<python>".
    words: tuple[str | None, ...] | None
    cwd_given: bool
    env_given: bool

    @property
    def python_module(self) -> str | None:
        """The module run with ``python -m MODULE``, when the command says so with literals."""
        if not self.words:
            return None
        words = list(self.words)
        for i, word in enumerate(words[:-1]):
            # An interpreter held in a variable (``py = sys.executable``) reads as unknown.
            if word == "-m" and i >= 1 and (_is_python(words[:i]) or words[0] is None):
                return words[i + 1]
        return None

    @property
    def python_script(self) -> str | None:
        """The script run with ``python path/to/file.py``, when written as a literal relative path."""
        script = self._script()
        return None if script is None or script.startswith(ANCHORED) else script

    @property
    def script_file(self) -> str | None:
        """The repository path of the script run with ``python <file>.py``: a literal relative path, or a path
        built from ``__file__`` (``os.path.join(os.path.dirname(__file__), "train.py")``), which names the
        same file from any working directory."""
        script = self._script()
        if script is None:
            return None
        return script[len(ANCHORED) :] if script.startswith(ANCHORED) else posixpath.normpath(script)

    def _script(self) -> str | None:
        if not self.words:
            return None
        words = list(self.words)
        for i, word in enumerate(words):
            if word and word.endswith(".py") and i >= 1 and _is_python(words[:i]) and "-c" not in words[:i]:
                return word
        return None


def _is_python(words: list[str | None]) -> bool:
    for word in words:
        if word is None:
            continue
        name = word.rsplit("/", 1)[-1]
        if word == PYTHON or name.startswith("python"):
            return True
    return False


def _word(node: ast.expr, here: str = "") -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if dotted_name(node) == "sys.executable":
        return PYTHON
    found = _file_path(node, here) if here else None
    return ANCHORED + found if found and found.endswith(".py") else None


# A command word that is a file path built from the module's own ``__file__``: ANCHORED + its repository path.
ANCHORED = "<__file__>/"
_SAME_PATH = frozenset({"abspath", "realpath", "normpath", "Path", "PurePath", "str", "resolve", "absolute", "fspath"})


def _file_path(node: ast.expr, here: str, depth: int = 0) -> str | None:
    """The repository path ``node`` names when it is built from ``__file__`` of module ``here`` with path
    operations (``os.path.dirname``, ``os.path.join``, ``Path(...).parent``, ``/``, ``with_name``); None
    otherwise, or when it leaves the repository."""
    if depth > 12:
        return None
    if isinstance(node, ast.Name):
        return here if node.id == "__file__" else None
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _file_path(node.value, here, depth + 1)
        return _parent(inner)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents":
        inner = _file_path(node.value.value, here, depth + 1)
        if not (isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int)):
            return None
        for _ in range(node.slice.value + 1):
            inner = _parent(inner)
        return inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        inner, part = _file_path(node.left, here, depth + 1), _word(node.right)
        return _joined(inner, [part])
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    receiver = func.value if isinstance(func, ast.Attribute) and name in ("resolve", "absolute", "with_name") else None
    if receiver is not None and name != "with_name":
        return _file_path(receiver, here, depth + 1)
    if receiver is not None and len(node.args) == 1:
        return _joined(_parent(_file_path(receiver, here, depth + 1)), [_word(node.args[0])])
    if not node.args:
        return None
    first = _file_path(node.args[0], here, depth + 1)
    if name in _SAME_PATH and len(node.args) == 1:
        return first
    if name == "dirname" and len(node.args) == 1:
        return _parent(first)
    if name == "join":
        return _joined(first, [_word(a) for a in node.args[1:]])
    return None


def _parent(path: str | None) -> str | None:
    if path is None or path in ("", "."):
        return None  # above the repository root
    return posixpath.dirname(path) or "."


def _joined(path: str | None, parts: list[str | None]) -> str | None:
    if path is None or any(p is None or p.startswith("/") for p in parts):
        return None
    joined = posixpath.normpath(posixpath.join(path, *parts))  # type: ignore[arg-type]
    return None if joined.startswith("..") else joined


def _list_words(node: ast.expr, here: str = "") -> list[str | None] | None:
    if isinstance(node, ast.List | ast.Tuple):
        words: list[str | None] = []
        for elt in node.elts:
            if isinstance(elt, ast.Starred):
                words.append(None)
            else:
                words.append(_word(elt, here))
        return words
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _list_words(node.left, here)
        if left is not None:
            right = _list_words(node.right, here)
            return left + (right if right is not None else [None])
    return None


def _assigned_list(
    function: ast.AST | None, name: str, before: int, assigns: dict[int, list[ast.stmt]]
) -> ast.expr | None:
    """The value last assigned to ``name`` in ``function`` before line ``before``.

    ``assigns`` keeps, per function, its assignments (nested blocks, functions and classes included), found
    once from its statements: no other node of a function can be an assignment."""
    if function is None:
        return None
    statements = assigns.get(id(function))
    if statements is None:
        body = getattr(function, "body", [])
        statements = assigns[id(function)] = [
            s
            for s in iter_statements(body)
            if type(s) is ast.Assign or (type(s) is ast.AnnAssign and s.value is not None)
        ]
    found: tuple[int, ast.expr] | None = None
    for node in statements:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        else:
            targets, value = [node.target], node.value  # type: ignore[attr-defined]
        named = any(isinstance(t, ast.Name) and t.id == name for t in targets)
        if named and node.lineno < before and (found is None or node.lineno >= found[0]):
            found = (node.lineno, value)
    return found[1] if found else None


def _command_words(
    scopes: ModuleScopes, call: CallSite, callee: str, assigns: dict[int, list[ast.stmt]]
) -> tuple[str | None, ...] | None:
    node = call.node
    first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in ("args", "command")), None)
    if first is None:
        return None
    if isinstance(first, ast.Name):
        first = _assigned_list(scopes.function_node(call), first.id, call.line, assigns) or first
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        shell = callee in _SHELL_ONLY or any(
            k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords
        )
        if not shell:
            return (first.value,)
        try:
            return tuple(shlex.split(first.value))
        except ValueError:
            return None
    words = _list_words(first, call.path)
    return tuple(words) if words is not None else None


def launches(facts: Facts) -> list[Launch]:
    """Every subprocess call of the code (use through ``facts.derived``)."""
    found: list[Launch] = []
    assigns: dict[int, list[ast.stmt]] = {}
    for _, scopes in sorted(facts.derived(module_scopes).items()):
        for call in scopes.calls:
            callee = call.name
            if callee not in _SUBPROCESS:
                continue
            keywords = {k.arg for k in call.node.keywords}
            found.append(
                Launch(
                    call=call,
                    callee=callee,
                    words=_command_words(scopes, call, callee, assigns),
                    cwd_given="cwd" in keywords or None in keywords,
                    env_given="env" in keywords or None in keywords,
                )
            )
    return found


@dataclass(frozen=True)
class JobDirectory:
    """Whether a ``@hydra.main`` job runs in a directory other than the one the command started in."""

    changes: bool
    reason: str


def _lookup(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


_SAME_DIR = frozenset({".", "./", "${hydra:runtime.cwd}", "${hydra:runtime.cwd}/"})


def job_directory(
    facts: Facts, config_dir: str | None, config_name: str | None, version_base: str | None, given: bool
) -> JobDirectory:
    """Hydra 1.3's rule: without version_base (or with "1.1") the job chdirs into its output folder,
    unless the primary config sets ``hydra.job.chdir`` or keeps ``hydra.run.dir`` at the start folder."""
    legacy = not given or (version_base is not None and version_base.startswith("1.1"))
    changes = legacy
    reason = (
        "@hydra.main has no version_base, so Hydra keeps its 1.1 default hydra.job.chdir=True"
        if not given
        else (f'version_base="{version_base}" keeps the 1.1 default hydra.job.chdir=True')
    )
    command = facts.profile.commands.train
    if "hydra.job.chdir=" in command or "hydra.run.dir=" in command:
        return JobDirectory(False, "the command sets the job directory")
    doc = None
    if config_dir is not None and config_name is not None:
        name = config_name if config_name.endswith((".yaml", ".yml")) else f"{config_name}.yaml"
        path = f"{config_dir}/{name}" if config_dir else name
        found = facts.yaml.get(path)
        doc = found.data if found is not None else None
    chdir = _lookup(doc, "hydra", "job", "chdir")
    if isinstance(chdir, bool):
        changes = chdir
        reason = f"the config sets hydra.job.chdir: {str(chdir).lower()}"
    run_dir = _lookup(doc, "hydra", "run", "dir")
    if changes and isinstance(run_dir, str) and run_dir.strip() in _SAME_DIR:
        return JobDirectory(False, "hydra.run.dir is the start folder")
    return JobDirectory(changes, reason if changes else "the job keeps the start folder")


@dataclass(frozen=True)
class WandbInit:
    call: CallSite
    # Exception names caught by try statements around the call.
    caught: tuple[str, ...]


def wandb_inits(facts: Facts) -> list[WandbInit]:
    """Calls of ``wandb.init`` in the code (through any import alias)."""
    found: list[WandbInit] = []
    for _, scopes in sorted(facts.derived(module_scopes).items()):
        for call in scopes.calls:
            if call.name == "wandb.init":
                found.append(WandbInit(call, scopes.caught(call)))
    return found


def _source(node: ast.expr) -> str:
    """What ``source_text(node)`` (``ast.unparse``) holds as far as "src.train" goes: a string's value (its
    printed form adds quotes and backslash escapes, neither inside "src.train"), a name's identifier, else
    the unparsed code."""
    kind = type(node)
    if kind is ast.Constant and type(node.value) is str:  # type: ignore[attr-defined]
        return node.value  # type: ignore[attr-defined,no-any-return]
    if kind is ast.Name:
        return node.id  # type: ignore[attr-defined,no-any-return]
    return source_text(node)


def train_launch_with_overrides(facts: Facts) -> int | None:
    """The line where main.py launches src.train with key=value overrides, if it does (use through ``facts.derived``).

    Read from list literals that name src.train and hold a ``key=value`` string; not (yet) from
    ``launches``, which knows only commands written as literals up to the call.
    """
    module = facts.python.get("src/main.py")
    if module is None or module.tree is None:
        return None
    for node in walk(module.tree):
        if type(node) is not ast.List:
            continue
        if not any("src.train" in _source(e) for e in node.elts):  # type: ignore[attr-defined]
            continue
        for elt in node.elts:
            if isinstance(elt, ast.Constant | ast.JoinedStr):
                text = source_text(elt).strip("'\"f")
                if re.match(r"^\+?[A-Za-z_][\w.]*=", text):
                    return node.lineno
    return None


_INITIALIZE = frozenset(
    f"hydra{part}.{name}"
    for part in ("", ".experimental")
    for name in ("initialize", "initialize_config_dir", "initialize_config_module")
)
_COMPOSE = frozenset({"hydra.compose", "hydra.experimental.compose"})


def _is_argv_tail(node: ast.expr) -> bool:
    """``sys.argv[1:]`` (or ``list(sys.argv[1:])``): the command's arguments without the script path."""
    if isinstance(node, ast.Call) and dotted_name(node.func) == "list" and len(node.args) == 1 and not node.keywords:
        node = node.args[0]
    if not (isinstance(node, ast.Subscript) and dotted_name(node.value) in ("sys.argv", "argv")):
        return False
    part = node.slice
    return (
        isinstance(part, ast.Slice)
        and isinstance(part.lower, ast.Constant)
        and part.lower.value == 1
        and part.upper is None
        and part.step is None
    )


def reached_functions(index: Any) -> set[str]:
    """Qualnames of the module's top-level functions its module-level code calls, and those they call
    by plain name in turn (``if __name__ == "__main__": main()`` reaches ``main`` and its helpers)."""
    callees: dict[str, list[str]] = {}  # caller's qualname -> names it calls plainly, each call looked at once
    for call in index.calls:
        if isinstance(call.node.func, ast.Name):
            callees.setdefault(call.function, []).append(call.node.func.id)
    reached: set[str] = set()
    todo = [""]
    while todo:
        for name in callees.get(todo.pop(), ()):
            for qualname in index.by_name.get(name, ()):
                if qualname not in reached and "." not in qualname:
                    reached.add(qualname)
                    todo.append(qualname)
    return reached


def _initialized(index: Any, compose: CallSite) -> bool:
    """Whether Hydra is initialized where ``compose`` runs: the call stands in a ``with initialize(...)``
    block, or an ``initialize(...)`` statement of the same function comes before it."""
    scope = index.scopes.get(compose.function)
    if scope is None:
        return False
    starts = {id(c.node) for c in index.calls if c.name in _INITIALIZE and c.function == compose.function}
    if not starts:
        return False
    for node in walk(scope.node):
        if isinstance(node, ast.With | ast.AsyncWith) and any(id(item.context_expr) in starts for item in node.items):
            if any(sub is compose.node for stmt in node.body for sub in walk(stmt)):
                return True
        elif isinstance(node, ast.Expr) and id(node.value) in starts and node.lineno < compose.node.lineno:
            return True
    return False


def composes_argv_overrides(facts: Facts, path: str) -> bool:
    """Whether module ``path`` composes its config with Hydra's compose API from its command line
    (``compose(config_name="config", overrides=sys.argv[1:])``, directly or through a local name bound
    only to that).

    Such a script takes ``key=value`` overrides as an ``@hydra.main`` app does: Hydra's own override
    parser reads them. It holds only when all of this is so: the overrides are exactly the arguments
    after the script path (the whole ``sys.argv`` hands Hydra the script path: an override parse
    error); the compose runs inside ``with initialize(...)`` (or after an ``initialize(...)`` statement)
    of the same function (else Hydra is not initialized); that function runs from the module's own
    top-level code; and no ``parse_args()`` reads the same command line first (argparse exits on
    ``run=...``).
    """
    module = facts.python.get(path)
    if module is None or module.tree is None or "argv" not in facts.files[path].text:
        return False
    index = module.index
    if any(call.attr == "parse_args" and not call.node.args for call in index.calls):
        return False
    reached: set[str] | None = None
    for call in index.calls:
        if call.name not in _COMPOSE:
            continue
        given = [kw.value for kw in call.node.keywords if kw.arg == "overrides"] + call.node.args[1:2]
        if len(given) != 1:
            continue
        value = given[0]
        scope = index.scopes.get(call.function)
        if isinstance(value, ast.Name):
            values = scope.assigns.get(value.id, []) if scope is not None else []
            if not values or not all(_is_argv_tail(v) for v in values):
                continue
        elif not _is_argv_tail(value):
            continue
        if not _initialized(index, call):
            continue
        if reached is None:
            reached = reached_functions(index)
        if call.function == "" or call.function in reached:
            return True
    return False


def scripts_run_by_path(facts: Facts) -> set[str]:
    """Repository paths of the modules the code runs only as scripts by path (``python src/train.py``, a path
    built from ``__file__``): their own folder is on ``sys.path``, so bare sibling imports work there.

    A module some launch (or a documented command) also runs with ``python -m <package>.<module>`` is left
    out: in that run its folder is not on ``sys.path``, and a bare sibling import fails.
    """
    found = facts.derived(launches)
    scripts = {s for s in (launch.script_file for launch in found) if s}
    if not scripts:
        return scripts
    as_modules = {m for m in (launch.python_module for launch in found) if m}
    commands = facts.profile.commands
    for command in (commands.train, commands.evaluate or ""):
        as_modules.update(re.findall(r"(?:^|\s)-m\s+([\w.]+)", command))
    return {s for s in scripts if s.removesuffix(".py").replace("/", ".") not in as_modules}
