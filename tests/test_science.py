"""S (scientific validity): split facts, the generic profile, single-file input, blocking and advisory S."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from expcheck.api import check
from expcheck.engine import run_rules
from expcheck.facts import Facts
from expcheck.facts.splits import module_splits, name_split, string_split
from expcheck.findings import Severity
from expcheck.inputs import load_files
from expcheck.profiles import load_profile
from expcheck.rules import REGISTRY

SOFTMAX_CE = """
import torch.nn as nn
import torch.nn.functional as F

criterion = nn.CrossEntropyLoss()
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(F.softmax(model(x), dim=-1), y)
    loss.backward()
    optimizer.step()
"""


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("test_loader", "test"),
        ("X_test", "test"),
        ("valLoader", "val"),
        ("dev_set", "val"),
        ("train_ds", "train"),
        ("smoke_test", None),
        ("test_size", None),
        ("train_test_split", None),
        ("latest", None),
        ("loader", None),
    ],
)
def test_name_split(name: str, split: str | None) -> None:
    assert name_split(name) == split


def test_string_split() -> None:
    assert string_split("test[:10%]") == "test"
    assert string_split("validation") == "val"
    assert string_split("train") == "train"
    assert string_split("contest") is None


def test_split_follows_local_flow() -> None:
    code = "loader = test_loader\nacc = evaluate(model, loader)\nds = load_dataset('x', split='test')\nother = f(model)\n"
    loaded = load_files({"train.py": code}, "generic")
    facts = Facts(loaded.submission, loaded.profile)
    roles = facts.derived(module_splits)["train.py"]
    tree = roles.index.tree
    values = {stmt.targets[0].id: stmt.value for stmt in tree.body}  # type: ignore[attr-defined]
    assert roles.of(values["acc"], "") == "test"
    assert roles.of(values["ds"], "") == "test"
    assert roles.of(values["other"], "") is None


def _findings(files: dict[str, str], profile: str = "generic", **update: object) -> list:
    chosen = load_profile(profile)
    if update:
        chosen = chosen.model_copy(update=update)
    loaded = load_files(files, chosen)
    facts = Facts(loaded.submission, loaded.profile)
    return run_rules(facts, [REGISTRY["S131"]]).findings


def test_certain_s_finding_blocks_and_advisory_makes_it_a_warning() -> None:
    blocking = _findings({"train.py": SOFTMAX_CE})
    assert [f.severity for f in blocking] == [Severity.ERROR] and blocking[0].blocking
    advisory = _findings({"train.py": SOFTMAX_CE}, science="advisory")
    assert [f.severity for f in advisory] == [Severity.WARNING] and not advisory[0].blocking


def test_airas_profiles_keep_s_blocking() -> None:
    for name in ("airas-v1", "airas-v2"):
        assert load_profile(name).science == "blocking"


def test_single_python_file_is_checked_with_the_generic_profile(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SOFTMAX_CE, encoding="utf-8")
    report = check(str(script))
    assert report.profile == "generic"
    rules = {f.rule for f in report.findings}
    assert "S131" in rules
    assert not any(r.startswith("C") for r in rules)
    proc = subprocess.run(
        [sys.executable, "-m", "expcheck", "check", str(script), "--profile", "generic", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["reports"][0]["kind"] == "file"


def test_directory_without_airas_shape_is_generic_and_with_it_is_not(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "experiment.py").write_text("print('hello')\n", encoding="utf-8")
    report = check(str(plain))
    assert report.profile == "generic"
    assert report.ready
    airas = tmp_path / "airas"
    (airas / "src").mkdir(parents=True)
    (airas / "src" / "main.py").write_text("print('hello')\n", encoding="utf-8")
    assert check(str(airas)).profile != "generic"
