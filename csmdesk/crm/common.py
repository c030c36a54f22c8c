"""What both CRM clients share: a page of records, timestamps as epoch milliseconds, and
chunking of id lists for batch calls."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def to_ms(value: Any) -> int | None:
    """Milliseconds since the epoch from HubSpot's timestamps: ISO-8601 (with or without
    milliseconds, ``Z`` or an offset; naive means UTC), a date (midnight UTC), or epoch ms as a
    number or digits. None for None, "" and anything unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (moment - _EPOCH) // timedelta(milliseconds=1)
    if isinstance(value, date):
        return (datetime(value.year, value.month, value.day, tzinfo=UTC) - _EPOCH) // timedelta(
            milliseconds=1
        )
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    text = str(value).strip()
    if not text:
        return None
    if _INTEGER.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text):
        number = float(text)
        return int(number) if math.isfinite(number) else None
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


@dataclass(frozen=True)
class Page:
    """One page of records: ``after`` is the cursor for the next page (None on the last, and
    always None from the clients' ``iter_modified``, which pages by date);
    ``max_modified_ms`` the newest last-modified time among ``results``."""

    results: list[dict[str, Any]]
    after: str | None
    max_modified_ms: int | None = None


def chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def unique(values: Iterable[Any]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value is not None and str(value) != "":
            seen.setdefault(str(value), None)
    return list(seen)
