"""A train.py that composes its config with Hydra's compose API from ``sys.argv`` takes key=value overrides.

``with initialize(version_base="1.3", config_path="../config"): cfg = compose(config_name="config",
overrides=sys.argv[1:])`` hands the command line's ``run=<id> results_dir=<dir> mode=trial`` to Hydra's
override parser, as ``@hydra.main`` does (checked with hydra-core 1.3: the composed config has the
run, mode and results_dir the command gave). C207 must not say train.py cannot take them. A train.py
that composes with fixed overrides (ignoring its command line) or reads none is still reported.
"""

from __future__ import annotations

import pytest

from precision_r4_repo import TRAIN, errors, repo

DECORATED = """@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
"""


def _train(entry: str) -> dict[str, str]:
    text = TRAIN.replace("{extra}", "").replace(DECORATED, entry)
    text = text.replace("import hydra\n", "import sys\n\nfrom hydra import compose, initialize\n")
    return repo({"src/train.py": text})


@pytest.mark.parametrize(
    "entry",
    [
        'def main() -> None:\n    with initialize(version_base="1.3", config_path="../config"):\n'
        '        cfg = compose(config_name="config", overrides=sys.argv[1:])\n',
        "def main() -> None:\n    overrides = list(sys.argv[1:])\n"
        '    with initialize(version_base="1.3", config_path="../config"):\n'
        '        cfg = compose("config", overrides)\n',
    ],
)
def test_compose_from_the_command_line_takes_overrides(entry: str) -> None:
    assert errors(_train(entry), select=["C207"]) == []


def test_compose_with_fixed_overrides_is_still_reported() -> None:
    entry = (
        'def main() -> None:\n    print(sys.argv)\n    with initialize(version_base="1.3", config_path="../config"):\n'
        '        cfg = compose(config_name="config", overrides=["run=proposed-toy"])\n'
    )
    found = errors(_train(entry), select=["C207"])
    assert len(found) == 1 and "no @hydra.main" in found[0], found


@pytest.mark.parametrize(
    "entry",
    [
        # The whole argv hands Hydra the script path too: an override parse error.
        'def main() -> None:\n    with initialize(version_base="1.3", config_path="../config"):\n'
        '        cfg = compose(config_name="config", overrides=sys.argv)\n',
        # No initialize(): Hydra is not initialized when compose runs.
        'def main() -> None:\n    cfg = compose(config_name="config", overrides=sys.argv[1:])\n',
        # argparse reads the command line first and exits on run=...
        "def main() -> None:\n    import argparse\n\n    parser = argparse.ArgumentParser()\n"
        '    parser.add_argument("--run", required=True)\n    args = parser.parse_args()\n'
        '    with initialize(version_base="1.3", config_path="../config"):\n'
        '        cfg = compose(config_name="config", overrides=[f"run={args.run}"] + sys.argv[3:])\n',
        # The argv compose is in a helper nothing calls; main composes fixed overrides.
        'def load_from_argv():\n    with initialize(version_base="1.3", config_path="../config"):\n'
        '        return compose(config_name="config", overrides=sys.argv[1:])\n\n\n'
        'def main() -> None:\n    with initialize(version_base="1.3", config_path="../config"):\n'
        '        cfg = compose(config_name="config", overrides=["run=proposed-toy"])\n',
    ],
)
def test_compose_that_cannot_take_the_command_line_is_still_reported(entry: str) -> None:
    found = errors(_train(entry), select=["C207"])
    assert len(found) == 1 and "no @hydra.main" in found[0], found


def test_argv_compose_in_a_called_helper_takes_overrides() -> None:
    entry = (
        'def load_from_argv():\n    with initialize(version_base="1.3", config_path="../config"):\n'
        '        return compose(config_name="config", overrides=sys.argv[1:])\n\n\n'
        "def main() -> None:\n    cfg = load_from_argv()\n"
    )
    assert errors(_train(entry), select=["C207"]) == []
