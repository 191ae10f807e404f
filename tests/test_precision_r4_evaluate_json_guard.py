"""``json.loads(cfg.run_ids)`` in a Hydra evaluate.py fails only where a list can reach it.

Hydra parses ``run_ids=["a","b"]`` into a ListConfig, and ``json.loads`` of a ListConfig raises
TypeError (C801). Code that sends lists around the call — ``cfg.run_ids if not isinstance(cfg.run_ids,
str) else json.loads(cfg.run_ids)``, or an ``if isinstance(...)`` block, or a ``try`` that catches
TypeError — runs (checked with hydra-core 1.3: the first form gives the list). An unguarded call, or a
guard on another value, is still reported.
"""

from __future__ import annotations

import pytest

from precision_r4_repo import CONFIG, EVALUATE, errors, repo

HEAD = """def main() -> None:
    args = dict(token.split("=", 1) for token in sys.argv[1:])
    results_dir = Path(args["results_dir"])
    run_ids = json.loads(args["run_ids"])
    cfg = OmegaConf.load(Path(__file__).resolve().parent.parent / "config" / "config.yaml")
"""

HYDRA_HEAD = """@hydra.main(config_path="../config", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    results_dir = Path(cfg.results_dir)
{parse}
"""


def _hydra_evaluate(parse: str) -> dict[str, str]:
    assert HEAD in EVALUATE
    text = EVALUATE.replace(HEAD, HYDRA_HEAD.replace("{parse}", parse))
    text = text.replace("from omegaconf import OmegaConf\n", "import hydra\nfrom omegaconf import DictConfig\n")
    return repo(
        {
            "src/evaluate.py": text,
            "config/config.yaml": CONFIG.replace("results_dir: results\n", "results_dir: results\nrun_ids: []\n"),
        }
    )


GUARDED = [
    "    run_ids = cfg.run_ids if not isinstance(cfg.run_ids, str) else json.loads(cfg.run_ids)",
    "    run_ids = cfg.run_ids\n    if isinstance(cfg.run_ids, str):\n        run_ids = json.loads(cfg.run_ids)",
    "    try:\n        run_ids = json.loads(cfg.run_ids)\n    except TypeError:\n        run_ids = list(cfg.run_ids)",
    "    if isinstance(cfg.run_ids, (list, tuple)):\n        run_ids = list(cfg.run_ids)\n    else:\n"
    "        run_ids = json.loads(cfg.run_ids)",
]


@pytest.mark.parametrize("parse", GUARDED)
def test_guarded_json_loads_is_not_a_cli_failure(parse: str) -> None:
    assert errors(_hydra_evaluate(parse), select=["C801"]) == []


@pytest.mark.parametrize(
    "parse",
    [
        "    run_ids = json.loads(cfg.run_ids)",
        "    run_ids = cfg.run_ids if not isinstance(cfg.results_dir, str) else json.loads(cfg.run_ids)",
        "    try:\n        run_ids = json.loads(cfg.run_ids)\n    except ValueError:\n        run_ids = []",
        # The call is in the branch where the value is NOT a string.
        "    if isinstance(cfg.run_ids, str):\n        run_ids = [cfg.run_ids]\n    else:\n"
        "        run_ids = json.loads(cfg.run_ids)",
        # The call is in the branch where the value IS a list.
        "    run_ids = cfg.run_ids\n    if isinstance(cfg.run_ids, list):\n        run_ids = json.loads(cfg.run_ids)",
        # The TypeError handler ends the program.
        "    try:\n        run_ids = json.loads(cfg.run_ids)\n    except TypeError as exc:\n"
        "        raise SystemExit(f'run_ids must be a JSON string: {exc}')",
        "    try:\n        run_ids = json.loads(cfg.run_ids)\n    except (TypeError, ValueError):\n"
        "        print('bad run_ids')\n        sys.exit(1)",
    ],
)
def test_unguarded_json_loads_is_still_reported(parse: str) -> None:
    found = errors(_hydra_evaluate(parse), select=["C801"])
    assert len(found) == 1 and "ListConfig" in found[0], found
