"""Network isolation for trial runs: find out what really works on this machine, and say it plainly.

A trial run gets its own, empty network namespace through the ``unshare`` tool (util-linux): no
interface but a loopback that is down, so every connection attempt fails at once. Two ways are
tried, best first:

- ``unshare --user --map-root-user --net``: a user namespace as well, so the run's root (if any) has
  power only inside its namespaces and cannot re-enter the host's network;
- ``unshare --net``: a network namespace alone, which needs root. It keeps a run off the network by
  accident, but a run executing as real root could deliberately join the host's namespace again.

Detection runs each candidate once on ``cat /proc/self/net/dev`` and accepts it only when the command
succeeds and lists no interface but ``lo`` — a namespace that exists but still shows the host's
interfaces is not isolation. The result is cached per process (two tiny subprocesses, a few ms).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

_PROBE = ("cat", "/proc/self/net/dev")
_PROBE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Isolation:
    """What network isolation a trial run gets on this machine."""

    available: bool
    # The command prefix that puts a run in its own network namespace; () when none is available.
    prefix: tuple[str, ...]
    # One line for people: how the run is isolated, or why it cannot be.
    description: str


_CANDIDATES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("--user", "--map-root-user", "--net"),
        "a private user and network namespace (unshare --user --map-root-user --net): the run sees no "
        "network interface (loopback down) and cannot leave the namespace",
    ),
    (
        ("--net",),
        "a private network namespace (unshare --net, as root): the run sees no network interface "
        "(loopback down); this stops accidental network use, it is no barrier against code that "
        "deliberately re-enters the host's namespace as root",
    ),
)


def _only_loopback(listing: str) -> bool:
    names = [line.split(":", 1)[0].strip() for line in listing.splitlines() if ":" in line]
    return names == ["lo"]


def _probe(unshare: str, flags: tuple[str, ...]) -> tuple[bool, str]:
    try:
        proc = subprocess.run([unshare, *flags, "--", *_PROBE], capture_output=True, text=True, timeout=_PROBE_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return False, lines[-1] if lines else f"exit status {proc.returncode}"
    if not _only_loopback(proc.stdout):
        return False, "the new namespace still lists network interfaces other than lo"
    return True, ""


@cache
def detect_isolation() -> Isolation:
    """The best isolation that works here, or why none does (cached for the process)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return Isolation(False, (), "not available: the unshare tool (util-linux) is not installed")
    reasons = []
    for flags, description in _CANDIDATES:
        ok, why = _probe(unshare, flags)
        if ok:
            return Isolation(True, (unshare, *flags, "--"), description)
        reasons.append(f"unshare {' '.join(flags)}: {why}")
    return Isolation(False, (), "not available: " + "; ".join(reasons))
