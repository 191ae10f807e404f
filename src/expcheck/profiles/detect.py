"""Which contract an input was written against, from what the input itself shows."""

from __future__ import annotations

from expcheck.profiles import builtin_profiles, load_profile
from expcheck.profiles.schema import Detection, Profile
from expcheck.submission import Submission

DEFAULT_PROFILE = "airas-v2"
_REPO_TEXT_SUFFIXES = (".py", ".yaml", ".yml")


def _text_matches(detect: Detection, contract_text: str) -> bool:
    markers = detect.contract_text
    if markers is None or not (markers.all_of or markers.none_of):
        return False
    return all(m in contract_text for m in markers.all_of) and not any(m in contract_text for m in markers.none_of)


def _has_path(sub: Submission, wanted: str) -> bool:
    if wanted.endswith("/"):
        return any(path.startswith(wanted) for path in sub.files)
    return wanted in sub.files


def _repo_matches(detect: Detection, sub: Submission) -> bool:
    if not (detect.repo_paths_any or detect.repo_text_any):
        return False
    if detect.repo_paths_any and not any(_has_path(sub, p) for p in detect.repo_paths_any):
        return False
    if detect.repo_text_any:
        texts = [f.text for f in sub.files.values() if f.path.endswith(_REPO_TEXT_SUFFIXES)]
        if not any(marker in text for marker in detect.repo_text_any for text in texts):
            return False
    return True


def detect_profile(sub: Submission) -> Profile:
    """The contract of a trace's instructions, else of a bundle's keys, else of a repo's layout."""
    candidates = sorted(builtin_profiles(), key=lambda p: (-p.detect.priority, p.name))
    if sub.contract_text:
        for profile in candidates:
            if _text_matches(profile.detect, sub.contract_text):
                return profile
    keys = set(sub.bundle_keys)
    for profile in candidates:
        if keys & set(profile.detect.bundle_keys_any):
            return profile
    for profile in candidates:
        if _repo_matches(profile.detect, sub):
            return profile
    return load_profile(DEFAULT_PROFILE)
