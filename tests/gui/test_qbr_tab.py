"""The QBR tab against a real database: draft a review, edit it (saved by itself), mark it
held, export it in the background and open it (with a recording opener)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from csmdesk.gui.qbr_dialogs import HeldDialog, NewReviewDialog
from csmdesk.gui.qbr_tab import SAVE_DELAY_MS, QbrTab
from csmdesk.services import records, reviews
from tests.conftest import TODAY
from tests.gui.helpers import when_dialog_opens
from tests.services.test_reviews import HEBREW, make_globex


@pytest.fixture
def account_id(db) -> int:  # type: ignore[no-untyped-def]
    return make_globex(db)


@pytest.fixture
def opened() -> list[Path]:
    return []


@pytest.fixture
def tab(qtbot, db, account_id: int, opened: list[Path], message_log):  # type: ignore[no-untyped-def]
    widget = QbrTab(db, TODAY, opener=opened.append, ask_path=lambda *a: "")
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_account(account_id)
    return widget


def test_an_account_without_reviews_explains_what_to_do(tab: QbrTab) -> None:
    assert tab.list.count() == 0
    assert tab.empty.isVisible() and not tab.editor.isVisible()
    assert "New QBR/EBR" in tab.empty.text()
    assert tab.new_button.isEnabled() and not tab.delete_button.isEnabled()


def test_new_review_opens_prefilled_with_the_chart(qtbot, tab: QbrTab, db) -> None:  # type: ignore[no-untyped-def]
    problems = when_dialog_opens(
        lambda d: isinstance(d, NewReviewDialog) and d.values() == ("qbr", "2026-Q4") and d.accept()
    )
    tab.new_button.click()
    assert problems == []
    assert tab.list.count() == 1
    # Never reviewed since its start in January 2025: the rhythm says how late it is.
    assert tab.list.item(0).text() == "2026-Q4 · QBR\ndue 15 Apr 2025 (overdue)"
    assert tab.title_edit.text() == "Globex QBR 2026-Q4"
    assert (
        tab.editors["attendees"].toPlainText().startswith("Customer\n- Dana Reyes, VP Operations")
    )
    assert "76 of 100 licensed seats" in tab.editors["usage"].toPlainText()
    assert "Budget freeze in Q1" in tab.editors["risks"].toPlainText()
    assert "Add 50 seats for the EU team" in tab.editors["expansion"].toPlainText()
    assert "Send the renewal proposal — Alex Morgan" in tab.editors["next_steps"].toPlainText()
    qtbot.waitUntil(lambda: not tab.chart.pixmap().isNull(), timeout=10_000)
    assert tab.chart.pixmap().width() > 300
    assert tab.editor.isVisible() and not tab.empty.isVisible()


def test_editing_a_section_saves_itself_after_a_pause(qtbot, tab: QbrTab, db) -> None:  # type: ignore[no-untyped-def]
    review = tab.new_review()
    assert review is not None and review.id is not None
    changed: list[int] = []
    tab.changed.connect(changed.append)
    edit = tab.editors["goals"]
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "Cut onboarding to 2 weeks ")
    edit.insertPlainText(f"🚀 {HEBREW}")  # pasted: QTest cannot type a character beyond BMP
    assert tab.status.text() == "Editing…"
    assert reviews.get_review(db, review.id).goals == review.goals  # not yet: debounced
    qtbot.waitUntil(lambda: tab.status.text() == "Saved", timeout=SAVE_DELAY_MS * 3)
    assert reviews.get_review(db, review.id).goals == f"Cut onboarding to 2 weeks 🚀 {HEBREW}"
    assert changed == [review.account_id]
    qtbot.keyClicks(tab.editors["roadmap"], "x")
    tab.show_account(None)  # leaving the account saves at once
    assert reviews.get_review(db, review.id).roadmap.startswith("x- What we ship")


def test_a_blank_title_is_not_saved_and_says_why_without_a_dialog(
    qtbot, tab: QbrTab, db, message_log
) -> None:  # type: ignore[no-untyped-def]
    review = tab.new_review()
    assert review is not None and review.id is not None
    tab.title_edit.clear()
    qtbot.keyClicks(tab.title_edit, " ")
    assert tab.flush() is False
    assert tab.status.text() == "Not saved: A review needs a title."
    assert message_log == []
    assert reviews.get_review(db, review.id).title == "Globex QBR 2026-Q4"


def test_mark_held_logs_the_touchpoint_and_shows_it(
    qtbot, tab: QbrTab, db, account_id: int
) -> None:  # type: ignore[no-untyped-def]
    tab.new_review()

    def choose(dialog):  # type: ignore[no-untyped-def]
        assert isinstance(dialog, HeldDialog)
        dialog.date.setDate(dialog.date.date().addDays(-2))
        dialog.accept()

    problems = when_dialog_opens(choose)
    with qtbot.waitSignal(tab.held, timeout=1000) as signal:
        tab.held_button.click()
    assert problems == [] and signal.args == [account_id]
    touchpoint = records.last_touchpoint(db, account_id)
    assert touchpoint is not None and touchpoint.kind == "qbr"
    assert touchpoint.occurred_at.date() == date(2026, 11, 23)
    assert tab.list.item(0).text() == "2026-Q4 · QBR\nheld 23 Nov 2026"
    assert tab.held_label.text() == "Held 23 Nov 2026"


@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_export_runs_in_the_background_then_opens_the_file(
    qtbot, tab: QbrTab, tmp_path: Path, opened: list[Path], fmt: str
) -> None:  # type: ignore[no-untyped-def]
    tab.new_review()
    qtbot.keyClicks(tab.editors["roadmap"], "EU data centre")
    target = tmp_path / "out" / f"Globex.{fmt}"
    target.parent.mkdir()
    tab.exports.ask_path = lambda *a: str(target.with_suffix(""))  # the suffix is added
    with qtbot.waitSignal(tab.exports.status, timeout=5000):
        tab.exports.pdf_button.click() if fmt == "pdf" else tab.exports.pptx_button.click()
    task = tab.exports.task
    assert task is not None  # running on the pool, the window free meanwhile
    assert tab.exports.progress.isVisible() and tab.exports.cancel_button.isVisible()
    assert not tab.exports.pdf_button.isEnabled()
    qtbot.waitUntil(lambda: opened == [target], timeout=20_000)
    assert target.stat().st_size > 10_000
    assert tab.status.text() == f"Exported {target.name}"
    qtbot.waitUntil(lambda: tab.exports.task is None)
    assert not tab.exports.progress.isVisible() and tab.exports.pdf_button.isEnabled()
    assert tab.status.text() == f"Exported {target.name}"


def test_cancelling_an_export_writes_nothing_and_opens_nothing(
    qtbot, tab: QbrTab, tmp_path: Path, opened: list[Path]
) -> None:  # type: ignore[no-untyped-def]
    tab.new_review()
    target = tmp_path / "out" / "Globex.pdf"
    target.parent.mkdir()
    content = tab.current_content()
    assert content is not None
    task = tab.exports.export("pdf", target, content)
    assert task is not None
    task.cancel()  # before the worker starts: it stops at its first step
    qtbot.waitUntil(lambda: tab.exports.task is None, timeout=20_000)
    assert opened == [] and list(target.parent.iterdir()) == []
    assert tab.status.text() == "Export cancelled; no file written"


def test_delete_asks_then_removes_the_review(tab: QbrTab, db, account_id: int, message_log) -> None:  # type: ignore[no-untyped-def]
    tab.new_review()
    tab.delete_button.click()
    assert message_log[-1][0] == "confirm"
    assert reviews.list_reviews(db, account_id) == []
    assert tab.empty.isVisible()


def test_keyboard_reaches_the_sections(tab: QbrTab) -> None:
    tab.new_review()
    for key, edit in tab.editors.items():
        assert edit.accessibleName()
        assert edit.tabChangesFocus(), key
    assert tab.list.accessibleName() == "Reviews"
    assert "&N" in tab.new_button.text()
