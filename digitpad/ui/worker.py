"""One way to run slow work off the GUI thread: a worker thread per kind of job, its outcomes back by signal.

The GUI thread only paints and dispatches. Anything that may take longer than a frame (reading the
page with a model that may be slow or hostile, loading and validating a model, embedding samples)
is handed to a `Worker`, which runs it on a thread of its own and delivers each `Outcome` on the
GUI thread through `finished`. Two policies:

- latest wins (`latest_wins=True`): while a job runs, newer ones replace each other and only the
  newest waits, so that a slow model never builds a queue (recognition, explaining);
- ordered: every job runs, in the order submitted (teaching, imports: each one matters).

The thread starts with the first job and ends only when `stop` is called (the window closing, the
app quitting), never on an idle timer: whoever owns a worker stops it.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from digitpad.errors import DigitpadError


@dataclass(frozen=True, eq=False)
class Job:
    """One piece of work: `work` runs on the worker thread and must not touch Qt or shared state."""

    work: Callable[[], object]
    tag: object = None  #: whatever the submitter needs to make sense of the outcome


@dataclass(frozen=True, eq=False)
class Outcome:
    """What a job gave: its result, or the exception it raised (never both)."""

    job: Job
    result: object = None
    error: Exception | None = None
    finished_at: float = 0.0  #: time.perf_counter() when the work returned or raised

    @property
    def message(self) -> str:
        """The error in words: a DigitpadError says what went wrong itself; anything else is named."""
        if self.error is None:
            return ""
        if isinstance(self.error, DigitpadError):
            return str(self.error)
        return f"{type(self.error).__name__}: {self.error}"


class Worker(QObject):
    """Runs jobs on one thread; `finished` carries each Outcome to the thread this object lives in."""

    finished = Signal(object)  # Outcome

    def __init__(self, name: str, latest_wins: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue = _Queue(name, latest_wins)

    @property
    def name(self) -> str:
        return self._queue.name

    def submit(self, work: Callable[[], object], tag: object = None) -> Job:
        """Run `work` after the jobs before it (latest wins: instead of any job still waiting)."""
        job = Job(work, tag)
        self._queue.put(job, self.finished.emit)
        return job

    def discard(self) -> None:
        """Drop the jobs that are waiting (the one running, if any, still ends and is delivered)."""
        self._queue.discard()

    @property
    def has_waiting(self) -> bool:
        """True when a job waits: with latest wins, the one running is no longer the newest (any thread)."""
        return self._queue.has_waiting

    def stop(self) -> None:
        """No job runs after this; the thread ends as soon as the job it runs, if any, returns.

        Called by the owner at shutdown, not from `destroyed`: Qt may destroy the object while the
        interpreter shuts down, when no Python code may run any more."""
        self._queue.stop()

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for a stopped worker's thread to end; True when it has (or never ran)."""
        return self._queue.join(seconds)


class _Queue:
    """What the worker thread shares with the GUI thread (a plain object: it may outlive the QObject)."""

    def __init__(self, name: str, latest_wins: bool) -> None:
        self.name = name
        self._condition = threading.Condition()
        self._waiting: collections.deque[Job] = collections.deque(maxlen=1 if latest_wins else None)
        self._stopped = False
        self._thread: threading.Thread | None = None

    def put(self, job: Job, emit: Callable[[Outcome], None]) -> None:
        with self._condition:
            if self._stopped:
                return
            self._waiting.append(job)  # latest wins: a full deque of one drops the job waiting
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, args=(emit,), name=self.name, daemon=True)
                self._thread.start()
            self._condition.notify()

    def discard(self) -> None:
        with self._condition:
            self._waiting.clear()

    @property
    def has_waiting(self) -> bool:
        return bool(self._waiting)

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._waiting.clear()
            self._condition.notify()

    def join(self, seconds: float) -> bool:
        with self._condition:
            thread = self._thread
        if thread is not None:
            thread.join(seconds)
        return thread is None or not thread.is_alive()

    def _serve(self, emit: Callable[[Outcome], None]) -> None:
        while True:
            with self._condition:
                while not self._waiting and not self._stopped:
                    self._condition.wait()
                if self._stopped:
                    return
                job = self._waiting.popleft()
            outcome = run(job)
            with self._condition:
                if self._stopped:  # the owner has gone: nobody reads the outcome
                    return
            try:
                emit(outcome)
            except RuntimeError:  # the worker's QObject is gone (deleted without stop)
                return


def run(job: Job) -> Outcome:
    """The job's result or its exception: nothing raised by the work may end the worker thread."""
    try:
        result = job.work()
    except Exception as exc:  # a bug or an exhausted machine is the job's outcome, not the thread's end
        return Outcome(job, error=exc, finished_at=time.perf_counter())
    return Outcome(job, result, finished_at=time.perf_counter())
