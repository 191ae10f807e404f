"""expcheck composes configs through hydra-core internals (no `hydra` node, one cached repository);
these tests hold that path to Hydra's public compose API: same config, same error."""

from __future__ import annotations

from pathlib import Path

import pytest

from expcheck.facts.compose import _Composer

CASES = {
    "v1-group": (
        {
            "config.yaml": "defaults:\n  - run: ???\n  - _self_\nresults_dir: r\ntrial_mode: false\n",
            "run/a.yaml": "run_id: a\ntraining:\n  lr: 0.1\n",
        },
        [["run=a", "results_dir=/x", "trial_mode=true"], ["run=a", "mode=trial"], ["run=b"], ["run=a b"]],
    ),
    "v2-plain-key": (
        {
            "config.yaml": "run: ???\nresults_dir: r\nmode: full\nwandb:\n  mode: online\n",
            "runs/a.yaml": "run_id: a\n",
        },
        [["run=a", "results_dir=/x", "mode=trial"], ["run=a", "trial_mode=true"], ["run=a", "+extra=1"]],
    ),
    "v2-package-default": (
        {
            "config.yaml": "defaults:\n  - runs@run: a\n  - _self_\nresults_dir: r\n",
            "runs/a.yaml": "run_id: a\nx: 1\n",
            "runs/b.yaml": "run_id: b\nx: 2\n",
        },
        [["run=b"], ["runs@run=b"], []],
    ),
    "v2-package-missing": (
        {"config.yaml": "defaults:\n  - runs@run: ???\n  - _self_\n", "runs/a.yaml": "run_id: a\n"},
        [["run=a"], ["runs@run=a"]],
    ),
    "interpolation": (
        {"config.yaml": "a: 1\nb: ${a}\nc: ${oc.env:HOME_DOES_NOT_MATTER,x}\n"},
        [["a=2"], []],
    ),
}


def _public(config_dir: Path, overrides: list[str]) -> tuple[str, object]:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
            cfg = compose("config", overrides=overrides)
            data = OmegaConf.to_container(cfg, resolve=False, throw_on_missing=False)
            assert isinstance(data, dict)
            data.pop("hydra", None)
            return "ok", data
    except Exception as exc:
        return type(exc).__name__, str(exc).splitlines()[0]
    finally:
        GlobalHydra.instance().clear()


def _ours(config_dir: Path, overrides: list[str]) -> tuple[str, object]:
    try:
        return "ok", _Composer(config_dir).compose("config", overrides)
    except Exception as exc:
        return type(exc).__name__, str(exc).splitlines()[0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_as_hydra_compose(name: str, tmp_path: Path) -> None:
    files, override_sets = CASES[name]
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for overrides in override_sets:
        assert _ours(tmp_path, overrides) == _public(tmp_path, overrides), (name, overrides)
