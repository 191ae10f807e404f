"""The one exception type that reaches the user: bad input, said in one line."""

from __future__ import annotations


class InputError(Exception):
    """The input (or an option) cannot be used; the message is one readable line."""
