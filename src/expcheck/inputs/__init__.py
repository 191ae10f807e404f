"""Read any input form into a Submission and pick its contract profile.

``load`` is the one entry point: it dispatches on the input's form (directory, bundle JSON, review
trace), applies ``--context`` and the profile, and places the run configs the research context
supplies where the profile says they live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from expcheck.errors import InputError
from expcheck.inputs.bundle import files_from_bundle, parse_bundle_text
from expcheck.inputs.context import read_context
from expcheck.inputs.directory import submission_from_directory
from expcheck.inputs.limits import read_text_file
from expcheck.inputs.trace import looks_like_trace, submission_from_trace
from expcheck.paths import unsafe_reason
from expcheck.profiles import load_profile
from expcheck.profiles.clauses import ClauseState, clause_states
from expcheck.profiles.detect import ProfileChoice, choose_profile
from expcheck.profiles.schema import Profile
from expcheck.submission import ResearchContext, RunSpec, SourceFile, Submission

__all__ = ["Loaded", "load", "load_files", "read_submission"]


@dataclass(frozen=True)
class Loaded:
    submission: Submission
    profile: Profile
    # How the profile was chosen, and which of its clauses the input's contract puts in force.
    choice: ProfileChoice = field(default_factory=lambda: ProfileChoice(how="given"))
    clauses: list[ClauseState] = field(default_factory=list)


def read_submission(source: str) -> Submission:
    """The submission in ``source`` (a directory, a bundle JSON file or a review trace)."""
    path = Path(source)
    if not path.exists():
        raise InputError(f"{source}: no such file or directory")
    if path.is_dir():
        return submission_from_directory(path, source)
    if not path.is_file():
        raise InputError(f"{source}: not a regular file or directory")
    text = read_text_file(path, "bundle or trace")
    if not text.strip():
        raise InputError(f"{source}: empty file")
    if text.lstrip().startswith("{"):
        files, rejected, keys = files_from_bundle(parse_bundle_text(text, source))
        return Submission(source=source, kind="bundle", files=files, rejected=rejected, bundle_keys=keys)
    if looks_like_trace(text):
        return submission_from_trace(text, source)
    raise InputError(f"{source}: not a code bundle (JSON), a review trace, or a repository directory")


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
            sub.add_file(SourceFile(path=path, text=run.config_text, origin="context"))


def load(source: str, profile: str | None = None, context: str | None = None) -> Loaded:
    sub = read_submission(source)
    if context is not None:
        sub.context = read_context(Path(context))
    if profile:
        chosen, choice = load_profile(profile), ProfileChoice(how="given", evidence=[f"--profile {profile}"])
    else:
        chosen, choice = choose_profile(sub)
    if not sub.context.runs:
        derived = _runs_from_files(sub, chosen)
        if derived:
            sub.context = replace(sub.context, runs=derived) if sub.context else ResearchContext(runs=derived)
    _place_run_configs(sub, chosen)
    return Loaded(submission=sub, profile=chosen, choice=choice, clauses=clause_states(chosen, sub.contract_text))


def load_files(
    files: Mapping[str, str],
    profile: str | Profile = "airas-v2",
    runs: Sequence[RunSpec] = (),
    source: str = "<memory>",
) -> Loaded:
    """A submission from in-memory files (path or bundle key -> text), judged by ``profile``."""
    found, rejected, keys = files_from_bundle(dict(files))
    sub = Submission(
        source=source,
        kind="bundle",
        files=found,
        rejected=rejected,
        bundle_keys=keys,
        context=ResearchContext(runs=tuple(runs)),
    )
    chosen = profile if isinstance(profile, Profile) else load_profile(profile)
    _place_run_configs(sub, chosen)
    return Loaded(
        submission=sub,
        profile=chosen,
        choice=ProfileChoice(how="given", evidence=[f"profile {chosen.name}"]),
        clauses=clause_states(chosen, None),
    )
