"""A config the code stores in Hydra's ConfigStore takes part in composition.

``ConfigStore.instance().store(name="main_schema", node=MainConf)`` at import time, and
``defaults: [main_schema, _self_]`` in config.yaml: Hydra loads ``main_schema`` from the store (checked
with hydra-core 1.3: ``@hydra.main`` over this folder composes ``run=<id> mode=trial`` and runs). The
YAML alone lacks that config, so composing the YAML alone is not what Hydra composes: expcheck must not
report Hydra refusing the command. A repository that only mentions ConfigStore and stores nothing still
gets the refusal.
"""

from __future__ import annotations

from precision_r4_repo import CONFIG, MAIN, TRAIN, errors, repo

SCHEMA = """from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


@dataclass
class WandbConf:
    entity: str = "demo-team"
    project: str = "toy"
    mode: str = "online"


@dataclass
class MainConf:
    run: Any = MISSING
    mode: str = "full"
    results_dir: str = "results"
    wandb: WandbConf = field(default_factory=WandbConf)


ConfigStore.instance().store(name="main_schema", node=MainConf)
"""

CONFIG_WITH_SCHEMA = CONFIG.replace("defaults:\n  - _self_\n", "defaults:\n  - main_schema\n  - _self_\n")


def _with_schema(schema: str) -> dict[str, str]:
    train = TRAIN.replace("{extra}", "")
    return repo(
        {
            "config/config.yaml": CONFIG_WITH_SCHEMA,
            "src/main.py": schema + "\n\n" + MAIN,
            "src/train.py": schema + "\n\n" + train,
        }
    )


def test_schema_stored_in_config_store_is_not_a_compose_failure() -> None:
    assert errors(_with_schema(SCHEMA)) == []


def test_schema_named_but_never_stored_is_still_refused() -> None:
    unstored = SCHEMA.replace('ConfigStore.instance().store(name="main_schema", node=MainConf)', "# ConfigStore: none")
    found = errors(_with_schema(unstored), select=["C204"])
    assert len(found) == 1 and "main_schema" in found[0], found


def test_schema_stored_from_a_function_nothing_calls_is_still_refused() -> None:
    uncalled = SCHEMA.replace(
        'ConfigStore.instance().store(name="main_schema", node=MainConf)',
        'def register() -> None:\n    ConfigStore.instance().store(name="main_schema", node=MainConf)',
    )
    found = errors(_with_schema(uncalled), select=["C204"])
    assert len(found) == 1 and "main_schema" in found[0], found


def test_schema_stored_from_a_function_called_on_import_is_not_a_compose_failure() -> None:
    called = SCHEMA.replace(
        'ConfigStore.instance().store(name="main_schema", node=MainConf)',
        'def register() -> None:\n    ConfigStore.instance().store(name="main_schema", node=MainConf)\n\n\nregister()',
    )
    assert errors(_with_schema(called), select=["C204"]) == []


def test_a_missing_yaml_config_is_refused_though_another_config_is_stored() -> None:
    other = SCHEMA.replace(
        'ConfigStore.instance().store(name="main_schema", node=MainConf)',
        'ConfigStore.instance().store(group="optimizer", name="sgd", node=WandbConf)',
    )
    train = TRAIN.replace("{extra}", "")
    files = repo(
        {
            "config/config.yaml": CONFIG.replace("defaults:\n  - _self_\n", "defaults:\n  - model: mlp\n  - _self_\n"),
            "src/main.py": other + "\n\n" + MAIN,
            "src/train.py": other + "\n\n" + train,
        }
    )
    found = errors(files, select=["C204"])
    assert len(found) == 1 and "model/mlp" in found[0], found
