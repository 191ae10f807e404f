"""The generic rule test (Fixit pattern): every rule's bad examples fire it, its good examples do not."""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter

import pytest

from expcheck.engine import rules_in_force, run_rules
from expcheck.facts import Facts
from expcheck.inputs import Loaded, load_files
from expcheck.rules import Example, Rule, all_rules
from expcheck.submission import RunSpec

RULES = all_rules()
TRIAL_TIMEOUT = 5.0  # seconds per run; the examples finish in well under one


def _with_trial(facts: Facts, loaded: Loaded, env: str) -> Facts:
    """Run a trial example in the sandbox (network off) and attach the outcome to its facts."""
    from expcheck.facts.trial import attach_trial
    from expcheck.sandbox import TrialOptions, detect_isolation, prepare, run_trial
    from expcheck.sandbox.bwrap import find_bwrap

    sandboxed = find_bwrap()[0] is not None
    if not sandboxed and not detect_isolation().available:
        pytest.skip("trial examples run with the network off, and no network namespace works here")
    if env == "uv" and shutil.which("uv") is None:
        pytest.skip("uv not installed")
    python = sys.executable if env == "python" else None
    # Where bubblewrap cannot run, the examples run with the weaker isolation (network namespace only).
    options = TrialOptions(env=env, python=python, timeout=TRIAL_TIMEOUT, weak_isolation=not sandboxed)  # type: ignore[arg-type]
    return attach_trial(facts, run_trial(loaded, prepare(options)))


def _load(example: Example) -> Loaded:
    runs = [RunSpec(run_id=rid, config_text=text) for rid, text in example.runs]
    return load_files(example.files, example.profile, runs)


def _run(rule: Rule, example: Example):
    loaded = _load(example)
    if rule not in rules_in_force(loaded):  # the profile turns it off, or does not put its clause in force
        return [], []
    facts = Facts(loaded.submission, loaded.profile)
    if example.trial:
        facts = _with_trial(facts, loaded, example.trial)
    outcome = run_rules(facts, [rule])
    return outcome.findings, outcome.rule_errors


def _cases(kind: str) -> list[tuple[Rule, int, Example]]:
    return [(r, i, ex) for r in RULES for i, ex in enumerate(getattr(r, kind), start=1)]


def _case_id(case: tuple[Rule, int, Example]) -> str:
    return f"{case[0].id}-{case[1]}"


_EXPECT = re.compile(r"#\s*expect:\s*([A-Z]\d{3}(?:\s*,\s*[A-Z]\d{3})*)")


def expected_findings(rule: Rule, example: Example) -> Counter[tuple[str, int | None, str]]:
    """The (path, line, rule) findings an example pins: ``# expect: R602`` comments and ``expect=``."""
    found: Counter[tuple[str, int | None, str]] = Counter()
    for path, text in example.files.items():
        for number, line in enumerate(text.splitlines(), start=1):
            marker = _EXPECT.search(line)
            if marker:
                for rule_id in marker.group(1).split(","):
                    found[(path, number, rule_id.strip())] += 1
    for path, line in example.expect:
        found[(path, line, rule.id)] += 1
    return found


def test_expect_markers_are_read() -> None:
    example = Example(files={"a.py": "x = 1\ny = f()  # expect: R602\n"}, expect=(("b.yaml", None),))
    assert expected_findings(RULES[0], example) == Counter({("a.py", 2, "R602"): 1, ("b.yaml", None, RULES[0].id): 1})


# Bad examples whose findings cannot be pinned: where a trial run is stopped by the timeout depends
# on the moment the interrupt lands (the loop's test or its sleep).
UNPINNABLE = {"T103"}


@pytest.mark.parametrize("case", _cases("bad"), ids=_case_id)
def test_bad_example_findings_pinned(case: tuple[Rule, int, Example]) -> None:
    """Every bad example pins its findings (``# expect:`` / ``expect=``) and produces exactly those."""
    rule, _, example = case
    expected = expected_findings(rule, example)
    if rule.id in UNPINNABLE:
        assert not expected, f"{rule.id} is listed as unpinnable but pins its findings"
        return
    assert expected, f"{_case_id(case)} pins no finding: mark each with `# expect: {rule.id}` or expect=(path, line)"
    findings, errors = _run(rule, example)
    assert not errors, errors
    got = Counter((f.path, f.line, f.rule) for f in findings)
    assert got == expected


def test_unpinned_example_fails() -> None:
    """The pinning check is not satisfied by an example that pins nothing (the test above can fail)."""
    rule = next(r for r in RULES if r.id == "C104")
    unpinned = Example(files={"src/train.py": "def run(cfg):\n    model = build(cfg)\n    ...\n    return model\n"})
    with pytest.raises(AssertionError, match="pins no finding"):
        test_bad_example_findings_pinned((rule, 1, unpinned))
    wrong_line = Example(files=unpinned.files, expect=(("src/train.py", 2),))
    with pytest.raises(AssertionError):
        test_bad_example_findings_pinned((rule, 1, wrong_line))


@pytest.mark.parametrize("case", _cases("bad"), ids=_case_id)
def test_bad_example_fires(case: tuple[Rule, int, Example]) -> None:
    rule, _, example = case
    findings, errors = _run(rule, example)
    assert not errors, errors
    assert findings, f"{rule.id} did not fire on its bad example"
    present = set(_load(example).submission.files)  # the example's files, and its run configs
    for finding in findings:
        assert finding.rule == rule.id
        assert finding.message and finding.fix
        if finding.path in present:
            # A line of the file (the engine checks its range); only a missing file may have none.
            assert finding.line is not None and finding.line >= 1
        elif finding.path in example.files:
            # An entry the submission refused (an unsafe path): the finding is about the entry itself.
            assert finding.line is None
        else:
            # A file the example lacks: the finding is about the whole file, and says which it is.
            assert finding.line is None, f"{finding.path}:{finding.line} is no file of the example"
            assert finding.path in finding.message, f"the finding on missing {finding.path} does not name it"


@pytest.mark.parametrize("case", _cases("good"), ids=_case_id)
def test_good_example_silent(case: tuple[Rule, int, Example]) -> None:
    rule, _, example = case
    loaded = load_files(example.files, example.profile)
    disabled = rule not in rules_in_force(loaded)
    findings, errors = _run(rule, example)
    assert not errors, errors
    assert not findings, f"{rule.id} fired on its good example: {[f.message for f in findings]}"
    if disabled:
        assert example.note, "a good example that relies on the profile turning the rule off must say so"


def test_every_rule_is_documented() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    for r in RULES:
        assert r.bad and r.good, r.id
        assert r.title and r.why and r.fix, r.id
        assert r.criterion in {"R", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "S"}, r.id


# Repairs (`expcheck fix`): every rule with a repair shows it on a bad example, and the repair is
# exact, removes the finding, adds no other, and is idempotent.

REPAIRING = [r for r in RULES if r.repair is not None]


def _fix(example: Example):  # type: ignore[no-untyped-def]
    from expcheck.fix import fix_loaded

    runs = [RunSpec(run_id=rid, config_text=text) for rid, text in example.runs]
    return fix_loaded(load_files(example.files, example.profile, runs), "<example>")


def _counts(findings) -> dict[str, int]:  # type: ignore[no-untyped-def]
    out: dict[str, int] = {}
    for f in findings:
        out[f.rule] = out.get(f.rule, 0) + 1
    return out


@pytest.mark.parametrize("rule", REPAIRING, ids=lambda r: r.id)
def test_repairing_rule_shows_its_repair(rule: Rule) -> None:
    assert any(ex.repaired for ex in rule.bad), f"{rule.id} has a repair but no bad example with repaired text"


def _repair_cases() -> list[tuple[Rule, int, Example]]:
    return [(r, i, ex) for r in REPAIRING for i, ex in enumerate(r.bad, start=1)]


@pytest.mark.parametrize("case", _repair_cases(), ids=_case_id)
def test_repair_of_bad_example(case: tuple[Rule, int, Example]) -> None:
    rule, _, example = case
    result = _fix(example)
    assert result.before is not None and result.after is not None
    mine = [f for f in result.before.findings if f.rule == rule.id]
    if example.repaired is None:
        assert not any(r.rule == rule.id for r in result.repairs), "the repair must leave this example alone"
        assert not any(f.fixable for f in mine)
        return
    assert mine and all(f.fixable for f in mine), "the finding must say `expcheck fix` repairs it"
    assert {p: result.files[p] for p in result.changed} == dict(example.repaired)
    assert set(result.changed) <= set(example.files), "a repair touched a file the example does not have"
    after = _counts(result.after.findings)
    assert rule.id not in after, [f.message for f in result.after.findings if f.rule == rule.id]
    before = _counts(result.before.findings)
    added = {r: n for r, n in after.items() if n > before.get(r, 0)}
    assert not added, f"the repair added findings: {added}"
    # Idempotent: fixing the repaired files changes nothing.
    again = _fix(Example(files={**example.files, **example.repaired}, profile=example.profile, runs=example.runs))
    assert not again.repairs and not again.changed
