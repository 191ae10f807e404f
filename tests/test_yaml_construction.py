"""YAML values PyYAML recognises but cannot build.

PyYAML's implicit timestamp pattern takes ``2001-13-01``, and its constructor then raises ``ValueError`` from
``datetime``, outside ``yaml.YAMLError``; so do a 4,301-digit integer, ``!!bool 1e3`` and ``!!float abc``.
Before, the exception escaped the YAML fact and every fact and rule reading the YAML failed: X001 on
correct code for an impossible date, which Hydra (OmegaConf's loader has no timestamp rule) reads as text.
Now an impossible date written plain is that text, and every other value that cannot be built makes the
file a YAML problem at the value's line (R102, "does not load"), as it fails OmegaConf's loader too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from expcheck import check_files
from expcheck.facts import _load_yaml

ROOT = Path(__file__).resolve().parent.parent
READY = ROOT / "examples" / "ready_bundle.json"
CONTEXT = str(ROOT / "examples" / "ready_context.yaml")

# Plain scalars PyYAML's timestamp pattern takes but datetime refuses; OmegaConf's loader reads them as text.
IMPOSSIBLE_DATES = [
    "2001-13-01",
    "2001-02-30",
    "2001-00-10",
    "2001-12-14t25:59:43.10-05:00",
    "2001-12-14 21:59:43.10 +25:00",
    "2001-12-14T21:61:43Z",
]
# Values neither PyYAML's safe loader nor OmegaConf's can build: a real run stops loading the config.
UNBUILDABLE = ["1" * 4301, "!!bool 1e3", "!!float abc", "!!int ''", "!!timestamp 2001-13-01", "!!timestamp soon"]


def _omegaconf_reads(text: str) -> object:
    return OmegaConf.to_container(OmegaConf.create(text))


@pytest.mark.parametrize("value", IMPOSSIBLE_DATES)
def test_an_impossible_date_is_the_text_omegaconf_reads(value: str) -> None:
    text = f"start: {value}\nother: [{value}, {{at: {value}}}]\n"
    with pytest.raises(ValueError):
        yaml.load(text, Loader=yaml.SafeLoader)  # PyYAML's own loader refuses it
    expected = {"start": value, "other": [value, {"at": value}]}
    assert _omegaconf_reads(text) == expected
    assert _load_yaml(text)[0] == expected


def test_a_possible_date_is_still_built_as_pyyaml_builds_it() -> None:
    for text in ("d: 2001-02-03\n", "d: 2001-12-14t21:59:43.10-05:00\n", "d: !!timestamp 2001-02-03\n", "d: [2002-02-28]"):
        assert _load_yaml(text)[0] == yaml.load(text, Loader=yaml.SafeLoader)


@pytest.mark.parametrize("value", UNBUILDABLE)
def test_a_value_no_loader_builds_is_a_problem_at_its_line(value: str) -> None:
    text = f"seed: 1\nlr: {value}\n"
    with pytest.raises(Exception):  # noqa: B017 - OmegaConf's loader fails too, with whatever Python raises
        _omegaconf_reads(text)
    with pytest.raises(yaml.constructor.ConstructorError) as failure:
        _load_yaml(text)
    assert failure.value.problem_mark is not None and failure.value.problem_mark.line == 1
    assert "cannot be built" in str(failure.value.problem)
    assert len(str(failure.value.problem)) < 300  # the 4,301 digits are not quoted whole


def test_an_impossible_date_behind_a_byte_order_mark_or_an_anchor() -> None:
    assert _load_yaml("\ufeffd: 2001-13-01\n")[0] == {"d": "2001-13-01"}
    assert _load_yaml("a: &x 2001-13-01\nb: *x\n")[0] == {"a": "2001-13-01", "b": "2001-13-01"}
    with pytest.raises(yaml.constructor.ConstructorError):
        _load_yaml("\ufeffd: !!timestamp 2001-13-01\n")
    with pytest.raises(yaml.constructor.ConstructorError):
        _load_yaml("d: &x !!timestamp 2001-13-01\n")


def test_the_same_through_pyyaml_s_own_construction_path() -> None:
    """A merge key makes the fact hand the document to PyYAML's constructor: the answers are the same."""
    assert _load_yaml("base: &b {lr: 1}\nrun:\n  <<: *b\n  start: 2001-02-30\n")[0] == {
        "base": {"lr": 1},
        "run": {"lr": 1, "start": "2001-02-30"},
    }
    with pytest.raises(yaml.constructor.ConstructorError):
        _load_yaml("base: &b {lr: 1}\nrun:\n  <<: *b\n  lr: !!float fast\n")


def _bundle_with(line: str) -> dict[str, str]:
    bundle: dict[str, str] = json.loads(READY.read_text(encoding="utf-8"))
    bundle["config_yaml"] = bundle["config_yaml"] + line
    return bundle


def _judged(bundle: dict[str, str]) -> tuple[bool, list[tuple[str, str, int | None]]]:
    report = check_files(bundle, context=CONTEXT)
    return report.ready, sorted((f.rule, f.path, f.line) for f in report.findings)


@pytest.mark.parametrize("value", IMPOSSIBLE_DATES)
def test_a_config_with_an_impossible_date_is_judged_as_one_with_a_plain_string(value: str) -> None:
    ready, findings = _judged(_bundle_with(f"start_date: {value}\n"))
    assert (ready, findings) == _judged(_bundle_with('start_date: "someday"\n'))
    assert ready
    assert not any(rule.startswith("X") for rule, _path, _line in findings)


@pytest.mark.parametrize("value", UNBUILDABLE)
def test_a_config_with_a_value_no_loader_builds_is_not_ready_with_r102_at_the_value(value: str) -> None:
    bundle = _bundle_with(f"start_date: {value}\n")
    line = bundle["config_yaml"].count("\n")
    report = check_files(bundle, context=CONTEXT)
    assert not report.ready
    assert not any(f.rule.startswith("X") for f in report.findings)
    r102 = [f for f in report.findings if f.rule == "R102"]
    assert len(r102) == 1 and r102[0].line == line and r102[0].message.startswith("YAML does not load:")


def test_the_mode_key_repair_reads_the_config_as_the_facts_do() -> None:
    """C204's repair appends the missing mode key and checks the result by reading both texts: with an
    impossible date in the file, PyYAML's own loader raised there and the finding lost its repair."""
    bundle = _bundle_with("start_date: 2001-13-01\n")
    bundle["config_yaml"] = bundle["config_yaml"].replace("mode: full\n", "")
    report = check_files(bundle, context=CONTEXT)
    assert report.internal_errors == []
    assert [(f.rule, f.fixable) for f in report.findings] == [("C204", True)]


@pytest.mark.parametrize("kind", ["context", "profile"])
def test_an_input_file_with_a_value_no_loader_builds_is_bad_input(tmp_path: Path, kind: str) -> None:
    """A context or profile file with such a value is refused in one line (exit 2), never an internal error."""
    text = {"context": "research_hypothesis: h\nlr: !!bool 1e3\n", "profile": "name: p\nextends: airas-v1\nx: !!bool 1e3\n"}
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text[kind], encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "expcheck", "check", str(READY), f"--{kind}", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "bool value '1e3' cannot be built" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_context_with_an_impossible_date_is_read() -> None:
    from expcheck.inputs.limits import load_yaml_input

    assert load_yaml_input("research_hypothesis: h\nwhen: 2001-02-30\n", "c.yaml", "context") == {
        "research_hypothesis": "h",
        "when": "2001-02-30",
    }
