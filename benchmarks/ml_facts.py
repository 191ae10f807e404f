"""Own CPU time of the ML-semantics facts (fabrication, loaders, dispatch, modes, mltrain, W&B, run variations,
launches, seeding, run values) over the corpus, everything they read from other facts already computed.

Checks every corpus trace once, keeping its facts; then, several times over, drops the cached results of
these fact modules (and of the module outlines they share) and computes again, for each trace, the facts
its check computed. The index of each module is built by then: unlike ``rule_times.py``, which charges an
index to the first fact that asks for it, this charges each fact its own work only. Prints the best of the
repetitions per fact and in total; writes nothing.

    uv run python benchmarks/ml_facts.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
_MODULES = ("fabrication", "loaders", "dispatch", "modes", "mltrain", "wandb", "variations", "launches")
_MODULES += ("runvalues", "seeding", "outlines")


def _facts_of_corpus() -> list[Any]:
    import expcheck.engine as engine
    from expcheck import check

    kept: list[Any] = []
    run_rules = engine.run_rules

    def keeping(facts: Any, rules: Any, honor: bool = False) -> Any:
        kept.append(facts)
        return run_rules(facts, rules, honor)

    engine.run_rules = keeping  # type: ignore[assignment]
    try:
        index = CORPUS / "index.jsonl"
        for line in index.read_text().splitlines():
            if line.strip():
                check(str(CORPUS / json.loads(line)["trace"]))
    finally:
        engine.run_rules = run_rules
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not (CORPUS / "index.jsonl").is_file():
        print(f"corpus not found at {CORPUS}")
        return 2
    from expcheck.facts import (
        dispatch,
        fabrication,
        launches,
        loaders,
        mltrain,
        modes,
        runvalues,
        seeding,
        variations,
        wandb,
    )

    facts_list: list[tuple[str, Callable[[Any], Any]]] = [
        ("fabrication.fabrications", fabrication.fabrications),
        ("loaders.loader_facts", loaders.loader_facts),
        ("dispatch._method_dispatches", dispatch._method_dispatches),
        ("dispatch._dataset_dispatches", dispatch._dataset_dispatches),
        ("variations.same_runs", variations.same_runs),
        ("modes.mode_branches", modes.mode_branches),
        ("mltrain.training_facts", mltrain.training_facts),
        ("wandb.wandb_facts", wandb.wandb_facts),
        ("launches.launches", launches.launches),
        ("launches.train_launch_with_overrides", launches.train_launch_with_overrides),
        ("launches.wandb_inits", launches.wandb_inits),
        ("seeding.seeding", seeding.seeding),
        ("runvalues.run_values", runvalues.run_values),
    ]
    owned = {f"expcheck.facts.{name}" for name in _MODULES}
    kept = _facts_of_corpus()
    used = [{getattr(key, "__name__", "") for key in facts._derived} for facts in kept]
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    totals = []
    gc.disable()
    try:
        for _ in range(args.repeat):
            spent: dict[str, float] = defaultdict(float)
            for facts, names in zip(kept, used, strict=True):
                # The owned modules' results, and the outlines main's astindex caches for them alone.
                stale = [
                    k
                    for k in facts._derived
                    if getattr(k, "__module__", "") in owned or getattr(k, "__name__", "") == "_outline_cache"
                ]
                for key in stale:
                    del facts._derived[key]
                for name, compute in facts_list:
                    if compute.__name__ in names:
                        start = time.process_time()
                        facts.derived(compute)
                        spent[name] += time.process_time() - start
            for name, seconds in spent.items():
                best[name] = min(best[name], seconds)
            totals.append(sum(spent.values()))
    finally:
        gc.enable()
    print(f"{len(kept)} checks: the ML-semantics facts take {min(totals) * 1000:.0f} ms CPU (best of {args.repeat})")
    for name, seconds in sorted(best.items(), key=lambda item: -item[1]):
        print(f"{seconds * 1000:9.1f} ms  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
