"""The trial sandbox: bubblewrap (``bwrap``), the container tool Flatpak uses, run without privileges.

Every command of a trial — the environment build (``uv sync``) and each experiment run — runs as::

    bwrap <mounts> --unshare-user --unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup-try
          [--unshare-net] --cap-drop ALL --die-with-parent --chdir <trial> -- <command>

- the file system is a new, mostly empty tree: the system folders (``/usr``, ``/etc``, the ``/bin``
  and ``/lib`` links, ``/sys``, ``/opt``) and the interpreter's own folders are bound **read-only**;
  ``/dev`` is a minimal device set (GPU devices bound when present) and ``/proc`` belongs to the new
  PID namespace; secrets in ``/etc`` (shadow files, sudoers, SSH host keys, private TLS keys) are
  shown empty. ``$HOME``, ``/home``, ``/root``, ``/run``, ``/var`` and the original repository are
  simply not there, so nothing in them can be read, written or connected to (a Unix socket is
  reachable through any mount that shows it, even a read-only one: the host's sockets live in
  ``/run`` and ``/tmp``, and neither is shown);
- the **trial folder is the only writable path**, and ``/tmp`` inside is the trial folder's own
  ``.expcheck/tmp``. The offline environment build sees uv's package cache read-only and works in a
  private cache in the trial folder that links the cache's read-only buckets (environment.py's
  private_cache); only an environment build allowed to fetch (``--sync-online``) writes to the
  shared cache, where uv stores what it downloads. A run never sees the cache;
- a new **PID namespace**: when the command ends, bwrap's init ends and the kernel kills every
  process left in the namespace — a double-forked daemon or a child in a new session included;
  ``--die-with-parent`` ends it all if expcheck itself dies. (``--new-session`` is not used: the
  runner already starts bwrap in a new session without a terminal, and keeping the run in bwrap's
  process group lets a timeout interrupt the run's processes, so Python prints where they were);
- a new **network namespace** (unless the network is allowed): no interface but a loopback that is
  down, and abstract Unix sockets, which belong to the network namespace, are the namespace's own.

``find_bwrap`` runs one probe per process (a few ms) and accepts bwrap only when the probe command
ran inside it and saw no network interface but ``lo``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Read-only system folders shown to every sandboxed command (when they exist on this machine).
_SYSTEM = ("/usr", "/etc", "/opt", "/sys")
# Top-level names that are links into /usr on merged-/usr systems, or folders on older ones.
_TOP_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_GPU_DEVICES = ("/dev/nvidia*", "/dev/dri")
# Secrets below the system folders a run never needs: files shown empty, folders shown empty.
_HIDDEN_FILES = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers")
_HIDDEN_DIRS = ("/etc/ssh", "/etc/sudoers.d", "/etc/ssl/private")
_PROBE_TIMEOUT = 15.0


@dataclass(frozen=True)
class Sandbox:
    """A working bwrap, and how to wrap a command in it."""

    bwrap: str

    def argv(
        self,
        root: Path,
        command: Sequence[str],
        *,
        network: bool,
        readable: Iterable[str] = (),
        writable: Iterable[str] = (),
    ) -> list[str]:
        """``command`` inside the sandbox: ``root`` writable (and ``root/.expcheck/tmp`` as /tmp),
        ``readable`` read-only, ``writable`` writable (existing folders outside ``root``)."""
        root = Path(os.path.realpath(root))
        tmp = root / ".expcheck" / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        args = [self.bwrap]
        for top in _TOP_LINKS:
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        for folder in _SYSTEM:
            if os.path.isdir(folder):
                args += ["--ro-bind", folder, folder]
        for secret in _HIDDEN_FILES:
            if os.path.isfile(secret) and not os.path.islink(secret):
                args += ["--ro-bind", "/dev/null", secret]
        for secret in _HIDDEN_DIRS:
            if os.path.isdir(secret) and not os.path.islink(secret):
                args += ["--tmpfs", secret, "--remount-ro", secret]
        resolv = "/etc/resolv.conf"
        if network and os.path.islink(resolv):
            target = os.path.realpath(resolv)
            if os.path.exists(target) and not target.startswith("/etc/"):
                args += ["--ro-bind", target, target]
        args += ["--dev", "/dev", "--proc", "/proc"]
        for pattern in _GPU_DEVICES:
            for device in sorted(glob.glob(pattern)):
                args += ["--dev-bind", device, device]
        args += ["--bind", str(tmp), "/tmp"]
        shown = {str(root)}
        for path in _outside(root, readable):
            if path not in shown:
                shown.add(path)
                args += ["--ro-bind", path, path]
        for path in _outside(root, writable):
            shown.add(path)
            args += ["--bind", path, path]
        args += ["--bind", str(root), str(root)]
        args += ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if not network:
            args.append("--unshare-net")
        args += ["--cap-drop", "ALL", "--die-with-parent", "--chdir", str(root), "--", *command]
        return args


def _outside(root: Path, paths: Iterable[str]) -> list[str]:
    """Existing absolute paths, resolved, that are neither inside ``root`` nor a system folder shown
    anyway. The user's home folder, or a folder holding it, is never shown whole (an interpreter
    installed as ``~/bin/python`` would otherwise show all of ``$HOME``): the run then lacks it."""
    home = os.path.realpath(os.path.expanduser("~"))
    out = []
    for raw in paths:
        path = os.path.realpath(raw)
        if not os.path.exists(path) or path == "/" or Path(home).is_relative_to(path):
            continue
        if Path(path).is_relative_to(root) or any(Path(path).is_relative_to(s) for s in _SYSTEM):
            continue
        out.append(path)
    return sorted(set(out))


def interpreter_paths(python: str) -> tuple[str, ...]:
    """The folders an interpreter needs to start: its virtual environment (if it is one) and the
    installation it comes from (followed through links and ``pyvenv.cfg``'s ``home``)."""
    found: list[str] = []
    exe = os.path.abspath(python)
    venv = os.path.dirname(os.path.dirname(exe))
    config = os.path.join(venv, "pyvenv.cfg")
    if os.path.isfile(config):
        found.append(venv)
        try:
            for line in Path(config).read_text(encoding="utf-8", errors="replace").splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "home" and value.strip():
                    found.append(os.path.dirname(value.strip()))
        except OSError:
            pass
    found.append(os.path.dirname(os.path.dirname(os.path.realpath(exe))))
    return tuple(dict.fromkeys(found))


def _only_loopback(listing: str) -> bool:
    names = [line.split(":", 1)[0].strip() for line in listing.splitlines() if ":" in line]
    return names == ["lo"]


@cache
def find_bwrap() -> tuple[Sandbox | None, str]:
    """A bwrap that really isolates here, or None and exactly what is missing (cached per process)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None, "bubblewrap is not installed (the `bwrap` command; Debian/Ubuntu: apt-get install bubblewrap)"
    sandbox = Sandbox(bwrap)
    with tempfile.TemporaryDirectory(prefix="expcheck-probe-") as tmp:
        argv = sandbox.argv(Path(tmp), ["cat", "/proc/self/net/dev"], network=False)
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=_PROBE_TIMEOUT)
        except (OSError, subprocess.SubprocessError) as exc:
            return None, f"bwrap could not start: {type(exc).__name__}: {exc}"
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        why = lines[-1] if lines else f"exit status {proc.returncode}"
        return None, f"bwrap cannot create its namespaces here ({why}); user namespaces may be disabled"
    if not _only_loopback(proc.stdout):
        return None, "bwrap ran, but its network namespace still lists network interfaces other than lo"
    return sandbox, "bubblewrap"
