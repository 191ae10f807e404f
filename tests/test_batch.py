"""Batch inputs: globs, folders of traces, index files, order kept, and the same reports with --jobs 2."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from expcheck.batch import Options, Progress, expand, run

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "traces"
    (folder / "a").mkdir(parents=True)
    shutil.copy(FIXTURES / "trace_v2.txt", folder / "a" / "t1.txt")
    shutil.copy(EXAMPLES / "ready_bundle.json", folder / "b.json")
    return folder


def test_expand_folder_glob_and_index(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert expand([str(folder)]) == [str(folder / "a" / "t1.txt"), str(folder / "b.json")]
    assert expand([str(folder / "*.json")]) == [str(folder / "b.json")]
    index = tmp_path / "index.jsonl"
    index.write_text(json.dumps({"trace": "traces/b.json"}) + "\n" + json.dumps({"trace": "traces/a/t1.txt"}) + "\n")
    assert expand([str(index)]) == [str(tmp_path / "traces/b.json"), str(tmp_path / "traces/a/t1.txt")]
    assert expand(["no-such-*.txt"]) == ["no-such-*.txt"]  # kept, so the reader can say it is missing


def test_experiment_repo_folder_is_one_input(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    assert expand([str(tmp_path)]) == [str(tmp_path)]


def test_jobs_two_gives_the_same_reports_in_order(tmp_path: Path) -> None:
    sources = expand([str(_folder(tmp_path))]) * 3
    one = [r.model_dump() for r in run(sources, Options(), jobs=1)]
    two = [r.model_dump() for r in run(sources, Options(), jobs=2)]
    assert one == two
    assert [r["input"] for r in one] == sources


def test_progress_bar_only_on_a_terminal() -> None:
    stream = io.StringIO()
    bar = Progress(3, stream, enabled=True)
    for name in ("a", "b", "c"):
        bar.step(name)
    assert "3/3" in stream.getvalue() and stream.getvalue().endswith("\n")
    quiet = io.StringIO()
    Progress(3, quiet).step("a")  # StringIO is not a terminal
    assert quiet.getvalue() == ""
