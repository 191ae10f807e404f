"""Property-based fuzzing of the readers, the profile loader and api.check (a small budget; the
benchmark benchmarks/fuzz.py runs 10,000+ inputs with a time limit per input)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from fuzzing import bundle_text, context_text, directory_files, judge, profile_text, trace_text

_BUDGET = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def _clean(outcome: str) -> None:
    assert outcome in ("ok", "refused"), outcome


@_BUDGET
@given(bundle_text())
def test_fuzz_bundle(text: str) -> None:
    _clean(judge("bundle", text))


@_BUDGET
@given(trace_text())
def test_fuzz_trace(text: str) -> None:
    _clean(judge("trace", text))


@_BUDGET
@given(directory_files)
def test_fuzz_directory(files: dict[str, bytes]) -> None:
    _clean(judge("directory", files))


@_BUDGET
@given(context_text)
def test_fuzz_context(text: str) -> None:
    _clean(judge("context", text))


@_BUDGET
@given(profile_text)
def test_fuzz_profile(text: str) -> None:
    _clean(judge("profile", text))
