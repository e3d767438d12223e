"""Your Samples: thumbnails cropped to the ink, a row per digit, plain plurals, careful defaults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from digitpad.ink.drawing import CANVAS_WIDTH, DEFAULT_CANVAS_SIZE, Drawing
from digitpad.reading.adapt import Effect
from digitpad.ui.main_window import MainWindow
from digitpad.ui.profile_window import THUMBNAIL, ProfileWindow, effect_text, ink_thumbnail
from tests.ui.helpers import densify, digit_drawing

pytestmark = pytest.mark.gui


def small_one_on_the_wide_canvas() -> Drawing:
    """A 1 of 60 canvas pixels on the 840 x 280 page, as a correction of one digit of a number leaves it."""
    return Drawing([densify([(700, 100), (700, 160)])], CANVAS_WIDTH, DEFAULT_CANVAS_SIZE)


def ink_box(pixmap_image, side: int) -> tuple[int, int]:  # noqa: ANN001
    """The dark pixels' height and width in a thumbnail image."""
    gray = np.array([[pixmap_image.pixelColor(x, y).lightness() for x in range(side)] for y in range(side)])
    rows, cols = np.nonzero(gray < 128)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def test_a_thumbnail_is_cropped_to_the_ink(qapp) -> None:  # noqa: ANN001
    image = ink_thumbnail(small_one_on_the_wide_canvas(), THUMBNAIL).toImage()
    height, width = ink_box(image, THUMBNAIL)
    assert height >= 0.6 * THUMBNAIL  # the whole page shrunk would leave it 60 / 840 of the side: 4 pixels
    assert width < height


def open_dialog(window: MainWindow, qtbot) -> ProfileWindow:  # noqa: ANN001
    assert window.personal is not None
    dialog = ProfileWindow(window.personal, window, window.settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_samples_are_grouped_by_digit(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    assert window.personal is not None
    another_seven = Drawing([stroke + 6.0 for stroke in digit_drawing(7).strokes])  # the same drawing is one sample
    window.personal.teach([(digit_drawing(7), 7), (digit_drawing(1), 1), (another_seven, 7)])
    dialog = open_dialog(window, qtbot)
    assert sorted(dialog.rows) == [1, 7]
    assert [dialog.rows[7].item(k).text() for k in range(dialog.rows[7].count())] == ["7", "7"]
    assert dialog.headings[7].text().endswith("2 samples") and dialog.headings[1].text().endswith("1 sample")
    assert dialog.headings[1].y() < dialog.rows[1].y() < dialog.headings[7].y() < dialog.rows[7].y()


@pytest.mark.parametrize(("effect", "expected", "unwanted"), [
    (Effect(4, 1, 0, 0), "The model alone reads 1 of them wrong; they do not fix it yet", "0 of"),
    (Effect(4, 1, 1, 1), "they fix it", "answer(s)"),
    (Effect(5, 3, 2, 1), "reads 3 of them wrong; they fix 2 of them", "answers wrong"),
    (Effect(5, 0, 0, 0), "reads every one of them right", "0 of"),
])
def test_the_effect_is_said_in_plain_words(effect: Effect, expected: str, unwanted: str,
                                           monkeypatch: pytest.MonkeyPatch, window: MainWindow) -> None:
    personal = window.personal
    assert personal is not None and personal.personalization is not None
    personal.teach([(digit_drawing(1), 1), (digit_drawing(0), 0)])
    monkeypatch.setattr(type(personal.personalization), "effect", lambda self: effect)
    text = effect_text(personal)
    assert expected in text and unwanted not in text
    if effect.broken == 1:
        assert "They make 1 answer wrong" in text


def test_forget_all_defaults_to_no(window: MainWindow, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    assert window.personal is not None
    window.personal.teach([(digit_drawing(1), 1)])
    asked: list[object] = []

    def answer(parent: object, title: str, text: str, buttons: object, default: object) -> QMessageBox.StandardButton:
        asked.append(default)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", answer)
    open_dialog(window, qtbot).reset_button.click()
    assert asked == [QMessageBox.StandardButton.No] and len(window.personal.samples) == 1


def test_export_and_import_start_in_the_folder_last_used(window: MainWindow, qtbot, tmp_path: Path,  # noqa: ANN001
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert window.personal is not None
    window.personal.teach([(digit_drawing(1), 1)])
    folder = tmp_path / "backups"
    folder.mkdir()
    starts: list[str] = []

    def save_name(parent: object, title: str, start: str, filters: str) -> tuple[str, str]:
        starts.append(start)
        return str(folder / "mine.sqlite3"), ""

    def open_name(parent: object, title: str, start: str, filters: str) -> tuple[str, str]:
        starts.append(start)
        return str(folder / "mine.sqlite3"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_name)
    open_dialog(window, qtbot).export_button.click()
    assert (folder / "mine.sqlite3").is_file()
    open_dialog(window, qtbot).import_button.click()  # a new window: the folder is remembered in the settings
    open_dialog(window, qtbot).export_button.click()
    assert starts[0] == "digitpad-profile.sqlite3"
    assert starts[1:] == [str(folder), str(folder / "digitpad-profile.sqlite3")]
