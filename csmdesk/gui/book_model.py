"""The book: a table model over :class:`BookRow` values and a proxy that filters it.

Speed matters here (5,000 accounts, a keystroke every 100 ms), so display text
and sort keys are computed once per row, sorting is a single Python sort inside
the source model, and the proxy's per-row test is one list lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap

from csmdesk.domain.accounts import LIFECYCLE_LABELS, SEGMENT_LABELS
from csmdesk.domain.money import format_money
from csmdesk.domain.renewals import days_until
from csmdesk.models import Lifecycle, Segment
from csmdesk.services.accounts import BookRow
from csmdesk.services.health import CachedScore

ID_ROLE = Qt.ItemDataRole.UserRole + 1
# Roles as plain ints: Qt passes ints, and comparing against the enum members costs an
# attribute lookup per comparison in a function Qt calls thousands of times per repaint.
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_DECORATION = Qt.ItemDataRole.DecorationRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_ID = int(ID_ROLE)

COLUMNS = ("Name", "Health", "Segment", "ARR", "Renewal", "Days left", "Lifecycle", "Owner")
COL_NAME, COL_HEALTH, COL_SEGMENT, COL_ARR, COL_RENEWAL, COL_DAYS, COL_LIFECYCLE, COL_OWNER = range(
    8
)
_RIGHT = frozenset((COL_ARR, COL_DAYS))
_RIGHT_ALIGN = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_SOON_COLUMNS = frozenset((COL_RENEWAL, COL_DAYS))
BAND_COLOURS = {"healthy": "#2b8a3e", "watch": "#e8590c", "at_risk": "#e03131"}
BAND_LABELS = {"healthy": "Healthy", "watch": "Watch", "at_risk": "At risk"}
_SWATCH_PX = 64
_BAND_ORDER = {"at_risk": 0, "watch": 1, "healthy": 2}
DECLINING = -5  # points against 30 days earlier that make an account "declining"


def health_text(value: int | None, trend: int | None) -> str:
    if value is None:
        return ""
    arrow = "" if trend is None else "↑" if trend >= 3 else "↓" if trend <= -3 else "→"
    return f"{value} {arrow}".strip()


_SEGMENT_ORDER = {s.value: i for i, s in enumerate(Segment)}
_LIFECYCLE_ORDER = {s.value: i for i, s in enumerate(Lifecycle)}
_FAR = 10**9

Index = QModelIndex | QPersistentModelIndex


@dataclass(slots=True)
class _Line:
    row: BookRow
    texts: tuple[str, ...]
    keys: tuple[Any, ...]
    haystack: str
    days_left: int | None


def _health_key(row: BookRow, name_key: str) -> tuple[int, int, str]:
    return (
        row.health if row.health is not None else 1000,
        _BAND_ORDER.get(row.health_band or "", 3),
        name_key,
    )


def _line(row: BookRow, today: date) -> _Line:
    # A churned account has no renewal ahead of it, whatever date its contract carried.
    left = None if row.lifecycle == Lifecycle.CHURNED else days_until(row.renewal_date, today)
    texts = (
        row.name,
        health_text(row.health, row.health_trend),
        SEGMENT_LABELS.get(Segment(row.segment), row.segment)
        if row.segment in _SEGMENT_ORDER
        else row.segment,
        format_money(row.arr_minor, row.currency),
        row.renewal_date.isoformat() if row.renewal_date else "",
        "" if left is None else str(left),
        LIFECYCLE_LABELS.get(Lifecycle(row.lifecycle), row.lifecycle)
        if row.lifecycle in _LIFECYCLE_ORDER
        else row.lifecycle,
        row.owner or "",
    )
    name_key = row.name.casefold()
    keys = (
        name_key,
        _health_key(row, name_key),
        (_SEGMENT_ORDER.get(row.segment, 99), name_key),
        (row.arr_minor, name_key),
        (row.renewal_date.toordinal() if row.renewal_date else _FAR, name_key),
        (left if left is not None else _FAR, name_key),
        (_LIFECYCLE_ORDER.get(row.lifecycle, 99), name_key),
        ((row.owner or "").casefold(), name_key),
    )
    haystack = " ".join((row.name, row.domain or "", row.tags)).casefold()
    return _Line(row, texts, keys, haystack, left)


def _health_tip(row: BookRow) -> str:
    band = BAND_LABELS.get(row.health_band or "", "")
    if row.health is None:
        return f"{band} (set by hand; no data to score)"
    tip = f"{band} · health {row.health}"
    if row.health_trend is not None:
        tip += f" ({row.health_trend:+d} in 30 days)"
    return tip


class BookModel(QAbstractTableModel):
    """All accounts of the book, archived ones included (the proxy hides them)."""

    def __init__(self, today: date, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = today
        self._lines: list[_Line] = []
        self._active: int | None = None
        self._row_of: dict[int, int] = {}
        self._sort: tuple[int, Qt.SortOrder] = (COL_NAME, Qt.SortOrder.AscendingOrder)
        self._italic = QFont()
        self._italic.setItalic(True)
        self._soon = QColor("#d9480f")
        self._band_icons: dict[str, QIcon] = {}

    # --- loading and updating ------------------------------------------------
    def set_rows(self, rows: list[BookRow]) -> None:
        self.beginResetModel()
        self._lines = [_line(r, self.today) for r in rows]
        self._sort_lines()
        self.endResetModel()

    def set_today(self, today: date) -> None:
        if today != self.today:
            self.today = today
            self.set_rows([line.row for line in self._lines])

    def upsert(self, row: BookRow) -> None:
        """Insert or refresh one account without resetting the view."""
        at = self._row_of.get(row.id)
        if at is None:
            end = len(self._lines)
            self.beginInsertRows(QModelIndex(), end, end)
            self._lines.append(_line(row, self.today))
            self._row_of[row.id] = end
            self.endInsertRows()
        else:
            self._lines[at] = _line(row, self.today)
            self.dataChanged.emit(self.index(at, 0), self.index(at, len(COLUMNS) - 1))
        self.sort(*self._sort)

    def update_health(self, scores: Mapping[int, CachedScore]) -> int:
        """Take the Health column from freshly stored scores (account id → score; an account
        without one shows none), without a reset: after a whole-book rescore only the scores
        moved, and re-reading and resetting the book would stall typing in the filter box.
        Returns the number of rows that changed."""
        first = last = -1
        changed = 0
        lines = self._lines
        for at, line in enumerate(lines):
            row = line.row
            score = scores.get(row.id)
            value, band, trend = (
                (None, None, None)
                if score is None
                else (score.value, score.effective_band, score.trend)
            )
            if value == row.health and band == row.health_band and trend == row.health_trend:
                continue
            row = row._replace(health=value, health_band=band, health_trend=trend)
            texts, keys = list(line.texts), list(line.keys)
            texts[COL_HEALTH] = health_text(value, trend)
            keys[COL_HEALTH] = _health_key(row, keys[COL_NAME])
            lines[at] = _Line(row, tuple(texts), tuple(keys), line.haystack, line.days_left)
            first = at if first < 0 else first
            last = at
            changed += 1
        if not changed:
            return 0
        if self._sort[0] == COL_HEALTH:
            self.sort(*self._sort)  # a layout change: the views and the proxy refresh it all
        else:
            self.dataChanged.emit(self.index(first, COL_HEALTH), self.index(last, COL_HEALTH))
        return changed

    def remove(self, account_id: int) -> None:
        at = self._row_of.get(account_id)
        if at is None:
            return
        self.beginRemoveRows(QModelIndex(), at, at)
        del self._lines[at]
        self._reindex()
        self.endRemoveRows()

    def _reindex(self) -> None:
        self._active = None
        self._row_of = {line.row.id: i for i, line in enumerate(self._lines)}

    # --- lookups ---------------------------------------------------------------
    def row_of(self, account_id: int) -> int | None:
        return self._row_of.get(account_id)

    def book_row(self, row: int) -> BookRow:
        return self._lines[row].row

    def active_count(self) -> int:
        """Accounts not archived (cached; the status bar asks on every filter change)."""
        if self._active is None:
            self._active = sum(1 for line in self._lines if not line.row.archived)
        return self._active

    def rows(self) -> list[BookRow]:
        return [line.row for line in self._lines]

    def line(self, row: int) -> _Line:
        return self._lines[row]

    def lines(self) -> list[_Line]:
        return self._lines

    def id_at(self, row: int) -> int:
        return self._lines[row].row.id

    # --- Qt model interface ----------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return (
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if section in _RIGHT
                else None
            )
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        return self._value(self._lines[index.row()], index.column(), role)

    def multiData(self, index: Index, roleDataSpan: Any) -> None:
        """Every role a cell paints with in one call (a view asks for seven per cell)."""
        if index.isValid():
            self.fill_roles(index.row(), index.column(), roleDataSpan)
        else:
            for role_data in roleDataSpan:
                role_data.clearData()

    def fill_roles(self, row: int, col: int, span: Any) -> None:
        line = self._lines[row]
        value = self._value
        for role_data in span:
            role_data.setData(value(line, col, role_data.role()))

    def _value(self, line: _Line, col: int, role: int) -> Any:
        """What :meth:`data` answers; roles are compared as plain ints (cheap)."""
        if role == _DISPLAY:
            return line.texts[col]
        if role == _ID:
            return line.row.id
        if role == _DECORATION:
            band = line.row.health_band
            return self._band_icon(band) if col == COL_HEALTH and band is not None else None
        if role == _ALIGNMENT:
            return _RIGHT_ALIGN if col in _RIGHT else None
        if role == _FONT:
            return self._italic if line.row.archived else None
        if role == _FOREGROUND:
            left = line.days_left
            if col in _SOON_COLUMNS and left is not None and left <= 30:
                return self._soon
            return None
        if role == _TOOLTIP:
            if col == COL_HEALTH and line.row.health_band is not None:
                return _health_tip(line.row)
            if col == COL_DAYS and line.days_left is not None:
                left = line.days_left
                if left >= 0:
                    return f"Renews in {left} days"
                return f"Renewal date passed {-left} days ago"
        return None

    def _band_icon(self, band: str) -> QIcon | None:
        """The band's colour swatch, made once (a bare QColor makes the view paint a new
        pixmap for every cell it draws). Large enough to be scaled down to any icon size."""
        icon = self._band_icons.get(band)
        if icon is None and band in BAND_COLOURS:  # made on first use: needs a QGuiApplication
            swatch = QPixmap(_SWATCH_PX, _SWATCH_PX)
            swatch.fill(QColor(BAND_COLOURS[band]))
            icon = self._band_icons[band] = QIcon(swatch)
        return icon

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        old_ids = [line.row.id for line in self._lines]
        self._sort = (column, order)
        self._sort_lines()
        persistent = self.persistentIndexList()
        if persistent:
            to = [self.index(self._row_of[old_ids[i.row()]], i.column()) for i in persistent]
            self.changePersistentIndexList(persistent, to)
        self.layoutChanged.emit()

    def _sort_lines(self) -> None:
        column, order = self._sort
        self._lines.sort(
            key=lambda line: line.keys[column], reverse=order == Qt.SortOrder.DescendingOrder
        )
        self._reindex()


@dataclass(frozen=True)
class BookFilter:
    """What the user asked to see: text plus the quick filters."""

    text: str = ""
    segments: frozenset[str] = frozenset()
    lifecycles: frozenset[str] = frozenset()
    renewal_within: int | None = None
    archived: bool = False
    health: str | None = None  # a band, or "declining"

    def quick(self) -> tuple[object, ...]:
        return (self.segments, self.lifecycles, self.renewal_within, self.archived, self.health)

    def accepts_quick(self, line: _Line) -> bool:
        row = line.row
        if row.archived != self.archived:
            return False
        if self.segments and row.segment not in self.segments:
            return False
        if self.lifecycles and row.lifecycle not in self.lifecycles:
            return False
        if self.health == "declining":
            if row.health_trend is None or row.health_trend > DECLINING:
                return False
        elif self.health is not None and row.health_band != self.health:
            return False
        if self.renewal_within is not None:
            left = line.days_left
            return left is not None and 0 <= left <= self.renewal_within
        return True


def _text_mask(lines: list[_Line], candidates: list[bool], words: list[str]) -> list[bool]:
    """Narrow ``candidates`` to lines whose name, domain or tags contain every word."""
    if not words:
        return list(candidates)
    if len(words) == 1:
        word = words[0]
        return [c and word in line.haystack for c, line in zip(candidates, lines, strict=True)]
    return [
        c and all(w in line.haystack for w in words)
        for c, line in zip(candidates, lines, strict=True)
    ]


class BookProxy(QSortFilterProxyModel):
    """Filters the book; sorting is delegated to the source model (one Python sort).

    The per-row test Qt calls is a single list lookup into a mask computed in
    one pass. The masks of the text typed since the quick filters changed are
    kept as a trail (each text a prefix of the next): typing more letters only
    re-tests the rows that still matched, backspacing finds its mask again, and
    a keystroke that leaves the same rows shown does not refilter at all.
    """

    _TRAIL = 32  # masks kept for backspacing (5,000 accounts: 40 KB each)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.filter = BookFilter()
        self._base: list[bool] = []
        self._mask: list[bool] = []
        self._trail: list[tuple[str, list[bool]]] = []
        self._stale = True
        self.setDynamicSortFilter(False)

    def book(self) -> BookModel:
        model = self.sourceModel()
        assert isinstance(model, BookModel)
        return model

    def setSourceModel(self, model: Any) -> None:
        super().setSourceModel(model)
        self._stale = True
        for signal in (
            model.modelAboutToBeReset,
            model.rowsAboutToBeInserted,
            model.rowsAboutToBeRemoved,
            model.layoutAboutToBeChanged,
        ):
            signal.connect(self._mark_stale)
        model.dataChanged.connect(self._refilter)

    def _mark_stale(self, *_: Any) -> None:
        self._stale = True

    def _refilter(self, *_: Any) -> None:
        self._stale = True
        self._invalidate_rows()

    def _invalidate_rows(self) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+
            self.beginFilterChange()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            self.invalidateRowsFilter()

    def _compute(self, previous: BookFilter | None = None) -> None:
        lines = self.book().lines()
        flt = self.filter
        text = flt.text.casefold()
        if self._stale or previous is None or previous.quick() != flt.quick():
            self._base = [flt.accepts_quick(line) for line in lines]
            self._trail = [("", self._base)]
        trail = self._trail
        # Every word of a longer text contains the word it extends, so a text's matches
        # are among those of any prefix of it; the trail always starts with "".
        while not text.startswith(trail[-1][0]):
            trail.pop()
        known, candidates = trail[-1]
        if known == text:
            self._mask = candidates
        else:
            self._mask = _text_mask(lines, candidates, text.split())
            trail.append((text, self._mask))
            if len(trail) > self._TRAIL:
                del trail[1]  # the rest still runs from prefix to longer text
        self._stale = False

    def set_filter(self, flt: BookFilter) -> None:
        previous, self.filter = self.filter, flt
        if flt == previous and not self._stale:
            return
        if self._stale:
            self._compute()
            self._invalidate_rows()
            return
        shown = self._mask
        self._compute(previous)
        # Qt re-tests every source row on a filter change (a call into Python each): skip
        # it, and the repaint it causes, when the keystroke leaves the same rows shown.
        if self._mask is not shown and self._mask != shown:
            self._invalidate_rows()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self._stale:
            self._compute()
        return self._mask[source_row]

    def multiData(self, index: Index, roleDataSpan: Any) -> None:
        # QSortFilterProxyModel does not forward multiData, so Qt's default would call
        # data() once per role, each a trip into Python (and a mapToSource) per cell.
        source = self.mapToSource(index)
        if source.isValid():
            self.book().fill_roles(source.row(), source.column(), roleDataSpan)
        else:
            for role_data in roleDataSpan:
                role_data.clearData()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        if column >= 0:
            self.book().sort(column, order)

    def account_id(self, proxy_row: int) -> int:
        return int(self.data(self.index(proxy_row, 0), ID_ROLE))

    def proxy_row_of(self, account_id: int) -> int | None:
        source_row = self.book().row_of(account_id)
        if source_row is None:
            return None
        idx = self.mapFromSource(self.book().index(source_row, 0))
        return idx.row() if idx.isValid() else None
