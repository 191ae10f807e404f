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
