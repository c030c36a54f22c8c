"""The CSM Desk book file: which records and fields it holds, shared by export and import.

One JSON object, ``{"format": "csmdesk-book", "version": 1, ..., "accounts": [...], ...}``.
Every record carries its ``uid``; references name other records by uid
(``account_uid``, ``note_uid``, ...), never by database id, so a file can be read into
any book. A few sections hold records without a uid of their own (CRM links, the history
of each risk, muted signals); they are known by what they belong to. Money is integer
minor units next to its currency, dates are ``YYYY-MM-DD`` and timestamps ISO 8601 in
UTC with a ``Z``.

The version goes up only when an older CSM Desk could misread a newer file; a reader
refuses versions above its own. New sections are additive: a file without them (from an
older CSM Desk) still reads, and a reader ignores sections it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import sqlalchemy as sa

from csmdesk.domain.rhythm import REVIEW_KINDS
from csmdesk.models import (
    Account,
    ActionItem,
    ArrEvent,
    ArrEventKind,
    Contact,
    ContactRole,
    DismissedSignal,
    ExternalRef,
    HealthOverride,
    HealthReading,
    Lifecycle,
    Milestone,
    MilestoneOwner,
    Note,
    NoteKind,
    Opportunity,
    OpportunityStage,
    Renewal,
    RenewalStatus,
    Review,
    Risk,
    RiskEvent,
    RiskSeverity,
    RiskStatus,
    Segment,
    Touchpoint,
    TouchpointKind,
)

FORMAT = "csmdesk-book"
VERSION = 1
CURRENCY_NOTE = (
    "Money is in integer minor units of the record's ISO 4217 currency "
    "(cents for USD and EUR; JPY and KRW have no minor unit)."
)


class Kind(StrEnum):
    UID = "uid"
    TEXT = "text"  # a string, never null ("" when absent)
    TEXT_OR_NULL = "text?"
    INT = "int"
    INT_OR_NULL = "int?"
    FLOAT_OR_NULL = "float?"
    BOOL = "bool"
    DATE = "date"
    DATE_OR_NULL = "date?"
    DATETIME = "datetime"
    DATETIME_OR_NULL = "datetime?"
    STAMP = "stamp"  # created_at / updated_at: "now" when absent
    ENUM = "enum"
    REF = "ref"  # uid of a record in ``target``; required
    REF_OR_NULL = "ref?"
    ROLES = "roles"  # list of ContactRole values, stored comma-separated
    ATTENDEES = "attendees"  # list of contact uids, stored in touchpointattendee
    ENTITY_REF = "entity_ref"  # uid of the record named by the ref's ``entity``
    OBJECT = "object"  # a JSON object, stored as JSON text


REFERENCE_KINDS = frozenset({Kind.REF, Kind.REF_OR_NULL, Kind.ATTENDEES, Kind.ENTITY_REF})


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind
    column: str = ""  # the table column; defaults to ``key``
    required: bool = False  # must be present (and, for text, not blank)
    default: object = None
    choices: tuple[str, ...] = ()
    target: str = ""  # section a reference points to

    def __post_init__(self) -> None:
        if not self.column:
            object.__setattr__(self, "column", self.key)

    @property
    def is_reference(self) -> bool:
        return self.kind in REFERENCE_KINDS


@dataclass(frozen=True)
class Section:
    name: str
    table: sa.Table
    fields: tuple[Field, ...]
    label: str = ""
    keyed_by_uid: bool = True

    @cached_property
    def references(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_reference)


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(m.value for m in enum)


def _table(model: type) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


_UID = Field("uid", Kind.UID, required=True)
_ACCOUNT = Field("account_uid", Kind.REF, "account_id", required=True, target="accounts")
_STAMPS = (Field("created_at", Kind.STAMP), Field("updated_at", Kind.STAMP))


def _enum(key: str, enum: type[StrEnum], default: str | None = None) -> Field:
    return Field(key, Kind.ENUM, choices=_values(enum), default=default, required=default is None)


SECTIONS: tuple[Section, ...] = (
    Section(
        "accounts",
        _table(Account),
        (
            _UID,
            Field("name", Kind.TEXT, required=True),
            Field("domain", Kind.TEXT_OR_NULL),
            _enum("segment", Segment, Segment.SMB.value),
            Field("industry", Kind.TEXT_OR_NULL),
            Field("arr_minor", Kind.INT, default=0),
            Field("currency", Kind.TEXT, default="USD"),
            Field("contract_start", Kind.DATE_OR_NULL),
            Field("renewal_date", Kind.DATE_OR_NULL),
            _enum("lifecycle", Lifecycle, Lifecycle.ONBOARDING.value),
            Field("licensed_seats", Kind.INT_OR_NULL),
            Field("owner", Kind.TEXT_OR_NULL),
            Field("tags", Kind.TEXT, default=""),
            Field("payment_issue", Kind.BOOL, default=False),
            Field("cadence_days", Kind.INT_OR_NULL),
            Field("review_kind", Kind.ENUM, choices=REVIEW_KINDS),
            Field("archived_at", Kind.DATETIME_OR_NULL),
            *_STAMPS,
        ),
        "account",
    ),
    Section(
        "contacts",
        _table(Contact),
        (
            _UID,
            _ACCOUNT,
            Field("name", Kind.TEXT, required=True),
            Field("email", Kind.TEXT_OR_NULL),
            Field("title", Kind.TEXT_OR_NULL),
            Field("phone", Kind.TEXT_OR_NULL),
            Field("roles", Kind.ROLES, choices=_values(ContactRole)),
            Field("is_primary", Kind.BOOL, default=False),
            Field("left_on", Kind.DATE_OR_NULL),
            *_STAMPS,
        ),
        "contact",
    ),
    Section(
        "milestones",
        _table(Milestone),
        (
            _UID,
            _ACCOUNT,
            Field("plan", Kind.TEXT_OR_NULL),
            Field("title", Kind.TEXT, required=True),
            Field("description", Kind.TEXT, default=""),
            Field("position", Kind.INT, default=0),
            _enum("owner_side", MilestoneOwner, MilestoneOwner.US.value),
            Field("start_date", Kind.DATE_OR_NULL),
            Field("due_date", Kind.DATE_OR_NULL),
            Field("completed_on", Kind.DATE_OR_NULL),
            Field("skipped_reason", Kind.TEXT_OR_NULL),
            *_STAMPS,
        ),
        "milestone",
    ),
    Section(
        "touchpoints",
        _table(Touchpoint),
        (
            _UID,
            _ACCOUNT,
            _enum("kind", TouchpointKind, TouchpointKind.CALL.value),
            Field("occurred_at", Kind.DATETIME, required=True),
            Field("duration_minutes", Kind.INT_OR_NULL),
            Field("summary", Kind.TEXT, default=""),
            Field("attendee_uids", Kind.ATTENDEES, target="contacts"),
            *_STAMPS,
        ),
        "touchpoint",
    ),
    Section(
        "notes",
        _table(Note),
        (
            _UID,
            _ACCOUNT,
            Field("touchpoint_uid", Kind.REF_OR_NULL, "touchpoint_id", target="touchpoints"),
            _enum("kind", NoteKind, NoteKind.GENERAL.value),
            Field("title", Kind.TEXT, default=""),
            Field("body", Kind.TEXT, default=""),
            Field("archived_at", Kind.DATETIME_OR_NULL),
            *_STAMPS,
        ),
        "note",
    ),
    Section(
        "action_items",
        _table(ActionItem),
        (
            _UID,
            _ACCOUNT,
            Field("note_uid", Kind.REF_OR_NULL, "note_id", target="notes"),
            Field("text", Kind.TEXT, required=True),
            Field("owner", Kind.TEXT_OR_NULL),
            Field("due_date", Kind.DATE_OR_NULL),
            Field("done_on", Kind.DATE_OR_NULL),
            *_STAMPS,
        ),
        "action item",
    ),
    Section(
        "health_readings",
        _table(HealthReading),
        (
            _UID,
            _ACCOUNT,
            Field("on", Kind.DATE, required=True),
            Field("active_users", Kind.INT_OR_NULL),
            Field("logins", Kind.INT_OR_NULL),
            Field("feature_adoption_pct", Kind.FLOAT_OR_NULL),
            Field("open_tickets", Kind.INT_OR_NULL),
            Field("escalations", Kind.INT_OR_NULL),
            Field("nps", Kind.INT_OR_NULL),
            Field("csat", Kind.FLOAT_OR_NULL),
            *_STAMPS,
        ),
        "health reading",
    ),
    Section(
        "risks",
        _table(Risk),
        (
            _UID,
            _ACCOUNT,
            Field("kind", Kind.TEXT, required=True),
            _enum("severity", RiskSeverity, RiskSeverity.MEDIUM.value),
            _enum("status", RiskStatus, RiskStatus.OPEN.value),
            Field("title", Kind.TEXT, required=True),
            Field("detail", Kind.TEXT, default=""),
            Field("recovery_plan", Kind.TEXT, default=""),
            Field("escalated_to", Kind.TEXT_OR_NULL),
            Field("opened_on", Kind.DATE, required=True),
            Field("resolved_on", Kind.DATE_OR_NULL),
            *_STAMPS,
        ),
        "risk",
    ),
    Section(
        "opportunities",
        _table(Opportunity),
        (
            _UID,
            _ACCOUNT,
            Field("title", Kind.TEXT, required=True),
            Field("kind", Kind.TEXT, default="upsell"),
            _enum("stage", OpportunityStage, OpportunityStage.IDENTIFIED.value),
            Field("amount_minor", Kind.INT, default=0),
            Field("currency", Kind.TEXT, default="USD"),
            Field("close_date", Kind.DATE_OR_NULL),
            Field("source", Kind.TEXT, default="local"),
            *_STAMPS,
        ),
        "opportunity",
    ),
    Section(
        "arr_events",
        _table(ArrEvent),
        (
            _UID,
            _ACCOUNT,
            Field("on", Kind.DATE, required=True),
            _enum("kind", ArrEventKind),
            Field("arr_after_minor", Kind.INT, required=True),
            Field("currency", Kind.TEXT, default="USD"),
            Field("implicit", Kind.BOOL, default=False),
            Field("comment", Kind.TEXT, default=""),
            *_STAMPS,
        ),
        "ARR event",
    ),
    Section(
        "health_overrides",
        _table(HealthOverride),
        (
            _UID,
            _ACCOUNT,
            Field("band", Kind.ENUM, required=True, choices=("healthy", "watch", "at_risk")),
            Field("reason", Kind.TEXT, required=True),
            Field("set_on", Kind.DATE, required=True),
            Field("expires_on", Kind.DATE, required=True),
            Field("cleared_at", Kind.DATETIME_OR_NULL),
            *_STAMPS,
        ),
        "health override",
    ),
    Section(
        "renewals",
        _table(Renewal),
        (
            _UID,
            _ACCOUNT,
            Field("renewal_date", Kind.DATE, required=True),
            _enum("status", RenewalStatus, RenewalStatus.NOT_STARTED.value),
            Field("checklist", Kind.OBJECT, default="{}"),
            Field("outcome", Kind.TEXT_OR_NULL),
            Field("arr_event_uid", Kind.REF_OR_NULL, "arr_event_id", target="arr_events"),
            Field("comment", Kind.TEXT, default=""),
            Field("closed_on", Kind.DATE_OR_NULL),
            *_STAMPS,
        ),
        "renewal",
    ),
    Section(
        "reviews",
        _table(Review),
        (
            _UID,
            _ACCOUNT,
            Field("kind", Kind.ENUM, choices=REVIEW_KINDS, default="qbr"),
            Field("period", Kind.TEXT, required=True),
            Field("held_on", Kind.DATE_OR_NULL),
            Field("title", Kind.TEXT, default=""),
            Field("attendees", Kind.TEXT, default=""),
            Field("goals", Kind.TEXT, default=""),
            Field("value", Kind.TEXT, default=""),
            Field("usage", Kind.TEXT, default=""),
            Field("roadmap", Kind.TEXT, default=""),
            Field("risks", Kind.TEXT, default=""),
            Field("expansion", Kind.TEXT, default=""),
            Field("next_steps", Kind.TEXT, default=""),
            Field("touchpoint_uid", Kind.REF_OR_NULL, "touchpoint_id", target="touchpoints"),
            *_STAMPS,
        ),
        "review",
    ),
)

# ExternalRef.entity names, and the section each one points into.
ENTITY_SECTIONS: dict[str, str] = {
    "account": "accounts",
    "contact": "contacts",
    "milestone": "milestones",
    "touchpoint": "touchpoints",
    "note": "notes",
    "action_item": "action_items",
    "health_reading": "health_readings",
    "risk": "risks",
    "opportunity": "opportunities",
    "arr_event": "arr_events",
    "health_override": "health_overrides",
    "renewal": "renewals",
}

EXTERNAL_REFS = Section(
    "external_refs",
    _table(ExternalRef),
    (
        Field("provider", Kind.TEXT, required=True),
        Field("entity", Kind.ENUM, required=True, choices=tuple(ENTITY_SECTIONS)),
        Field("entity_uid", Kind.ENTITY_REF, "entity_id", required=True),
        Field("external_id", Kind.TEXT, required=True),
        Field("remote_updated_at", Kind.DATETIME_OR_NULL),
        *_STAMPS,
    ),
    "link to a CRM record",
    keyed_by_uid=False,
)

# The history of each risk: on import, a risk's events in the file replace those in the book.
RISK_EVENTS = Section(
    "risk_events",
    _table(RiskEvent),
    (
        Field("risk_uid", Kind.REF, "risk_id", required=True, target="risks"),
        Field("at", Kind.DATETIME, required=True),
        _enum("status", RiskStatus),
        _enum("severity", RiskSeverity),
        Field("note", Kind.TEXT, default=""),
    ),
    "step in a risk's history",
    keyed_by_uid=False,
)

# Signals the CSM muted, one per account and kind: on import, the file's wins.
DISMISSED_SIGNALS = Section(
    "dismissed_signals",
    _table(DismissedSignal),
    (
        _ACCOUNT,
        Field("kind", Kind.TEXT, required=True),
        Field("dismissed_on", Kind.DATE, required=True),
        Field("until", Kind.DATE, required=True),
        Field("severity", Kind.TEXT, default=""),
    ),
    "dismissed signal",
    keyed_by_uid=False,
)

# Parents before children: the order records are written in, and their order in the file.
ALL_SECTIONS: tuple[Section, ...] = (*SECTIONS, EXTERNAL_REFS, RISK_EVENTS, DISMISSED_SIGNALS)
SECTION_BY_NAME: dict[str, Section] = {s.name: s for s in ALL_SECTIONS}
