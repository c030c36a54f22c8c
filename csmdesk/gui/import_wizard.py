"""File ▸ Import: choose a file, confirm the columns, see every row's outcome, then import.

Nothing is written until the last step, and then in one transaction: a file with
any row error cannot be imported (the preview says which rows and why).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from csmdesk.domain.dates import DateOrder
from csmdesk.services import importing
from csmdesk.services.importing import Action, ImportPlan, ImportReport, Kind, RowOutcome
from csmdesk.services.importing.convert import text as cell_text
from csmdesk.store import Database

log = logging.getLogger(__name__)

IGNORE = "— ignore —"
_ACTION_COLOURS = {
    Action.CREATE: QColor("#2b8a3e"),
    Action.UPDATE: QColor("#1c7ed6"),
    Action.SKIP: QColor("#868e96"),
    Action.ERROR: QColor("#e03131"),
}
Index = QModelIndex | QPersistentModelIndex


class OutcomeModel(QAbstractTableModel):
    """The preview: one line per row of the file."""

    HEADERS = ("Line", "Outcome", "Record", "Details")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.outcomes: list[RowOutcome] = []

    def set_outcomes(self, outcomes: list[RowOutcome]) -> None:
        self.beginResetModel()
        self.outcomes = outcomes
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.outcomes)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        outcome = self.outcomes[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == 0:
                return outcome.line if role == Qt.ItemDataRole.DisplayRole else None
            if column == 1:
                return outcome.action.value
            if column == 2:
                return outcome.label
            details = (outcome.reasons or outcome.changes) + [f"⚠ {w}" for w in outcome.warnings]
            sep = "\n" if role == Qt.ItemDataRole.ToolTipRole else "; "
            return sep.join(details)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return _ACTION_COLOURS[outcome.action]
        if role == Qt.ItemDataRole.UserRole:
            return outcome.action.value
        return None


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Choose a file")
        self.setSubTitle(
            "A CSV or Excel (.xlsx) file: a HubSpot or Salesforce export, or your own "
            "spreadsheet. Nothing is written until the last step."
        )
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("importPath")
        self.path_edit.setAccessibleName("File to import")
        self.path_edit.setPlaceholderText("Path to a .csv or .xlsx file")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        self.problem = QLabel()
        self.problem.setObjectName("errorLabel")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        self.path_edit.textChanged.connect(self._changed)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Import accounts or contacts",
            str(Path.home()),
            "Spreadsheets and CSM Desk exports (*.csv *.tsv *.txt *.xlsx *.json);;All files (*)",
        )
        if path:
            self.path_edit.setText(path)

    def _changed(self) -> None:
        self.problem.clear()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.path_edit.text().strip())

    def validatePage(self) -> bool:
        path = Path(self.path_edit.text().strip()).expanduser()
        if path.suffix.lower() == ".json":
            self.problem.setText(self.w.import_book_file(path))
            return False
        try:
            self.w.load(path)
        except importing.FileProblem as exc:
            self.problem.setText(str(exc))
            return False
        return True


class MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Match the columns")
        layout = QVBoxLayout(self)
        self.source = QLabel()
        self.source.setWordWrap(True)
        layout.addWidget(self.source)
        options = QFormLayout()
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("What the rows are")
        self.kind_combo.addItem("Accounts (companies)", Kind.ACCOUNTS.value)
        self.kind_combo.addItem("Contacts (people at your accounts)", Kind.CONTACTS.value)
        self.kind_combo.addItem("Health readings (usage, tickets, NPS)", Kind.READINGS.value)
        self.kind_combo.addItem(
            "ARR history (new, expansion, churn… from finance)", Kind.ARR_EVENTS.value
        )
        self.order_combo = QComboBox()
        self.order_combo.setAccessibleName("Date order")
        self.order_combo.addItem("Decide from the data", None)
        self.order_combo.addItem("Month/day/year (US)", DateOrder.MDY.value)
        self.order_combo.addItem("Day/month/year", DateOrder.DMY.value)
        self.currency_edit = QLineEdit("USD")
        self.currency_edit.setAccessibleName("Currency of amounts without one")
        self.currency_edit.setMaxLength(3)
        self.currency_edit.setFixedWidth(60)
        options.addRow("The rows are:", self.kind_combo)
        options.addRow("Dates like 04/05/2026:", self.order_combo)
        options.addRow("Amounts without a currency are in:", self.currency_edit)
        layout.addLayout(options)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("mappingTable")
        self.table.setAccessibleName("Column mapping")
        self.table.setHorizontalHeaderLabels(["Column in the file", "Examples", "Imports as"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.problem = QLabel()
        self.problem.setObjectName("errorLabel")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.combos: dict[str, QComboBox] = {}
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)

    def initializePage(self) -> None:
        table, detection = self.w.table, self.w.detection
        assert table is not None and detection is not None
        label = importing.SOURCE_LABELS[detection.source]
        self.source.setText(f"<b>{table.path.name}</b>: {label} — {table.describe()}")
        self.kind_combo.blockSignals(True)
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(detection.kind.value))
        self.kind_combo.blockSignals(False)
        if detection.date_hint is not None:
            self.order_combo.setCurrentIndex(self.order_combo.findData(detection.date_hint.value))
        self._fill(self.w.mapping)
        self._currency_applies()

    def _currency_applies(self) -> None:
        history = self.kind() == Kind.ARR_EVENTS
        self.currency_edit.setEnabled(not history)
        self.currency_edit.setToolTip(
            "ARR history is read in each account's own currency." if history else ""
        )

    def kind(self) -> Kind:
        return Kind(self.kind_combo.currentData())

    def _kind_changed(self) -> None:
        table, detection = self.w.table, self.w.detection
        assert table is not None and detection is not None
        found = importing.Detection(detection.source, self.kind(), detection.date_hint)
        self._fill(importing.propose(table.headers, found))
        self._currency_applies()

    def _fill(self, mapping: dict[str, str]) -> None:
        table = self.w.table
        assert table is not None
        targets = importing.targets_for(self.kind())
        self.table.setRowCount(len(table.headers))
        self.combos.clear()
        for row, header in enumerate(table.headers):
            examples = []
            for data_row in table.rows[:50]:
                value = cell_text(data_row.cells[row]) if row < len(data_row.cells) else ""
                if value and value not in examples:
                    examples.append(value)
                if len(examples) == 3:
                    break
            self.table.setItem(row, 0, QTableWidgetItem(header))
            sample = QTableWidgetItem(" · ".join(e[:40] for e in examples))
            sample.setForeground(self.palette().placeholderText())
            self.table.setItem(row, 1, sample)
            combo = QComboBox()
            combo.setAccessibleName(f"Field for column {header}")
            combo.addItem(IGNORE, None)
            for target in targets.values():
                combo.addItem(target.label, target.field)
            combo.setCurrentIndex(max(0, combo.findData(mapping.get(header))))
            combo.currentIndexChanged.connect(self._check)
            self.table.setCellWidget(row, 2, combo)
            self.combos[header] = combo
        self._check()

    def mapping(self) -> dict[str, str]:
        return {h: c.currentData() for h, c in self.combos.items() if c.currentData()}

    def _check(self) -> None:
        problems = importing.check_mapping(self.mapping(), self.kind()) if self.combos else []
        self.problem.setText(" ".join(problems))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.combos) and not importing.check_mapping(self.mapping(), self.kind())

    def validatePage(self) -> bool:
        currency = self.currency_edit.text().strip().upper() or "USD"
        if len(currency) != 3 or not currency.isalpha():
            self.problem.setText("The currency must be a three-letter code such as USD or EUR.")
            return False
        order = self.order_combo.currentData()
        self.w.plan_with(self.kind(), self.mapping(), DateOrder(order) if order else None, currency)
        return self.w.plan is not None


class PreviewPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Check the rows")
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Import")
        self.setCommitPage(True)
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.only_problems = QCheckBox("Show only errors and changes")
        layout.addWidget(self.only_problems)
        self.model = OutcomeModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterKeyColumn(1)
        self.view = QTableView()
        self.view.setObjectName("previewTable")
        self.view.setAccessibleName("Row outcomes")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setWordWrap(False)
        layout.addWidget(self.view, 1)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.only_problems.toggled.connect(self._filter)

    def _filter(self, on: bool) -> None:
        self.proxy.setFilterRegularExpression("^(error|update|create)$" if on else "")

    def initializePage(self) -> None:
        plan = self.w.plan
        assert plan is not None
        self.model.set_outcomes(plan.outcomes)
        for column, width in ((0, 60), (1, 80), (2, 220)):
            self.view.setColumnWidth(column, width)
        lines = [f"<b>{plan.summary()}</b>"]
        lines += [f"⚠ {w}" for w in plan.warnings]
        if plan.errors:
            lines.append(
                f"<span style='color:#e03131'>{len(plan.errors)} row(s) have errors. Fix them "
                "in the file (or change the columns) and try again: a file is imported whole "
                "or not at all.</span>"
            )
            self.only_problems.setChecked(True)
        elif not plan.count(Action.CREATE) and not plan.count(Action.UPDATE):
            lines.append("Nothing to import: the book already holds everything in this file.")
        self.summary.setText("<br>".join(lines))

    def isComplete(self) -> bool:
        plan = self.w.plan
        return plan is not None and plan.ok and not self.w.busy

    def validatePage(self) -> bool:
        return self.w.commit(self.progress)


class DonePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Imported")
        layout = QVBoxLayout(self)
        self.text = QLabel()
        self.text.setObjectName("importReport")
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        layout.addStretch(1)

    def initializePage(self) -> None:
        report, plan = self.w.report, self.w.plan
        if report is not None and plan is not None:
            summary = report.summary(plan.kind)  # not capitalize(): it would write "arr"
            self.text.setText(summary[:1].upper() + summary[1:] + ".")


class ImportWizard(QWizard):
    """Emits nothing; after ``exec()``, ``report`` holds what was imported (or ``None``)."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("Import accounts or contacts")
        self.setObjectName("importWizard")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)
        self.table: importing.Table | None = None
        self.detection: importing.Detection | None = None
        self.mapping: dict[str, str] = {}
        self.plan: ImportPlan | None = None
        self.report: ImportReport | None = None
        self.busy = False
        self.json_report: Any = None
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.preview_page = PreviewPage(self)
        self.done_page = DonePage(self)
        for page in (self.file_page, self.mapping_page, self.preview_page, self.done_page):
            self.addPage(page)
        self.resize(860, 600)

    def import_book_file(self, path: Path) -> str:
        """A whole book from a CSM Desk JSON export: check, confirm, import; returns a status."""
        from csmdesk.gui import messages
        from csmdesk.services.book_json import BookJsonError, import_book_json

        try:
            trial = import_book_json(self.db, path, dry_run=True)
        except BookJsonError as exc:
            return str(exc)
        question = (
            f"{trial.describe()}\n\nRecords already in the book are updated; nothing is deleted."
        )
        if not messages.confirm(self, "Import a CSM Desk export", question, "Import"):
            return "Not imported."
        result = self._run(lambda _report: import_book_json(self.db, path))
        if isinstance(result, Exception):
            return str(result)
        self.json_report = result
        # QWizard.accept() and done() would validate this page again; close as a plain dialog.
        QDialog.done(self, QDialog.DialogCode.Accepted)
        return ""

    def _run(self, work: Any) -> Any:
        """Run ``work`` off the GUI thread while the wizard stays responsive."""
        from PySide6.QtCore import QEventLoop

        from csmdesk.gui.tasks import Task

        task = Task(work, self)
        loop = QEventLoop(self)
        outcome: list[Any] = []
        task.succeeded.connect(outcome.append)
        task.failed.connect(outcome.append)
        task.finished.connect(loop.quit)
        self.setEnabled(False)
        task.start()
        loop.exec()
        self.setEnabled(True)
        return outcome[0] if outcome else None

    def load(self, path: Path) -> None:
        table = importing.read_table(path)
        self.table = table
        self.detection = importing.detect(table.headers)
        self.mapping = importing.initial_mapping(self.db, table, self.detection)

    def plan_with(
        self, kind: Kind, mapping: dict[str, str], order: DateOrder | None, currency: str
    ) -> None:
        assert self.table is not None
        self.mapping = mapping
        table = self.table
        # Checking every row of a big file takes seconds: off the GUI thread.
        result = self._run(
            lambda _report: importing.prepare(
                self.db,
                table.path,
                kind=kind,
                mapping=mapping,
                date_order=order,
                currency=currency,
                table=table,
            )
        )
        if isinstance(result, ImportPlan):
            self.plan = result
            return
        self.plan = None
        if isinstance(result, importing.FileProblem):
            self.mapping_page.problem.setText(str(result))
        else:
            log.error("planning the import failed: %r", result)
            self.mapping_page.problem.setText(
                f"The file could not be checked ({result}). Nothing was written."
            )

    commit_progress_hook: Any = None  # tests check which thread reports progress

    def _progressed(self, bar: QProgressBar, done: int) -> None:
        bar.setValue(done)
        if self.commit_progress_hook is not None:
            self.commit_progress_hook()

    def commit(self, bar: QProgressBar) -> bool:
        """Write the plan, keeping the window responsive; True when it was imported."""
        from PySide6.QtCore import QEventLoop

        from csmdesk.gui import messages
        from csmdesk.gui.tasks import Task

        plan = self.plan
        assert plan is not None
        self.busy = True
        bar.setVisible(True)
        bar.setRange(0, max(1, plan.count(Action.CREATE) + plan.count(Action.UPDATE)))
        task = Task(lambda report: importing.commit_plan(self.db, plan, progress=report), self)
        loop = QEventLoop(self)
        outcome: dict[str, Any] = {}
        task.progressed.connect(lambda done, _total: self._progressed(bar, done))
        task.succeeded.connect(lambda report: outcome.setdefault("report", report))
        task.failed.connect(lambda exc: outcome.setdefault("error", exc))
        task.finished.connect(loop.quit)
        self.button(QWizard.WizardButton.CancelButton).clicked.connect(task.cancel)
        task.start()
        loop.exec()
        self.busy = False
        bar.setVisible(False)
        if "report" in outcome:
            self.report = outcome["report"]
            log.info("import finished: %s", self.report)
            return True
        error = outcome.get("error")
        if isinstance(error, importing.ImportCancelled):
            self.preview_page.summary.setText("Import cancelled. Nothing was written.")
        else:
            messages.error(
                self, "Import failed", f"Nothing was imported: {error}. The book is unchanged."
            )
        return False
