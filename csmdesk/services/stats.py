"""What is in a book, counted: for ``csmdesk stats`` and the status bar."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select, text
from sqlmodel import col

from csmdesk.models import (
    Account,
    ActionItem,
    ArrEvent,
    Contact,
    HealthReading,
    Milestone,
    Note,
    Opportunity,
    Risk,
    Touchpoint,
)
from csmdesk.store import Database
from csmdesk.store.migrate import HEAD


@dataclass(frozen=True)
class BookStats:
    path: str
    schema: str
    size_bytes: int
    accounts: int
    archived_accounts: int
    contacts: int
    milestones: int
    touchpoints: int
    notes: int
    action_items: int
    health_readings: int
    open_risks: int
    opportunities: int
    arr_events: int
    arr_by_currency: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _count(conn: object, table: type, *where: object) -> int:
    query = select(func.count()).select_from(table)  # type: ignore[arg-type]
    if where:
        query = query.where(*where)  # type: ignore[arg-type]
    return int(conn.execute(query).scalar_one())  # type: ignore[attr-defined]


def book_stats(db: Database) -> BookStats:
    """Counts of every kind of record; ARR sums active accounts per currency (never mixed)."""
    active = col(Account.archived_at).is_(None)
    with db.engine.connect() as conn:
        arr_rows = conn.execute(
            select(col(Account.currency), func.sum(col(Account.arr_minor)))
            .where(active)
            .group_by(Account.currency)
            .order_by(Account.currency)
        ).all()
        page_size = conn.execute(text("PRAGMA page_size")).scalar_one()
        page_count = conn.execute(text("PRAGMA page_count")).scalar_one()
        return BookStats(
            path=str(db.path),
            schema=HEAD,
            size_bytes=int(page_size) * int(page_count),
            accounts=_count(conn, Account, active),
            archived_accounts=_count(conn, Account, col(Account.archived_at).is_not(None)),
            contacts=_count(conn, Contact),
            milestones=_count(conn, Milestone),
            touchpoints=_count(conn, Touchpoint),
            notes=_count(conn, Note, col(Note.archived_at).is_(None)),
            action_items=_count(conn, ActionItem),
            health_readings=_count(conn, HealthReading),
            open_risks=_count(conn, Risk, col(Risk.status) != "resolved"),
            opportunities=_count(conn, Opportunity),
            arr_events=_count(conn, ArrEvent),
            arr_by_currency={str(cur): int(total or 0) for cur, total in arr_rows},
        )
