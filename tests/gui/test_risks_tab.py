"""The Risks tab driven like a CSM would: mitigate, resolve, reopen, add a risk by hand,
turn an expansion suggestion into an opportunity or dismiss it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtWidgets import QDialog

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.gui.risk_dialogs import AcceptDialog, MitigateDialog, NewRiskDialog
from csmdesk.gui.risks_tab import RisksTab
from csmdesk.services import accounts, contacts, health, records, signals
from tests.gui.helpers import when_dialog_opens

TODAY = date(2026, 11, 25)


@pytest.fixture
def account_id(db) -> int:  # type: ignore[no-untyped-def]
    account = accounts.create_account(
        db,
        AccountDraft(name="Acme", licensed_seats=100, lifecycle="mature", segment="mid_market",
                     contract_start=date(2025, 1, 1), currency="EUR"),
    )  # fmt: skip
    assert account.id is not None
    contacts.add_contact(db, account.id, ContactDraft(name="Priya Shah", roles=("champion",)))
    for week in range(8, 0, -1):
        records.record_health(db, account.id, TODAY - timedelta(weeks=week), active_users=60)
    # Today: a detractor answer (a risk) and seats nearly full (an expansion suggestion).
    records.record_health(db, account.id, TODAY, active_users=95, nps=3)
    health.recompute(db, TODAY)
    return account.id


@pytest.fixture
def tab(qtbot, db, account_id: int, message_log) -> RisksTab:  # type: ignore[no-untyped-def]
    widget = RisksTab(db, TODAY)
    qtbot.addWidget(widget)
    widget.resize(700, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_account(account_id, "EUR")
    return widget


def _titles(tab: RisksTab) -> list[str]:
    return [tab.risk_list.topLevelItem(i).text(1) for i in range(tab.risk_list.topLevelItemCount())]


def test_the_tab_lists_risks_from_the_signals(tab: RisksTab) -> None:
    titles = _titles(tab)
    assert "Detractor NPS (3)" in titles
    assert tab.summary.text().startswith(f"{len(titles)} unresolved risk")
    assert "Latest NPS response 3" in tab.risk_detail.text() or tab.current_risk() is not None
    assert tab.resolve_button.isEnabled() and not tab.reopen_button.isEnabled()


def test_loading_waits_until_the_tab_is_shown(qtbot, db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    hidden = RisksTab(db, TODAY)
    qtbot.addWidget(hidden)
    hidden.show_account(account_id)
    assert hidden.risks == [] and hidden._stale
    hidden.show()
    qtbot.waitExposed(hidden)
    assert hidden.risks and not hidden._stale


def _select(tab: RisksTab, title: str) -> None:
    for i in range(tab.risk_list.topLevelItemCount()):
        if tab.risk_list.topLevelItem(i).text(1) == title:
            tab.risk_list.setCurrentItem(tab.risk_list.topLevelItem(i))
            return
    raise AssertionError(f"{title} not listed")


def test_mitigate_then_resolve_then_reopen(qtbot, tab: RisksTab, account_id: int) -> None:  # type: ignore[no-untyped-def]
    _select(tab, "Detractor NPS (3)")
    changed: list[int] = []
    tab.changed.connect(changed.append)

    def plan(dialog: QDialog) -> None:
        assert isinstance(dialog, MitigateDialog)
        assert not dialog.ok_button.isEnabled()  # a plan is required
        qtbot.keyClicks(dialog.plan_edit, "Call the sponsor; fix the export bug")
        qtbot.keyClicks(dialog.escalated_edit, "Head of Support")
        dialog.ok_button.click()

    problems = when_dialog_opens(plan)
    tab.mitigate_button.click()
    assert problems == []
    risk = tab.current_risk()
    assert (
        risk is not None and risk.status == "mitigating" and risk.escalated_to == "Head of Support"
    )
    assert tab.risk_list.currentItem().text(2) == "Mitigating"
    assert "Call the sponsor" in tab.risk_detail.text()
    assert tab.mitigate_button.text() == "Edit &plan…"

    def resolve(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.note_edit, "Promoter again after the fix")  # type: ignore[attr-defined]
        dialog.mute_spin.setValue(14)  # type: ignore[attr-defined]
        dialog.accept()

    problems = when_dialog_opens(resolve)
    tab.resolve_button.click()
    assert problems == []
    assert "Detractor NPS (3)" not in _titles(tab)  # resolved risks are hidden by default
    tab.show_resolved.setChecked(True)
    _select(tab, "Detractor NPS (3)")
    assert tab.reopen_button.isEnabled()
    assert "Signal quiet until 2026-12-09" in tab.risk_detail.text()
    tab.reopen_button.click()
    assert tab.current_risk().status == "open"  # type: ignore[union-attr]
    history = [e.note for e in signals.risk_history(tab.db, tab.current_risk().id)]  # type: ignore[arg-type, union-attr]
    assert history[-1] == "Reopened by you." and len(history) == 4
    assert changed == [account_id] * 3


def test_new_risk_by_hand(qtbot, tab: RisksTab) -> None:  # type: ignore[no-untyped-def]
    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, NewRiskDialog)
        assert not dialog.ok_button.isEnabled()
        qtbot.keyClicks(dialog.title_edit, "Budget freeze in Q1")
        dialog.severity_combo.setCurrentIndex(3)
        dialog.ok_button.click()

    problems = when_dialog_opens(fill)
    tab.new_button.click()
    assert problems == []
    risk = tab.current_risk()
    assert risk is not None and (risk.title, risk.severity, risk.kind) == (
        "Budget freeze in Q1", "critical", "manual"
    )  # fmt: skip


def test_accept_and_dismiss_suggestions(qtbot, tab: RisksTab, account_id: int) -> None:  # type: ignore[no-untyped-def]
    kinds = [s.kind for s in tab.suggestions]
    assert "seats_near_limit" in kinds and "active_users_growing" in kinds
    tab.suggestion_list.setCurrentItem(
        tab.suggestion_list.topLevelItem(kinds.index("seats_near_limit"))
    )

    def accept(dialog: QDialog) -> None:
        assert isinstance(dialog, AcceptDialog)
        qtbot.keyClicks(dialog.amount_edit, "$5,000")
        assert not dialog.ok_button.isEnabled()  # dollars on a euro account
        dialog.amount_edit.setText("12.500,00 €")
        assert dialog.ok_button.isEnabled()
        dialog.ok_button.click()

    problems = when_dialog_opens(accept)
    tab.accept_button.click()
    assert problems == []
    (opp,) = records.list_opportunities(tab.db, account_id)
    assert (opp.amount_minor, opp.currency, opp.source) == (1_250_000, "EUR", "signal")
    assert "seats_near_limit" not in [s.kind for s in tab.suggestions]
    assert "95% of seats in use" in tab.opportunities.text()
    tab.suggestion_list.setCurrentItem(tab.suggestion_list.topLevelItem(0))
    first = tab.suggestions[0].kind
    tab.dismiss_button.click()
    assert first not in [s.kind for s in tab.suggestions]


def test_keyword_dialog_validates_and_cleans(qtbot) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.gui.health_ui import SignalKeywordsDialog

    dialog = SignalKeywordsDialog(None, signals.SignalSettings())
    qtbot.addWidget(dialog)
    assert dialog.save_button.isEnabled()
    assert "gainsight" in dialog.competitors_edit.toPlainText().splitlines()
    dialog.competitors_edit.setPlainText("Zendesk Sell\n\n  zendesk   sell \n" + "x" * 61)
    assert not dialog.save_button.isEnabled() and "longer than 60" in dialog.error_label.text()
    dialog.competitors_edit.setPlainText("Zendesk Sell\n\n  zendesk   sell \nHubSpot Service")
    assert dialog.save_button.isEnabled() and dialog.error_label.text() == ""
    settings = dialog.settings()
    assert settings is not None
    assert settings.competitors == ("Zendesk Sell", "HubSpot Service")
