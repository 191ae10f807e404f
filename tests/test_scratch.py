"""Where ruff's scratch copy goes (expcheck.scratch): the RAM-backed temporary folder when the user chose
none, the usual one otherwise or when that one refuses, and what a killed process left there is removed."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from expcheck import scratch
from expcheck.facts import Facts
from expcheck.facts import lint as lint_module
from expcheck.facts.lint import lint, start_lint
from expcheck.inputs import load_files

FILES = {"src/train.py": "def main():\n    return undefined_thing\n", "src/pkg/util.py": "x = 1\n"}


def _facts() -> Facts:
    loaded = load_files(FILES, None, [])
    return Facts(loaded.submission, loaded.profile)


@pytest.fixture
def fresh_choice() -> Iterator[None]:
    scratch.ram_parent.cache_clear()
    yield
    scratch.ram_parent.cache_clear()


def test_tmpfs_is_told_from_the_kernel_mount_list(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/vda / ext4 rw 0 0\ntmpfs /dev/shm tmpfs rw,nosuid 0 0\nproc /proc proc rw 0 0\n")
    assert scratch._is_ram_backed("/dev/shm", str(mounts))
    assert not scratch._is_ram_backed("/", str(mounts))
    assert not scratch._is_ram_backed("/proc", str(mounts))
    assert not scratch._is_ram_backed("/dev/shm", str(tmp_path / "missing"))


@pytest.mark.parametrize("variable", ["TMPDIR", "TEMP", "TMP"])
def test_a_temporary_folder_the_user_chose_is_kept(
    variable: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_choice: None
) -> None:
    for name in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(scratch, "_is_ram_backed", lambda folder, mounts="": True)
    monkeypatch.setattr(scratch, "RAM_TEMP", str(tmp_path))
    assert scratch.ram_parent() == str(tmp_path)  # nothing chosen: the RAM-backed folder
    scratch.ram_parent.cache_clear()
    monkeypatch.setenv(variable, "/somewhere/chosen")
    assert scratch.ram_parent() is None


def test_not_ram_backed_or_missing_means_the_usual_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_choice: None
) -> None:
    for name in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(scratch, "RAM_TEMP", str(tmp_path))
    monkeypatch.setattr(scratch, "_is_ram_backed", lambda folder, mounts="": False)
    assert scratch.ram_parent() is None
    scratch.ram_parent.cache_clear()
    monkeypatch.setattr(scratch, "_is_ram_backed", lambda folder, mounts="": True)
    monkeypatch.setattr(scratch, "RAM_TEMP", str(tmp_path / "absent"))
    assert scratch.ram_parent() is None


def test_the_copy_goes_to_the_ram_folder_and_is_removed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ram = tmp_path / "ram"
    ram.mkdir()
    monkeypatch.setattr(lint_module, "ram_parent", lambda: str(ram))
    facts = _facts()
    started = facts.derived(start_lint)
    assert isinstance(started, lint_module._Started)
    folder = Path(started.tmp.name)
    assert folder.parent == ram and folder.name.startswith(f"expcheck-lint-{os.getpid()}-")
    assert (folder / "src" / "pkg" / "util.py").read_text() == FILES["src/pkg/util.py"]
    result = facts.derived(lint)
    assert [d.code for d in result.diagnostics] == ["F821"]
    assert list(ram.iterdir()) == []


def test_a_refusing_ram_folder_falls_back_to_the_usual_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setattr(lint_module, "ram_parent", lambda: str(not_a_folder))
    usual = tmp_path / "usual"
    usual.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(usual))
    facts = _facts()
    started = facts.derived(start_lint)
    assert isinstance(started, lint_module._Started)
    assert Path(started.tmp.name).parent == usual
    assert [d.code for d in facts.derived(lint).diagnostics] == ["F821"]


def test_a_full_ram_folder_falls_back_to_the_usual_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ram = tmp_path / "ram"
    ram.mkdir()
    monkeypatch.setattr(lint_module, "ram_parent", lambda: str(ram))
    usual = tmp_path / "usual"
    usual.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(usual))
    real_write = lint_module._write

    def write(path: str, data: bytes) -> None:
        if path.startswith(str(ram)):
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(lint_module, "_write", write)
    facts = _facts()
    started = facts.derived(start_lint)
    assert isinstance(started, lint_module._Started)
    assert Path(started.tmp.name).parent == usual
    assert list(ram.iterdir()) == []  # the half-written folder was removed
    assert [d.code for d in facts.derived(lint).diagnostics] == ["F821"]


def test_no_folder_anywhere_fails_the_fact(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(lint_module, "ram_parent", lambda: None)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "absent"))
    with pytest.raises(OSError):
        _facts().derived(start_lint)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_folders_of_dead_processes_are_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    (tmp_path / f"expcheck-lint-{dead}-abc").mkdir()
    (tmp_path / f"expcheck-lint-{os.getpid()}-def").mkdir()
    (tmp_path / "expcheck-lint-notapid-ghi").mkdir()
    (tmp_path / "other-123-x").mkdir()
    scratch.remove_stale(str(tmp_path), scratch.LINT_PREFIX)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"expcheck-lint-{os.getpid()}-def", "expcheck-lint-notapid-ghi", "other-123-x"]
    )
    scratch.remove_stale(str(tmp_path), scratch.LINT_PREFIX, {os.getpid()})  # a worker seen to die: its own
    assert sorted(p.name for p in tmp_path.iterdir()) == ["expcheck-lint-notapid-ghi", "other-123-x"]


def test_a_stopped_worker_leaves_no_scratch_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from expcheck import pool

    monkeypatch.setattr(scratch, "ram_parent", lambda: str(tmp_path))
    worker_tmp = tmp_path / "w1"
    worker_tmp.mkdir()
    pid = _dead_pid()
    (tmp_path / f"expcheck-lint-{pid}-left").mkdir()
    (tmp_path / f"expcheck-lint-{os.getpid()}-mine").mkdir()
    worker = pool._Worker(pid, -1, -1, -1, str(worker_tmp))
    pool._stop([worker], grace=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"expcheck-lint-{os.getpid()}-mine"]
