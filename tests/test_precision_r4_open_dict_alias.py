"""``with open_dict(node) as alias:`` binds ``alias`` to ``node``: keys added through the alias exist.

omegaconf's ``open_dict`` (and ``read_write``, ``flag_override``) yields the node it is given, so
``with open_dict(cfg.run.training) as tr: tr.warmup = 0`` adds ``run.training.warmup`` and lifts
struct mode for that write. Checked with omegaconf 2.3: the same assignment without ``open_dict``
raises ConfigAttributeError, through the alias it succeeds and ``cfg.run.training.warmup`` reads 0.
"""

from __future__ import annotations

from precision_r4_repo import errors, repo

ALIAS_WRITE = """    with open_dict(cfg.run.training) as tr:
        tr.warmup = 0
    print(cfg.run.training.warmup)
"""


def test_key_added_through_open_dict_alias_is_readable() -> None:
    assert errors(repo(train_extra=ALIAS_WRITE)) == []


def test_key_never_added_is_still_missing() -> None:
    extra = ALIAS_WRITE + "    print(cfg.run.training.cooldown)\n"
    found = errors(repo(train_extra=extra), select=["C701"])
    assert len(found) == 1 and "run.training.cooldown" in found[0], found


def test_write_through_the_alias_after_the_block_is_a_struct_write() -> None:
    extra = """    with open_dict(cfg.run.training) as tr:
        pass
    tr.warmup = 0
"""
    found = errors(repo(train_extra=extra), select=["C702"])
    assert len(found) == 1 and "warmup" in found[0], found


def test_key_added_through_a_read_write_alias_is_still_missing() -> None:
    # read_write lifts only the read-only flag: the write raises ConfigAttributeError, the key never exists.
    extra = """    with read_write(cfg.run.training) as tr:
        tr.warmup = 0
    print(cfg.run.training.warmup)
"""
    files = repo(train_extra=extra)
    files["src/train.py"] = files["src/train.py"].replace("open_dict\n", "open_dict, read_write\n", 1)
    assert "read_write\n" in files["src/train.py"]
    found = errors(files, select=["C701"])
    assert len(found) == 1 and "run.training.warmup" in found[0], found


def test_alias_rebound_in_the_block_is_not_the_opened_node() -> None:
    extra = """    with open_dict(cfg.run.training) as tr:
        tr = cfg.run.optuna
        tr.warmup = 0
"""
    found = errors(repo(train_extra=extra), select=["C702"])
    assert len(found) == 1 and "warmup" in found[0], found
