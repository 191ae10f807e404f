"""Run ids nesting parentheses deeply: Hydra's recursive override parser may run out of Python's stack.

A reviewer found two ways this showed: ``certainly_refused`` said a deep unbalanced id is refused with
Hydra's syntax error, so the run was composed with the id quoted at once, where Hydra's parser actually
stops with RecursionError (a C204 before the shortcut, a C701 after); and the C204 message carried Python's
detail ("while calling a Python object", "in comparison"), which depends on how deep the caller's stack
already was, so one input gave different reports from ``expcheck`` and ``python -m expcheck``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from expcheck.facts.compose import _first_lines
from expcheck.facts.hydra_overrides import _DEEPEST_CERTAIN, certainly_refused

ROOT = Path(__file__).resolve().parent.parent
READY = ROOT / "examples" / "ready_bundle.json"
CONTEXT = ROOT / "examples" / "ready_context.yaml"


def test_a_shallow_unbalanced_id_is_certainly_refused_a_deep_one_is_left_to_hydra() -> None:
    shallow = "f(" * _DEEPEST_CERTAIN + "a" + ")" * _DEEPEST_CERTAIN + "x"
    deep = "f(" * (_DEEPEST_CERTAIN + 1) + "a" + ")" * (_DEEPEST_CERTAIN + 1) + "x"
    assert certainly_refused(f"run={shallow}")
    assert not certainly_refused(f"run={deep}")


@pytest.mark.parametrize(
    "detail", ["while calling a Python object", "in comparison", "while getting the repr of an object"]
)
def test_python_s_recursion_detail_is_dropped_from_hydra_s_message(detail: str) -> None:
    message = f"Error parsing override 'run=x'\nRecursionError: maximum recursion depth exceeded {detail}"
    assert _first_lines(message) == "Error parsing override 'run=x' RecursionError: maximum recursion depth exceeded"


def _context_with_run_id(tmp_path: Path, run_id: str) -> Path:
    context = yaml.safe_load(CONTEXT.read_text(encoding="utf-8"))
    context["experiment_runs"][0]["run_id"] = run_id
    path = tmp_path / "context.yaml"
    path.write_text(yaml.safe_dump(context), encoding="utf-8")
    return path


@pytest.mark.parametrize("levels", [600, 1000])
def test_a_deep_run_id_gives_the_same_report_however_expcheck_is_started(tmp_path: Path, levels: int) -> None:
    context = _context_with_run_id(tmp_path, "f(" * levels + "a" + ")" * levels + "x")
    script = Path(sys.executable).with_name("expcheck")
    starts = [[sys.executable, "-m", "expcheck"], *([[str(script)]] if script.exists() else [])]
    reports = [
        subprocess.run(
            [*start, "check", str(READY), "--context", str(context), "--format", "jsonl"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        for start in starts
    ]
    assert len(set(reports)) == 1 and reports[0]
    findings = json.loads(reports[0])["findings"]
    assert "C204" in {f["rule"] for f in findings}
