"""Turning one cell into one field value, or a sentence saying why not."""

from __future__ import annotations

import re
from datetime import date

from csmdesk.domain.accounts import normalize_domain, normalize_tags
from csmdesk.domain.cells import unescape_cell
from csmdesk.domain.dates import DateOrder, parse_date
from csmdesk.domain.money import MoneyError, parse_money
from csmdesk.models import ContactRole, Lifecycle, Segment
from csmdesk.services.importing.reader import Cell

_SEGMENTS = {
    Segment.SMB: ("smb", "small business", "small", "smallbusiness", "commercial", "sb", "s"),
    Segment.MID_MARKET: (
        "mid-market",
        "midmarket",
        "mid market",
        "mm",
        "mid",
        "midsize",
        "mid-size",
        "mid_market",
        "m",
    ),
    Segment.ENTERPRISE: ("enterprise", "ent", "large", "strategic", "large enterprise", "e"),
}
SEGMENT_WORDS = {word: seg.value for seg, words in _SEGMENTS.items() for word in words}

_LIFECYCLES = {
    Lifecycle.ONBOARDING: ("onboarding", "implementation", "new", "kickoff", "onboard"),
    Lifecycle.ADOPTING: ("adopting", "adoption", "ramping", "ramp", "growing"),
    Lifecycle.MATURE: ("mature", "active", "live", "steady", "established"),
    Lifecycle.RENEWING: ("renewing", "renewal", "up for renewal", "in renewal"),
    Lifecycle.CHURNED: ("churned", "churn", "lost", "cancelled", "canceled", "former customer"),
}
LIFECYCLE_WORDS = {word: stage.value for stage, words in _LIFECYCLES.items() for word in words}

_ROLE_WORDS = {
    "champion": ContactRole.CHAMPION.value,
    "executive sponsor": ContactRole.EXECUTIVE_SPONSOR.value,
    "exec sponsor": ContactRole.EXECUTIVE_SPONSOR.value,
    "sponsor": ContactRole.EXECUTIVE_SPONSOR.value,
    "executive": ContactRole.EXECUTIVE_SPONSOR.value,
    "admin": ContactRole.ADMIN.value,
    "administrator": ContactRole.ADMIN.value,
    "end user": ContactRole.END_USER.value,
    "user": ContactRole.END_USER.value,
    "billing": ContactRole.BILLING.value,
    "finance": ContactRole.BILLING.value,
}
_TRUE = {"true", "yes", "y", "1", "x", "✓", "✔", "ja", "oui", "si", "sí"}
_FALSE = {"false", "no", "n", "0", "", "-", "nein", "non"}


class CellError(ValueError):
    """One cell cannot be read; the message names the value."""


def text(cell: Cell) -> str:
    """The cell as trimmed text (a number from a spreadsheet loses a useless ``.0``)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, date):
        return cell.isoformat()
    return unescape_cell(" ".join(str(cell).split()))


def money(cell: Cell, currency: str) -> tuple[int, str] | None:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if cell < 0:
            raise CellError(f"{cell} is negative; ARR cannot be")
        return round(cell * (1 if currency in {"JPY", "KRW"} else 100)), currency
    raw = text(cell)
    if not raw:
        return None
    try:
        return parse_money(raw, currency)
    except MoneyError as exc:
        raise CellError(str(exc)) from None


def a_date(cell: Cell, order: DateOrder | None) -> date | None:
    try:
        return parse_date(cell if not isinstance(cell, str) else text(cell), order)
    except ValueError as exc:
        raise CellError(str(exc)) from None


def integer(cell: Cell) -> int | None:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if float(cell).is_integer():
            return int(cell)
        raise CellError(f"{cell} is not a whole number")
    raw = text(cell).replace("\u00a0", "").replace(" ", "")
    if not raw:
        return None
    sign = -1 if raw.startswith("-") and raw[1:].strip() else 1
    raw = raw[1:] if sign < 0 else raw
    if raw.endswith(".0"):
        raw = raw[:-2]
    if re.fullmatch(r"\d{1,3}([.,']\d{3})+", raw):  # 1,200 or 1.200 or 1'200
        raw = re.sub(r"[.,']", "", raw)
    if not raw.isdigit():
        raise CellError(f"'{text(cell)}' is not a whole number")
    return sign * int(raw)


def number(cell: Cell) -> float | None:
    """A measurement such as ``55``, ``55.5``, ``55,5`` or ``55%``."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    raw = text(cell).replace("%", "").replace("\u00a0", "").replace(" ", "")
    if not raw:
        return None
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        return float(raw)
    except ValueError:
        raise CellError(f"'{text(cell)}' is not a number") from None


def boolean(cell: Cell) -> bool | None:
    raw = text(cell).casefold()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return None if raw == "" else False
    raise CellError(f"'{text(cell)}' is not yes or no")


def segment(cell: Cell) -> str | None:
    raw = text(cell).casefold()
    if not raw:
        return None
    found = SEGMENT_WORDS.get(raw)
    if found is None:
        raise CellError(f"'{text(cell)}' is not a segment (SMB, Mid-Market or Enterprise)")
    return found


def lifecycle(cell: Cell) -> str | None:
    raw = text(cell).casefold()
    if not raw:
        return None
    found = LIFECYCLE_WORDS.get(raw)
    if found is None:
        raise CellError(
            f"'{text(cell)}' is not a lifecycle stage "
            "(onboarding, adopting, mature, renewing or churned)"
        )
    return found


def roles(cell: Cell) -> tuple[str, ...]:
    raw = text(cell)
    found: list[str] = []
    for part in re.split(r"[,;/|]", raw):
        word = " ".join(part.replace("_", " ").split()).casefold()
        if not word:
            continue
        role = _ROLE_WORDS.get(word)
        if role is None:
            raise CellError(f"'{part.strip()}' is not a contact role")
        found.append(role)
    return tuple(dict.fromkeys(found))


def industry(cell: Cell) -> str | None:
    """HubSpot writes ``COMPUTER_SOFTWARE``; people want "Computer Software"."""
    raw = text(cell)
    if raw and raw.upper() == raw and ("_" in raw or len(raw) > 3) and raw.isascii():
        words = raw.lower().split("_")
        small = {"and", "or", "of", "the"}
        raw = " ".join(w if w in small else w.capitalize() for w in words if w)
    return raw[:100] or None


def domain(cell: Cell) -> str | None:
    return normalize_domain(text(cell))


def tags(cell: Cell) -> tuple[str, ...]:
    return normalize_tags(text(cell).replace(";", ","))


def identifier(cell: Cell) -> str | None:
    raw = text(cell)
    return raw[:100] or None
