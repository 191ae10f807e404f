"""The training loops of a project as the code writes them: backward, optimiser steps, zero_grad, modes, losses.

Read from the shared module index (``facts/astindex.py``): every call with its enclosing function
and whether it sits in a loop. This module adds, for hand-written PyTorch training:

- ``steps``: per function, the ``loss.backward()``, ``optimizer.step()`` (also ``scaler.step(opt)``)
  and ``zero_grad()`` calls, with the loop statement that holds them and their position in it;
- ``modes``: every ``x.eval()`` / ``x.train()`` / ``x.train(False)`` call on a model (receivers
  named like a trainer are not models: ``trainer.train()`` trains);
- ``loss_inputs``: the first argument of every cross-entropy / NLL loss call, with what produced it
  when it is a softmax (directly, or through one local assignment);
- ``accumulation``: optimiser steps gated by ``if ... % k == 0`` and whether the function divides
  anything by ``k``.

Nothing is imported or executed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, ModuleIndex, dotted, enclosing_loops, indexes
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


@dataclass
class TrainingFacts:
    functions: list[FunctionSteps]
    modes: list[ModeCall]
    softmax_losses: list[LossInput]
    accumulation: list[Accumulation]
    # Modules (paths) that call zero_grad anywhere.
    zero_grad_modules: set[str]
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
            isinstance(v, ast.Call) and dotted(v.func, index.aliases).startswith("torch.optim.") for v in values
        )
    return False


def _loop_positions(tree: ast.Module) -> dict[int, tuple[ast.For | ast.AsyncFor | ast.While, int, bool]]:
    """For each call node inside a loop: (innermost loop, body statement index, statement is the call)."""
    found: dict[int, tuple[ast.For | ast.AsyncFor | ast.While, int, bool]] = {}
    stack: list[tuple[ast.AST, tuple[ast.For | ast.AsyncFor | ast.While, int, ast.stmt] | None]] = [(tree, None)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            where = None
        if isinstance(node, ast.Call) and where is not None:
            loop, position, stmt = where
            plain = isinstance(stmt, ast.Expr) and stmt.value is node
            found[id(node)] = (loop, position, plain)
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            for i, stmt in enumerate(node.body):
                stack.append((stmt, (node, i, stmt)))
            for child in (node.iter, node.target) if not isinstance(node, ast.While) else (node.test,):
                stack.append((child, where))
            for stmt in node.orelse:
                stack.append((stmt, where))
            continue
        for child in ast.iter_child_nodes(node):
            stack.append((child, where))
    return found


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
        made = dotted(func.func, index.aliases)
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
    made = dotted(value.func, index.aliases)
    if (
        made in _CE_CLASSES
        or made.endswith((".CrossEntropyLoss", ".NLLLoss"))
        or made in ("CrossEntropyLoss", "NLLLoss")
    ):
        return "cross_entropy" if made.endswith("CrossEntropyLoss") else "nll_loss"
    return None


def _self_losses(index: ModuleIndex) -> dict[str, str]:
    """``self.<attr>`` names assigned a CE/NLL loss object anywhere in the module, when assigned once."""
    found: dict[str, set[str | None]] = {}
    for node in ast.walk(index.tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    found.setdefault(target.attr, set()).add(_ctor_kind(node.value, index))
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1 and None not in v}  # type: ignore[misc]


def _mod_divisor(test: ast.expr) -> ast.expr | None:
    for node in ast.walk(test):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return node.right
    return None


def _gating_if(function_node: ast.AST, call: ast.Call) -> ast.If | None:
    """The innermost ``if`` statement of the function whose body holds ``call``."""
    best: ast.If | None = None
    for node in ast.walk(function_node):
        if (
            isinstance(node, ast.If)
            and (best is None or node.lineno >= best.lineno)
            and any(call is n for stmt in node.body for n in ast.walk(stmt))
        ):
            best = node
    return best


def _same_setting(node: ast.expr, divisor: str) -> bool:
    """``node`` is the divisor, or names the same setting (``accum`` vs ``self.accum``, ``cfg.accum``)."""
    text = ast.unparse(node)
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


def _module_facts(path: str, index: ModuleIndex, text: str, out: TrainingFacts) -> None:
    softmax_seen = "softmax" in text
    positions: dict[int, tuple[ast.For | ast.AsyncFor | ast.While, int, bool]] | None = None
    by_function: dict[str, FunctionSteps] = {}
    ce_self: dict[str, str] | None = None
    for call in index.calls:
        attr = call.attr
        is_method = isinstance(call.node.func, ast.Attribute)
        if attr in ("backward", "step", "zero_grad") and is_method:
            if attr == "zero_grad":
                steps = by_function.setdefault(call.function, FunctionSteps(path, call.function))
                steps.zero_grad.append(call)
                out.zero_grad_modules.add(path)
                if call.in_loop:
                    if positions is None:
                        positions = _loop_positions(index.tree)
                    where = positions.get(id(call.node))
                    if where is not None:
                        steps.zero_grad_in_loop.append(LoopCall(call, *where))
                continue
            if attr == "step" and not _is_optimizer_step(call, index):
                continue
            if not call.in_loop:
                by_function.setdefault(call.function, FunctionSteps(path, call.function))
                continue
            if positions is None:
                positions = _loop_positions(index.tree)
            where = positions.get(id(call.node))
            if where is None:
                continue
            steps = by_function.setdefault(call.function, FunctionSteps(path, call.function))
            (steps.backward if attr == "backward" else steps.step).append(LoopCall(call, *where))
        elif attr in ("eval", "train") and is_method:
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
        elif softmax_seen and call.node.args:
            if ce_self is None:
                ce_self = _self_losses(index)
            kind = _loss_kind(call, index, ce_self)
            if kind is None:
                continue
            producer = _softmax_producer(call.node.args[0], call, index)
            if producer is not None:
                name = producer.func.attr if isinstance(producer.func, ast.Attribute) else producer.func.id  # type: ignore[attr-defined]
                out.softmax_losses.append(LossInput(path, call, kind, producer, name == "log_softmax"))
    for steps in by_function.values():
        out.functions.append(steps)
        scope = index.scopes.get(steps.function)
        if scope is None or not steps.backward:
            continue
        for step in steps.step:
            gate = _gating_if(scope.node, step.call.node)
            divisor = _mod_divisor(gate.test) if gate is not None else None
            if divisor is None or isinstance(divisor, ast.Constant):
                continue
            text = ast.unparse(divisor)
            out.accumulation.append(Accumulation(path, step.call, text, _divides_by(scope.node, text)))


def training_facts(facts: Facts) -> TrainingFacts:
    """The training-loop facts of every parsed code module (use through ``facts.derived``)."""
    out = TrainingFacts([], [], [], [], set())
    every = facts.derived(indexes)
    for path, index in every.items():
        _module_facts(path, index, facts.files[path].text, out)
    _no_grad_and_detached(every, out)
    _eval_in_training_loops(every, out)
    return out


_DETACHING = frozenset({"item", "detach", "numpy", "tolist", "float"})


def _no_grad_and_detached(every: dict[str, ModuleIndex], out: TrainingFacts) -> None:
    for path, index in every.items():
        for call in index.calls:
            if call.name in ("torch.no_grad", "torch.inference_mode"):
                out.no_grad.append((path, call.line, call.column))
            elif _mode_dependent(call):
                out.mode_dependent_layers.append((path, call.name))
            elif call.attr == "backward" and isinstance(call.node.func, ast.Attribute):
                receiver = call.node.func.value
                values = [receiver]
                if isinstance(receiver, ast.Name):
                    values = index.scope(call.function).assigns.get(receiver.id, [])
                ends = {_last_call(v) for v in values}
                if values and ends <= _DETACHING:
                    out.detached_backward.append((path, call, "/".join(sorted(ends))))


_MODE_LAYERS = ("Dropout", "BatchNorm", "AlphaDropout", "SyncBatchNorm", "InstanceNorm")


def _mode_dependent(call: CallSite) -> bool:
    name = call.name
    if name.startswith("torch.nn.") and name.rsplit(".", 1)[-1].startswith(_MODE_LAYERS):
        return True
    if name in ("torch.nn.functional.dropout",) or call.attr == "from_pretrained":
        return True
    return name.startswith(("timm.create_model", "torchvision.models."))


def _last_call(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
        if isinstance(node.func, ast.Name) and node.func.id == "float":
            return "float"
    return None


def _eval_in_training_loops(every: dict[str, ModuleIndex], out: TrainingFacts) -> None:
    """Loops that train (a backward, directly or in a called function) and switch to eval mode."""
    if not any(m.mode == "eval" for m in out.modes) or any(m.mode == "train" for m in out.modes):
        return
    trains = {f.function.rsplit(".", 1)[-1] for f in out.functions if f.backward}
    evals = {m.call.function.rsplit(".", 1)[-1] for m in out.modes if m.mode == "eval" and m.call.function}
    mode_calls = {id(m.call.node) for m in out.modes if m.mode == "eval"}
    for path, index in every.items():
        loops: dict[int, list[CallSite]] = {}
        enclosing = None
        for call in index.calls:
            if not call.in_loop:
                continue
            if enclosing is None:
                enclosing = enclosing_loops(index.tree)
            for loop in enclosing.get(id(call.node), []):
                loops.setdefault(id(loop), []).append(call)
        for calls in loops.values():
            trained = any(c.attr in trains or c.attr == "backward" for c in calls)
            switch = next((c for c in calls if id(c.node) in mode_calls or (c.attr in evals and c.attr)), None)
            if trained and switch is not None:
                out.eval_in_training_loop.append((path, switch))
