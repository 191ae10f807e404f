"""The exception types expcheck raises on purpose: bad input (reaches the user, in one line), and a tool a
rule relies on that gave no answer (the check reports it, X003)."""

from __future__ import annotations


class InputError(Exception):
    """The input (or an option) cannot be used; the message is one readable line."""


class ToolUnavailable(RuntimeError):
    """An external tool a rule relies on (ruff) could not run or gave no answer; the message says why.

    The rule has then not looked at the code: the check reports it (X003, not ready) instead of reading the
    tool's silence as "no defect".
    """
