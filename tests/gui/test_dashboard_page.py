"""The Numbers page in the main window, on the demo book: tiles, charts, drill-downs, export."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from csmdesk.domain.accounts import AccountDraft
from csmdesk.gui.dashboard_page import DashboardPage
from csmdesk.gui.drilldown import DrillDownDialog
from csmdesk.gui.main_window import MainWindow
from csmdesk.services import accounts, kpis
from csmdesk.services import kpi_summary as summary
from csmdesk.store import Database
from tests.conftest import TODAY
from tests.gui.helpers import when_dialog_opens


@pytest.fixture
def window(qtbot, demo_db, message_log):  # type: ignore[no-untyped-def]
    win = MainWindow(demo_db, today=TODAY, demo=True)
    qtbot.addWidget(win)
    win.resize(1360, 860)
    win.show()
    qtbot.waitExposed(win)
    return win


def _open_numbers(qtbot, window: MainWindow) -> DashboardPage:  # type: ignore[no-untyped-def]
    page = window.numbers
    assert page.dash is None  # nothing computed (nor Matplotlib loaded) until it is shown
    with qtbot.waitSignal(page.computed, timeout=10_000):
        qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is page
    return page


def _click_bar(qtbot, chart, key: str) -> None:  # type: ignore[no-untyped-def]
    point = chart.key_point(key)
    assert point is not None, (key, chart.column_keys())
    ratio = chart.devicePixelRatioF()
    x, y = point[0] / ratio, chart.height() - point[1] / ratio  # Matplotlib counts from below
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))


def _drill(window: MainWindow) -> DrillDownDialog:
    assert window.numbers.drills, "no drill-down opened"
    return window.numbers.drills[-1]


def test_tiles_show_the_numbers_of_the_service(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    page = _open_numbers(qtbot, window)
    expected = kpis.book_kpis(window.db, summary.period_for(summary.TRAILING, TODAY), today=TODAY)
    assert page.tiles["grr"].value.text() == summary.percent_text(expected.retention.grr)
    assert page.tiles["nrr"].value.text() == summary.percent_text(expected.retention.nrr)
    assert page.tiles["nps"].value.text() == summary.nps_text(expected.nps.score)
    assert page.tiles["grr"].benchmark.text() == "Benchmark 90%+"
    assert "churned" in page.tiles["grr"].toolTip()  # the definition
    assert all(t.tile is not None for t in page.tiles.values())
    # The quick pass shows the figures; the comparison with the prior period follows.
    if not page.dash.compared:  # type: ignore[union-attr]
        assert page.tiles["grr"].change.text() == "Comparing with the prior period\u2026"
        with qtbot.waitSignal(page.compared, timeout=10_000):
            pass
    assert page.dash is not None and page.dash.previous is not None
    assert (
        page.tiles["grr"].change.text()
        == summary.change("grr", expected.retention.grr, page.dash.previous.retention.grr)[0]
    )
    assert len(page.tiles["grr"].sparkline.values) == 8
    # The demo's year reads like a real one: NRR above 100%, a few churns, some expansion.
    assert expected.retention.nrr is not None and expected.retention.nrr > 1
    assert expected.retention.churned > 0 and expected.retention.expansion > 0
    image = page.grab().toImage()
    assert image.width() > 800
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 37)
               for y in range(0, image.height(), 37)}  # fmt: skip
    assert len(colours) > 8  # drawn, not a blank page


def test_bridge_has_six_labelled_bars_and_each_opens_its_accounts(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow
) -> None:
    page = _open_numbers(qtbot, window)
    bridge = page.bridge_chart
    assert bridge is not None and not bridge.is_empty
    bridge.draw()
    keys = [b.key for b in bridge.bars]
    assert keys == [f"bridge:{k}" for k in summary.BRIDGE_KEYS]
    labels = [t.get_text() for t in bridge.figure.axes[0].get_xticklabels()]
    assert labels in (
        ["Start", "New", "Expansion", "Contraction", "Churn", "End"],
        ["Start", "New", "Exp.", "Contr.", "Churn", "End"],
    )
    _click_bar(qtbot, bridge, "bridge:churned")
    dialog = _drill(window)
    churned = page.dash.current.retention.accounts("churned")  # type: ignore[union-attr]
    assert dialog.drill.target == "bridge:churned"
    assert len(dialog.drill.accounts.rows) == len(churned) > 0
    assert {r.account_id for r in dialog.drill.accounts.rows} == {m.account_id for m in churned}
    dialog.close()


def test_a_tile_click_lists_the_cohort_and_opens_an_account(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow
) -> None:
    page = _open_numbers(qtbot, window)
    qtbot.mouseClick(page.tiles["logo_retention"], Qt.MouseButton.LeftButton)
    dialog = _drill(window)
    cohort = page.dash.current.retention.cohort  # type: ignore[union-attr]
    assert dialog.accounts_view.model().rowCount() == cohort
    view = dialog.accounts_view
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    first = view.model().index(0, 0)
    name = first.data()
    view.setCurrentIndex(first)
    with qtbot.waitSignal(page.account_chosen):
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert window.pages.currentWidget() is window.splitter
    current = window.book.current_id()
    assert current is not None and accounts.get_account(window.db, current).name == name
    dialog.close()


def test_drill_down_exports_the_sorted_table_as_csv(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    page = _open_numbers(qtbot, window)
    dialog = page.open_drill("grr")
    assert dialog is not None
    target = tmp_path / "cohort"
    dialog.ask_path = lambda *_args: str(target)
    dialog.accounts_view.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # start ARR, largest first
    written = dialog.ask_export()
    assert written == tmp_path / "cohort.csv"
    with written.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == page.dash.current.retention.cohort  # type: ignore[union-attr]
    starts = [float(r["Start ARR"]) for r in rows]
    assert starts == sorted(starts, reverse=True)
    dialog.close()


def test_period_picker_and_a_bad_custom_period(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    page = _open_numbers(qtbot, window)
    combo = page.period_combo
    with qtbot.waitSignal(page.computed, timeout=10_000):
        combo.setCurrentIndex(combo.findData(summary.LAST_QUARTER))
    assert page.dash is not None
    assert page.dash.current.period == summary.period_for(summary.LAST_QUARTER, TODAY)
    assert "Q" in page.title.text()
    assert page.from_edit.isHidden()  # the custom dates show only for a custom period
    before = page.dash.current.period
    assert page.set_custom(date(2026, 6, 1), date(2026, 5, 1)) is False
    assert page.to_edit.property("invalid") or page.to_edit.toolTip()
    assert page.dash.current.period == before  # nothing recomputed
    with qtbot.waitSignal(page.computed, timeout=10_000):
        assert page.set_custom(date(2026, 4, 1), date(2026, 9, 30))
    assert page.dash.current.period == kpis.Period(date(2026, 4, 1), date(2026, 9, 30))
    assert not page.from_edit.isHidden()


def test_book_review_export_writes_a_pdf(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = _open_numbers(qtbot, window)
    target = tmp_path / "review.pdf"
    page.ask_path = lambda *_args: str(target)
    with qtbot.waitSignal(page.status, timeout=20_000) as said:
        page.export_review()
    assert target.read_bytes().startswith(b"%PDF")
    assert str(target) in said.args[0]
    qtbot.waitUntil(page.export_button.isEnabled)


def test_an_empty_book_shows_its_empty_state(qtbot, db: Database, message_log) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(db, today=TODAY)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.numbers.computed, timeout=10_000):
        win.pages.setCurrentWidget(win.numbers)
    assert win.numbers.stack.currentWidget() is win.numbers.empty_label


def test_an_account_without_a_rate_is_named_until_a_rate_is_given(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow
) -> None:
    accounts.create_account(
        window.db,
        AccountDraft(name="Kronos GmbH", currency="EUR", arr_minor=80_000_00),
        today=date(2025, 6, 1),
    )
    window.reload()
    page = _open_numbers(qtbot, window)
    assert not page.warnings.isHidden() and "Kronos GmbH" in page.warnings.text()

    def fill(dialog) -> None:  # type: ignore[no-untyped-def]
        dialog.fields["EUR"].setText("1,08")
        dialog.accept()

    problems = when_dialog_opens(fill)
    with qtbot.waitSignal(page.computed, timeout=10_000):
        assert page.edit_rates()
    assert not problems
    assert kpis.load_settings(window.db).rates == {"EUR": Decimal("1.08")}
    assert "Kronos GmbH" not in page.warnings.text()


def test_colours_follow_the_standing(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    page = _open_numbers(qtbot, window)
    tile = page.tiles["nrr"]
    assert tile.tile is not None and tile.tile.standing == summary.GOOD
    assert QColor(tile.value.palette().color(tile.value.foregroundRole())).isValid()
