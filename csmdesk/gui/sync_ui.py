"""CRM sync in the window: the controller that syncs in the background (on demand, and every
few minutes while connected), the status-bar line, Sync settings and the Sync panel with the
log of runs and the conflicts to resolve.

A sync runs on a worker thread (:class:`csmdesk.gui.tasks.Task`) with its own client; the GUI
thread only reads the results. A connection error marks the app offline until the next
attempt succeeds; the outbox keeps every change meanwhile.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csmdesk.gui import messages
from csmdesk.gui.tasks import Task
from csmdesk.services.sync import conflicts as conflict_service
from csmdesk.services.sync import credentials, state
from csmdesk.services.sync import mapping as m
from csmdesk.store import Database

log = logging.getLogger(__name__)

PROVIDER = "hubspot"
AUTO_MINUTES = 5


def _ago(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "never"
    now = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    minutes = int((now - when).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    return when.astimezone().strftime("%d %b %H:%M")


class SyncController(QObject):
    """Runs syncs in the background; one at a time."""

    changed = Signal()  # status, pending count or conflicts may have changed
    finished = Signal(object)  # the SyncResult, or the exception
    book_changed = Signal()  # a sync wrote to the book: reload what shows it

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.online: bool | None = None  # None: not tried yet
        self.running = False
        self.last_message = ""
        self.progress_line = ""
        self._task: Task | None = None
        self.client_options: dict[str, Any] = {}  # e.g. fewer retries (tests)
        self.timer = QTimer(self)
        self.timer.setInterval(AUTO_MINUTES * 60_000)
        self.timer.timeout.connect(self.sync_if_connected)
        self.timer.start()

    def set_database(self, db: Database) -> None:
        self.db = db
        self.changed.emit()

    def status(self) -> state.ProviderStatus:
        return state.status(self.db, PROVIDER)

    def connection(self) -> credentials.Connection | None:
        try:
            return credentials.connection(PROVIDER, state.read(self.db, PROVIDER, "url"))
        except credentials.NotConnected:
            return None

    def sync_if_connected(self) -> None:
        if not self.running and self.status().connected and self.connection() is not None:
            self.sync_now()

    def sync_now(self, *, full: bool = False) -> bool:
        """Start a sync; False when one is running or there is no connection."""
        if self.running:
            return False
        conn = self.connection()
        if conn is None:
            self.last_message = "Not connected: open Sync settings."
            self.changed.emit()
            return False
        db, options = self.db, dict(self.client_options)
        self.running = True
        self.changed.emit()

        def work(report: Any) -> Any:
            from csmdesk.crm.hubspot import HubSpotClient
            from csmdesk.services.sync.hubspot_sync import HubSpotSync

            def progress(line: str) -> bool:
                self.progress_line = line  # read by the GUI thread on the signal below
                return bool(report(0, 0))  # False once cancelled: the sync stops cleanly

            with HubSpotClient(conn.token, conn.url, **options) as client:
                return HubSpotSync(db, client, full=full, progress=progress).run()

        self.progress_line = "starting"
        task = Task(work, self)
        task.progressed.connect(lambda *_: self.changed.emit())
        task.succeeded.connect(self._done)
        task.failed.connect(self._failed)
        self._task = task
        task.start()
        return True

    def cancel(self) -> None:
        """Stop the running sync after its current page (what was committed stays)."""
        if self._task is not None and self.running:
            self._task.cancel()

    def _done(self, result: Any) -> None:
        self.running = False
        self.last_message = result.message
        self.online = not result.offline
        if result.pulled or result.pushed:
            self.book_changed.emit()
        self.finished.emit(result)
        self.changed.emit()

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.online = False
        self.last_message = str(exc)
        self.finished.emit(exc)
        self.changed.emit()

    def status_text(self) -> str:
        st = self.status()
        if not st.connected and (self.online is None or self.connection() is None):
            return "CRM: not connected"
        if self.running:
            head = f"HubSpot: syncing\u2026 {self.progress_line}"
        elif self.online is False:
            head = "HubSpot: offline"
        else:
            head = f"HubSpot: synced {_ago(st.last_success)}"
        parts = [head, f"{st.pending:,} pending"]
        if st.conflicts:
            parts.append(f"{st.conflicts:,} conflict{'s' if st.conflicts != 1 else ''}")
        return " \u00b7 ".join(parts)


class SyncStatusLabel(QLabel):
    """The status-bar line; a click opens the Sync panel."""

    clicked = Signal()

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("syncStatus")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("CRM sync: click for the Sync panel")
        controller.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.setText(self.controller.status_text())
        if self.controller.last_message:
            self.setToolTip(f"{self.controller.last_message}\nClick for the Sync panel")

    def mouseReleaseEvent(self, event: Any) -> None:
        self.clicked.emit()
        super().mouseReleaseEvent(event)


class SyncSettingsDialog(QDialog):
    """Connect HubSpot: token (kept in the keyring), address, test, mapping and policies."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("Sync settings")
        self.setObjectName("syncSettings")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "<b>HubSpot</b> — create a private app in HubSpot (Settings ▸ Integrations ▸ "
            "Private apps) with CRM read and write scopes, and paste its access token here. "
            "The token is kept in your system's keyring, never in a file."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        usable, why = credentials.keyring_status()
        self.keyring_note = QLabel(
            ""
            if usable
            else f"\u26a0 {why[:1].upper()}{why[1:]}. Set CSMDESK_HUBSPOT_TOKEN (and "
            "CSMDESK_HUBSPOT_URL) in the environment for this session instead."
        )
        self.keyring_note.setObjectName("warningLabel")
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setVisible(not usable)
        layout.addWidget(self.keyring_note)
        row = QHBoxLayout()
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("pat-na1-…")
        self.token_edit.setAccessibleName("HubSpot access token")
        self.url_edit = QLineEdit()
        self.url_edit.setAccessibleName("HubSpot API address")
        self.url_edit.setText(state.read(db, PROVIDER, "url") or credentials.DEFAULT_URL[PROVIDER])
        token_label = QLabel("Access &token:")
        token_label.setBuddy(self.token_edit)
        row.addWidget(token_label)
        row.addWidget(self.token_edit, 1)
        layout.addLayout(row)
        row2 = QHBoxLayout()
        url_label = QLabel("API &address:")
        url_label.setBuddy(self.url_edit)
        row2.addWidget(url_label)
        row2.addWidget(self.url_edit, 1)
        layout.addLayout(row2)
        buttons = QHBoxLayout()
        self.test_button = QPushButton("&Test connection")
        self.connect_button = QPushButton("&Connect")
        self.disconnect_button = QPushButton("&Disconnect")
        for b in (self.test_button, self.connect_button, self.disconnect_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.result = QLabel()
        self.result.setObjectName("syncCheck")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        layout.addWidget(QLabel("<b>Field mapping</b> (CSM Desk field → HubSpot property, and who "
                                "wins when both sides changed it)"))  # fmt: skip
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Field", "HubSpot property", "When both changed"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        box.accepted.connect(self.save_mapping)
        box.rejected.connect(self.reject)
        layout.addWidget(box)
        self.test_button.clicked.connect(self.test)
        self.connect_button.clicked.connect(self.connect_token)
        self.disconnect_button.clicked.connect(self.disconnect)
        self._fill_mapping()

    def _mapping(self) -> m.Mapping:
        raw = state.read(self.db, PROVIDER, "mapping")
        return m.Mapping.from_json(raw) if raw else m.Mapping(dict(m.HUBSPOT_DEFAULTS), {})

    def _fill_mapping(self) -> None:
        mapping = self._mapping()
        self.table.setRowCount(len(m.FIELDS))
        self.policy_boxes: dict[str, QComboBox] = {}
        self.property_edits: dict[str, QComboBox] = {}
        for row, (key, field) in enumerate(m.FIELDS.items()):
            entity = "Account" if key.startswith("account.") else "Contact"
            item = QTableWidgetItem(f"{entity}: {field.label}")
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, 0, item)
            edit = QComboBox()  # typed, or chosen from HubSpot's list after Test connection
            edit.setEditable(True)
            edit.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            edit.setAccessibleName(f"HubSpot property for {entity} {field.label}")
            edit.setEditText(mapping.properties.get(key, ""))
            line = edit.lineEdit()
            if line is not None:
                line.setPlaceholderText("not synced")
            self.table.setCellWidget(row, 1, edit)
            self.property_edits[key] = edit
            policy = QComboBox()
            for value, label in ((m.ASK, "Ask me"), (m.CRM_WINS, "HubSpot wins"),
                                 (m.LOCAL_WINS, "CSM Desk wins")):  # fmt: skip
                policy.addItem(label, value)
            policy.setCurrentIndex(policy.findData(mapping.policy(key)))
            self.table.setCellWidget(row, 2, policy)
            self.policy_boxes[key] = policy

    def _client(self) -> Any:
        from csmdesk.crm.hubspot import HubSpotClient

        token = self.token_edit.text().strip()
        if not token:
            conn = credentials.connection(PROVIDER, self.url_edit.text())
            token = conn.token
        return HubSpotClient(
            token, self.url_edit.text().strip() or credentials.DEFAULT_URL[PROVIDER]
        )

    def test(self) -> None:
        from csmdesk.crm.errors import CrmError
        from csmdesk.services.sync.connect import check_hubspot

        try:
            with self._client() as client:
                check = check_hubspot(client)
                if check.portal:
                    self.offer_properties(
                        {t: client.properties(t) for t in ("companies", "contacts")}
                    )
        except (credentials.NotConnected, ValueError, CrmError) as exc:
            self.result.setText(str(exc))
            return
        extra = f" Round trip {check.round_trip_ms:.0f} ms." if check.missing else ""
        self.result.setText(check.message + extra)

    def offer_properties(self, available: dict[str, list[dict[str, Any]]]) -> None:
        """Fill each field's list with HubSpot's properties of its object, labels shown."""
        for key, combo in self.property_edits.items():
            kind = "companies" if key.startswith("account.") else "contacts"
            typed = self._property(combo)
            combo.clear()
            for prop in sorted(available.get(kind, []), key=lambda p: str(p.get("label", ""))):
                name = str(prop.get("name", ""))
                combo.addItem(f"{prop.get('label') or name} ({name})", name)
            found = combo.findData(typed) if typed else -1
            if found >= 0:
                combo.setCurrentIndex(found)
            else:
                combo.setCurrentIndex(-1)
                combo.setEditText(typed)

    @staticmethod
    def _property(combo: QComboBox) -> str:
        """The property a field's box names: the chosen item's, or the typed name."""
        text = combo.currentText().strip()
        index = combo.currentIndex()
        if index >= 0 and combo.itemText(index) == combo.currentText():
            return str(combo.itemData(index))
        return text

    def connect_token(self) -> None:
        from csmdesk.services.sync.connect import connect_hubspot

        token = self.token_edit.text().strip()
        if not token:
            self.result.setText("Paste the private app's access token first.")
            return
        try:
            check = connect_hubspot(self.db, token, self.url_edit.text().strip() or None)
        except credentials.NoKeyring as exc:
            self.result.setText(str(exc))
            return
        except ValueError as exc:
            self.result.setText(str(exc))
            return
        self.token_edit.clear()  # it lives in the keyring now, not in this window
        self.result.setText(check.message)

    def disconnect(self) -> None:
        from csmdesk.services.sync.connect import disconnect

        disconnect(self.db, PROVIDER)
        self.result.setText("Disconnected. Links are kept: reconnecting resumes.")

    def save_mapping(self) -> None:
        props = {k: p for k, e in self.property_edits.items() if (p := self._property(e))}
        policies = {k: str(b.currentData()) for k, b in self.policy_boxes.items()}
        state.write(self.db, PROVIDER, "mapping", m.Mapping(props, policies).to_json())
        self.accept()


class SyncPanel(QDialog):
    """Recent runs (what came in, what went out, what failed) and the open conflicts."""

    def __init__(
        self, db: Database, controller: SyncController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.db, self.controller = db, controller
        self.setWindowTitle("Sync")
        self.setObjectName("syncPanel")
        self.resize(820, 520)
        layout = QVBoxLayout(self)
        self.headline = QLabel()
        layout.addWidget(self.headline)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        runs = QWidget()
        runs_layout = QVBoxLayout(runs)
        self.runs = QTableWidget(0, 7)
        self.runs.setHorizontalHeaderLabels(
            ["Started", "Status", "Pulled", "Pushed", "Conflicts", "Failed", "Message"]
        )
        self.runs.verticalHeader().hide()
        self.runs.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.runs.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.runs.itemSelectionChanged.connect(self._show_details)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(140)
        runs_layout.addWidget(self.runs, 1)
        runs_layout.addWidget(self.details)
        self.tabs.addTab(runs, "&Runs")
        found = QWidget()
        found_layout = QVBoxLayout(found)
        self.conflicts = QTableWidget(0, 5)
        self.conflicts.setHorizontalHeaderLabels(
            ["Record", "Field", "In CSM Desk", "In HubSpot", "Changed in HubSpot"]
        )
        self.conflicts.verticalHeader().hide()
        self.conflicts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.conflicts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.conflicts.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        found_layout.addWidget(self.conflicts, 1)
        actions = QHBoxLayout()
        self.keep_button = QPushButton("&Keep CSM Desk's")
        self.take_button = QPushButton("&Take HubSpot's")
        self.edit_button = QPushButton("&Edit…")
        for b in (self.keep_button, self.take_button, self.edit_button):
            actions.addWidget(b)
        actions.addStretch(1)
        found_layout.addLayout(actions)
        self.tabs.addTab(found, "&Conflicts")
        self.keep_button.clicked.connect(lambda: self.resolve(conflict_service.LOCAL))
        self.take_button.clicked.connect(lambda: self.resolve(conflict_service.REMOTE))
        self.edit_button.clicked.connect(lambda: self.resolve(conflict_service.EDITED))
        bottom = QHBoxLayout()
        self.sync_button = QPushButton("&Sync now")
        self.sync_button.clicked.connect(lambda: controller.sync_now())
        bottom.addWidget(self.sync_button)
        bottom.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        bottom.addWidget(close)
        layout.addLayout(bottom)
        controller.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.headline.setText(self.controller.status_text())
        self.sync_button.setEnabled(not self.controller.running)
        rows = self._runs = state.recent_runs(self.db)
        self.runs.setRowCount(len(rows))
        for r, run in enumerate(rows):
            started = run.started_at
            if started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            cells = [
                started.astimezone().strftime("%Y-%m-%d %H:%M"),
                run.status + (" (dry run)" if run.dry_run else ""),
                f"{run.pulled:,}", f"{run.pushed:,}", f"{run.conflicts:,}", f"{run.failed:,}",
                run.message,
            ]  # fmt: skip
            for c, text in enumerate(cells):
                self.runs.setItem(r, c, QTableWidgetItem(text))
        self._conflicts = conflict_service.open_conflicts(self.db)
        self.conflicts.setRowCount(len(self._conflicts))
        for r, conflict in enumerate(self._conflicts):
            when = conflict.remote_changed_at
            cells = [
                conflict.record, conflict.label, conflict.local_value or "(empty)",
                conflict.remote_value or "(empty)",
                when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "",
            ]  # fmt: skip
            for c, text in enumerate(cells):
                self.conflicts.setItem(r, c, QTableWidgetItem(text))
        self.tabs.setTabText(1, f"&Conflicts ({len(self._conflicts)})")
        for b in (self.keep_button, self.take_button, self.edit_button):
            b.setEnabled(bool(self._conflicts))
        if self._conflicts and self.conflicts.currentRow() < 0:
            self.conflicts.selectRow(0)

    def _show_details(self) -> None:
        row = self.runs.currentRow()
        if 0 <= row < len(self._runs):
            self.details.setPlainText("\n".join(json.loads(self._runs[row].details or "[]")))

    def resolve(self, how: str, value: str | None = None) -> bool:
        row = self.conflicts.currentRow()
        if not 0 <= row < len(self._conflicts):
            return False
        conflict = self._conflicts[row]
        if how == conflict_service.EDITED and value is None:
            text, ok = QInputDialog.getText(
                self, "Resolve conflict", f"{conflict.label} of {conflict.record}:",
                text=conflict.local_value or "",
            )  # fmt: skip
            if not ok:
                return False
            value = text
        try:
            conflict_service.resolve(self.db, conflict.id, how, value)
        except (ValueError, LookupError) as exc:
            messages.error(self, "Conflict not resolved", str(exc))
            return False
        self.controller.changed.emit()
        self.controller.book_changed.emit()
        return True


def crm_link(db: Database, entity: str, entity_id: int) -> QUrl | None:
    """The HubSpot page of a linked record, if the portal is known."""
    url = state.record_url(db, entity, entity_id)
    return QUrl(url) if url else None


def open_crm_link(db: Database, entity: str, entity_id: int) -> bool:
    url = crm_link(db, entity, entity_id)
    return bool(url) and QDesktopServices.openUrl(url)


class SyncMenu(QObject):
    """The Sync menu, the status-bar line and their wiring into the main window."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.controller = SyncController(window.db, self)
        self.label = SyncStatusLabel(self.controller)
        window.statusBar().addPermanentWidget(self.label)
        self.label.clicked.connect(self.show_panel)
        bar = window.menuBar()
        menu = QMenu("S&ync", bar)
        menu.setObjectName("syncMenu")
        help_action = next((a for a in bar.actions() if a.text() == "&Help"), None)
        if help_action is not None:
            bar.insertMenu(help_action, menu)  # before Help, as menus go
        else:
            bar.addMenu(menu)
        self.sync_action = menu.addAction("&Sync now")
        self.sync_action.setShortcut("Ctrl+Shift+Y")
        self.sync_action.triggered.connect(self.sync_now)
        self.cancel_action = menu.addAction("&Cancel the sync")
        self.cancel_action.triggered.connect(self.controller.cancel)
        self.cancel_action.setEnabled(False)
        self.controller.changed.connect(
            lambda: self.cancel_action.setEnabled(self.controller.running)
        )
        menu.addAction("Sync &panel…").triggered.connect(self.show_panel)
        menu.addAction("Sync &settings…").triggered.connect(self.show_settings)
        menu.addSeparator()
        self.open_action = menu.addAction("&Open the account in HubSpot")
        self.open_action.triggered.connect(self.open_account)
        self.controller.book_changed.connect(window.reload)
        self.controller.finished.connect(self._finished)
        self.panel: SyncPanel | None = None

    def set_database(self, db: Database) -> None:
        self.controller.set_database(db)

    def sync_now(self) -> None:
        if not self.controller.sync_now():
            if self.controller.running:
                self.window.statusBar().showMessage("A sync is already running.", 4000)
            else:
                self.show_settings()

    def _finished(self, result: Any) -> None:
        text = getattr(result, "message", None) or str(result)
        self.window.statusBar().showMessage(f"HubSpot: {text}", 8000)

    def show_panel(self) -> SyncPanel:
        if self.panel is None:
            self.panel = SyncPanel(self.window.db, self.controller, self.window)
        self.panel.db = self.window.db
        self.panel.refresh()
        self.panel.show()
        self.panel.raise_()
        return self.panel

    def show_settings(self) -> None:
        SyncSettingsDialog(self.window.db, self.window).exec()
        self.controller.changed.emit()

    def open_account(self) -> None:
        account_id = self.window.book.current_id()
        if account_id is None or not open_crm_link(self.window.db, "account", account_id):
            self.window.statusBar().showMessage("This account is not linked to HubSpot.", 4000)
