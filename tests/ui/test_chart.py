"""The probability chart: its labels stay readable whichever digit wins."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetricsF

from digitpad.ui.chart import ProbabilityChart

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("winner", [0, 9])
def test_the_winners_percentage_stays_inside_the_plot(qtbot, winner: int) -> None:  # noqa: ANN001
    """The last bar's label was cut at the window's edge, the first one's covered the '100%' axis label."""
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    chart.resize(340, 200)
    probabilities = np.full(10, 1e-6)
    probabilities[winner] = 1.0
    chart.set_probabilities(probabilities)
    plot = chart._plot_rect()
    font = QFont(chart.font())
    font.setBold(True)
    bar = QRectF(0, plot.top(), 10, plot.height())  # a full-height bar
    caption = chart._caption_rect(">99.9%", font, chart._slot(winner, plot), bar, plot)
    assert caption.width() >= QFontMetricsF(font).horizontalAdvance(">99.9%")
    assert plot.left() <= caption.left() and caption.right() <= chart.width()
    axis_label_right = plot.left() - 6  # the '100%' label is right-aligned to here
    assert caption.left() > axis_label_right
    chart.grab()  # paints without error
