"""facts/compose.py: which compositions fail for one reason, and where in the config that reason is."""

from __future__ import annotations

from expcheck.facts import Facts
from expcheck.facts.compose import Composition, failure_place
from expcheck.inputs import load_files

CONFIG = "config/config.yaml"


def _failed(message: str, mode: str = "trial", run_id: str = "r1") -> Composition:
    overrides = (f"run={run_id}", "results_dir=/tmp/x", f"mode={mode}")
    return Composition(
        run_id, mode, overrides, None, message.format(mode=mode, run=run_id), "ConfigCompositionException"
    )


def test_modes_failing_for_one_missing_key_share_one_failure() -> None:
    message = "Could not override 'mode'. To append to your config use +mode={mode}"
    full, trial = _failed(message, "full"), _failed(message, "trial", run_id="r2")
    assert full.failure == trial.failure == "Could not override 'mode'. To append to your config use +mode=<mode>"
    other = _failed("Could not override 'run'. No match in the defaults list. To append use +run={run}")
    assert other.failure != full.failure
    assert other.failure is not None and "<run_id>" in other.failure


def _place(config: str, message: str) -> tuple[str, int]:
    loaded = load_files({CONFIG: config, "src/main.py": "print(1)\n"}, "airas-v2")
    return failure_place(Facts(loaded.submission, loaded.profile), CONFIG, _failed(message))


def test_place_is_the_top_level_key_never_a_nested_one() -> None:
    missing = "Could not override 'mode'. To append to your config use +mode={mode}"
    assert _place("run: ???\nwandb:\n  mode: online\n", missing) == (CONFIG, 1)  # the file: mode is missing
    assert _place("run: ???\nwandb:\n  mode: online\nmode: full\n", missing) == (CONFIG, 4)


def test_place_of_a_run_override_is_its_defaults_entry() -> None:
    message = "Could not override 'run'. No match in the defaults list."
    assert _place("defaults:\n  - _self_\n  - runs@run: base\nresults_dir: r\n", message) == (CONFIG, 3)
