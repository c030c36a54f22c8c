"""Conflicts the CSM resolves: keep ours, take the CRM's, or type a third value.

Whichever way, the CRM's value becomes the common ancestor of the field, so the next pull
does not raise the same conflict again; keeping ours (or typing one) queues the field for the
next push.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from csmdesk.models import Account, Contact, ExternalRef, SyncConflict, utcnow
from csmdesk.services.accounts import NotFoundError
from csmdesk.services.sync import mapping as m
from csmdesk.services.sync.outbox import APPLYING, enqueue
from csmdesk.store import Database

LOCAL, REMOTE, EDITED = "local", "remote", "edited"


@dataclass(frozen=True)
class ConflictRow:
    id: int
    provider: str
    entity: str
    entity_id: int
    record: str  # the account's or contact's name
    field: str
    label: str
    local_value: str | None
    remote_value: str | None
    remote_changed_at: datetime | None
    detected_at: datetime


def open_conflicts(db: Database, provider: str | None = None) -> list[ConflictRow]:
    with db.session() as s:
        query = select(SyncConflict).where(col(SyncConflict.resolved_at).is_(None))
        if provider:
            query = query.where(col(SyncConflict.provider) == provider)
        rows = s.scalars(query.order_by(col(SyncConflict.detected_at))).all()
        out = []
        for c in rows:
            obj: Any = s.get(Account if c.entity == "account" else Contact, c.entity_id)
            field = m.FIELDS.get(c.field)
            out.append(
                ConflictRow(
                    c.id or 0,
                    c.provider,
                    c.entity,
                    c.entity_id,
                    obj.name if obj is not None else f"{c.entity} {c.entity_id}",
                    c.field,
                    field.label if field else c.field,
                    c.local_value,
                    c.remote_value,
                    c.remote_changed_at,
                    c.detected_at,
                )
            )
        return out


def resolve(db: Database, conflict_id: int, how: str, value: str | None = None) -> None:
    """``how``: ``local`` (keep ours), ``remote`` (take the CRM's) or ``edited`` (``value``,
    in the CRM's text form, e.g. ``125000`` or ``2027-03-31``)."""
    from csmdesk.services.sync.hubspot_sync import _set_local

    if how not in (LOCAL, REMOTE, EDITED):
        raise ValueError(f"resolve how: {how!r}")
    with db.session() as s:
        conflict = s.get(SyncConflict, conflict_id)
        if conflict is None or conflict.resolved_at is not None:
            raise NotFoundError(f"conflict {conflict_id} is not open")
        model = Account if conflict.entity == "account" else Contact
        obj: Any = s.get(model, conflict.entity_id)
        if obj is None:
            raise NotFoundError(f"{conflict.entity} {conflict.entity_id} no longer exists")
        kind = m.FIELDS[conflict.field].kind
        currency = getattr(obj, "currency", None) or "USD"
        if how == REMOTE:
            s.info[APPLYING] = True  # the CRM's value: nothing to send back
            _set_local(
                conflict.entity,
                obj,
                conflict.field,
                m.from_crm(kind, conflict.remote_value, currency),
            )
        elif how == EDITED:
            _set_local(conflict.entity, obj, conflict.field, m.from_crm(kind, value, currency))
        s.add(obj)
        ref = s.scalars(
            select(ExternalRef).where(
                col(ExternalRef.provider) == conflict.provider,
                col(ExternalRef.entity) == conflict.entity,
                col(ExternalRef.entity_id) == conflict.entity_id,
            )
        ).first()
        if ref is not None:
            base = json.loads(ref.synced or "{}")
            base[conflict.field] = conflict.remote_value
            ref.synced = json.dumps(base, sort_keys=True)
            s.add(ref)
        conflict.resolved_at = utcnow()
        conflict.resolution = how
        s.add(conflict)
        s.flush()
        if how != REMOTE:  # ours (or the typed value) goes to the CRM with the next push
            enqueue(s.connection(), conflict.provider, conflict.entity, conflict.entity_id,
                    [conflict.field.split(".", 1)[1]])  # fmt: skip
