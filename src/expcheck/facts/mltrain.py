"""The training loops of a project as the code writes them: backward, optimiser steps, zero_grad, modes, losses.

Read from the shared module index (``facts/astindex.py``): every call with its enclosing function
and whether it sits in a loop. This module adds, for hand-written PyTorch training:

- ``steps``: per function, the ``loss.backward()``, ``optimizer.step()`` (also ``scaler.step(opt)``)
  and ``zero_grad()`` calls, with the loop statement that holds them and their position in it;
- ``modes``: every ``x.eval()`` / ``x.train()`` / ``x.train(False)`` call on a model (receivers
  named like a trainer are not models: ``trainer.train()`` trains);
- ``loss_inputs``: the first argument of every cross-entropy / NLL loss call, with what produced it
  when it is a softmax (directly, or through one local assignment);
- ``accumulation``: optimiser steps gated by ``if ... % k == 0``, the backward() they accumulate, and
  whether the function divides anything by ``k``.

Nothing is imported or executed.
"""

from __future__ import annotations

import ast
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, ModuleIndex, indexes
from expcheck.facts.sourcetext import source_text
from expcheck.facts.splits import words

_CE_FUNCS = frozenset({"torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss"})
_CE_CLASSES = frozenset({"torch.nn.CrossEntropyLoss", "torch.nn.NLLLoss"})
_SOFTMAX = frozenset({"softmax"})
_OPT_WORDS = frozenset({"optimizer", "optimiser", "optim", "opt"})
_TRAINER_WORDS = frozenset({"trainer", "self", "pipeline", "pipe", "loop", "runner", "experiment", "learner"})


@dataclass(frozen=True)
class LoopCall:
    """A call inside the body of a for/while loop of its function."""

    call: CallSite
    loop: ast.For | ast.AsyncFor | ast.While  # the innermost loop
    # Index of the loop-body statement holding the call, and whether that statement is the call
    # itself (``x.step()`` as a plain statement, not under an ``if`` or ``with``).
    position: int
    plain: bool

    @property
    def receiver(self) -> str:
        """Source of the object the method is called on (``optimizer`` in ``optimizer.step()``)."""
        func = self.call.node.func
        return source_text(func.value) if isinstance(func, ast.Attribute) else ""


@dataclass
class FunctionSteps:
    path: str
    function: str
    backward: list[LoopCall] = field(default_factory=list)
    step: list[LoopCall] = field(default_factory=list)
    zero_grad: list[CallSite] = field(default_factory=list)
    zero_grad_in_loop: list[LoopCall] = field(default_factory=list)


@dataclass(frozen=True)
class ModeCall:
    path: str
    call: CallSite
    mode: str  # "eval" or "train"


@dataclass(frozen=True)
class LossInput:
    """A loss call whose input is a softmax output."""

    path: str
    call: CallSite
    loss: str  # "cross_entropy" or "nll_loss"
    producer: ast.Call  # the softmax call
    log: bool  # log_softmax


@dataclass(frozen=True)
class Accumulation:
    """An optimiser step under ``if ... % k == 0`` and whether the function divides by ``k``."""

    path: str
    step: CallSite
    divisor: str  # source of k
    divided: bool
    # The backward() whose gradients the step sums: the last one before the step in its loop (the
    # function's first otherwise). An undivided loss is accumulated there.
    backward: CallSite


@dataclass
class TrainingFacts:
    functions: list[FunctionSteps]
    modes: list[ModeCall]
    softmax_losses: list[LossInput]
    accumulation: list[Accumulation]
    # Modules (paths) that call zero_grad anywhere.
    zero_grad_modules: set[str]
    # Some code file mentions zero_grad, ``.grad = None`` or ``zero_()``: gradients are reset somehow.
    grads_reset_by_text: bool = False
    # ``with torch.no_grad()`` / ``torch.inference_mode()`` blocks: (path, line, column).
    no_grad: list[tuple[str, int, int]] = field(default_factory=list)
    # ``x.backward()`` where every value of ``x`` is a plain number or detached (``.item()``, ``.detach()``).
    detached_backward: list[tuple[str, CallSite, str]] = field(default_factory=list)
    # Functions (path, qualname) whose loop holds a backward and whose own loop or a callee's sets eval mode:
    # (path, the call inside the training loop that switches to eval mode, directly or through a function).
    eval_in_training_loop: list[tuple[str, CallSite]] = field(default_factory=list)
    # Calls that build a layer whose behaviour differs between train and eval mode (dropout,
    # batch norm) or a pretrained network (which holds them): (path, dotted name).
    mode_dependent_layers: list[tuple[str, str]] = field(default_factory=list)

    def own_training(self) -> bool:
        """Whether the project writes its own backward-and-step loop."""
        return any(f.backward and f.step for f in self.functions) or any(f.backward for f in self.functions)


def _receiver(call: CallSite) -> ast.expr | None:
    func = call.node.func
    return func.value if isinstance(func, ast.Attribute) else None


def _receiver_words(call: CallSite) -> list[str]:
    receiver = _receiver(call)
    if isinstance(receiver, ast.Name):
        return words(receiver.id)
    if isinstance(receiver, ast.Attribute):
        return words(receiver.attr)
    return []


def _is_optimizer_step(call: CallSite, index: ModuleIndex) -> bool:
    if call.attr != "step" or not isinstance(call.node.func, ast.Attribute):
        return False
    said = set(_receiver_words(call))
    if said & _OPT_WORDS and not {"scheduler", "sched", "lr"} & said:
        return not call.node.args
    if "scaler" in said and call.node.args:  # torch.cuda.amp.GradScaler.step(optimizer)
        return bool({w for a in call.node.args if isinstance(a, ast.Name) for w in words(a.id)} & _OPT_WORDS)
    receiver = _receiver(call)
    if isinstance(receiver, ast.Name):
        values = index.scope(call.function).assigns.get(receiver.id, [])
        return bool(values) and all(
            isinstance(v, ast.Call) and index.qualified(v.func, call.function).startswith("torch.optim.") for v in values
        )
    return False


_Loop = ast.For | ast.AsyncFor | ast.While
_Block = ast.For | ast.AsyncFor | ast.While | ast.If


class Holders:
    """Statements with a body (loops, ifs) of one module, to find the ones whose body holds a line.

    The bodies' line spans nest (two spans are disjoint or one holds the other), so the spans that
    hold a line are the innermost one starting at or before it and that one's enclosing spans: a
    binary search and a walk up at most the nesting depth, instead of a scan of every statement
    before the line (which made a module with thousands of loops quadratic).
    """

    def __init__(self, nodes: Sequence[_Block]) -> None:
        spans = [(node.body[0].lineno, _span(node.body[-1])[1], i, node) for i, node in enumerate(nodes)]
        # Pre-order of the nesting: by start, the longer (enclosing) span first, then source order.
        spans.sort(key=lambda s: (s[0], -s[1], s[2]))
        self._starts = [start for start, _, _, _ in spans]
        self._ends = [end for _, end, _, _ in spans]
        self._nodes = [node for _, _, _, node in spans]
        self._parent: list[int] = []
        self._body_ends: dict[int, list[int]] = {}
        open_: list[int] = []
        for i, (start, _, _, _) in enumerate(spans):
            while open_ and self._ends[open_[-1]] < start:
                open_.pop()
            self._parent.append(open_[-1] if open_ else -1)
            open_.append(i)

    def holding(self, line: int) -> list[_Block]:
        """The statements whose body holds ``line``, outermost first."""
        i = bisect_right(self._starts, line) - 1
        while i >= 0 and self._ends[i] < line:
            i = self._parent[i]
        found: list[_Block] = []
        while i >= 0:
            found.append(self._nodes[i])
            i = self._parent[i]
        found.reverse()
        return found

    def body_position(self, node: _Block, line: int) -> int | None:
        """Index of the statement of ``node``'s body that holds ``line``, if one does."""
        ends = self._body_ends.get(id(node))
        if ends is None:
            ends = self._body_ends[id(node)] = [_span(stmt)[1] for stmt in node.body]
        # Body statements follow each other, so their last lines never decrease: the first whose
        # last line reaches ``line`` is the one holding it, if it starts at or before it.
        i = bisect_left(ends, line)
        return i if i < len(node.body) and node.body[i].lineno <= line else None


@dataclass
class _Statements:
    """Loops and ifs of one module, from the shared statement list (no expression walk)."""

    loops: Holders
    ifs: Holders
    assigns: list[ast.Assign]


def _statements(statements: list[ast.stmt]) -> _Statements:
    loops = Holders([s for s in statements if isinstance(s, _Loop)])
    ifs = Holders([s for s in statements if isinstance(s, ast.If)])
    assigns = [s for s in statements if isinstance(s, ast.Assign)]
    return _Statements(loops, ifs, assigns)


def _span(node: ast.AST) -> tuple[int, int]:
    start = getattr(node, "lineno", 1)
    return start, getattr(node, "end_lineno", None) or start


def _within(call: CallSite, index: ModuleIndex) -> tuple[int, int]:
    scope = index.scopes.get(call.function)
    return _span(scope.node) if scope is not None and call.function else (1, 10**9)


def loops_around(call: CallSite, index: ModuleIndex, loops: Holders) -> list[_Loop]:
    """The loops of the call's own function whose body holds the call, outermost first."""
    first, last = _within(call, index)
    return [loop for loop in loops.holding(call.line) if first <= loop.lineno <= last]  # type: ignore[misc]


def _loop_position(call: CallSite, index: ModuleIndex, loops: Holders) -> tuple[_Loop, int, bool] | None:
    """(innermost loop, index of the body statement holding the call, that statement is the call)."""
    around = loops_around(call, index, loops)
    if not around:
        return None
    loop = around[-1]
    i = loops.body_position(loop, call.line)
    if i is None:
        return None
    stmt = loop.body[i]
    return loop, i, isinstance(stmt, ast.Expr) and stmt.value is call.node


def _softmax_producer(node: ast.expr, call: CallSite, index: ModuleIndex) -> ast.Call | None:
    """The softmax call ``node`` is (``F.softmax(x)``, ``x.softmax(-1)``), or one local name is assigned from."""
    if isinstance(node, ast.Name):
        values = index.scope(call.function).assigns.get(node.id, [])
        if len(values) != 1:
            return None
        node = values[0]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        if name in _SOFTMAX or name == "log_softmax":
            return node
    return None


def _loss_kind(call: CallSite, index: ModuleIndex, ce_names: dict[str, str]) -> str | None:
    if call.name in _CE_FUNCS:
        return call.name.rsplit(".", 1)[1]
    func = call.node.func
    if isinstance(func, ast.Call):  # nn.CrossEntropyLoss()(logits, y)
        made = index.qualified(func.func, call.function)
        return (
            "cross_entropy" if made.endswith("CrossEntropyLoss") else "nll_loss" if made.endswith("NLLLoss") else None
        )
    if isinstance(func, ast.Name):
        values = index.scope(call.function).assigns.get(func.id) or index.scopes[""].assigns.get(func.id, [])
        kinds = {_ctor_kind(v, index) for v in values}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
        return ce_names.get(func.attr)
    return None


def _ctor_kind(value: ast.expr, index: ModuleIndex) -> str | None:
    if not isinstance(value, ast.Call):
        return None
    made = index.model.qualified_at(value.func)
    if (
        made in _CE_CLASSES
        or made.endswith((".CrossEntropyLoss", ".NLLLoss"))
        or made in ("CrossEntropyLoss", "NLLLoss")
    ):
        return "cross_entropy" if made.endswith("CrossEntropyLoss") else "nll_loss"
    return None


def _self_losses(index: ModuleIndex, assigns: list[ast.Assign]) -> dict[str, str]:
    """``self.<attr>`` names assigned a CE/NLL loss object anywhere in the module, when assigned once."""
    found: dict[str, set[str | None]] = {}
    for node in assigns:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                found.setdefault(target.attr, set()).add(_ctor_kind(node.value, index))
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1 and None not in v}  # type: ignore[misc]


def _mod_divisor(test: ast.expr) -> ast.expr | None:
    for node in ast.walk(test):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return node.right
    return None


def _gating_if(call: CallSite, index: ModuleIndex, ifs: Holders) -> ast.If | None:
    """The innermost ``if`` statement of the call's function whose body (not else) holds the call."""
    first, last = _within(call, index)
    inside = [node for node in ifs.holding(call.line) if first <= node.lineno <= last]
    return inside[-1] if inside else None  # type: ignore[return-value]


def _same_setting(node: ast.expr, divisor: str) -> bool:
    """``node`` is the divisor, or names the same setting (``accum`` vs ``self.accum``, ``cfg.accum``)."""
    text = source_text(node)
    if text == divisor or text.rsplit(".", 1)[-1] == divisor.rsplit(".", 1)[-1]:
        return True
    return "accum" in text.lower()


def _divides_by(function_node: ast.AST, divisor: str) -> bool:
    for node in ast.walk(function_node):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _same_setting(node.right, divisor):
            return True
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div) and _same_setting(node.value, divisor):
            return True
    return False


_STEP_ATTRS = frozenset({"backward", "step", "zero_grad"})
_MODE_ATTRS = frozenset({"eval", "train"})
_NO_GRAD = frozenset({"torch.no_grad", "torch.inference_mode"})
_MODE_LAYERS = ("Dropout", "BatchNorm", "AlphaDropout", "SyncBatchNorm", "InstanceNorm")
_PRETRAINED = frozenset({"from_pretrained", "create_model", "dropout"})
_DETACHING = frozenset({"item", "detach", "numpy", "tolist", "float"})
_LAYER_HINTS = ("Dropout", "dropout", "BatchNorm", "InstanceNorm", "from_pretrained", "create_model", "torchvision")


def _mode_dependent(call: CallSite) -> bool:
    """A call building a dropout/batch-norm layer or a pretrained network."""
    attr, name = call.attr, call.name
    if attr.startswith(_MODE_LAYERS):
        return name.startswith("torch.nn.")
    if attr in _PRETRAINED:
        return attr == "from_pretrained" or name in ("timm.create_model", "torch.nn.functional.dropout")
    return name.startswith("torchvision.models.")


def _detached(call: CallSite, index: ModuleIndex) -> str | None:
    """How the receiver of ``x.backward()`` was taken out of the graph, when every value of it was."""
    receiver = call.node.func.value  # type: ignore[attr-defined]
    values = [receiver]
    if isinstance(receiver, ast.Name):
        values = index.scope(call.function).assigns.get(receiver.id, [])
    ends = {_last_call(v) for v in values}
    return "/".join(sorted(ends)) if values and ends <= _DETACHING else None  # type: ignore[arg-type]


def _layer_hinted(answer: list[bool], text: str) -> bool:
    """Whether ``text`` holds one of ``_LAYER_HINTS``, worked out on the first question into ``answer``."""
    if not answer:
        answer.append(any(word in text for word in _LAYER_HINTS))
    return answer[0]


def _module_facts(path: str, index: ModuleIndex, text: str, statements: list[ast.stmt], out: TrainingFacts) -> None:
    softmax_seen = "softmax" in text
    # Whether the text names a mode-dependent layer at all: looked for (seven scans of the text) only once a
    # call that builds one is met, which most modules never meet.
    layers_seen: list[bool] = []
    shapes: list[_Statements] = []

    def shape() -> _Statements:
        if not shapes:
            shapes.append(_statements(statements))
        return shapes[0]

    by_function: dict[str, FunctionSteps] = {}
    ce_self: dict[str, str] | None = None
    for call in index.calls:
        attr = call.attr
        if attr in _STEP_ATTRS:
            if not isinstance(call.node.func, ast.Attribute):
                continue
            steps = by_function.get(call.function)
            if steps is None:
                steps = by_function[call.function] = FunctionSteps(path, call.function)
            if attr == "zero_grad":
                steps.zero_grad.append(call)
                out.zero_grad_modules.add(path)
                where = _loop_position(call, index, shape().loops) if call.in_loop else None
                if where is not None:
                    steps.zero_grad_in_loop.append(LoopCall(call, *where))
                continue
            if attr == "backward":
                how = _detached(call, index)
                if how is not None:
                    out.detached_backward.append((path, call, how))
            elif not _is_optimizer_step(call, index):
                continue
            where = _loop_position(call, index, shape().loops) if call.in_loop else None
            if where is not None:
                (steps.backward if attr == "backward" else steps.step).append(LoopCall(call, *where))
        elif attr in _MODE_ATTRS:
            if not isinstance(call.node.func, ast.Attribute):
                continue
            said = set(_receiver_words(call))
            if said & _TRAINER_WORDS or call.node.keywords or len(call.node.args) > 1:
                continue
            mode = attr
            if attr == "train" and call.node.args:
                arg = call.node.args[0]
                if not isinstance(arg, ast.Constant) or not isinstance(arg.value, bool):
                    continue
                mode = "train" if arg.value else "eval"
            elif attr == "eval" and call.node.args:
                continue
            out.modes.append(ModeCall(path, call, mode))
        elif call.name in _NO_GRAD:
            out.no_grad.append((path, call.line, call.column))
        elif _mode_dependent(call) and _layer_hinted(layers_seen, text):
            out.mode_dependent_layers.append((path, call.name))
        elif softmax_seen and call.node.args:
            # The softmax first: most calls are given none, and the loss kind reads more.
            producer = _softmax_producer(call.node.args[0], call, index)
            if producer is None:
                continue
            if ce_self is None:
                ce_self = _self_losses(index, shape().assigns)
            kind = _loss_kind(call, index, ce_self)
            if kind is not None:
                name = producer.func.attr if isinstance(producer.func, ast.Attribute) else producer.func.id  # type: ignore[attr-defined]
                out.softmax_losses.append(LossInput(path, call, kind, producer, name == "log_softmax"))
    for steps in by_function.values():
        out.functions.append(steps)
        scope = index.scopes.get(steps.function)
        if scope is None or not steps.backward:
            continue
        for step in steps.step:
            gate = _gating_if(step.call, index, shape().ifs)
            divisor = _mod_divisor(gate.test) if gate is not None else None
            if divisor is None or isinstance(divisor, ast.Constant):
                continue
            text = source_text(divisor)
            before = [b.call for b in steps.backward if b.loop is step.loop and b.call.line <= step.call.line]
            backward = before[-1] if before else steps.backward[0].call
            out.accumulation.append(Accumulation(path, step.call, text, _divides_by(scope.node, text), backward))


def training_facts(facts: Facts) -> TrainingFacts:
    """The training-loop facts of every parsed code module (use through ``facts.derived``)."""
    out = TrainingFacts([], [], [], [], set())
    every = facts.derived(indexes)
    out.grads_reset_by_text = any(
        "zero_grad" in f.text or "zero_()" in f.text or ".grad = None" in f.text or ".grad=None" in f.text
        for f in facts.code_files.values()
        if f.path.endswith(".py")
    )
    for path, index in every.items():
        _module_facts(path, index, facts.files[path].text, facts.python[path].statements, out)
    _eval_in_training_loops(every, {p: facts.python[p].statements for p in every}, out)
    return out


def _last_call(node: ast.expr) -> str | None:
    """The detaching step that produced ``node``: ``.item()``, ``.detach()``, ``.numpy()``, ``.tolist()``
    or the builtin ``float(x)``; a tensor method ``x.float()`` keeps the graph and is not one."""
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            return node.func.attr if node.func.attr != "float" else "float()"
        if isinstance(node.func, ast.Name) and node.func.id == "float":
            return "float"
    return None


def _eval_in_training_loops(
    every: dict[str, ModuleIndex], statements_of: dict[str, list[ast.stmt]], out: TrainingFacts
) -> None:
    """Loops that train (a backward, directly or in a called function) and switch to eval mode."""
    if not any(m.mode == "eval" for m in out.modes) or any(m.mode == "train" for m in out.modes):
        return
    trains = {f.function.rsplit(".", 1)[-1] for f in out.functions if f.backward}
    evals = {m.call.function.rsplit(".", 1)[-1] for m in out.modes if m.mode == "eval" and m.call.function}
    mode_calls = {id(m.call.node) for m in out.modes if m.mode == "eval"}
    for path, index in every.items():
        loops: dict[int, list[CallSite]] = {}
        module_loops = _statements(statements_of[path]).loops
        for call in index.calls:
            if call.in_loop:
                for loop in loops_around(call, index, module_loops):
                    loops.setdefault(id(loop), []).append(call)
        for calls in loops.values():
            trained = any(c.attr in trains or c.attr == "backward" for c in calls)
            switch = next((c for c in calls if id(c.node) in mode_calls or (c.attr in evals and c.attr)), None)
            if trained and switch is not None:
                out.eval_in_training_loop.append((path, switch))
