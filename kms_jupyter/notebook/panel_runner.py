"""Background training for the panel: one daemon thread runs queued jobs one after another.

Why a thread: while a cell (or a click handler) blocks in ``model.fit``, the kernel does not
read the browser's messages, so a Stop click would wait until training ends. The worker thread
trains; the kernel's main thread stays free to receive Stop (which sets ``stop_event``; kms()
stops at the next batch end and returns the partial fit).

What the thread inherits: it runs inside a copy of the starting thread's ``contextvars``
context, so ipykernel's parent header (a ContextVar in ipykernel >= 6) is the one of the
message that started the run: widget messages and anything written to stdout/stderr are
attributed to that request rather than to no parent at all. The panel still never relies on
printing: every result goes into its own widgets.

Errors never escape the thread: a failing job is reported through ``on_error`` (the panel shows
the message), and the remaining jobs of a sweep are cancelled.
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

__all__ = ["BackgroundRunner", "RunOutcome", "run_kms", "one_line", "thread_warnings"]

Job = Callable[[threading.Event], Any]


def one_line(exc: BaseException) -> str:
    """``"KmsArgumentError: dropout 1.5 must be ..."``: the type and the first line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@dataclass
class RunOutcome:
    fit: Any
    warnings: list[str] = field(default_factory=list)


_local = threading.local()


@contextlib.contextmanager
def thread_warnings():
    """Collect the warnings raised *in this thread* into the yielded list; warnings of other
    threads (the user's next cells, while a run trains in the background) go on to whatever
    handler was there before. ``warnings.catch_warnings`` cannot be used here: it swaps
    process-wide state and would swallow the other threads' warnings too."""
    previous = warnings.showwarning
    caught: list[str] = []

    def showwarning(message, category, filename, lineno, file=None, line=None):
        sink = getattr(_local, "sink", None)
        if sink is not None:
            if not issubclass(category, DeprecationWarning):
                sink.append(str(message))
            return None
        return previous(message, category, filename, lineno, file, line)

    _local.sink = caught
    warnings.showwarning = showwarning
    try:
        yield caught
    finally:
        _local.sink = None
        if warnings.showwarning is showwarning:
            warnings.showwarning = previous


def run_kms(data: Any, formula: str, kwargs: dict, stop_event: threading.Event | None = None,
            callbacks: Sequence[Any] = ()) -> RunOutcome:
    """``kms(formula, data, **kwargs)`` with the panel's Stop event and callbacks; the warnings
    kms() emits (partial fit, dropped rows, identifier columns...) are collected for the panel
    instead of being printed from the worker thread."""
    from kms_jupyter.core.engine import kms

    with thread_warnings() as caught:
        fit = kms(formula, data, callbacks=list(callbacks) or None, stop_event=stop_event, **kwargs)
    return RunOutcome(fit, list(dict.fromkeys(caught)))


class BackgroundRunner:
    """Runs jobs (callables taking the Stop event) in one worker thread, in order.

    ``on_result(i, result)``, ``on_error(i, exc)`` and ``on_done(n_finished, n_cancelled)`` are
    called from the worker thread; an exception inside them is caught and passed to
    ``on_error`` (or, failing that, kept in ``self.last_error``) so the thread always ends
    cleanly and ``busy`` goes back to False.
    """

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.last_error: BaseException | None = None
        self.last_traceback: str | None = None
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, jobs: Sequence[Job], *, on_result: Callable[[int, Any], Any],
              on_error: Callable[[int, BaseException], Any],
              on_done: Callable[[int, int], Any] | None = None,
              name: str = "kms-panel-train") -> bool:
        """Start the jobs; False (and nothing started) when a run is still going."""
        with self._lock:
            if self.busy:
                return False
            self.stop_event = threading.Event()
            context = contextvars.copy_context()
            self.thread = threading.Thread(
                target=context.run, args=(self._work, list(jobs), self.stop_event, on_result,
                                          on_error, on_done),
                name=name, daemon=True)
            self.thread.start()
            return True

    def stop(self) -> bool:
        """Ask the running job to stop at its next batch and cancel the jobs after it."""
        if not self.busy:
            return False
        self.stop_event.set()
        return True

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker; True when it has finished."""
        thread = self.thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # -- worker --------------------------------------------------------------------------------
    def _safe(self, fn: Callable[..., Any] | None, *args: Any) -> bool:
        if fn is None:
            return True
        try:
            fn(*args)
            return True
        except BaseException as exc:  # a bug in a panel callback must not kill the thread
            self.last_error, self.last_traceback = exc, traceback.format_exc()
            return False

    def _work(self, jobs: list[Job], stop_event: threading.Event, on_result, on_error, on_done) -> None:
        finished = 0
        for i, job in enumerate(jobs):
            if stop_event.is_set():
                break
            try:
                result = job(stop_event)
            except BaseException as exc:  # noqa: BLE001 - shown in the panel, never lost
                self.last_error, self.last_traceback = exc, traceback.format_exc()
                self._safe(on_error, i, exc)
                break
            finished += 1
            if not self._safe(on_result, i, result):
                self._safe(on_error, i, self.last_error)
        self._safe(on_done, finished, max(0, len(jobs) - finished))
