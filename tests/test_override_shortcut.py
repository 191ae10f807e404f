"""facts/hydra_overrides.py against Hydra's own override parser: the shortcut builds exactly the Override the
parser builds, and every string it calls certainly refused is refused by the parser."""

from __future__ import annotations

import random
from functools import cache
from typing import Any

import pytest

from conftest import CORPUS, corpus_facts, corpus_index, needs_shared
from expcheck.facts import Facts, experiment_runs
from expcheck.facts.compose import command_overrides, profile_modes
from expcheck.facts.hydra_overrides import certainly_refused, plain_override


@cache
def _parser() -> Any:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create()


def _hydra(text: str) -> Any:
    """Hydra's Override for ``text``, or the exception its parser raised."""
    try:
        return _parser().parse_overrides(overrides=[text])[0]
    except Exception as exc:
        return exc


def _same(shortcut: Any, parsed: Any) -> bool:
    """Equal Overrides, field by field, with the value of the same type (``True == 1`` must not pass)."""
    return (
        repr(shortcut) == repr(parsed)
        and shortcut == parsed
        and type(shortcut._value) is type(parsed._value)
        and type(shortcut.value()) is type(parsed.value())
    )


def _judge(strings: list[str]) -> tuple[int, int]:
    """Check every string; how many the shortcut read and how many it called refused."""
    from hydra.errors import OverrideParseException

    read = refused = 0
    for text in strings:
        shortcut = plain_override(text, _parser().config_loader)
        parsed = _hydra(text)
        if shortcut is not None:
            read += 1
            assert not isinstance(parsed, Exception), (text, parsed)
            assert _same(shortcut, parsed), (text, shortcut, parsed)
        if certainly_refused(text):
            refused += 1
            assert shortcut is None, text
            assert type(parsed) is OverrideParseException, (text, parsed)
    return read, refused


EDGE_VALUES = [
    "", "a", "trial", "full", "true", "TRUE", "tRuE", "false", "False", "null", "NULL", "Null", "inf", "INF", "nan",
    "NaN", "infinity", "nana", "true_", "null-x", "0", "00", "01", "-1", "+1", "1_000", "1__0", "_1", "1_", "-", "+",
    ".", ":", "/", "$", "%", "*", "@", "?", "|", "a:b", "/tmp/expcheck-results", "a/b/c", "1e5", "1e-3", "1.5", ".5",
    "5.", "1.2.3", "e5", "x1e5", "1e5x", "-inf", "+nan", "$x", "a$b", "a-", "-a", "9lives", "a..b", "12" * 60,
    "'x'", "''", '""', '"a b"', "'a b (c)'", "'a\"b'", "'a\\'", "'a", "a'", "'a' ", "'${x}'", '"a:b,c"', "a b", " a",
    "${x}", "${x", "a,b", "[1]", "{a:1}", "f(x)", "f (x)", "a(b)c", "(a)", "a)", "a(", "a(b", "x (11M)-y (z 5)",
    "ab (1) ", "int(3)", "choice(a,b)", "a=b", "a\\ b", "é", "a\tb", "a\nb", "#", "~x", "a&b", "a!b",
]
EDGE_KEYS = ["a", "run", "mode", "trial_mode", "a.b", "a.b.c", "_x", "a-b", "a1", "1a", "a/b", "a@b", "$a", "a..b",
             "a.", ".a", "a.1", "hydra.run.dir", "", "a b", "é"]
PREFIXES = ["", "+", "++", "~", "+++", "+~"]


def test_edge_cases_read_as_hydra_reads_them() -> None:
    strings = [f"{p}{k}={v}" for p in PREFIXES for k in EDGE_KEYS[:8] for v in EDGE_VALUES]
    strings += [f"{p}{k}=trial" for p in PREFIXES for k in EDGE_KEYS] + ["run", "~run", "=a", "a=b=c"]
    read, refused = _judge(strings)
    assert read >= 500 and refused >= 30, (read, refused)


# Character pools: the plain value characters, the same with parentheses and spaces, and everything.
_POOLS = (
    "aAzZ_09-/+.$%*@?|:eEiInNfFtTrRuUlLsS",
    "aZ_09-.eEnN (()) ",
    "aAzZ_09-/+.$%*@?|:eEiInNfFtTrRuUlLsS'\"\\ (),[]{}=~é\t",
)


def test_generated_strings_read_as_hydra_reads_them() -> None:
    chance = random.Random(19)
    strings = []
    for _ in range(3000):
        pool = chance.choice(_POOLS)
        value = "".join(chance.choice(pool) for _ in range(chance.randint(0, 8)))
        if chance.random() < 0.2:  # quoted forms are rare in a uniform draw
            value = chance.choice("'\"") + value + chance.choice("'\"")
        strings.append(f"{chance.choice(PREFIXES)}{chance.choice(EDGE_KEYS)}={value}")
    read, refused = _judge(strings)
    assert read >= 350 and refused >= 80, (read, refused)


@needs_shared
def test_corpus_overrides_read_as_hydra_reads_them() -> None:
    """Every override a corpus trace's train command passes, bare and with the run id quoted."""
    strings: set[str] = set()
    for _trace, facts in corpus_facts():
        for run in experiment_runs(facts):
            for mode in profile_modes(facts):
                for quote in (False, True):
                    strings.update(command_overrides(facts, run.run_id, mode, quote=quote))
    read, refused = _judge(sorted(strings))
    assert read >= 0.8 * len(strings) and refused >= 1, (read, refused, len(strings))


@pytest.mark.parametrize(
    ("text", "value"),
    [("trial_mode=true", True), ("results_dir=/tmp/x-y", "/tmp/x-y"), ("n=1_000", 1000), ("x=null", None)],
)
def test_values(text: str, value: Any) -> None:
    shortcut = plain_override(text)
    assert shortcut is not None and shortcut.value() == value and type(shortcut.value()) is type(value)


def test_left_to_hydra() -> None:
    for text in ("lr=0.1", "x=inf", "x=a,b", "x=[1]", "x=${y}", "x=a b", "~x=1", "db/x=1", "x@p=1", "x='a\\'b'"):
        assert plain_override(text) is None, text
    for text in ("run=f(x)", "run=plain", "run='a (b) c'", "run=a,b (c) d"):
        assert not certainly_refused(text), text


@needs_shared
def test_compositions_as_without_the_refusal_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs whose bare id Hydra certainly refuses are composed with the id quoted at once; the compositions
    equal those made by trying the bare id first, over every corpus trace."""
    from expcheck.facts import compose
    from expcheck.inputs import load

    quoted = 0  # traces with a run composed with its id quoted
    for entry in corpus_index():
        try:
            loaded = load(str(CORPUS / entry["trace"]))
        except Exception:
            continue
        compose.forget_parsed_overrides()
        skipped = compose.compose_setup(Facts(loaded.submission, loaded.profile))
        facts = Facts(loaded.submission, loaded.profile)
        with monkeypatch.context() as patched:
            patched.setattr(compose, "certainly_refused", lambda text: False)
            compose.forget_parsed_overrides()
            tried = compose.compose_setup(Facts(loaded.submission, loaded.profile))
        assert (skipped.compositions, skipped.outside) == (tried.compositions, tried.outside), entry["trace"]
        quoted += any(c.overrides != command_overrides(facts, c.run_id, c.mode) for c in skipped.compositions)
    assert quoted >= 3


ODD_RUN_IDS = ["plain-1", "a b", "x (11M)-y", "f(x)", "a (b) c", "x y (z)", "5", "it's (1)", "say \"a\" 'b' (c)", "(a)"]


def test_odd_run_ids_composed_as_without_the_refusal_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ready example with run ids that parse bare, parse only quoted, or parse neither way."""
    import json

    from conftest import ROOT
    from expcheck.facts import compose
    from expcheck.inputs import load_files
    from expcheck.submission import RunSpec

    bundle = json.loads((ROOT / "examples" / "ready_bundle.json").read_text())
    config = "run_id: x\nmethod: proposed\ntraining:\n  epochs: 1\n"
    runs = [RunSpec(run_id, method="proposed", config_text=config) for run_id in ODD_RUN_IDS]
    loaded = load_files({**bundle, "run_configs": {r: config for r in ODD_RUN_IDS}}, "airas-v2", runs)
    compose.forget_parsed_overrides()
    skipped = compose.compose_setup(Facts(loaded.submission, loaded.profile))
    with monkeypatch.context() as patched:
        patched.setattr(compose, "certainly_refused", lambda text: False)
        compose.forget_parsed_overrides()
        tried = compose.compose_setup(Facts(loaded.submission, loaded.profile))
    assert skipped.compositions == tried.compositions
    by_id = {c.run_id: c for c in skipped.compositions}
    assert set(by_id) == set(ODD_RUN_IDS)
    assert by_id["x (11M)-y"].error is None and by_id["x (11M)-y"].overrides[0] == "run='x (11M)-y'"
    assert by_id["a b"].overrides[0] == "run=a b"
