"""Results the code makes up instead of measuring, found by following values inside each function.

Three shapes, each a flow from a source to a place where a result is reported:

- *synthesised counts*: a rate read from a summary or metrics dict (accuracy, exact match, F1, ...)
  multiplied into counts, which then fill a confusion matrix (``tp = round(total * acc)``,
  ``np.array([[tp, 0], [fn, 0]])``) — a matrix no prediction ever produced;
- *random stand-ins*: ``np.random`` / ``random`` / ``torch.rand*`` values drawn into a confusion
  matrix, a heatmap, or a logged metric;
- *constant stand-ins*: a metric written to W&B as a made-up literal (``summary["acc"] = 0.87``).

Flows are followed through assignments, arithmetic, ``int``/``round``/``float``, numpy/torch array
constructors and list repetition — not through calls into models or project functions, so a
random input fed to a model is not mistaken for a result.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from expcheck.facts import Facts
from expcheck.facts.astindex import (
    ModuleIndex,
    Outline,
    calls_on_lines,
    code_modules,
    index_of,
    statements_on_lines,
    template,
)
from expcheck.facts.outlines import outline_from_index
from expcheck.facts.python import walk
from expcheck.facts.sourcetext import source_text
from expcheck.submission import SourceFile

_RATE_KEY = re.compile(
    r"(?i)(?:^|[_/\-. ])(?:acc|accuracy|em|exact_?match|f1|precision|recall|auc|auroc|score|rate|top1|top5|"
    r"error_rate)(?:$|[_/\-. ])|accuracy|exact_match"
)
# Settings named like rates (learning rate, dropout rate, a score threshold): logged as literals, they are
# configuration, not results.
_SETTING = re.compile(
    r"(?i)(?:learning|lr|dropout|drop|decay|warmup|sampl\w*|mask\w*|noise|mix\w*|keep)[_\-. ]?rate|\w*threshold\w*"
)
_AGGREGATE_HOLDER = re.compile(r"(?i)summary|metric|result|agg|stat|score|perf")
_PASS_THROUGH = frozenset({"int", "float", "round", "abs", "max", "min", "sum", "list", "tuple", "len"})
_ARRAY_CTORS = ("numpy.array", "numpy.asarray", "numpy.matrix", "torch.tensor", "torch.as_tensor", "numpy.stack")
_RANDOM_PREFIXES = ("numpy.random.", "random.", "torch.rand", "torch.randn", "torch.randint", "torch.normal")
_RANDOM_NOT_VALUES = frozenset(
    {"seed", "manual_seed", "set_state", "get_state", "default_rng", "RandomState", "Generator"}
)
_MATRIX_SINKS = ("heatmap", "ConfusionMatrixDisplay", "plot_confusion_matrix", "imshow", "matshow", "confusion_matrix")
# The simple callee names ``_call_sink`` reports on.
_SINK_NAMES = frozenset({*_MATRIX_SINKS, "log"})
_MATRIX_NAME = re.compile(r"(?i)(?:^|_)(?:cm|conf|confusion|matrix|conf_mat|confmat)(?:_|$)|confusion")


@dataclass(frozen=True)
class Fabrication:
    path: str
    line: int
    column: int
    kind: str  # "synthesised", "random", "constant"
    message: str


def _is_rate_key(key: str) -> bool:
    """Whether a metric key names a rate (accuracy, F1, a score), settings named like rates aside."""
    return bool(_RATE_KEY.search(_SETTING.sub(" ", key)))


def _rate_read(node: ast.AST, index: Outline) -> str | None:
    """The key of a rate read from an aggregate (``summary.get("final_acc")``, ``metrics["f1"]``)."""
    key: str | None = None
    holder: ast.expr | None = None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        key, holder = template(node.args[0]), node.func.value
    elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        key, holder = template(node.slice), node.value
    if key is None or holder is None or not _is_rate_key(key):
        return None
    text = index.model.qualified_at(holder) or source_text(holder)
    return key if _AGGREGATE_HOLDER.search(text) else None


def _is_random_call(node: ast.AST, index: Outline) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = index.model.qualified_at(node.func)
    if not name.startswith(_RANDOM_PREFIXES):
        return False
    return name.rsplit(".", 1)[-1] not in _RANDOM_NOT_VALUES


class _Flow:
    """Taint of local names in one function: "rate" (read from an aggregate), "count" (rate turned
    into counts), "random" (drawn at random)."""

    def __init__(self, index: Outline) -> None:
        self.index = index
        self.taint: dict[str, tuple[str, int, str]] = {}  # name -> (kind, line, detail)

    def kinds(self, node: ast.AST) -> dict[str, tuple[int, str]]:
        """Taint kinds an expression carries, with the line and detail of their origin."""
        out: dict[str, tuple[int, str]] = {}
        self._visit(node, out, multiplied=False)
        return out

    def _visit(self, node: ast.AST, out: dict[str, tuple[int, str]], multiplied: bool) -> None:
        if isinstance(node, ast.Name):
            found = self.taint.get(node.id)
            if found is not None:
                kind, line, detail = found
                if kind == "rate" and multiplied:
                    out.setdefault("count", (line, detail))
                else:
                    out.setdefault(kind, (line, detail))
            return
        key = _rate_read(node, self.index)
        if key is not None:
            out.setdefault("count" if multiplied else "rate", (getattr(node, "lineno", 0), key))
            return
        if _is_random_call(node, self.index):
            out.setdefault("random", (getattr(node, "lineno", 0), self.index.model.qualified_at(node.func)))  # type: ignore[attr-defined]
            return
        if isinstance(node, ast.BinOp):
            mult = isinstance(node.op, ast.Mult)
            self._visit(node.left, out, multiplied or mult)
            self._visit(node.right, out, multiplied or mult)
            return
        if isinstance(node, ast.Call):
            name = self.index.model.qualified_at(node.func)
            simple = name.rsplit(".", 1)[-1]
            if (
                name in _PASS_THROUGH
                or name.startswith(("numpy.", "torch.", "math."))
                or simple
                in (
                    "astype",
                    "tolist",
                    "item",
                    "reshape",
                    "flatten",
                )
            ):
                for arg in node.args:
                    self._visit(arg, out, multiplied)
                if isinstance(node.func, ast.Attribute) and simple in (
                    "astype",
                    "tolist",
                    "item",
                    "reshape",
                    "flatten",
                ):
                    self._visit(node.func.value, out, multiplied)
            return
        if isinstance(node, ast.List | ast.Tuple):
            for elt in node.elts:
                self._visit(elt, out, multiplied)
            return
        if isinstance(node, ast.ListComp | ast.GeneratorExp):  # ``[int(n * acc) for _ in range(k)]``
            self._visit(node.elt, out, multiplied)
            return
        if isinstance(node, ast.UnaryOp):
            self._visit(node.operand, out, multiplied)
            return
        if isinstance(node, ast.IfExp):
            self._visit(node.body, out, multiplied)
            self._visit(node.orelse, out, multiplied)
            return
        if isinstance(node, ast.Subscript):
            self._visit(node.value, out, multiplied)

    def assign(self, targets: list[ast.expr], value: ast.expr) -> None:
        for target in targets:  # ``a, b = x, y`` pairs each name with its value
            if (
                isinstance(target, ast.Tuple | ast.List)
                and isinstance(value, ast.Tuple | ast.List)
                and len(target.elts) == len(value.elts)
                and not any(isinstance(e, ast.Starred) for e in target.elts)
            ):
                for t_elt, v_elt in zip(target.elts, value.elts, strict=True):
                    self.assign([t_elt], v_elt)
            elif isinstance(target, ast.Tuple | ast.List | ast.Starred):
                self.assign(list(_names_in(target)), value)
        found = self.kinds(value)
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        for name in names:
            if not found:
                self.taint.pop(name, None)
                continue
            kind = "count" if "count" in found else "random" if "random" in found else "rate"
            line, detail = found[kind]
            self.taint[name] = (kind, line, detail)


def _names_in(target: ast.expr) -> list[ast.Name]:
    """The names a tuple/starred target binds."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, ast.Starred):
        return _names_in(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return [name for elt in target.elts for name in _names_in(elt)]
    return []


def _statements(function: ast.AST) -> list[ast.stmt]:
    """The function's statements in source order (nested blocks flattened, nested functions skipped)."""
    out: list[ast.stmt] = []
    stack = list(reversed(getattr(function, "body", [])))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        out.append(stmt)
        children: list[ast.stmt] = []
        for field_name in ("body", "orelse", "finalbody"):
            children.extend(getattr(stmt, field_name, []) or [])
        for handler in getattr(stmt, "handlers", []):
            children.extend(handler.body)
        for case in getattr(stmt, "cases", []):
            children.extend(case.body)
        stack.extend(reversed(children))
    return out


def _matrix_literal(node: ast.expr, index: Outline) -> ast.expr | None:
    """The nested list of a matrix built literally: ``[[a, b], [c, d]]`` or ``np.array([[...]])``."""
    if isinstance(node, ast.Call) and index.model.qualified_at(node.func).startswith(_ARRAY_CTORS) and node.args:
        node = node.args[0]
    if (
        isinstance(node, ast.List | ast.Tuple)
        and node.elts
        and all(isinstance(e, ast.List | ast.Tuple | ast.ListComp) for e in node.elts)
    ):
        return node
    return None


def _sink_lines(index: ModuleIndex, text: str) -> list[int]:
    """The lines, sorted, of every node of the module ``_scan_function`` acts on when it walks an expression:
    calls that may be sinks (their callee named like one, directly or through an import alias) and walrus
    assignments. Read from the index's calls and the model's bindings, and the f-string format specs
    the index's walk does not enter."""
    aliases = {
        name
        for scope in index.model.scopes
        for name, target in scope.imports.items()
        if target.rpartition(".")[2] in _SINK_NAMES
    }
    lines: set[int] = set()
    for call in index.calls:
        func = call.node.func
        kind = type(func)
        if (kind is ast.Attribute and func.attr in _SINK_NAMES) or (  # type: ignore[attr-defined]
            kind is ast.Name and (func.id in _SINK_NAMES or func.id in aliases)  # type: ignore[attr-defined]
        ):
            lines.add(call.node.lineno)
    if ":=" in text:
        for scope in index.model.scopes:
            for nodes in scope.bindings.values():
                lines.update(node.lineno for node in nodes if type(node) is ast.NamedExpr)  # type: ignore[attr-defined]
    for node, _fn in index.strings:
        if type(node) is ast.JoinedStr:
            for part in node.values:  # type: ignore[attr-defined]
                if type(part) is ast.FormattedValue and part.format_spec is not None:
                    lines.update(n.lineno for n in walk(part.format_spec) if isinstance(n, ast.Call | ast.NamedExpr))  # type: ignore[attr-defined]
    return sorted(lines)


def _holds_line(lines: list[int], node: ast.AST) -> bool:
    """Whether one of ``lines`` (sorted) falls within ``node``'s lines."""
    start = node.lineno  # type: ignore[attr-defined]
    at = bisect.bisect_left(lines, start)
    return at < len(lines) and lines[at] <= (node.end_lineno or start)  # type: ignore[attr-defined]


def _scan_function(path: str, index: Outline, function: ast.AST, sinks: list[int]) -> list[Fabrication]:
    """The fabrications of one function (or of the module's own statements); ``sinks`` are ``_sink_lines``:
    an expression holding none of them holds nothing to act on and is not walked."""
    flow = _Flow(index)
    found: list[Fabrication] = []
    for stmt in _statements(function):
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            matrix = _matrix_literal(stmt.value, index)
            if matrix is not None:
                kinds = flow.kinds(matrix)
                named = any(isinstance(t, ast.Name) and _MATRIX_NAME.search(t.id) for t in targets)
                if "count" in kinds and named:
                    line, key = kinds["count"]
                    found.append(
                        Fabrication(
                            path,
                            stmt.lineno,
                            stmt.col_offset + 1,
                            "synthesised",
                            f"confusion matrix built from counts computed out of the aggregate metric {key!r} "
                            f"(line {line}), not from predictions",
                        )
                    )
                    flow.assign(targets, stmt.value)
                    for target in targets:  # reported here; its later uses are not reported again
                        if isinstance(target, ast.Name):
                            flow.taint[target.id] = ("reported", stmt.lineno, "")
                    continue
            flow.assign(targets, stmt.value)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):  # ``tp += n * acc``
            current = ast.Name(id=stmt.target.id, ctx=ast.Load())
            flow.assign([stmt.target], ast.BinOp(left=current, op=stmt.op, right=stmt.value))
        for part in _own_expressions(stmt):
            if not _holds_line(sinks, part):
                continue
            for node in walk(part):
                if isinstance(node, ast.NamedExpr):
                    flow.assign([node.target], node.value)
                elif isinstance(node, ast.Call):
                    found.extend(_call_sink(path, index, flow, node))
    return found


def _own_expressions(stmt: ast.stmt) -> list[ast.AST]:
    """The expressions a statement evaluates itself (a compound statement's blocks are statements of their own)."""
    if isinstance(stmt, ast.If | ast.While):
        return [stmt.test]
    if isinstance(stmt, ast.For | ast.AsyncFor):
        return [stmt.iter]
    if isinstance(stmt, ast.With | ast.AsyncWith):
        return [item.context_expr for item in stmt.items]
    if isinstance(stmt, ast.Match):
        return [stmt.subject]
    if isinstance(stmt, ast.Try | ast.TryStar):
        return []
    return [stmt]


def _call_sink(path: str, index: Outline, flow: _Flow, call: ast.Call) -> list[Fabrication]:
    name = index.model.qualified_at(call.func)
    simple = name.rsplit(".", 1)[-1] if name else ""
    out: list[Fabrication] = []
    if simple in _MATRIX_SINKS:
        for arg in call.args[:2]:
            kinds = flow.kinds(arg)
            if "random" in kinds:
                line, source = kinds["random"]
                out.append(
                    Fabrication(
                        path,
                        call.lineno,
                        call.col_offset + 1,
                        "random",
                        f"{simple}() is given values drawn by {source} (line {line}) instead of model outputs",
                    )
                )
                break
            if "count" in kinds and simple in ("confusion_matrix", "heatmap", "ConfusionMatrixDisplay"):
                line, key = kinds["count"]
                out.append(
                    Fabrication(
                        path,
                        call.lineno,
                        call.col_offset + 1,
                        "synthesised",
                        f"{simple}() is given counts computed out of the aggregate metric {key!r} (line {line}), "
                        "not predictions",
                    )
                )
                break
    if simple == "log" and (name.startswith("wandb.") or "run" in name.lower()) and call.args:
        payload = call.args[0]
        if isinstance(payload, ast.Dict):
            for key_node, value in zip(payload.keys, payload.values, strict=True):
                key = template(key_node) if key_node is not None else None
                if key is None or not _is_rate_key(key):
                    continue
                out.extend(_value_sink(path, index, flow, key, value))
    return out


def _value_sink(path: str, index: Outline, flow: _Flow, key: str, value: ast.expr) -> list[Fabrication]:
    if (
        isinstance(value, ast.Constant)
        and isinstance(value.value, float)
        and value.value not in (0.0, 1.0, 100.0, -1.0)
    ):
        return [
            Fabrication(
                path,
                value.lineno,
                value.col_offset + 1,
                "constant",
                f"metric {key!r} is reported as the constant {value.value!r}, not a measured value",
            )
        ]
    if any(_is_random_call(n, index) for n in ast.walk(value)):
        return [
            Fabrication(
                path,
                value.lineno,
                value.col_offset + 1,
                "random",
                f"metric {key!r} is reported as a random number, not a measured value",
            )
        ]
    return []


def _summary_constants(path: str, index: Outline, statements: list[ast.stmt]) -> list[Fabrication]:
    """``X.summary["acc"] = 0.87``: a rate written to the W&B summary as a literal."""
    out = []
    for stmt in statements:
        if not isinstance(stmt, ast.Assign):
            continue
        for target in stmt.targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute):
                key = template(target.slice)
                if target.value.attr == "summary" and key is not None and _is_rate_key(key):
                    out.extend(_value_sink(path, index, _Flow(index), key, stmt.value))
    return out


_MATRIX_WORDS = ("confusion", "heatmap", "imshow", "matshow", "ConfusionMatrix", "conf_mat", "confmat")
# A literal key that looks like a rate, read with .get("...") or ["..."]: the source of synthesised counts.
_RATE_READ_HINT = re.compile(
    r"""(?:get\(|\[)\s*f?['"][^'"\n]*(?:acc|_em\b|em['"]|f1|prec|recall|auc|score|rate|top)""", re.I
)
# A float literal as Python writes it: 0.5, .5, 5., 5e-1 (``\.\d|\d\.|\d[eE][-+]?\d``, written to start with one
# character class, which lets the regex engine skip quickly to the places a match can start).
_FLOAT_LITERAL = re.compile(r"[.\d](?:(?<=\.)\d|(?<=\d)\.|(?<=\d)[eE][-+]?\d)")
# ``.log(``, spaces allowed (``wandb.log (``), and ``summary[``.
_LOG_CALL = re.compile(r"\.\s*log\s*\(")
_SUMMARY_ITEM = re.compile(r"summary\s*\[")
# The same, within one line.
_LOG_CALL_IN_LINE = re.compile(r"\.[^\S\n]*log[^\S\n]*\(")
_SUMMARY_ITEM_IN_LINE = re.compile(r"summary[^\S\n]*\[")
# How far below a ``.log(`` line a made-up value is looked for, at least.
_PAYLOAD_LINES = 8


def _suspicious(text: str) -> bool:
    """A logged payload that may hold a made-up value: a random draw or a decimal literal."""
    return "rand" in text or bool(_FLOAT_LITERAL.search(text))


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _has_word(text: str, word: str) -> bool:
    """``re.search(rf"\\b{word}\\b", text)`` for a ``word`` of word characters, by substring search."""
    size = len(word)
    at = text.find(word)
    while at >= 0:
        end = at + size
        if (at == 0 or not _is_word_char(text[at - 1])) and (end == len(text) or not _is_word_char(text[end])):
            return True
        at = text.find(word, at + 1)
    return False


def _matrix_hint(text: str) -> bool:
    return any(word in text for word in _MATRIX_WORDS) or _has_word(text, "cm")


def _lines_matching(
    text: str, lines: Sequence[str], hint: str, line_pattern: re.Pattern[str], text_pattern: re.Pattern[str]
) -> list[int]:
    """The numbers, in order, of the lines that hold ``hint`` and a match of ``line_pattern``.

    ``text_pattern`` is ``line_pattern`` unable to cross a line break (``[^\\S\\n]`` for ``\\s``): searched in the
    whole text, each of its matches lies in one line, and a line holds one exactly when it holds a match of
    ``line_pattern``; counting the ``\\n`` before each match numbers the lines as ``lines`` does when the text
    has no ``\\r`` (which also ends a line). One regex search instead of a test of every line.
    """
    if "\r" in text:
        return [n for n, line in enumerate(lines, start=1) if hint in line and line_pattern.search(line)]
    found: list[int] = []
    number, counted = 1, 0
    for match in text_pattern.finditer(text):
        at = match.start()
        number += text.count("\n", counted, at)
        counted = at
        if not found or found[-1] != number:
            found.append(number)
    return found


def _log_lines(text: str, lines: Sequence[str]) -> set[int]:
    """Lines starting a ``.log(`` call followed by a value that may be made up, before the next such call
    or within eight lines (however far down a long payload the value stands)."""
    if "log" not in text:
        return set()
    starts = _lines_matching(text, lines, "log", _LOG_CALL, _LOG_CALL_IN_LINE)
    if not starts:
        return set()
    out = set()
    judged: dict[int, bool] = {}  # line number -> suspicious: the windows of two starts may overlap
    last = len(lines)
    for i, start in enumerate(starts):
        end = min(max(starts[i + 1] if i + 1 < len(starts) else last + 1, start + _PAYLOAD_LINES), last + 1)
        for number in range(start, end):
            found = judged.get(number)
            if found is None:
                found = judged[number] = _suspicious(lines[number - 1])
            if found:
                out.add(start)
                break
    return out


def _summary_lines(text: str, lines: Sequence[str]) -> set[int]:
    """Lines writing an item of a summary (``summary[``), when the text holds a float literal at all."""
    if "summary" not in text:
        return set()
    found = _lines_matching(text, lines, "summary", _SUMMARY_ITEM, _SUMMARY_ITEM_IN_LINE)
    return set(found) if found and _FLOAT_LITERAL.search(text) else set()


def _matrix_hint_lines(text: str) -> list[int] | None:
    """The numbers, sorted, of the lines holding a word of ``_matrix_hint`` (``cm`` as a part of a word too):
    a superset of the lines ``_matrix_hint`` holds for, and ``_matrix_hint`` holds for a function's lines
    only if one of them does (no word of it spans a line break). None when the text holds ``\\r``, where
    counting ``\\n`` would not number the lines as the parser does."""
    if "\r" in text:
        return None
    places: list[int] = []
    for word in (*_MATRIX_WORDS, "cm"):
        at = text.find(word)
        while at != -1:
            places.append(at)
            at = text.find(word, at + 1)
    places.sort()
    found: list[int] = []
    number, counted = 1, 0
    for at in places:
        number += text.count("\n", counted, at)
        counted = at
        if not found or found[-1] != number:
            found.append(number)
    return found


class _FileLines(Sequence[str]):
    """A file's lines, split only when first read: most modules are judged from their text alone, and
    those of no other fact's interest are then never split at all."""

    __slots__ = ("_file",)

    def __init__(self, file: SourceFile) -> None:
        self._file = file

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._file.lines[index]

    def __len__(self) -> int:
        return len(self._file.lines)

    def __iter__(self) -> Iterator[str]:
        return iter(self._file.lines)


def fabrications(facts: Facts) -> list[Fabrication]:
    found: list[Fabrication] = []
    for path in code_modules(facts):
        file = facts.files[path]
        text = file.text
        matrix = _matrix_hint(text)
        lines = _FileLines(file)
        log_lines = _log_lines(text, lines)
        summary_lines = _summary_lines(text, lines)
        if not (matrix or log_lines or summary_lines):
            continue
        index = outline_from_index(facts, path)
        if index is None:
            continue
        if matrix:
            sinks: list[int] | None = None
            if "rand" in text or _RATE_READ_HINT.search(text):  # the module's own statements
                sinks = _sink_lines(index_of(facts, path), text)  # type: ignore[arg-type]
                found.extend(_scan_function(path, index, index.tree, sinks))
            hinted = _matrix_hint_lines(text)
            for _qual, function in index.functions:
                if hinted is not None and not _holds_line(hinted, function):
                    continue  # no line of the function names a matrix
                segment = "\n".join(file.lines[function.lineno - 1 : function.end_lineno or function.lineno])
                if _matrix_hint(segment) and ("rand" in segment or _RATE_READ_HINT.search(segment)):
                    if sinks is None:
                        sinks = _sink_lines(index_of(facts, path), text)  # type: ignore[arg-type]
                    found.extend(_scan_function(path, index, function, sinks))
        flow = _Flow(index)
        for call in calls_on_lines(index, log_lines):
            found.extend(_call_sink(path, index, flow, call.node))
        if summary_lines:
            found.extend(_summary_constants(path, index, statements_on_lines(index, summary_lines)))
    unique = {(f.path, f.line, f.kind): f for f in found}
    return sorted(unique.values(), key=lambda f: (f.path, f.line, f.column))


def fabrications_of(facts: Facts) -> list[Fabrication]:
    return facts.derived(fabrications)
