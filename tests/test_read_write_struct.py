"""``read_write`` lifts OmegaConf's read-only flag, not struct mode: a new key assigned inside it still raises.

cfgflow counted ``read_write`` among the struct openers, so C702 missed the crash (found by the round's
precision hunter; C702's second bad example is the rule-level proof).
"""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf, open_dict, read_write
from omegaconf.errors import ConfigAttributeError

from expcheck.facts.cfgflow import _STRUCT_OPENERS


def test_omegaconf_refuses_a_new_key_inside_read_write_and_takes_it_inside_open_dict() -> None:
    cfg = OmegaConf.create({"lr": 0.1})
    OmegaConf.set_struct(cfg, True)
    with pytest.raises(ConfigAttributeError), read_write(cfg):
        cfg.device = "cuda"
    with open_dict(cfg):
        cfg.device = "cuda"
    assert cfg.device == "cuda"


def test_read_write_is_no_struct_opener() -> None:
    assert "read_write" not in _STRUCT_OPENERS and "open_dict" in _STRUCT_OPENERS
