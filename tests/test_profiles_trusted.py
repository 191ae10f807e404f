"""The built-in profiles are built without pydantic at run time (expcheck.model.build, issue 19): each must
be exactly what the pydantic profile schema makes of the same data, and must validate against it."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml
from pydantic import TypeAdapter

from expcheck.model import build
from expcheck.profiles import _builtin, _extended, _mapping, builtin_profile_names, load_profile
from expcheck.profiles.schema import Outputs, Profile


def _data(name: str) -> dict:
    text = resources.files("expcheck.profiles").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return _extended(_mapping(text, name), name, None)


@pytest.mark.parametrize("name", builtin_profile_names())
def test_builtin_profile_equals_the_pydantic_validated_one(name: str) -> None:
    validated = TypeAdapter(Profile).validate_python(_data(name), strict=False)
    built = _builtin(name)
    assert built == validated
    assert repr(built) == repr(validated)  # same types all the way down (lists stay lists, floats floats)


def test_builtin_profiles_are_refused_by_the_schema_when_broken() -> None:
    data = _data("airas-v2")
    with pytest.raises(Exception, match=r"Extra inputs|Unexpected keyword"):
        TypeAdapter(Profile).validate_python({**data, "surprise": 1})
    with pytest.raises(Exception, match="missing"):
        TypeAdapter(Profile).validate_python({k: v for k, v in data.items() if k != "commands"})


def test_build_follows_the_type_hints() -> None:
    outputs = build(Outputs, {"wandb": "required", "figure_names": ["a"], "cache_dir": None})
    assert outputs == Outputs(wandb="required", figure_names=["a"], cache_dir=None)
    built = build(Profile, {**_data("generic"), "detect": {"priority": 3, "contract_text": {"all_of": ["x"]}}})
    assert built.detect.contract_text is not None and built.detect.contract_text.all_of == ["x"]
    assert built.detect.priority == 3


def test_a_user_profile_is_validated_by_pydantic(tmp_path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({**_data("airas-v2"), "name": "mine", "detect": {"priority": "high"}}))
    with pytest.raises(Exception, match=r"detect\.priority"):
        load_profile(str(path))
    path.write_text(yaml.safe_dump({**_data("airas-v2"), "name": "mine"}))
    assert load_profile(str(path)) == TypeAdapter(Profile).validate_python({**_data("airas-v2"), "name": "mine"})
