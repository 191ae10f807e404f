"""Facts from a trial run: what the sandbox observed, and where in the submission it points.

The sandbox result reaches the rules here. ``trial_result(facts)`` is None unless ``attach_trial``
put a TrialResult on these facts (the API does so only when ``--trial`` ran), so every T rule yields
nothing in a static check. The other functions classify each run's ending and find the line of the
submission a finding should point at (deepest frame, the entry point, the line naming a metric or a
file, a run config's ``method``).
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from expcheck.facts import Facts
from expcheck.paths import matches_any

if TYPE_CHECKING:  # the sandbox itself is imported only when a trial runs
    from expcheck.sandbox.outcome import Crash, Frame, MetricValue, RunOutcome, TrialResult

Ending = Literal["ok", "crash", "network", "module-missing", "timeout", "no-traceback"]

_NETWORK_TYPES = frozenset(
    {
        "ConnectionError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "gaierror",
        "herror",
        "URLError",
        "NewConnectionError",
        "MaxRetryError",
        "ConnectTimeout",
        "ConnectTimeoutError",
        "OfflineModeIsEnabled",
        "LocalEntryNotFoundError",
        "ConnectError",
    }
)
@functools.cache
def _network_words() -> re.Pattern[str]:
    """Phrases of a run stopped at the network (compiled on first use: ~5 ms, and only trials need it)."""
    return re.compile(
        r"network is unreachable|temporary failure in name resolution|name or service not known|"
        r"nodename nor servname|failed to establish a new connection|max retries exceeded|could not resolve host|"
        r"couldn't connect to|couldn't reach|cannot reach|connection refused|no route to host|offline mode|"
        r"outgoing traffic has been disabled|hf_hub_offline|hf_datasets_offline|\[errno -[23]\]|\[errno 101\]",
        re.I,
    )


_MISSING_MODULE = re.compile(r"No module named '(?P<name>[\w.]+)'")
_METRIC_KEY = re.compile(
    r"loss|acc|f1|auc|score|perplexity|ppl|mse|mae|rmse|bleu|rouge|reward|precision|recall|iou|metric", re.I
)
_METHOD_LINE = re.compile(r"^\s*method\s*:")


@dataclass(frozen=True)
class Place:
    """Where a trial finding points: a submission path and line (None only for a missing required file)."""

    path: str
    line: int | None
    function: str | None = None


def _no_trial(facts: Facts) -> TrialResult | None:
    """The derived-fact key of the trial outcome; computed (as None) only when no trial was attached."""
    return None


def trial_result(facts: Facts) -> TrialResult | None:
    """The trial's outcome, or None when no trial ran for this submission."""
    return facts.derived(_no_trial)


def attach_trial(facts: Facts, result: TrialResult) -> Facts:
    """Make ``result`` the answer of ``trial_result`` for these facts (the sandbox computed it, not a rule)."""
    facts._derived[_no_trial] = result  # seed the derived-fact cache with the sandbox's answer
    return facts


# Spread statistics: NaN for a single sample (pandas' std of one run), so never a broken metric.
_SPREAD = re.compile(r"(?:^|[_\-./])(?:std|stdev|var|variance|sem|stderr|ci|ci\d+)(?:$|[_\-./])", re.I)
# Summaries printed once per run or across runs, not a training trajectory.
_SUMMARY = re.compile(r"final|best|min|max|mean|avg|average|std|total|test|overall|summary", re.I)


def is_metric_key(key: str) -> bool:
    """A loss or score (not its spread): ``train_loss``, ``val_acc``, ``metrics.f1``."""
    name = key.rsplit(".", 1)[-1]
    return bool(_METRIC_KEY.search(name)) and not _SPREAD.search(name)


def is_loss_trajectory_key(key: str) -> bool:
    """A loss printed step after step (``loss``, ``train_loss``, ``val_loss``), not a per-run summary."""
    name = key.rsplit(".", 1)[-1]
    return "loss" in name.lower() and not _SUMMARY.search(name)


def submission_top_modules(facts: Facts) -> frozenset[str]:
    """Top-level importable names the submission itself provides (``src``, or a top-level ``utils.py``)."""
    names = set()
    for path in facts.files:
        if path.endswith(".py") or "/" in path:
            names.add(path.split("/", 1)[0].removesuffix(".py"))
    return frozenset(names)


def missing_module(crash: Crash) -> str | None:
    if crash.short_type not in ("ModuleNotFoundError", "ImportError"):
        return None
    match = _MISSING_MODULE.search(crash.message)
    return match.group("name") if match else None


def is_network_failure(crash: Crash) -> bool:
    """The exception, or the one it was raised from, is a failed connection or name lookup."""
    cause_type = (crash.cause or "").split(":", 1)[0].rsplit(".", 1)[-1]
    return (
        crash.short_type in _NETWORK_TYPES
        or cause_type in _NETWORK_TYPES
        or bool(_network_words().search(f"{crash.message} {crash.cause or ''}"))
    )


def ending(facts: Facts, result: TrialResult, run: RunOutcome) -> Ending:
    """How ``run`` ended, in the terms the T rules judge; each failed run has exactly one ending."""
    if run.status == "ok":
        return "ok"
    if run.status == "timeout":
        return "timeout"
    crash = run.crash
    if crash is None or crash.kind == "fault":
        return "no-traceback"
    if result.network == "isolated" and is_network_failure(crash):
        return "network"
    module = missing_module(crash)
    if (
        module is not None
        and result.environment is not None
        and result.environment.kind == "python"
        and module.split(".", 1)[0] not in submission_top_modules(facts)
    ):
        return "module-missing"
    return "crash"


def _module_path(command: tuple[str, ...]) -> str | None:
    """The file a ``python [-u] -m pkg.mod ...`` or ``python path.py ...`` command runs."""
    args = list(command[1:])
    while args and args[0].startswith("-") and args[0] != "-m":
        args.pop(0)
    if len(args) >= 2 and args[0] == "-m":
        return args[1].replace(".", "/") + ".py"
    if args and args[0].endswith(".py"):
        return args[0].removeprefix("./")
    return None


def _main_call_line(facts: Facts, path: str) -> int | None:
    module = facts.python.get(path)
    tree = module.tree if module is not None else None
    if tree is None:
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name)
            and node.test.left.id == "__name__"
        ):
            return node.body[0].lineno if node.body else node.lineno
    return None


def entry_place(facts: Facts, run: RunOutcome) -> Place | None:
    """The line that starts ``run``: the call under ``if __name__ == "__main__":`` of its module."""
    path = _module_path(run.command)
    if path is None:
        return None
    if path not in facts.files:
        return Place(path=path, line=None) if path in facts.profile.required_files else None
    file = facts.files[path]
    line = _main_call_line(facts, path) or (len(file.lines) if file.lines else 1)
    return Place(path=path, line=max(line, 1))


def frame_place(facts: Facts, frame: Frame | None) -> Place | None:
    if frame is None or frame.path not in facts.files:
        return None
    if not 1 <= frame.line <= max(len(facts.files[frame.path].lines), 1):
        return None
    return Place(path=frame.path, line=frame.line, function=frame.function)


def crash_place(facts: Facts, run: RunOutcome) -> Place | None:
    """The deepest frame of the run's crash inside the submission, else the run's entry line."""
    if run.crash is not None:
        place = frame_place(facts, run.crash.deepest(facts.files))
        if place is not None:
            return place
    return entry_place(facts, run)


def _writer_first(path: str) -> tuple[int, str]:
    """Order for looking up where a run prints or writes something: training code before evaluation."""
    name = path.rsplit("/", 1)[-1]
    return (0 if "train" in name else 2 if "evaluat" in name else 1, path)


def literal_place(facts: Facts, needle: str) -> Place | None:
    """The first line holding a string literal that contains ``needle`` (training code searched first)."""
    if not needle:
        return None
    for path in sorted(facts.python, key=_writer_first):
        module = facts.python[path]
        if module.tree is None or facts.files[path].origin != "code":
            continue
        lines = [
            node.lineno
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and needle in node.value
        ]
        if lines:
            return Place(path=path, line=min(lines))
    return None


def run_method(facts: Facts, run_id: str | None) -> str | None:
    """The method an experiment run names: the research context's, else its run config's ``method``."""
    if run_id is None:
        return None
    for spec in facts.submission.context.runs:
        if spec.run_id == run_id and spec.method:
            return spec.method
    path = facts.profile.run_config_path(run_id)
    doc = facts.yaml.get(path) if path else None
    data = doc.data if doc is not None else None
    method = data.get("method") if isinstance(data, dict) else None
    if isinstance(method, dict):
        method = method.get("name") or method.get("type") or repr(sorted(method.items(), key=str))
    return None if method is None else str(method)


def run_config_place(facts: Facts, run_id: str | None) -> Place | None:
    """The ``method:`` line of the run's config (else its first line), when the config is a file."""
    path = facts.profile.run_config_path(run_id) if run_id else None
    if path is None or path not in facts.files:
        return None
    lines = facts.files[path].lines
    line = next((n for n, text in enumerate(lines, start=1) if _METHOD_LINE.match(text)), 1)
    return Place(path=path, line=line)


_RUN_NAME = re.compile(r"""\brun(?:_?id|_?name)?['"]?\s*[:=]\s*['"]?(?P<name>[\w.\-]+)""", re.I)
_COUNTER = re.compile(r"""\b(?:epoch|step|iter|iteration|batch)['"]?\s*[:=]\s*(?P<n>\d+)\b""", re.I)


def series_segments(values: tuple[MetricValue, ...]) -> list[list[MetricValue]]:
    """A printed series cut where another run starts: a different run name on the line, or the
    epoch/step counter going back (a script that runs several variations one after the other)."""
    segments: list[list[MetricValue]] = []
    last_name: str | None = None
    last_count = -1
    for value in values:
        name_match = _RUN_NAME.search(value.line)
        count_match = _COUNTER.search(value.line)
        name = name_match.group("name") if name_match else last_name
        count = int(count_match.group("n")) if count_match else last_count
        if not segments or name != last_name or count < last_count:
            segments.append([])
        segments[-1].append(value)
        last_name, last_count = name, count
    return segments


def unexpected_outputs(facts: Facts, result: TrialResult, run: RunOutcome) -> list[str]:
    """Files the run created or changed outside results_dir and the places the profile calls incidental."""
    allowed = [f"{result.results_dir}/**", *facts.profile.incidental]
    return [path for path in run.new_files if not matches_any(path, allowed)]


_CHAIN_LINES = frozenset(
    {
        "Traceback (most recent call last):",
        "The above exception was the direct cause of the following exception:",
        "During handling of the above exception, another exception occurred:",
        "Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.",
    }
)
_FRAME_LINE = re.compile(r'^\s*File "[^"]+", line \d+')


_TIMESTAMP = re.compile(r"^\[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?\s*")
_PROGRESS = re.compile(r"\d+(?:\.\d+)?\s*(?:it/s|s/it)\]")


def _without_traceback_bodies(text: str) -> list[str]:
    """The output's lines without traceback frames and their source lines (the location shows those),
    progress bars and leading timestamps, which differ from one run to the next."""
    kept: list[str] = []
    after_frame = False
    for raw in text.splitlines():
        line = _TIMESTAMP.sub("", raw.split("\r")[-1])
        if _PROGRESS.search(line):
            continue
        if _FRAME_LINE.match(line):
            after_frame = True
            continue
        if after_frame and line[:1].isspace():
            continue  # the frame's source line and its ^^^ markers
        after_frame = False
        if line.strip() and line.strip() not in _CHAIN_LINES:
            kept.append(line.strip())
    return kept


def evidence_tail(text: str, limit: int = 239) -> str:
    """The last lines of output on one line (joined by ' ⏎ '), traceback frames left out, cut to ``limit``."""
    joined = " ⏎ ".join(_without_traceback_bodies(text)[-6:])
    return joined if len(joined) <= limit else "…" + joined[-(limit - 1) :]
