"""What PyYAML's safe loader answers for a text, beside what ``facts._load_yaml`` answers, in one comparable form.

The fact loads as PyYAML does, with one documented difference (``facts._BuildingLoader``): a value PyYAML
recognises but cannot build raises outside ``yaml.YAMLError`` in PyYAML, and a ``ConstructorError`` at the
value in the fact. Both are answered here as ``("error", "unbuildable")``.
"""

from __future__ import annotations

import pickle

import yaml

from expcheck.facts import _load_yaml

PYYAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
UNBUILDABLE = ("error", "unbuildable")


def reference_load(text: str) -> tuple[object, ...]:
    try:
        return ("data", yaml.load(text, Loader=PYYAML_LOADER))
    except yaml.YAMLError as exc:
        return ("error", type(exc).__name__, str(exc))
    except Exception:
        return UNBUILDABLE


def our_load(text: str) -> tuple[object, ...]:
    try:
        return ("data", _load_yaml(text)[0])
    except yaml.constructor.ConstructorError as exc:
        return UNBUILDABLE if "cannot be built" in str(exc) else ("error", type(exc).__name__, str(exc))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


def assert_loads_as_pyyaml(text: str) -> None:
    """The fact's answer for ``text`` is PyYAML's; pickle keeps shared objects shared, so an alias must give the
    same object as in PyYAML."""
    reference, ours = reference_load(text), our_load(text)
    assert repr(ours) == repr(reference)
    assert pickle.dumps(ours) == pickle.dumps(reference)
