"""What a trial run left behind, read into plain data: tracebacks, metrics, files, exit status.

The parsers here read text a run printed and files it wrote; they describe and never judge (the T
rules do). Paths in tracebacks are turned into repository paths when they lie inside the trial
folder, so a finding can point at ``src/train.py:42`` of the submission.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from expcheck.sandbox.environment import Environment, EnvProblem

RunStatus = Literal["ok", "failed", "timeout"]

_TRACEBACK_HEAD = "Traceback (most recent call last):"
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)(?:,? in (?P<func>.+))?\s*$')
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::(?P<msg>.*))?$")
_FAULT_HEAD = re.compile(r"^Fatal Python error: (?P<what>.+)$")
_METRIC = re.compile(
    r"(?<![\w.])['\"]?(?P<key>[A-Za-z][\w./-]{0,60}?)['\"]?\s*[:=]\s*"
    r"(?P<value>[-+]?(?:nan|inf(?:inity)?|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))(?![\w.])",
    re.I,
)
MAX_LOG_READ = 512 * 1024
MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_FILES = 50
TAIL_LINES = 40
# Folders of the trial folder that are not outputs of the run: the environment, caches, our own space.
SKIP_DIRS = frozenset({".venv", ".cache", ".expcheck", ".git", "__pycache__"})


@dataclass(frozen=True)
class Frame:
    """One traceback frame; ``path`` is repository-relative when the file is inside the trial folder."""

    path: str
    line: int
    function: str | None
    inside: bool


@dataclass(frozen=True)
class Crash:
    """The exception a run died of (or, after a timeout, where it was interrupted)."""

    exc_type: str
    message: str
    # Innermost last, as Python prints them.
    frames: tuple[Frame, ...]
    # "traceback" for Python's own report, "fault" for a faulthandler dump (segfault, abort).
    kind: Literal["traceback", "fault"] = "traceback"
    # True when Python printed it as the cause of the next traceback ("The above exception was the
    # direct cause ...", "During handling ..."): one failure, not two.
    chained: bool = False
    # "Type: message" of the exception this one was raised from or while handling, when printed.
    cause: str | None = None

    @property
    def short_type(self) -> str:
        return self.exc_type.rsplit(".", 1)[-1]

    def deepest(self, files: Iterable[str]) -> Frame | None:
        """The innermost frame in one of ``files`` (the submission's paths)."""
        known = set(files)
        for frame in reversed(self.frames):
            if frame.inside and frame.path in known:
                return frame
        return None


@dataclass(frozen=True)
class MetricValue:
    value: float
    # The output line the value was read from, as evidence.
    line: str


@dataclass(frozen=True)
class FileMetric:
    """A number a run wrote into a JSON file: file (repository-relative), key path, value."""

    file: str
    key: str
    value: float


@dataclass(frozen=True)
class RunOutcome:
    """One experiment run of the trial: the command, how it ended, and what it printed and wrote."""

    label: str
    run_id: str | None
    # The command as a person would type it in the repository (the trial folder shown as ".").
    command: tuple[str, ...]
    status: RunStatus
    returncode: int | None
    # The signal that ended the run (e.g. SIGKILL, SIGSEGV), when one did.
    signal: str | None
    seconds: float
    output_tail: str
    crash: Crash | None
    # When the crash only says a child process failed and the child printed no traceback: the
    # child's last error line (e.g. "Error while finding module specification for 'src.train'").
    child_error: str | None = None
    # Tracebacks inside the submission that did not end the run (see ``carried_on``).
    carried_on: tuple[Crash, ...] = ()
    # Numbers printed as ``key: value`` / ``key=value``, per key in the order printed.
    printed: Mapping[str, tuple[MetricValue, ...]] = field(default_factory=dict)
    # Numbers in the JSON files the run wrote or changed.
    written: tuple[FileMetric, ...] = ()
    # Files (repository-relative) the run created or changed, outside the skipped folders.
    new_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrialResult:
    """Everything a trial established. ``ran`` is False when no run could be started at all."""

    ran: bool
    network: Literal["isolated", "allowed"]
    isolation: str
    environment: Environment | None = None
    env_problem: EnvProblem | None = None
    runs: tuple[RunOutcome, ...] = ()
    notes: tuple[str, ...] = ()
    results_dir: str = "results"
    # The wall-clock limit each run had, in seconds.
    timeout: float = 0.0


def _relative(path: str, roots: tuple[str, ...]) -> str | None:
    if not path.startswith(("/", "<", "\\")) and not re.match(r"^[A-Za-z]:", path):
        return path.removeprefix("./")  # printed relative to the working directory, the trial folder
    for root in roots:
        prefix = root.rstrip("/") + "/"
        if path.startswith(prefix):
            return path[len(prefix) :]
    return None


def _frame(match: re.Match[str], roots: tuple[str, ...]) -> Frame:
    raw = match.group("path")
    relative = _relative(raw, roots)
    return Frame(
        path=relative if relative is not None else raw,
        line=int(match.group("line")),
        function=(match.group("func") or "").strip() or None,
        inside=relative is not None,
    )


def _exception_after(lines: list[str], start: int) -> tuple[str, str]:
    """The exception line at or after ``start`` (column 0), with its indented continuation lines."""
    for i in range(start, len(lines)):
        text = lines[i]
        if not text or text[0].isspace():
            continue
        match = _EXCEPTION.match(text.rstrip())
        if match is None:
            return "unknown", text.strip()
        message = [(match.group("msg") or "").strip()]
        for extra in lines[i + 1 : i + 6]:
            if not extra.strip() or not extra[0].isspace() or _FRAME.match(extra):
                break
            message.append(extra.strip())
        return match.group("type"), " ".join(part for part in message if part)
    return "unknown", ""


def _traceback_block(lines: list[str], roots: tuple[str, ...]) -> Crash | None:
    last_frame = -1
    frames: list[Frame] = []
    for i, text in enumerate(lines):
        match = _FRAME.match(text)
        if match is not None:
            frames.append(_frame(match, roots))
            last_frame = i
    if not frames:
        return None
    exc_type, message = _exception_after(lines, last_frame + 1)
    return Crash(exc_type=exc_type, message=message, frames=tuple(frames))


def _fault_block(lines: list[str], roots: tuple[str, ...]) -> Crash | None:
    head = _FAULT_HEAD.match(lines[0])
    if head is None:
        return None
    frames = [_frame(m, roots) for m in map(_FRAME.match, lines[1:60]) if m is not None]
    # faulthandler prints the most recent call first; keep Python's order (innermost last).
    return Crash(exc_type="FatalError", message=head.group("what"), frames=tuple(reversed(frames)), kind="fault")


def parse_crashes(text: str, roots: tuple[str, ...]) -> list[Crash]:
    """Every traceback and faulthandler dump in ``text``, in the order printed."""
    lines = text.splitlines()
    starts = [
        i for i, line in enumerate(lines) if line.rstrip() == _TRACEBACK_HEAD or _FAULT_HEAD.match(line) is not None
    ]
    crashes: list[Crash] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        block = lines[start:end]
        crash = _fault_block(block, roots) if _FAULT_HEAD.match(block[0]) else _traceback_block(block[1:], roots)
        if crash is None:
            continue
        if crashes and crashes[-1].chained:
            before = crashes[-1]
            crash = replace(crash, cause=before.cause or f"{before.short_type}: {before.message}")
        if any(line.strip() in _CHAIN_SENTENCES for line in block[-3:]):
            crash = replace(crash, chained=True)
        crashes.append(crash)
    return crashes


_CHAIN_SENTENCES = frozenset(
    {
        "The above exception was the direct cause of the following exception:",
        "During handling of the above exception, another exception occurred:",
    }
)


def carried_on(crashes: list[Crash], final: Crash | None) -> tuple[Crash, ...]:
    """Tracebacks from inside the submission that did not end the run: a process (often a child
    launched per experiment variation) died, and the run went on. One per place and exception."""
    seen: set[tuple[str, int, str]] = set()
    if final is not None:
        last = next((f for f in reversed(final.frames) if f.inside), None)
        if last is not None:
            seen.add((last.path, last.line, final.exc_type))
    out = []
    for crash in crashes:
        if crash is final or crash.chained or crash.kind != "traceback" or is_wrapper(crash):
            continue
        if crash.short_type in ("KeyboardInterrupt", "SystemExit"):
            continue
        if crash.exc_type == "unknown":
            # No exception line after the frames: the process was killed while printing its traceback
            # (a timeout's interrupt, then the kill), or the log was cut there. Nothing says it crashed.
            continue
        last = next((f for f in reversed(crash.frames) if f.inside), None)
        if last is None or (last.path, last.line, crash.exc_type) in seen:
            continue
        seen.add((last.path, last.line, crash.exc_type))
        out.append(crash)
    return tuple(out)


_CHILD_FAILED = re.compile(r"sub-?process|exit (?:code|status)|returned non-zero|exited with", re.I)


def final_crash(crashes: list[Crash]) -> Crash | None:
    """The crash that ended the run: the last one, unless it only reports a failed subprocess.

    A ``main.py`` that launches ``src.train`` with ``subprocess.run(..., check=True)`` ends with a
    CalledProcessError (or its own "subprocess failed with exit code 1" error); the child's
    traceback, printed just before, is the real cause.
    """
    if not crashes:
        return None
    last = crashes[-1]
    if is_wrapper(last):
        for earlier in reversed(crashes[:-1]):
            if any(frame.inside for frame in earlier.frames):
                return earlier
    return last


_ERRORISH = re.compile(r"[A-Za-z]*(?:Error|Exception)\b|\berror:|No module named|[Ff]ailed", re.I)
_BOILERPLATE = re.compile(r"Error executing job with overrides|HYDRA_FULL_ERROR|^\s*warnings\.warn")


def is_wrapper(crash: Crash) -> bool:
    """A crash that only reports that a child process failed (its cause was printed by the child)."""
    return crash.short_type == "CalledProcessError" or bool(_CHILD_FAILED.search(crash.message))


def child_cause(text: str) -> str | None:
    """The last error line printed before the final traceback: what a failed child process said."""
    lines = text.splitlines()
    heads = [i for i, line in enumerate(lines) if line.rstrip() == _TRACEBACK_HEAD]
    before = lines[: heads[-1]] if heads else lines
    for line in reversed(before):
        if _ERRORISH.search(line) and not _BOILERPLATE.search(line) and not _FRAME.match(line):
            return line.strip()[:300]
    return None


def parse_printed(text: str) -> dict[str, tuple[MetricValue, ...]]:
    """Numbers printed as ``key: value`` or ``key=value``, per key, in the order printed."""
    found: dict[str, list[MetricValue]] = {}
    in_traceback = False
    for line in text.splitlines():
        if line.rstrip() == _TRACEBACK_HEAD or _FAULT_HEAD.match(line):
            in_traceback = True
            continue
        if in_traceback:
            # A traceback ends with its first unindented line (the exception), which is skipped too.
            in_traceback = not line or line[0].isspace()
            continue
        if "=" not in line and ":" not in line:
            continue
        for match in _METRIC.finditer(line):
            try:
                value = float(match.group("value"))
            except ValueError:
                continue
            found.setdefault(match.group("key"), []).append(MetricValue(value=value, line=line.strip()))
    return {key: tuple(values) for key, values in found.items()}


def _numbers(data: object, prefix: str) -> Iterable[tuple[str, float]]:
    if isinstance(data, bool):
        return
    if isinstance(data, int | float):
        yield prefix, float(data)
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _numbers(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data[:1000]):
            yield from _numbers(value, f"{prefix}[{i}]")


def _read_regular(path: Path, limit: int) -> str | None:
    """The text of a regular file of at most ``limit`` bytes; None for anything else. A FIFO, socket
    or device a run left behind is never opened for reading (a FIFO would block forever), and a link
    is never followed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return None if len(data) > limit else data.decode("utf-8", errors="replace")


def json_metrics(root: Path, files: Iterable[str]) -> tuple[FileMetric, ...]:
    """Numbers in the JSON files among ``files`` (NaN and Infinity included, as Python writes them)."""
    out: list[FileMetric] = []
    for name in [f for f in files if f.endswith(".json")][:MAX_JSON_FILES]:
        text = _read_regular(root / name, MAX_JSON_BYTES)
        if text is None:
            continue
        try:
            data = json.loads(text)
            found = [FileMetric(file=name, key=key, value=value) for key, value in _numbers(data, "")]
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python can walk
            continue
        out.extend(found)
    return tuple(out)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file below ``root``, outside the environment, caches and our own space."""
    seen: dict[str, tuple[int, int]] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in names:
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            seen[os.path.relpath(path, root).replace(os.sep, "/")] = (info.st_size, info.st_mtime_ns)
    return seen


def changed_files(before: Mapping[str, tuple[int, int]], after: Mapping[str, tuple[int, int]]) -> tuple[str, ...]:
    return tuple(sorted(path for path, stamp in after.items() if before.get(path) != stamp))


def read_log(path: Path) -> str:
    """The last MAX_LOG_READ bytes of a run's output, decoded leniently."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - MAX_LOG_READ))
            data = handle.read()
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
