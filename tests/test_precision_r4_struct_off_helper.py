"""Struct mode turned off by a called helper stays off: ``unlock(cfg)`` with
``def unlock(c): OmegaConf.set_struct(c, False)`` lets the caller add keys afterwards.

OmegaConf keeps the flag on the node (checked with omegaconf 2.3: after ``unlock(cfg)``,
``cfg.run.training.warmup = 0`` and ``cfg.notes = "x"`` succeed on a struct config). C702 must not report
those writes. A helper that turns struct mode on again before returning, or a helper that never
touches it, leaves the writes reported.
"""

from __future__ import annotations

import pytest

from precision_r4_repo import TRAIN, errors, repo

WRITES = (
    "    {call}\n    cfg.run.training.warmup = 0\n    cfg.notes = 'x'\n    print(cfg.run.training.warmup, cfg.notes)\n"
)


def _train(helper: str, call: str) -> dict[str, str]:
    text = TRAIN.replace("{extra}", WRITES.replace("{call}", call)).replace("@hydra.main(", helper + "@hydra.main(", 1)
    return repo({"src/train.py": text})


UNLOCK = "def unlock(c: DictConfig) -> None:\n    OmegaConf.set_struct(c, False)\n\n\n"


@pytest.mark.parametrize("call", ["unlock(cfg)", "unlock(c=cfg)"])
def test_helper_turning_struct_off_lets_the_caller_add_keys(call: str) -> None:
    assert errors(_train(UNLOCK, call), select=["C702"]) == []


@pytest.mark.parametrize(
    "helper",
    [
        "def unlock(c: DictConfig) -> None:\n    OmegaConf.set_struct(c, False)\n    c.tmp = 1\n"
        "    OmegaConf.set_struct(c, True)\n\n\n",
        "def unlock(c: DictConfig) -> None:\n    print(c)\n\n\n",
    ],
)
def test_struct_writes_after_a_helper_that_leaves_struct_on_are_still_reported(helper: str) -> None:
    found = errors(_train(helper, "unlock(cfg)"), select=["C702"])
    assert len(found) == 2 and all("struct" in f for f in found), found


@pytest.mark.parametrize(
    "helper",
    [
        # Turned on again by keyword.
        "def unlock(c: DictConfig) -> None:\n    OmegaConf.set_struct(c, False)\n    c.tmp = 1\n"
        "    OmegaConf.set_struct(c, value=True)\n\n\n",
        # Unlocks a copy, not the node it was given.
        "def unlock(c: DictConfig) -> DictConfig:\n    c = OmegaConf.create(OmegaConf.to_container(c))\n"
        "    OmegaConf.set_struct(c, False)\n    return c\n\n\n",
        # Unlocks only under a condition of its own.
        "def unlock(c: DictConfig, verbose: bool = False) -> None:\n    if verbose:\n"
        "        OmegaConf.set_struct(c, False)\n\n\n",
        # Returns before it unlocks, on some calls.
        "def unlock(c: DictConfig, quick: bool = True) -> None:\n    if quick:\n        return\n"
        "    OmegaConf.set_struct(c, False)\n\n\n",
    ],
)
def test_helper_that_may_leave_struct_on_is_still_reported(helper: str) -> None:
    found = errors(_train(helper, "unlock(cfg)"), select=["C702"])
    assert len(found) == 2 and all("struct" in f for f in found), found


def test_writes_before_the_unlocking_call_are_still_reported() -> None:
    text = TRAIN.replace(
        "{extra}", "    cfg.notes = 'x'\n    unlock(cfg)\n    cfg.other = 1\n    print(cfg.notes, cfg.other)\n"
    ).replace("@hydra.main(", UNLOCK + "@hydra.main(", 1)
    found = errors(repo({"src/train.py": text}), select=["C702"])
    assert len(found) == 1 and "notes" in found[0], found


def test_writes_after_a_conditional_unlocking_call_are_still_reported() -> None:
    text = TRAIN.replace(
        "{extra}", "    if cfg.mode == 'trial':\n        unlock(cfg)\n    cfg.notes = 'x'\n    print(cfg.notes)\n"
    ).replace("@hydra.main(", UNLOCK + "@hydra.main(", 1)
    found = errors(repo({"src/train.py": text}), select=["C702"])
    assert len(found) == 1 and "notes" in found[0], found
