"""The method value used as a lookup key decides what runs: ``REGISTRY[cfg.run.method]`` and
``getattr(table, cfg.run.method)`` choose a different entry per method.

A registry filled by a decorator (``@register("proposed") class Proposed``), read with
``REGISTRY[cfg.run.method]()``, or a class attribute chosen with ``getattr(Smoothing, cfg.run.method...)``
gives each method its own code (plain Python: the lookup returns the entry registered under that
name). C401 must not say that no code decides on the method. A method value that is only printed or
put in a list decides nothing, and two methods whose runs differ in nothing the code reads still are
reported.
"""

from __future__ import annotations

import pytest

from precision_r4_repo import TRAIN, errors, repo

CHOICE = '        smoothing = 0.1 if cfg.run.method == "proposed" else 0.0\n'

REGISTRY = """REGISTRY: dict[str, type] = {}


def register(name: str):
    def deco(cls: type) -> type:
        REGISTRY[name] = cls
        return cls
    return deco


@register("proposed")
class Proposed:
    smoothing = 0.1


@register("comparative-1")
class Baseline:
    smoothing = 0.0


class Smoothing:
    proposed = 0.1
    comparative_1 = 0.0


def fit("""


def _train(choice: str) -> dict[str, str]:
    text = TRAIN.replace("{extra}", "").replace(CHOICE, choice).replace("def fit(", REGISTRY, 1)
    return repo({"src/train.py": text})


@pytest.mark.parametrize(
    "choice",
    [
        "        smoothing = REGISTRY[cfg.run.method]().smoothing\n",
        '        smoothing = REGISTRY[cfg["run"]["method"]].smoothing\n',
        '        smoothing = getattr(Smoothing, cfg.run.method.replace("-", "_"))\n',
    ],
)
def test_method_used_as_a_lookup_key_decides(choice: str) -> None:
    assert errors(_train(choice), select=["C401"]) == []


@pytest.mark.parametrize(
    "choice",
    [
        "        print(cfg.run.method)\n        smoothing = 0.0\n",
        '        tags = [cfg["run"]["method"]]\n        smoothing = 0.0 if tags else 0.1\n',
        # The value is a key written to, not one looked up.
        "        scores = {}\n        scores[cfg.run.method] = 0.0\n        smoothing = 0.0\n",
        # The entry looked up is never used.
        "        hook = getattr(Smoothing, cfg.run.method, None)\n        smoothing = 0.0\n",
        "        unused_entry = REGISTRY[cfg.run.method]\n        smoothing = 0.0\n",
    ],
)
def test_method_only_printed_or_listed_is_still_undistinguished(choice: str) -> None:
    found = errors(_train(choice), select=["C401"])
    assert len(found) == 1 and "run the same code" in found[0], found
