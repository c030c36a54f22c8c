from __future__ import annotations

from datetime import date, datetime

import pytest

from csmdesk.domain.dates import DateError, DateOrder, guess_order, parse_date


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        ("2026-12-04", None, date(2026, 12, 4)),
        ("2024-06-27 04:00", None, date(2024, 6, 27)),
        ("2026-12-04T13:45:00Z", None, date(2026, 12, 4)),
        ("12/04/2026", DateOrder.MDY, date(2026, 12, 4)),
        ("12/04/2026", DateOrder.DMY, date(2026, 4, 12)),
        ("04.12.2026", None, date(2026, 12, 4)),
        ("4.1.26", None, date(2026, 1, 4)),
        ("31/01/2027", None, date(2027, 1, 31)),  # only one reading exists
        ("01/31/2027", None, date(2027, 1, 31)),
        ("29.02.2028", None, date(2028, 2, 29)),
        ("4 Dec 2026", None, date(2026, 12, 4)),
        ("Dec 4, 2026", None, date(2026, 12, 4)),
        ("2026/12/04", None, date(2026, 12, 4)),
        ("", None, None),
        (datetime(2026, 1, 2, 3, 4), None, date(2026, 1, 2)),
    ],
)
def test_parse_date_reads_real_formats(
    raw: object, order: DateOrder | None, expected: date
) -> None:
    assert parse_date(raw, order) == expected


@pytest.mark.parametrize("raw", ["29.02.2027", "2026-13-01", "yesterday", "12k", "04/05/2026"])
def test_parse_date_rejects_with_a_message(raw: str) -> None:
    with pytest.raises(DateError, match=raw.split(".")[0][:2]):
        parse_date(raw, None)


def test_guess_order_from_unambiguous_values() -> None:
    assert guess_order(["01/02/2026", "25/03/2026"]).order == DateOrder.DMY
    assert guess_order(["01/02/2026", "03/25/2026"]).order == DateOrder.MDY
    both = guess_order(["25/03/2026", "03/25/2026"])
    assert both.ambiguous and both.order is None
    unsure = guess_order(["01/02/2026", "03/04/2026"], hint=DateOrder.MDY)
    assert unsure.ambiguous and unsure.order == DateOrder.MDY
    assert not guess_order(["2026-01-02"]).ambiguous
