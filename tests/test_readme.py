"""README stays the front door: its rule table is the rules', and its two commands are the real ones."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _update_readme_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("update_readme", ROOT / "scripts" / "update_readme.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rule_table_is_current() -> None:
    module = _update_readme_module()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert module.rendered(text) == text, "README rule table is stale: run `uv run python scripts/update_readme.py`"


def test_readme_commands_exist_and_ci_runs_the_test_command() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## The two commands.*?```sh\n(?P<cmds>.*?)```", text, re.S)
    assert block is not None
    commands = [line for line in block.group("cmds").splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[1] == "uv run pytest"
    for token in commands[0].split():
        if token.startswith("examples/"):
            assert (ROOT / token).is_file(), token
    assert "uv run pytest" in (ROOT / ".ci" / "run").read_text()


def test_readme_example_command_runs_and_the_example_is_ready() -> None:
    """The README's first command, exactly as written (minus `uv run`): exit 0, READY, no findings at all."""
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## The two commands.*?```sh\n(?P<cmds>.*?)```", text, re.S)
    assert block is not None
    first = block.group("cmds").splitlines()[0].split()
    assert first[:3] == ["uv", "run", "expcheck"]
    proc = subprocess.run(
        [sys.executable, "-m", "expcheck", *first[3:], "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    import json

    report = json.loads(proc.stdout)["reports"][0]
    assert report["verdict"]["is_code_ready"] is True
    assert report["findings"] == [], [f["rule"] for f in report["findings"]]


def test_readme_pipeline_snippet_runs_as_written() -> None:
    """The 20-line pipeline integration in the README, executed as written from the project root."""
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- pipeline-snippet -->\n```python\n(?P<code>.*?)```", text, re.S)
    assert block is not None
    code = block.group("code")
    assert len(code.strip().splitlines()) <= 25
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()[:2]
    assert first == "False"
    assert "[R203]" in second and '"torch>=2.2"' in second  # the submission's own dependencies, as a list
