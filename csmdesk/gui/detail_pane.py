"""The selected account: its facts (with its rhythm: the next touchpoint and review due), its
contacts, and the tabs of its health, risks, onboarding, renewal and notes."""

from __future__ import annotations

import logging
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.accounts import LIFECYCLE_LABELS, SEGMENT_LABELS, ValidationError
from csmdesk.domain.money import format_money
from csmdesk.domain.renewals import days_until
from csmdesk.domain.rhythm import REVIEW_LABELS
from csmdesk.gui import messages
from csmdesk.gui.arr_tab import ArrTab
from csmdesk.gui.contact_dialog import ContactDialog
from csmdesk.gui.contacts_model import ContactsModel
from csmdesk.gui.health_tab import HealthTab
from csmdesk.gui.note_writer import NoteWriter
from csmdesk.gui.notes_tab import NotesTab
from csmdesk.gui.onboarding_tab import OnboardingTab
from csmdesk.gui.qbr_tab import QbrTab
from csmdesk.gui.renewal_dialogs import days_phrase
from csmdesk.gui.renewal_tab import RenewalTab
from csmdesk.gui.risks_tab import RisksTab
from csmdesk.gui.sync_ui import crm_link
from csmdesk.models import Account, ContactRole, Lifecycle, Segment
from csmdesk.services import accounts as account_service
from csmdesk.services import contacts as contact_service
from csmdesk.services import rhythm as rhythm_service
from csmdesk.services.rhythm import AccountRhythm
from csmdesk.store import Database

log = logging.getLogger(__name__)

_FACTS = (
    ("domain", "Domain"),
    ("industry", "Industry"),
    ("arr", "ARR"),
    ("contract_start", "Contract start"),
    ("renewal", "Renewal"),
    ("touchpoint", "Next touchpoint"),
    ("review", "Next QBR"),
    ("seats", "Licensed seats"),
    ("owner", "Owner"),
    ("tags", "Tags"),
    ("payment", "Payment"),
)


class DetailPane(QWidget):
    edit_requested = Signal()
    contacts_changed = Signal(int)
    risks_changed = Signal(int)
    milestones_changed = Signal(int)
    renewal_changed = Signal(int)
    reviews_changed = Signal(int)
    arr_changed = Signal(int)

    def __init__(
        self,
        db: Database,
        today: date,
        parent: QWidget | None = None,
        writer: NoteWriter | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.today = today
        self.account: Account | None = None
        self.stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        self.placeholder = QLabel(
            "Select an account to see its details.\nTip: Ctrl+K jumps to any account by name."
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("emptyState")
        self.stack.addWidget(self.placeholder)

        page = QWidget()
        self.stack.addWidget(page)
        layout = QVBoxLayout(page)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("accountTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("accountSubtitle")
        self.crm_link = QLabel()  # "Open in HubSpot", for an account that came from there
        self.crm_link.setObjectName("crmLink")
        self.crm_link.setOpenExternalLinks(True)
        self.crm_link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.crm_link.hide()
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        titles.addWidget(self.crm_link)
        header.addLayout(titles, 1)
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setToolTip("Edit this account (Ctrl+E)")
        self.edit_button.clicked.connect(self.edit_requested)
        header.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)

        self.archived_banner = QLabel("This account is archived. Restore it from Edit ▸ Restore.")
        self.archived_banner.setObjectName("archivedBanner")
        layout.addWidget(self.archived_banner)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("accountTabs")
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)
        overview = QWidget()
        self.tabs.addTab(overview, "&Overview")
        self.health_tab = HealthTab(db, today)
        self.tabs.addTab(self.health_tab, "&Health")
        self.risks_tab = RisksTab(db, today)
        self.tabs.addTab(self.risks_tab, "&Risks")
        self.risks_tab.changed.connect(self.risks_changed)
        self.onboarding_tab = OnboardingTab(db, today)
        self.tabs.addTab(self.onboarding_tab, "O&nboarding")
        self.onboarding_tab.changed.connect(self.milestones_changed)
        self.renewal_tab = RenewalTab(db, today)
        self.tabs.addTab(self.renewal_tab, "Rene&wal")
        self.arr_tab = ArrTab(db, today)
        self.tabs.addTab(self.arr_tab, "&ARR")
        self.arr_tab.changed.connect(self._arr_saved)
        self.qbr_tab = QbrTab(db, today)
        self.tabs.addTab(self.qbr_tab, "&QBR/EBR")
        self.qbr_tab.held.connect(self.reviews_changed)
        self.renewal_tab.changed.connect(self._renewal_saved)
        self.note_writer = writer or NoteWriter(db, self)
        self.notes_tab = NotesTab(db, today, self.note_writer)
        self.tabs.addTab(self.notes_tab, "Note&s")
        layout = QVBoxLayout(overview)

        facts = QFormLayout()
        facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.fact_labels: dict[str, QLabel] = {}
        for key, label in _FACTS:
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setObjectName(f"fact_{key}")
            facts.addRow(f"{label}:", value)
            self.fact_labels[key] = value
        review_label = facts.labelForField(self.fact_labels["review"])
        assert isinstance(review_label, QLabel)
        self.review_fact_label = review_label
        layout.addLayout(facts)

        box = QGroupBox("Contacts")
        box_layout = QVBoxLayout(box)
        self.contacts_model = ContactsModel(self)
        self.contacts_view = QTableView()
        self.contacts_view.setObjectName("contactsView")
        self.contacts_view.setAccessibleName("Contacts")
        self.contacts_view.setModel(self.contacts_model)
        self.contacts_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.contacts_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.contacts_view.verticalHeader().hide()
        self.contacts_view.horizontalHeader().setStretchLastSection(True)
        self.contacts_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.contacts_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.contacts_view.doubleClicked.connect(lambda _i: self.edit_contact())
        self.contacts_view.selectionModel().selectionChanged.connect(self._update_buttons)
        box_layout.addWidget(self.contacts_view)
        buttons = QHBoxLayout()
        self.add_contact_button = QPushButton("&Add contact…")
        self.edit_contact_button = QPushButton("Edit contact…")
        self.champion_button = QPushButton("Mark &champion")
        self.left_button = QPushButton("Mark &left")
        self.remove_contact_button = QPushButton("Remove")
        for button, slot in (
            (self.add_contact_button, self.add_contact),
            (self.edit_contact_button, self.edit_contact),
            (self.champion_button, self.toggle_champion),
            (self.left_button, self.toggle_left),
            (self.remove_contact_button, self.remove_contact),
        ):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        box_layout.addLayout(buttons)
        layout.addWidget(box, 1)
        self._update_buttons()

    # --- showing --------------------------------------------------------------
    def show_account(self, account: Account | None) -> None:
        self.account = account
        if account is None:
            self.stack.setCurrentIndex(0)
            self.contacts_model.set_contacts([])
            self.notes_tab.show_account(None)
            self.renewal_tab.show_account(None)
            self.arr_tab.set_account(None)
            return
        self.stack.setCurrentIndex(1)
        self._fill_overview(account)
        self.reload_contacts()
        self.set_today(self.today)
        self.health_tab.show_account(account.id)
        self.risks_tab.show_account(account.id, account.currency)
        self.onboarding_tab.show_account(account.id)
        self.renewal_tab.show_account(account.id)
        self.arr_tab.set_account(account.id)
        self.notes_tab.show_account(account.id, account.name)
        self.qbr_tab.show_account(account.id)

    def _fill_overview(self, account: Account) -> None:
        self.title.setText(account.name)
        segment = SEGMENT_LABELS.get(Segment(account.segment), account.segment)
        stage = LIFECYCLE_LABELS.get(Lifecycle(account.lifecycle), account.lifecycle)
        self.subtitle.setText(" · ".join(x for x in (segment, stage, account.industry) if x))
        self.archived_banner.setVisible(account.archived_at is not None)
        url = crm_link(self.db, "account", account.id) if account.id is not None else None
        self.crm_link.setText(
            f'<a href="{url.toString()}">Open in HubSpot \u2197</a>' if url else ""
        )
        self.crm_link.setVisible(url is not None)
        left = days_until(account.renewal_date, self.today)
        values = {
            "domain": account.domain or "—",
            "industry": account.industry or "—",
            "arr": format_money(account.arr_minor, account.currency),
            "contract_start": account.contract_start.isoformat() if account.contract_start else "—",
            "renewal": (
                f"{account.renewal_date.isoformat()} ({days_phrase(left)})"
                if account.renewal_date is not None and left is not None
                else "—"
            ),
            "seats": f"{account.licensed_seats:,}" if account.licensed_seats is not None else "—",
            "owner": account.owner or "—",
            "tags": account.tags or "—",
            "payment": "Payment issue flagged" if account.payment_issue else "OK",
        }
        if account.id is not None:
            rhythm = rhythm_service.account_rhythm(self.db, account.id, self.today)
            values["touchpoint"] = self._touchpoint_text(rhythm)
            values["review"] = self._review_text(rhythm, account)
            self.review_fact_label.setText(f"Next {REVIEW_LABELS.get(rhythm.review_kind, 'QBR')}:")
        for key, text in values.items():
            self.fact_labels[key].setText(text)

    def _due_phrase(self, due: date) -> str:
        days = (due - self.today).days
        if days < 0:
            return f"{-days} day{'' if days == -1 else 's'} overdue"
        return days_phrase(days)

    def _touchpoint_text(self, rhythm: AccountRhythm) -> str:
        cadence = f"every {rhythm.cadence_days} days"
        if rhythm.cadence_is_own:
            cadence += ", set on the account"
        if rhythm.next_touch_due is None:
            return f"— (no touchpoint yet · {cadence})"
        last = (
            f"last {rhythm.last_touch.isoformat()}"
            if rhythm.last_touch is not None
            else "none logged yet"
        )
        due = rhythm.next_touch_due
        return f"{due.isoformat()} ({self._due_phrase(due)} · {cadence} · {last})"

    def _review_text(self, rhythm: AccountRhythm, account: Account) -> str:
        if account.lifecycle == Lifecycle.CHURNED.value:
            return "— (churned)"
        due = rhythm.next_review_due
        if due is None:
            return "— (set a contract start to schedule it)"
        return f"{due.isoformat()} ({self._due_phrase(due)})"

    def _reload_overview(self, account_id: int) -> None:
        if self.account is not None and self.account.id == account_id:
            self.account = account_service.get_account(self.db, account_id)
            self._fill_overview(self.account)

    def _renewal_saved(self, account_id: int) -> None:
        """An outcome moves the ARR, the renewal date and perhaps the lifecycle: show them."""
        self._reload_overview(account_id)
        self.arr_tab.refresh()  # the outcome recorded an ARR event
        self.renewal_changed.emit(account_id)

    def _arr_saved(self, account_id: int) -> None:
        """An added, edited or deleted ARR event may move the account's ARR."""
        self._reload_overview(account_id)
        self.arr_changed.emit(account_id)

    def set_database(self, db: Database) -> None:
        self.db = self.health_tab.db = self.risks_tab.db = self.onboarding_tab.db = db
        self.renewal_tab.db = self.arr_tab.db = db
        self.notes_tab.db = self.note_writer.db = self.qbr_tab.db = db

    def set_today(self, today: date) -> None:
        self.today = self.health_tab.today = self.risks_tab.today = today
        self.onboarding_tab.today = self.renewal_tab.today = self.arr_tab.today = today
        self.notes_tab.today = self.qbr_tab.today = today

    def reload_contacts(self, select_id: int | None = None) -> None:
        if self.account is None or self.account.id is None:
            return
        self.contacts_model.set_contacts(contact_service.list_contacts(self.db, self.account.id))
        if select_id is not None:
            row = self.contacts_model.row_of(select_id)
            if row is not None:
                self.contacts_view.selectRow(row)
        self._update_buttons()

    def _selected_contact_id(self) -> int | None:
        rows = self.contacts_view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.contacts_model.contact(rows[0].row()).id

    def _update_buttons(self, *_: object) -> None:
        has = self._selected_contact_id() is not None
        for button in (
            self.edit_contact_button,
            self.champion_button,
            self.left_button,
            self.remove_contact_button,
        ):
            button.setEnabled(has)
        if has:
            contact = self.contacts_model.contact(self.contacts_view.currentIndex().row())
            is_champion = ContactRole.CHAMPION.value in contact.roles.split(",")
            self.champion_button.setText("Unmark &champion" if is_champion else "Mark &champion")
            self.left_button.setText("Mark &current" if contact.left_on else "Mark &left")

    # --- contact actions --------------------------------------------------------
    def _changed(self, contact_id: int | None) -> None:
        self.reload_contacts(contact_id)
        if self.account is not None and self.account.id is not None:
            self.contacts_changed.emit(self.account.id)

    def add_contact(self) -> None:
        if self.account is None or self.account.id is None:
            return
        dialog = ContactDialog(self)
        if dialog.exec() and (draft := dialog.draft()) is not None:
            try:
                contact = contact_service.add_contact(self.db, self.account.id, draft)
            except ValidationError as exc:
                messages.error(self, "Contact not saved", str(exc))
                return
            log.info("contact %s added to account %s", contact.id, self.account.id)
            self._changed(contact.id)

    def edit_contact(self) -> None:
        contact_id = self._selected_contact_id()
        if contact_id is None:
            return
        contact = self.contacts_model.contact(self.contacts_view.currentIndex().row())
        dialog = ContactDialog(self, contact_service.draft_of(contact))
        if dialog.exec() and (draft := dialog.draft()) is not None:
            try:
                contact_service.update_contact(self.db, contact_id, draft)
            except ValidationError as exc:
                messages.error(self, "Contact not saved", str(exc))
                return
            self._changed(contact_id)

    def toggle_champion(self) -> None:
        contact_id = self._selected_contact_id()
        if contact_id is None:
            return
        contact = self.contacts_model.contact(self.contacts_view.currentIndex().row())
        on = ContactRole.CHAMPION.value not in contact.roles.split(",")
        contact_service.set_role(self.db, contact_id, ContactRole.CHAMPION, on)
        self._changed(contact_id)

    def toggle_left(self) -> None:
        contact_id = self._selected_contact_id()
        if contact_id is None:
            return
        contact = self.contacts_model.contact(self.contacts_view.currentIndex().row())
        contact_service.mark_left(self.db, contact_id, None if contact.left_on else self.today)
        self._changed(contact_id)

    def remove_contact(self) -> None:
        contact_id = self._selected_contact_id()
        if contact_id is None:
            return
        contact = self.contacts_model.contact(self.contacts_view.currentIndex().row())
        if not messages.confirm(
            self,
            "Remove contact",
            f"Remove {contact.name} from this account? This cannot be undone; "
            "use “Mark left” to keep their history.",
            "Remove",
        ):
            return
        contact_service.remove_contact(self.db, contact_id)
        self._changed(None)
