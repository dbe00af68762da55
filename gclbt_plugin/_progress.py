"""Progress bars that suit both a terminal and a redirected log.

On a terminal :func:`progress_bar` is a plain ``tqdm`` bar redrawn in place. When the stream is
not a terminal (``> run.log``, a batch scheduler's output file) carriage-return redraws would
flood the log, so the bar is written as plain lines, at most one every :data:`LOG_INTERVAL`
seconds (tqdm's ``mininterval``) plus the first and the last.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TextIO

from tqdm.auto import tqdm

#: Seconds between two progress lines in a redirected stream.
LOG_INTERVAL = 30.0


class _Lines:
    """A text stream for tqdm that turns each in-place redraw (``"\\r..."``) into one plain line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        line = text.replace("\r", "").rstrip()
        if line:
            self.stream.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def progress_bar(iterable: Iterable | None = None, *, file: TextIO | None = None, **kwargs: Any) -> tqdm:
    """``tqdm(iterable, **kwargs)`` on a terminal; plain, infrequent lines otherwise.

    Args:
        iterable (iterable, optional): what to iterate over.
        file (stream, optional): where the bar goes. (default: ``sys.stderr``)
        **kwargs: tqdm's keywords (``total``, ``desc``, ``disable``, ``leave``, ...).
    """
    stream = file if file is not None else sys.stderr
    if _is_terminal(stream) or kwargs.get("disable"):
        return tqdm(iterable, file=stream, dynamic_ncols=True, **kwargs)
    kwargs.setdefault("mininterval", LOG_INTERVAL)
    kwargs["leave"] = True  # a log keeps the final line (on a terminal ``leave=False`` clears the bar)
    return tqdm(iterable, file=_Lines(stream), ncols=100, **kwargs)
