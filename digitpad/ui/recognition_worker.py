"""Recognition off the GUI thread: one worker thread, the latest request wins.

Rendering, normalizing and running the model take milliseconds for a good model, but an outside
model can take seconds (or forever, until the classifier's time limit stops it). Doing that on
the GUI thread would freeze the drawing; here it runs on a thread of its own. While a request
runs, newer ones replace each other: only the latest waits, so a slow model never builds a queue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from digitpad.errors import DigitpadError, ModelTimeoutError
from digitpad.reading.number import NumberReading

#: A worker thread with nothing to do for this long ends (the next request starts another), so
#: that a controller nobody closed leaves no thread behind for long.
IDLE_SECONDS = 5.0
#: The worker threads' name, for a debugger's or a test's eyes.
THREAD_NAME = "digitpad-recognition"


@dataclass(frozen=True)
class Job:
    """One request: `work` is called on the worker thread and must not touch Qt or shared state."""

    work: Callable[[], NumberReading]
    number: int  #: requests are numbered in order; the latest one is always run
    generation: int  #: the page state it was made for; a result for an older state is dropped
    live: bool
    start: float  #: perf_counter() when the ink arrived, for the timing shown
    owner: object = None  #: the recognizer the work runs, to tell whose time limit ran out


@dataclass(frozen=True)
class Outcome:
    job: Job
    reading: NumberReading | None = None  #: None when the work failed
    error: str | None = None
    timed_out: bool = False
    seconds: float = 0.0


class RecognitionWorker(QObject):
    """Runs jobs on one daemon thread; `finished` carries each Outcome back to the GUI thread."""

    finished = Signal(object)  # Outcome, delivered on the thread this object lives in

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = _State()

    def submit(self, job: Job) -> None:
        """Run `job` next, replacing any job that is still waiting."""
        state = self._state
        with state.condition:
            state.pending = job
            if state.stopped:
                return
            if state.thread is None or not state.thread.is_alive():
                state.thread = threading.Thread(
                    target=state.serve, args=(self.finished.emit,), name=THREAD_NAME, daemon=True
                )
                state.thread.start()
            state.condition.notify()

    def stop(self) -> None:
        """End the thread once the job it runs, if any, returns; later jobs are not run.

        Called when the window closes. (Not from `destroyed`: Qt may destroy the object while the
        interpreter shuts down, when no Python code may run any more.)"""
        self._state.stop()

    def discard(self) -> None:
        """Drop the job that is waiting, if any (the one running, if any, still ends)."""
        with self._state.condition:
            self._state.pending = None


class _State:
    """What the worker thread shares with the GUI thread (a plain object: it may outlive the QObject)."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.pending: Job | None = None
        self.stopped = False
        self.thread: threading.Thread | None = None

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            self.pending = None
            self.condition.notify()

    def serve(self, emit: Callable[[Outcome], None]) -> None:
        while True:
            with self.condition:
                while self.pending is None and not self.stopped:
                    if not self.condition.wait(IDLE_SECONDS) and self.pending is None:
                        self.thread = None  # idle: end; the next job starts a new thread
                        return
                job, self.pending = self.pending, None
                if self.stopped or job is None:
                    return
            outcome = _run(job)
            try:
                emit(outcome)
            except RuntimeError:  # the worker's QObject is gone: the window closed
                return


def _run(job: Job) -> Outcome:
    """The job's answer or its error: nothing raised here may escape the worker thread."""
    try:
        reading = job.work()
    except ModelTimeoutError as exc:
        return Outcome(job, error=str(exc), timed_out=True)
    except DigitpadError as exc:
        return Outcome(job, error=str(exc))
    except Exception as exc:  # a bug or an exhausted machine must not kill the worker
        return Outcome(job, error=f"recognition failed: {type(exc).__name__}: {exc}")
    return Outcome(job, reading, seconds=time.perf_counter() - job.start)
