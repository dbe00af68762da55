"""The error type for mistakes in a user's input, shared by every layer.

A :class:`UsageError` is printed by the ``gclbt`` command as one line (``gclbt train: error: ...``)
with exit status 1 and no traceback. Lower layers raise it where only the caller's input can be
wrong (a flag's path that cannot be written, a configuration key that does not exist, say); the
message names the flag or key, the value and what is allowed. It is a ``ValueError``: a value the
user gave is not allowed, so code that handles bad values handles it too. It is the package's one
user-error type (plugin failures keep :class:`gclbt_plugin.registry.PluginError`, which names the
distribution at fault).
"""

from __future__ import annotations


class UsageError(ValueError):
    """An error caused by the user's input: printed as one line, exit status 1."""
