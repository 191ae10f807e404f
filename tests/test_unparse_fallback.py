"""Code that ``ast.unparse`` refuses on Python 3.11, though Python parses and runs it, is judged as the same
code without the refused character: facts write nodes back through ``facts/sourcetext.source_text``.

The refused code here is an f-string whose expression part holds a string with a character unparse escapes
(a control character written raw in the source: 3.11 allows no backslash there, so the raw character is the
only way to write it), and an integer literal whose decimal form passes Python's conversion limit. Before
``source_text``, such code failed the facts that write it back: X001 (the check failed), so the submission
was judged not ready.
"""

from __future__ import annotations

import ast
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest

from expcheck import check, check_files
from expcheck.facts import sourcetext
from expcheck.facts.sourcetext import constant_text, source_text
from expcheck.findings import Finding
from expcheck.inputs import load

ROOT = Path(__file__).resolve().parent.parent
READY = ROOT / "examples" / "ready_bundle.json"
CONTEXT = str(ROOT / "examples" / "ready_context.yaml")
DEFECTIVE = ROOT / "examples" / "defective_bundle.json"

SLOT = "<C>"  # where the cases below write the character
CONTROL = "\x01"  # written raw into the code: Python 3.11 runs it, its ast.unparse refuses it
PLAIN = "Z"  # the same code without the refused character


# --------------------------------------------------------------------------- the helper itself


def _python_texts(bundle: Path) -> list[str]:
    return [text for key, text in json.loads(bundle.read_text(encoding="utf-8")).items() if key.endswith("_py")]


def test_source_text_is_unparse_on_ordinary_code() -> None:
    """Every statement and expression of the example bundles (and of this module) is written as ast.unparse
    writes it, and the hand-written way is never taken."""
    seen = 0
    for text in [*_python_texts(READY), *_python_texts(DEFECTIVE), Path(__file__).read_text(encoding="utf-8")]:
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.stmt | ast.expr):
                assert source_text(node) == ast.unparse(node)
                seen += 1
    assert seen > 1000


def test_ordinary_code_never_takes_the_hand_written_way(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(node: ast.AST) -> str:
        raise AssertionError(f"written by hand: {ast.dump(node)}")

    monkeypatch.setattr(sourcetext, "_written_by_hand", refuse)
    for text in _python_texts(READY):
        source_text(ast.parse(text))


# Code that ast.unparse refuses once SLOT holds a character it escapes (3.11); each line is one module.
REFUSED = [
    "x = f\"{'<C>'}\"",
    "print(f\"a {'<C>'.join(y)!r:>{w}} b\", f'{z}\\n', 'plain')",
    "x = f\"{f'{y}<C>'}\"",
    "x = f\"{y:{'<C>'}>5}\"",
    "x = f\"{f'{y:<C>>5}'}\"",
    "x = f\"{(lambda: '<C>')()} {(a if b else '<C>')} { {'<C>': 1} } {(lambda: 1)}\"",
    "x = f'''{\"a'<C>\"}'''",
    "def f(cfg):\n    if cfg.mode == 'trial':\n        return f\"{cfg.mode}{'<C>'!r}\"\n    return f'{cfg.mode}'\n",
]


@pytest.mark.parametrize("code", REFUSED)
@pytest.mark.parametrize(("char", "escape"), [(CONTROL, "\\x01"), ("\xa0", "\\xa0"), ("\u200b", "\\u200b")])
def test_refused_code_is_written_as_unparse_writes_the_same_code_without_the_character(
    code: str, char: str, escape: str
) -> None:
    """The text holds the character's escape where unparse writes the plain character's text."""
    tree = ast.parse(code.replace(SLOT, char))
    before = ast.dump(tree)
    written = source_text(tree)
    assert ast.dump(tree) == before  # the facts' tree is left as it was
    assert written == ast.unparse(ast.parse(code.replace(SLOT, PLAIN))).replace(PLAIN, escape)


def test_refused_bytes_are_written_as_unparse_writes_the_same_bytes_without_the_character() -> None:
    code = "x = f\"{b'<C>'} {b'<C>'.hex()}\""
    written = source_text(ast.parse(code.replace(SLOT, CONTROL)))
    assert written == ast.unparse(ast.parse(code.replace(SLOT, PLAIN))).replace(PLAIN, "\\x01")


HUGE = "0x" + "f" * 4000  # 16,000 bits: its decimal form has 4,817 digits, past Python's default limit of 4,300


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (f"x = {HUGE}", f"x = {HUGE}"),
        (f"x = -{HUGE} + 1", f"x = -{HUGE} + 1"),
        (f"x = f'{{{HUGE}}}'", f"x = f'{{{HUGE}}}'"),
        (f"x = f\"{{'<C>'}}{{{HUGE}}}\"", f"x = f\"{{'\\x01'}}{{{HUGE}}}\""),
    ],
)
def test_integers_past_the_decimal_limit_are_written_in_hexadecimal(code: str, expected: str) -> None:
    tree = ast.parse(code.replace(SLOT, CONTROL))
    assert source_text(tree) == expected
    assert isinstance(tree.body[0], ast.Assign)
    assert not isinstance(tree.body[0].value, ast.Name)  # the facts' tree is left as it was


@pytest.mark.parametrize("value", [0, -7, 2**64, 1.5, float("inf"), float("nan"), 1j, "a'b\x01", b"\x00", None, ...])
def test_constant_text_is_repr_of_ordinary_constants(value: object) -> None:
    assert constant_text(value) == repr(value)


def test_constant_text_writes_an_integer_past_the_decimal_limit_in_hexadecimal() -> None:
    value = int(HUGE, 16)
    with pytest.raises(ValueError):
        repr(value)
    assert constant_text(value) == HUGE
    assert constant_text(-value) == "-" + HUGE


def test_a_module_constant_past_the_decimal_limit_is_judged_as_a_small_one() -> None:
    """knowntypes types a module constant and shows it by its repr: an int past the limit failed R406 (X001)."""

    bundle = json.loads(READY.read_text(encoding="utf-8"))
    line = bundle["train_py"].count("\n") + 6  # of the attribute read below

    def judged(constant: str) -> list[tuple[str, str, int | None]]:
        edited = dict(bundle, train_py=bundle["train_py"] + f"\nMASK = {constant}\n\n\ndef f():\n    return MASK.nope()\n")
        assert edited["train_py"].split("\n")[line - 1] == "    return MASK.nope()"
        return [(f.rule, f.path, f.line) for f in check_files(edited, context=CONTEXT).findings]

    huge = judged(HUGE)
    assert huge == judged("0xff")
    assert ("R406", "src/train.py", line) in huge  # the typed constant is read, not skipped


def _direct_unparse_calls(text: str) -> list[int]:
    """Lines of ``text`` that call ``ast.unparse`` (or ``unparse`` imported from ast) themselves."""
    tree = ast.parse(text)
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "ast"
        for alias in node.names
        if alias.name == "unparse"
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "unparse" and ast.unparse(node.func.value) == "ast")
            or (isinstance(node.func, ast.Name) and node.func.id in imported)
        )
    ]


def test_the_checker_writes_code_back_only_through_source_text() -> None:
    """A new ``ast.unparse`` call would bring the X001 back for the code it refuses."""
    assert _direct_unparse_calls("import ast\nfrom ast import unparse as u\nast.unparse(t)\nu(t)\n") == [3, 4]
    source = ROOT / "src" / "expcheck"
    direct = {
        str(path.relative_to(source)): lines
        for path in sorted(source.rglob("*.py"))
        if path.name != "sourcetext.py" and (lines := _direct_unparse_calls(path.read_text(encoding="utf-8")))
    }
    assert direct == {}


# --------------------------------------------------------------------------- every call site, end to end


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (found once) in the bundle file ``key`` by ``new``, SLOT filled in."""

    key: str
    old: str
    new: str


# name -> (the call sites, as module and function, that must write the refused code back; the edits that
# put refused code where they read it). The edited bundle stays code that runs.
CASES: dict[str, tuple[set[tuple[str, str]], list[Edit]]] = {
    "trial branch statement": (
        {("modes", "_source")},
        [
            Edit(
                "main_py",
                "            cfg.run.evaluation.max_samples = 64\n",
                "            cfg.run.evaluation.max_samples = 64\n            print(f\"trial {'<C>'} {cfg.mode}\")\n",
            )
        ],
    ),
    "mode test": (
        {("modes", "_is_trial_test"), ("modes", "_source")},
        [Edit("main_py", '        if cfg.mode == "trial":\n', "        if cfg.mode == \"trial\" and f\"{'<C>'}\":\n")],
    ),
    "mode flag": (
        {("modes", "mode_branches")},
        [
            Edit(
                "main_py",
                "    with open_dict(cfg):\n        if cfg.mode",
                "    trial = cfg.mode == \"trial\" or f\"{'<C>'}\" == cfg.mode\n    with open_dict(cfg):\n        if cfg.mode",
            )
        ],
    ),
    "target of a conditional on the mode": (
        {("modes", "mode_branches")},
        [
            Edit(
                "main_py",
                "    with open_dict(cfg):\n        if cfg.mode",
                "    caps = {}\n    caps[f\"{'<C>'}\"] = 2 if cfg.mode == \"trial\" else None\n"
                "    with open_dict(cfg):\n        if cfg.mode",
            )
        ],
    ),
    "value written to the config": (
        {("cfgflow", "_Texts.__call__")},
        [
            Edit(
                "main_py",
                "            cfg.run.training.max_batches = 2\n",
                "            cfg.run.training.max_batches = int(f\"{'<C>'}\" != '') * 2\n",
            )
        ],
    ),
    "run file loaded": (
        {("cfgflow", "_Texts.__call__")},
        [
            Edit(
                "main_py",
                "        cfg.run = OmegaConf.load(run_file)\n",
                "        cfg.run = OmegaConf.load(run_file if f\"{'<C>'}\" else run_file)\n",
            )
        ],
    ),
    "config key written by subscript": (
        {("cfgflow", "_display")},
        [
            Edit(
                "main_py",
                "            cfg.run.training.max_batches = 2\n",
                "            cfg.run.training.max_batches = 2\n            cfg.run[f\"{'<C>'}\"[:0] + \"note\"] = \"trial\"\n",
            )
        ],
    ),
    "list naming src.train": (
        {("launches", "_source"), ("launches", "train_launch_with_overrides")},
        [Edit("main_py", "    apply_mode(cfg)\n", "    apply_mode(cfg)\n    print([f\"{'<C>'}\", \"src.train\"])\n")],
    ),
    "W&B mode set in the environment": (
        {("wandb", "_train_side")},
        [
            Edit(
                "train_py",
                "    run = cfg.run\n",
                "    run = cfg.run\n    os.environ.setdefault(\"WANDB_MODE\", f\"{'<C>'}online\"[1:])\n",
            ),
            Edit("train_py", "import argparse\n", "import argparse\nimport os\n"),
        ],
    ),
    "W&B init guarded by the mode": (
        {("wandb", "mode_guarded")},
        [
            Edit("train_py", "        mode=cfg.wandb.mode,\n", ""),
            Edit(
                "train_py",
                "    wandb.init(\n",
                "    if cfg.wandb.mode == \"disabled\" or not f\"{'<C>'}\":\n        return\n    wandb.init(\n",
            ),
        ],
    ),
    "W&B call guarded in an Optuna objective": (
        {("wandb", "_guarded_off")},
        [
            Edit(
                "train_py",
                "def train(cfg: DictConfig) -> None:\n",
                "def objective(trial) -> float:\n    if f\"{'<C>'}\" and trial.number >= 0:\n"
                '        wandb.log({"trial": trial.number})\n    return 0.0\n\n\n'
                "def tune(n_trials: int) -> None:\n    study = optuna.create_study()\n"
                "    study.optimize(objective, n_trials=n_trials)\n\n\ndef train(cfg: DictConfig) -> None:\n",
            ),
            Edit("train_py", "import torch\n", "import optuna\nimport torch\n"),
            Edit("pyproject_toml", '    "torch>=2.2",\n', '    "torch>=2.2",\n    "optuna>=3.6",\n'),
        ],
    ),
    "gradient accumulation": (
        {("mltrain", "_module_facts"), ("mltrain", "_same_setting")},
        [
            Edit(
                "train_py",
                "        loss.backward()\n        optimiser.step()\n",
                "        (loss / len(f\"{'<C>'}\")).backward()\n        if (step + 1) % (len(f\"{'<C>'}\") + 1) == 0:\n"
                "            optimiser.step()\n",
            )
        ],
    ),
    "zero_grad receiver": (
        {("mltrain", "LoopCall.receiver")},
        [Edit("train_py", "        optimiser.zero_grad()\n", "        [optimiser][len(f\"{'<C>'}\") - 1].zero_grad()\n")],
    ),
    "dataclass field annotation": (
        {("signatures", "_dataclass_signature")},
        [
            Edit(
                "model_py",
                "class MLP(",
                "@dataclasses.dataclass\nclass Note:\n    text: typing.Annotated[str, f\"{'<C>'}\"] = \"\"\n\n\n"
                "NOTE = Note()\n\n\nclass MLP(",
            ),
            Edit("model_py", "import torch\n", "import dataclasses\nimport typing\n\nimport torch\n"),
        ],
    ),
    "receiver of a typed attribute": (
        {("knowntypes", "_accesses")},
        [
            Edit(
                "train_py",
                "    run = cfg.run\n",
                "    run = cfg.run\n    note = \"\"\n    print(note.no_such_method(), f\"{'<C>'}\".strip())\n",
            )
        ],
    ),
    "model loaded from a local folder": (
        {("loaders", "is_local_source")},
        [
            Edit(
                "model_py",
                "class MLP(",
                "def backbone(path: str):\n"
                "    return AutoModel.from_pretrained(f\"{path}{'<C>'}\"[:-1], cache_dir=\".cache/\")\n\n\nclass MLP(",
            ),
            Edit("model_py", "import torch\n", "import torch\nfrom transformers import AutoModel\n"),
            Edit("pyproject_toml", '    "torch>=2.2",\n', '    "torch>=2.2",\n    "transformers>=4.40",\n'),
        ],
    ),
    "loader outside the cache folder (quoted by a rule)": (
        {("data", "cache_dir_not_used")},
        [
            Edit(
                "preprocess_py",
                "load_dataset(dataset.name, cache_dir=CACHE_DIR)",
                "load_dataset(dataset.name + f\"{'<C>'}\"[:0])",
            )
        ],
    ),
    "best kept by a test score (quoted by a rule)": (
        {("science", "selection_on_test")},
        [
            Edit(
                "train_py",
                "        wandb.log({",
                "        test_scores = {f\"{'<C>'}\": acc}\n        if test_scores[f\"{'<C>'}\"] > best_acc:\n"
                "            best_acc = acc\n        wandb.log({",
            ),
            Edit(
                "train_py",
                "    for epoch in range(run.training.epochs):\n",
                "    best_acc = 0.0\n    for epoch in range(run.training.epochs):\n",
            ),
        ],
    ),
    "scaler fit on the test split (quoted by a rule)": (
        {("science", "preprocessing_leak")},
        [
            Edit(
                "train_py",
                "def train(cfg: DictConfig) -> None:\n",
                "def scaled(x_test):\n    return StandardScaler().fit(x_test[len(f\"{'<C>'}\") - 1 :])\n\n\n"
                "def train(cfg: DictConfig) -> None:\n",
            ),
            Edit("train_py", "import torch\n", "import torch\nfrom sklearn.preprocessing import StandardScaler\n"),
            Edit("pyproject_toml", '    "torch>=2.2",\n', '    "torch>=2.2",\n    "scikit-learn>=1.4",\n'),
        ],
    ),
    "rate read from an aggregate": (
        {("fabrication", "_rate_read")},
        [
            Edit(
                "evaluate_py",
                "    best_p = max(proposed, key=proposed.get)\n",
                "    best_p = max(proposed, key=proposed.get)\n"
                "    confusion = int(metrics[run_ids[len(f\"{'<C>'}\") - 1]][\"final_test_accuracy\"] * 100)\n"
                "    print(confusion)\n",
            )
        ],
    ),
    "json.loads of an override in a Hydra evaluate": (
        {("evaluation", "_hydra_failure")},
        [
            Edit(
                "evaluate_py",
                "def main() -> None:\n    results_dir, run_ids = parse_args(sys.argv[1:])\n",
                '@hydra.main(config_path="../config", config_name="config", version_base="1.3")\n'
                "def main(cfg) -> None:\n"
                "    results_dir, run_ids = Path(cfg.results_dir), json.loads(cfg.run_ids if f\"{'<C>'}\" else \"[]\")\n",
            ),
            Edit("evaluate_py", "import matplotlib\n", "import hydra\nimport matplotlib\n"),
            Edit("config_yaml", "results_dir: results\n", 'results_dir: results\nrun_ids: "[]"\n'),
        ],
    ),
}


def _bundle(edits: list[Edit], char: str) -> dict[str, str]:
    bundle: dict[str, str] = json.loads(READY.read_text(encoding="utf-8"))
    for edit in edits:
        assert bundle[edit.key].count(edit.old) == 1, (edit.key, edit.old)
        bundle[edit.key] = bundle[edit.key].replace(edit.old, edit.new.replace(SLOT, char))
    return bundle


def _caller(frame: FrameType | None) -> tuple[str, str]:
    """The module and function (comprehensions skipped) that asked ``source_text`` to write a node back."""
    while frame is not None and (
        frame.f_code.co_filename in (sourcetext.__file__, ast.__file__) or frame.f_code.co_name.startswith("<")
    ):
        frame = frame.f_back
    assert frame is not None
    return Path(frame.f_code.co_filename).stem, frame.f_code.co_qualname


def _judged(bundle: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[list[Finding], set[tuple[str, str]]]:
    """The findings, and the call sites that wrote code back by hand."""
    by_hand: set[tuple[str, str]] = set()
    write = sourcetext._written_by_hand

    def recorded(node: ast.AST) -> str:
        by_hand.add(_caller(sys._getframe(1)))
        return write(node)

    monkeypatch.setattr(sourcetext, "_written_by_hand", recorded)
    report = check_files(bundle, context=CONTEXT)
    assert report.error is None
    return report.findings, by_hand


def _shown(finding: Finding) -> tuple[object, ...]:
    """A finding as the report shows it, the refused character and its escape read as the plain one."""

    def plain(text: str) -> str:
        return text.replace(CONTROL, PLAIN).replace("\\x01", PLAIN)

    return (
        finding.rule,
        finding.severity,
        finding.path,
        finding.line,
        finding.column,
        finding.end_line,
        finding.end_column,
        plain(finding.message),
        plain(finding.evidence),
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_code_is_judged_as_the_same_code_without_the_character(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites, edits = CASES[case]
    refused, by_hand = _judged(_bundle(edits, CONTROL), monkeypatch)
    plain, plain_by_hand = _judged(_bundle(edits, PLAIN), monkeypatch)
    assert not [f for f in refused if f.rule == "X001"]
    assert [_shown(f) for f in refused] == [_shown(f) for f in plain]
    assert sites <= by_hand  # the case reaches the call sites it is about...
    assert not plain_by_hand  # ...and only because of the refused character


def test_the_first_example_is_ready() -> None:
    """The module ``x = f"{'<U+0001>'}"`` in train.py, as reported: ready, as the bundle is without it."""
    bundle = json.loads(READY.read_text(encoding="utf-8"))
    bundle["train_py"] += f"\nx = f\"{{'{CONTROL}'}}\"\n"
    assert check_files(bundle, context=CONTEXT).ready


# --------------------------------------------------------------------------- ast.literal_eval in the trace reader


@pytest.mark.parametrize(
    ("written", "variations"),
    [
        ("['a', 'b']", ("a", "b")),
        ("[{[1]: 2}]", ()),  # TypeError: a dict keyed by a list
        (f"[{HUGE}]", ()),  # ValueError from str(): past the decimal conversion limit
        ("[" + "-" * 100_000 + "1]", ()),  # MemoryError in the parser
        ("[1" + "+1" * 100_000 + "]", ()),  # RecursionError in the parser
    ],
)
def test_run_variations_that_python_cannot_read_are_unknown_not_a_crash(
    written: str, variations: tuple[str, ...], tmp_path: Path
) -> None:
    text = (ROOT / "tests" / "fixtures" / "trace_v2.txt").read_text(encoding="utf-8")
    heading = "# Generated Experiment Code"
    assert heading in text
    trace = tmp_path / "trace.txt"
    trace.write_text(
        text.replace(heading, f"# Current Experiment (To be validated)\n- Run Variations: {written}\n\n{heading}", 1),
        encoding="utf-8",
    )
    assert load(str(trace)).submission.context.run_variations == variations
    assert not [f for f in check(str(trace)).findings if f.rule == "X001"]
