"""The reporting currency and exchange rates of the Numbers page.

One rate per other currency present in the book: how many units of the reporting currency one
unit of it is worth, as the CSM's finance team sets it. An empty rate leaves that currency's
accounts out of the money figures (the page names them in a warning).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from csmdesk.gui.dialog_parts import FormDialog
from csmdesk.gui.widgets import mark_invalid
from csmdesk.services.kpi_settings import KpiSettings, RateError, parse_rate

_CODE = re.compile(r"^[A-Z]{3}$")


def _rate_text(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


class RatesDialog(FormDialog):
    """Choose the reporting currency and type the rates; :attr:`settings` once accepted."""

    def __init__(
        self,
        settings: KpiSettings,
        currency: str,
        in_book: Sequence[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, "Reporting currency and rates", "ratesDialog", width=420)
        self.settings: KpiSettings | None = None
        self.in_book = list(dict.fromkeys(c.upper() for c in in_book))
        self._saved_currency = currency
        # Typed rates by (reporting currency, other currency): switching back restores them.
        self._typed: dict[tuple[str, str], str] = {
            (currency, code): _rate_text(rate) for code, rate in settings.rates.items()
        }
        self._kept = dict(settings.rates)
        self.code = QComboBox()
        self.code.setEditable(True)
        self.code.setAccessibleName("Reporting currency")
        for c in dict.fromkeys([currency, *self.in_book]):
            self.code.addItem(c)
        self.code.setCurrentText(currency)
        self.code.currentTextChanged.connect(self._rebuild)
        self.form.addRow("Reporting &currency:", self.code)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(placeholder-text);")
        self.form.addRow(self.note)
        self.rates_form = QFormLayout()
        self.outer.addLayout(self.rates_form)
        self.fields: dict[str, QLineEdit] = {}
        self._current = currency
        self.finish("Save")
        self._rebuild(currency)

    @property
    def reporting(self) -> str:
        return self.code.currentText().strip().upper()

    def _remember(self) -> None:
        for other, edit in self.fields.items():
            self._typed[(self._current, other)] = edit.text()

    def _rebuild(self, _text: str = "") -> None:
        self._remember()
        while self.rates_form.rowCount():
            self.rates_form.removeRow(0)
        self.fields = {}
        code = self.reporting
        self._current = code
        others = [c for c in self.in_book if c != code]
        if not _CODE.match(code):
            self.note.setText("A currency is a three-letter code such as USD or EUR.")
            return
        if not others:
            self.note.setText(f"Every account in the book is billed in {code}: no rate needed.")
            return
        self.note.setText(
            f"How many {code} one unit of each currency is worth. Leave a rate empty to leave "
            "that currency's accounts out of the money figures."
        )
        for other in others:
            edit = QLineEdit(self._typed.get((code, other), ""))
            edit.setPlaceholderText("no rate")
            edit.setAccessibleName(f"{code} per {other}")
            edit.textEdited.connect(lambda _t, e=edit: mark_invalid(e, None))
            self.fields[other] = edit
            self.rates_form.addRow(f"1 {other} = ", self._with_unit(edit, code))

    @staticmethod
    def _with_unit(edit: QLineEdit, code: str) -> QWidget:
        from PySide6.QtWidgets import QHBoxLayout

        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(QLabel(code))
        return box

    def accept(self) -> None:
        code = self.reporting
        if not _CODE.match(code):
            self.error_label.setText("The reporting currency is a three-letter code (USD, EUR…).")
            return
        rates: dict[str, Decimal] = {}
        if code == self._saved_currency:
            # Rates for currencies no longer in the book stay, in case they come back.
            rates.update({c: r for c, r in self._kept.items() if c not in self.in_book})
        problems = []
        for other, edit in self.fields.items():
            text = edit.text().strip()
            if not text:
                continue
            try:
                rates[other] = parse_rate(text)
            except RateError as exc:
                mark_invalid(edit, str(exc))
                problems.append(f"{other}: {exc}")
        if problems:
            self.error_label.setText("; ".join(problems))
            return
        rates.pop(code, None)
        self.settings = KpiSettings(code, rates)
        super().accept()
