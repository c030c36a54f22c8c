"""Health in the window: entering a reading, overriding a band, the scoring settings, and the
background recompute that keeps the book's Health column current."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, cast

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.health import DEFAULT_WEIGHTS, LABELS, Settings, SettingsError
from csmdesk.domain.readings import METRIC_LABELS, METRICS, WHOLE, check_reading, reading_warnings
from csmdesk.gui.book_model import BAND_LABELS
from csmdesk.gui.tasks import Report, Task
from csmdesk.gui.widgets import get_date, mark_invalid, set_date
from csmdesk.services import health as health_service
from csmdesk.services import records
from csmdesk.services import signals as signal_service
from csmdesk.store import Database

log = logging.getLogger(__name__)

# The interpreter's switch interval while a recompute runs (seconds; Python's default: 0.005).
SWITCH_INTERVAL = 0.0002


def _date_edit(value: date) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    set_date(edit, value)
    return edit


def _buttons(dialog: QDialog, ok_text: str) -> tuple[QDialogButtonBox, Any]:
    box = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
    )
    save = box.button(QDialogButtonBox.StandardButton.Save)
    save.setText(ok_text)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box, save


class ReadingDialog(QDialog):
    """One day's metrics for an account; every field but the date is optional."""

    def __init__(self, parent: QWidget | None, *, today: date, seats: int | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a health reading")
        self.setObjectName("readingDialog")
        self.today, self.seats = today, seats
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.date_edit = _date_edit(today)
        self.date_edit.setAccessibleName("Date")
        form.addRow("&Date:", self.date_edit)
        self.fields: dict[str, QLineEdit] = {}
        hints = {"feature_adoption_pct": "0 to 100", "nps": "0 to 10", "csat": "1 to 5"}
        for metric in METRICS:
            edit = QLineEdit()
            edit.setObjectName(f"{metric}Edit")
            edit.setAccessibleName(METRIC_LABELS[metric])
            edit.setPlaceholderText(hints.get(metric, "leave empty if unknown"))
            edit.textChanged.connect(self._check)
            form.addRow(f"{METRIC_LABELS[metric]}:", edit)
            self.fields[metric] = edit
        layout.addLayout(form)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.warning_label = QLabel()
        self.warning_label.setObjectName("warningLabel")
        self.warning_label.setWordWrap(True)
        layout.addWidget(self.error_label)
        layout.addWidget(self.warning_label)
        box, self.save_button = _buttons(self, "&Save reading")
        layout.addWidget(box)
        self.date_edit.dateChanged.connect(self._check)
        self._values: dict[str, float | int | None] | None = None
        self._check()

    def _read(self) -> tuple[dict[str, float | int | None], dict[str, str]]:
        values: dict[str, float | int | None] = {}
        errors: dict[str, str] = {}
        for metric, edit in self.fields.items():
            text = edit.text().strip().replace("%", "").replace(",", ".")
            if not text:
                continue
            try:
                number = float(text)
            except ValueError:
                errors[metric] = f"{METRIC_LABELS[metric]}: '{edit.text()}' is not a number."
                continue
            values[metric] = int(number) if metric in WHOLE and number.is_integer() else number
        found = check_reading(values, get_date(self.date_edit), self.today)
        errors.update({k: v for k, v in found.items() if k not in errors})
        if not values and not errors:
            errors["metrics"] = "Enter at least one metric."
        return values, errors

    def _check(self, *_: object) -> None:
        values, errors = self._read()
        for metric, edit in self.fields.items():
            mark_invalid(edit, errors.get(metric))
        mark_invalid(self.date_edit, errors.get("on"))
        # "Enter at least one metric" is the starting state, not an error worth red text.
        shown = {k: v for k, v in errors.items() if k != "metrics"}
        self.error_label.setText("\n".join(shown.values()))
        warnings = reading_warnings(values, self.seats) if not errors else []
        self.warning_label.setText("\n".join(warnings))
        self._values = None if errors else values
        self.save_button.setEnabled(not errors)

    def reading(self) -> tuple[date, dict[str, float | int | None]] | None:
        on = get_date(self.date_edit)
        return None if self._values is None or on is None else (on, self._values)


class OverrideDialog(QDialog):
    """Set the band by hand, with a reason and an end date."""

    def __init__(self, parent: QWidget | None, *, today: date) -> None:
        super().__init__(parent)
        self.setWindowTitle("Override the health band")
        self.setObjectName("overrideDialog")
        self.today = today
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.band_combo = QComboBox()
        self.band_combo.setAccessibleName("Band")
        for band, label in BAND_LABELS.items():
            self.band_combo.addItem(label, band)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setAccessibleName("Reason")
        self.reason_edit.setPlaceholderText("Why the numbers do not tell the whole story")
        self.reason_edit.setFixedHeight(80)
        self.expires_edit = _date_edit(today + timedelta(days=30))
        self.expires_edit.setAccessibleName("Until")
        form.addRow("&Band:", self.band_combo)
        form.addRow("&Reason:", self.reason_edit)
        form.addRow("&Until:", self.expires_edit)
        layout.addLayout(form)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        layout.addWidget(self.error_label)
        box, self.save_button = _buttons(self, "&Override")
        layout.addWidget(box)
        self.reason_edit.textChanged.connect(self._check)
        self.expires_edit.dateChanged.connect(self._check)
        self._check()

    def _check(self, *_: object) -> None:
        until = get_date(self.expires_edit)
        late = until is None or until < self.today
        self.error_label.setText("The override must last until today or later." if late else "")
        self.save_button.setEnabled(not late and bool(self.reason_edit.toPlainText().strip()))

    def values(self) -> tuple[str, str, date]:
        until = get_date(self.expires_edit) or self.today
        return str(self.band_combo.currentData()), self.reason_edit.toPlainText().strip(), until


class HealthSettingsDialog(QDialog):
    """Weights of the five components and the band thresholds."""

    def __init__(self, parent: QWidget | None, settings: Settings) -> None:
        super().__init__(parent)
        self.setWindowTitle("Health score settings")
        self.setObjectName("healthSettingsDialog")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Each component scores 0 to 100; the health score is their weighted average. "
            "A component without data is left out and its weight shared among the others."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.weights: dict[str, QSpinBox] = {}
        for key in DEFAULT_WEIGHTS:
            spin = QSpinBox()
            spin.setRange(0, 100)
            spin.setValue(round(settings.weights.get(key, 0)))
            spin.setAccessibleName(f"Weight of {LABELS[key]}")
            form.addRow(f"{LABELS[key]} weight:", spin)
            self.weights[key] = spin
        self.healthy_spin = QSpinBox()
        self.healthy_spin.setRange(1, 100)
        self.healthy_spin.setValue(settings.healthy_at)
        self.watch_spin = QSpinBox()
        self.watch_spin.setRange(0, 99)
        self.watch_spin.setValue(settings.watch_at)
        form.addRow("Healthy from:", self.healthy_spin)
        form.addRow("Watch from (below: At risk):", self.watch_spin)
        layout.addLayout(form)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        layout.addWidget(self.error_label)
        box, self.save_button = _buttons(self, "&Save")
        layout.addWidget(box)
        for spin in (*self.weights.values(), self.healthy_spin, self.watch_spin):
            spin.valueChanged.connect(self._check)
        self._settings: Settings | None = None
        self._check()

    def _check(self, *_: object) -> None:
        try:
            self._settings = Settings.from_json(
                Settings(
                    weights={k: float(s.value()) for k, s in self.weights.items()},
                    healthy_at=self.healthy_spin.value(),
                    watch_at=self.watch_spin.value(),
                ).to_json()
            )
            self.error_label.setText("")
        except (SettingsError, ValueError) as exc:
            self._settings = None
            self.error_label.setText(str(exc))
        self.save_button.setEnabled(self._settings is not None)

    def settings(self) -> Settings | None:
        return self._settings


class SignalKeywordsDialog(QDialog):
    """The words the signal rules look for in the notes of the last 60 days."""

    def __init__(self, parent: QWidget | None, settings: signal_service.SignalSettings) -> None:
        super().__init__(parent)
        self.setWindowTitle("Signal keywords")
        self.setObjectName("signalKeywordsDialog")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Notes of the last 60 days are searched for these words or phrases (whole words, "
            "any case). One per line."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.competitors_edit = QPlainTextEdit("\n".join(settings.competitors))
        self.competitors_edit.setAccessibleName("Competitors")
        self.competitors_edit.setTabChangesFocus(True)
        self.expansion_edit = QPlainTextEdit("\n".join(settings.expansion_words))
        self.expansion_edit.setAccessibleName("Expansion phrases")
        self.expansion_edit.setTabChangesFocus(True)
        form.addRow("&Competitors (a risk):", self.competitors_edit)
        form.addRow("E&xpansion phrases:", self.expansion_edit)
        layout.addLayout(form)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        layout.addWidget(self.error_label)
        box, self.save_button = _buttons(self, "&Save")
        layout.addWidget(box)
        self.competitors_edit.textChanged.connect(self._check)
        self.expansion_edit.textChanged.connect(self._check)
        self._settings: signal_service.SignalSettings | None = None
        self._check()

    def _check(self) -> None:
        try:
            self._settings = signal_service.make_settings(
                self.competitors_edit.toPlainText().splitlines(),
                self.expansion_edit.toPlainText().splitlines(),
            )
        except ValidationError as exc:
            self._settings = None
            self.error_label.setText(str(exc))
        else:
            self.error_label.setText("")
        self.save_button.setEnabled(self._settings is not None)

    def settings(self) -> signal_service.SignalSettings | None:
        return self._settings


class HealthRecompute(QObject):
    """Scores accounts off the GUI thread; one run at a time, cancellable.

    The run shares the interpreter with the GUI thread, and Qt calls into Python (each filter
    test, each painted cell) wait for the GIL. So while it runs: Python's cyclic garbage
    collector is paused (the facts of a whole book are a million young objects, which set off
    full collections of 50-120 ms each, every one a frozen window); the interpreter's switch
    interval is cut from 5 ms to :data:`SWITCH_INTERVAL`, the longest a waiting GUI thread
    waits for the GIL; and the scoring loops leave a gap every few accounts. The scores the
    window shows afterwards are read here too, not on the GUI thread (:attr:`stored`).
    """

    progressed = Signal(int, int)
    finished = Signal(object)  # set of account ids scored, or None after a failure or cancel

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.task: Task | None = None
        self._scoring = db  # the database of the current or last run
        # Every stored score (account id → score) as read right after the last successful
        # run, for the book's Health column; None until then, after a failed run, or when
        # the run scored a database other than the current one.
        self.stored: dict[int, health_service.CachedScore] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None

    def start(self, on: date, account_ids: Iterable[int] | None = None) -> bool:
        if self.task is not None:
            return False
        ids = None if account_ids is None else list(account_ids)
        db = self.db

        def work(report: Report) -> tuple[set[int], dict[int, health_service.CachedScore]]:
            collecting, interval = gc.isenabled(), sys.getswitchinterval()
            gc.disable()
            sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
            try:
                scored = set(health_service.recompute(db, on, account_ids=ids, progress=report))
                return scored, health_service.cached_scores(db)
            finally:
                sys.setswitchinterval(interval)
                if collecting:
                    gc.enable()

        task = Task(work, self)
        task.progressed.connect(self.progressed)
        task.succeeded.connect(self._done)
        task.failed.connect(self._failed)
        self.task = task
        self.stored = None
        self._scoring = db
        task.start()
        return True

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _done(self, result: object) -> None:
        self.task = None
        scored, stored = cast(tuple[set[int], dict[int, health_service.CachedScore]], result)
        # Scores of a database the window has since left (a restore) are no use to it.
        self.stored = stored if self._scoring is self.db else None
        self.finished.emit(scored)

    def _failed(self, exc: object) -> None:
        self.task = None
        if not isinstance(exc, health_service.RecomputeCancelled):
            log.error("health recompute failed: %s", exc)
        self.finished.emit(None)


def record_reading(
    db: Database, account_id: int, on: date, values: dict[str, Any], today: date
) -> None:
    """Save a reading and rescore the account straight away (one account: a few ms)."""
    records.record_health(db, account_id, on, **values)
    health_service.recompute(db, today, account_ids=[account_id])
