"""Dates as spreadsheets and CRM exports write them.

ISO (``2026-12-04``, ``2026-12-04 13:45``, ``2026-12-04T13:45:00Z``), US
(``12/04/2026``), European (``04.12.2026``, ``04/12/2026``) and a few spelled-out
forms. Slash dates are ambiguous: the order is decided per column from values
that can only be read one way (a 13 or more), else from a hint (a Salesforce
report writes US dates), else it is reported as ambiguous so a person chooses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class DateOrder(StrEnum):
    MDY = "mdy"  # 12/04/2026 is December 4 (US)
    DMY = "dmy"  # 12/04/2026 is 12 April (most of the world)


class DateError(ValueError):
    """Not a date, with a message fit for the user."""


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_SLASH = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})(?:\s+[0-9:]+(?:\s*[AaPp][Mm])?)?$")
_DOTS = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})\.?(?:\s+[0-9:]+)?$")
_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_WORDS = re.compile(r"^(\d{1,2})[\s-]+([A-Za-z]+)\.?,?[\s-]+(\d{4})$")  # 4 Dec 2026, 04-Dec-2026
_WORDS_US = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")  # Dec 4, 2026


def _year(text: str) -> int:
    value = int(text)
    return value + 2000 if len(text) == 2 else value


def _make(y: int, m: int, d: int, raw: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise DateError(f"'{raw}' is not a real date") from None


def slash_parts(text: str) -> tuple[int, int] | None:
    """The first two numbers of a slash or dash date such as ``04/12/2026``, else ``None``."""
    match = _SLASH.match(text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_date(value: object, order: DateOrder | None = DateOrder.MDY) -> date | None:
    """Read one cell as a date; empty → ``None``. ``order`` resolves ``04/12/2026``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    if not raw:
        return None
    if match := _ISO.match(raw):
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)), raw)
    if match := _YMD_SLASH.match(raw):
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)), raw)
    if match := _DOTS.match(raw):
        return _make(_year(match.group(3)), int(match.group(2)), int(match.group(1)), raw)
    if match := _SLASH.match(raw):
        a, b, y = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        if order is None:
            if a > 12 >= b:
                return _make(y, b, a, raw)
            if b > 12 >= a:
                return _make(y, a, b, raw)
            if a == b:
                return _make(y, a, b, raw)
            raise DateError(f"'{raw}' could be day/month or month/day; choose the date order")
        if order == DateOrder.MDY:
            return _make(y, a, b, raw)
        return _make(y, b, a, raw)
    for pattern, day_first in ((_WORDS, True), (_WORDS_US, False)):
        if match := pattern.match(raw):
            first, second, year = match.groups()
            day, month_name = (first, second) if day_first else (second, first)
            month = _MONTHS.get(month_name.lower())
            if month is None:
                break
            return _make(int(year), month, int(day), raw)
    raise DateError(f"'{raw}' is not a date (use YYYY-MM-DD, e.g. 2026-12-04)")


@dataclass(frozen=True)
class OrderGuess:
    """What a column of slash dates says about its order."""

    order: DateOrder | None  # None: nothing in the column decides
    ambiguous: bool  # slash dates present and the order was not proven by the data
    evidence: str


def guess_order(values: Iterable[object], hint: DateOrder | None = None) -> OrderGuess:
    """Decide day/month order for a column from the values that can only be read one way."""
    month_first = day_first = slashes = 0
    for value in values:
        if not isinstance(value, str):
            continue
        parts = slash_parts(value)
        if parts is None:
            continue
        slashes += 1
        a, b = parts
        if a > 12 >= b:
            day_first += 1
        elif b > 12 >= a:
            month_first += 1
    if not slashes:
        return OrderGuess(hint, False, "no slash dates")
    if day_first and not month_first:
        return OrderGuess(DateOrder.DMY, False, f"{day_first} value(s) only read as day/month")
    if month_first and not day_first:
        return OrderGuess(DateOrder.MDY, False, f"{month_first} value(s) only read as month/day")
    if month_first and day_first:
        return OrderGuess(hint, True, "the column mixes day/month and month/day dates")
    return OrderGuess(hint, True, f"all {slashes} slash date(s) could be read either way")
