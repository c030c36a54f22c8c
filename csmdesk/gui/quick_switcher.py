"""Ctrl+K: jump to any account by typing part of its name."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from csmdesk.domain.matching import rank


class QuickSwitcher(QDialog):
    chosen = Signal(int)

    def __init__(
        self, items: Callable[[], list[tuple[int, str]]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Go to account")
        self.setObjectName("quickSwitcher")
        self._items = items
        self._cache: list[tuple[int, str]] = []
        layout = QVBoxLayout(self)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Type part of an account name…")
        self.edit.setAccessibleName("Account name")
        self.edit.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Matching accounts")
        self.list.setUniformItemSizes(True)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        self.resize(460, 380)
        self.edit.textChanged.connect(self._refresh)
        self.edit.returnPressed.connect(self._choose_current)
        self.edit.installEventFilter(self)
        self.list.itemActivated.connect(self._choose_item)

    def open_switcher(self) -> None:
        self._cache = self._items()
        self.edit.clear()
        self._refresh("")
        self.show()
        self.raise_()
        self.activateWindow()
        self.edit.setFocus()

    def _refresh(self, text: str) -> None:
        self.list.clear()
        for item_id, name in rank(text, self._cache, limit=50):
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, item_id)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down move through the results while the caret stays in the text box.
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                self.list.keyPressEvent(event)  # type: ignore[arg-type]
                return True
        return super().eventFilter(watched, event)

    def _choose_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._choose_item(item)

    def _choose_item(self, item: QListWidgetItem) -> None:
        self.chosen.emit(int(item.data(Qt.ItemDataRole.UserRole)))
        self.accept()
