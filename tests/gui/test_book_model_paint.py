"""The book's fast paths: multiData (one call per painted cell) and the filter's mask trail."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, QSortFilterProxyModel, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QTableView

from csmdesk.gui.book_model import COL_NAME, ID_ROLE, BookFilter, BookModel, BookProxy
from csmdesk.services.accounts import BookRow
from tests.conftest import TODAY

R = Qt.ItemDataRole
ROLES = (
    R.DisplayRole,
    R.DecorationRole,
    R.ToolTipRole,
    R.FontRole,
    R.TextAlignmentRole,
    R.BackgroundRole,
    R.ForegroundRole,
    R.CheckStateRole,
    ID_ROLE,
)


def _row(i: int, name: str, **kw: object) -> BookRow:
    values: dict[str, object] = dict(
        id=i,
        name=name,
        domain=f"{name.lower().replace(' ', '')}.com",
        segment="smb",
        arr_minor=i * 1000,
        currency="USD",
        renewal_date=date(2027, 6, 1),
        lifecycle="mature",
        owner="Alex",
        tags="",
        archived=False,
        industry=None,
    )
    values.update(kw)
    return BookRow(**values)  # type: ignore[arg-type]


def _book() -> BookModel:
    model = BookModel(TODAY)
    model.set_rows(
        [
            _row(1, "Acme", health=82, health_band="healthy", health_trend=4, tags="sso"),
            _row(2, "Bluefin", health=41, health_band="at_risk", health_trend=-9),
            _row(3, "Cobalt", health_band="watch", renewal_date=date(2026, 12, 1)),
            _row(4, "Dune", renewal_date=date(2026, 11, 1), tags="sso, strategic"),
            _row(5, "Ember", archived=True, health=60, health_band="watch", health_trend=0),
        ]
    )
    return model


def _same(a: object, b: object) -> bool:
    if isinstance(a, QIcon) and isinstance(b, QIcon):
        return a.cacheKey() == b.cacheKey()
    return a == b


def test_multidata_answers_what_data_does_and_clears_stale_values(qapp) -> None:  # type: ignore[no-untyped-def]
    model = _book()
    proxy = BookProxy()
    proxy.setSourceModel(model)
    proxy.set_filter(BookFilter(archived=True))  # Ember: italic
    proxy.set_filter(BookFilter())
    for m in (model, proxy):
        for row in range(m.rowCount()):
            for col in range(m.columnCount()):
                index = m.index(row, col)
                for role in ROLES:
                    role_data = QModelRoleData(int(role))
                    role_data.setData("stale")  # views reuse their spans from cell to cell
                    m.multiData(index, QModelRoleDataSpan(role_data))
                    assert _same(role_data.data(), m.data(index, role)), (row, col, role)
    health = model.data(model.index(0, 1), R.DecorationRole)
    assert isinstance(health, QIcon) and not health.isNull()
    assert model.data(model.index(0, 1), R.DecorationRole).cacheKey() == health.cacheKey()


class _PlainProxy(BookProxy):
    """Qt's own multiData (data() once per role), to paint the reference image with."""

    def multiData(self, index, roleDataSpan) -> None:  # type: ignore[no-untyped-def]
        QSortFilterProxyModel.multiData(self, index, roleDataSpan)


def test_table_paints_the_same_through_multidata(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = _book()
    images = []
    for proxy_type in (BookProxy, _PlainProxy):
        proxy = proxy_type()
        proxy.setSourceModel(model)
        proxy.set_filter(BookFilter(text="", archived=False))
        view = QTableView()
        qtbot.addWidget(view)
        view.setModel(proxy)
        view.resize(900, 240)
        view.selectRow(1)
        images.append(view.viewport().grab().toImage())
    assert images[0] == images[1]


class _CountingProxy(BookProxy):
    tests = 0

    def filterAcceptsRow(self, source_row, source_parent) -> bool:  # type: ignore[no-untyped-def]
        self.tests += 1
        return super().filterAcceptsRow(source_row, source_parent)


def test_typing_backspacing_and_quick_filters_match_a_fresh_filter() -> None:
    model = _book()
    proxy = _CountingProxy()
    proxy.setSourceModel(model)

    def names(p: BookProxy) -> list[str]:
        return [p.data(p.index(r, COL_NAME)) for r in range(p.rowCount())]

    def fresh(flt: BookFilter) -> list[str]:
        other = BookProxy()
        other.setSourceModel(model)
        other.set_filter(flt)
        return names(other)

    steps = ["s", "ss", "sso", "sso ", "sso s", "sso st", "sso s", "sso ", "ss", "", "a", "ac"]
    steps += ["a", "", "b", "bl", "blue.io", "b", "", "x", "", "sso"]
    for text in steps:
        flt = BookFilter(text=text)
        proxy.set_filter(flt)
        assert names(proxy) == fresh(flt), text
    for flt in (
        BookFilter(text="sso", health="watch"),
        BookFilter(text="sso"),
        BookFilter(text="s", archived=True),
        BookFilter(text="", archived=True),
        BookFilter(text="e", renewal_within=30),
        BookFilter(),
    ):
        proxy.set_filter(flt)
        assert names(proxy) == fresh(flt), flt
    proxy.sort(COL_NAME, Qt.SortOrder.DescendingOrder)
    proxy.set_filter(BookFilter(text="e"))
    assert names(proxy) == fresh(BookFilter(text="e")) == ["Dune", "Bluefin", "Acme"]

    # A keystroke that leaves the same rows shown does not make Qt re-test every row.
    proxy.set_filter(BookFilter(text="bl"))
    before = proxy.tests
    for text in ("blu", "blue", "blu", "bl"):
        proxy.set_filter(BookFilter(text=text))
        assert names(proxy) == ["Bluefin"]
    assert proxy.tests == before
    proxy.set_filter(BookFilter(text="b"))
    assert names(proxy) == ["Cobalt", "Bluefin"]
    assert proxy.tests > before
