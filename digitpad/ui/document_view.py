"""A Markdown file shown inside the app (the model card), so that its link works without a browser.

The file is read bounded, as anything from outside is; one that cannot be read says why in the
dialog itself. The dialog names the file's path, so that a person can open it elsewhere too.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from digitpad.errors import DigitpadError
from digitpad.files import read_regular_file

#: A model card is a few kilobytes; this only bounds a strange file.
MAX_DOCUMENT_BYTES = 1_000_000


class DocumentView(QDialog):
    """The Markdown file at `path`, rendered, with its path above it."""

    def __init__(self, path: Path, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{title} — digitpad")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        where = QLabel(f"<small>{html.escape(str(path))}</small>")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setWordWrap(True)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)  # a link out would need a browser; the text says where
        self.browser.setOpenLinks(False)
        try:
            text = read_regular_file(path, MAX_DOCUMENT_BYTES, "documents").decode("utf-8", "replace")
            self.browser.setMarkdown(text)
        except DigitpadError as exc:
            self.browser.setPlainText(f"This file cannot be shown: {exc}.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(where)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.resize(720, 640)
