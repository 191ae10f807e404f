"""Trial execution: run the submission's trial command for real, in a throw-away folder, and read what happened.

This is the one part of expcheck that executes submission code, and only when asked (``--trial``).
materialise.py writes the files, environment.py provides the interpreter, isolation.py finds the
network isolation this machine really has, runner.py runs and bounds each command, outcome.py reads
the result, trial.py ties them together. The T rules (rules/trial_failures.py, rules/trial_sanity.py)
judge the TrialResult.
"""

from expcheck.sandbox.isolation import Isolation, detect_isolation
from expcheck.sandbox.outcome import Crash, Frame, RunOutcome, TrialResult
from expcheck.sandbox.trial import DEFAULT_TIMEOUT, Prepared, TrialOptions, TrialRefused, prepare, run_trial

__all__ = [
    "DEFAULT_TIMEOUT",
    "Crash",
    "Frame",
    "Isolation",
    "Prepared",
    "RunOutcome",
    "TrialOptions",
    "TrialRefused",
    "TrialResult",
    "detect_isolation",
    "prepare",
    "run_trial",
]
