"""ruff's diagnostics for the submission's Python files, from one ruff run per submission.

The files are copied into a private temporary folder (the only place anything is written), ruff
checks them there with a fixed, explicit rule selection and no configuration of its own
(``--isolated``), and its JSON is read back. When ruff cannot be found or fails, the result says so
in ``note`` and holds no diagnostics; the rules built on ruff then fail (``LintUnavailable``), so the
check reports that they could not judge the code (X001) instead of reading ruff's silence as a pass.

The selection is the crash-class part of pyflakes and pylint's error set, chosen because each code
means a Python exception (or a SyntaxError at compile time) when the line runs:

- F821 undefined name (NameError), F823 local used before assignment (UnboundLocalError);
- F811 redefinition, judged further by the rules (an import replaced by a function of the same
  name sends every use of the import to the wrong callable);
- F405/F403 names that may come from a star import (cannot be told statically);
- F822 a name in ``__all__`` that does not exist (AttributeError on ``from m import *``);
- F501-F509, F521-F525 %-format and str.format mismatches that raise TypeError/KeyError/ValueError;
- F621/F622 starred-assignment errors, F701/F702 break/continue outside a loop, F704 yield outside
  a function, F706 return outside a function, F707 a bare except not last, PLE0115/PLE0117/PLE0118
  global/nonlocal misuse, PLE1142 await outside async: all compile-time SyntaxErrors that Python's
  parser alone (``ast.parse``, rule R101) accepts;
- F632 ``is`` against a literal (wrong result, a SyntaxWarning) and F631 an assert on a tuple
  (never fails), which are warnings only.

Unused imports and variables (F401, F841) are left out: they never break a run.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import posixpath
import shutil
import subprocess
import tempfile
import warnings
import weakref
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

from expcheck.errors import ToolUnavailable
from expcheck.facts import Facts
from expcheck.facts.python import PyModule
from expcheck.scratch import lint_prefix, ram_parent

SELECT = (
    "F403,F405,F501,F502,F503,F505,F506,F507,F508,F509,F521,F524,F525,F621,F622,F631,F632,"
    "F701,F702,F704,F706,F707,F811,F821,F822,F823,PLE0115,PLE0117,PLE0118,PLE1142"
)
TARGET_VERSION = "py311"  # the Python the syntax trees are parsed with (rule R101 agrees with ruff)
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Diagnostic:
    """One ruff diagnostic, located in the submission (``code`` is "invalid-syntax" for syntax errors)."""

    path: str
    code: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str

    @property
    def subject(self) -> str | None:
        """The name the message is about: ruff writes it in backticks (Undefined name `x`)."""
        parts = self.message.split("`")
        return parts[1] if len(parts) >= 3 and parts[1] else None


class LintUnavailable(ToolUnavailable):
    """ruff gave no diagnostics for a submission with Python files (``LintResult.note`` says why)."""


@dataclass
class LintResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Why there are no diagnostics when ruff could not run (missing, crashed, unreadable output).
    note: str | None = None
    ran: bool = False

    def by_code(self, *codes: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.code in codes]


@cache
def ruff_binary() -> str | None:
    """The ruff executable: the one installed with the ``ruff`` package, else one on PATH."""
    try:
        from ruff.__main__ import find_ruff_bin

        found = find_ruff_bin()
        if found and os.path.isfile(found):
            return str(found)
    except (ImportError, FileNotFoundError):
        pass
    return shutil.which("ruff")


def _safe_relative(path: str) -> PurePosixPath | None:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return None
    return pure


@dataclass
class _Started:
    """A ruff process running over a private copy of the submission's Python files."""

    tmp: tempfile.TemporaryDirectory[str]
    proc: subprocess.Popen[str]
    files: dict[str, str]
    # The folders made for the files under the temporary folder ("src", "src/pkg").
    folders: set[str] = field(default_factory=set)

    def remove(self) -> None:
        """Remove the copies and the temporary folder: what was written, one by one (cheaper than a tree
        walk), then whatever else is left (TemporaryDirectory's own cleanup)."""
        root = self.tmp.name
        try:
            for path in self.files:
                os.unlink(os.path.join(root, path))
            for folder in sorted(self.folders, key=len, reverse=True):  # the deepest first
                os.rmdir(os.path.join(root, folder))
            os.rmdir(root)
        except OSError:
            pass  # something else is in there: the cleanup below removes it
        self.tmp.cleanup()


def _write(path: str, data: bytes) -> None:
    """Write ``data`` to the new file ``path`` with plain file descriptors: what ``open(path, "w",
    encoding="utf-8")`` writes on POSIX (no newline translation there), without its buffer objects."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _parents(folder: str) -> list[str]:
    """``a/b/c`` -> ``a/b/c``, ``a/b``, ``a``."""
    parts = folder.split("/")
    return ["/".join(parts[:end]) for end in range(len(parts), 0, -1)]


def start_lint(facts: Facts) -> _Started | LintResult:
    """Start ruff in the background (through ``facts.derived``); ``lint`` collects its answer.

    Rules that use lint name this in their ``needs``, so the engine starts ruff before any rule runs and
    ruff works while the submission is parsed and the other rules run.
    """
    files = {
        p: f.text
        for p, f in facts.files.items()
        if p.endswith(".py") and f.unreadable is None and _safe_relative(p) is not None
    }
    return _launch(files)


def _launch(files: dict[str, str]) -> _Started | LintResult:
    """ruff started over a private copy of ``files``; a LintResult when there is nothing to do or it cannot start."""
    if not files:
        return LintResult(ran=True)
    binary = ruff_binary()
    if binary is None:
        return LintResult(note="ruff is not installed, so undefined names and the other lint checks cannot be judged")
    copied = _copy(files)
    if isinstance(copied, LintResult):
        return copied
    tmp, folders = copied
    root = tmp.name
    command = [
        binary,
        "check",
        "--isolated",
        "--no-cache",
        "--quiet",
        "--exit-zero",
        "--output-format",
        "json",
        "--target-version",
        TARGET_VERSION,
        "--select",
        SELECT,
        "--",
        *sorted(files),
    ]
    try:
        proc = subprocess.Popen(
            command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_clean_env()
        )
    except OSError as exc:
        tmp.cleanup()
        return LintResult(note=f"ruff could not run ({type(exc).__name__}), so the lint checks cannot be judged")
    started = _Started(tmp=tmp, proc=proc, files=files, folders=folders)
    weakref.finalize(started, _stop, proc, tmp)  # never leave a process or a folder behind
    return started


def _copy(files: dict[str, str]) -> tuple[tempfile.TemporaryDirectory[str], set[str]] | LintResult:
    """A new folder holding ``files`` for ruff, and the folders made below it ("src", "src/pkg").

    The folder goes to the RAM-backed temporary folder where there is one (expcheck.scratch), else, or when
    that one refuses (full), to the usual temporary folder. A folder that cannot be made there raises, as
    any failure of a fact does (the check then reports it); files that cannot be written there say so.
    """
    ram = ram_parent()
    if ram is not None:
        try:
            return _copy_into(files, ram)
        except OSError:
            pass  # the RAM-backed folder is full or refuses: the usual temporary folder instead
        except UnicodeError as exc:
            return _not_copied(exc)
    tmp = tempfile.TemporaryDirectory(prefix=lint_prefix())
    try:
        return tmp, _write_files(tmp.name, files)
    except (OSError, UnicodeError) as exc:
        tmp.cleanup()
        return _not_copied(exc)


def _copy_into(files: dict[str, str], parent: str) -> tuple[tempfile.TemporaryDirectory[str], set[str]]:
    tmp = tempfile.TemporaryDirectory(prefix=lint_prefix(), dir=parent)
    try:
        return tmp, _write_files(tmp.name, files)
    except BaseException:
        tmp.cleanup()
        raise


def _write_files(root: str, files: dict[str, str]) -> set[str]:
    """Write ``files`` (paths relative, "/"-separated, without "..": ``_safe_relative``) below ``root``;
    the folders made for them."""
    folders: set[str] = set()
    for path, text in files.items():
        folder = path.rpartition("/")[0]
        if folder and folder not in folders:
            os.makedirs(os.path.join(root, folder), exist_ok=True)
            folders.update(_parents(folder))
        _write(os.path.join(root, path), text.encode("utf-8"))
    return folders


def _not_copied(exc: Exception) -> LintResult:
    return LintResult(
        note=f"the files could not be copied for ruff ({type(exc).__name__}), so the lint checks cannot be judged"
    )


def _stop(proc: subprocess.Popen[str], tmp: tempfile.TemporaryDirectory[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    tmp.cleanup()


def lint(facts: Facts) -> LintResult:
    """ruff's diagnostics for every readable .py file (use through ``facts.derived(lint)``).

    When ruff gives no answer and some files have no syntax tree (Python cannot parse them, R101, or they
    are nested past the limit expcheck judges, R104; ruff's parser may overflow its stack on such a file),
    ruff runs once more over the other files, so that a file already reported does not leave the rest
    unjudged (the lint rules leave files without a tree to R101 and R104 in any case).
    """
    started = facts.derived(start_lint)
    result = _collect(started) if isinstance(started, _Started) else started
    if result.note is None or isinstance(started, LintResult):
        return result
    within = {p: text for p, text in started.files.items() if _has_tree(facts, p)}
    if len(within) == len(started.files):
        return result
    again = _launch(within)
    return _collect(again) if isinstance(again, _Started) else again


def _has_tree(facts: Facts, path: str) -> bool:
    module = facts.python.get(path)
    return module is None or module.tree is not None


def _collect(started: _Started) -> LintResult:
    """ruff's answer for a run ``_launch`` started, its copy removed; a LintResult with ``note`` when there
    is none."""
    try:
        stdout, stderr = started.proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _stop(started.proc, started.tmp)
        return LintResult(note=f"ruff gave no answer within {TIMEOUT_S:g} s, so the lint checks cannot be judged")
    root = Path(started.tmp.name)
    try:
        # With --exit-zero ruff exits 0 whatever it finds, and prints a JSON list even when it finds nothing:
        # another status (2 for its errors, 101 for a panic) or no list means it did not check the files.
        raw: object = None
        if started.proc.returncode == 0:
            with contextlib.suppress(json.JSONDecodeError):
                raw = json.loads(stdout)
        if not isinstance(raw, list):
            first = (stderr or stdout).strip().splitlines()[:1]
            return LintResult(
                note=f"ruff gave no diagnostics list (exit {started.proc.returncode}: {' '.join(first)}), "
                "so the lint checks cannot be judged"
            )
        return LintResult(diagnostics=_diagnostics(raw, root, started.files), ran=True)
    finally:
        started.remove()


def _clean_env() -> dict[str, str] | None:
    """The environment without ruff's own configuration variables; None (the child inherits the
    environment as it is) when there are none, which spares copying and re-encoding every variable for
    each run."""
    if not any(key.startswith(b"RUFF_") for key in os.environb):
        return None
    return {k: v for k, v in os.environ.items() if not k.startswith("RUFF_")}


def _diagnostics(raw: object, root: Path, files: dict[str, str]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    if not isinstance(raw, list):
        return found
    resolved_root: Path | None = None
    prefix = f"{root}/"
    for item in raw:
        if not isinstance(item, dict):
            continue
        try:
            filename = str(item["filename"])
            rel = filename[len(prefix) :]
            # ruff names a file below the folder it ran in; a plain relative rest of it is the path that
            # resolving would give (the folder holds no links: its files were written here). Otherwise resolve.
            if not filename.startswith(prefix) or posixpath.normpath(rel) != rel:
                if resolved_root is None:
                    resolved_root = root.resolve()
                rel = Path(filename).resolve().relative_to(resolved_root).as_posix()
            location, end = item["location"], item.get("end_location") or item["location"]
            diag = Diagnostic(
                path=rel,
                code=str(item.get("code") or "invalid-syntax"),
                line=int(location["row"]),
                column=int(location["column"]),
                end_line=int(end["row"]),
                end_column=int(end["column"]),
                message=str(item.get("message", "")),
            )
        except (KeyError, TypeError, ValueError):
            continue
        if diag.path in files:
            found.append(diag)
    found.sort(key=lambda d: (d.path, d.line, d.column, d.code))
    return found


def _char_column(line_text: str, byte_offset: int) -> int:
    """ast's UTF-8 byte offset as a 1-based character column (ruff's unit)."""
    return len(line_text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1


def _spans(
    module: PyModule, nodes: list[ast.expr] | list[ast.stmt | ast.expr]
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    spans = []
    for node in nodes:
        end_line = node.end_lineno or node.lineno
        start = (node.lineno, _char_column(module.file.line(node.lineno), node.col_offset))
        end = (end_line, _char_column(module.file.line(end_line), node.end_col_offset or 0))
        spans.append((start, end))
    return spans


def _annotation_nodes(tree: ast.Module) -> tuple[list[ast.expr], list[ast.expr]]:
    """(annotations Python evaluates when the def or assignment runs, annotations it never evaluates)."""
    postponed = any(
        isinstance(s, ast.ImportFrom) and s.module == "__future__" and any(a.name == "annotations" for a in s.names)
        for s in tree.body
    )
    evaluated: list[ast.expr] = []
    never: list[ast.expr] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                args = child.args
                every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
                found = [a.annotation for a in every if a is not None and a.annotation is not None]
                if child.returns is not None:
                    found.append(child.returns)
                (never if postponed else evaluated).extend(found)
                visit(child, True)
                continue
            if isinstance(child, ast.AnnAssign):
                (never if postponed or in_function else evaluated).append(child.annotation)
            visit(child, in_function)

    visit(tree, False)
    # A string annotation is never evaluated by the interpreter itself.
    strings = [n for a in evaluated for n in ast.walk(a) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return evaluated, never + strings


def in_unevaluated_annotation(module: PyModule, line: int, column: int) -> bool:
    """Whether (line, 1-based character column) lies in an annotation the interpreter never evaluates."""
    if module.tree is None:
        return False
    _, never = _annotation_nodes(module.tree)
    point = (line, column)
    return any(start <= point < end for start, end in _spans(module, never))


_SCOPE_TABLES = frozenset({"locals", "globals", "vars", "dir"})


def _looked_up(test: ast.expr, negated: bool) -> set[str]:
    """Names that ``test`` proves bound when it is true (``negated``: when it is false).

    ``"x" in locals()`` (or globals(), vars(), dir()) holds only when ``x`` is bound in that table,
    so a use of ``x`` it guards never raises NameError, and when nothing binds ``x`` it never runs.
    """
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _looked_up(test.operand, not negated)
    if isinstance(test, ast.BoolOp):
        # `a and b` true: both true; `a or b` false: both false. Otherwise nothing is proven.
        if isinstance(test.op, ast.Or if negated else ast.And):
            return set().union(*(_looked_up(v, negated) for v in test.values))
        return set()
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return set()
    wanted = ast.NotIn if negated else ast.In
    table = test.comparators[0]
    if (
        isinstance(test.ops[0], wanted)
        and isinstance(test.left, ast.Constant)
        and isinstance(test.left.value, str)
        and isinstance(table, ast.Call)
        and isinstance(table.func, ast.Name)
        and table.func.id in _SCOPE_TABLES
        and not table.args
    ):
        return {test.left.value}
    return set()


def _guarded_nodes(tree: ast.Module) -> list[tuple[str, ast.stmt | ast.expr]]:
    """(name, node) for code that runs only when ``name`` is bound (see ``_looked_up``)."""
    found: list[tuple[str, ast.stmt | ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If | ast.IfExp):
            body = node.body if isinstance(node.body, list) else [node.body]
            orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
            found += [(name, n) for name in _looked_up(node.test, False) for n in body]
            found += [(name, n) for name in _looked_up(node.test, True) for n in orelse]
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            for i, value in enumerate(node.values[:-1]):
                found += [(name, n) for name in _looked_up(value, False) for n in node.values[i + 1 :]]
    return found


def name_errors(facts: Facts) -> list[Diagnostic]:
    """ruff's undefined names (F821) and locals read before assignment (F823) where the lookup can
    really raise NameError / UnboundLocalError, in parsed files.

    Left out: names in annotations the interpreter never evaluates, and uses that run only once a
    ``"x" in locals()``-style test has found the name bound.
    """
    out: list[Diagnostic] = []
    guards: dict[str, list[tuple[str, tuple[tuple[int, int], tuple[int, int]]]]] = {}
    for diag in facts.derived(lint).by_code("F821", "F823"):
        module = facts.python.get(diag.path)
        if module is None or module.tree is None or in_unevaluated_annotation(module, diag.line, diag.column):
            continue
        if diag.path not in guards:
            pairs = _guarded_nodes(module.tree)
            spans = _spans(module, [n for _, n in pairs])
            guards[diag.path] = [(name, span) for (name, _), span in zip(pairs, spans, strict=True)]
        point = (diag.line, diag.column)
        if any(n == diag.subject and start <= point < end for n, (start, end) in guards[diag.path]):
            continue
        out.append(diag)
    return out


def verified_compile_error(module: PyModule) -> tuple[int, int, str] | None:
    """CPython's own compile-time SyntaxError for a file that parses: (line, column, message), or None.

    Compiling turns the tree into bytecode without running it; it is only asked when ruff has
    already reported a compile-time error, to keep Python's verdict the final word.
    """
    if module.tree is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are not the question here
            compile(module.tree, module.path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.offset or 1, exc.msg
    except (ValueError, RecursionError, MemoryError):
        return None
    return None
