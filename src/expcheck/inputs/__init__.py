"""Read any input form into a Submission and pick its contract profile.

``load`` is the one entry point: it dispatches on the input's form (directory, bundle JSON, review
trace), applies ``--context`` and the profile, and places the run configs the research context
supplies where the profile says they live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from expcheck.errors import InputError
from expcheck.inputs.bundle import files_from_bundle, parse_bundle_text, source_file, unwrap_bundle
from expcheck.inputs.context import context_from_mapping, read_context
from expcheck.inputs.directory import submission_from_directory
from expcheck.inputs.limits import limit_judged, read_text_file
from expcheck.inputs.trace import looks_like_trace, submission_from_trace
from expcheck.paths import unsafe_reason
from expcheck.profiles import load_profile
from expcheck.profiles.clauses import ClauseState, clause_states
from expcheck.profiles.detect import ProfileChoice, choose_profile
from expcheck.profiles.schema import Profile
from expcheck.submission import RejectedEntry, ResearchContext, RunSpec, Submission

__all__ = ["Loaded", "context_from_mapping", "load", "load_files", "read_submission", "submission_from_mapping"]


@dataclass(frozen=True)
class Loaded:
    submission: Submission
    profile: Profile
    # How the profile was chosen, and which of its clauses the input's contract puts in force.
    choice: ProfileChoice = field(default_factory=lambda: ProfileChoice(how="given"))
    clauses: list[ClauseState] = field(default_factory=list)


def read_submission(source: str) -> Submission:
    """The submission in ``source`` (a directory, a bundle JSON file or a review trace)."""
    sub = _read_submission(source)
    limit_judged(sub.files)
    return sub


def _read_submission(source: str) -> Submission:
    path = Path(source)
    if not path.exists():
        raise InputError(f"{source}: no such file or directory")
    if path.is_dir():
        return submission_from_directory(path, source)
    if not path.is_file():
        raise InputError(f"{source}: not a regular file or directory")
    if path.suffix == ".py":
        # One Python file: checked as a one-file project under its own name.
        files = {path.name: source_file(path.name, read_text_file(path, "Python file"))}
        limit_judged(files)
        return Submission(source=source, kind="file", files=files)
    text = read_text_file(path, "bundle or trace")
    if not text.strip():
        raise InputError(f"{source}: empty file")
    if text.lstrip().startswith("{"):
        return submission_from_mapping(parse_bundle_text(text, source), source)
    if looks_like_trace(text):
        return submission_from_trace(text, source)
    raise InputError(f"{source}: not a code bundle (JSON), a review trace, or a repository directory")


def submission_from_mapping(bundle: Mapping[str, Any], source: str) -> Submission:
    """A bundle's submission: file keys or paths (``files`` wrapper opened), nested run configs kept aside."""
    files, rejected, keys = files_from_bundle(bundle)
    _, run_configs = unwrap_bundle(bundle)
    return Submission(
        source=source, kind="bundle", files=files, rejected=rejected, bundle_keys=keys, run_configs=run_configs
    )


def _place_nested_run_configs(sub: Submission, profile: Profile) -> None:
    """Put the bundle's nested run configs where the profile keeps run configs (generated code, not context)."""
    for run_id, text in sorted(sub.run_configs.items()):
        path = profile.run_config_path(run_id)
        reason = unsafe_reason(run_id) or ("a run id cannot hold '/'" if "/" in run_id else None)
        if path is None:
            continue
        if reason is not None:
            sub.rejected.append(RejectedEntry(name=f"run_configs[{run_id!r}]", reason=reason, text=text))
        elif path not in sub.files:
            sub.add_file(source_file(path, text))


def _runs_from_files(sub: Submission, profile: Profile) -> tuple[RunSpec, ...]:
    if profile.run_config_dir is None:
        return ()
    folder = profile.run_config_dir.rstrip("/")
    runs = []
    for path, file in sorted(sub.files.items()):
        pure = PurePosixPath(path)
        if str(pure.parent) == folder and pure.suffix in (".yaml", ".yml"):
            runs.append(RunSpec(run_id=pure.stem, config_text=file.text))
    return tuple(runs)


def _place_run_configs(sub: Submission, profile: Profile) -> None:
    """Put each context-supplied run config at the path the profile gives it, unless the repo has one."""
    for run in sub.context.runs:
        if run.config_text is None or unsafe_reason(run.run_id) or "/" in run.run_id:
            continue
        path = profile.run_config_path(run.run_id)
        if path is not None and path not in sub.files:
            sub.add_file(source_file(path, run.config_text, origin="context"))


def _chosen(sub: Submission, profile: str | Profile | None, given: str) -> tuple[Profile, ProfileChoice]:
    """The profile asked for (``given`` says how, for the report), else the one the input shows."""
    if isinstance(profile, Profile):
        return profile, ProfileChoice(how="given", evidence=[f"{given} {profile.name}"])
    if profile:
        return load_profile(profile), ProfileChoice(how="given", evidence=[f"{given} {profile}"])
    return choose_profile(sub)


def _finish(sub: Submission, chosen: Profile, choice: ProfileChoice) -> Loaded:
    """Place the run configs the input nests or its context supplies, and derive runs from run-config files."""
    _place_nested_run_configs(sub, chosen)
    if not sub.context.runs:
        derived = _runs_from_files(sub, chosen)
        if derived:
            sub.context = replace(sub.context, runs=derived) if sub.context else ResearchContext(runs=derived)
    _place_run_configs(sub, chosen)
    limit_judged(sub.files)  # again, with the run configs of the context in place
    return Loaded(submission=sub, profile=chosen, choice=choice, clauses=clause_states(chosen, sub.contract_text))


def load(source: str, profile: str | None = None, context: str | ResearchContext | None = None) -> Loaded:
    """``source`` read and made ready to judge; ``context`` is a context file or an already read context."""
    sub = read_submission(source)
    if isinstance(context, ResearchContext):
        sub.context = context
    elif context is not None:
        sub.context = read_context(Path(context))
    return _finish(sub, *_chosen(sub, profile, "--profile"))


def load_files(
    files: Mapping[str, Any],
    profile: str | Profile | None = "airas-v2",
    runs: Sequence[RunSpec] = (),
    source: str = "<memory>",
    context: ResearchContext | None = None,
) -> Loaded:
    """A submission from in-memory files, judged by ``profile`` (detected when None).

    ``files`` maps bundle keys or repository paths to texts, and may nest run configs
    (``"run_configs": {run_id: yaml}``) or wrap everything as ``{"files": {...}}``. ``runs`` (or
    ``context``) is the research context; ``runs`` wins when both list experiment runs.
    """
    sub = submission_from_mapping(files, source)
    limit_judged(sub.files)
    sub.context = context or ResearchContext()
    if runs:
        sub.context = replace(sub.context, runs=tuple(runs))
    chosen, choice = _chosen(sub, profile, "profile")
    if runs:  # the caller's runs are the whole list: no run derived from files is added
        _place_nested_run_configs(sub, chosen)
        _place_run_configs(sub, chosen)
        limit_judged(sub.files)
        return Loaded(submission=sub, profile=chosen, choice=choice, clauses=clause_states(chosen, sub.contract_text))
    return _finish(sub, chosen, choice)
