"""The built-in profiles' YAML kept as loaded data (expcheck.profiledata, issue 19)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from expcheck import profiledata
from expcheck.profiles import builtin_profile_names

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _texts() -> dict[str, str]:
    folder = resources.files("expcheck.profiles")
    return {name: folder.joinpath(f"{name}.yaml").read_text(encoding="utf-8") for name in builtin_profile_names()}


def _load(text: str) -> object:
    return yaml.load(text, Loader=LOADER)


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiledata, "_TABLES", {})


def _stored_file(tmp_path: Path, texts: list[str]) -> Path:
    path = tmp_path / "profiles.marshal"
    with profiledata.stored_profiles(write=True, path=path):
        for text in texts:
            profiledata.loaded(text, LOADER, _load, path)
    return path


def test_every_built_in_profile_is_stored_as_pyyaml_loads_it(tmp_path: Path, fresh: None) -> None:
    texts = _texts()
    path = _stored_file(tmp_path, list(texts.values()))
    profiledata._TABLES.clear()
    calls: list[str] = []
    for text in texts.values():
        got = profiledata.loaded(text, LOADER, lambda t: calls.append(t) or _load(t), path)
        assert got == _load(text)
        assert repr(got) == repr(_load(text))  # same types and key order, not only equal
    assert calls == []  # every one came from the file


def test_each_lookup_is_a_fresh_copy(tmp_path: Path, fresh: None) -> None:
    text = "name: demo\nrules:\n  keep: [a, b]\n"
    path = _stored_file(tmp_path, [text])
    profiledata._TABLES.clear()
    first = profiledata.loaded(text, LOADER, _load, path)
    first["rules"]["keep"].append("c")
    first.pop("name")
    assert profiledata.loaded(text, LOADER, _load, path) == _load(text)


def test_another_text_is_loaded_by_pyyaml(tmp_path: Path, fresh: None) -> None:
    path = _stored_file(tmp_path, ["a: 1\n"])
    profiledata._TABLES.clear()
    assert profiledata.loaded("a: 2\n", LOADER, _load, path) == {"a": 2}


def test_a_file_from_another_pyyaml_is_ignored(tmp_path: Path, fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _stored_file(tmp_path, ["a: 1\n"])
    profiledata._TABLES.clear()
    monkeypatch.setattr(yaml, "__version__", yaml.__version__ + ".other")
    calls: list[str] = []
    assert profiledata.loaded("a: 1\n", LOADER, lambda t: calls.append(t) or _load(t), path) == {"a": 1}
    assert calls == ["a: 1\n"]


def test_data_marshal_cannot_keep_is_not_stored(tmp_path: Path, fresh: None) -> None:
    path = _stored_file(tmp_path, ["when: 2024-01-02\n", "x: 1\n"])
    profiledata._TABLES.clear()
    table = profiledata._table(path, LOADER)
    assert set(table.known) == {"x: 1\n"}


def test_nothing_is_stored_outside_a_block_or_without_write(tmp_path: Path, fresh: None) -> None:
    path = tmp_path / "profiles.marshal"
    profiledata.loaded("a: 1\n", LOADER, _load, path)
    with profiledata.stored_profiles(write=False, path=path):
        profiledata.loaded("b: 1\n", LOADER, _load, path)
    assert not path.exists()
