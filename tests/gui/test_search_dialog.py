"""The search dialog against a real temporary database: typing, keys, filters, escaping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.gui.search_dialog import EMPTY_TEXT, HitRole, SearchDialog, hit_html
from csmdesk.services import accounts, contacts, records


@pytest.fixture
def book(db):  # type: ignore[no-untyped-def]
    acme = accounts.create_account(db, AccountDraft(name="Acme Robotics", domain="acme.com"))
    globex = accounts.create_account(db, AccountDraft(name="Globex"))
    assert acme.id is not None and globex.id is not None
    contacts.add_contact(db, acme.id, ContactDraft(name="Priya Nair", email="priya@acme.com"))
    when = datetime(2026, 5, 4, 9, tzinfo=UTC)
    ids = {
        "acme": acme.id,
        "globex": globex.id,
        "call": records.add_note(
            db,
            acme.id,
            "🚀 Kickoff done. The renewal is in June.",
            title="Call",
            kind="call",
            created_at=when,
        ).id,
        "qbr": records.add_note(
            db,
            globex.id,
            "Renewal risk: budget cut",
            title="QBR prep",
            kind="qbr",
            created_at=when,
        ).id,
        "html": records.add_note(
            db,
            acme.id,
            'Pasted <img src="http://evil.example/x.png"> <script>x()</script> zebra',
            title="Paste",
            created_at=when,
        ).id,
    }
    return db, ids


@pytest.fixture
def dialog(qtbot, book):  # type: ignore[no-untyped-def]
    db, _ = book
    d = SearchDialog(db)
    qtbot.addWidget(d)
    d.open_search()
    return d


def _type(qtbot, dialog: SearchDialog, text: str) -> None:  # type: ignore[no-untyped-def]
    dialog.query.clear()
    qtbot.keyClicks(dialog.query, text)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=3000)


def _rows(dialog: SearchDialog) -> list[str]:
    m = dialog.model
    return [str(m.index(r, 0).data()) for r in range(m.rowCount())]


def test_model_passes_the_model_tester(qtmodeltester, qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    _type(qtbot, dialog, "renewal")
    qtmodeltester.check(dialog.model)


def test_empty_state_then_results_as_you_type(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    assert dialog.stack.currentWidget() is dialog.empty and dialog.empty.text() == EMPTY_TEXT
    _type(qtbot, dialog, "renewal")
    assert dialog.stack.currentWidget() is dialog.results
    rows = _rows(dialog)
    assert rows[0] == "Notes · 2"
    assert any(r.startswith("Acme Robotics — Call · Call · 2026-05-04") for r in rows)
    _type(qtbot, dialog, "acme")
    assert _rows(dialog)[:2] == ["Accounts · 1", "Acme Robotics acme.com"]
    assert "Contacts · 1" in _rows(dialog)


def test_down_then_enter_opens_the_note_at_its_match(qtbot, dialog, book) -> None:  # type: ignore[no-untyped-def]
    _, ids = book
    _type(qtbot, dialog, "kickoff")
    qtbot.keyClick(dialog.query, Qt.Key.Key_Down)
    assert dialog.results.hasFocus() or dialog.focusWidget() is dialog.results
    with qtbot.waitSignal(dialog.note_chosen) as blocker:
        qtbot.keyClick(dialog.results, Qt.Key.Key_Return)
    # "🚀 " is two UTF-16 units and a space before "Kickoff": a QTextCursor position of 3.
    assert blocker.args == [ids["call"], 3]
    assert not dialog.isVisible()


def test_enter_on_an_account_emits_account_chosen(qtbot, dialog, book) -> None:  # type: ignore[no-untyped-def]
    _, ids = book
    _type(qtbot, dialog, "globex")
    with qtbot.waitSignal(dialog.account_chosen) as blocker:
        qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
    assert blocker.args == [ids["globex"]]


def test_filters_narrow_the_results(qtbot, dialog, book) -> None:  # type: ignore[no-untyped-def]
    _, ids = book
    _type(qtbot, dialog, "renewal")
    assert _rows(dialog)[0] == "Notes · 2"
    dialog.account.setCurrentIndex(dialog.account.findData(ids["globex"]))
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=3000)
    assert _rows(dialog)[0] == "Notes · 1" and "Globex — QBR prep" in _rows(dialog)[1]
    dialog.account.setCurrentIndex(0)
    dialog.kind.setCurrentIndex(dialog.kind.findData("call"))
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=3000)
    assert _rows(dialog)[0] == "Notes · 1" and "Call · Call" in _rows(dialog)[1]
    dialog.kind.setCurrentIndex(0)
    dialog.from_date.setDate(dialog.from_date.date().fromString("2026-06-01", "yyyy-MM-dd"))
    dialog.from_check.setChecked(True)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=3000)
    assert dialog.stack.currentWidget() is dialog.empty
    assert dialog.empty.text() == "No matches for “renewal”"


@pytest.mark.parametrize("query", ['"', "NEAR(", "AND OR NOT", "*", "(", "-foo", "🚀", "x" * 1000])
def test_hostile_query_shows_no_matches_or_results(qtbot, dialog, query: str) -> None:  # type: ignore[no-untyped-def]
    dialog.query.setText(query)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=5000)
    if dialog.stack.currentWidget() is dialog.empty:
        assert dialog.empty.text().startswith("No matches for “")
    else:
        assert dialog.model.rowCount() > 0


def test_html_in_a_note_is_shown_as_text(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    _type(qtbot, dialog, "zebra")
    index = next(
        dialog.model.index(r, 0)
        for r in range(dialog.model.rowCount())
        if dialog.model.index(r, 0).data(HitRole) is not None
    )
    html = hit_html(index.data(HitRole), dialog.palette())
    assert "<img" not in html and "<script" not in html
    doc = QTextDocument()
    doc.setHtml(html)
    shown = doc.toPlainText()
    assert '<img src="http://evil.example/x.png">' in shown and "<script>x()</script>" in shown
    assert "zebra" in shown
    dialog.results.viewport().repaint()  # the delegate paints it without complaint


def test_only_the_latest_query_is_shown(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    dialog.query.setText("globex")
    dialog._run_now()
    dialog.query.setText("kickoff")
    dialog._run_now()
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=3000)
    assert any("Kickoff" in r for r in _rows(dialog)) and not any(
        "Globex" in r for r in _rows(dialog)
    )


def test_escape_closes_and_controls_have_accessible_names(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    for widget in (dialog.query, dialog.account, dialog.kind, dialog.results, dialog.from_date):
        assert widget.accessibleName()
    qtbot.keyClick(dialog.query, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_a_stale_answer_is_dropped(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.services.search import search

    _type(qtbot, dialog, "kickoff")
    before = _rows(dialog)
    dialog._answered(dialog._generation - 1, "globex", search(dialog.db, "globex"))
    assert _rows(dialog) == before
