"""Sync in the window: the status line, a background sync, the panel and resolving a conflict."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from csmdesk.domain.accounts import AccountDraft
from csmdesk.gui.main_window import MainWindow
from csmdesk.gui.sync_ui import SyncPanel
from csmdesk.services import accounts
from csmdesk.services.sync import conflicts as conflict_service
from tests.conftest import TODAY
from tests.crm.hubspot_fake import HubSpotFake


@pytest.fixture
def connected(monkeypatch, hubspot_fake: HubSpotFake) -> HubSpotFake:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CSMDESK_HUBSPOT_URL", hubspot_fake.base_url)
    monkeypatch.setenv("CSMDESK_HUBSPOT_TOKEN", hubspot_fake.token)
    return hubspot_fake


def test_sync_from_the_window_and_resolve_a_conflict(  # type: ignore[no-untyped-def]
    qtbot, db, message_log, connected: HubSpotFake
) -> None:
    company = connected.add_company("Orbit Labs", domain="orbit.example", industry="Space")
    connected.add_note("<p>Launch review with <b>Mia</b></p>", company=company)
    win = MainWindow(db, today=TODAY)
    qtbot.addWidget(win)
    win.show()
    controller = win.sync.controller
    assert win.sync.label.text() == "CRM: not connected"
    with qtbot.waitSignal(controller.finished, timeout=20_000):
        assert controller.sync_now()
    assert "synced" in win.sync.label.text() and "0 pending" in win.sync.label.text()
    assert win.model.active_count() == 1  # the window reloaded the book
    account_id = win.model.book_row(0).id
    win.book.select_id(account_id)
    link = win.detail.crm_link
    assert not link.isHidden() and f"/company/{company['id']}" in link.text()
    # HubSpot's note is in the account's notes, read-only; a note of ours stays editable.
    tab = win.detail.notes_tab
    win.detail.tabs.setCurrentWidget(tab)
    tab.open_note(tab.list.item(0).data(Qt.ItemDataRole.UserRole))
    assert tab.editor.text() == "Launch review with Mia"
    assert tab.editor.edit.isReadOnly() and "read-only" in tab.editor.status.text()
    assert not tab.kind_combo.isEnabled()
    accounts.update_account(
        db, account_id, AccountDraft(name="Orbit Labs", domain="orbit.example", industry="Rockets")
    )
    connected.clock.advance(3)
    connected.touch("companies", company, industry="Satellites")
    with qtbot.waitSignal(controller.finished, timeout=20_000):
        controller.sync_now()
    assert "1 conflict" in win.sync.label.text()
    panel = win.sync.show_panel()
    assert isinstance(panel, SyncPanel)
    assert panel.conflicts.rowCount() == 1
    assert panel.conflicts.item(0, 2).text() == "Rockets"
    assert panel.conflicts.item(0, 3).text() == "Satellites"
    panel.grab().save(str(db.path.with_name("panel.png")))
    panel.tabs.setCurrentIndex(1)
    qtbot.mouseClick(panel.take_button, Qt.MouseButton.LeftButton)
    assert panel.conflicts.rowCount() == 0
    assert accounts.get_account(db, account_id).industry == "Satellites"
    assert conflict_service.open_conflicts(db) == []
    assert panel.runs.rowCount() == 2 and panel.runs.item(0, 1).text() == "conflicts"
    panel.close()


def test_offline_keeps_the_outbox(qtbot, db, message_log, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CSMDESK_HUBSPOT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("CSMDESK_HUBSPOT_TOKEN", "pat-na1-offline")
    win = MainWindow(db, today=TODAY)
    qtbot.addWidget(win)
    controller = win.sync.controller
    controller.client_options = {"retries": 1, "sleep": lambda _s: None}
    with qtbot.waitSignal(controller.finished, timeout=60_000):
        assert controller.sync_now()
    assert controller.online is False
    assert win.sync.label.text().startswith("HubSpot: offline")


def test_a_first_sync_shows_progress_and_can_be_cancelled(  # type: ignore[no-untyped-def]
    qtbot, db, message_log, connected: HubSpotFake
) -> None:
    connected.add_companies(400)
    connected.latency = 0.02  # a page every few tens of milliseconds, like a real portal
    win = MainWindow(db, today=TODAY)
    qtbot.addWidget(win)
    controller = win.sync.controller
    seen: list[str] = []

    def watch() -> None:
        text = win.sync.label.text()
        seen.append(text)
        if "companies: 100 pulled" in text:
            controller.cancel()

    controller.changed.connect(watch)
    with qtbot.waitSignal(controller.finished, timeout=30_000) as done:
        controller.sync_now()
    assert done.args[0].status == "cancelled"
    assert any("syncing" in t and "pulled" in t for t in seen)
    kept = win.model.active_count()
    assert 100 <= kept < 400  # the pages committed stay
    connected.latency = 0.0
    with qtbot.waitSignal(controller.finished, timeout=30_000) as again:
        controller.sync_now()
    assert again.args[0].status == "ok"
    assert win.model.active_count() == 400  # resumed, nothing doubled


def test_sync_settings_test_connection_and_mapping(  # type: ignore[no-untyped-def]
    qtbot, db, message_log, connected: HubSpotFake
) -> None:
    import json

    import keyring
    from keyring.backends import fail

    from csmdesk.gui.sync_ui import SyncSettingsDialog
    from csmdesk.services.sync import state

    dialog = SyncSettingsDialog(db)
    qtbot.addWidget(dialog)
    dialog.url_edit.setText(connected.base_url)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert "portal" in dialog.result.text() and "ms" in dialog.result.text()
    arr = dialog.property_edits["account.arr_minor"]
    index = arr.findData("arr")
    assert index >= 0 and "Annual recurring revenue" in arr.itemText(index)
    arr.setCurrentIndex(index)
    dialog.policy_boxes["account.industry"].setCurrentIndex(1)  # HubSpot wins
    dialog.save_mapping()
    with db.session() as s:
        saved = json.loads(state.get(s, "hubspot", "mapping") or "{}")
    assert saved["account.arr_minor"]["property"] == "arr"
    assert saved["account.industry"]["policy"] == "crm"
    assert saved["account.name"]["property"] == "name"
    # No keyring here: Connect refuses to keep the token and says what to do instead.
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        again = SyncSettingsDialog(db)
        qtbot.addWidget(again)
        assert not again.keyring_note.isHidden()
        again.url_edit.setText(connected.base_url)
        again.token_edit.setText(connected.token)
        again.connect_token()
        assert "CSMDESK_HUBSPOT_TOKEN" in again.result.text()
        assert connected.token not in again.result.text()
    finally:
        keyring.set_keyring(previous)
