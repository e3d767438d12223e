"""Recognition off the GUI thread: a latest-wins `Worker`, its requests numbered so stale answers drop.

Rendering, normalizing and running the model take milliseconds for a good model, but an outside
model can take seconds (or forever, until the classifier's time limit stops it). Doing that on
the GUI thread would freeze the drawing; here it runs on a worker thread. While a request runs,
newer ones replace each other: only the latest waits, so a slow model never builds a queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject

from digitpad.errors import DigitpadError, ModelTimeoutError
from digitpad.reading.number import NumberReading
from digitpad.ui.worker import Outcome, Worker

#: The worker thread's name, for a debugger's or a test's eyes.
THREAD_NAME = "digitpad-recognition"


@dataclass(frozen=True)
class Request:
    """What the controller needs to know about one request when its answer comes back."""

    number: int  #: requests are numbered in order; the latest one is always run
    generation: int  #: the page state it was made for; an answer for an older state is dropped
    live: bool
    start: float  #: perf_counter() when the ink arrived, for the timing shown
    owner: object = None  #: the recognizer the work runs, to tell whose time limit ran out


@dataclass(frozen=True)
class Answer:
    """An outcome in the controller's terms."""

    request: Request
    reading: NumberReading | None = None  #: None when the work failed
    error: str | None = None
    timed_out: bool = False
    seconds: float = 0.0  #: from the ink's arrival to the whole answer


def answer(outcome: Outcome) -> Answer:
    request = outcome.job.tag
    assert isinstance(request, Request)
    if outcome.error is not None:
        message = outcome.message
        if not isinstance(outcome.error, DigitpadError):
            message = f"recognition failed: {message}"
        return Answer(request, error=message, timed_out=isinstance(outcome.error, ModelTimeoutError))
    assert isinstance(outcome.result, NumberReading)
    return Answer(request, outcome.result, seconds=outcome.finished_at - request.start)


class RecognitionWorker(Worker):
    """The recognition thread: `read` a page; `finished` carries the Outcome (see `answer`)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(THREAD_NAME, latest_wins=True, parent=parent)

    def read(self, work: Callable[[], NumberReading], request: Request) -> None:
        self.submit(work, request)
