"""The offline outbox: every local change to a record a CRM should hear about, queued in the
transaction of the change itself.

A session listener (``before_flush``) looks at what the flush writes: accounts and contacts
linked to a connected CRM (or new contacts of a linked account), and the notes and touchpoints
of linked accounts. Each becomes one outbox row per record and provider, its changed fields
collapsed into one list, so a note saved a hundred times while typing is pushed once. Because
the row is written by the same flush as the change, a crash can lose neither without the
other. What the sync itself writes (applying a pull) is marked ``session.info[APPLYING]`` and
never queued back.

Connected providers are read from ``syncstate`` (``connected`` = "1") within the flush: one
primary-key lookup, only when the flush holds one of those records.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlmodel import Session, col

from csmdesk.models import Account, Contact, ExternalRef, Note, SyncOutbox, Touchpoint, utcnow

log = logging.getLogger(__name__)

APPLYING = "csmdesk.sync.applying"  # session.info key: the sync is writing, queue nothing
PROVIDERS = ("hubspot", "salesforce")
ENTITY: dict[type, str] = {
    Account: "account",
    Contact: "contact",
    Note: "note",
    Touchpoint: "touchpoint",
}
# The local fields a CRM can hear about (others, such as health, stay here).
PUSHED_FIELDS = {
    "account": ("name", "domain", "industry", "arr_minor", "renewal_date", "contract_start",
                "licensed_seats", "archived_at"),
    "contact": ("name", "email", "title", "phone", "account_id", "left_on"),
    "note": ("title", "body", "archived_at"),
    "touchpoint": ("kind", "occurred_at", "summary", "duration_minutes"),
}  # fmt: skip


def connected_providers(conn: Any) -> list[str]:
    rows = conn.execute(
        text("SELECT provider FROM syncstate WHERE name = 'connected' AND value = '1'")
    )
    return [r[0] for r in rows if r[0] in PROVIDERS]


def _changed_fields(obj: Any, entity: str, new: bool) -> list[str]:
    fields = PUSHED_FIELDS[entity]
    if new:
        return list(fields)
    state = inspect(obj)
    return [f for f in fields if state.attrs[f].history.has_changes()]


def _linked(conn: Any, provider: str, entity: str, ids: Iterable[int | None]) -> set[int]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return set()
    rows = conn.execute(
        select(col(ExternalRef.entity_id)).where(
            col(ExternalRef.provider) == provider,
            col(ExternalRef.entity) == entity,
            col(ExternalRef.entity_id).in_(wanted),
        )
    )
    return {r[0] for r in rows}


@event.listens_for(Session, "before_flush")
def _queue_changes(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(APPLYING):
        return
    touched: list[tuple[Any, str, bool]] = []
    for obj in session.new:
        entity = ENTITY.get(type(obj))
        if entity is not None:
            touched.append((obj, entity, True))
    for obj in session.dirty:
        entity = ENTITY.get(type(obj))
        if entity is not None and session.is_modified(obj, include_collections=False):
            touched.append((obj, entity, False))
    if not touched:
        return
    with session.no_autoflush:
        providers = connected_providers(session.connection())
    if not providers:
        return
    # New rows get their ids from this flush: queue them just after it.
    pending = [(o, e, f) for o, e, n in touched if (f := _changed_fields(o, e, n))]
    if pending:
        session.info.setdefault("csmdesk.sync.pending", []).extend(pending)


@event.listens_for(Session, "after_flush")
def _write_queue(session: Session, _context: Any) -> None:
    pending: list[tuple[Any, str, list[str]]] = session.info.pop("csmdesk.sync.pending", [])
    if not pending:
        return
    conn = session.connection()
    for provider in connected_providers(conn):
        accounts = {o.id for o, e, _ in pending if e == "account"}
        parents = {o.account_id for o, e, _ in pending if e != "account"}
        linked_accounts = _linked(conn, provider, "account", accounts | parents)
        linked_contacts = _linked(
            conn, provider, "contact", [o.id for o, e, _ in pending if e == "contact"]
        )
        for obj, entity, fields in pending:
            if entity == "account":
                wanted = obj.id in linked_accounts
            elif entity == "contact":
                wanted = obj.id in linked_contacts or obj.account_id in linked_accounts
            else:  # notes and touchpoints of linked accounts
                wanted = obj.account_id in linked_accounts
            if wanted and obj.id is not None:
                enqueue(conn, provider, entity, obj.id, fields)


def enqueue(conn: Any, provider: str, entity: str, entity_id: int, fields: list[str]) -> None:
    """Add (or widen) the record's outbox row; an archive stays an archive."""
    row = conn.execute(
        select(col(SyncOutbox.id), col(SyncOutbox.fields)).where(
            col(SyncOutbox.provider) == provider,
            col(SyncOutbox.entity) == entity,
            col(SyncOutbox.entity_id) == entity_id,
        )
    ).first()
    if row is None:
        conn.execute(
            SyncOutbox.__table__.insert().values(  # type: ignore[attr-defined]
                provider=provider,
                entity=entity,
                entity_id=entity_id,
                op="upsert",
                fields=json.dumps(sorted(set(fields))),
                queued_at=utcnow(),
                attempts=0,
            )
        )
        return
    merged = sorted(set(json.loads(row[1] or "[]")) | set(fields))
    conn.execute(
        SyncOutbox.__table__.update()  # type: ignore[attr-defined]
        .where(SyncOutbox.__table__.c.id == row[0])  # type: ignore[attr-defined]
        .values(fields=json.dumps(merged), next_try_at=None)
    )


def pending_count(conn: Any, provider: str | None = None) -> int:
    query = "SELECT COUNT(*) FROM syncoutbox"
    if provider is None:
        return int(conn.execute(text(query)).scalar() or 0)
    return int(conn.execute(text(query + " WHERE provider = :p"), {"p": provider}).scalar() or 0)
