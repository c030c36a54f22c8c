"""The main window: menus, the book on the left, the selected account on the right."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QTabWidget

from csmdesk import APP_NAME, __version__
from csmdesk.domain.accounts import ValidationError
from csmdesk.gui import messages
from csmdesk.gui.account_dialog import AccountDialog
from csmdesk.gui.book_health_page import BookHealthPage
from csmdesk.gui.book_model import COLUMNS, BookModel
from csmdesk.gui.book_panel import BookPanel
from csmdesk.gui.dashboard_page import DashboardPage
from csmdesk.gui.detail_pane import DetailPane
from csmdesk.gui.notes_controller import NotesController
from csmdesk.gui.notes_page import NotesPage
from csmdesk.gui.quick_switcher import QuickSwitcher
from csmdesk.gui.search_dialog import SearchDialog
from csmdesk.gui.sync_ui import SyncMenu
from csmdesk.gui.today_page import TodayPage
from csmdesk.logs import log_file
from csmdesk.services import accounts as account_service
from csmdesk.services.accounts import NotArchivedError, NotFoundError
from csmdesk.store import Database

log = logging.getLogger(__name__)


class ArchiveCommand(QUndoCommand):
    """Archive (or restore) accounts; Ctrl+Z takes it back."""

    def __init__(self, window: MainWindow, ids: list[int], archived: bool) -> None:
        names = ", ".join(window.model.book_row(window.model.row_of(i) or 0).name for i in ids[:3])
        verb = "Archive" if archived else "Restore"
        super().__init__(f"{verb} {names}{'…' if len(ids) > 3 else ''}")
        self.window, self.ids, self.archived = window, ids, archived

    def redo(self) -> None:
        self.window.set_archived(self.ids, self.archived)

    def undo(self) -> None:
        self.window.set_archived(self.ids, not self.archived)


class MainWindow(QMainWindow):
    def __init__(self, db: Database, *, today: date | None = None, demo: bool = False) -> None:
        super().__init__()
        self.db = db
        self.today = today or date.today()
        self.setObjectName("mainWindow")
        # Ending with the application name stops Qt from appending it a second time.
        book = f"{db.path.name} (demo book)" if demo else db.path.name
        self.setWindowTitle(f"{book} — {APP_NAME}")
        self.settings = QSettings()
        self.undo_stack = QUndoStack(self)

        self.model = BookModel(self.today, self)
        self.book = BookPanel(self.model)
        self.notes = NotesController(self, db)
        self.detail = DetailPane(db, self.today, writer=self.notes.writer)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.book)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        # The window's pages; the book is the one you live in, the others are a click away.
        self.pages = QTabWidget()
        self.pages.setObjectName("pages")
        self.pages.setDocumentMode(True)
        self.today_page = TodayPage(db, self.today, self.undo_stack)
        self.pages.addTab(self.today_page, "Today")
        self.pages.addTab(self.splitter, "Book")
        self.book_health = BookHealthPage(db, self.today)
        self.pages.addTab(self.book_health, "Book health")
        self.book_health.band_chosen.connect(self.show_band)
        self.numbers = DashboardPage(db, self.today)
        self.pages.addTab(self.numbers, "Numbers")
        self.numbers.account_chosen.connect(self.open_from_today)
        self.numbers.status.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.notes_page = NotesPage(db, self.today)
        self.pages.addTab(self.notes_page, "Notes")
        self.notes_page.note_requested.connect(self.notes.open_note)
        self.notes_page.items_changed.connect(self.notes.items_ticked)
        self.notes_page.before_write = self.notes.save_typing
        self.setCentralWidget(self.pages)

        self.switcher = QuickSwitcher(self._switcher_items, self)
        self.search_dialog = SearchDialog(db, self)
        self.search_dialog.account_chosen.connect(self.open_from_today)
        self.search_dialog.note_chosen.connect(self.notes.open_note_at)
        self.switcher.chosen.connect(self.go_to_account)
        self.book.current_changed.connect(self._show_account)
        self.book.activated.connect(lambda _id: self.edit_account())
        self.book.new_requested.connect(self.new_account)
        self.book.demo_requested.connect(self.open_demo)
        self.detail.edit_requested.connect(self.edit_account)
        self.today_page.open_requested.connect(self.open_from_today)
        self.today_page.touchpoint_requested.connect(self.log_touchpoint)
        self.today_page.record_changed.connect(
            lambda account_id: self.refresh_row(account_id, today=False)
        )
        self.today_page.status_message.connect(
            lambda text: self.statusBar().showMessage(text, 6000)
        )
        self.detail.milestones_changed.connect(lambda _id: self.today_page.refresh())
        # An outcome moves ARR, the renewal date and the stage: the book row, health and Today.
        self.detail.renewal_changed.connect(self.refresh_row)
        self.detail.arr_changed.connect(self.refresh_row)
        self.detail.reviews_changed.connect(self.refresh_row)  # a held review is a touchpoint
        notes = self.detail.notes_tab
        notes.saved.connect(lambda _id: self.today_page.refresh())  # action items; cheap hidden
        notes.changed.connect(lambda _id: self.today_page.refresh())
        notes.changed.connect(lambda _id: self.notes_page.refresh())
        notes.saved.connect(lambda _id: self.notes_page.refresh())
        notes.call_requested.connect(self.notes.start_call)
        self.detail.risks_changed.connect(lambda _id: self.today_page.refresh())

        self.path_label = QLabel(str(db.path))
        self.path_label.setToolTip("The database this window works on")
        self.count_label = QLabel()
        self.statusBar().addWidget(self.path_label, 1)
        self.statusBar().addPermanentWidget(self.count_label)
        self._build_actions()
        self.sync = SyncMenu(self)  # the Sync menu, its status-bar line, background syncs
        self.reload()
        # Once per filter change, not once per block of rows the proxy adds or drops
        # (hundreds per keystroke on a big book).
        self.book.filter_applied.connect(self._update_count)
        self._restore_state()
        if not self.model.active_count():
            # An empty book opens where the book can be started (new account, import, demo).
            self.pages.setCurrentWidget(self.splitter)
        self._start_backups()
        self._start_health()
        # Days-left columns must roll over at midnight for a window left open for days.
        self._day_timer = QTimer(self)
        self._day_timer.timeout.connect(self._check_date)
        self._day_timer.start(60_000)

    # --- actions and menus -------------------------------------------------------------
    def _action(self, text: str, slot: object, shortcut: object = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))  # type: ignore[arg-type]
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)  # type: ignore[arg-type]
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_action = self._action(
            "&New account…", self.new_account, QKeySequence.StandardKey.New
        )
        file_menu.addAction(self.new_action)
        file_menu.addAction(self._action("Open the &demo book", self.open_demo))
        file_menu.addSeparator()
        file_menu.addAction(
            self._action(
                "&Import…",
                self.import_file,
                "Ctrl+I",
                "Import accounts or contacts from a CSV or Excel file",
            )
        )
        file_menu.addAction(
            self._action(
                "&Export…",
                self.export_book,
                "Ctrl+Shift+E",
                "Export the book to JSON, CSV, Excel or Markdown",
            )
        )
        file_menu.addAction(
            self._action(
                "Export &calendar…",
                self.export_calendar,
                tip="Upcoming check-ins, QBRs/EBRs, milestones and renewals as an .ics file",
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(
            self._action(
                "&Back up now",
                lambda: self.backups.back_up_now(),
                "Ctrl+Shift+B",
                "Copy the book to the backups folder (safe while you work)",
            )
        )
        file_menu.addAction(
            self._action("&Restore from a backup…", lambda: self.backups.restore(self))
        )
        file_menu.addAction(self._action("Backup se&ttings…", self.edit_backup_settings))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit_menu = bar.addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addActions([undo, redo])
        edit_menu.addSeparator()
        self.edit_action = self._action("&Edit account…", self.edit_account, "Ctrl+E")
        self.archive_action = self._action(
            "&Archive account",
            self.archive_selected,
            QKeySequence.StandardKey.Delete,
            "Move the selected accounts to the archive (undo: Ctrl+Z)",
        )
        self.restore_action = self._action(
            "Re&store account", self.restore_selected, "Ctrl+Shift+R"
        )
        self.delete_action = self._action(
            "&Delete permanently…",
            self.delete_selected,
            "Shift+Del",
            "Delete archived accounts for good",
        )
        self.touchpoint_action = self._action(
            "Log a &touchpoint…",
            self.log_touchpoint,
            "Ctrl+L",
            "Record a call, meeting, email or review with the selected account",
        )
        self.call_action = self._action(
            "Start a &call note…",
            self.notes.start_call,
            "Ctrl+Shift+N",
            "A note for the call in progress: attendees, a clock, timestamps; logged when it ends",
        )
        edit_menu.addActions(
            [
                self.edit_action,
                self.touchpoint_action,
                self.call_action,
                self.archive_action,
                self.restore_action,
                self.delete_action,
            ]
        )
        edit_menu.addSeparator()
        edit_menu.addAction(
            self._action("&Find…", self.focus_filter, QKeySequence.StandardKey.Find)
        )

        view_menu = bar.addMenu("&View")
        view_menu.addAction(
            self._action("Show &archive", self.book.archived_button.toggle, "Ctrl+Shift+A")
        )
        view_menu.addAction(self._action("&Clear filters", self.book.clear_filters, "Ctrl+Shift+L"))
        view_menu.addAction(self._action("&Reload", self.reload, QKeySequence.StandardKey.Refresh))

        go_menu = bar.addMenu("&Go")
        go_menu.addAction(self._action("&Go to account…", self.open_switcher, "Ctrl+K"))
        go_menu.addAction(
            self._action(
                "&Search…",
                self.search_dialog.open_search,
                "Ctrl+Shift+F",
                "Search notes, accounts and contacts",
            )
        )
        go_menu.addAction(
            self._action(
                "&Today",
                self.show_today,
                "Ctrl+T",
                "What the book asks of you today: renewals, risks, reviews, milestones, check-ins",
            )
        )
        go_menu.addAction(self._action("&Book", self.show_book, "Ctrl+1"))
        go_menu.addAction(self._action("&Contacts", self.show_contacts, "Ctrl+2"))
        go_menu.addAction(self._action("&Notes of the account", self.notes.show_notes, "Ctrl+4"))
        go_menu.addAction(
            self._action(
                "All notes and action &items",
                lambda: self.pages.setCurrentWidget(self.notes_page),
                "Ctrl+5",
                "Every note of the book, newest first, and the open action items",
            )
        )
        go_menu.addAction(
            self._action(
                "Book &health",
                lambda: self.pages.setCurrentWidget(self.book_health),
                "Ctrl+3",
                "Accounts and ARR by band, and the renewals of the next 12 months",
            )
        )
        go_menu.addAction(
            self._action(
                "The book's n&umbers",
                lambda: self.pages.setCurrentWidget(self.numbers),
                "Ctrl+6",
                "Retention, NRR, NPS, adoption, onboarding and ARR at risk, as defined",
            )
        )

        health_menu = bar.addMenu("Heal&th")
        health_menu.addAction(
            self._action(
                "Add a health &reading…",
                self.add_reading,
                "Ctrl+Shift+H",
                "Enter a day's usage, tickets and survey results for this account",
            )
        )
        health_menu.addAction(self._action("&Override the band…", self.override_health))
        health_menu.addAction(self._action("&Clear the override", self.clear_override))
        health_menu.addSeparator()
        health_menu.addAction(self._action("Re&compute the whole book", self.recompute_book))
        health_menu.addAction(self._action("Health &settings…", self.edit_health_settings))
        health_menu.addAction(self._action("Signal &keywords…", self.edit_signal_keywords))
        health_menu.addAction(
            self._action(
                "Rh&ythm settings…",
                self.edit_rhythm_settings,
                tip="How often to check in, when reviews fall due, and the renewal windows",
            )
        )

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About CSM Desk", self.show_about))
        self.book.current_changed.connect(lambda _id: self._update_actions())
        self.book.archived_button.toggled.connect(lambda _on: self._update_actions())

    def _update_actions(self) -> None:
        has = self.book.current_id() is not None
        archive_view = self.book.archived_button.isChecked()
        self.edit_action.setEnabled(has)
        self.touchpoint_action.setEnabled(has)
        self.archive_action.setEnabled(has and not archive_view)
        self.restore_action.setEnabled(has and archive_view)
        self.delete_action.setEnabled(has and archive_view)

    # --- data ------------------------------------------------------------------------------
    def reload(self) -> None:
        keep = self.book.current_id()
        self.model.set_rows(account_service.list_book(self.db))
        self.book.update_empty_state()
        if keep is not None:
            self.book.select_id(keep)
        self._update_count()
        self._update_actions()
        self._refresh_book_pages()  # only marks them stale while hidden
        self.today_page.refresh()  # likewise
        self.notes_page.refresh()  # likewise

    def _refresh_book_pages(self) -> None:
        self.book_health.refresh()
        self.numbers.refresh()

    def _update_count(self, *_: object) -> None:
        total = self.model.active_count()
        shown = self.book.proxy.rowCount()
        where = "archived" if self.book.archived_button.isChecked() else "shown"
        self.count_label.setText(f"{total:,} accounts · {shown:,} {where}")

    def refresh_row(self, account_id: int, *, today: bool = True) -> None:
        from csmdesk.services import health as health_service

        # One account's score from its changed facts (a few ms); archived accounts drop theirs.
        health_service.recompute(self.db, self.today, account_ids=[account_id])
        try:
            self.model.upsert(account_service.book_row(self.db, account_id))
        except NotFoundError:
            self.model.remove(account_id)
        self.book.update_empty_state()
        self._update_count()
        self._refresh_book_pages()
        if today:
            self.today_page.refresh()
        elif account_id == self.book.current_id():
            self._show_account(account_id)

    def _show_account(self, account_id: int | None) -> None:
        if account_id is None:
            self.detail.show_account(None)
            return
        try:
            self.detail.show_account(account_service.get_account(self.db, account_id))
        except NotFoundError:
            self.detail.show_account(None)
        self.settings.setValue(self._last_key(), account_id)

    def _switcher_items(self) -> list[tuple[int, str]]:
        return [(r.id, r.name) for r in self.model.rows()]

    # --- account actions ---------------------------------------------------------------------
    def new_account(self) -> None:
        dialog = AccountDialog(
            self, domain_check=lambda d: account_service.domain_conflict(self.db, d)
        )
        if not dialog.exec() or (draft := dialog.draft()) is None:
            return
        try:
            account = account_service.create_account(self.db, draft, today=self.today)
        except ValidationError as exc:
            messages.error(self, "Account not saved", str(exc))
            return
        assert account.id is not None
        log.info("account %s created", account.id)
        self.refresh_row(account.id)
        self.book.reveal(account.id, archived=False)
        self.statusBar().showMessage(f"Created {account.name}", 4000)

    def log_touchpoint(self, account_id: int | None = None, kind: str = "call") -> bool:
        """Ctrl+L from anywhere: log a touchpoint with the selected (or given) account."""
        from csmdesk.gui.touchpoint_dialog import TouchpointDialog
        from csmdesk.services import records

        account_id = account_id or self.current_account()
        if account_id is None:
            return False
        account = account_service.get_account(self.db, account_id)
        dialog = TouchpointDialog(self, account.name, today=self.today, kind=kind)
        if not dialog.exec():
            return False
        kind, when, summary, minutes = dialog.values()
        try:
            records.log_touchpoint(
                self.db, account_id, kind, when, summary=summary, duration_minutes=minutes
            )
        except ValidationError as exc:
            messages.error(self, "Touchpoint not logged", str(exc))
            return False
        self.refresh_row(account_id)  # recency counts in health; a lapsed cadence risk resolves
        if account_id == self.book.current_id():
            self._show_account(account_id)
        self.statusBar().showMessage(f"Logged a {kind.replace('_', '-')} with {account.name}", 4000)
        return True

    def import_file(self) -> None:
        from csmdesk.gui.import_wizard import ImportWizard

        wizard = ImportWizard(self.db, self)
        wizard.exec()
        if wizard.json_report is not None:
            self.reload()
            self._rescore_if_stale()
            self.statusBar().showMessage(wizard.json_report.describe(), 10_000)
            return
        if wizard.report is None:
            return
        self.reload()
        self._rescore_if_stale()
        created = wizard.report.created_ids
        if created:
            self.book.reveal(created[0], archived=False)
        self.statusBar().showMessage(
            "Imported: " + wizard.report.summary(*([wizard.plan.kind] if wizard.plan else [])), 8000
        )

    def export_book(self) -> None:
        from csmdesk.gui.export_ui import open_export_dialog

        open_export_dialog(self, self.db)

    def _on_book_page(self) -> bool:
        return self.pages.currentWidget() is self.splitter

    def current_account(self) -> int | None:
        """The account an account command acts on: Today's row while Today shows, else the
        book's selection."""
        if self.pages.currentWidget() is self.today_page:
            item = self.today_page.current_item()
            return item.account_id if item else None
        return self.book.current_id()

    def export_calendar(self) -> None:
        from csmdesk.gui.calendar_ui import export_calendar

        export_calendar(
            self, self.db, self.today,
            status=lambda text: self.statusBar().showMessage(text, 6000),
        )  # fmt: skip

    def edit_account(self) -> None:
        if self.pages.currentWidget() is self.today_page:
            item = self.today_page.current_item()
            if item is None:
                return
            self.open_from_today(item.account_id)
        account_id = self.book.current_id()
        if account_id is None:
            return
        account = account_service.get_account(self.db, account_id)
        dialog = AccountDialog(
            self,
            account_service.draft_of(account),
            domain_check=lambda d: account_service.domain_conflict(
                self.db, d, exclude_id=account_id
            ),
        )
        if not dialog.exec() or (draft := dialog.draft()) is None:
            return
        try:
            account_service.update_account(
                self.db, account_id, draft, arr_change=dialog.arr_change(), today=self.today
            )
        except ValidationError as exc:
            messages.error(self, "Account not saved", str(exc))
            return
        self.refresh_row(account_id)
        self.book.select_id(account_id)
        self._show_account(account_id)
        self.statusBar().showMessage(f"Saved {draft.name}", 4000)

    def set_archived(self, ids: list[int], archived: bool) -> None:
        account_service.set_archived(self.db, ids, archived)
        for account_id in ids:
            self.refresh_row(account_id)
        verb = "Archived" if archived else "Restored"
        self.statusBar().showMessage(f"{verb} {len(ids)} account(s) — Ctrl+Z to undo", 6000)
        self._update_actions()

    def archive_selected(self) -> None:
        ids = self.book.selected_ids() if self._on_book_page() else []
        if ids and not self.book.archived_button.isChecked():
            self.undo_stack.push(ArchiveCommand(self, ids, archived=True))

    def restore_selected(self) -> None:
        ids = self.book.selected_ids() if self._on_book_page() else []
        if ids and self.book.archived_button.isChecked():
            self.undo_stack.push(ArchiveCommand(self, ids, archived=False))

    def delete_selected(self) -> None:
        ids = self.book.selected_ids() if self._on_book_page() else []
        if not ids or not self.book.archived_button.isChecked():
            return
        names = ", ".join(self.model.book_row(self.model.row_of(i) or 0).name for i in ids[:5])
        if not messages.confirm(
            self,
            "Delete permanently",
            f"Delete {len(ids)} archived account(s) ({names}) with their contacts, notes and "
            "history? This cannot be undone.",
            "Delete",
        ):
            return
        for account_id in ids:
            try:
                account_service.delete_account(self.db, account_id)
            except (NotArchivedError, NotFoundError) as exc:
                messages.error(self, "Not deleted", str(exc))
                continue
            self.model.remove(account_id)
        self.undo_stack.clear()  # undoing an archive of a deleted account is impossible
        self.book.update_empty_state()
        self._update_count()

    def go_to_account(self, account_id: int) -> None:
        row = self.model.row_of(account_id)
        if row is None:
            return
        self.book.reveal(account_id, archived=self.model.book_row(row).archived)
        self.book.table.setFocus()

    def show_today(self) -> None:
        self.pages.setCurrentWidget(self.today_page)
        self.today_page.table.setFocus()

    def open_from_today(self, account_id: int, category: str = "") -> None:
        """The account in the book, on the tab where the row's work is done."""
        self.pages.setCurrentWidget(self.splitter)
        self.go_to_account(account_id)
        detail = self.detail
        tab = {
            "risk": detail.risks_tab,
            "milestone": detail.onboarding_tab,
            "renewal": detail.renewal_tab,
            "review": detail.qbr_tab,
        }.get(category)
        detail.tabs.setCurrentWidget(tab if tab is not None else detail.tabs.widget(0))

    def show_book(self) -> None:
        self.pages.setCurrentWidget(self.splitter)
        self.book.table.setFocus()

    def show_contacts(self) -> None:
        self.pages.setCurrentWidget(self.splitter)
        self.detail.tabs.setCurrentIndex(0)
        self.detail.contacts_view.setFocus()

    def show_band(self, band: str) -> None:
        """From the book health page: the book, filtered to one band."""
        combo = self.book.health_combo
        index = combo.findData(band)
        if index < 0:
            return
        if self.book.archived_button.isChecked():
            self.book.archived_button.setChecked(False)
        combo.setCurrentIndex(index)
        self.show_book()

    def open_switcher(self) -> None:
        self.switcher.open_switcher()

    def focus_filter(self) -> None:
        self.pages.setCurrentWidget(self.splitter)
        self.book.filter_edit.setFocus()
        self.book.filter_edit.selectAll()

    def open_demo(self) -> None:
        from csmdesk.gui.app import launch_demo_process

        if not launch_demo_process():
            messages.error(self, "Demo book", "The demo book could not be started.")

    def show_about(self) -> None:
        messages.info(
            self,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\n\nDatabase: {self.db.path}\nLog file: {log_file()}\n\n"
            "Built with Qt (LGPL-3.0) via PySide6, SQLite, SQLAlchemy/SQLModel and Matplotlib.",
        )

    # --- health ----------------------------------------------------------------------------
    def _start_health(self) -> None:
        from PySide6.QtWidgets import QProgressBar, QToolButton

        from csmdesk.gui.health_ui import HealthRecompute

        self.recompute = HealthRecompute(self.db, self)
        self.health_progress = QProgressBar()
        self.health_progress.setMaximumWidth(160)
        self.health_progress.setFormat("Scoring health %p%")
        self.health_cancel = QToolButton()
        self.health_cancel.setText("Cancel")
        self.health_cancel.clicked.connect(self.recompute.cancel)
        for widget in (self.health_progress, self.health_cancel):
            self.statusBar().addPermanentWidget(widget)
            widget.hide()
        self.recompute.progressed.connect(self._health_progress)
        self.recompute.finished.connect(self._health_done)
        tab = self.detail.health_tab
        tab.reading_requested.connect(self.add_reading)
        tab.override_requested.connect(self.override_health)
        tab.clear_override_requested.connect(self.clear_override)
        self.detail.contacts_changed.connect(self.refresh_row)
        QTimer.singleShot(0, self._rescore_if_stale)

    def recompute_book(self) -> None:
        if self.recompute.start(self.today):
            self.health_progress.setValue(0)
            self.health_progress.show()
            self.health_cancel.show()

    def _health_progress(self, done: int, total: int) -> None:
        self.health_progress.setMaximum(max(1, total))
        self.health_progress.setValue(done)

    def _health_done(self, scored: object) -> None:
        self.health_progress.hide()
        self.health_cancel.hide()
        if scored is None:
            self.statusBar().showMessage("Health scores were not updated.", 8000)
            return
        stored = self.recompute.stored
        if stored is None:
            self.reload()
        else:
            # Only the scores moved: patch the Health column in place (re-reading the book
            # and resetting the table would stall typing in the filter box).
            self.model.update_health(stored)
            self._update_count()  # a Health quick filter may show other rows now
            self._refresh_book_pages()  # only marks them stale while hidden
        self.today_page.refresh()  # new or worse risks
        self._show_account(self.book.current_id())

    def _rescored(self, account_id: int) -> None:
        self.refresh_row(account_id)
        self._show_account(account_id)

    def _rescore_if_stale(self) -> None:
        from csmdesk.services import health as health_service

        if health_service.stale_count(self.db, self.today):
            self.recompute_book()

    def add_reading(self) -> None:
        from csmdesk.gui.health_ui import ReadingDialog, record_reading

        account_id = self.book.current_id()
        if account_id is None:
            return
        account = account_service.get_account(self.db, account_id)
        dialog = ReadingDialog(self, today=self.today, seats=account.licensed_seats)
        if not dialog.exec() or (reading := dialog.reading()) is None:
            return
        try:
            record_reading(self.db, account_id, reading[0], reading[1], self.today)
        except ValidationError as exc:
            messages.error(self, "Reading not saved", str(exc))
            return
        self._rescored(account_id)
        self.statusBar().showMessage(f"Reading of {reading[0].isoformat()} saved", 4000)

    def override_health(self) -> None:
        from csmdesk.gui.health_ui import OverrideDialog
        from csmdesk.services import health as health_service

        account_id = self.book.current_id()
        if account_id is None:
            return
        dialog = OverrideDialog(self, today=self.today)
        if not dialog.exec():
            return
        band, reason, until = dialog.values()
        try:
            health_service.set_override(self.db, account_id, band, reason, until, today=self.today)
        except ValidationError as exc:
            messages.error(self, "Override not saved", str(exc))
            return
        health_service.recompute(self.db, self.today, account_ids=[account_id])
        self._rescored(account_id)

    def clear_override(self) -> None:
        from csmdesk.services import health as health_service

        account_id = self.book.current_id()
        if account_id is None:
            return
        health_service.clear_override(self.db, account_id)
        health_service.recompute(self.db, self.today, account_ids=[account_id])
        self._rescored(account_id)

    def edit_health_settings(self) -> None:
        from csmdesk.gui.health_ui import HealthSettingsDialog
        from csmdesk.services import health as health_service

        dialog = HealthSettingsDialog(self, health_service.load_settings(self.db))
        if dialog.exec() and (settings := dialog.settings()) is not None:
            health_service.save_settings(self.db, settings)
            self.recompute_book()

    def edit_signal_keywords(self) -> None:
        from csmdesk.gui.health_ui import SignalKeywordsDialog
        from csmdesk.services import signals as signal_service

        dialog = SignalKeywordsDialog(self, signal_service.load_settings(self.db))
        if dialog.exec() and (settings := dialog.settings()) is not None:
            signal_service.save_settings(self.db, settings)
            self.recompute_book()

    def edit_rhythm_settings(self) -> None:
        from csmdesk.gui.rhythm_ui import edit_rhythm_settings

        if edit_rhythm_settings(self, self.db):
            self.today_page.refresh()  # check-ins, reviews and renewal windows fall due anew
            self._refresh_book_pages()  # reviews on schedule depend on the months between them
            self._show_account(self.book.current_id())  # the detail's rhythm facts
            self.recompute_book()  # touchpoint recency and the lapsed-cadence risk

    # --- backups ---------------------------------------------------------------------------
    def _start_backups(self) -> None:
        from csmdesk.gui.backup_ui import BackupController

        self.backups = BackupController(self.db.path, self)
        self.backups.finished.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.backups.failed.connect(lambda text: self.statusBar().showMessage(text, 20_000))
        self.backups.restore_requested.connect(self._restore_backup)
        # The daily backup waits until the window is up and the user has started working.
        QTimer.singleShot(5_000, self.backups.start_daily)

    def _restore_backup(self, file: Path) -> None:
        # What was typed goes into the book being replaced (kept aside), never into the backup.
        self.detail.notes_tab.editor.load(None)
        self.notes.writer.flush(10.0)
        self.backups.apply_restore(self.db, file, self._use_database)

    def edit_backup_settings(self) -> None:
        from csmdesk.gui.backup_ui import edit_retention

        edit_retention(self, self.db)

    def _use_database(self, db: Database) -> None:
        """Carry on with a (re)opened database, e.g. after a restore."""
        self.db = self.recompute.db = self.book_health.db = db
        self.notes.set_database(db)
        self.notes_page.db = self.search_dialog.db = db
        self.detail.set_database(db)
        self.today_page.set_database(db)
        self.numbers.set_database(db)
        self.sync.set_database(db)
        self.book_health.refresh()
        self.undo_stack.clear()  # undo entries refer to the book as it was
        self.reload()
        self._show_account(self.book.current_id())
        self._rescore_if_stale()

    def _check_date(self) -> None:
        today = date.today()
        if today != self.today:
            self.today = today
            self.detail.set_today(today)
            self.book_health.set_today(today)
            self.numbers.set_today(today)
            self.today_page.set_today(today)
            self.notes_page.today = today
            self.model.set_today(today)

    # --- remembered state -------------------------------------------------------------------
    def _key(self, name: str) -> str:
        return f"window/{name}"

    def _last_key(self) -> str:
        # QSettings treats "/" as a group separator, so key the database by a digest of its path.
        import hashlib

        return f"databases/{hashlib.sha1(str(self.db.path).encode()).hexdigest()[:12]}/last_account"

    def _restore_state(self) -> None:
        s = self.settings
        geometry = s.value(self._key("geometry"))
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 820)
        splitter = s.value(self._key("splitter"))
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([820, 540])
        header = s.value(self._key(f"book_header_{len(COLUMNS)}"))
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.book.table.horizontalHeader().restoreState(header)
        last = s.value(self._last_key())
        try:
            last_id = int(last) if last is not None else None
        except (TypeError, ValueError):
            last_id = None
        if (last_id is None or not self.book.select_id(last_id)) and self.book.proxy.rowCount():
            self.book.table.selectRow(0)

    def save_state(self) -> None:
        s = self.settings
        s.setValue(self._key("geometry"), self.saveGeometry())
        s.setValue(self._key("splitter"), self.splitter.saveState())
        s.setValue(
            self._key(f"book_header_{len(COLUMNS)}"), self.book.table.horizontalHeader().saveState()
        )
        current = self.book.current_id()
        if current is not None:
            s.setValue(self._last_key(), current)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.notes.close()
        self.save_state()
        self.backups.shutdown()
        # A rescore still running would use the database after it is closed and the
        # application is gone: stop it (its transaction rolls back) and wait for the thread.
        self.recompute.cancel()
        QThreadPool.globalInstance().waitForDone(10_000)
        super().closeEvent(event)

    def bring_forward(self) -> None:
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()
        self.activateWindow()
