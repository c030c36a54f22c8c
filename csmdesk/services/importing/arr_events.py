"""Planning rows of ARR history: a finance or billing export of new business, expansions, churn.

A row names its account, a date, a movement type and either the ARR after the movement or
the amount it moved by (whose direction comes from the type, so ``5,000`` and ``-5,000`` on
a contraction mean the same). Rows may come in any order: each account's rows are sorted by
date, then line, and each movement is checked against the account's ARR just before it —
which counts the events already in the book and the file's earlier rows. The placeholder
event made when an account was created with an ARR (``implicit``) is replaced by the
imported history, so it counts for nothing here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from csmdesk.domain.money import MoneyError, format_money, parse_money
from csmdesk.models import ArrEvent, ArrEventKind
from csmdesk.services.importing.book import Book
from csmdesk.services.importing.convert import CellError, text
from csmdesk.services.importing.mapping import norm
from csmdesk.services.importing.outcomes import Action, RowOutcome
from csmdesk.services.importing.reader import Cell
from csmdesk.services.importing.readings import resolve_account
from csmdesk.store import Database

__all__ = ["ISO_4217", "KnownEvent", "load_events", "movement", "plan_arr_events"]

_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
    MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
    TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())

_K = ArrEventKind
_WORDS: dict[ArrEventKind, tuple[str, ...]] = {
    _K.NEW: ("new", "new business", "new logo", "new customer", "new booking", "new sale",
             "newbiz", "new arr", "initial", "land", "first purchase", "acquisition"),
    _K.EXPANSION: ("expansion", "expand", "expanded", "upsell", "up-sell", "upgrade",
                   "upgraded", "cross-sell", "crosssell", "add-on", "seat expansion",
                   "price increase", "uplift", "increase", "growth"),
    _K.CONTRACTION: ("contraction", "contract", "downgrade", "downgraded", "downsell",
                     "down-sell", "reduction", "decrease", "partial churn", "seat reduction"),
    _K.CHURN: ("churn", "churned", "cancellation", "cancelled", "canceled", "cancel", "lost",
               "closed lost", "termination", "terminated", "non-renewal", "full churn",
               "lost customer"),
    _K.RENEWAL: ("renewal", "renew", "renewed", "flat renewal", "flat"),
    _K.REACTIVATION: ("reactivation", "reactivated", "reactivate", "win-back", "winback",
                      "won back", "returning", "resurrection", "restart"),
}  # fmt: skip
MOVEMENT_WORDS = {norm(word): kind.value for kind, words in _WORDS.items() for word in words}
_ADDS = {_K.NEW.value, _K.EXPANSION.value, _K.REACTIVATION.value}
_NAMES = {
    _K.NEW.value: "new business",
    _K.EXPANSION.value: "an expansion",
    _K.CONTRACTION.value: "a contraction",
    _K.CHURN.value: "a churn",
    _K.RENEWAL.value: "a renewal",
    _K.REACTIVATION.value: "a reactivation",
}
# A bare "$" or "¥" says little: a CAD account's export writes "$" too.
_SHARED_SYMBOLS = {
    "$": {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"},
    "¥": {"JPY", "CNY"},
}
_CODE = re.compile(r"\b([A-Za-z]{3})\b")


def movement(cell: Cell) -> str | None:
    """The ArrEventKind a cell names ("Upsell" → expansion), or a CellError saying why not."""
    raw = text(cell)
    if not raw:
        return None
    found = MOVEMENT_WORDS.get(norm(raw))
    if found is None:
        raise CellError(
            f"'{raw}' is not an ARR movement "
            "(new, expansion, contraction, churn, renewal or reactivation)"
        )
    return found


@dataclass(frozen=True)
class KnownEvent:
    event_id: int
    on: date
    kind: str
    after: int


def load_events(db: Database, account_ids: set[int]) -> dict[int, list[KnownEvent]]:
    """The recorded (not implicit) events of these accounts, by date then id."""
    found: dict[int, list[KnownEvent]] = {}
    ids = sorted(account_ids)
    columns = [
        col(ArrEvent.id),
        col(ArrEvent.account_id),
        col(ArrEvent.on),
        col(ArrEvent.kind),
        col(ArrEvent.arr_after_minor),
    ]
    with db.engine.connect() as conn:
        for at in range(0, len(ids), 500):
            rows: Any = conn.execute(
                select(*columns)
                .where(col(ArrEvent.account_id).in_(ids[at : at + 500]), ~col(ArrEvent.implicit))
                .order_by(col(ArrEvent.on), col(ArrEvent.id))
            )
            for event_id, account_id, on, kind, after in rows:
                found.setdefault(account_id, []).append(KnownEvent(event_id, on, kind, after))
    return found


@dataclass
class _Row:
    line: int
    values: dict[str, Any]
    label: str
    account_id: int | None = None
    currency: str = "USD"
    on: date | None = None
    kind: str = ""
    after: int | None = None  # the ARR after, as the file says
    amount: int | None = None  # the size of the movement, as the file says
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skip: str = ""
    before: int = 0
    planned: int = 0  # the ARR after, as written


def _money(raw: str, account_currency: str) -> tuple[int, bool, str | None]:
    """(minor units, whether written negative, the currency the cell names if any)."""
    body = raw.strip().replace("\u2212", "-")
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    if body.count("-") == 1 and (re.search(r"(^|\D)-\s*\d", body) or body.endswith("-")):
        negative, body = True, body.replace("-", "", 1).strip()
    named: str | None = None
    for match in _CODE.finditer(body):
        code = match.group(1).upper()
        if code in ISO_4217:
            named = code
            body = (body[: match.start()] + body[match.end() :]).strip()
            break
    if named is None:
        for symbol, sharing in _SHARED_SYMBOLS.items():
            if symbol in body and account_currency in sharing and not re.search(r"[A-Z]\$", body):
                named, body = account_currency, body.replace(symbol, "").strip()
                break
    try:
        minor, found = parse_money(body, named or account_currency)
    except MoneyError as exc:
        raise CellError(str(exc)) from None
    return minor, negative, named or (found if found != account_currency else None)


def _read_row(book: Book, line: int, values: dict[str, Any]) -> _Row:
    written = str(values.get("account", "")).strip()
    account_id = resolve_account(book, written)
    row = _Row(line, values, written or f"line {line}", account_id)
    if account_id is None:
        row.errors.append(f"no account '{written}' in the book" if written else "no account")
        return row
    account = book.accounts[account_id]
    row.label, row.currency = account.name, account.currency
    on, kind = values.get("date"), values.get("type")
    if not isinstance(on, date):
        row.errors.append("no date")
    else:
        row.on = on
    if not kind:
        row.errors.append("no type (new, expansion, contraction, churn, renewal or reactivation)")
    else:
        row.kind = str(kind)
    currencies: dict[str, str] = {}
    column = str(values.get("currency") or "").upper()
    if column:
        if column not in ISO_4217:
            row.errors.append(f"'{column}' is not a known currency code (ISO 4217, e.g. USD)")
        else:
            currencies["the currency column"] = column
    for key, name in (("arr_after", "ARR after"), ("amount", "Amount")):
        raw = values.get(key)
        if not raw:
            continue
        try:
            minor, negative, named = _money(str(raw), account.currency)
        except CellError as exc:
            row.errors.append(f"{name}: {exc}")
            continue
        if named:
            currencies[name] = named
        if key == "arr_after":
            if negative:
                row.errors.append(f"ARR after cannot be negative ({raw})")
            row.after = minor
        elif negative and row.kind in _ADDS:
            row.errors.append(f"the amount {raw} is negative, but {_NAMES[row.kind]} adds ARR")
        else:
            row.amount = minor
    settled = row.kind in (_K.CHURN.value, _K.RENEWAL.value)  # to 0, or flat: no figure needed
    if (
        row.after is None
        and row.amount is None
        and not settled
        and not any(e.startswith(("ARR after", "Amount", "the amount")) for e in row.errors)
    ):
        row.errors.append("neither an ARR after nor an amount of change")
    codes = sorted(set(currencies.values()))
    if len(codes) > 1:
        said = ", ".join(f"{where} says {code}" for where, code in currencies.items())
        row.errors.append(f"the currencies disagree: {said}")
    elif codes and codes[0] != account.currency:
        row.errors.append(
            f"account {account.name} is in {account.currency}; this row is in {codes[0]}"
        )
    return row


def _after(row: _Row, before: int) -> int:
    if row.after is not None:
        return row.after
    amount = row.amount or 0
    if row.kind == _K.CHURN.value:
        return 0
    if row.kind == _K.RENEWAL.value:
        return before
    return before - amount if row.kind == _K.CONTRACTION.value else before + amount


def _check(row: _Row, before: int, after: int) -> None:
    def show(minor: int) -> str:
        return format_money(minor, row.currency)

    kind = row.kind
    if after < 0:
        if row.after is None:
            row.errors.append(
                f"{_NAMES[kind]} of {show(row.amount or 0)} would take ARR below 0 "
                f"(it was {show(before)})"
            )
        return
    if kind == _K.CHURN.value and after > 0:
        row.errors.append(f"a churn leaves ARR at 0, but this row says {show(after)}")
    elif kind == _K.REACTIVATION.value and before != 0:
        row.errors.append(f"a reactivation needs ARR 0 before it, but it was {show(before)}")
    elif kind == _K.EXPANSION.value and after <= before:
        row.errors.append(
            f"an expansion must raise ARR, but {show(before)} → {show(after)} does not"
        )
    elif kind == _K.CONTRACTION.value and after >= before:
        row.errors.append(
            f"a contraction must lower ARR, but {show(before)} → {show(after)} does not"
        )
    elif kind == _K.RENEWAL.value and after != before:
        row.warnings.append(
            f"a renewal that changes ARR ({show(before)} → {show(after)}) is counted as a change"
        )
    if row.after is not None and row.amount is not None and kind not in (_K.CHURN, _K.RENEWAL):
        implied = before - row.amount if kind == _K.CONTRACTION.value else before + row.amount
        if implied != row.after:
            row.warnings.append(
                f"the amount {show(row.amount)} does not match {show(before)} → "
                f"{show(row.after)}; the ARR after is used"
            )


def _claim(rows: list[_Row], known: list[KnownEvent]) -> set[int]:
    """Rows that are events already in the book (a re-import): skipped, their events kept."""
    before_of: dict[int, int] = {}
    by_day: dict[tuple[date, str], list[KnownEvent]] = {}
    arr = 0
    for event in known:
        before_of[event.event_id] = arr
        arr = event.after
        by_day.setdefault((event.on, event.kind), []).append(event)
    claimed: set[int] = set()
    for row in rows:
        for event in by_day.get((row.on or date.min, row.kind), ()):
            if event.event_id in claimed:
                continue
            if event.after == _after(row, before_of[event.event_id]):
                claimed.add(event.event_id)
                row.skip = "already in the book"
                break
    return claimed


def _plan_account(rows: list[_Row], known: list[KnownEvent]) -> None:
    rows.sort(key=lambda r: (r.on or date.min, r.line))
    claimed = _claim(rows, known)
    timeline: list[tuple[date, int, int, KnownEvent | _Row]] = [
        (e.on, 0, e.event_id, e) for e in known
    ]
    timeline += [(r.on or date.min, 1, r.line, r) for r in rows if not r.skip]
    timeline.sort(key=lambda item: item[:3])
    arr, last_day_event, previous = 0, None, None
    written: dict[tuple[object, ...], int] = {}
    for on, _, _, item in timeline:
        if isinstance(item, KnownEvent):
            arr = item.after
            last_day_event = item if item.event_id not in claimed else None
            continue
        row = item
        after = _after(row, arr)
        key = (row.on, row.kind, after)
        if key in written:
            row.skip = f"same event as line {written[key]}"
            continue
        _check(row, arr, after)
        if previous is not None and previous.on == on:
            row.warnings.append(f"same date as line {previous.line}; the later line wins")
        elif last_day_event is not None and last_day_event.on == on:
            row.warnings.append(
                f"the book already has {_NAMES[last_day_event.kind]} on {on.isoformat()} "
                f"(to {format_money(last_day_event.after, row.currency)}); this line wins"
            )
        row.before, row.planned = arr, after
        written[key] = row.line
        previous = row
        if after >= 0:
            arr = after


def plan_arr_events(
    db: Database, book: Book, rows: list[tuple[int, dict[str, Any]]]
) -> list[RowOutcome]:
    """An outcome for each (line, values) of an ARR history file, in the order given."""
    read = [_read_row(book, line, values) for line, values in rows]
    by_account: dict[int, list[_Row]] = {}
    for row in read:
        if row.account_id is not None and not row.errors:
            by_account.setdefault(row.account_id, []).append(row)
    known = load_events(db, set(by_account))
    for account_id, account_rows in by_account.items():
        _plan_account(account_rows, known.get(account_id, []))
    return [_outcome(row) for row in read]


def _outcome(row: _Row) -> RowOutcome:
    if row.errors:
        return RowOutcome(row.line, Action.ERROR, row.label, row.errors, values=row.values)
    if row.skip:
        return RowOutcome(row.line, Action.SKIP, row.label, [row.skip], warnings=row.warnings)
    assert row.on is not None and row.account_id is not None
    change = (
        f"{row.kind.capitalize()} on {row.on.isoformat()}: "
        f"{format_money(row.before, row.currency)} → {format_money(row.planned, row.currency)}"
    )
    write = {
        "account_id": row.account_id,
        "on": row.on,
        "kind": row.kind,
        "arr_after_minor": row.planned,
        "currency": row.currency,
        "comment": str(row.values.get("comment") or ""),
    }
    return RowOutcome(
        row.line,
        Action.CREATE,
        row.label,
        changes=[change],
        warnings=row.warnings,
        target_id=row.account_id,
        values=write,
    )
