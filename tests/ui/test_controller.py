"""The controller: strokes in, one undo step per stroke, answers out, the raster always exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitpad.classifier import Classifier
from digitpad.ink import Drawing
from digitpad.raster import rasterize
from digitpad.recognizer import Recognizer
from digitpad.ui.canvas import render_drawing
from digitpad.ui.controller import LIVE_MIN_INTERVAL_MS, UNDO_LIMIT, Recognition, RecognitionController, blank_drawing
from digitpad.ui.image_reader import qimage_to_rgba
from tests.onnx_models import linear_model
from tests.ui.helpers import DIGITS


def wide(strokes: object) -> Drawing:
    """A drawing on the app's page: the wide canvas."""
    return Drawing(strokes, blank_drawing().width, blank_drawing().height)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def recognizer(shipped_model: Path) -> Recognizer:
    return Recognizer(Classifier(shipped_model))


@pytest.fixture
def controller(qtbot, recognizer: Recognizer) -> RecognitionController:  # noqa: ANN001 (qtbot)
    return RecognitionController(recognizer)


def draw(controller: RecognitionController, stroke: np.ndarray, qtbot=None) -> None:  # noqa: ANN001
    """Feed a stroke point by point; with qtbot, wait for a live answer halfway."""
    half = len(stroke) // 2
    for end in range(1, len(stroke) + 1):
        controller.update_stroke(stroke[:end])
        if qtbot is not None and end == half:
            with qtbot.waitSignal(controller.recognized, timeout=2000) as blocker:
                pass
            assert blocker.args[0].live
    controller.finish_stroke(stroke)


def test_each_stroke_is_read_when_the_pen_lifts(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    answers: list[Recognition] = []
    controller.recognized.connect(answers.append)
    for stroke in DIGITS[4]:
        draw(controller, stroke)
    final = answers[-1]
    assert not final.live
    assert final.prediction is not None and final.prediction.digit == 4
    assert final.seconds > 0
    assert np.array_equal(final.prediction.model_input, controller.recognize().prediction.model_input)


def test_live_answers_come_while_drawing_and_are_throttled(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    answers: list[Recognition] = []
    controller.recognized.connect(answers.append)
    stroke = DIGITS[7][0]
    for end in range(1, len(stroke) + 1):
        controller.update_stroke(stroke[:end])
    assert answers == []  # a burst of pointer events costs no recognition at all...
    qtbot.wait(LIVE_MIN_INTERVAL_MS * 3)
    assert len(answers) == 1 and answers[0].live  # ...and then one answer for the latest ink
    assert answers[0].prediction is not None and answers[0].prediction.digit == 7
    assert controller.drawing.is_blank  # nothing is committed before the pen lifts


def test_incremental_raster_equals_full_rasterize_exactly(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    """With a model that reads the canvas raster (MNIST normalization), kept up to date stroke by stroke."""
    controller = RecognitionController(Recognizer(Classifier(linear_model(tmp_path / "raster.onnx"))))
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
    assert controller.drawing.is_blank and controller.last is not None and controller.last.prediction is None
    controller.undo_stack.redo()
    controller.undo_stack.redo()
    assert controller.drawing == wide(DIGITS[4])
    assert controller.last.prediction.digit == 4


def test_clear_is_one_undoable_step_and_a_no_op_on_a_blank_page(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    controller.clear()
    assert controller.undo_stack.count() == 0
    draw(controller, DIGITS[1][0])
    controller.clear()
    assert controller.drawing.is_blank
    assert controller.last.prediction is None  # blank: a prompt, never a guess
    controller.undo_stack.undo()
    assert controller.drawing == wide(DIGITS[1])


def test_without_a_model_drawing_still_works(qtbot) -> None:  # noqa: ANN001
    controller = RecognitionController(None)
    answers: list[Recognition] = []
    controller.recognized.connect(answers.append)
    draw(controller, DIGITS[1][0])
    qtbot.wait(LIVE_MIN_INTERVAL_MS * 2)
    assert controller.drawing == wide(DIGITS[1])
    assert answers == [] and controller.recognize() is None


def test_an_opened_image_is_read_and_a_stroke_on_it_starts_a_new_drawing(
    qtbot, controller: RecognitionController
) -> None:  # noqa: ANN001
    pixels = qimage_to_rgba(render_drawing(Drawing(DIGITS[7])))  # black on white: inverted on reading
    controller.open_image(pixels, Path("seven.png"))
    assert controller.page.image is not None and controller.page.image_ink is not None
    assert controller.last.prediction.digit == 7
    draw(controller, DIGITS[1][0])
    assert controller.page.image is None and controller.drawing == wide(DIGITS[1])
    assert controller.last.prediction.digit == 1
    controller.undo_stack.undo()
    assert controller.page.image is not None and controller.last.prediction.digit == 7


def test_a_blank_image_gives_no_answer(qtbot, controller: RecognitionController) -> None:  # noqa: ANN001
    controller.open_image(np.full((50, 80), 255, np.uint8))
    assert controller.page.image_ink is None
    assert controller.last.prediction is None


def test_a_new_model_reads_the_page_again(qtbot, controller: RecognitionController, always_three: Path) -> None:  # noqa: ANN001
    draw(controller, DIGITS[7][0])
    with qtbot.waitSignal(controller.model_changed) as changed:
        controller.set_recognizer(Recognizer(Classifier(always_three)))
    assert changed.args[0].name == "always three"
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
