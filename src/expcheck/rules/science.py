"""S — scientific validity: the run finishes, but the number it reports would not mean what it says.

Every rule here reads facts only: split roles (``facts/splits.py``), score-based choices
(``facts/selection.py``), preprocessor fits (``facts/preprocessing.py``), training loops, modes and
losses (``facts/mltrain.py``), random generators (``facts/seeding.py``) and run configs
(``facts/fairness.py``). ``certain`` findings block readiness (unless the profile makes S advisory);
``inferred`` ones are warnings.
"""

from __future__ import annotations

from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.fairness import unfair_pairs
from expcheck.facts.mltrain import training_facts
from expcheck.facts.preprocessing import fits
from expcheck.facts.seeding import seeding
from expcheck.facts.selection import choices
from expcheck.facts.semantic import source_text
from expcheck.rules.base import Example, Hit, rule

_GENERIC = "generic"


def _ex(code: str, note: str = "", path: str = "train.py", expect: tuple[tuple[str, int | None], ...] = ()) -> Example:
    return Example(files={path: code}, profile=_GENERIC, note=note, expect=expect)


# --------------------------------------------------------------------------- selection on the test split

_SEL_BAD = (
    _ex(
        """
best_acc = 0.0
for epoch in range(10):
    train_one_epoch(model, train_loader)
    test_acc = evaluate(model, test_loader)
    if test_acc > best_acc:  # expect: S101
        best_acc = test_acc
        save(model, "best.pt")
"""
    ),
    _ex(
        """
def fit(model, loaders, epochs):
    best = float("inf")
    for epoch in range(epochs):
        train_epoch(model, loaders["train"])
        loss = evaluate(model, loaders["test"])
        if loss < best:
            best = loss
""",
        expect=(("train.py", 7),),
    ),
    _ex(
        """
stopper = EarlyStopping(patience=3)
for epoch in range(100):
    train_epoch(model, train_dl)
    metrics = evaluate(model, test_dl)
    if stopper.step(metrics["loss"]):  # expect: S101
        break
"""
    ),
    _ex(
        """
best_test_acc = 0.0
for epoch in range(10):
    train_one_epoch(model, train_loader)
    acc = evaluate(model, test_loader)
    best_test_acc = max(best_test_acc, acc)  # expect: S101
print("best test accuracy", best_test_acc)
""",
        note="reporting the best test score over epochs: the selection score itself as the result",
    ),
)
_SEL_GOOD = (
    _ex(
        """
best_acc = 0.0
for epoch in range(10):
    train_one_epoch(model, train_loader)
    val_acc = evaluate(model, val_loader)
    if val_acc > best_acc:
        best_acc = val_acc
        save(model, "best.pt")
load(model, "best.pt")
test_acc = evaluate(model, test_loader)
""",
        note="a validation split picks the epoch; the test split is evaluated once, after",
    ),
    _ex(
        """
def fit(model, loader, epochs):
    best = float("inf")
    for epoch in range(epochs):
        loss = evaluate(model, loader)
        if loss < best:
            best = loss
""",
        note="a parameter: the split is decided by the caller, which this rule does not follow",
    ),
    _ex(
        """
for epoch in range(10):
    train_one_epoch(model, train_loader)
    test_acc = evaluate(model, test_loader)
    log({"test_acc": test_acc})
""",
        note="test accuracy logged each epoch but no choice made from it",
    ),
    _ex(
        """
best_val_acc = 0.0
for epoch in range(10):
    train_one_epoch(model, train_loader)
    best_val_acc = max(best_val_acc, evaluate(model, val_loader))
"""
    ),
)


@rule(
    id="S101",
    name="selection-on-test-split",
    criterion="S",
    severity="warning",
    title="The best epoch, checkpoint or early stop is chosen by a test-split score",
    why="""A score used to choose (which epoch to keep, when to stop) is optimistically biased: it no
    longer estimates performance on unseen data. Choosing on the test split and then reporting the
    test score reports the maximum over many looks at the test set.""",
    fix="""Choose on a validation split (carve one from the training data if the dataset has none),
    and evaluate the test split once, with the chosen model.""",
    bad=_SEL_BAD,
    good=_SEL_GOOD,
    confidence="inferred",
    known_limits="""The split is read from the names and split strings the code uses (test_loader,
    ds["test"], split="test"); a test split under a neutral name, or a parameter whose argument is
    the test split, is not seen. A comparison with a running best, or a best kept as max/min of a
    score, is taken as a choice.""",
)
def selection_on_test(facts: Facts) -> Iterator[Hit]:
    for choice in facts.derived(choices):
        if choice.split == "test" and choice.kind == "running_best":
            yield Hit(
                choice.path,
                choice.line,
                f"a running best keeps the extreme of `{source_text(choice.score)}`, a score of the test split: "
                "the best test score over epochs is chosen on the test set",
                column=choice.column,
            )
        elif choice.split == "test" and choice.kind in ("best", "early_stop"):
            what = "a running best" if choice.kind == "best" else "early stopping"
            yield Hit(
                choice.path,
                choice.line,
                f"{what} is decided by `{source_text(choice.score)}`, a score of the test split",
                column=choice.column,
            )


@rule(
    id="S102",
    name="lr-schedule-on-test-split",
    criterion="S",
    severity="warning",
    title="The learning-rate schedule steps on a test-split score",
    why="""A plateau scheduler fed the test score tunes training to the test set: the reported test
    score has been used to train.""",
    fix="Pass the validation score to scheduler.step().",
    bad=(
        _ex(
            """
scheduler = ReduceLROnPlateau(optimizer)
for epoch in range(20):
    train_epoch(model, train_loader)
    test_loss = evaluate(model, test_loader)
    scheduler.step(test_loss)  # expect: S102
"""
        ),
        _ex(
            """
def run(model, optimizer, data):
    sched = ReduceLROnPlateau(optimizer, mode="max")
    for epoch in range(5):
        acc = evaluate(model, data["test"])
        sched.step(acc)  # expect: S102
"""
        ),
    ),
    good=(
        _ex(
            """
scheduler = ReduceLROnPlateau(optimizer)
for epoch in range(20):
    train_epoch(model, train_loader)
    val_loss = evaluate(model, val_loader)
    scheduler.step(val_loss)
"""
        ),
        _ex(
            """
for epoch in range(20):
    train_epoch(model, train_loader)
    scheduler.step()
test_loss = evaluate(model, test_loader)
"""
        ),
    ),
    confidence="inferred",
    known_limits="The split is read from names and split strings; a scheduler is a receiver named like one.",
)
def schedule_on_test(facts: Facts) -> Iterator[Hit]:
    for choice in facts.derived(choices):
        if choice.split == "test" and choice.kind == "scheduler":
            yield Hit(
                choice.path,
                choice.line,
                f"the scheduler steps on `{source_text(choice.score)}`, a score of the test split",
                column=choice.column,
            )


@rule(
    id="S103",
    name="hpo-on-test-split",
    criterion="S",
    severity="warning",
    title="The hyperparameter search optimises a test-split score",
    why="""An Optuna objective that returns or reports the test score selects hyperparameters on the
    test set; the best trial's test score is then a selection score, not an estimate.""",
    fix="Return (and report) the validation score from the objective; evaluate the test split once with the best parameters.",
    bad=(
        _ex(
            """
import optuna

def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    model = train(lr, train_loader)
    test_acc = evaluate(model, test_loader)
    return test_acc  # expect: S103

study = optuna.create_study(direction="maximize")
study.optimize(objective, n_trials=20)
"""
        ),
        _ex(
            """
def objective(trial):
    model = build(trial)
    for epoch in range(5):
        train_epoch(model, train_loader)
        acc = evaluate(model, test_loader)
        trial.report(acc, epoch)  # expect: S103
    return acc  # expect: S103

study.optimize(objective, n_trials=10)
"""
        ),
    ),
    good=(
        _ex(
            """
import optuna

def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    model = train(lr, train_loader)
    return evaluate(model, val_loader)

study = optuna.create_study(direction="maximize")
study.optimize(objective, n_trials=20)
final = evaluate(train(study.best_params["lr"], train_loader), test_loader)
"""
        ),
    ),
    confidence="inferred",
    known_limits="""The objective is the function passed to study.optimize in the same module; the
    split is read from names and split strings.""",
)
def hpo_on_test(facts: Facts) -> Iterator[Hit]:
    for choice in facts.derived(choices):
        if choice.split == "test" and choice.kind == "hpo":
            yield Hit(
                choice.path,
                choice.line,
                f"the Optuna objective optimises `{source_text(choice.score)}`, a score of the test split",
                column=choice.column,
            )


# --------------------------------------------------------------------------- preprocessing leakage


@rule(
    id="S111",
    name="preprocessing-fit-on-held-out",
    criterion="S",
    severity="warning",
    title="A scaler, encoder or feature selector learns from the test or validation split, or from data later split",
    why="""A preprocessor fit on held-out data (or on all data before the split) carries the held-out
    statistics into training: the evaluation is no longer on unseen data.""",
    fix="""Split first; fit the preprocessor on the training split only, then transform the
    validation and test splits with it (scaler.fit(X_train); scaler.transform(X_test)).""",
    bad=(
        _ex(
            """
from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split

scaler = StandardScaler()
X_scaled = scaler.fit_transform(X)  # expect: S111
X_train, X_test, y_train, y_test = train_test_split(X_scaled, y, random_state=0)
"""
        ),
        _ex(
            """
from sklearn.preprocessing import MinMaxScaler

scaler = MinMaxScaler()
X_train = scaler.fit_transform(X_train)
X_test = scaler.fit_transform(X_test)  # expect: S111
"""
        ),
        _ex(
            """
from sklearn.feature_extraction.text import TfidfVectorizer

def features(train_texts, val_texts):
    vec = TfidfVectorizer()
    vec.fit(val_texts)  # expect: S111
    return vec.transform(train_texts), vec.transform(val_texts)
"""
        ),
    ),
    good=(
        _ex(
            """
from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split

X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
X_test = scaler.transform(X_test)
""",
            note="fit on the training split, applied to test",
        ),
        _ex(
            """
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression

clf = make_pipeline(StandardScaler(), LogisticRegression())
clf.fit(X_train, y_train)
score = clf.score(X_test, y_test)
"""
        ),
    ),
    confidence="inferred",
    known_limits="""Preprocessors are recognised by their class (scikit-learn preprocessing modules or
    a Scaler/Encoder/Vectorizer/Imputer/PCA name) through one local assignment; the split of the
    data from names and split strings. A fit on whole data counts only when the same function then
    splits that data (train_test_split / random_split).""",
)
def preprocessing_leak(facts: Facts) -> Iterator[Hit]:
    for fit in facts.derived(fits):
        data = source_text(fit.data)
        if fit.split in ("test", "val"):
            split = "test" if fit.split == "test" else "validation"
            yield Hit(
                fit.path,
                fit.call.line,
                f"{fit.preprocessor} is fit on `{data}`, the {split} split",
                column=fit.call.column,
            )
        elif fit.split is None and fit.split_after is not None:
            yield Hit(
                fit.path,
                fit.call.line,
                f"{fit.preprocessor} is fit on `{data}` before it is split (line {fit.split_after.line}): "
                "the test part's statistics reach training",
                column=fit.call.column,
            )


# --------------------------------------------------------------------------- train / eval mode

_TRAIN_LOOP = """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 2))

def train_epoch(model, loader, optimizer, criterion):
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
"""


@rule(
    id="S121",
    name="evaluation-in-train-mode",
    criterion="S",
    severity="warning",
    title="The model is evaluated without ever being put in eval mode",
    why="""In train mode dropout stays active and batch-norm uses (and updates) batch statistics:
    evaluation scores are noisy and lower than the model's, and evaluation changes the model.""",
    fix="Call model.eval() before evaluating (and model.train() before training again).",
    bad=(
        _ex(
            _TRAIN_LOOP
            + """
def evaluate(model, loader):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct
""",
            expect=(("train.py", 16),),
        ),
        _ex(
            """
import torch
from transformers import AutoModelForSequenceClassification

model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
opt = torch.optim.AdamW(model.parameters(), lr=2e-5)
for batch in train_loader:
    opt.zero_grad()
    model(**batch).loss.backward()
    opt.step()
with torch.inference_mode():  # expect: S121
    preds = [model(**b).logits.argmax(-1) for b in test_loader]
"""
        ),
    ),
    good=(
        _ex(
            _TRAIN_LOOP
            + """
def evaluate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct
""",
            note="torch.no_grad() evaluation after eval()",
        ),
        _ex(
            """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))

def train_epoch(model, loader, optimizer, criterion):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()

def evaluate(model, loader):
    with torch.no_grad():
        return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
""",
            note="no dropout or batch norm: train and eval mode compute the same",
        ),
    ),
    confidence="inferred",
    known_limits="""Fires only when the project trains with its own backward loop, evaluates under
    torch.no_grad()/inference_mode, calls eval()/train(False) nowhere, and builds a dropout or
    batch-norm layer (torch.nn, F.dropout) or loads a pretrained network (from_pretrained, timm,
    torchvision); layers a project class builds from its own code are seen, ones a library builds
    by other names are not.""",
)
def evaluation_in_train_mode(facts: Facts) -> Iterator[Hit]:
    found = facts.derived(training_facts)
    if not found.no_grad or not found.own_training() or any(m.mode == "eval" for m in found.modes):
        return
    if not found.mode_dependent_layers:
        return  # no dropout or batch norm: train and eval mode compute the same
    path, line, column = found.no_grad[0]
    yield Hit(path, line, "evaluation under no_grad, but no model is ever switched to eval mode", column=column)


@rule(
    id="S122",
    name="training-after-eval",
    criterion="S",
    severity="warning",
    title="Training continues after eval() without switching back to train()",
    why="""Once the model is in eval mode inside the epoch loop, every later epoch trains with dropout
    off and batch-norm statistics frozen: the method trained is not the one described.""",
    fix="Call model.train() at the start of each training epoch.",
    bad=(
        _ex(
            """
def train_epoch(model, loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        model(x).loss.backward()
        optimizer.step()

def evaluate(model, loader):
    model.eval()
    return sum(model(x).loss.item() for x, _ in loader)

for epoch in range(10):
    train_epoch(model, train_loader, optimizer)
    evaluate(model, val_loader)
""",
            expect=(("train.py", 14),),
        ),
        _ex(
            """
for epoch in range(10):
    for x, y in train_loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    model.eval()
    val_loss = sum(criterion(model(x), y).item() for x, y in val_loader)
""",
            expect=(("train.py", 7),),
        ),
    ),
    good=(
        _ex(
            """
def train_epoch(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        model(x).loss.backward()
        optimizer.step()

def evaluate(model, loader):
    model.eval()
    return sum(model(x).loss.item() for x, _ in loader)

for epoch in range(10):
    train_epoch(model, train_loader, optimizer)
    evaluate(model, val_loader)
"""
        ),
        _ex(
            """
def train_epoch(model, loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        model(x).loss.backward()
        optimizer.step()

for epoch in range(10):
    train_epoch(model, train_loader, optimizer)
model.eval()
""",
            note="eval() only after training ends",
        ),
    ),
    confidence="inferred",
    known_limits="""Functions are matched by their simple name across the project; fires only when the
    project never calls train() on a model and an epoch loop both trains and switches to eval.""",
)
def training_after_eval(facts: Facts) -> Iterator[Hit]:
    for path, call in facts.derived(training_facts).eval_in_training_loop:
        yield Hit(
            path,
            call.line,
            "this loop trains and switches the model to eval mode, and train() is called nowhere: "
            "every epoch after the first trains in eval mode",
            column=call.column,
        )


# --------------------------------------------------------------------------- optimisation mistakes


@rule(
    id="S131",
    name="softmax-before-cross-entropy",
    criterion="S",
    severity="error",
    title="Probabilities (softmax output) are passed to a loss that expects logits",
    why="""CrossEntropyLoss applies log-softmax itself; given softmax probabilities it computes
    log_softmax(softmax(x)), whose gradients vanish as the model grows confident: training stalls
    and the loss reported is not the cross-entropy. NLLLoss expects log-probabilities, not
    probabilities.""",
    fix="Pass the raw logits to CrossEntropyLoss / F.cross_entropy (or log_softmax output to NLLLoss).",
    bad=(
        _ex(
            """
import torch.nn as nn
import torch.nn.functional as F

criterion = nn.CrossEntropyLoss()
for x, y in loader:
    probs = F.softmax(model(x), dim=-1)
    loss = criterion(probs, y)  # expect: S131
"""
        ),
        _ex(
            """
import torch
import torch.nn.functional as F

def step(model, x, y):
    return F.cross_entropy(torch.softmax(model(x), dim=1), y)  # expect: S131
"""
        ),
        _ex(
            """
import torch.nn as nn

class Trainer:
    def __init__(self):
        self.loss_fn = nn.NLLLoss()

    def loss(self, logits, y):
        return self.loss_fn(logits.softmax(-1), y)  # expect: S131
"""
        ),
    ),
    good=(
        _ex(
            """
import torch.nn as nn
import torch.nn.functional as F

criterion = nn.CrossEntropyLoss()
for x, y in loader:
    logits = model(x)
    loss = criterion(logits, y)
    probs = F.softmax(logits, dim=-1)
"""
        ),
        _ex(
            """
import torch.nn as nn
import torch.nn.functional as F

criterion = nn.NLLLoss()
loss = criterion(F.log_softmax(model(x), dim=-1), y)
""",
            note="log_softmax before NLLLoss is the intended pairing",
        ),
    ),
    confidence="certain",
    known_limits="""The loss is recognised as F.cross_entropy / F.nll_loss or an object built from
    nn.CrossEntropyLoss / nn.NLLLoss (local, module-level or self attribute); the softmax must be the
    argument or one local assignment away. A model whose forward ends in softmax is not followed.
    log_softmax before CrossEntropyLoss is not reported (log_softmax is idempotent under it).""",
)
def softmax_before_ce(facts: Facts) -> Iterator[Hit]:
    for found in facts.derived(training_facts).softmax_losses:
        if found.log and found.loss == "cross_entropy":
            continue
        if found.log:  # log_softmax into NLL is correct
            continue
        loss = "CrossEntropyLoss" if found.loss == "cross_entropy" else "NLLLoss"
        yield Hit(
            found.path,
            found.call.line,
            f"{loss} receives softmax probabilities (line {found.producer.lineno}); it expects "
            + ("logits" if found.loss == "cross_entropy" else "log-probabilities"),
            column=found.call.column,
        )


_ZG_BAD = """
import torch

def train(model, loader, optimizer, criterion):
    model.train()
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
"""


@rule(
    id="S132",
    name="missing-zero-grad",
    criterion="S",
    severity="error",
    title="Gradients are never reset between optimiser steps",
    why="""PyTorch adds each backward() into .grad; without zero_grad() every step applies the sum of
    all gradients since the start, and the model trained is not the one the method describes.""",
    fix="Call optimizer.zero_grad() once per step (before backward, or after step).",
    bad=(_ex(_ZG_BAD, expect=(("train.py", 9),)),),
    good=(
        _ex(_ZG_BAD.replace("        loss = criterion", "        optimizer.zero_grad()\n        loss = criterion")),
        _ex(
            """
def train(model, loader, optimizer, criterion, accum):
    for i, (x, y) in enumerate(loader):
        loss = criterion(model(x), y) / accum
        loss.backward()
        if (i + 1) % accum == 0:
            optimizer.step()  # expect: S132
            model.zero_grad(set_to_none=True)
""",
            note="zero_grad on the model, under the accumulation condition",
        ),
    ),
    confidence="certain",
    known_limits="""Fires only when the project has a loop with backward() and an optimiser step and
    no code file mentions zero_grad, .grad = None or zero_() at all (gradients cleared any of these
    ways, even in a helper, silence it).""",
)
def missing_zero_grad(facts: Facts) -> Iterator[Hit]:
    found = facts.derived(training_facts)
    if found.zero_grad_modules:
        return
    if found.grads_reset_by_text:
        return
    for steps in found.functions:
        if steps.backward and steps.step:
            step = steps.step[0].call
            yield Hit(
                steps.path,
                step.line,
                "optimizer step in a loop with backward(), and zero_grad() is called nowhere: gradients accumulate",
                column=step.column,
            )


@rule(
    id="S133",
    name="step-on-zeroed-gradients",
    criterion="S",
    severity="error",
    title="optimizer.step() runs between zero_grad() and backward(): it applies zeroed gradients",
    why="""The loop zeroes the gradients, steps, and only then computes new gradients, which the next
    iteration zeroes before stepping again: the parameters never move by a gradient.""",
    fix="Order each iteration as zero_grad(), forward, backward(), step().",
    bad=(
        _ex(
            """
for x, y in loader:
    optimizer.zero_grad()
    optimizer.step()
    loss = criterion(model(x), y)
    loss.backward()
""",
            expect=(("train.py", 4),),
        ),
    ),
    good=(
        _ex(
            """
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
"""
        ),
        _ex(
            """
for x, y in loader:
    optimizer.step()
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
""",
            note="steps on the previous iteration's gradients before zeroing: unusual but correct",
        ),
    ),
    confidence="certain",
    known_limits="""Only plain statements of one loop body are ordered (not calls under if/with, not
    calls in helper functions), and zero_grad must be called on the same object that steps.""",
)
def step_on_zeroed(facts: Facts) -> Iterator[Hit]:
    for steps in facts.derived(training_facts).functions:
        for step in steps.step:
            backs = [b for b in steps.backward if b.loop is step.loop]
            zeros = [
                z for z in steps.zero_grad_in_loop if z.loop is step.loop and z.plain and z.receiver == step.receiver
            ]
            if not step.plain or not backs or not all(b.plain and b.position > step.position for b in backs):
                continue
            if any(z.position < step.position for z in zeros):
                yield Hit(
                    steps.path,
                    step.call.line,
                    "the optimiser steps after zero_grad() and before backward() in the same loop body",
                    column=step.call.column,
                )


@rule(
    id="S134",
    name="backward-through-detached-loss",
    criterion="S",
    severity="error",
    title="backward() is called on a loss detached from the graph (.item(), .detach(), float())",
    why="""A number taken out of the graph carries no gradient: backward() raises (a float has no
    backward; a detached tensor does not require grad), or the model is never updated.""",
    fix="Call backward() on the loss tensor itself; use .item() only for logging.",
    bad=(
        _ex(
            """
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y).item()
    loss.backward()
    optimizer.step()
""",
            expect=(("train.py", 5),),
        ),
        _ex(
            """
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y).detach()
    loss.backward()
    optimizer.step()
""",
            expect=(("train.py", 5),),
        ),
    ),
    good=(
        _ex(
            """
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    running = loss.item()
"""
        ),
        _ex(
            """
for batch in loader:
    optimizer.zero_grad()
    loss = model(**batch).loss.float()
    loss.backward()
    optimizer.step()
""",
            note="x.float() is a dtype cast that keeps the graph, unlike the builtin float(x)",
        ),
    ),
    confidence="certain",
    known_limits="Every local value of the loss name must end in .item()/.detach()/.numpy()/.tolist() or float().",
)
def detached_backward(facts: Facts) -> Iterator[Hit]:
    for path, call, how in facts.derived(training_facts).detached_backward:
        yield Hit(path, call.line, f"backward() on a value taken out of the graph ({how})", column=call.column)


@rule(
    id="S135",
    name="accumulation-without-scaling",
    criterion="S",
    severity="warning",
    title="Gradient accumulation steps every k batches but the loss is never divided by k",
    why="""Accumulating k backward passes sums k gradients: without dividing the loss by k the
    effective learning rate is k times the configured one, so the run does not use the reported
    hyperparameters.""",
    fix="Divide the loss by the number of accumulation steps before backward().",
    bad=(
        _ex(
            """
def train(model, loader, optimizer, accum_steps):
    optimizer.zero_grad()
    for i, (x, y) in enumerate(loader):
        loss = criterion(model(x), y)
        loss.backward()  # expect: S135
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
"""
        ),
    ),
    good=(
        _ex(
            """
def train(model, loader, optimizer, accum_steps):
    optimizer.zero_grad()
    for i, (x, y) in enumerate(loader):
        loss = criterion(model(x), y) / accum_steps
        loss.backward()
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
"""
        ),
    ),
    confidence="inferred",
    known_limits="""The step must sit under an `if ... % k` of the function holding backward(); any
    division by k (or by a name with 'accum') in that function counts as scaling; a loss averaged
    with reduction='sum' on purpose is not distinguished.""",
)
def accumulation_without_scaling(facts: Facts) -> Iterator[Hit]:
    for acc in facts.derived(training_facts).accumulation:
        if not acc.divided:
            yield Hit(
                acc.path,
                acc.backward.line,
                f"the optimiser steps every `{acc.divisor}` batches, and the loss is never divided by it",
                column=acc.backward.column,
            )


# --------------------------------------------------------------------------- reproducibility

_SEED_FN = {"python": "random.seed(seed)", "numpy": "np.random.seed(seed)", "torch": "torch.manual_seed(seed)"}


@rule(
    id="S141",
    name="unseeded-rng",
    criterion="S",
    severity="warning",
    title="A random generator the code draws from is never seeded",
    why="""Shuffles, splits and initialisations drawn from an unseeded generator differ on every run:
    the reported numbers cannot be reproduced, and differences between methods may be noise.""",
    fix="Seed every generator the code uses from the config's seed (random, numpy, torch), or pass random_state/generator.",
    bad=(
        _ex(
            """
import random
import numpy as np
import torch

torch.manual_seed(0)
idx = np.random.permutation(100)
""",
            expect=(("train.py", 7),),
        ),
        _ex(
            """
from sklearn.model_selection import train_test_split

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)  # expect: S141
"""
        ),
        _ex(
            """
import torch
from torch.utils.data import DataLoader

loader = DataLoader(train_ds, batch_size=32, shuffle=True)
""",
            expect=(("train.py", 5),),
        ),
    ),
    good=(
        _ex(
            """
import random
import numpy as np
import torch

def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)

idx = np.random.permutation(100)
random.shuffle(items)
"""
        ),
        _ex(
            """
from sklearn.model_selection import train_test_split

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=cfg.seed)
"""
        ),
        _ex(
            """
from transformers import set_seed
from torch.utils.data import DataLoader

set_seed(cfg.seed)
loader = DataLoader(train_ds, batch_size=32, shuffle=True)
"""
        ),
    ),
    confidence="inferred",
    known_limits="""A generator counts as seeded when any module calls its seed function (or
    transformers/lightning/accelerate set_seed), whether or not that call runs first; torch's
    implicit draws (weight initialisation) are not counted as uses.""",
)
def unseeded_rng(facts: Facts) -> Iterator[Hit]:
    found = facts.derived(seeding)
    for generator in ("python", "numpy", "torch"):
        if generator in found.seeded:
            continue
        draws = sorted(found.draws.get(generator, []), key=lambda d: (d.path, d.call.line))
        if draws:
            first = draws[0]
            more = f" (and {len(draws) - 1} more)" if len(draws) > 1 else ""
            yield Hit(
                first.path,
                first.call.line,
                f"{first.what} draws from {generator}'s generator, which is never seeded{more}; "
                f"call {_SEED_FN[generator]} with the config's seed",
                column=first.call.column,
            )


@rule(
    id="S142",
    name="unseeded-generator",
    criterion="S",
    severity="warning",
    title="A random generator object is created without a seed",
    why="A generator created without a seed starts from OS entropy: every run draws different numbers.",
    fix="Pass the config's seed: np.random.default_rng(seed), random.Random(seed).",
    bad=(
        _ex(
            """
import numpy as np

rng = np.random.default_rng()  # expect: S142
idx = rng.permutation(100)
"""
        ),
        _ex(
            """
import random

sampler = random.Random()  # expect: S142
batch = sampler.sample(items, 8)
"""
        ),
    ),
    good=(
        _ex(
            """
import numpy as np

rng = np.random.default_rng(cfg.seed)
idx = rng.permutation(100)
"""
        ),
        _ex(
            """
import random

sampler = random.Random(seed)
batch = sampler.sample(items, 8)
"""
        ),
    ),
    confidence="inferred",
    known_limits="Only numpy.random.default_rng / RandomState and random.Random called with no argument.",
)
def unseeded_generator(facts: Facts) -> Iterator[Hit]:
    for path, call in facts.derived(seeding).unseeded_generators:
        yield Hit(path, call.line, f"`{call.name}()` is created without a seed", column=call.column)


@rule(
    id="S143",
    name="seed-not-from-config",
    criterion="S",
    severity="warning",
    title="The code seeds with a number written in it while the config declares a seed",
    why="""A run config's seed is what a reader (and a seed sweep) changes; a literal in the code
    silently overrides it, so every run uses the same seed whatever the config says.""",
    fix="Seed from the config value (torch.manual_seed(cfg.seed)).",
    bad=(
        Example(
            files={
                "train.py": "import torch\n\ntorch.manual_seed(42)\n",
                "config/config.yaml": "seed: 0\nlr: 0.1\n",
            },
            profile=_GENERIC,
            expect=(("train.py", 3),),
        ),
    ),
    good=(
        Example(
            files={
                "train.py": "import torch\n\ntorch.manual_seed(cfg.seed)\n",
                "config/config.yaml": "seed: 0\nlr: 0.1\n",
            },
            profile=_GENERIC,
        ),
        Example(
            files={"train.py": "import torch\n\ntorch.manual_seed(42)\n"},
            profile=_GENERIC,
            note="no config declares a seed: a fixed seed in the code is the only one",
        ),
        Example(
            files={
                "train.py": "import torch\n\ng = torch.Generator().manual_seed(42)\n",
                "config/config.yaml": "seed: 0\n",
            },
            profile=_GENERIC,
            note="a generator object of its own (a fixed data split) is not the global seed",
        ),
    ),
    confidence="heuristic",
    known_limits="""Global seed calls (random.seed, np.random.seed, torch.manual_seed,
    transformers/lightning set_seed) with an integer literal, in a submission with any YAML `seed`
    key; whether that key is meant for this seeding is not known.""",
)
def seed_not_from_config(facts: Facts) -> Iterator[Hit]:
    found = facts.derived(seeding)
    if found.config_seed is None:
        return
    where = f"{found.config_seed[0]}:{found.config_seed[1]}"
    for path, call in found.literal_seeds:
        yield Hit(
            path, call.line, f"`{call.name}` is given a literal while {where} declares `seed`", column=call.column
        )


# --------------------------------------------------------------------------- unfair comparison

_RUN_BASE = """run_id: {rid}
method: {method}
model:
  name: resnet18
dataset:
  name: cifar10
training:
  epochs: {epochs}
  lr: 0.1
"""

_EVAL = """evaluation:
  max_eval_samples: {n}
"""


@rule(
    id="S151",
    name="unfair-comparison",
    criterion="S",
    severity="warning",
    title="A proposed run and a baseline run differ in training budget, data or evaluation subset",
    why="""A comparison credits the method with every difference between the runs: more epochs, a
    different dataset subset or a smaller evaluation set for one side make the gap meaningless.""",
    fix="Give the proposed and baseline runs the same budget, data and evaluation settings; vary only the method.",
    bad=(
        Example(
            files={"src/train.py": "print(cfg.training.epochs)\n"},
            runs=(
                (
                    "proposed-resnet18-cifar10",
                    _RUN_BASE.format(rid="proposed-resnet18-cifar10", method="ours", epochs=100),
                ),
                (
                    "comparative-1-resnet18-cifar10",
                    _RUN_BASE.format(rid="comparative-1-resnet18-cifar10", method="sgd", epochs=20),
                ),
            ),
            expect=(("config/runs/proposed-resnet18-cifar10.yaml", 8),),
        ),
    ),
    good=(
        Example(
            files={"src/train.py": "print(cfg.training.epochs)\n"},
            runs=(
                (
                    "proposed-resnet18-cifar10",
                    _RUN_BASE.format(rid="proposed-resnet18-cifar10", method="ours", epochs=50),
                ),
                (
                    "comparative-1-resnet18-cifar10",
                    _RUN_BASE.format(rid="comparative-1-resnet18-cifar10", method="sgd", epochs=50),
                ),
            ),
        ),
    ),
    confidence="inferred",
    known_limits="""Proposed and baseline runs are told apart by their run id (proposed vs
    comparative/baseline) and paired when they name the same model and dataset; only budget, data
    and evaluation-subset keys are compared (epochs, steps, sample counts, subsets, dataset name).""",
)
def unfair_comparison(facts: Facts) -> Iterator[Hit]:
    for pair in facts.derived(unfair_pairs):
        yield Hit(
            pair.path,
            pair.line,
            f"`{pair.key}` is {pair.proposed_value!r} for {pair.proposed} but {pair.baseline_value!r} for {pair.baseline}",
        )
