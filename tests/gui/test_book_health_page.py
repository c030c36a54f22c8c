"""The Book health page: headline, charts, deferred loading and choosing a band."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QBoxLayout

from csmdesk.domain.accounts import AccountDraft
from csmdesk.gui.book_health_page import BookHealthPage, headline_text
from csmdesk.gui.charts.style import ChartStyle
from csmdesk.gui.theme import apply_theme
from csmdesk.services import accounts
from csmdesk.services.book_health import book_health
from tests.conftest import TODAY


@pytest.fixture
def page(qtbot, demo_db) -> BookHealthPage:  # type: ignore[no-untyped-def]
    widget = BookHealthPage(demo_db, TODAY)
    qtbot.addWidget(widget)
    widget.resize(1100, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _row_point(page: BookHealthPage, row: float, axis: int = 0) -> QPoint:
    """The middle of a band's row in the accounts (0) or ARR (1) bars, in widget pixels."""
    chart = page.bands_chart
    assert chart is not None
    ax = chart.figure.axes[axis]
    x, y = ax.transData.transform((sum(ax.get_xlim()) / 2, row))
    ratio = chart.device_pixel_ratio
    return QPoint(round(x / ratio), round(chart.height() - y / ratio))


def _click_row(qtbot, page: BookHealthPage, row: float, axis: int = 0) -> None:  # type: ignore[no-untyped-def]
    assert page.bands_chart is not None
    QTest.mouseClick(page.bands_chart, Qt.MouseButton.LeftButton, pos=_row_point(page, row, axis))


def test_headline_names_the_book_in_plain_words(page: BookHealthPage, demo_db) -> None:  # type: ignore[no-untyped-def]
    expected = book_health(demo_db, TODAY)
    assert page.data == expected
    text = headline_text(expected)
    counts = expected.counts
    assert text.startswith(f"{expected.total_accounts} accounts · {counts['healthy']} Healthy · ")
    assert f"{counts['watch']} Watch · {counts['at_risk']} At risk · ARR at risk $" in text
    shown = page.headline.text()
    assert f"{expected.total_accounts:,} accounts" in shown and "href='band:watch'" in shown
    assert "ARR in the book" in page.summary.text()
    assert "renews by Oct 2027" in page.summary.text()
    assert page.note.isHidden()  # the demo book is all in dollars


def test_both_charts_draw_the_book(page: BookHealthPage) -> None:
    data = page.data
    assert data is not None
    bands, renewals = page.bands_chart, page.renewals_chart
    assert bands is not None and renewals is not None
    assert not bands.is_empty and not renewals.is_empty
    counts_ax, arr_ax = bands.figure.axes
    shown = ["healthy", "watch", "at_risk"] + (["unscored"] if data.counts["unscored"] else [])
    assert [p.get_width() for p in counts_ax.patches] == [data.counts[b] for b in shown]
    assert [p.get_width() for p in arr_ax.patches] == [data.arr_minor[b] / 100 for b in shown]
    (ax,) = renewals.figure.axes
    assert len(ax.patches) == 12 * 3
    month_totals = [sum(data.renewals_minor[b][i] for b in data.renewals_minor) for i in range(12)]
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(sum(month_totals) / 100)
    january = renewals.hover_at_data(2, month_totals[2] / 200)  # halfway up the column
    assert january is not None and january.startswith("Jan 2027 · ")
    assert page.chart_box.direction() == QBoxLayout.Direction.LeftToRight


def test_narrow_page_stacks_the_charts(qtbot, page: BookHealthPage) -> None:  # type: ignore[no-untyped-def]
    page.resize(600, 900)
    qtbot.waitUntil(lambda: page.chart_box.direction() == QBoxLayout.Direction.TopToBottom)
    page.resize(1100, 600)
    qtbot.waitUntil(lambda: page.chart_box.direction() == QBoxLayout.Direction.LeftToRight)


def test_loading_waits_until_the_page_is_shown(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    hidden = BookHealthPage(demo_db, TODAY)
    qtbot.addWidget(hidden)
    hidden.refresh()
    assert hidden.data is None and hidden.bands_chart is None
    hidden.show()
    qtbot.waitExposed(hidden)
    assert hidden.data is not None and hidden.bands_chart is not None
    before = hidden.data.total_accounts
    hidden.hide()
    accounts.create_account(demo_db, AccountDraft(name="Newco", arr_minor=10_000_00), today=TODAY)
    hidden.refresh()
    assert hidden.data.total_accounts == before  # stale until shown again
    hidden.show()
    qtbot.waitUntil(lambda: hidden.data is not None and hidden.data.total_accounts == before + 1)
    assert "Not scored" in hidden.headline.text()


def test_building_the_page_does_not_load_matplotlib(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from csmdesk.store import open_database\n"
        "from csmdesk.gui.book_health_page import BookHealthPage\n"
        "app = QApplication([])\n"
        f"db = open_database({str(tmp_path / 'book.sqlite3')!r})\n"
        "page = BookHealthPage(db, date(2026, 11, 25))\n"
        "page.refresh()\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib loaded'\n"
        "db.close()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_clicking_a_band_bar_chooses_that_band(qtbot, page: BookHealthPage) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(page.band_chosen, timeout=1000) as watch:
        _click_row(qtbot, page, 1)
    assert watch.args == ["watch"]
    with qtbot.waitSignal(page.band_chosen, timeout=1000) as at_risk:
        _click_row(qtbot, page, 2, axis=1)  # the ARR bars work too, even with no bar drawn
    assert at_risk.args == ["at_risk"]
    chart = page.bands_chart
    assert chart is not None
    with qtbot.assertNotEmitted(page.band_chosen):
        QTest.mouseClick(chart, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))  # the title
        QTest.mouseClick(chart, Qt.MouseButton.MiddleButton, pos=_row_point(page, 0))


def test_band_rows_show_a_pointing_hand(page: BookHealthPage) -> None:
    chart = page.bands_chart
    assert chart is not None
    QTest.mouseMove(chart, _row_point(page, 0))
    assert chart.cursor().shape() == Qt.CursorShape.PointingHandCursor
    assert chart.hover_text is not None and chart.hover_text.startswith("Healthy: ")
    QTest.mouseMove(chart, QPoint(5, 5))
    assert chart.cursor().shape() == Qt.CursorShape.ArrowCursor


def test_band_links_in_the_headline_choose_a_band(qtbot, page: BookHealthPage) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(page.band_chosen, timeout=1000) as chosen:
        page.headline.linkActivated.emit("band:healthy")
    assert chosen.args == ["healthy"]


def test_accounts_in_other_currencies_are_explained(qtbot, page: BookHealthPage, demo_db) -> None:  # type: ignore[no-untyped-def]
    draft = AccountDraft(name="Euroco", arr_minor=50_000_00, currency="EUR")
    accounts.create_account(demo_db, draft, today=TODAY)
    page.refresh()
    assert page.data is not None and page.data.other_currency_accounts == 1
    assert page.note.isVisible()
    assert "1 account billed in EUR is counted by band" in page.note.text()
    assert "not converted" in page.note.text()


def test_an_empty_book_explains_what_to_do(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    empty = BookHealthPage(db, TODAY)
    qtbot.addWidget(empty)
    empty.show()
    qtbot.waitExposed(empty)
    assert empty.stack.currentWidget() is empty.empty_label
    assert "No accounts in the book yet" in empty.empty_label.text()
    assert empty.bands_chart is None  # no charts, so no Matplotlib, for nothing to show


def test_headline_dots_follow_the_theme(qtbot, page: BookHealthPage, qapp) -> None:  # type: ignore[no-untyped-def]
    palette, sheet = qapp.palette(), qapp.styleSheet()
    try:
        apply_theme(qapp, "dark")
        dark = ChartStyle.from_palette(page.palette(), True).band("healthy")
        qtbot.waitUntil(lambda: dark in page.headline.text())
        bands = page.bands_chart
        assert bands is not None
        qtbot.waitUntil(lambda: bands.chart_style.dark)
    finally:
        apply_theme(qapp, "system")
        qapp.setStyleSheet(sheet)
        qapp.setPalette(palette)


def test_rhythm_tiles_show_the_demo_books_last_12_months(page: BookHealthPage, demo_db) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.services.book_health import rhythm_measures

    expected = rhythm_measures(demo_db, TODAY)
    assert page.measures == expected
    window = expected.onboarding.on_time.within_window
    assert window.measured > 0 and expected.reviews.due > 0  # the demo book has both
    on_time = page.tiles["on_time"]
    assert on_time.figure.text() == f"{round(window.value * 100)}%"
    assert f"{len(window.on_time)} of {window.measured} within 30 days" in on_time.detail.text()
    assert "benchmark 90%+" in on_time.title.text()
    reviews = page.tiles["reviews"]
    assert reviews.title.text() == "QBRs/EBRs on schedule"
    assert f"{expected.reviews.held} of {expected.reviews.due} held" in reviews.detail.text()
    first = page.tiles["first_value"]
    assert first.figure.text().endswith(" days") and "median of" in first.detail.text()
    for tile in page.tiles.values():
        assert tile.toolTip() and tile.accessibleName().startswith(tile.title.text())
    assert "share held by their due date" in reviews.toolTip()
    assert "last 12 months" in page.rhythm_heading.text()


def test_rhythm_is_computed_on_refresh_not_on_paint(qtbot, page: BookHealthPage) -> None:  # type: ignore[no-untyped-def]
    measures = page.measures
    page.repaint()
    page.resize(900, 600)
    qtbot.wait(10)
    assert page.measures is measures
    page.refresh()
    assert page.measures is not measures and page.measures == measures


def test_no_onboardings_or_reviews_say_so_instead_of_zero(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    accounts.create_account(db, AccountDraft(name="Zenith", lifecycle="mature"))
    widget = BookHealthPage(db, TODAY)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    texts = {k: (t.figure.text(), t.detail.text()) for k, t in widget.tiles.items()}
    assert texts == {
        "on_time": ("—", "No onboardings in the period"),
        "first_value": ("—", "No onboardings in the period"),
        "reviews": ("—", "No reviews fell due in the period"),
    }
    assert not any("0%" in f for f, _ in texts.values())
