"""``@hydra.main(config_name="config.yaml")`` names config/config.yaml, as ``config_name="config"`` does.

Hydra appends ``.yaml`` to a config name only when the name lacks it (FileConfigSource's
``_normalize_file_name``); checked with hydra-core 1.3: an app with ``config_name="config.yaml"`` composes
``run=<id> mode=trial results_dir=<dir>`` from this folder and runs. A name whose file does not exist is
still reported (C202).
"""

from __future__ import annotations

from precision_r4_repo import MAIN, TRAIN, errors, repo

DECORATOR = '@hydra.main(config_path="../config", config_name="config", version_base="1.3")'


def _named(name: str) -> dict[str, str]:
    new = DECORATOR.replace('config_name="config"', f'config_name="{name}"')
    return repo(
        {
            "src/main.py": MAIN.replace(DECORATOR, new),
            "src/train.py": TRAIN.replace("{extra}", "").replace(DECORATOR, new),
        }
    )


def test_config_name_with_yaml_suffix_reaches_the_config() -> None:
    assert errors(_named("config.yaml")) == []


def test_config_name_of_a_missing_file_is_still_reported() -> None:
    found = errors(_named("settings.yaml"), select=["C202"])
    assert len(found) == 2 and all("settings.yaml" in f for f in found), found
