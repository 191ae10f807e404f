"""Hostile input: every input is judged or refused in one line — never a crash, a hang, or a judgement
made on a file expcheck could not read. The inputs are built here, from the shipped ready example."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import expcheck
from expcheck.inputs import read_submission
from expcheck.limits import MAX_NESTING, MAX_TOML_NESTING, yaml_limit
from expcheck.submission import split_lines

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
READY: dict[str, str] = json.loads((EXAMPLES / "ready_bundle.json").read_text())
CONTEXT = EXAMPLES / "ready_context.yaml"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # A timeout guards against hangs only (nothing here is a speed target).
    return subprocess.run(
        [sys.executable, "-m", "expcheck", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def check_bundle(tmp_path: Path, bundle: dict[str, Any], name: str = "bundle.json") -> expcheck.Report:
    path = tmp_path / name
    path.write_text(json.dumps(bundle))
    return expcheck.check(str(path), context=str(CONTEXT))


def rules(report: expcheck.Report) -> set[str]:
    return {f.rule for f in report.findings}


def judged(report: expcheck.Report) -> expcheck.Report:
    """``report``, after asserting that it was judged and that no rule broke on the way."""
    assert report.error is None, report.error
    assert report.internal_errors == []
    return report


def test_the_ready_example_is_ready(tmp_path: Path) -> None:
    assert judged(check_bundle(tmp_path, READY)).ready


# --- Python nested past recursion ---------------------------------------------------------------

DEEP_PYTHON = {
    "600 unary minus": "X = " + "-" * 600 + "1\n",
    "2,500-term sum": "X = " + " + ".join(["1"] * 2500) + "\n",
    "attribute chain": "X = y" + ".a" * 700 + "\n",
    "call chain": "X = f" + "()" * 700 + "\n",
}


@pytest.mark.parametrize("line", DEEP_PYTHON.values(), ids=DEEP_PYTHON.keys())
def test_python_nested_past_recursion_is_a_finding(tmp_path: Path, line: str) -> None:
    report = judged(check_bundle(tmp_path, {**READY, "model_py": READY["model_py"] + line}))
    assert not report.ready
    [finding] = [f for f in report.findings if f.rule == "R104"]
    assert finding.path == "src/model.py"
    assert finding.line == READY["model_py"].count("\n") + 1
    assert finding.evidence.startswith("X = ")


@pytest.mark.parametrize("kind", ["-", " + 1", ".a", "()"])
def test_python_just_inside_the_limit_is_judged_without_errors(tmp_path: Path, kind: str) -> None:
    # Each element nests one tree level (two for `-`: UnaryOp, then the operand).
    count = MAX_NESTING // 2 - 5
    body = {"-": "-" * count + "1", " + 1": "1" + " + 1" * count, ".a": "y" + ".a" * count, "()": "f" + "()" * count}
    report = judged(check_bundle(tmp_path, {**READY, "model_py": READY["model_py"] + f"X = {body[kind]}\n"}))
    assert "R104" not in rules(report)


def test_python_past_the_parser_stack_is_judged_when_the_contract_is_detected(tmp_path: Path) -> None:
    # 60,000 unary minus signs overflow CPython's parser stack (MemoryError, not RecursionError); the
    # profile detection reads config keys from the same file and must not crash on it (found by fuzz.py).
    train = READY["train_py"] + "X = " + "-" * 60_000 + "1\n"
    report = judged(check_bundle(tmp_path, {**READY, "train_py": train}))
    assert not report.ready
    assert rules(report) & {"R101", "R104"}  # the file is reported as one Python cannot parse


def test_real_defect_plus_one_pathological_line_is_not_ready(tmp_path: Path) -> None:
    main = READY["main_py"].replace("cfg.results_dir", "cfg.result_dir", 1)
    assert main != READY["main_py"]
    report = judged(check_bundle(tmp_path, {**READY, "main_py": main}))
    assert "C701" in rules(report)
    deep = READY["model_py"] + DEEP_PYTHON["600 unary minus"]
    report = judged(check_bundle(tmp_path, {**READY, "main_py": main, "model_py": deep}))
    assert not report.ready
    assert {"C701", "R104"} <= rules(report)  # the defect elsewhere is still found


# --- pyproject.toml -----------------------------------------------------------------------------


def _deep_array(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_TOML_NESTING + 1, 90, 300, 600, 5000])
def test_pyproject_array_nested_past_uvs_limit_is_r201(tmp_path: Path, depth: int) -> None:
    pyproject = READY["pyproject_toml"] + f"\n[tool.deep]\nvalue = {_deep_array(depth)}\n"
    report = judged(check_bundle(tmp_path, {**READY, "pyproject_toml": pyproject}))
    assert not report.ready
    [finding] = [f for f in report.findings if f.rule == "R201"]
    assert "nested" in finding.message and finding.evidence.startswith("value = [[")


def test_pyproject_array_at_uvs_limit_is_fine(tmp_path: Path) -> None:
    pyproject = READY["pyproject_toml"] + f"\n[tool.deep]\nvalue = {_deep_array(MAX_TOML_NESTING)}\n"
    pyproject += "# [[[[[[ brackets in comments and strings do not count\nq = '[[[[[[['\n"
    report = judged(check_bundle(tmp_path, {**READY, "pyproject_toml": pyproject}))
    assert report.ready, [f.message for f in report.findings]


def test_dependency_table_plus_deep_array_is_not_ready(tmp_path: Path) -> None:
    pyproject = READY["pyproject_toml"].replace("dependencies = [", "old-dependencies = [", 1)
    pyproject += '\n[project.dependencies]\ntorch = ">=2.0"\n\n[tool.deep]\nvalue = ' + _deep_array(600) + "\n"
    report = judged(check_bundle(tmp_path, {**READY, "pyproject_toml": pyproject}))
    assert not report.ready


# --- YAML ---------------------------------------------------------------------------------------

DEEP_YAML = "deep: " + "[" * 50_000 + "]" * 50_000 + "\n"
BLOCK_YAML = "deep:\n" + "".join(" " * i + "- \n" for i in range(1, 150))  # block sequences, one per line


def _alias_bomb(levels: int = 6) -> str:
    names = [chr(ord("a") + i) for i in range(levels + 1)]
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for prev, name in itertools.pairwise(names):
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    return text


def test_yaml_nested_50000_deep_does_not_kill_the_process(tmp_path: Path) -> None:
    bundle = tmp_path / "deep.json"
    bundle.write_text(json.dumps({**READY, "config_yaml": READY["config_yaml"] + DEEP_YAML}))
    proc = run_cli("check", str(bundle), "--context", str(CONTEXT), "--format", "json")
    assert proc.returncode == 1, proc.stderr[-2000:]
    [report] = json.loads(proc.stdout)["reports"]
    assert report["internal_errors"] == []
    assert any(f["rule"] == "R104" and f["path"] == "config/config.yaml" for f in report["findings"])


@pytest.mark.parametrize("text", [DEEP_YAML, BLOCK_YAML, _alias_bomb()], ids=["flow", "block", "alias-bomb"])
def test_yaml_past_limits_in_a_run_config_is_r104(tmp_path: Path, text: str) -> None:
    context = yaml.safe_load(CONTEXT.read_text())
    context["experiment_runs"][0]["config_yaml"] = text
    ctx = tmp_path / "context.yaml"
    ctx.write_text(yaml.safe_dump(context))
    report = judged(expcheck.check(str(EXAMPLES / "ready_bundle.json"), context=str(ctx)))
    assert not report.ready
    assert any(f.rule == "R104" and f.path.startswith("config/runs/") for f in report.findings)


def test_yaml_limits_in_a_repository_directory(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for key, text in READY.items():
        path = repo / ("src/" + key.removesuffix("_py") + ".py" if key.endswith("_py") else "")
        if key == "config_yaml":
            path = repo / "config" / "config.yaml"
            text += _alias_bomb()
        elif key == "pyproject_toml":
            path = repo / "pyproject.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    report = judged(expcheck.check(str(repo), context=str(CONTEXT)))
    assert "R104" in rules(report) and not report.ready


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure-python"])
def test_yaml_limit_scan_with_either_parser(monkeypatch: pytest.MonkeyPatch, libyaml: bool) -> None:
    if libyaml and not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    monkeypatch.setattr(yaml, "__with_libyaml__", libyaml)
    assert yaml_limit(DEEP_YAML) is not None
    assert yaml_limit(BLOCK_YAML) is not None
    problem = yaml_limit(_alias_bomb())
    assert problem is not None and "alias" in problem.message
    assert yaml_limit(READY["config_yaml"]) is None
    assert yaml_limit("base: &b {lr: 0.1}\nrun: {<<: *b, epochs: 2}\nx: [*b, *b]\n") is None
    assert yaml_limit("a: [unclosed\n") is None  # syntax errors are the loader's to report


_RECURSIVE = {
    "mapping": "recm: &rm {a: 1, self: *rm}\n",
    "sequence": "rec: &r [1, *r]\n",
    "block": "outer: &o\n  inner:\n    back: *o\n",
}


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure-python"])
@pytest.mark.parametrize("text", sorted(_RECURSIVE.values()), ids=sorted(_RECURSIVE))
def test_recursive_alias_is_a_limit(monkeypatch: pytest.MonkeyPatch, libyaml: bool, text: str) -> None:
    """An alias inside the collection it names builds a value that contains itself: facts that walk config
    data never ended on it (120 s, gigabytes). It is refused where it stands; aliases to closed nodes are not."""
    if libyaml and not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    monkeypatch.setattr(yaml, "__with_libyaml__", libyaml)
    problem = yaml_limit(text)
    assert problem is not None and "contains itself" in problem.message
    assert (problem.line, problem.column) == _alias_place(text)
    assert yaml_limit("a: &x {b: 1}\nc: {d: *x}\n") is None
    assert yaml_limit("a: &x [1, &y 2, *y]\nb: [*x, *x]\n") is None


def _alias_place(text: str) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines(), 1):
        if "*" in line:
            return number, line.index("*") + 1
    raise AssertionError(text)


def test_recursive_alias_in_a_run_config_is_r104_in_time(tmp_path: Path) -> None:
    context = yaml.safe_load(CONTEXT.read_text())
    context["experiment_runs"][0]["config_yaml"] += _RECURSIVE["mapping"]
    ctx = tmp_path / "context.yaml"
    ctx.write_text(yaml.safe_dump(context))
    report = judged(expcheck.check(str(EXAMPLES / "ready_bundle.json"), context=str(ctx)))
    assert not report.ready
    assert any(f.rule == "R104" and "contains itself" in f.message for f in report.findings)


def test_lone_surrogate_in_a_yaml_comment_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    report = judged(check_bundle(tmp_path, {**READY, "config_yaml": READY["config_yaml"] + "# \ud800\n"}))
    assert not report.ready
    assert any(f.rule == "R103" and f.path == "config/config.yaml" for f in report.findings)


def test_surrogate_in_a_bundle_key_is_rejected(tmp_path: Path) -> None:
    report = judged(check_bundle(tmp_path, {**READY, "x\ud800_py": "print(1)\n"}))
    assert "C503" in rules(report)


# --- run ids and file names ---------------------------------------------------------------------


def test_run_id_longer_than_a_file_name(tmp_path: Path) -> None:
    run_id = "r" * 300
    context = yaml.safe_load(CONTEXT.read_text())
    context["experiment_runs"][0]["run_id"] = run_id
    ctx = tmp_path / "context.yaml"
    ctx.write_text(yaml.safe_dump(context))
    report = judged(expcheck.check(str(EXAMPLES / "ready_bundle.json"), context=str(ctx)))
    assert not report.ready


def test_bundle_key_longer_than_a_file_name(tmp_path: Path) -> None:
    report = judged(check_bundle(tmp_path, {**READY, "config/runs/" + "r" * 300 + ".yaml": "run_id: r\n"}))
    assert "C503" in rules(report)


# --- unreadable top-level input: exit 2, one line ----------------------------------------------


def _trace(bundle_json: str, output: str = '{"is_code_ready": true, "code_issue": ""}', crlf: bool = False) -> str:
    runs = yaml.safe_load(CONTEXT.read_text())["experiment_runs"]
    parts = ["LLM Name: test-model", "Input:", "# Instructions", "Check the code.", "# Experiment Runs"]
    for run in runs:
        parts += [f"- Run ID: {run['run_id']}", f"  Method: {run['method']}", "  Config:", "  ```yaml"]
        parts += ["  " + line for line in run["config_yaml"].splitlines()]
        parts += ["  ```"]
    parts += ["# Current Experiment (To be validated)", bundle_json, "Output:", output]
    return ("\r\n" if crlf else "\n").join(parts) + "\n"


DEEP_JSON = "[" * 5000 + "]" * 5000
MID_JSON = "[" * (MAX_NESTING + 5) + "]" * (MAX_NESTING + 5)


@pytest.mark.parametrize("deep", [DEEP_JSON, MID_JSON], ids=["past-json-recursion", "past-expcheck-limit"])
@pytest.mark.parametrize("where", ["bundle", "trace-code", "trace-output", "context", "profile"])
def test_deep_json_or_yaml_top_level_input_is_exit_2(tmp_path: Path, where: str, deep: str) -> None:
    bundle = dict(READY)
    args: list[str] = []
    target = tmp_path / "input.json"
    if where == "bundle":
        target.write_text(json.dumps(bundle)[:-1] + f', "extra": {deep}}}')
    elif where == "trace-code":
        target = tmp_path / "trace.txt"
        target.write_text(_trace(json.dumps(bundle)[:-1] + f', "extra": {deep}}}'))
    elif where == "trace-output":
        target = tmp_path / "trace.txt"
        target.write_text(_trace(json.dumps(bundle), output='{"is_code_ready": ' + deep + "}"))
    elif where == "context":
        target.write_text(json.dumps(bundle))
        ctx = tmp_path / "context.json"
        ctx.write_text('{"experiment_runs": ' + deep + "}")
        args = ["--context", str(ctx)]
    else:
        target.write_text(json.dumps(bundle))
        profile = tmp_path / "profile.yaml"
        profile.write_text("name: deep\nrequired_files: " + deep + "\n")
        args = ["--profile", str(profile)]
    proc = run_cli("check", str(target), *args, "--format", "verdict")
    assert proc.returncode == 2, proc.stdout + proc.stderr[-2000:]
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "nested" in proc.stderr
    if where != "profile":
        report = expcheck.check(str(target), **({"context": args[1]} if args else {}))
        assert report.error is not None and "nested" in report.error


# --- line model ---------------------------------------------------------------------------------


def test_split_lines_follows_each_parser() -> None:
    text = "a\x0cb\nc\r\nd\re\x85f\u2028g\n"
    assert split_lines(text, "src/x.py") == ["a\x0cb", "c", "d", "e\x85f\u2028g"]
    assert split_lines(text, "config/x.yaml") == ["a\x0cb", "c", "d", "e", "f", "g"]
    assert split_lines(text, "pyproject.toml") == ["a\x0cb", "c", "d\re\x85f\u2028g"]
    assert split_lines("", "x.py") == [] and split_lines("x", "x.py") == ["x"] and split_lines("\n", "x.py") == [""]


def test_control_characters_do_not_shift_python_lines(tmp_path: Path) -> None:
    noisy = "import os\x0c\n# odd characters: \x0b\x1c\x1d\x1e\x85\u2028\u2029\nx = 1\x0c\ndef f(:\n"
    report = judged(check_bundle(tmp_path, {**READY, "model_py": noisy}))
    [finding] = [f for f in report.findings if f.rule == "R101"]
    assert finding.line == 4 and finding.evidence == "def f(:"


def test_bom_at_the_start_of_every_python_value(tmp_path: Path) -> None:
    bundle = {key: ("\ufeff" + text if key.endswith(("_py", "_yaml")) else text) for key, text in READY.items()}
    assert judged(check_bundle(tmp_path, bundle)).ready


def test_crlf_trace_keeps_its_run_configs(tmp_path: Path) -> None:
    lf, crlf = tmp_path / "lf.txt", tmp_path / "crlf.txt"
    lf.write_text(_trace(json.dumps(READY)))
    crlf.write_bytes(_trace(json.dumps(READY), crlf=True).encode())
    want = read_submission(str(lf)).context.runs
    assert want and all(run.config_text for run in want)
    assert read_submission(str(crlf)).context.runs == want
    report_lf, report_crlf = expcheck.check(str(lf)), expcheck.check(str(crlf))
    assert [f.rule for f in judged(report_crlf).findings] == [f.rule for f in judged(report_lf).findings]


def test_duplicate_bundle_key_is_a_finding(tmp_path: Path) -> None:
    text = json.dumps(READY)[:-1] + ', "model_py": "print(1)\\n"}'
    path = tmp_path / "dup.json"
    path.write_text(text)
    report = judged(expcheck.check(str(path), context=str(CONTEXT)))
    assert any(f.rule == "C503" and f.path == "model_py" and "duplicate" in f.message for f in report.findings)
    assert not report.ready


def test_two_keys_for_one_file_is_a_finding(tmp_path: Path) -> None:
    report = judged(check_bundle(tmp_path, {**READY, "src/model.py": "print(1)\n"}))
    assert any(f.rule == "C503" and "same file" in f.message for f in report.findings)


# --- repositories -------------------------------------------------------------------------------


def _repo(root: Path) -> Path:
    for key, text in READY.items():
        if key.endswith("_py"):
            path = root / "src" / (key.removesuffix("_py") + ".py")
        elif key == "config_yaml":
            path = root / "config" / "config.yaml"
        else:
            path = root / "pyproject.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_in_a_repository_is_skipped_with_a_finding(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    os.mkfifo(repo / "src" / "utils.py")
    os.mkfifo(repo / "config" / "data.yaml")
    proc = run_cli("check", str(repo), "--context", str(CONTEXT), "--format", "json")
    assert proc.returncode == 1, proc.stderr[-2000:]
    [report] = json.loads(proc.stdout)["reports"]
    fifo = [f for f in report["findings"] if f["rule"] == "C503"]
    assert {f["path"] for f in fifo} == {"src/utils.py", "config/data.yaml"}
    assert all("FIFO" in f["message"] for f in fifo)


def test_repository_larger_than_the_input_limit_is_not_read_past_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    blob = ("# padding line\n" * 120_000)[:1_900_000]
    for i in range(10):
        (repo / "data").mkdir(exist_ok=True)
        (repo / "data" / f"notes{i}.txt").write_text(blob)
    (repo / "src" / "extra.py").write_text(blob)
    sub = read_submission(str(repo))
    assert sum(len(f.text) for f in sub.files.values()) <= 16 * 1024 * 1024
    assert sub.files["src/train.py"].unreadable is None  # code is read before other files


def test_python_dash_m_does_not_import_the_submissions_modules(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    canary = tmp_path / "canary"
    for name in ("dataclasses", "json", "re", "typing", "yaml", "ast", "tomllib"):
        (repo / f"{name}.py").write_text(f"open({str(canary)!r}, 'a').write('{name}')\nraise SystemExit(99)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    proc = subprocess.run(
        [sys.executable, "-m", "expcheck", "check", ".", "--format", "verdict"],
        capture_output=True,
        text=True,
        cwd=repo,
        env=env,
        timeout=300,
    )
    assert not canary.exists(), canary.read_text()
    assert proc.returncode == 1, proc.stderr[-2000:]


def test_code_past_the_parse_limits_is_unreadable_not_parsed(tmp_path: Path) -> None:
    from expcheck.inputs.limits import MAX_JUDGED_FILE_BYTES, MAX_JUDGED_TOTAL_BYTES

    line = "x = 1  # filler\n"
    big = line * (MAX_JUDGED_FILE_BYTES // len(line) + 1)
    report = judged(check_bundle(tmp_path, {**READY, "model_py": READY["model_py"] + big}))
    assert any(f.rule == "R103" and f.path == "src/model.py" for f in report.findings)
    part = line * (MAX_JUDGED_FILE_BYTES // len(line) - 100)  # each file fits; together they pass the total
    extra = {f"src/part{i}.py": part for i in range(MAX_JUDGED_TOTAL_BYTES // len(part) + 1)}
    report = judged(check_bundle(tmp_path, {**READY, **extra}))
    unread = {f.path for f in report.findings if f.rule == "R103"}
    assert unread and unread < set(extra)  # the later ones, in path order, past the total
    assert not report.ready


@pytest.mark.parametrize("depth", [MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1])
def test_yaml_limit_shortcut_agrees_with_the_event_scan(depth: int) -> None:
    """The text test that skips the event scan (few collection indicators, no alias) never hides a limit."""
    from expcheck import limits

    texts = [
        "[" * depth + "]" * depth,  # flow sequences: one indicator per level
        "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n",  # block mappings
        "- " * depth + "x\n",  # block sequences on one line
        "a: 1\nb: [1, 2]\n",
    ]
    for text in texts:
        if limits._plainly_within(text):
            assert limits._scan_events(yaml.CSafeLoader(text) if yaml.__with_libyaml__ else yaml.SafeLoader(text)) is None
        assert (yaml_limit(text) is not None) == (depth > MAX_NESTING and text != texts[-1])


def test_tree_within_agrees_with_tree_depth() -> None:
    import ast

    from expcheck.limits import tree_depth, tree_within

    sources = [
        "x = " + "-" * 120 + "1",
        "1" + "+1" * 120,
        "a" + ".b" * 99,
        "x = " + "(" * 95 + "1" + ")" * 95,
        "x < y < z\nimport a.b as c\nglobal q\nfor i in r:\n    break\n",
        "[" * 97 + "1" + "]" * 97,
        "[" * 98 + "]" * 98,
        READY["train_py"],
    ]
    for source in sources:
        tree = ast.parse(source)
        depth = tree_depth(tree, 10**6)[0]
        for limit in (1, 2, 5, 10, depth - 1, depth, depth + 1, MAX_NESTING):
            assert tree_within(tree, limit) == (depth <= limit), (source[:30], limit)
