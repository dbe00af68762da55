"""The error type for mistakes in a user's input, shared by every layer.

A :class:`UsageError` is printed by the ``gclbt`` command as one line (``gclbt train: error: ...``)
with exit status 1 and no traceback. Lower layers raise it where only the caller's input can be
wrong (a flag's path that cannot be written, say); the message names the flag or key, the value
and what is allowed.
"""

from __future__ import annotations


class UsageError(Exception):
    """An error caused by the user's input: printed as one line, exit status 1."""
