"""code_issue for the code generator: grouped by cause, in cause order, concrete fixes, within a budget;
the full report keeps every finding."""

from __future__ import annotations

import json
from pathlib import Path

from expcheck import check_files
from expcheck.causes import cause_of
from expcheck.findings import Finding, Severity
from expcheck.rules.base import all_rules
from expcheck.rules.examples_repo import MAIN_V2, v2
from expcheck.verdict import blocks, make_verdict

ROOT = Path(__file__).resolve().parent.parent


def _finding(rule: str, path: str, line: int, message: str, fix: str = "Fix it.", severity: str = "error") -> Finding:
    return Finding(
        rule=rule,
        criterion="R" if rule.startswith("R") else rule[:2],
        severity=Severity(severity),
        path=path,
        line=line,
        message=message,
        fix=fix,
    )


def test_same_rule_and_fix_is_one_item_listing_its_places() -> None:
    findings = [
        _finding("C608", "src/evaluate.py", n, f"evaluate reads '{key}' from the run summary, but train never writes it")
        for n, key in ((61, "val_true_pos"), (62, "val_false_pos"), (63, "val_true_neg"))
    ]
    issue = make_verdict(findings).code_issue
    items = [line for line in issue.splitlines() if line.startswith("- ")]
    assert len(items) == 1
    item = items[0]
    assert item.count("from the run summary, but train never writes it") == 1
    for n, key in ((61, "val_true_pos"), (62, "val_false_pos"), (63, "val_true_neg")):
        assert f"'{key}' at src/evaluate.py line {n}" in item
    assert item.count("Fix: Fix it.") == 1


def test_places_are_grouped_by_what_differs_and_by_file() -> None:
    findings = [
        _finding("C105", path, line, f"placeholder '{name}' left in the code")
        for path, line, name in (
            ("src/model.py", 40, "MODEL_PLACEHOLDER"),
            ("src/model.py", 43, "MODEL_PLACEHOLDER"),
            ("config/x.yaml", 9, "MODEL_PLACEHOLDER"),
            ("src/model.py", 50, "PLACEHOLDER"),
        )
    ]
    item = make_verdict(findings).code_issue.splitlines()[1]
    assert "4 places: 'MODEL_PLACEHOLDER' at config/x.yaml line 9 and src/model.py lines 40, 43; 'PLACEHOLDER' at src/model.py line 50." in item


def test_a_different_fix_is_a_different_item() -> None:
    findings = [
        _finding("C701", "src/train.py", 3, "reads 'a'", fix="Add `a` to config/config.yaml."),
        _finding("C701", "src/train.py", 4, "reads 'b'", fix="Add `b` to config/config.yaml."),
    ]
    assert len([line for line in make_verdict(findings).code_issue.splitlines() if line.startswith("- ")]) == 2


def test_items_come_in_cause_order() -> None:
    findings = [
        _finding("C101", "src/model.py", 1, "marker left"),
        _finding("R301", "src/train.py", 5, "undefined name"),
        _finding("C701", "src/train.py", 9, "missing key"),
        _finding("R402", "src/train.py", 2, "missing symbol"),
        _finding("R203", "pyproject.toml", 6, "dependencies is a table"),
    ]
    issue = make_verdict(findings).code_issue
    order = [issue.index(f"[{rule}]") for rule in ("R203", "R402", "C701", "R301", "C101")]
    assert order == sorted(order)
    headings = [line for line in issue.splitlines() if not line.startswith("- ")]
    assert [h.split(" ")[0] for h in headings] == ["Install", "Import", "Configuration", "Runtime", "Contract"]


def test_every_rule_has_a_cause() -> None:
    for rule in all_rules():
        assert cause_of(rule.id) in ("install", "import", "configuration", "runtime", "contract", "check"), rule.id


def test_only_blocking_findings_are_listed() -> None:
    warning = _finding("R206", "pyproject.toml", 1, "no requires-python", severity="warning")
    assert not blocks(warning)
    assert make_verdict([warning]).is_code_ready
    error = _finding("R203", "pyproject.toml", 6, "dependencies is a table")
    assert "R206" not in make_verdict([warning, error]).code_issue


def test_budget_is_kept_and_the_rest_is_counted() -> None:
    findings = [
        _finding(f"R3{n % 10:02d}", f"src/m{n}.py", n + 1, "x" * 150, fix=f"Fix number {n}.") for n in range(80)
    ]
    for budget in (4000, 1000, 300):
        issue = make_verdict(findings, budget=budget).code_issue
        assert len(issue) <= budget, (budget, len(issue))
        last = issue.splitlines()[-1]
        assert last.startswith("… and ") and "full report" in last
        shown = sum(1 for line in issue.splitlines() if line.startswith("- "))
        hidden_items = int(last.split()[2])
        assert shown + hidden_items == 80


def test_grouping_loses_no_finding_in_the_report() -> None:
    bundle = json.loads((ROOT / "examples" / "defective_bundle.json").read_text(encoding="utf-8"))
    report = check_files(bundle, issue_budget=300)
    assert len(report.findings) == report.summary.errors + report.summary.warnings
    everything = check_files(bundle)
    assert [f.model_dump() for f in report.findings] == [f.model_dump() for f in everything.findings]


def test_r203_fix_lists_the_submissions_own_dependencies() -> None:
    bundle = json.loads((ROOT / "examples" / "defective_bundle.json").read_text(encoding="utf-8"))
    fix = next(f.fix for f in check_files(bundle).findings if f.rule == "R203")
    for requirement in ('"torch>=2.2"', '"datasets>=2.19"', '"hydra-core>=1.3"'):
        assert requirement in fix
    assert "torch>=2.0" not in fix


def test_r202_fix_is_the_pep621_table_built_from_poetry() -> None:
    pyproject = (
        '[tool.poetry]\nname = "exp"\nversion = "0.2.0"\n\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\ntorch = "^2.1"\nwandb = "*"\nhydra-core = {version = "~1.3.2"}\n'
    )
    fix = next(f.fix for f in check_files({"pyproject.toml": pyproject}).findings if f.rule == "R202")
    table = fix.split("\n", 1)[1]
    import tomllib

    project = tomllib.loads(table)["project"]
    assert project["name"] == "exp" and project["version"] == "0.2.0"
    assert project["requires-python"] == ">=3.11,<4"
    assert project["dependencies"] == ["torch>=2.1,<3", "wandb", "hydra-core>=1.3.2,<1.4"]


def test_missing_key_fix_names_the_key_and_the_file() -> None:
    example = v2(main=MAIN_V2.replace("cfg.run.training.lr", "cfg.run.training.learning_rate"))
    runs = {rid: text for rid, text in example.runs}
    report = check_files({**example.files, "run_configs": runs}, profile="airas-v2", select=["C701"])
    fixes = [f.fix for f in report.findings if f.rule == "C701"]
    assert fixes and "`training.learning_rate`" in fixes[0]
    for run_id in runs:
        assert f"config/runs/{run_id}.yaml" in fixes[0]


def test_one_long_item_is_cut_and_counted_so_later_causes_still_show() -> None:
    findings = [
        _finding("C701", "src/train.py", n, f"`cfg.k{n}` reads 'k{n}', which is missing" + (" here" * (n % 3)), fix="Same.")
        for n in range(1, 200)
    ]
    findings.append(_finding("C101", "src/model.py", 3, "marker left"))
    issue = make_verdict(findings).code_issue
    assert len(issue) <= 4000
    assert "more places (see the full report)" in issue
    assert "[C101]" in issue  # the contract item after the long configuration item is not crowded out


def test_cli_issue_budget(capsys) -> None:  # type: ignore[no-untyped-def]
    from expcheck.cli import main

    bundle = str(ROOT / "examples" / "defective_bundle.json")
    context = str(ROOT / "examples" / "ready_context.yaml")
    assert main(["check", bundle, "--context", context, "-f", "verdict", "--issue-budget", "400"]) == 1
    issue = json.loads(capsys.readouterr().out)["code_issue"]
    assert len(issue) <= 400 and "full report" in issue.splitlines()[-1]
    assert main(["check", bundle, "-f", "verdict", "--issue-budget", "10"]) == 2  # too small: usage error
