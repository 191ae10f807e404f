"""The profile schema: a review contract written as data.

A profile says which files a repository must hold, where run configs live, which commands the
pipeline will run, how trial and full mode are switched, and how to recognise the contract. The
built-in profiles are YAML files beside this module; users pass their own with ``--profile FILE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from expcheck.model import Model, field


class _Strict(Model):
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}  # validating a profile file: unknown keys are refused


@dataclass(frozen=True, kw_only=True)
class TextMarkers(_Strict):
    """Phrases looked up in a trace's contract text (case-sensitive substrings)."""

    all_of: list[str] = field(default_factory=list, description="every phrase must appear")
    none_of: list[str] = field(default_factory=list, description="no phrase may appear")


@dataclass(frozen=True, kw_only=True)
class Detection(_Strict):
    """How to recognise that an input was written against this contract."""

    priority: int = field(0, description="higher wins when several profiles match")
    contract_text: TextMarkers | None = field(None, description="markers in a trace's instructions")
    bundle_keys_any: list[str] = field(default_factory=list, description="a bundle holding any of these keys")
    repo_paths_any: list[str] = field(
        default_factory=list, description="a repository holding any of these paths (a trailing / means folder)"
    )
    repo_text_any: list[str] = field(
        default_factory=list, description="phrases in the repository's Python or YAML files"
    )


@dataclass(frozen=True, kw_only=True)
class Modes(_Strict):
    """How the documented command switches between a quick trial run and the full run."""

    key: str = field(description="the config key the switch sets, e.g. mode or trial_mode")
    trial_override: str = field(description="the override that selects trial mode, e.g. mode=trial")
    full_override: str | None = field(None, description="the override that selects full mode, if any")


@dataclass(frozen=True, kw_only=True)
class Commands(_Strict):
    """The commands the pipeline runs; {run_id}, {results_dir} and {run_ids_json} are filled in."""

    train: str
    evaluate: str | None = None


@dataclass(frozen=True, kw_only=True)
class Outputs(_Strict):
    """What train and evaluate must log and write under this contract (W&B, evaluation outputs, figures).

    Rules of criteria C3, C6 and C8 read it; a profile without it (older contracts) is not judged on
    these points.
    """

    wandb: Literal["required", "optional"] = field(
        "optional", description="required: train must call wandb.init and log metrics with wandb.log"
    )
    wandb_summary: bool = field(False, description="final/best metrics must be written to wandb.summary")
    optuna_trials_unlogged: bool = field(
        False, description="Optuna trials must not be logged to W&B (no init or log inside the objective)"
    )
    train_stdout_json: Literal["forbidden", "allowed"] = field(
        "allowed", description="forbidden: train.py writes no results.json and prints no JSON to stdout"
    )
    config_wandb_keys: list[str] = field(
        default_factory=list, description="keys config/config.yaml must hold under wandb: (entity, project)"
    )
    evaluate_standalone: bool = field(False, description="evaluate runs on its own; main never imports or launches it")
    evaluate_reads_wandb: bool = field(False, description="evaluate takes run data from the W&B API (wandb.Api)")
    per_run_metrics: str | None = field(None, description="file name evaluate writes per run, e.g. metrics.json")
    aggregated_metrics: str | None = field(
        None, description="file name of the cross-run summary evaluate writes, e.g. aggregated_metrics.json"
    )
    aggregated_keys: list[str] = field(default_factory=list, description="top-level keys the cross-run summary holds")
    gap_key: str | None = field(
        None, description="key of the relative gap whose sign must follow the primary metric's direction"
    )
    figure_names: list[str] = field(
        default_factory=list,
        description="regular expressions one of which every figure file name must fully match; "
        "each {expression} of an f-string name is written {}",
    )
    no_figures_in: list[str] = field(default_factory=list, description="files that must not save figures")
    significance_test: bool = field(False, description="evaluate must run a statistical significance test")
    cache_dir: str | None = field(
        None, description="folder every dataset and pretrained-model download must use as cache, e.g. .cache"
    )


@dataclass(frozen=True, kw_only=True)
class Clause(_Strict):
    """One requirement of the contract, and how to recognise that a contract text states it.

    A rule that enforces a contract clause names its id. When an input carries its own contract text
    (a review trace) and that text states none of the clause's patterns, the clause is not in force
    and its rules do not run; an input without a contract text is held to the clauses marked
    ``default``.
    """

    id: str = field(pattern=r"^[a-z][a-z0-9-]*$")
    text: str = field(description="what the clause asks, in a few words")
    stated_by: list[str] = field(
        min_length=1,
        description="regular expressions (case-insensitive); a contract text states the clause when one matches",
    )
    default: bool = field(True, description="in force for inputs without a contract text")


@dataclass(frozen=True, kw_only=True)
class ReviewClause(_Strict):
    """A clause no rule can decide, judged by the optional LLM review (``--llm``); kept claims about
    it are findings of its ``rule``."""

    id: str = field(pattern=r"^[a-z][a-z0-9-]*$")
    rule: str = field(pattern=r"^L\d{3}$", description="the L rule id its kept claims are reported under")
    criterion: str = field(description="the criterion its findings are grouped under, e.g. C4")
    title: str = field(description="what is wrong when the clause is broken, in a few words")
    asks: str = field(description="what the reviewer is asked to look for")


@dataclass(frozen=True, kw_only=True)
class VerdictKeys(_Strict):
    """The key names of the verdict object this contract's pipeline parses."""

    ready: str = "is_code_ready"
    issue: str = "code_issue"


@dataclass(frozen=True, kw_only=True)
class Profile(_Strict):
    name: str
    title: str
    description: str = ""
    required_files: list[str]
    extra_files: Literal["forbidden", "allowed"] = field(
        "forbidden", description="whether files beyond the required ones are a defect"
    )
    allowed_extra: list[str] = field(
        default_factory=list, description="glob patterns of files that may exist beside the required ones"
    )
    incidental: list[str] = field(
        default_factory=list,
        description="glob patterns of repository files that are not part of the code (docs, data, caches)",
    )
    run_config_dir: str | None = field(None, description="folder holding one <run_id>.yaml per experiment run")
    run_config_sections: list[str] = field(default_factory=list)
    run_configs_from: Literal["context", "submission"] = field(
        "context",
        description="who supplies the run configs: the research context (the pipeline), or the code "
        "generator as part of the submission (then a submission without any is not ready)",
    )
    commands: Commands
    modes: Modes | None = None
    verdict_keys: VerdictKeys = field(default_factory=VerdictKeys)
    outputs: Outputs | None = field(None, description="logging and output contract of train and evaluate")
    run_logs: list[str] = field(
        default_factory=list, description="log files main.py writes for each run it launches, e.g. stderr.log"
    )
    placeholder_data: bool = field(
        False, description="a base code: datasets stay placeholders, no real dataset may be loaded yet"
    )
    saves_model: bool = field(False, description="the training code must save the trained model")
    rules_off: list[str] = field(default_factory=list, description="rule ids or prefixes this contract does not use")
    honor_inline_ignores: bool = field(
        False,
        description="let `# expcheck: ignore[...]` comments in the submission's Python code silence rules; "
        "a user's own profile may turn it on, never the submission",
    )
    science: Literal["blocking", "advisory"] = field(
        "blocking",
        description="S (scientific validity) rules: blocking lets their certain findings block readiness; "
        "advisory reports every S finding as a warning",
    )
    severity: dict[str, Literal["error", "warning"]] = field(
        default_factory=dict, description="rule id or prefix -> severity this contract gives it"
    )
    detect: Detection = field(default_factory=Detection)
    clauses: list[Clause] = field(
        default_factory=list,
        description="the contract's clauses that rules enforce, with how a contract text states them",
    )
    review: list[ReviewClause] = field(
        default_factory=list,
        description="clauses the optional LLM review judges (what rules cannot decide); empty: expcheck's own "
        "(method fidelity, experimental design, result integrity)",
    )

    def severity_overrides(self) -> dict[str, str]:
        """Rule id prefix -> severity: the ``severity`` map, with S made a warning when S is advisory."""
        if self.science == "advisory":
            return {**self.severity, "S": "warning"}
        return dict(self.severity)

    def clause(self, clause_id: str) -> Clause | None:
        return next((c for c in self.clauses if c.id == clause_id), None)

    def run_config_path(self, run_id: str) -> str | None:
        if self.run_config_dir is None:
            return None
        return f"{self.run_config_dir.rstrip('/')}/{run_id}.yaml"
