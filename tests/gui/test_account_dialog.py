"""The account form validates as you type; Save is enabled only when the account is valid."""

from __future__ import annotations

from datetime import date

import pytest

from csmdesk.gui.account_dialog import AccountDialog
from csmdesk.gui.widgets import set_date


@pytest.fixture
def dialog(qtbot):  # type: ignore[no-untyped-def]
    dlg = AccountDialog(None, domain_check=lambda d: "Acme Robotics" if d == "acme.com" else None)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


@pytest.mark.parametrize("arr", ["12k", "-5", "five", "1.2.3.4"])
def test_bad_amounts_keep_save_disabled(qtbot, dialog, arr: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.ui.nameEdit, "Zenith")
    qtbot.keyClicks(dialog.ui.arrEdit, arr)
    assert not dialog.save_button.isEnabled()
    assert dialog.ui.errorLabel.isVisible() and "ARR" in dialog.ui.errorLabel.text()
    dialog.ui.arrEdit.setText("$12,000")
    assert dialog.save_button.isEnabled()
    assert dialog.draft().arr_minor == 1_200_000


def test_empty_name_and_renewal_before_start(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    assert not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.ui.nameEdit, "Zenith")
    set_date(dialog.ui.contractStartEdit, date(2026, 6, 1))
    set_date(dialog.ui.renewalEdit, date(2026, 5, 1))
    assert not dialog.save_button.isEnabled()
    assert "before the contract start" in dialog.ui.errorLabel.text()
    set_date(dialog.ui.renewalEdit, date(2027, 6, 1))
    assert dialog.save_button.isEnabled()
    dialog.ui.nameEdit.clear()
    assert not dialog.save_button.isEnabled()


def test_duplicate_domain_warns_but_allows_saving(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.ui.nameEdit, "Acme Europe")
    qtbot.keyClicks(dialog.ui.domainEdit, "https://www.ACME.com/")
    assert "Acme Robotics" in dialog.ui.warningLabel.text()
    assert dialog.save_button.isEnabled()
