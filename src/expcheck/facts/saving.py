"""Whether the code saves the model it trains, and where it trains it (C405).

A save is a call whose resolved name contains ``torch.save``, ``save_pretrained``, a checkpoint or
model saver, or ``safetensors``. The place a model is trained is a module with a ``.backward()`` or
``.step()`` call, src/train.py before the others (else the first in path order); in it, the line
is its first optimiser step (``optimizer.step()``, where the weights change, as ``facts/mltrain.py``
finds it), else its first backward or step call. Nothing is imported or executed.
"""

from __future__ import annotations

from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.astindex import CallSite, index_of
from expcheck.facts.mltrain import training_facts

_SAVES = ("torch.save", "save_pretrained", "save_checkpoint", "save_model", "save_state_dict", "safetensors")
TRAIN = "src/train.py"


@dataclass(frozen=True)
class ModelSaving:
    saves: bool  # some call saves a model or checkpoint
    trained_at: CallSite | None  # the call the model is trained at (see the module docstring)
    path: str | None  # the module of ``trained_at``


def model_saving(facts: Facts) -> ModelSaving:
    """Whether and where (use through ``facts.derived``)."""
    trained: str | None = None
    for path in sorted(facts.python):
        index = index_of(facts, path)
        if index is None:
            continue
        # Call names hold no line break: a part stands in one of them exactly when it stands in their lines.
        names = "\n".join([call.name for call in index.calls])
        if any(part in names for part in _SAVES):
            return ModelSaving(True, None, None)
        if any(c.attr in ("backward", "step") for c in index.calls) and (trained is None or path == TRAIN):
            trained = path
    if trained is None:
        return ModelSaving(False, None, None)
    steps = [s.call for f in facts.derived(training_facts).functions if f.path == trained for s in f.step]
    index = index_of(facts, trained)
    assert index is not None  # it was indexed above
    calls = steps or [c for c in index.calls if c.attr in ("backward", "step")]
    return ModelSaving(False, min(calls, key=lambda c: (c.line, c.column)), trained)
