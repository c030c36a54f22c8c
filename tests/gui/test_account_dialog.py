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


def test_new_account_with_its_own_cadence_and_review_kind(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    ui = dialog.ui
    assert ui.cadenceSpin.text() == "By segment" and ui.reviewCombo.currentText() == "By segment"
    qtbot.keyClicks(ui.nameEdit, "Zenith")
    assert (dialog.draft().cadence_days, dialog.draft().review_kind) == (None, None)
    ui.cadenceSpin.setValue(14)
    ui.reviewCombo.setCurrentIndex(ui.reviewCombo.findText("EBR"))
    assert ui.cadenceSpin.text() == "14 days"
    assert (dialog.draft().cadence_days, dialog.draft().review_kind) == (14, "ebr")
    assert dialog.save_button.isEnabled()


def test_edit_loads_the_own_rhythm_and_clears_it_back_to_by_segment(qtbot) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.domain.accounts import AccountDraft

    dlg = AccountDialog(None, AccountDraft(name="Acme", cadence_days=21, review_kind="qbr"))
    qtbot.addWidget(dlg)
    assert (dlg.ui.cadenceSpin.value(), dlg.ui.reviewCombo.currentText()) == (21, "QBR")
    assert (dlg.draft().cadence_days, dlg.draft().review_kind) == (21, "qbr")
    dlg.ui.cadenceSpin.setValue(dlg.ui.cadenceSpin.minimum())
    dlg.ui.reviewCombo.setCurrentIndex(0)
    assert dlg.ui.cadenceSpin.text() == "By segment"
    assert (dlg.draft().cadence_days, dlg.draft().review_kind) == (None, None)


def test_cadence_beyond_a_year_cannot_be_typed(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.ui.nameEdit, "Zenith")
    spin = dialog.ui.cadenceSpin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "500")
    assert 1 <= spin.value() <= 366
    assert dialog.draft() is not None and dialog.draft().cadence_days != 500
    assert (spin.minimum(), spin.maximum()) == (0, 366)


def test_rhythm_fields_sit_between_tags_and_payment_issue_in_tab_order(dialog) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    ui = dialog.ui
    tabbed, widget = [], ui.tagsEdit
    while len(tabbed) < 3:
        widget = widget.nextInFocusChain()
        inner = widget.objectName().startswith("qt_")  # a spin box's own line edit
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and not inner:
            tabbed.append(widget)
    assert tabbed == [ui.cadenceSpin, ui.reviewCombo, ui.paymentIssueCheck]
    assert ui.cadenceSpin.accessibleName() and ui.reviewCombo.accessibleName()


def test_compiled_forms_are_not_older_than_their_ui_files() -> None:
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for ui_file in sorted((root / "ui").glob("*.ui")):
        compiled = root / "csmdesk" / "gui" / "forms" / f"ui_{ui_file.stem}.py"
        first = compiled.read_text(encoding="utf-8").splitlines()[0]
        digest = hashlib.sha256(ui_file.read_bytes()).hexdigest()
        assert first == f"# source-sha256: {digest}", (
            f"run python tools/build_forms.py ({ui_file.name})"
        )
