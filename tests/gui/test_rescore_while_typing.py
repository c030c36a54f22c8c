"""A whole-book health rescore patches the book's Health column in place, so typing in the
filter box is not interrupted by a reload and reset of the table when it finishes."""

from __future__ import annotations

import gc
import sys
from datetime import timedelta

from PySide6.QtCore import Qt

from csmdesk.gui.book_model import COL_HEALTH, COL_NAME, BookFilter, BookModel, BookProxy
from csmdesk.gui.health_ui import HealthRecompute
from csmdesk.gui.main_window import MainWindow
from csmdesk.services import accounts
from csmdesk.services import health as health_service
from tests.conftest import TODAY


def _book(db):  # type: ignore[no-untyped-def]
    model = BookModel(TODAY)
    model.set_rows(accounts.list_book(db))
    proxy = BookProxy()
    proxy.setSourceModel(model)
    return model, proxy


def _shown_ids(proxy: BookProxy) -> list[int]:
    return [proxy.account_id(r) for r in range(proxy.rowCount())]


def _resets(model: BookModel) -> list[str]:
    seen: list[str] = []
    model.modelAboutToBeReset.connect(lambda: seen.append("reset"))
    return seen


def test_update_health_patches_rows_and_the_health_filter_follows(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    model, proxy = _book(demo_db)
    healthy = [r.id for r in model.rows() if r.health_band == "healthy"]
    target, dropped = healthy[0], healthy[1]
    proxy.set_filter(BookFilter(health="at_risk"))
    assert target not in _shown_ids(proxy)

    health_service.set_override(
        demo_db, target, "at_risk", "Sponsor left", TODAY + timedelta(days=30), today=TODAY
    )
    health_service.recompute(demo_db, TODAY, account_ids=[target])
    health_service.forget_scores(demo_db, [dropped])
    scores = health_service.cached_scores(demo_db)

    resets = _resets(model)
    with qtbot.waitSignal(model.dataChanged) as changed:
        assert model.update_health(scores) == 2
    assert resets == []
    top_left, bottom_right = changed.args[0], changed.args[1]
    assert top_left.column() == bottom_right.column() == COL_HEALTH

    row = model.book_row(model.row_of(target) or 0)
    assert (row.health_band, row.health) == ("at_risk", scores[target].value)
    text = model.data(model.index(model.row_of(target) or 0, COL_HEALTH))
    assert text.startswith(str(scores[target].value))
    gone = model.book_row(model.row_of(dropped) or 0)
    assert (gone.health, gone.health_band, gone.health_trend) == (None, None, None)
    assert model.data(model.index(model.row_of(dropped) or 0, COL_HEALTH)) == ""
    assert target in _shown_ids(proxy)  # the Health filter re-tested the rows

    # Nothing moved: no signal at all.
    with qtbot.assertNotEmitted(model.dataChanged), qtbot.assertNotEmitted(model.layoutChanged):
        assert model.update_health(scores) == 0


def test_update_health_keeps_a_health_sort_and_the_text_filter(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    model, proxy = _book(demo_db)
    proxy.sort(COL_HEALTH, Qt.SortOrder.AscendingOrder)
    first = model.book_row(0)
    proxy.set_filter(BookFilter(text=first.name[:3].lower()))
    shown = _shown_ids(proxy)
    assert first.id in shown

    # The weakest account becomes the strongest (a band set by hand has no score).
    scores = dict(health_service.cached_scores(demo_db))
    best = max(s.value for s in scores.values() if s.value is not None)
    scores[first.id] = health_service.CachedScore(
        TODAY, best + 1, "healthy", "healthy", 4, "All good"
    )
    resets = _resets(model)
    with qtbot.waitSignal(model.layoutChanged):
        assert model.update_health(scores) == 1
    assert resets == []
    values = [model.book_row(r).health for r in range(model.rowCount())]
    scored = [v for v in values if v is not None]
    assert scored == sorted(scored)
    assert model.book_row(len(scored) - 1).id == first.id
    assert sorted(_shown_ids(proxy)) == sorted(shown)  # the text filter still holds
    assert model.data(model.index(model.row_of(first.id) or 0, COL_NAME)) == first.name


def test_update_health_passes_modeltester(qtmodeltester, demo_db) -> None:  # type: ignore[no-untyped-def]
    model, proxy = _book(demo_db)
    scores = {
        account_id: health_service.CachedScore(TODAY, 50, "watch", "watch", -6, "Halfway")
        for account_id in health_service.cached_scores(demo_db)
    }
    assert model.update_health(scores) > 0
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)


def test_whole_book_rescore_patches_the_column_while_the_user_types(
    qtbot, demo_db, message_log
) -> None:  # type: ignore[no-untyped-def]
    # A day later every stored score is stale, so the window rescores the book at once.
    window = MainWindow(demo_db, today=TODAY + timedelta(days=1), demo=True)
    qtbot.addWidget(window)
    resets = _resets(window.model)
    collecting, interval = gc.isenabled(), sys.getswitchinterval()
    with qtbot.waitSignal(window.recompute.finished, timeout=30_000) as done:
        window.show()
        qtbot.keyClicks(window.book.filter_edit, "a")
    assert done.args is not None and done.args[0]
    assert resets == []
    assert window.book.filter_edit.text() == "a"
    assert window.book.proxy.rowCount() > 0
    stored = {r.id: (r.health, r.health_band, r.health_trend) for r in accounts.list_book(demo_db)}
    shown = {r.id: (r.health, r.health_band, r.health_trend) for r in window.model.rows()}
    assert shown == stored
    assert health_service.stale_count(demo_db, TODAY + timedelta(days=1)) == 0
    assert (gc.isenabled(), sys.getswitchinterval()) == (collecting, interval)
    assert message_log == []


def test_cancelled_rescore_restores_the_collector_and_switch_interval(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    recompute = HealthRecompute(demo_db)
    collecting, interval = gc.isenabled(), sys.getswitchinterval()
    with qtbot.waitSignal(recompute.finished, timeout=30_000) as done:
        assert recompute.start(TODAY + timedelta(days=1))
        recompute.cancel()
    assert done.args == [None]
    assert recompute.stored is None and not recompute.running
    assert (gc.isenabled(), sys.getswitchinterval()) == (collecting, interval)


def test_scores_of_a_database_left_behind_are_not_offered(qtbot, demo_db, db) -> None:  # type: ignore[no-untyped-def]
    recompute = HealthRecompute(demo_db)
    with qtbot.waitSignal(recompute.finished, timeout=30_000) as done:
        assert recompute.start(TODAY + timedelta(days=1))
        recompute.db = db  # a restore moved the window to another file meanwhile
    assert done.args is not None and done.args[0]
    assert recompute.stored is None  # the window reloads the book instead
