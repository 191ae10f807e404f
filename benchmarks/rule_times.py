"""Where a warm batch spends its time: CPU time per fact and per rule over the corpus, in one process.

Each fact (``Facts.derived`` and the parsed-file properties) and each rule is charged its *own* time: a
fact computed inside another fact or a rule is charged to itself, not to its caller. "reading and report"
is everything of a check outside the facts and rules (reading the trace, the repairs that mark findings
fixable, building the report). The engine records no timings itself; this script wraps it from outside
and changes nothing in expcheck.

    uv run python benchmarks/rule_times.py [--top 40] [--runs N]

With ``--runs N`` it times the ready example with N experiment runs (ten checks) instead of the corpus.
Prints a table; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


class _Clock:
    """Own CPU time per name: a frame's time minus the time of the frames opened inside it."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[Any]] = []

    def enter(self, name: str) -> None:
        self._stack.append([name, time.process_time(), 0.0])

    def leave(self) -> None:
        name, start, inner = self._stack.pop()
        total = time.process_time() - start
        self.own[name] += total - inner
        self.calls[name] += 1
        if self._stack:
            self._stack[-1][2] += total


def _instrument(clock: _Clock) -> None:
    import expcheck.facts as facts_module
    from expcheck.rules.base import all_rules

    derived = facts_module.Facts.derived

    def timed_derived(self: Any, compute: Callable[[Any], Any]) -> Any:
        if compute in self._derived:
            return derived(self, compute)
        clock.enter(f"fact {compute.__module__.rsplit('.', 1)[-1]}.{compute.__qualname__}")
        try:
            return derived(self, compute)
        finally:
            clock.leave()

    facts_module.Facts.derived = timed_derived  # type: ignore[method-assign]
    for prop in ("python", "yaml", "pyproject", "code_files"):
        cached = facts_module.Facts.__dict__[prop]
        compute = cached.func

        def timed_prop(self: Any, compute: Callable[[Any], Any] = compute, prop: str = prop) -> Any:
            clock.enter(f"files {prop}")
            try:
                return compute(self)
            finally:
                clock.leave()

        cached.func = timed_prop
    for rule in all_rules():
        check = rule.check

        def timed_check(facts: Any, check: Callable[[Any], Iterator[Any]] = check, rule_id: str = rule.id) -> Any:
            clock.enter(f"rule {rule_id}")
            try:
                return list(check(facts))
            finally:
                clock.leave()

        object.__setattr__(rule, "check", timed_check)


def _corpus_checks() -> list[Callable[[], Any]]:
    from expcheck import check

    index = CORPUS / "index.jsonl"
    paths = [str(CORPUS / json.loads(line)["trace"]) for line in index.read_text().splitlines() if line.strip()]
    return [lambda p=path: check(p) for path in paths]


def _runs_checks(count: int, tmp: Path) -> list[Callable[[], Any]]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import speed  # the same bundle and contexts as the speed benchmark

    from expcheck import check

    bundle = tmp / "bundle.json"
    bundle.write_text(json.dumps(speed._settings_only()), encoding="utf-8")
    checks = []
    for salt in range(10):
        context = tmp / f"context-{salt}.json"
        context.write_text(json.dumps(speed._context(count, salt)), encoding="utf-8")
        checks.append(lambda c=str(context): check(str(bundle), context=c))
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=40, help="rows to print")
    parser.add_argument("--runs", type=int, help="time the ready example with this many runs instead of the corpus")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="expcheck-times-") as tmp:
        if args.runs:
            checks = _runs_checks(args.runs, Path(tmp))
        elif (CORPUS / "index.jsonl").is_file():
            checks = _corpus_checks()
        else:
            print(f"corpus not found at {CORPUS}")
            return 2
        checks[0]()  # imports and caches warm, as in a long batch
        clock = _Clock()
        _instrument(clock)
        total = 0.0
        for run in checks:
            start = time.process_time()
            clock.enter("reading and report")
            run()
            clock.leave()
            total += time.process_time() - start
    print(f"{len(checks)} checks, {total:.2f} s CPU ({total / len(checks) * 1000:.1f} ms per check)")
    rows = sorted(clock.own.items(), key=lambda item: -item[1])[: args.top]
    for name, own in rows:
        print(f"{own * 1000:9.0f} ms {100 * own / total:5.1f}% {clock.calls[name]:6d}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
