"""Item models obey Qt's contracts (pytest-qt's modeltester) and behave as the book needs."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from csmdesk.gui.book_model import COL_ARR, COL_DAYS, COL_NAME, BookFilter, BookModel, BookProxy
from csmdesk.gui.contacts_model import ContactsModel
from csmdesk.services import accounts, contacts
from csmdesk.services.accounts import BookRow
from tests.conftest import TODAY


def _row(i: int, name: str, **kw: object) -> BookRow:
    values: dict[str, object] = dict(
        id=i,
        name=name,
        domain=f"{name.lower()}.com",
        segment="smb",
        arr_minor=i * 1000,
        currency="USD",
        renewal_date=date(2026, 12, 1),
        lifecycle="mature",
        owner="Alex",
        tags="",
        archived=False,
        industry=None,
    )
    values.update(kw)
    return BookRow(**values)  # type: ignore[arg-type]


def test_book_model_and_proxy_pass_modeltester(qtmodeltester, demo_db) -> None:  # type: ignore[no-untyped-def]
    model = BookModel(TODAY)
    model.set_rows(accounts.list_book(demo_db))
    qtmodeltester.check(model)
    proxy = BookProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)
    proxy.set_filter(BookFilter(text="a"))
    qtmodeltester.check(proxy)
    proxy.sort(COL_ARR, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy)


def test_contacts_model_passes_modeltester(qtmodeltester, demo_db) -> None:  # type: ignore[no-untyped-def]
    model = ContactsModel()
    model.set_contacts(contacts.list_contacts(demo_db, 1))
    qtmodeltester.check(model)


def test_filter_matches_name_domain_and_tags_and_narrows() -> None:
    model = BookModel(TODAY)
    model.set_rows(
        [
            _row(1, "Acme", tags="sso, strategic"),
            _row(2, "Bluefin", domain="blue.io"),
            _row(3, "Cobalt", archived=True),
        ]
    )
    proxy = BookProxy()
    proxy.setSourceModel(model)
    names = lambda: [proxy.data(proxy.index(r, COL_NAME)) for r in range(proxy.rowCount())]  # noqa: E731
    assert names() == ["Acme", "Bluefin"]
    proxy.set_filter(BookFilter(text="s"))
    assert names() == ["Acme"]  # "sso"
    proxy.set_filter(BookFilter(text="ss"))
    proxy.set_filter(BookFilter(text="sso strat"))
    assert names() == ["Acme"]
    proxy.set_filter(BookFilter(text="blue.io"))
    assert names() == ["Bluefin"]
    proxy.set_filter(BookFilter(archived=True))
    assert names() == ["Cobalt"]


def test_quick_filters_segment_stage_and_renewal_window() -> None:
    model = BookModel(TODAY)
    model.set_rows(
        [
            _row(1, "Soon", renewal_date=date(2026, 12, 20), segment="enterprise"),
            _row(2, "Later", renewal_date=date(2027, 2, 10), lifecycle="renewing"),
            _row(3, "Past", renewal_date=date(2026, 11, 1)),
            _row(4, "Unknown", renewal_date=None),
        ]
    )
    proxy = BookProxy()
    proxy.setSourceModel(model)
    rows = lambda: {proxy.data(proxy.index(r, COL_NAME)) for r in range(proxy.rowCount())}  # noqa: E731
    proxy.set_filter(BookFilter(renewal_within=30))
    assert rows() == {"Soon"}
    proxy.set_filter(BookFilter(renewal_within=90))
    assert rows() == {"Soon", "Later"}
    proxy.set_filter(BookFilter(segments=frozenset({"enterprise"})))
    assert rows() == {"Soon"}
    proxy.set_filter(BookFilter(lifecycles=frozenset({"renewing"})))
    assert rows() == {"Later"}


def test_sorting_is_stable_and_keeps_filter() -> None:
    model = BookModel(TODAY)
    model.set_rows([_row(1, "b"), _row(2, "a"), _row(3, "c", renewal_date=None)])
    proxy = BookProxy()
    proxy.setSourceModel(model)
    proxy.set_filter(BookFilter(text="b"))  # names b, and domains b.com
    proxy.sort(COL_DAYS, Qt.SortOrder.AscendingOrder)
    assert [proxy.data(proxy.index(r, 0)) for r in range(proxy.rowCount())] == ["b"]
    proxy.set_filter(BookFilter())
    proxy.sort(COL_DAYS, Qt.SortOrder.AscendingOrder)
    assert [proxy.data(proxy.index(r, 0)) for r in range(proxy.rowCount())] == ["a", "b", "c"]
    proxy.sort(COL_NAME, Qt.SortOrder.DescendingOrder)
    assert [proxy.data(proxy.index(r, 0)) for r in range(proxy.rowCount())] == ["c", "b", "a"]


def test_upsert_and_remove_keep_filter_in_step() -> None:
    model = BookModel(TODAY)
    model.set_rows([_row(1, "Acme"), _row(2, "Bluefin")])
    proxy = BookProxy()
    proxy.setSourceModel(model)
    proxy.set_filter(BookFilter(text="acme"))
    model.upsert(_row(3, "Acme West"))
    assert proxy.rowCount() == 2
    model.upsert(_row(1, "Renamed"))
    assert proxy.rowCount() == 1
    model.remove(3)
    assert proxy.rowCount() == 0
    assert model.rowCount() == 2


def test_days_left_and_money_display() -> None:
    model = BookModel(TODAY)
    model.set_rows([_row(1, "Acme", arr_minor=12_000_000, renewal_date=date(2026, 12, 5))])
    assert model.data(model.index(0, COL_ARR)) == "$120,000"
    assert model.data(model.index(0, COL_DAYS)) == "10"
    assert model.data(model.index(0, COL_DAYS), Qt.ItemDataRole.ForegroundRole) is not None
    model.set_today(date(2026, 12, 6))
    assert model.data(model.index(0, COL_DAYS)) == "-1"
