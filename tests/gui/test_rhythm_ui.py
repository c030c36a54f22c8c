"""The rhythm settings dialog: loads every setting, refuses what cannot be used, saves."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from csmdesk.domain.rhythm import DEFAULT_SETTINGS, RhythmSettings
from csmdesk.gui.rhythm_ui import RhythmSettingsDialog, edit_rhythm_settings
from csmdesk.services import rhythm as rhythm_service

CUSTOM = RhythmSettings(
    cadence_days={"enterprise": 21, "mid_market": 40, "smb": 120},
    onboarding_days=(5, 10, 20),
    review_months=6,
    review_kind={"enterprise": "qbr", "mid_market": "ebr", "smb": "qbr"},
    renewal_prep_days=120,
    renewal_windows=(120, 45, 15),
)


@pytest.fixture
def dialog(qtbot):  # type: ignore[no-untyped-def]
    def make(settings: RhythmSettings = DEFAULT_SETTINGS) -> RhythmSettingsDialog:
        dlg = RhythmSettingsDialog(None, settings)
        qtbot.addWidget(dlg)
        dlg.show()
        return dlg

    return make


def test_defaults_show_the_documented_rhythm(dialog) -> None:  # type: ignore[no-untyped-def]
    dlg = dialog()
    assert {k: s.value() for k, s in dlg.cadence_spins.items()} == {
        "enterprise": 30,
        "mid_market": 45,
        "smb": 90,
    }
    assert [s.value() for s in dlg.onboarding_spins] == [7, 14, 30]
    assert dlg.review_months_spin.value() == 3
    assert {k: c.currentText() for k, c in dlg.kind_combos.items()} == {
        "enterprise": "EBR",
        "mid_market": "QBR",
        "smb": "QBR",
    }
    assert dlg.prep_spin.value() == 90
    assert [s.value() for s in dlg.window_spins] == [90, 60, 30]
    assert dlg.ok_button.isEnabled() and dlg.settings() == DEFAULT_SETTINGS


def test_every_setting_is_edited_and_read_back(dialog) -> None:  # type: ignore[no-untyped-def]
    dlg = dialog(CUSTOM)
    assert dlg.settings() == CUSTOM
    dlg.cadence_spins["smb"].setValue(60)
    dlg.onboarding_spins[2].setValue(25)
    dlg.review_months_spin.setValue(4)
    dlg.kind_combos["smb"].setCurrentIndex(dlg.kind_combos["smb"].findText("EBR"))
    dlg.prep_spin.setValue(100)
    dlg.window_spins[2].setValue(10)
    got = dlg.settings()
    assert got is not None
    assert got.cadence_days["smb"] == 60 and got.onboarding_days == (5, 10, 25)
    assert (got.review_months, got.review_kind["smb"]) == (4, "ebr")
    assert (got.renewal_prep_days, got.renewal_windows) == (100, (120, 45, 10))


def test_repeated_renewal_window_is_refused_with_a_reason(dialog) -> None:  # type: ignore[no-untyped-def]
    dlg = dialog()
    dlg.window_spins[1].setValue(90)
    assert dlg.settings() is None and not dlg.ok_button.isEnabled()
    assert dlg.error_label.isVisible() and "90 days" in dlg.error_label.text()
    dlg.window_spins[1].setValue(60)
    assert dlg.ok_button.isEnabled() and not dlg.error_label.isVisible()


def test_windows_can_be_turned_off_but_not_the_first(dialog) -> None:  # type: ignore[no-untyped-def]
    dlg = dialog(RhythmSettings(renewal_windows=(120, 30)))
    assert [s.value() for s in dlg.window_spins] == [120, 30, 0]
    assert dlg.window_spins[2].text() == "Off"
    assert dlg.window_spins[0].minimum() == 1
    dlg.window_spins[1].setValue(0)
    assert dlg.settings() is not None and dlg.settings().renewal_windows == (120,)


def test_spin_boxes_hold_only_usable_values(dialog) -> None:  # type: ignore[no-untyped-def]
    dlg = dialog()
    for spin in (*dlg.cadence_spins.values(), *dlg.onboarding_spins, dlg.prep_spin):
        assert (spin.minimum(), spin.maximum()) == (1, 366)
    assert (dlg.review_months_spin.minimum(), dlg.review_months_spin.maximum()) == (1, 12)


def test_restore_defaults(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    dlg = dialog(CUSTOM)
    dlg.window_spins[1].setValue(120)  # invalid first: restoring must clear the reason too
    assert not dlg.ok_button.isEnabled()
    qtbot.mouseClick(dlg.defaults_button, Qt.MouseButton.LeftButton)
    assert dlg.settings() == DEFAULT_SETTINGS
    assert dlg.ok_button.isEnabled() and not dlg.error_label.isVisible()
    assert dlg.result() == 0 and dlg.isVisible()  # restoring does not close the dialog


def test_fields_are_named_and_tab_in_order(dialog) -> None:  # type: ignore[no-untyped-def]
    dlg = dialog()
    fields = dlg._fields
    assert len(fields) == 3 + 3 + 1 + 3 + 1 + 3
    names = [f.accessibleName() for f in fields]
    assert all(names) and len(set(names)) == len(names)
    widget: QWidget = fields[0]
    tabbed = [widget]
    while len(tabbed) < len(fields) + 1:
        widget = widget.nextInFocusChain()
        inner = widget.objectName().startswith("qt_")
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and not inner:
            tabbed.append(widget)
    assert tabbed == [*fields, dlg.ok_button]


def _answer(action: Callable[[QDialog], None]) -> None:
    def run() -> None:
        modal = QApplication.activeModalWidget()
        assert isinstance(modal, RhythmSettingsDialog)
        action(modal)

    QTimer.singleShot(0, run)


def test_edit_saves_through_the_service(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    def change_and_save(dlg: QDialog) -> None:
        assert isinstance(dlg, RhythmSettingsDialog)
        dlg.cadence_spins["enterprise"].setValue(21)
        dlg.accept()

    _answer(change_and_save)
    assert edit_rhythm_settings(None, db) is True
    assert rhythm_service.load_settings(db).cadence_days["enterprise"] == 21


def test_cancel_saves_nothing(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    rhythm_service.save_settings(db, CUSTOM)

    def change_and_cancel(dlg: QDialog) -> None:
        assert isinstance(dlg, RhythmSettingsDialog)
        assert dlg.settings() == CUSTOM  # opened on the stored settings
        dlg.cadence_spins["enterprise"].setValue(99)
        dlg.reject()

    _answer(change_and_cancel)
    assert edit_rhythm_settings(None, db) is False
    assert rhythm_service.load_settings(db) == CUSTOM
