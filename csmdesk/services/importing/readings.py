"""Planning rows of health readings: product-analytics and support exports, one row per day.

Each row names its account (CRM id, CSM Desk id, domain or exact name, in that order) and a
date; the metrics in it are checked like the reading form checks them. A reading that already
exists for that account and day is updated, never duplicated.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from csmdesk.domain.accounts import normalize_domain
from csmdesk.domain.readings import METRIC_LABELS, METRICS, check_reading, reading_warnings
from csmdesk.models import Account, HealthReading
from csmdesk.services.importing.book import Book, unique
from csmdesk.store import Database

Existing = dict[tuple[int, date], tuple[int, dict[str, Any]]]


def resolve_account(book: Book, text: str) -> int | None:
    """The account a cell names: a CRM or CSM Desk id, a domain, or the exact name."""
    value = text.strip()
    if not value:
        return None
    for provider in ("hubspot", "salesforce"):
        if found := book.refs.get((provider, "account", value)):
            return found
    if value in book.by_uid:
        return book.by_uid[value]
    domain = normalize_domain(value)
    if domain and "." in domain and (found := unique(book.by_domain.get(domain))):
        return found
    return unique(book.by_name.get(value.casefold()))


def load_existing(db: Database, dates: list[date]) -> Existing:
    """Readings already in the book over the file's date range."""
    if not dates:
        return {}
    columns = [col(HealthReading.id), col(HealthReading.account_id), col(HealthReading.on)]
    columns += [col(getattr(HealthReading, m)) for m in METRICS]
    found: Existing = {}
    with db.engine.connect() as conn:
        rows: Any = conn.execute(
            select(*columns).where(col(HealthReading.on).between(min(dates), max(dates)))
        )
        for reading_id, account_id, on, *metrics in rows:
            found[(account_id, on)] = (reading_id, dict(zip(METRICS, metrics, strict=True)))
    return found


def seats_of(db: Database) -> dict[int, int | None]:
    with db.engine.connect() as conn:
        rows: Any = conn.execute(select(col(Account.id), col(Account.licensed_seats)))
        return {account_id: seats for account_id, seats in rows}


def plan_reading(
    line: int,
    values: dict[str, Any],
    account_id: int | None,
    account_name: str,
    existing: Existing,
    seats: dict[int, int | None],
    today: date,
    seen: dict[tuple[object, ...], int],
) -> tuple[str, list[str], list[str], dict[str, Any]]:
    """(action, reasons or changes, warnings, values to write) for one row."""
    on = values.get("date")
    label_date = on.isoformat() if isinstance(on, date) else "?"
    if account_id is None:
        return "error", [f"no account '{values.get('account', '')}' in the book"], [], {}
    if not isinstance(on, date):
        return "error", ["no date"], [], {}
    metrics = {m: values[m] for m in METRICS if m in values}
    problems = check_reading(metrics, on, today)
    if problems:
        return "error", list(problems.values()), [], {}
    if not metrics:
        return "skip", ["no metric values"], [], {}
    key: tuple[object, ...] = ("reading", account_id, on)
    if key in seen:
        return "skip", [f"same account and date as line {seen[key]}"], [], {}
    seen[key] = line
    known_seats = values.get("seats") or seats.get(account_id)
    warnings = reading_warnings(metrics, known_seats)
    write = {"account_id": account_id, "on": on, "metrics": metrics}
    if values.get("seats") and not seats.get(account_id):
        write["seats"] = values["seats"]
    before = existing.get((account_id, on))
    if before is None:
        return "create", [f"{account_name} on {label_date}"], warnings, write
    reading_id, old = before
    changes = [
        f"{METRIC_LABELS[m]}: {_show(old.get(m))} → {_show(v)}"
        for m, v in metrics.items()
        if old.get(m) != v
    ]
    if not changes:
        return "skip", ["nothing new"], warnings, {}
    write["reading_id"] = reading_id
    return "update", changes, warnings, write


def _show(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
