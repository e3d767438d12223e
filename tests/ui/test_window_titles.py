"""The title names the file the drawing is in; Save offers drawing JSON first; the model card opens here."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QLabel

from digitpad.ink.drawing import Drawing
from digitpad.ink.drawing_file import load_drawing, save_drawing
from digitpad.ui.main_window import DRAWING_FILTER, PNG_FILTER, MainWindow
from tests.ui.helpers import DIGITS, draw_digit

pytestmark = pytest.mark.gui


def shown_title(window: MainWindow) -> str:
    """The title as the window manager shows it: Qt's [*] becomes * when the drawing is changed."""
    return window.windowTitle().replace("[*]", "*" if window.isWindowModified() else "")


def test_an_untitled_drawing_then_the_name_it_is_saved_under(window: MainWindow, tmp_path: Path) -> None:
    assert shown_title(window) == "Untitled — digitpad"
    draw_digit(window.canvas, 7)
    assert shown_title(window) == "Untitled* — digitpad"
    assert window.save_drawing(tmp_path / "seven.json")
    assert shown_title(window) == "seven.json — digitpad"
    draw_digit(window.canvas, 1)
    assert shown_title(window) == "seven.json* — digitpad"
    window.controller.clear()
    assert shown_title(window) == "Untitled* — digitpad"


def test_saving_an_opened_drawing_as_png_names_the_png(window: MainWindow, tmp_path: Path) -> None:
    save_drawing(tmp_path / "year.json", Drawing(DIGITS[4]))
    assert window.open_drawing(tmp_path / "year.json")
    assert shown_title(window) == "year.json — digitpad"
    draw_digit(window.canvas, 1)
    assert window.save_drawing(tmp_path / "year.png")
    assert shown_title(window) == "year.png — digitpad"


def test_the_save_dialog_offers_drawing_json_first(window: MainWindow, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, ...]] = []

    def answer(parent: object, title: str, start: str, filters: str, selected: str = "") -> tuple[str, str]:
        asked.append((start, filters, selected))
        return str(tmp_path / "seven"), selected  # no suffix typed, the offered filter kept

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    draw_digit(window.canvas, 7)
    assert window.save_drawing_dialog()
    (_, filters, selected), = asked
    assert filters.split(";;")[0] == DRAWING_FILTER and PNG_FILTER in filters and selected == DRAWING_FILTER
    assert load_drawing(tmp_path / "seven.json").strokes  # saved as drawing JSON, strokes kept
    assert window.save_drawing_dialog()
    assert asked[1][0] == str(tmp_path / "seven.json")  # the next save starts from the file it is in


def test_the_model_card_link_opens_the_card_in_the_app(window: MainWindow) -> None:
    window.about_action.trigger()
    box = window.message_box
    assert box is not None
    label = next(label for label in box.findChildren(QLabel) if "README.md" in label.text())
    assert not label.openExternalLinks()  # a file:// link would need a browser
    card = window.controller.model_info.path.with_name("README.md")
    label.linkActivated.emit(card.as_uri())
    view = window.document_view
    assert view is not None and view.isVisible() and not box.isVisible()  # the card in place of the box
    heading = next(line for line in card.read_text().splitlines() if line.startswith("#"))
    first_heading = heading.lstrip("# ").replace("`", "")  # rendered: no Markdown marks left
    assert first_heading in view.browser.toPlainText()
    view.close()


def test_a_model_card_that_cannot_be_read_says_so(window: MainWindow, tmp_path: Path) -> None:
    window.show_document((tmp_path / "gone.md").as_uri())
    assert window.document_view is not None
    assert "cannot be shown" in window.document_view.browser.toPlainText()
