"""The tables of CSM Desk: the vocabulary every other layer speaks.

Conventions: integer primary keys (fast for the book table) plus a ``uid`` that
stays stable across export, import and sync; ``created_at``/``updated_at`` in
UTC; money in integer minor units with an ISO currency; dates as ``date``.
Enumerations are stored as their lowercase string values and validated in
``csmdesk.domain`` so that a database stays readable without the app.

The schema itself changes only through the Alembic migrations in
``csmdesk/store/migrations``; a test checks that these models and the
migrated schema agree.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uid() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, hands back aware UTC datetimes."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# --- enumerations -----------------------------------------------------------


class Segment(StrEnum):
    SMB = "smb"
    MID_MARKET = "mid_market"
    ENTERPRISE = "enterprise"


class Lifecycle(StrEnum):
    ONBOARDING = "onboarding"
    ADOPTING = "adopting"
    MATURE = "mature"
    RENEWING = "renewing"
    CHURNED = "churned"


class ContactRole(StrEnum):
    CHAMPION = "champion"
    EXECUTIVE_SPONSOR = "executive_sponsor"
    ADMIN = "admin"
    END_USER = "end_user"
    BILLING = "billing"


class TouchpointKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    QBR = "qbr"
    EBR = "ebr"
    TRAINING = "training"
    CHECK_IN = "check_in"


class NoteKind(StrEnum):
    GENERAL = "general"
    CALL = "call"
    DISCOVERY = "discovery"
    CHECK_IN = "check_in"
    ONBOARDING = "onboarding"
    QBR = "qbr"
    EBR = "ebr"
    RENEWAL = "renewal"
    INTERNAL = "internal"
    CRM = "crm"  # pulled from a CRM: read-only here


class MilestoneOwner(StrEnum):
    US = "us"
    CUSTOMER = "customer"


class RiskSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class RiskStatus(StrEnum):
    OPEN = "open"
    MITIGATING = "mitigating"
    RESOLVED = "resolved"


class OpportunityStage(StrEnum):
    IDENTIFIED = "identified"
    QUALIFIED = "qualified"
    PROPOSED = "proposed"
    WON = "won"
    LOST = "lost"


class ArrEventKind(StrEnum):
    NEW = "new"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"
    RENEWAL = "renewal"
    REACTIVATION = "reactivation"


# --- shared columns ---------------------------------------------------------


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _updated() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


def _uid() -> Any:
    return Field(default_factory=new_uid, max_length=32, unique=True, nullable=False)


def _account_fk() -> Any:
    return Field(foreign_key="account.id", index=True, nullable=False, ondelete="CASCADE")


# --- tables -----------------------------------------------------------------


class Meta(SQLModel, table=True):
    """Small key/value facts about the database itself (e.g. that it holds the demo book)."""

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="")


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    name: str = Field(index=True, max_length=200)
    domain: str | None = Field(default=None, index=True, max_length=253)
    segment: str = Field(default=Segment.SMB.value, max_length=20)
    industry: str | None = Field(default=None, max_length=100)
    arr_minor: int = Field(default=0)
    currency: str = Field(default="USD", max_length=3)
    contract_start: date | None = None
    renewal_date: date | None = Field(default=None, index=True)
    lifecycle: str = Field(default=Lifecycle.ONBOARDING.value, max_length=20)
    licensed_seats: int | None = None
    owner: str | None = Field(default=None, max_length=120)
    tags: str = Field(default="", max_length=500)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    payment_issue: bool = Field(default=False)
    # The CSM's own rhythm for this account; None: the defaults by segment and lifecycle.
    cadence_days: int | None = None
    review_kind: str | None = Field(default=None, max_length=3)  # "qbr" or "ebr"
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Contact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, index=True, max_length=254)
    title: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    roles: str = Field(default="", max_length=200)
    is_primary: bool = Field(default=False)
    left_on: date | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Milestone(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    plan: str | None = Field(default=None, max_length=120)
    title: str = Field(max_length=200)
    description: str = Field(default="")
    position: int = Field(default=0)
    owner_side: str = Field(default=MilestoneOwner.US.value, max_length=10)
    start_date: date | None = None
    due_date: date | None = Field(default=None, index=True)
    completed_on: date | None = None
    skipped_reason: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Touchpoint(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    kind: str = Field(default=TouchpointKind.CALL.value, max_length=20)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True, nullable=False)
    duration_minutes: int | None = None
    summary: str = Field(default="", max_length=500)
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class TouchpointAttendee(SQLModel, table=True):
    touchpoint_id: int = Field(foreign_key="touchpoint.id", primary_key=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")


class Note(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    touchpoint_id: int | None = Field(
        default=None, foreign_key="touchpoint.id", index=True, ondelete="SET NULL"
    )
    kind: str = Field(default=NoteKind.GENERAL.value, max_length=20)
    title: str = Field(default="", max_length=300)
    body: str = Field(default="")
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class NoteRevision(SQLModel, table=True):
    """An earlier state of a note, kept so the CSM can go back (the last few per note)."""

    id: int | None = Field(default=None, primary_key=True)
    note_id: int = Field(foreign_key="note.id", index=True, nullable=False, ondelete="CASCADE")
    title: str = Field(default="", max_length=300)
    body: str = Field(default="")
    saved_at: datetime = _created()


class ActionItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    note_id: int | None = Field(
        default=None, foreign_key="note.id", index=True, ondelete="SET NULL"
    )
    text: str = Field(max_length=500)
    owner: str | None = Field(default=None, max_length=120)
    due_date: date | None = Field(default=None, index=True)
    done_on: date | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class HealthReading(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("account_id", "on", name="uq_healthreading_account_on"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    on: date
    active_users: int | None = None
    logins: int | None = None
    feature_adoption_pct: float | None = None
    open_tickets: int | None = None
    escalations: int | None = None
    nps: int | None = None
    csat: float | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Risk(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    kind: str = Field(max_length=40)
    severity: str = Field(default=RiskSeverity.MEDIUM.value, max_length=10)
    status: str = Field(default=RiskStatus.OPEN.value, max_length=12, index=True)
    title: str = Field(max_length=300)
    detail: str = Field(default="")
    recovery_plan: str = Field(default="")
    escalated_to: str | None = Field(default=None, max_length=120)
    opened_on: date
    resolved_on: date | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Opportunity(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    title: str = Field(max_length=300)
    kind: str = Field(default="upsell", max_length=20)
    stage: str = Field(default=OpportunityStage.IDENTIFIED.value, max_length=12)
    amount_minor: int = Field(default=0)
    currency: str = Field(default="USD", max_length=3)
    close_date: date | None = None
    source: str = Field(default="local", max_length=20)
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class ArrEvent(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_arrevent_account_on", "account_id", "on", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    on: date = Field(index=True)
    kind: str = Field(max_length=20)
    arr_after_minor: int
    currency: str = Field(default="USD", max_length=3)
    implicit: bool = Field(default=False)
    comment: str = Field(default="")
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class ExternalRef(SQLModel, table=True):
    """One place for every link between a local record and a CRM record."""

    __table_args__ = (
        sa.UniqueConstraint("provider", "entity", "external_id", name="uq_externalref_remote"),
        sa.UniqueConstraint("provider", "entity", "entity_id", name="uq_externalref_local"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20)
    entity: str = Field(max_length=20)
    entity_id: int
    external_id: str = Field(max_length=100)
    remote_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The mapped fields as they stood after the last sync (JSON, CRM-side text): the common
    # ancestor that tells a change made here from one made in the CRM.
    synced: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class HealthScore(SQLModel, table=True):
    """The latest computed health of each account: a cache, rebuilt from readings and records.

    The book table reads it at start-up so the Health column is instant; a background recompute
    refreshes it whenever its inputs change. ``detail`` holds the components, movers and missing
    data as JSON.
    """

    account_id: int = Field(primary_key=True, foreign_key="account.id", ondelete="CASCADE")
    on: date
    value: int | None = None
    band: str | None = Field(default=None, max_length=10)
    effective_band: str | None = Field(default=None, max_length=10)
    trend: int | None = None
    explanation: str = Field(default="")
    detail: str = Field(default="{}")
    computed_at: datetime = _updated()


class HealthOverride(SQLModel, table=True):
    """A band set by hand, with the reason; it stops applying after ``expires_on``."""

    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    band: str = Field(max_length=10)
    reason: str = Field(max_length=500)
    set_on: date
    expires_on: date
    cleared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class RiskEvent(SQLModel, table=True):
    """One step in a risk's history: opened, refreshed, mitigating, resolved, reopened."""

    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(foreign_key="risk.id", index=True, nullable=False, ondelete="CASCADE")
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(max_length=12)
    severity: str = Field(max_length=10)
    note: str = Field(default="")


class RenewalStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMMITTED = "committed"
    AT_RISK = "at_risk"
    RENEWED = "renewed"
    CHURNED = "churned"


class Renewal(SQLModel, table=True):
    """One renewal of an account: its preparation checklist, status and outcome."""

    __table_args__ = (
        sa.UniqueConstraint("account_id", "renewal_date", name="uq_renewal_account_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    renewal_date: date
    status: str = Field(default=RenewalStatus.NOT_STARTED.value, max_length=12)
    checklist: str = Field(default="{}")  # JSON: item key -> ISO date it was done
    outcome: str | None = Field(default=None, max_length=12)  # flat/expansion/contraction/churn
    arr_event_id: int | None = Field(default=None, foreign_key="arrevent.id", ondelete="SET NULL")
    comment: str = Field(default="")
    closed_on: date | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class TodayState(SQLModel, table=True):
    """What the CSM did with a Today item: snoozed until a date, or marked done."""

    key: str = Field(primary_key=True, max_length=160)
    snoozed_until: date | None = None
    done_on: date | None = None
    updated_at: datetime = _updated()


class DismissedSignal(SQLModel, table=True):
    """An expansion or risk signal the CSM dismissed; it stays quiet until ``until``."""

    __table_args__ = (sa.UniqueConstraint("account_id", "kind", name="uq_dismissedsignal"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _account_fk()
    kind: str = Field(max_length=40)
    dismissed_on: date
    until: date
    severity: str = Field(default="", max_length=10, sa_column_kwargs={"server_default": ""})


class Review(SQLModel, table=True):
    """A QBR or EBR of an account for one period: its sections, prefilled then edited."""

    __table_args__ = (
        sa.UniqueConstraint("account_id", "kind", "period", name="uq_review_account_period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = _uid()
    account_id: int = _account_fk()
    kind: str = Field(default="qbr", max_length=3)  # "qbr" or "ebr"
    period: str = Field(max_length=20)  # e.g. "2026-Q4"
    held_on: date | None = None
    title: str = Field(default="", max_length=300)
    attendees: str = Field(default="")
    goals: str = Field(default="")
    value: str = Field(default="")
    usage: str = Field(default="")
    roadmap: str = Field(default="")
    risks: str = Field(default="")
    expansion: str = Field(default="")
    next_steps: str = Field(default="")
    touchpoint_id: int | None = Field(
        default=None, foreign_key="touchpoint.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = _created()
    updated_at: datetime = _updated()


# --- CRM sync ---------------------------------------------------------------


class SyncOutbox(SQLModel, table=True):
    """A local change waiting to reach a CRM: one row per record, the fields changed since it
    was last pushed collapsed into one list. Written in the transaction of the change."""

    __table_args__ = (
        sa.UniqueConstraint("provider", "entity", "entity_id", name="uq_syncoutbox_record"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20)
    entity: str = Field(max_length=20)  # account, contact, note, touchpoint
    entity_id: int
    op: str = Field(default="upsert", max_length=10)  # upsert or archive
    fields: str = Field(default="[]")  # JSON list of the local fields changed
    queued_at: datetime = _created()
    attempts: int = Field(default=0)
    last_error: str | None = None
    next_try_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SyncConflict(SQLModel, table=True):
    """A field changed both here and in the CRM since the last sync; neither value is lost."""

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20)
    entity: str = Field(max_length=20)
    entity_id: int = Field(index=True)
    field: str = Field(max_length=60)
    local_value: str | None = None
    remote_value: str | None = None
    remote_id: str = Field(max_length=100)
    remote_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    detected_at: datetime = _created()
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution: str | None = Field(default=None, max_length=10)  # local, remote or edited


class SyncRun(SQLModel, table=True):
    """One sync with a CRM: what came in, what went out, what failed and why."""

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20, index=True)
    started_at: datetime = _created()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="running", max_length=12)  # running, ok, conflicts, failed
    full: bool = Field(default=False)
    dry_run: bool = Field(default=False)
    pulled: int = Field(default=0)
    pushed: int = Field(default=0)
    conflicts: int = Field(default=0)
    failed: int = Field(default=0)
    requests: int = Field(default=0)
    message: str = Field(default="")
    details: str = Field(default="[]")  # JSON list of lines for the Sync panel


class SyncState(SQLModel, table=True):
    """Per-provider sync state: watermarks per object type, the field mapping, policies."""

    provider: str = Field(primary_key=True, max_length=20)
    name: str = Field(primary_key=True, max_length=60)
    value: str = Field(default="")
    updated_at: datetime = _updated()
