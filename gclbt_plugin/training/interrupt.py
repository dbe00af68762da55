"""Finish the epoch, then stop: SIGINT / SIGTERM turned into a flag checked at epoch end.

A run with a checkpoint should not lose the epochs since the last periodic checkpoint when it is
interrupted (Ctrl-C, a scheduler's SIGTERM). Within :func:`deferred_interrupts` the first SIGINT
or SIGTERM only sets :attr:`InterruptFlag.signum`; the training loop checks it after each epoch,
saves a checkpoint and raises :class:`~gclbt_plugin.training.state.TrainingInterrupted`. A second
signal stops at once (``KeyboardInterrupt``). The previous handlers are restored on exit.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class InterruptFlag:
    """The signal received within :func:`deferred_interrupts`, or ``None``."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __bool__(self) -> bool:
        return self.signum is not None


@contextmanager
def deferred_interrupts(enabled: bool = True) -> Iterator[InterruptFlag]:
    """Defer SIGINT / SIGTERM to a flag for the duration of the block.

    Args:
        enabled (bool): when ``False`` (or outside the main thread, where Python cannot install
            handlers) signals keep their handlers and the flag stays unset. (default: ``True``)

    Yields:
        InterruptFlag: set by the first signal.
    """
    flag = InterruptFlag()
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, frame: object) -> None:
        if flag.signum is not None:
            raise KeyboardInterrupt
        flag.signum = signum
        # os.write: safe inside a signal handler (print could be interrupted mid-call).
        os.write(2, f"\n{signal.Signals(signum).name} received: saving a checkpoint at the end of this epoch "
                    "(send it again to stop now)\n".encode())

    previous = {signum: signal.signal(signum, handler) for signum in SIGNALS}
    try:
        yield flag
    finally:
        for signum, old in previous.items():
            if old is not None:  # None: the old handler was not installed from Python
                signal.signal(signum, old)
