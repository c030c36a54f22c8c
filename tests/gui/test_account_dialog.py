"""The account form validates as you type; Save is enabled only when the account is valid."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from csmdesk.domain.accounts import AccountDraft
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


# --- how a changed ARR is recorded ----------------------------------------------------------


def _edit_dialog(qtbot, arr_minor: int = 120_000_00):  # type: ignore[no-untyped-def]
    from csmdesk.domain.accounts import AccountDraft

    dlg = AccountDialog(None, AccountDraft(name="Acme", arr_minor=arr_minor))
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_the_arr_choice_appears_only_while_the_arr_differs(qtbot) -> None:  # type: ignore[no-untyped-def]
    dlg = _edit_dialog(qtbot)
    assert not dlg.arr_change_box.isVisible() and dlg.arr_change() is None
    dlg.ui.arrEdit.setText("150,000")
    assert dlg.arr_change_box.isVisible() and dlg.arr_change() == "expansion"
    assert not dlg.arr_change_buttons["contraction"].isEnabled()
    assert "+$30,000" in dlg.arr_change_hint.text()
    dlg.ui.arrEdit.setText("90,000")
    assert dlg.arr_change() == "contraction"  # the default follows the direction
    assert not dlg.arr_change_buttons["expansion"].isEnabled()
    dlg.ui.arrEdit.setText("0")
    assert dlg.arr_change() == "contraction" and "churn" in dlg.arr_change_hint.text()
    dlg.ui.arrEdit.setText("120,000")
    assert not dlg.arr_change_box.isVisible() and dlg.arr_change() is None


def test_a_chosen_correction_survives_further_typing(qtbot) -> None:  # type: ignore[no-untyped-def]
    dlg = _edit_dialog(qtbot)
    dlg.ui.arrEdit.setText("12,000")
    dlg.arr_change_buttons["correction"].click()
    assert dlg.arr_change() == "correction" and "amended" in dlg.arr_change_hint.text()
    dlg.ui.arrEdit.setText("120,000")  # back to the saved ARR
    assert dlg.arr_change() is None
    dlg.ui.arrEdit.setText("125,000")
    assert dlg.arr_change() == "expansion"  # shown anew: the default again
    dlg.arr_change_buttons["correction"].click()
    dlg.ui.arrEdit.setText("126,000")
    assert dlg.arr_change() == "correction"  # kept while the question stays on screen


def test_a_new_account_is_never_asked(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.ui.nameEdit, "Zenith")
    qtbot.keyClicks(dialog.ui.arrEdit, "50000")
    assert not dialog.arr_change_box.isVisible() and dialog.arr_change() is None


def test_the_choice_sits_between_currency_and_contract_start_in_tab_order(qtbot) -> None:  # type: ignore[no-untyped-def]
    dlg = _edit_dialog(qtbot)
    dlg.ui.arrEdit.setText("150,000")
    ui = dlg.ui
    chain, widget = [], ui.currencyCombo
    while widget is not ui.contractStartEdit and len(chain) < 10:
        widget = widget.nextInFocusChain()
        inner = widget.parent() is ui.currencyCombo  # an editable combo's own line edit
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and not inner:
            chain.append(widget.objectName())
    assert chain == [
        "arrChange_expansion",
        "arrChange_contraction",
        "arrChange_correction",
        "contractStartEdit",
    ]


@pytest.mark.parametrize(
    ("typed", "choice", "history"),
    [
        ("150,000", None, [("new", 120_000_00), ("expansion", 150_000_00)]),
        ("90,000", None, [("new", 120_000_00), ("contraction", 90_000_00)]),
        ("125,000", "correction", [("new", 125_000_00)]),
    ],
)
def test_the_choice_drives_update_account(
    qtbot, db, typed: str, choice: str | None, history
) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.services import accounts, records

    account = accounts.create_account(
        db, AccountDraft(name="Acme", arr_minor=120_000_00, contract_start=date(2025, 1, 1))
    )
    assert account.id is not None
    dlg = AccountDialog(None, accounts.draft_of(account))
    qtbot.addWidget(dlg)
    dlg.ui.arrEdit.setText(typed)
    if choice is not None:
        dlg.arr_change_buttons[choice].click()
    draft = dlg.draft()
    assert draft is not None
    accounts.update_account(
        db, account.id, draft, arr_change=dlg.arr_change(), today=date(2026, 6, 1)
    )
    events = records.list_arr_events(db, account.id)
    assert [(e.kind, e.arr_after_minor) for e in events] == history
    assert accounts.get_account(db, account.id).arr_minor == events[-1].arr_after_minor
