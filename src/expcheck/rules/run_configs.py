"""C7 — run configs: one per experiment run, named by its id, with the contract's sections and valid search spaces.

Run configs usually come from the pipeline's research context rather than from the code generator,
so defects in their content are warnings; a missing run config is an error (the run cannot start).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from expcheck.facts import Facts, experiment_runs
from expcheck.rules.base import Example, Hit, rule
from expcheck.rules.examples_repo import RUN_V2, v2

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SPACE_TYPES = {
    "float": "range",
    "uniform": "range",
    "loguniform": "log",
    "log_uniform": "log",
    "int": "range",
    "int_uniform": "range",
    "intuniform": "range",
    "discrete_uniform": "range",
    "categorical": "choices",
    "choice": "choices",
}


def _run_files(facts: Facts) -> dict[str, tuple[str, Any]]:
    """run id -> (path, parsed YAML) for each run config file in the profile's folder."""
    folder = (facts.profile.run_config_dir or "").rstrip("/")
    out: dict[str, tuple[str, Any]] = {}
    if not folder:
        return out
    for path, doc in facts.yaml.items():
        pure = PurePosixPath(path)
        if str(pure.parent) == folder:
            out[pure.stem] = (path, doc.data)
    return out


def _key_line(facts: Facts, path: str, key: str) -> int:
    pattern = re.compile(rf"\s*{re.escape(key)}\s*:")
    for number, text in enumerate(facts.files[path].lines, start=1):
        if pattern.match(text):
            return number
    return 1


@rule(
    id="C703",
    name="run-config-missing",
    criterion="C7",
    severity="error",
    confidence="certain",
    known_limits="None known: the run's config file is absent from where the profile keeps it.",
    title="An experiment run has no run config file",
    why="The command run=<id> needs config/run(s)/<id>.yaml; without it the run cannot start.",
    fix="Add the run config at the profile's run-config folder, named exactly by the run id.",
    bad=[
        Example(
            files={"config/config.yaml": "run: ???\n", "config/runs/other.yaml": "run_id: other\n"},
            runs=(("proposed-mlp", None),),
            expect=(("config/runs/proposed-mlp.yaml", None),),
        )
    ],  # type: ignore[arg-type]
    good=[v2()],
)
def run_config_missing(facts: Facts) -> Iterator[Hit]:
    for run in experiment_runs(facts):
        path = facts.profile.run_config_path(run.run_id)
        if path is not None and _SAFE_ID.match(run.run_id) and path not in facts.files:
            yield Hit(path=path, line=None, message=f"experiment run {run.run_id!r} has no run config at {path}")


@rule(
    id="C709",
    name="run-configs-absent",
    criterion="C7",
    severity="error",
    confidence="certain",
    known_limits="Only for profiles with run_configs_from: submission; a pipeline that adds the run configs "
    "after the review should judge with a profile that says run_configs_from: context.",
    title="No run config at all, where the contract makes them part of the submission",
    why="""Under this contract the code generator writes one run config per experiment run
        (config/runs/<run_id>.yaml). Without any, `run=<id>` has nothing to load, and the checks that
        compose each run's config (Hydra overrides, config keys) have nothing to check.""",
    fix="Add one run config per experiment run to the run-config folder, named by its run id.",
    bad=[v2(runs=(), expect=(("config/runs/", None),))],
    good=[v2()],
)
def run_configs_absent(facts: Facts) -> Iterator[Hit]:
    profile = facts.profile
    if profile.run_configs_from != "submission" or profile.run_config_dir is None:
        return
    folder = profile.run_config_dir.rstrip("/") + "/"
    if facts.submission.context.runs or any(path.startswith(folder) for path in facts.files):
        return
    yield Hit(
        path=folder,
        line=None,
        message=f"no run config in {folder} and no experiment run is known: the {profile.name} contract "
        "makes the run configs part of the code",
        evidence=f"(no file under {folder})",
        fix=f"Add {folder}<run_id>.yaml for every experiment run"
        + (f", with {', '.join(profile.run_config_sections)}." if profile.run_config_sections else "."),
    )


@rule(
    id="C704",
    name="run-id-unusable",
    criterion="C7",
    severity="warning",
    confidence="inferred",
    known_limits="""Hydra accepts such an id when the pipeline quotes it (run='a (b)'), and real pipelines do:
        code with these ids ran in CI. It blocks nothing; it says where an unquoted command breaks.""",
    title="Run id needs quoting to pass as run=<id>",
    why="""The run id travels on the command line (run=<id>), into file names and W&B run names. Spaces
        or parentheses split an unquoted shell argument and break Hydra's unquoted override grammar
        (`mismatched input`); only a command that quotes the id (run='<id>') passes it.""",
    fix="Use run ids made of letters, digits, '-', '_' and '.', e.g. proposed-resnet18-cifar10c.",
    bad=[
        v2(
            runs=(("proposed (v1) mlp", RUN_V2.format(run_id="'proposed (v1) mlp'", method="proposed")),),
            expect=(("config/runs/proposed (v1) mlp.yaml", 1),),
        )
    ],
    good=[v2()],
)
def run_id_unusable(facts: Facts) -> Iterator[Hit]:
    if facts.profile.run_config_dir is None:
        return
    for run in experiment_runs(facts):
        if _SAFE_ID.match(run.run_id):
            continue
        path = facts.profile.run_config_path(run.run_id)
        if path in facts.files:
            yield Hit(
                path=path,
                line=_key_line(facts, path, "run_id"),
                message=f"run id {run.run_id!r} is not a plain token: the command must quote it",
            )


@rule(
    id="C705",
    name="run-config-content",
    criterion="C7",
    severity="warning",
    confidence="certain",
    clause="run-config-sections",
    known_limits="None known: the sections are read from the YAML.",
    title="Run config lacks a section or names another run",
    why="""Each run config should hold run_id (equal to its file name), method, model, dataset, training and
        optuna, so the code can read them the same way for every run.""",
    fix="Add the missing sections; make run_id equal the file name.",
    bad=[
        v2(
            runs=(("proposed-mlp", "method: proposed\nrun_id: something-else\n"),),
            note="sections missing: a finding on the whole file (line 1); run_id: on its line",
            expect=(("config/runs/proposed-mlp.yaml", 1), ("config/runs/proposed-mlp.yaml", 2)),
        )
    ],
    good=[v2()],
)
def run_config_content(facts: Facts) -> Iterator[Hit]:
    wanted = facts.profile.run_config_sections
    for run_id, (path, data) in sorted(_run_files(facts).items()):
        if not isinstance(data, dict):
            yield Hit(path=path, line=1, message=f"{path} is not a mapping of sections")
            continue
        missing = [s for s in wanted if s not in data]
        if missing:
            yield Hit(path=path, line=1, message=f"{path} has no {', '.join(missing)} section(s)")
        if "run_id" in data and str(data["run_id"]) != run_id:
            yield Hit(
                path=path,
                line=_key_line(facts, path, "run_id"),
                message=f"run_id {data['run_id']!r} differs from the file name {run_id!r}",
            )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _space_problems(name: str, spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return [] if isinstance(spec, list) and spec else [f"{name}: not a mapping"]
    kind = str(spec.get("type", spec.get("distribution", ""))).lower()
    family = _SPACE_TYPES.get(kind)
    if family is None:
        if "choices" in spec or "values" in spec:
            family = "choices"
        elif "low" in spec and "high" in spec:
            family = "log" if spec.get("log") else "range"
        else:
            return [f"{name}: unknown search-space type {kind or '(none)'!r}"]
    if family == "choices":
        choices = spec.get("choices", spec.get("values"))
        return [] if isinstance(choices, list) and choices else [f"{name}: no choices"]
    low, high = _number(spec.get("low")), _number(spec.get("high"))
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return [f"{name}: low/high are not numbers"]
    problems = []
    if not low < high:
        problems.append(f"{name}: low {spec.get('low')} is not below high {spec.get('high')}")
    if (family == "log" or spec.get("log")) and low <= 0:
        problems.append(f"{name}: a log scale needs low > 0")
    return problems


@rule(
    id="C706",
    name="optuna-space-invalid",
    criterion="C7",
    severity="warning",
    confidence="inferred",
    known_limits="""Reads the search space in the common low/high/choices shape; a space written in another shape that the code interprets itself can be misjudged.""",
    title="Optuna search space is malformed",
    why="""Optuna raises on a range with low >= high, a log range with low <= 0, or an empty categorical
        list, and an unknown distribution type reaches no suggest_* call.""",
    fix="Give each parameter a known type and a valid range (low < high, low > 0 for log) or non-empty choices.",
    bad=[
        v2(
            runs=(
                (
                    "proposed-mlp",
                    RUN_V2.format(run_id="proposed-mlp", method="proposed").replace("low: 1.0e-4", "low: 0.0"),
                ),
            ),
            expect=(("config/runs/proposed-mlp.yaml", 8),),
        )
    ],
    good=[v2()],
)
def optuna_space_invalid(facts: Facts) -> Iterator[Hit]:
    for _, (path, data) in sorted(_run_files(facts).items()):
        optuna = data.get("optuna") if isinstance(data, dict) else None
        space = optuna.get("search_space") if isinstance(optuna, dict) else None
        if not isinstance(space, dict):
            continue
        for name, spec in space.items():
            for problem in _space_problems(str(name), spec):
                yield Hit(path=path, line=_key_line(facts, path, str(name)), message=f"search space {problem}")


@rule(
    id="C707",
    name="unlisted-run-config",
    criterion="C7",
    severity="warning",
    confidence="inferred",
    known_limits="""Compares run-config file names with the research context's run ids; a helper config kept in that folder on purpose is reported.""",
    title="Run config for a run the research context does not list",
    why="A run config no experiment run names is never run; it is usually a stale or misnamed copy.",
    fix="Delete it, or rename it to the run id it belongs to.",
    bad=[v2(extra={"config/runs/old-run.yaml": "run_id: old-run\n"}, expect=(("config/runs/old-run.yaml", 1),))],
    good=[v2()],
)
def unlisted_run_config(facts: Facts) -> Iterator[Hit]:
    listed = {r.run_id for r in experiment_runs(facts)}
    if not listed:
        return
    for run_id, (path, _) in sorted(_run_files(facts).items()):
        if run_id not in listed:
            yield Hit(path=path, line=1, message=f"{path} belongs to no listed experiment run")
