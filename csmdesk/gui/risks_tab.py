"""The Risks tab of an account: its risks with their history, and expansion suggestions.

Risks come from the signal rules (opened, refreshed and resolved with every recompute) or from
the CSM; the CSM moves them open → mitigating (a recovery plan) → resolved, or reopens them.
Expansion suggestions are what the expansion rules see today; each can become an Opportunity
or be dismissed for a while.
"""

from __future__ import annotations

import html
import logging
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.money import format_money
from csmdesk.domain.signals import Signal as Finding
from csmdesk.gui import messages
from csmdesk.gui.risk_dialogs import AcceptDialog, MitigateDialog, NewRiskDialog, ResolveDialog
from csmdesk.models import Risk, RiskSeverity, RiskStatus
from csmdesk.services import records
from csmdesk.services import signals as signal_service
from csmdesk.store import Database

log = logging.getLogger(__name__)

SEVERITY_COLOURS = {
    RiskSeverity.LOW.value: "#868e96",
    RiskSeverity.MEDIUM.value: "#e8a317",
    RiskSeverity.HIGH.value: "#e8590c",
    RiskSeverity.CRITICAL.value: "#c92a2a",
}


def severity_chip(severity: str) -> str:
    colour = SEVERITY_COLOURS.get(severity, "#868e96")
    label = signal_service.SEVERITY_LABELS.get(severity, severity)
    return (
        f"<span style='background:{colour}; color:white; padding:1px 6px; "
        f"border-radius:3px'>&nbsp;{label}&nbsp;</span>"
    )


class RisksTab(QWidget):
    """Risks (with history) and expansion suggestions of one account."""

    changed = Signal(int)  # the account whose risks or opportunities changed

    def __init__(self, db: Database, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.today = db, today
        self.account_id: int | None = None
        self.currency = "USD"
        self.risks: list[Risk] = []
        self.suggestions: list[Finding] = []
        self._stale = False
        outer = QVBoxLayout(self)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        outer.addWidget(splitter)

        risk_box = QGroupBox("Risks")
        risk_layout = QVBoxLayout(risk_box)
        self.summary = QLabel()
        self.summary.setObjectName("riskSummary")
        risk_layout.addWidget(self.summary)
        self.risk_list = QTreeWidget()
        self.risk_list.setObjectName("riskList")
        self.risk_list.setAccessibleName("Risks")
        self.risk_list.setRootIsDecorated(False)
        self.risk_list.setUniformRowHeights(True)
        self.risk_list.setHeaderLabels(["Severity", "Risk", "Status", "Opened", "Escalated to"])
        header = self.risk_list.header()
        header.setStretchLastSection(False)
        for column in range(4):
            mode = QHeaderView.ResizeMode.ResizeToContents
            header.setSectionResizeMode(
                column, QHeaderView.ResizeMode.Stretch if column == 1 else mode
            )
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(4, 130)
        self.risk_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.risk_list.currentItemChanged.connect(lambda *_: self._show_selected())
        self.risk_list.itemDoubleClicked.connect(lambda *_: self.mitigate())
        risk_layout.addWidget(self.risk_list, 2)
        self.risk_detail = QLabel()
        self.risk_detail.setObjectName("riskDetail")
        self.risk_detail.setWordWrap(True)
        self.risk_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.risk_detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        risk_layout.addWidget(self.risk_detail, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("&New risk…")
        self.mitigate_button = QPushButton("&Mitigate…")
        self.resolve_button = QPushButton("Re&solve…")
        self.reopen_button = QPushButton("Reo&pen")
        self.show_resolved = QCheckBox("Show resolved")
        for button, slot in (
            (self.new_button, self.new_risk),
            (self.mitigate_button, self.mitigate),
            (self.resolve_button, self.resolve),
            (self.reopen_button, self.reopen),
        ):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_resolved)
        self.show_resolved.toggled.connect(lambda _on: self._fill_risks())
        risk_layout.addLayout(buttons)
        splitter.addWidget(risk_box)

        growth_box = QGroupBox("Expansion")
        growth_layout = QVBoxLayout(growth_box)
        self.suggestion_list = QTreeWidget()
        self.suggestion_list.setObjectName("suggestionList")
        self.suggestion_list.setAccessibleName("Expansion suggestions")
        self.suggestion_list.setRootIsDecorated(False)
        self.suggestion_list.setHeaderLabels(["Strength", "Suggestion", "Why"])
        self.suggestion_list.header().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.suggestion_list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.suggestion_list.itemDoubleClicked.connect(lambda *_: self.accept_suggestion())
        growth_layout.addWidget(self.suggestion_list, 1)
        row = QHBoxLayout()
        self.accept_button = QPushButton("&Create opportunity…")
        self.dismiss_button = QPushButton("&Dismiss")
        self.dismiss_button.setToolTip(
            f"Hide this suggestion for {signal_service.DISMISS_DAYS} days"
        )
        self.accept_button.clicked.connect(self.accept_suggestion)
        self.dismiss_button.clicked.connect(self.dismiss_suggestion)
        row.addWidget(self.accept_button)
        row.addWidget(self.dismiss_button)
        row.addStretch(1)
        growth_layout.addLayout(row)
        self.opportunities = QLabel()
        self.opportunities.setObjectName("opportunityList")
        self.opportunities.setWordWrap(True)
        self.opportunities.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        growth_layout.addWidget(self.opportunities)
        splitter.addWidget(growth_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self._update_buttons()

    # --- loading -----------------------------------------------------------------------------
    def show_account(self, account_id: int | None, currency: str = "USD") -> None:
        self.account_id, self.currency = account_id, currency
        self.refresh()

    def refresh(self) -> None:
        """Reload; deferred until the tab is visible, like the Health tab."""
        if self.account_id is None:
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self.risks = signal_service.list_risks(self.db, self.account_id)
        self.suggestions = signal_service.expansion_suggestions(
            self.db, self.account_id, self.today
        )
        self._fill_risks()
        self._fill_suggestions()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if self._stale:
            self.refresh()

    def _fill_risks(self) -> None:
        keep = self.current_risk()
        keep_id = keep.id if keep else None
        self.risk_list.clear()
        shown = [
            r
            for r in self.risks
            if self.show_resolved.isChecked() or r.status != RiskStatus.RESOLVED.value
        ]
        unresolved = [r for r in self.risks if r.status != RiskStatus.RESOLVED.value]
        resolved = len(self.risks) - len(unresolved)
        if unresolved:
            mitigating = sum(r.status == RiskStatus.MITIGATING.value for r in unresolved)
            text = f"{len(unresolved)} unresolved risk{'s' if len(unresolved) != 1 else ''}"
            if mitigating:
                text += f", {mitigating} being mitigated"
        else:
            text = "No unresolved risks."
        if resolved:
            text += f" · {resolved} resolved"
        self.summary.setText(text)
        for risk in shown:
            item = QTreeWidgetItem(
                [
                    signal_service.SEVERITY_LABELS.get(risk.severity, risk.severity),
                    risk.title,
                    signal_service.STATUS_LABELS.get(risk.status, risk.status),
                    risk.opened_on.isoformat(),
                    risk.escalated_to or "",
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, risk.id)
            colour = QColor(SEVERITY_COLOURS.get(risk.severity, "#868e96"))
            item.setForeground(0, QBrush(colour))
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            item.setToolTip(1, risk.detail)
            if risk.status == RiskStatus.RESOLVED.value:
                for column in range(5):
                    item.setForeground(column, QBrush(self.palette().placeholderText().color()))
            self.risk_list.addTopLevelItem(item)
            if risk.id == keep_id:
                self.risk_list.setCurrentItem(item)
        if self.risk_list.currentItem() is None and self.risk_list.topLevelItemCount():
            self.risk_list.setCurrentItem(self.risk_list.topLevelItem(0))
        self._show_selected()

    def _fill_suggestions(self) -> None:
        self.suggestion_list.clear()
        for finding in self.suggestions:
            item = QTreeWidgetItem(
                [
                    "Strong" if finding.severity != RiskSeverity.LOW.value else "Early",
                    finding.title,
                    finding.detail,
                ]
            )
            item.setToolTip(2, finding.detail)
            self.suggestion_list.addTopLevelItem(item)
        if not self.suggestions:
            placeholder = QTreeWidgetItem(["", "No expansion signals today.", ""])
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.suggestion_list.addTopLevelItem(placeholder)
        self.suggestion_list.setColumnWidth(1, max(200, self.suggestion_list.columnWidth(1)))
        assert self.account_id is not None
        opportunities = records.list_opportunities(self.db, self.account_id)
        if opportunities:
            lines = [
                f"• {html.escape(o.title)} — {o.stage}"
                + (f", {format_money(o.amount_minor, o.currency)}" if o.amount_minor else "")
                + (f", close {o.close_date.isoformat()}" if o.close_date else "")
                for o in opportunities[:8]
            ]
            more = len(opportunities) - 8
            self.opportunities.setText(
                "<b>Opportunities</b><br>"
                + "<br>".join(lines)
                + (f"<br>and {more} more" if more > 0 else "")
            )
        else:
            self.opportunities.setText("<b>Opportunities</b><br>None yet.")
        self._update_buttons()

    # --- selection ----------------------------------------------------------------------------
    def current_risk(self) -> Risk | None:
        item = self.risk_list.currentItem()
        if item is None:
            return None
        risk_id = item.data(0, Qt.ItemDataRole.UserRole)
        return next((r for r in self.risks if r.id == risk_id), None)

    def current_suggestion(self) -> Finding | None:
        index = self.suggestion_list.indexOfTopLevelItem(self.suggestion_list.currentItem())
        return self.suggestions[index] if 0 <= index < len(self.suggestions) else None

    def _show_selected(self) -> None:
        risk = self.current_risk()
        if risk is None:
            self.risk_detail.setText("")
        else:
            assert risk.id is not None
            parts = [severity_chip(risk.severity) + f" <b>{html.escape(risk.title)}</b>"]
            if risk.detail:
                parts.append(html.escape(risk.detail))
            if risk.recovery_plan:
                parts.append(f"<b>Recovery plan:</b> {html.escape(risk.recovery_plan)}")
            history = signal_service.risk_history(self.db, risk.id)
            if history:
                rows = "".join(
                    f"<tr><td>{e.at.astimezone().date().isoformat()}</td>"
                    f"<td>{signal_service.STATUS_LABELS.get(e.status, e.status)}</td>"
                    f"<td>{html.escape(e.note)}</td></tr>"
                    for e in reversed(history)
                )
                parts.append(f"<b>History</b><table cellspacing=3>{rows}</table>")
            self.risk_detail.setText("<br>".join(parts))
        self._update_buttons()

    def _update_buttons(self) -> None:
        risk = self.current_risk()
        status = risk.status if risk else None
        self.new_button.setEnabled(self.account_id is not None)
        self.mitigate_button.setEnabled(status is not None and status != RiskStatus.RESOLVED.value)
        self.mitigate_button.setText(
            "Edit &plan…" if status == RiskStatus.MITIGATING.value else "&Mitigate…"
        )
        self.resolve_button.setEnabled(status is not None and status != RiskStatus.RESOLVED.value)
        self.reopen_button.setEnabled(status == RiskStatus.RESOLVED.value)
        has = self.current_suggestion() is not None
        self.accept_button.setEnabled(has)
        self.dismiss_button.setEnabled(has)

    # --- actions ---------------------------------------------------------------------------------
    def _saved(self, select_id: int | None = None) -> None:
        assert self.account_id is not None
        self.refresh()
        if select_id is not None:
            for i in range(self.risk_list.topLevelItemCount()):
                item = self.risk_list.topLevelItem(i)
                if item.data(0, Qt.ItemDataRole.UserRole) == select_id:
                    self.risk_list.setCurrentItem(item)
        self.changed.emit(self.account_id)

    def _update(self, risk: Risk, status: str, **kwargs: object) -> bool:
        assert risk.id is not None
        try:
            signal_service.update_risk(self.db, risk.id, status, on=self.today, **kwargs)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(self, "Risk not saved", str(exc))
            return False
        log.info("risk %s is now %s", risk.id, status)
        self._saved(risk.id)
        return True

    def new_risk(self) -> None:
        if self.account_id is None:
            return
        dialog = NewRiskDialog(self)
        if not dialog.exec():
            return
        title, severity, detail = dialog.values()
        try:
            risk = signal_service.add_risk(
                self.db, self.account_id, title, on=self.today, severity=severity, detail=detail
            )
        except ValidationError as exc:
            messages.error(self, "Risk not saved", str(exc))
            return
        self._saved(risk.id)

    def mitigate(self) -> None:
        risk = self.current_risk()
        if risk is None or risk.status == RiskStatus.RESOLVED.value:
            return
        dialog = MitigateDialog(self, risk)
        if dialog.exec():
            plan, escalated = dialog.values()
            self._update(
                risk, RiskStatus.MITIGATING.value, recovery_plan=plan, escalated_to=escalated
            )

    def resolve(self) -> None:
        risk = self.current_risk()
        if risk is None or risk.status == RiskStatus.RESOLVED.value:
            return
        dialog = ResolveDialog(self, risk)
        if dialog.exec():
            note, mute = dialog.values()
            self._update(risk, RiskStatus.RESOLVED.value, note=note, mute_days=mute)

    def reopen(self) -> None:
        risk = self.current_risk()
        if risk is not None and risk.status == RiskStatus.RESOLVED.value:
            self._update(risk, RiskStatus.OPEN.value)

    def accept_suggestion(self) -> None:
        finding = self.current_suggestion()
        if finding is None or self.account_id is None:
            return
        dialog = AcceptDialog(self, finding, self.currency, self.today)
        if not dialog.exec():
            return
        title, amount, close = dialog.values()
        try:
            signal_service.accept_suggestion(
                self.db, self.account_id, finding, on=self.today, title=title,
                amount_minor=amount, close_date=close,
            )  # fmt: skip
        except ValidationError as exc:
            messages.error(self, "Opportunity not saved", str(exc))
            return
        self._saved()

    def dismiss_suggestion(self) -> None:
        finding = self.current_suggestion()
        if finding is None or self.account_id is None:
            return
        signal_service.dismiss_suggestion(self.db, self.account_id, finding.kind, on=self.today)
        self._saved()
