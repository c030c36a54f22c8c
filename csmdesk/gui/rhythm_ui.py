"""The book's rhythm in the window: how often to check in, when reviews fall due, and the
renewal windows (:class:`csmdesk.domain.rhythm.RhythmSettings`), edited in one dialog."""

from __future__ import annotations

import logging
import re
from itertools import pairwise

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.accounts import SEGMENT_LABELS
from csmdesk.domain.rhythm import (
    DEFAULT_SETTINGS,
    MAX_DAYS,
    REVIEW_KINDS,
    REVIEW_LABELS,
    RhythmSettings,
    RhythmSettingsError,
)
from csmdesk.gui import messages
from csmdesk.gui.dialog_parts import note_label, show_note
from csmdesk.models import Segment
from csmdesk.services import rhythm as rhythm_service
from csmdesk.store import Database, DatabaseProblem

log = logging.getLogger(__name__)

# Largest segment first, as a CSM thinks of the book.
SEGMENTS = (Segment.ENTERPRISE, Segment.MID_MARKET, Segment.SMB)
ONBOARDING_MONTHS = ("Month 1", "Month 2", "Month 3 on")
CADENCE_MNEMONICS = {
    Segment.ENTERPRISE: "&Enterprise",
    Segment.MID_MARKET: "&Mid-Market",
    Segment.SMB: "SM&B",
}
WINDOWS = 3
OFF = 0  # a renewal window spin box at 0: no such window


def _days_spin(name: str, *, low: int = 1, off: str | None = None) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(OFF if off is not None else low, MAX_DAYS)
    spin.setSuffix(" days")
    if off is not None:
        spin.setSpecialValueText(off)
    spin.setAccessibleName(name)
    spin.setObjectName(re.sub(r"\W+", "_", name.lower()) + "_spin")
    return spin


class RhythmSettingsDialog(QDialog):
    """Cadence by segment and onboarding month, reviews, renewal prep and windows.

    The dialog edits three onboarding months and up to three renewal windows; stored settings
    with more (only possible by hand) are shown by their first two months and last month, and
    their three largest windows, and saved that way.
    """

    def __init__(self, parent: QWidget | None, settings: RhythmSettings) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rhythm settings")
        self.setObjectName("rhythmSettingsDialog")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "How often you expect to be in touch with each account, when its business review is "
            "due, and when a renewal's preparation starts. An account's own cadence or review "
            "kind, set in its Edit form, wins over these."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        columns = QHBoxLayout()
        layout.addLayout(columns)

        touch = QGroupBox("Check-ins")
        touch_form = QFormLayout(touch)
        self.cadence_spins: dict[str, QSpinBox] = {}
        for segment in SEGMENTS:
            label = SEGMENT_LABELS[segment]
            spin = _days_spin(f"{label} check-in cadence")
            spin.setToolTip(f"Days between touchpoints for {label} accounts past onboarding.")
            touch_form.addRow(f"{CADENCE_MNEMONICS[segment]} every:", spin)
            self.cadence_spins[segment.value] = spin
        onboarding = QLabel("While onboarding, by month since the contract start:")
        onboarding.setWordWrap(True)
        touch_form.addRow(onboarding)
        self.onboarding_spins: list[QSpinBox] = []
        for month in ONBOARDING_MONTHS:
            spin = _days_spin(f"Onboarding check-in cadence, {month.lower()}")
            spin.setToolTip(
                "Days between touchpoints while onboarding. A month is complete on the "
                "contract start's day of the month."
            )
            touch_form.addRow(f"{month.replace(' ', ' &', 1)}:", spin)
            self.onboarding_spins.append(spin)
        columns.addWidget(touch)

        right = QVBoxLayout()
        columns.addLayout(right)
        reviews = QGroupBox("Business reviews")
        review_form = QFormLayout(reviews)
        self.review_months_spin = QSpinBox()
        self.review_months_spin.setRange(1, 12)
        self.review_months_spin.setSuffix(" months")
        self.review_months_spin.setAccessibleName("Months between reviews")
        self.review_months_spin.setToolTip(
            "A review is due this many months after the last one (or after the contract start)."
        )
        review_form.addRow("A re&view every:", self.review_months_spin)
        self.kind_combos: dict[str, QComboBox] = {}
        for segment in SEGMENTS:
            label = SEGMENT_LABELS[segment]
            combo = QComboBox()
            for kind in REVIEW_KINDS:
                combo.addItem(REVIEW_LABELS[kind], kind)
            combo.setAccessibleName(f"Review kind for {label}")
            combo.setToolTip("QBR: quarterly business review; EBR: executive business review.")
            review_form.addRow(f"{label} holds:", combo)
            self.kind_combos[segment.value] = combo
        right.addWidget(reviews)

        renewals = QGroupBox("Renewals")
        renewal_form = QFormLayout(renewals)
        self.prep_spin = _days_spin("Renewal checklist opens, days before the renewal")
        self.prep_spin.setSuffix(" days before")
        self.prep_spin.setToolTip("A renewal's checklist opens this many days before its date.")
        renewal_form.addRow("&Checklist opens:", self.prep_spin)
        windows_row = QHBoxLayout()
        self.window_spins: list[QSpinBox] = []
        for i in range(WINDOWS):
            spin = _days_spin(f"Renewal window {i + 1}", off=None if i == 0 else "Off")
            spin.setToolTip(
                "Days before the renewal date when the renewal enters this window "
                "(shown on Today and in the renewal's status). Off: no such window."
            )
            windows_row.addWidget(spin)
            self.window_spins.append(spin)
        windows_label = QLabel("&Windows at:")
        windows_label.setBuddy(self.window_spins[0])
        renewal_form.addRow(windows_label, windows_row)
        hint = QLabel("days before the renewal date")
        hint.setObjectName("hintLabel")
        renewal_form.addRow("", hint)
        right.addWidget(renewals)
        right.addStretch(1)

        self.error_label = note_label("errorLabel")
        layout.addWidget(self.error_label)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.ok_button = box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Save")
        self.defaults_button: QPushButton = box.button(
            QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.defaults_button.setText("&Restore defaults")
        self.defaults_button.setAutoDefault(False)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        self.defaults_button.clicked.connect(self.restore_defaults)
        layout.addWidget(box)

        self._fields: list[QWidget] = [
            *self.cadence_spins.values(),
            *self.onboarding_spins,
            self.review_months_spin,
            *self.kind_combos.values(),
            self.prep_spin,
            *self.window_spins,
        ]
        chain = [*self._fields, self.ok_button]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)
        self._settings: RhythmSettings | None = None
        self._loading = False
        self._load(settings)
        for spin in (
            *self.cadence_spins.values(),
            *self.onboarding_spins,
            self.review_months_spin,
            self.prep_spin,
            *self.window_spins,
        ):
            spin.valueChanged.connect(self._check)
        for combo in self.kind_combos.values():
            combo.currentIndexChanged.connect(self._check)
        self._check()
        self._fields[0].setFocus()

    def _load(self, settings: RhythmSettings) -> None:
        self._loading = True
        try:
            for segment, spin in self.cadence_spins.items():
                spin.setValue(settings.cadence_days[segment])
            steps = settings.onboarding_days
            for i, spin in enumerate(self.onboarding_spins):
                last = i == len(self.onboarding_spins) - 1
                spin.setValue(steps[-1] if last else steps[min(i, len(steps) - 1)])
            self.review_months_spin.setValue(settings.review_months)
            for segment, combo in self.kind_combos.items():
                combo.setCurrentIndex(max(0, combo.findData(settings.review_kind[segment])))
            self.prep_spin.setValue(settings.renewal_prep_days)
            windows = settings.renewal_windows[:WINDOWS]  # descending
            for i, spin in enumerate(self.window_spins):
                spin.setValue(windows[i] if i < len(windows) else OFF)
        finally:
            self._loading = False

    def restore_defaults(self) -> None:
        self._load(DEFAULT_SETTINGS)
        self._check()

    def _read(self) -> RhythmSettings:
        windows = [s.value() for s in self.window_spins if s.value() != OFF]
        repeated = sorted({w for w in windows if windows.count(w) > 1})
        if repeated:
            raise RhythmSettingsError(
                f"Two renewal windows are both {repeated[0]} days before the renewal; "
                "give each its own number of days, or turn one off."
            )
        return RhythmSettings(
            cadence_days={k: s.value() for k, s in self.cadence_spins.items()},
            onboarding_days=tuple(s.value() for s in self.onboarding_spins),
            review_months=self.review_months_spin.value(),
            review_kind={k: str(c.currentData()) for k, c in self.kind_combos.items()},
            renewal_prep_days=self.prep_spin.value(),
            renewal_windows=tuple(windows),
        )

    def _check(self, *_: object) -> None:
        if self._loading:
            return
        try:
            self._settings = self._read()
        except RhythmSettingsError as exc:
            self._settings = None
            reason = str(exc)
            show_note(self.error_label, reason[:1].upper() + reason[1:])
        else:
            show_note(self.error_label, "")
        self.ok_button.setEnabled(self._settings is not None)

    def settings(self) -> RhythmSettings | None:
        """The settings as edited, or ``None`` while they are invalid."""
        return self._settings

    def accept(self) -> None:
        if self._settings is not None:
            super().accept()


def edit_rhythm_settings(parent: QWidget | None, db: Database) -> bool:
    """Open the dialog on the book's settings and save them; True when saved."""
    dialog = RhythmSettingsDialog(parent, rhythm_service.load_settings(db))
    if not dialog.exec() or (settings := dialog.settings()) is None:
        return False
    try:
        rhythm_service.save_settings(db, settings)
    except DatabaseProblem as problem:
        log.warning("rhythm settings not saved: %s", problem)
        messages.error(parent, "Rhythm settings not saved", str(problem))
        return False
    return True
