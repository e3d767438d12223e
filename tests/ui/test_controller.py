"""The controller: strokes in, one undo step per stroke, answers out, the raster always exact."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from digitpad.ink.drawing import Drawing
from digitpad.ink.raster import rasterize
from digitpad.model.classifier import Classifier
from digitpad.reading.recognizer import Recognizer
from digitpad.ui.controller import UNDO_LIMIT, Recognition, RecognitionController, blank_drawing
from digitpad.ui.recognition_worker import THREAD_NAME
from digitpad.ui.worker import Outcome, Worker
from tests.bad_files import digit_pixels
from tests.onnx_models import linear_model
from tests.ui.helpers import ANSWER_TIMEOUT_MS, ANSWER_TIMEOUT_S, DIGITS, answered

pytestmark = pytest.mark.gui


def wide(strokes: object) -> Drawing:
    """A drawing on the app's page: the wide canvas."""
    return Drawing(strokes, blank_drawing().width, blank_drawing().height)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def recognizer(shipped_model: Path) -> Recognizer:
    return Recognizer(Classifier(shipped_model))


@pytest.fixture
def controller(qtbot, recognizer: Recognizer) -> Iterator[RecognitionController]:  # noqa: ANN001 (qtbot)
    controller = RecognitionController(recognizer)
    yield controller
    controller.shutdown()


def draw(controller: RecognitionController, stroke: np.ndarray, qtbot=None) -> None:  # noqa: ANN001
    """Feed a stroke point by point; with qtbot, wait for a live answer halfway."""
    half = len(stroke) // 2
    for end in range(1, len(stroke) + 1):
        controller.update_stroke(stroke[:end])
        if qtbot is not None and end == half:
            with qtbot.waitSignal(controller.recognized, timeout=ANSWER_TIMEOUT_MS) as blocker:
                pass
            assert blocker.args[0].live
    controller.finish_stroke(stroke)
    answered(controller)


def test_each_stroke_is_read_when_the_pen_lifts(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    answers: list[Recognition] = []
    controller.recognized.connect(answers.append)
    for stroke in DIGITS[4]:
        draw(controller, stroke)
    final = answers[-1]
    assert not final.live
    assert final.prediction is not None and final.prediction.digit == 4
    assert final.seconds > 0
    controller.recognize()
    answered(controller)
    assert np.array_equal(final.prediction.model_input, controller.last.prediction.model_input)


def test_live_answers_come_while_drawing_and_are_throttled(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    answers: list[Recognition] = []
    controller.recognized.connect(answers.append)
    stroke = DIGITS[7][0]
    for end in range(1, len(stroke) + 1):
        controller.update_stroke(stroke[:end])
    assert answers == []  # a burst of pointer events costs no recognition at all...
    with qtbot.waitSignal(controller.recognized, timeout=ANSWER_TIMEOUT_MS):
        pass
    assert len(answers) == 1 and answers[0].live  # ...and then one answer for the latest ink
    assert answers[0].prediction is not None and answers[0].prediction.digit == 7
    assert controller.drawing.is_blank  # nothing is committed before the pen lifts


def test_incremental_raster_equals_full_rasterize_exactly(qtbot, request, tmp_path: Path) -> None:  # noqa: ANN001
    """With a model that reads the canvas raster (MNIST normalization), kept up to date stroke by stroke."""
    controller = RecognitionController(Recognizer(Classifier(linear_model(tmp_path / "raster.onnx"))))
    request.addfinalizer(controller.shutdown)
    assert controller.recognizer_reads_raster
    for stroke in DIGITS[4] + DIGITS[0]:
        draw(controller, stroke, qtbot)
        assert np.array_equal(controller.raster, rasterize(controller.drawing))
    controller.undo_stack.undo()
    assert np.array_equal(controller.raster, rasterize(controller.drawing))
    controller.undo_stack.redo()
    assert np.array_equal(
        controller.raster,
        rasterize(Drawing(DIGITS[4] + DIGITS[0], controller.drawing.width, controller.drawing.height)),
    )


def test_undo_redo_step_one_stroke_at_a_time(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    for stroke in DIGITS[4]:
        draw(controller, stroke)
    assert controller.undo_stack.count() == 2
    controller.undo_stack.undo()
    assert controller.drawing == wide(DIGITS[4][:1])
    controller.undo_stack.undo()
    answered(controller)
    assert controller.drawing.is_blank and controller.last is not None and controller.last.prediction is None
    controller.undo_stack.redo()
    controller.undo_stack.redo()
    answered(controller)
    assert controller.drawing == wide(DIGITS[4])
    assert controller.last.prediction.digit == 4


def test_clear_is_one_undoable_step_and_a_no_op_on_a_blank_page(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    controller.clear()
    assert controller.undo_stack.count() == 0
    draw(controller, DIGITS[1][0])
    controller.clear()
    answered(controller)
    assert controller.drawing.is_blank
    assert controller.last.prediction is None  # blank: a prompt, never a guess
    controller.undo_stack.undo()
    assert controller.drawing == wide(DIGITS[1])


def test_without_a_model_drawing_still_works(qtbot, request) -> None:  # noqa: ANN001
    controller = RecognitionController(None)
    request.addfinalizer(controller.shutdown)
    answers: list[Recognition] = []
    controller.recognized.connect(answers.append)
    controller.update_stroke(DIGITS[1][0])
    controller.recognize_live()  # what the throttle timer would call: nothing to read with
    controller.finish_stroke(DIGITS[1][0])
    assert controller.drawing == wide(DIGITS[1])
    controller.recognize()
    assert answers == [] and controller.idle and controller.last is None


def test_an_opened_image_is_read_and_a_stroke_on_it_starts_a_new_drawing(
    qtbot, controller: RecognitionController
) -> None:  # noqa: ANN001
    pixels = digit_pixels(Drawing(DIGITS[7]))  # black on white: inverted on reading
    controller.open_image(pixels, Path("seven.png"))
    answered(controller)
    assert controller.page.is_image and controller.page.image_ink is not None
    assert controller.last.prediction.digit == 7
    draw(controller, DIGITS[1][0])
    assert not controller.page.is_image and controller.drawing == wide(DIGITS[1])
    assert controller.last.prediction.digit == 1
    controller.undo_stack.undo()
    answered(controller)
    assert controller.page.is_image and controller.last.prediction.digit == 7


def test_a_blank_image_gives_no_answer(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    controller.open_image(np.full((50, 80), 255, np.uint8))
    answered(controller)
    assert controller.page.image_ink is None
    assert controller.last.prediction is None


def test_a_new_model_reads_the_page_again(qtbot, controller: RecognitionController, always_three: Path) -> None:  # noqa: ANN001
    draw(controller, DIGITS[7][0])
    with qtbot.waitSignal(controller.model_changed) as changed:
        controller.set_recognizer(Recognizer(Classifier(always_three)))
    assert changed.args[0].name == "always three"
    answered(controller)
    assert controller.last.prediction.digit == 3


def test_a_long_session_keeps_a_bounded_undo_history(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    assert controller.undo_stack.undoLimit() == UNDO_LIMIT
    pages = [controller.drawing]  # the drawing after each undoable step
    for i in range(UNDO_LIMIT + 20):
        controller.finish_stroke(np.array([[100.0 + i % 50, 100.0], [120.0, 200.0]]))
        pages.append(controller.drawing)
        if i % 3 == 2:
            controller.clear()
            pages.append(controller.drawing)
    assert controller.undo_stack.count() == UNDO_LIMIT
    while controller.undo_stack.canUndo():  # the oldest steps are gone; the rest undo as before
        controller.undo_stack.undo()
    assert controller.drawing is pages[-1 - UNDO_LIMIT] and controller.drawing is not pages[0]


def test_a_model_that_reads_strokes_needs_no_raster_upkeep(
    qtbot, controller: RecognitionController, recognizer: Recognizer
) -> None:  # noqa: ANN001
    """The shipped model renders from the strokes: the answers are the core's, the raster made on demand."""
    assert not controller.recognizer_reads_raster
    for stroke in DIGITS[4]:
        draw(controller, stroke, qtbot)
    expected = recognizer.recognize(controller.drawing)
    assert controller.last is not None and controller.last.prediction is not None
    assert np.array_equal(controller.last.prediction.probabilities, expected.probabilities)
    assert np.array_equal(controller.raster, rasterize(controller.drawing))
    controller.undo_stack.undo()
    assert np.array_equal(controller.raster, rasterize(controller.drawing))


def test_the_worker_runs_the_latest_request_and_drops_the_ones_it_replaced(qtbot, request) -> None:  # noqa: ANN001
    """While one request runs, newer ones replace each other: a slow model never builds a queue."""
    ran, outcomes = run_four_jobs(qtbot, request, Worker("test-latest", latest_wins=True), expected=2)
    assert ran == [1, 4] and [o.job.tag for o in outcomes] == [1, 4] and [o.result for o in outcomes] == [1, 4]


def test_a_running_job_can_tell_that_a_newer_one_waits(qtbot, request) -> None:  # noqa: ANN001
    """Look Inside's jobs stop early when a newer request waits (`Worker.has_waiting`)."""
    worker = Worker("test-waiting", latest_wins=True)
    request.addfinalizer(worker.stop)
    release, seen, outcomes = threading.Event(), [], []
    worker.finished.connect(outcomes.append)

    def first() -> int:
        seen.append(worker.has_waiting)
        assert release.wait(ANSWER_TIMEOUT_S)
        seen.append(worker.has_waiting)
        return 1

    worker.submit(first, 1)
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=ANSWER_TIMEOUT_MS)  # it runs, and nothing waits
    worker.submit(lambda: 2, 2)
    release.set()
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=ANSWER_TIMEOUT_MS)
    assert seen == [False, True] and not worker.has_waiting


def test_an_ordered_worker_runs_every_job_in_turn(qtbot, request) -> None:  # noqa: ANN001
    """Teaching and imports: every job counts, so none is dropped, and they run in the order given."""
    ran, outcomes = run_four_jobs(qtbot, request, Worker("test-ordered", latest_wins=False), expected=4)
    assert ran == [1, 2, 3, 4] and [o.job.tag for o in outcomes] == [1, 2, 3, 4]


def run_four_jobs(qtbot, request, worker: Worker, expected: int) -> tuple[list[int], list[Outcome]]:  # noqa: ANN001
    """Submit jobs 1-4 while job 1 is still running, and collect what comes back."""
    request.addfinalizer(worker.stop)
    release, ran = threading.Event(), []

    def work(number: int) -> Callable[[], int]:
        def run() -> int:
            ran.append(number)
            if number == 1:
                assert release.wait(ANSWER_TIMEOUT_S)
            return number

        return run

    outcomes: list[Outcome] = []
    worker.finished.connect(outcomes.append)
    for number in (1, 2, 3, 4):
        worker.submit(work(number), number)
        if number == 1:
            qtbot.waitUntil(lambda: ran == [1], timeout=ANSWER_TIMEOUT_MS)  # the first runs before the others come
    release.set()
    qtbot.waitUntil(lambda: len(outcomes) == expected, timeout=ANSWER_TIMEOUT_MS)
    return ran, outcomes


def test_a_job_that_raises_is_its_outcome_and_the_worker_goes_on(qtbot, request) -> None:  # noqa: ANN001
    worker = Worker("test-errors", latest_wins=False)
    request.addfinalizer(worker.stop)

    def broken() -> None:
        raise KeyError("no such thing")

    outcomes: list[Outcome] = []
    worker.finished.connect(outcomes.append)
    worker.submit(broken)
    worker.submit(lambda: 7)
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=ANSWER_TIMEOUT_MS)
    assert isinstance(outcomes[0].error, KeyError) and outcomes[0].message == "KeyError: 'no such thing'"
    assert outcomes[1].error is None and outcomes[1].result == 7


def test_answers_about_ink_that_changed_are_never_shown(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    """A request made before an undo answers for a page that is gone: only the undo's answer shows."""
    answers: list[Recognition] = []
    controller.recognized.connect(answers.append)
    draw(controller, DIGITS[7][0])
    answers.clear()
    controller.finish_stroke(DIGITS[1][0])  # its answer is asked for...
    controller.undo_stack.undo()  # ...and the page changes before it can come
    answered(controller)
    assert len(answers) == 1 and answers[0].prediction.digit == 7


def test_shutdown_ends_the_recognition_thread_and_no_answer_comes_after(
    qtbot, controller: RecognitionController  # noqa: ANN001
) -> None:
    """The window calls shutdown when it closes: no thread may outlive it (one did, and the
    interpreter's exit crashed with a hundred such threads waiting). No idle timer ends it either."""
    before = set(threading.enumerate())
    draw(controller, DIGITS[7][0])
    answered(controller)
    started = [t for t in threading.enumerate() if t not in before and t.name == THREAD_NAME]
    assert len(started) == 1 and started[0].is_alive()
    controller.shutdown()
    assert controller.wait_stopped(ANSWER_TIMEOUT_S) and not started[0].is_alive()
    controller.recognize()  # asks after shutdown start no thread, so no answer can come
    assert [t for t in threading.enumerate() if t not in before and t.name == THREAD_NAME] == []
