"""Per-provider sync state in ``syncstate``: connected, watermarks, mapping; and the run log."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from csmdesk.models import SyncConflict, SyncOutbox, SyncRun, SyncState, utcnow
from csmdesk.store import Database


def get(s: Session, provider: str, name: str) -> str | None:
    row = s.get(SyncState, (provider, name))
    return row.value if row is not None else None


def put(s: Session, provider: str, name: str, value: str) -> None:
    row = s.get(SyncState, (provider, name))
    if row is None:
        s.add(SyncState(provider=provider, name=name, value=value))
    else:
        row.value = value
        row.updated_at = utcnow()
        s.add(row)


def set_connected(db: Database, provider: str, connected: bool, url: str | None = None) -> None:
    """Connected: local changes to its records start queueing in the outbox."""
    with db.session() as s:
        put(s, provider, "connected", "1" if connected else "0")
        if url is not None:
            put(s, provider, "url", url)


@dataclass
class RunLog:
    """What one run did, written to ``syncrun`` when it ends."""

    provider: str
    full: bool
    dry_run: bool
    pulled: int = 0
    pushed: int = 0
    conflicts: int = 0
    failed: int = 0
    requests: int = 0
    lines: list[str] = field(default_factory=list)
    run_id: int | None = None

    def say(self, line: str) -> None:
        self.lines.append(line)


def start_run(db: Database, log: RunLog) -> None:
    with db.session() as s:
        run = SyncRun(provider=log.provider, full=log.full, dry_run=log.dry_run)
        s.add(run)
        s.flush()
        log.run_id = run.id


def finish_run(db: Database, log: RunLog, status: str, message: str) -> None:
    with db.session() as s:
        run = s.get(SyncRun, log.run_id) if log.run_id is not None else None
        if run is None:
            return
        run.finished_at = utcnow()
        run.status = status
        run.message = message
        for name in ("pulled", "pushed", "conflicts", "failed", "requests"):
            setattr(run, name, getattr(log, name))
        run.details = json.dumps(log.lines[-500:])
        s.add(run)


@dataclass(frozen=True)
class ProviderStatus:
    provider: str
    connected: bool
    pending: int
    conflicts: int
    last_run: dict[str, Any] | None
    last_success: datetime | None


def status(db: Database, provider: str) -> ProviderStatus:
    with db.session() as s:
        connected = get(s, provider, "connected") == "1"
        pending = s.scalar(
            select(func.count()).select_from(SyncOutbox).where(col(SyncOutbox.provider) == provider)
        )
        conflicts = s.scalar(
            select(func.count())
            .select_from(SyncConflict)
            .where(col(SyncConflict.provider) == provider, col(SyncConflict.resolved_at).is_(None))
        )
        last = s.scalars(
            select(SyncRun)
            .where(col(SyncRun.provider) == provider)
            .order_by(col(SyncRun.id).desc())
            .limit(1)
        ).first()
        success = s.execute(
            text(
                "SELECT MAX(finished_at) FROM syncrun WHERE provider = :p"
                " AND status IN ('ok', 'conflicts') AND dry_run = 0"
            ),
            {"p": provider},
        ).scalar()
    last_run = None
    if last is not None:
        last_run = {
            "started_at": last.started_at.isoformat(),
            "finished_at": last.finished_at.isoformat() if last.finished_at else None,
            "status": last.status,
            "pulled": last.pulled,
            "pushed": last.pushed,
            "conflicts": last.conflicts,
            "failed": last.failed,
            "message": last.message,
        }
    when = datetime.fromisoformat(success) if isinstance(success, str) else success
    return ProviderStatus(
        provider, connected, int(pending or 0), int(conflicts or 0), last_run, when
    )


def read(db: Database, provider: str, name: str) -> str | None:
    """One value of a provider's sync state (its own unit of work)."""
    with db.session() as s:
        return get(s, provider, name)


def write(db: Database, provider: str, name: str, value: str) -> None:
    with db.session() as s:
        put(s, provider, name, value)


def recent_runs(db: Database, limit: int = 50) -> list[SyncRun]:
    """The latest runs of every provider, newest first (for the Sync panel)."""
    with db.session() as s:
        return list(s.scalars(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(limit)))


def record_url(db: Database, entity: str, entity_id: int) -> str | None:
    """The HubSpot page of a linked account or contact, once the portal is known."""
    from csmdesk.models import ExternalRef

    with db.session() as s:
        portal = get(s, "hubspot", "portal")
        remote = s.scalars(
            select(col(ExternalRef.external_id)).where(
                col(ExternalRef.provider) == "hubspot",
                col(ExternalRef.entity) == entity,
                col(ExternalRef.entity_id) == entity_id,
            )
        ).first()
    if not remote or not portal:
        return None
    kind = {"account": "company", "contact": "contact"}.get(entity, entity)
    return f"https://app.hubspot.com/contacts/{portal}/{kind}/{remote}"
