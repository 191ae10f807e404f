"""C5 — file layout: exactly the files the contract names, none missing, none extra, none outside the repo."""

from __future__ import annotations

from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.paths import is_template_marker, matches_any
from expcheck.rules.base import Example, Hit, rule

_FULL_REPO = {
    "src/train.py": "def train():\n    return 1\n",
    "src/evaluate.py": "def evaluate():\n    return 1\n",
    "src/preprocess.py": "def load():\n    return []\n",
    "src/model.py": "class Net:\n    pass\n",
    "src/main.py": "print('main')\n",
    "pyproject.toml": '[project]\nname = "x"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n',
    "config/config.yaml": "results_dir: out\n",
}


@rule(
    id="C501",
    name="missing-required-file",
    criterion="C5",
    severity="error",
    confidence="certain",
    known_limits="None known: the path the profile requires is not in the submission.",
    title="Required file is missing",
    why="""The pipeline runs fixed paths (src/main.py, src/evaluate.py, pyproject.toml, config/config.yaml,
        ...); a missing one fails the run before any experiment starts.""",
    fix="Add the file at exactly the path the contract names.",
    bad=[
        Example(
            files={k: v for k, v in _FULL_REPO.items() if k != "src/evaluate.py"}, expect=(("src/evaluate.py", None),)
        )
    ],
    good=[Example(files=_FULL_REPO)],
)
def missing_required_file(facts: Facts) -> Iterator[Hit]:
    for path in facts.profile.required_files:
        if path not in facts.files:
            yield Hit(path=path, line=None, message=f"required file {path} is missing")


def _is_extra(facts: Facts, path: str) -> bool:
    profile = facts.profile
    return not (
        path in profile.required_files
        or matches_any(path, profile.allowed_extra)
        or matches_any(path, profile.incidental)
    )


@rule(
    id="C502",
    name="extra-file",
    criterion="C5",
    severity="error",
    confidence="certain",
    clause="exact-files",
    known_limits="""Decides by the profile's file lists and incidental globs; a non-code file type the profile does not list as incidental is reported.""",
    title="File the contract does not allow",
    why="""The contract fixes the file set (for example no src/__init__.py, no utils.py): the pipeline
        copies and patches exactly those files, so code placed elsewhere is lost or shadows the real
        modules. Documentation, data, caches and run outputs are ignored.""",
    fix="Move the code into one of the required files and delete the extra file.",
    bad=[
        Example(files={**_FULL_REPO, "src/utils.py": "def helper():\n    return 1\n"}, expect=(("src/utils.py", 1),)),
        Example(
            files={**_FULL_REPO, "src/__init__.py": ""},
            note="an empty __init__.py changes imports; the finding is on the file, line 1 of an empty one",
            expect=(("src/__init__.py", 1),),
        ),
    ],
    good=[
        Example(files={**_FULL_REPO, "README.md": "# notes\n", "config/runs/a.yaml": "run_id: a\n"}),
        Example(files={**_FULL_REPO, "config/.gitkeep": ""}, note="an empty template marker holds no code"),
        Example(
            files={**_FULL_REPO, "src/utils.py": "def helper():\n    return 1\n"},
            profile="airas-v1-early",
            note="the earliest contract allows extra files",
        ),
    ],
)
def extra_file(facts: Facts) -> Iterator[Hit]:
    if facts.profile.extra_files == "allowed":
        return
    for path, file in sorted(facts.code_files.items()):
        if not _is_extra(facts, path) or (file.unreadable is None and is_template_marker(path, file.text)):
            continue
        evidence = f"({file.unreadable})" if file.unreadable else None
        yield Hit(
            path=path,
            line=1,
            column=1,
            message=f"{path} is not one of the files the {facts.profile.name} contract allows",
            evidence=evidence,
        )


@rule(
    id="C503",
    name="unsafe-path",
    criterion="C5",
    severity="error",
    confidence="certain",
    known_limits="None known: the entry names an absolute path, '..' or an unusable name.",
    title="Bundle entry names a path outside the repository",
    why="""An absolute path, a path with '..' or a symbolic link would write or read outside the
        repository when the bundle is materialised; expcheck never writes such entries and the
        pipeline should not either.""",
    fix="Name the file by its plain repository-relative path (for example src/model.py).",
    bad=[Example(files={**_FULL_REPO, "../../etc/evil.py": "print('x')\n"}, expect=(("../../etc/evil.py", None),))],
    good=[Example(files=_FULL_REPO)],
)
def unsafe_path(facts: Facts) -> Iterator[Hit]:
    for entry in facts.submission.rejected:
        first = entry.text.splitlines()[0] if entry.text.strip() else f"({entry.reason})"
        # The entry's name is the defect, not a line of its text: the finding is about the whole entry,
        # which has no line, unless a second entry names a file the repository has (that file, line 1).
        named = entry.name in facts.files
        yield Hit(
            path=entry.name,
            line=1 if named else None,
            column=1 if named else None,
            message=f"entry {entry.name!r} is not a repository file: {entry.reason}",
            evidence=first,
        )
