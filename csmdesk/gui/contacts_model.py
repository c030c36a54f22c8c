"""The contacts of one account as a table."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from csmdesk.domain.accounts import ROLE_LABELS
from csmdesk.models import Contact, ContactRole

ID_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Name", "Title", "Roles", "Email")
Index = QModelIndex | QPersistentModelIndex


def roles_text(contact: Contact) -> str:
    labels = [
        ROLE_LABELS[ContactRole(r)]
        for r in contact.roles.split(",")
        if r in {x.value for x in ContactRole}
    ]
    if contact.is_primary:
        labels.insert(0, "Primary")
    if contact.left_on:
        labels.append(f"left {contact.left_on.isoformat()}")
    return ", ".join(labels)


class ContactsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._contacts: list[Contact] = []
        self._struck = QFont()
        self._struck.setStrikeOut(True)
        self._bold = QFont()
        self._bold.setBold(True)

    def set_contacts(self, contacts: list[Contact]) -> None:
        self.beginResetModel()
        self._contacts = list(contacts)
        self.endResetModel()

    def contact(self, row: int) -> Contact:
        return self._contacts[row]

    def row_of(self, contact_id: int) -> int | None:
        for i, c in enumerate(self._contacts):
            if c.id == contact_id:
                return i
        return None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._contacts)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c = self._contacts[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (c.name, c.title or "", roles_text(c), c.email or "")[col]
        if role == ID_ROLE:
            return c.id
        if role == Qt.ItemDataRole.FontRole:
            if c.left_on is not None and col == 0:
                return self._struck
            if c.is_primary and col == 0:
                return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [c.name, c.title or "", c.email or "", c.phone or ""]
            if c.left_on is not None:
                lines.append(f"Left the company on {c.left_on.isoformat()}")
            return "\n".join(x for x in lines if x)
        return None
