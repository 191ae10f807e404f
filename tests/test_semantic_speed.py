"""The shortcuts of the speed round in the semantic facts give exactly what the general code gives."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from expcheck.facts import astindex
from expcheck.facts import lint as lint_module
from expcheck.facts.astindex import build_index
from expcheck.facts.semantic import call_site

_MODULE = """\
import wandb as wb
from torch import nn
import os.path

log = print


def main(cfg):
    wb.init(project="p")
    os.path.join("a", "b")
    nn.Linear(2, 3)
    make()()
    cfg.model.build().fit()
    (lambda: 1)()
    items[0]()
    log("x")

    def inner(wb):
        wb.init()
        print(len([x() for x in cfg]))

    for step in range(3):
        wb.log({"s": step})


class Model(nn.Module):
    def forward(self, x):
        return self.net(x).relu()
"""


def test_inline_call_sites_match_call_site() -> None:
    """Every CallSite the index builds (its inline fast path for ``f(...)``/``m.f(...)``) equals what
    ``semantic.call_site`` gives for the same call in the same scope, in the same position order."""
    index = build_index("src/train.py", ast.parse(_MODULE))
    assert index is not None
    expected = [
        call_site(c.node, c.scope, c.function, c.in_loop, c.path)  # type: ignore[arg-type]
        for c in index.calls
    ]
    assert index.calls == expected
    assert [c.scope for c in index.calls] == [c.scope for c in expected]
    names = [c.name for c in index.calls]
    assert "wandb.init" in names and "wb.init" in names  # the parameter shadows the import in ``inner``
    assert "torch.nn.Linear" in names and "os.path.join" in names and "make()" in names
    positions = [(c.node.lineno, c.node.col_offset) for c in index.calls]
    assert positions == sorted(positions)
    # ``make()()``: the outer call and the call it calls start at the same place; the outer one first.
    same = [c for c in index.calls if c.node.lineno == 12]
    assert [c.name for c in same] == ["make()", "make"]


def test_call_sites_fall_back_for_other_callee_shapes() -> None:
    tree = ast.parse("a.b.c()\nx[0]()\n(f or g)()\n")
    index = build_index("m.py", tree)
    assert index is not None
    assert [c.name for c in index.calls] == ["a.b.c", "", ""]
    assert astindex.call_site is call_site  # the fallback is the general function itself


def test_clean_env_is_the_inherited_one_without_ruff_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("RUFF_")]:
        monkeypatch.delenv(key)
    assert lint_module._clean_env() is None  # the child inherits the environment as it is
    monkeypatch.setenv("RUFF_CACHE_DIR", "/nowhere")
    monkeypatch.setenv("KEEP_ME", "1")
    env = lint_module._clean_env()
    assert env is not None and "RUFF_CACHE_DIR" not in env and env["KEEP_ME"] == "1"


def test_write_writes_the_text_as_utf8_and_replaces_a_file(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text("old content that is longer\n", encoding="utf-8")
    text = "x = 'é'\r\ny = 1\n" * 5000  # larger than one write may take
    lint_module._write(str(target), text.encode("utf-8"))
    assert target.read_bytes() == text.encode("utf-8")


def _raw(filename: str) -> dict[str, object]:
    return {
        "filename": filename,
        "code": "F821",
        "location": {"row": 1, "column": 1},
        "end_location": {"row": 1, "column": 2},
        "message": "Undefined name `x`",
    }


def test_diagnostics_paths_as_resolving_gives_them(tmp_path: Path) -> None:
    root = tmp_path / "lint"
    (root / "src").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(root, target_is_directory=True)
    files = {"src/a.py": "", "b.py": "", "src/./c.py": ""}
    raw = [
        _raw(f"{root}/src/a.py"),  # the plain case: the rest of the name
        _raw(f"{root}/src/../b.py"),  # not plain: resolved, then found
        _raw(f"{root}/src/./c.py"),  # resolved to src/c.py, which is no submission path: dropped
        _raw(f"{tmp_path}/elsewhere.py"),  # outside the folder: dropped
    ]
    found = lint_module._diagnostics(raw, root, files)
    assert [d.path for d in found] == ["b.py", "src/a.py"]
    # ruff may name files through the resolved folder while the folder is known by a linked name.
    through_link = lint_module._diagnostics([_raw(f"{root}/src/a.py")], link, files)
    assert [d.path for d in through_link] == ["src/a.py"]
