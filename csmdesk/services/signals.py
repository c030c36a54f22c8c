"""Risk and expansion signals in the book: the rules of :mod:`csmdesk.domain.signals` turned
into Risk records with a history, and expansion suggestions the CSM accepts or dismisses.

How a risk signal becomes a record (run with every health recompute, one account or the book):

- A rule fires and the account has no unresolved risk of that kind → a new Risk opens
  (status *open*), unless the CSM muted that signal for the account (see below).
- It fires and an open or mitigating risk of that kind exists → that risk is refreshed: its
  title and detail follow the latest facts; a change of severity is written to its history.
- It stops firing → an *open* risk of that kind resolves by itself ("the signal no longer
  fires"). A *mitigating* risk is left alone: the CSM is working a recovery plan and decides.
- Risks the CSM opened by hand (kind ``manual``) are never touched by the rules.

The CSM moves a risk open → mitigating (a recovery plan is required; escalated to whom is
optional) → resolved, and can reopen it. Resolving a signal's risk by hand mutes that signal
for the account for 30 days (editable) so it does not reopen the next morning; a muted signal
at a *higher* severity than when it was muted speaks again. Every step is kept in ``riskevent``.

Expansion suggestions are not stored: they are computed for an account when asked. Accepting
one creates an Opportunity (source ``signal``) and mutes the suggestion for 180 days;
dismissing mutes it for 90 days (editable).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlmodel import Session, col

from csmdesk.domain import signals as rules
from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.health import AccountFacts, Score
from csmdesk.domain.signals import DEFAULT_COMPETITORS, DEFAULT_EXPANSION_WORDS, NoteText, Signal
from csmdesk.models import (
    DismissedSignal,
    Note,
    Opportunity,
    Risk,
    RiskEvent,
    RiskSeverity,
    RiskStatus,
    utcnow,
)
from csmdesk.services import records
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database

log = logging.getLogger(__name__)

SETTINGS_KEY = "signals.settings"
MANUAL_KIND = "manual"
NOTE_DAYS = 60  # the rules read notes of the last 60 days
RESOLVE_MUTE_DAYS = 30
DISMISS_DAYS = 90
ACCEPT_MUTE_DAYS = 180
MAX_WORDS = 200
MAX_WORD_LENGTH = 60
_RANK = {s.value: n for n, s in enumerate(RiskSeverity)}
_CHUNK = 500

RISK_KINDS = {
    "usage_decline": "Usage declining",
    "ticket_spike": "Ticket spike",
    "detractor_nps": "Detractor NPS",
    "champion_left": "Champion left",
    "no_touchpoint": "No touchpoint within cadence",
    "renewal_not_healthy": "Renewal while not healthy",
    "payment_issue": "Payment issue",
    "competitor_mentioned": "Competitor mentioned",
    MANUAL_KIND: "Added by hand",
}
EXPANSION_KINDS = {
    "seats_near_limit": "Seats near the limit",
    "active_users_growing": "Active users growing",
    "promoter_nps": "Promoter NPS",
    "expansion_mentioned": "Expansion talk in notes",
}
STATUS_LABELS = {
    RiskStatus.OPEN.value: "Open",
    RiskStatus.MITIGATING.value: "Mitigating",
    RiskStatus.RESOLVED.value: "Resolved",
}
SEVERITY_LABELS = {s.value: s.value.capitalize() for s in RiskSeverity}


# --- settings: the CSM's keyword lists ---------------------------------------------------------


@dataclass(frozen=True)
class SignalSettings:
    competitors: tuple[str, ...] = DEFAULT_COMPETITORS
    expansion_words: tuple[str, ...] = DEFAULT_EXPANSION_WORDS

    def to_json(self) -> str:
        return json.dumps(
            {"competitors": list(self.competitors), "expansion_words": list(self.expansion_words)}
        )

    @classmethod
    def from_json(cls, text: str) -> SignalSettings:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("signal settings must be a JSON object")
        return make_settings(
            raw.get("competitors", DEFAULT_COMPETITORS),
            raw.get("expansion_words", DEFAULT_EXPANSION_WORDS),
        )


def clean_words(words: Iterable[str], what: str) -> tuple[str, ...]:
    """Trimmed, de-duplicated (any case) phrases, in the order given; raises on nonsense."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in words:
        if not isinstance(raw, str):
            raise ValidationError({what: "Each entry must be text."})
        word = " ".join(raw.split())
        if not word or word.casefold() in seen:
            continue
        if len(word) > MAX_WORD_LENGTH:
            raise ValidationError({what: f"“{word[:20]}…” is longer than {MAX_WORD_LENGTH}."})
        seen.add(word.casefold())
        out.append(word)
    if len(out) > MAX_WORDS:
        raise ValidationError({what: f"At most {MAX_WORDS} entries, please."})
    return tuple(out)


def make_settings(competitors: Iterable[str], expansion_words: Iterable[str]) -> SignalSettings:
    return SignalSettings(
        clean_words(competitors, "competitors"), clean_words(expansion_words, "expansion_words")
    )


def load_settings(db: Database) -> SignalSettings:
    raw = records.get_meta(db, SETTINGS_KEY)
    if not raw:
        return SignalSettings()
    try:
        return SignalSettings.from_json(raw)
    except (ValueError, ValidationError):
        log.warning("stored signal settings are unreadable; using the defaults")
        return SignalSettings()


def save_settings(db: Database, settings: SignalSettings) -> None:
    records.set_meta(db, SETTINGS_KEY, settings.to_json())


# --- evaluation (no writes) --------------------------------------------------------------------


def recent_notes(
    db: Database, on: date, account_ids: Iterable[int] | None = None
) -> dict[int, list[NoteText]]:
    """Title and body of each account's notes written in the 60 days up to ``on``."""
    since = datetime.combine(on - timedelta(days=NOTE_DAYS), time.min, tzinfo=UTC)
    until = datetime.combine(on + timedelta(days=1), time.min, tzinfo=UTC)
    query = select(
        col(Note.account_id), col(Note.created_at), col(Note.title), col(Note.body)
    ).where(
        col(Note.archived_at).is_(None),
        col(Note.created_at) >= since,
        col(Note.created_at) < until,
    )
    ids = None if account_ids is None else sorted(set(account_ids))
    out: dict[int, list[NoteText]] = {}
    with db.engine.connect() as conn:
        for chunk in _chunks(ids):
            q = query if chunk is None else query.where(col(Note.account_id).in_(chunk))
            rows: Any = conn.execute(q)
            for account_id, created, title, body in rows:
                text = f"{title}\n{body}" if title else body
                out.setdefault(account_id, []).append(NoteText(created.date(), text))
    return out


def _chunks(ids: list[int] | None) -> Iterable[list[int] | None]:
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def evaluate_risks(
    facts: Mapping[int, AccountFacts],
    scores: Mapping[int, Score],
    notes: Mapping[int, Sequence[NoteText]],
    on: date,
    settings: SignalSettings,
) -> dict[int, list[Signal]]:
    """The risk signals each scored account fires (rules in :mod:`csmdesk.domain.signals`).

    Like :func:`csmdesk.services.health.score_facts`, off the main thread it sleeps for no
    time every 16 accounts, so that a GUI thread waiting for the GIL gets it.
    """
    from threading import current_thread, main_thread
    from time import sleep

    gap = 0 if current_thread() is main_thread() else 16
    fired: dict[int, list[Signal]] = {}
    for done, (account_id, account_facts) in enumerate(facts.items(), start=1):
        if account_id in scores:
            fired[account_id] = rules.risk_signals(
                account_facts,
                scores[account_id],
                notes.get(account_id, ()),
                on,
                settings.competitors,
            )
        if gap and done % gap == 0:
            sleep(0)
    return fired


# --- risks as records ---------------------------------------------------------------------------


@dataclass
class RiskChanges:
    opened: int = 0
    updated: int = 0
    resolved: int = 0
    opened_ids: list[int] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.opened} opened, {self.updated} updated, {self.resolved} resolved"


def _event(risk: Risk, note: str, at: datetime) -> RiskEvent:
    assert risk.id is not None
    return RiskEvent(risk_id=risk.id, at=at, status=risk.status, severity=risk.severity, note=note)


def _mutes(s: Session, ids: list[int] | None, on: date) -> dict[tuple[int, str], str]:
    """(account, kind) → the severity it was muted at (or "" for expansion)."""
    out: dict[tuple[int, str], str] = {}
    query = select(
        col(DismissedSignal.account_id), col(DismissedSignal.kind), col(DismissedSignal.severity)
    ).where(col(DismissedSignal.until) >= on)
    for chunk in _chunks(ids):
        q = query if chunk is None else query.where(col(DismissedSignal.account_id).in_(chunk))
        for account_id, kind, severity in s.execute(q):
            out[(account_id, kind)] = severity
    return out


@dataclass
class _Live:
    """An unresolved signal risk as the refresh sees it (plain columns, no ORM object)."""

    id: int
    status: str
    severity: str
    title: str
    detail: str


def _live_risks(s: Session, ids: list[int] | None) -> dict[tuple[int, str], _Live]:
    query = select(
        col(Risk.id),
        col(Risk.account_id),
        col(Risk.kind),
        col(Risk.status),
        col(Risk.severity),
        col(Risk.title),
        col(Risk.detail),
    ).where(col(Risk.status) != RiskStatus.RESOLVED.value, col(Risk.kind) != MANUAL_KIND)
    live: dict[tuple[int, str], _Live] = {}
    for chunk in _chunks(ids):
        q = query if chunk is None else query.where(col(Risk.account_id).in_(chunk))
        for rid, account_id, kind, status, severity, title, detail in s.execute(
            q.order_by(col(Risk.id))
        ):
            live.setdefault((account_id, kind), _Live(rid, status, severity, title, detail))
    return live


def apply_risk_signals(
    db: Database, on: date, fired: Mapping[int, Sequence[Signal]], *, whole_book: bool
) -> RiskChanges:
    """Open, refresh and resolve signal risks of these accounts to match what fired today,
    in one transaction (all or nothing)."""
    changes = RiskChanges()
    ids = None if whole_book else sorted(fired)
    now = utcnow()
    if on < now.date():  # a replay of an earlier day: date its history that day
        now = datetime.combine(on, time(12), tzinfo=UTC)
    with db.session() as s:
        live = _live_risks(s, ids)
        by_account: dict[int, list[tuple[str, _Live]]] = {}
        for (account_id, kind), risk in live.items():
            by_account.setdefault(account_id, []).append((kind, risk))
        muted = _mutes(s, ids, on)
        new: list[tuple[Risk, Signal]] = []
        refreshed: list[dict[str, Any]] = []
        resolved: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []

        def event(risk: _Live, status: str, severity: str, note: str) -> None:
            events.append(
                {"risk_id": risk.id, "at": now, "status": status, "severity": severity,
                 "note": note}
            )  # fmt: skip

        for account_id, account_signals in fired.items():
            firing = {sig.kind for sig in account_signals}
            for sig in account_signals:
                current = live.get((account_id, sig.kind))
                if current is not None:
                    if (current.severity, current.title, current.detail) != (
                        sig.severity, sig.title, sig.detail
                    ):  # fmt: skip
                        refreshed.append(
                            {"rid": current.id, "severity": sig.severity, "title": sig.title,
                             "detail": sig.detail, "updated_at": now}
                        )  # fmt: skip
                    if current.severity != sig.severity:
                        up = _RANK[sig.severity] > _RANK[current.severity]
                        event(current, current.status, sig.severity,
                              f"Severity {'up' if up else 'down'}, {current.severity} → "
                              f"{sig.severity}: {sig.title}")  # fmt: skip
                    continue
                mute = muted.get((account_id, sig.kind))
                if mute is not None and (not mute or _RANK[sig.severity] <= _RANK.get(mute, 0)):
                    continue
                opened = Risk(
                    account_id=account_id,
                    kind=sig.kind,
                    severity=sig.severity,
                    title=sig.title,
                    detail=sig.detail,
                    opened_on=on,
                )
                s.add(opened)
                new.append((opened, sig))
            for kind, current in by_account.get(account_id, ()):
                if kind in firing or current.status != RiskStatus.OPEN.value:
                    continue
                resolved.append({"rid": current.id, "updated_at": now})
                event(current, RiskStatus.RESOLVED.value, current.severity,
                      "Resolved by itself: the signal no longer fires.")  # fmt: skip
        s.flush()
        table = Risk.__table__  # type: ignore[attr-defined]
        if refreshed:
            s.execute(
                table.update()
                .where(table.c.id == bindparam("rid"))
                .values(
                    severity=bindparam("severity"),
                    title=bindparam("title"),
                    detail=bindparam("detail"),
                    updated_at=bindparam("updated_at"),
                ),
                refreshed,
            )
        if resolved:
            s.execute(
                table.update()
                .where(table.c.id == bindparam("rid"))
                .values(
                    status=RiskStatus.RESOLVED.value,
                    resolved_on=on,
                    updated_at=bindparam("updated_at"),
                ),
                resolved,
            )
        for opened, sig in new:
            assert opened.id is not None
            changes.opened_ids.append(opened.id)
            row = _Live(opened.id, opened.status, opened.severity, opened.title, opened.detail)
            event(row, row.status, row.severity, f"Opened by the signal: {sig.detail}")
        if events:
            s.execute(insert(RiskEvent), events)
        changes.opened, changes.updated, changes.resolved = len(new), len(refreshed), len(resolved)
    if changes.opened or changes.resolved:
        log.info("risk signals as of %s: %s", on, changes.describe())
    return changes


def refresh_risks(
    db: Database,
    on: date,
    facts: Mapping[int, AccountFacts],
    scores: Mapping[int, Score],
    *,
    whole_book: bool,
) -> RiskChanges:
    """Evaluate the risk rules for these accounts and bring their Risk records in line."""
    settings = load_settings(db)
    notes = recent_notes(db, on, None if whole_book else list(facts))
    fired = evaluate_risks(facts, scores, notes, on, settings)
    return apply_risk_signals(db, on, fired, whole_book=whole_book)


def list_risks(
    db: Database, account_id: int | None = None, *, include_resolved: bool = True
) -> list[Risk]:
    """Unresolved first (most severe, then newest), then resolved ones, newest first."""
    query = select(Risk)
    if account_id is not None:
        query = query.where(col(Risk.account_id) == account_id)
    if not include_resolved:
        query = query.where(col(Risk.status) != RiskStatus.RESOLVED.value)
    with db.session() as s:
        risks = list(s.scalars(query))
    return sorted(
        risks,
        key=lambda r: (
            r.status == RiskStatus.RESOLVED.value,
            -_RANK.get(r.severity, 0),
            -(r.resolved_on or r.opened_on).toordinal(),
            -(r.id or 0),
        ),
    )


def risk_history(db: Database, risk_id: int) -> list[RiskEvent]:
    with db.session() as s:
        return list(
            s.scalars(
                select(RiskEvent)
                .where(col(RiskEvent.risk_id) == risk_id)
                .order_by(col(RiskEvent.at), col(RiskEvent.id))
            )
        )


def add_risk(
    db: Database,
    account_id: int,
    title: str,
    *,
    on: date,
    severity: str = RiskSeverity.MEDIUM.value,
    detail: str = "",
) -> Risk:
    """A risk the CSM sees that no rule does (kind ``manual``)."""
    with db.session() as s:
        risk = records.open_risk(
            db,
            account_id,
            MANUAL_KIND,
            title,
            opened_on=on,
            severity=severity,
            detail=detail.strip(),
            session=s,
        )
        s.add(_event(risk, "Opened by you.", utcnow()))
        return risk


def update_risk(
    db: Database,
    risk_id: int,
    status: str,
    *,
    on: date,
    recovery_plan: str | None = None,
    escalated_to: str | None = None,
    note: str = "",
    mute_days: int = RESOLVE_MUTE_DAYS,
) -> Risk:
    """Move a risk along open → mitigating → resolved (or reopen it), keeping the history.

    Mitigating needs a recovery plan. Resolving a signal's risk mutes that signal for the
    account for ``mute_days`` (0: not muted)."""
    if status not in STATUS_LABELS:
        raise ValidationError({"status": f"'{status}' is not open, mitigating or resolved."})
    if mute_days < 0 or mute_days > 365:
        raise ValidationError({"mute_days": "Mute for 0 to 365 days."})
    with db.session() as s:
        risk = s.get(Risk, risk_id)
        if risk is None:
            raise NotFoundError(f"risk {risk_id} does not exist")
        plan = (recovery_plan if recovery_plan is not None else risk.recovery_plan).strip()
        if status == RiskStatus.MITIGATING.value and not plan:
            raise ValidationError({"recovery_plan": "Write the recovery plan you are working."})
        if escalated_to is not None and len(escalated_to.strip()) > 120:
            raise ValidationError({"escalated_to": "At most 120 characters."})
        before = risk.status
        records.set_risk_status(
            db,
            risk_id,
            status,
            on=on,
            recovery_plan=plan,
            escalated_to=None if escalated_to is None else escalated_to.strip(),
            session=s,
        )
        words = {
            RiskStatus.OPEN.value: "Reopened" if before == RiskStatus.RESOLVED.value else "Open",
            RiskStatus.MITIGATING.value: "Mitigating",
            RiskStatus.RESOLVED.value: "Resolved",
        }
        parts = [f"{words[status]} by you."]
        if status == RiskStatus.MITIGATING.value:
            parts.append(f"Plan: {plan.rstrip('.')}.")
            if risk.escalated_to:
                parts.append(f"Escalated to {risk.escalated_to}.")
        if note.strip():
            parts.append(note.strip())
        if status == RiskStatus.RESOLVED.value and risk.kind != MANUAL_KIND and mute_days:
            until = on + timedelta(days=mute_days)
            _mute(s, risk.account_id, risk.kind, on, until, risk.severity)
            parts.append(f"Signal quiet until {until.isoformat()} unless it gets worse.")
        if status == RiskStatus.OPEN.value:
            _unmute(s, risk.account_id, risk.kind)
        s.add(_event(risk, " ".join(parts), utcnow()))
        s.flush()
        return risk


def _mute(s: Session, account_id: int, kind: str, on: date, until: date, severity: str) -> None:
    _unmute(s, account_id, kind)
    s.add(
        DismissedSignal(
            account_id=account_id, kind=kind, dismissed_on=on, until=until, severity=severity
        )
    )


def _unmute(s: Session, account_id: int, kind: str) -> None:
    s.execute(
        delete(DismissedSignal).where(
            col(DismissedSignal.account_id) == account_id, col(DismissedSignal.kind) == kind
        )
    )
    s.flush()


def counts_by_account(db: Database) -> dict[int, tuple[int, str]]:
    """Unresolved risks per account: (how many, the worst severity)."""
    out: dict[int, tuple[int, str]] = {}
    with db.engine.connect() as conn:
        rows: Any = conn.execute(
            select(col(Risk.account_id), col(Risk.severity)).where(
                col(Risk.status) != RiskStatus.RESOLVED.value
            )
        )
        for account_id, severity in rows:
            n, worst = out.get(account_id, (0, RiskSeverity.LOW.value))
            out[account_id] = (n + 1, severity if _RANK[severity] > _RANK[worst] else worst)
    return out


# --- expansion suggestions ----------------------------------------------------------------------


def expansion_suggestions(db: Database, account_id: int, on: date) -> list[Signal]:
    """What the expansion rules see in this account today, less what the CSM muted."""
    from csmdesk.services import health

    facts = health.gather_facts(db, on, [account_id]).get(account_id)
    if facts is None:
        return []
    settings = load_settings(db)
    notes = recent_notes(db, on, [account_id]).get(account_id, [])
    found = rules.expansion_signals(facts, notes, on, settings.expansion_words)
    with db.session() as s:
        muted = _mutes(s, [account_id], on)
    return [sig for sig in found if (account_id, sig.kind) not in muted]


def accept_suggestion(
    db: Database,
    account_id: int,
    signal: Signal,
    *,
    on: date,
    title: str | None = None,
    amount_minor: int = 0,
    currency: str | None = None,
    close_date: date | None = None,
) -> Opportunity:
    """Turn an expansion suggestion into an Opportunity; the suggestion goes quiet."""
    if not signal.is_expansion:
        raise ValidationError({"kind": "Only expansion signals suggest opportunities."})
    with db.session() as s:
        account = records._require_account(s, account_id)
        opp = records.add_opportunity(
            db,
            account_id,
            (title or signal.title).strip(),
            amount_minor=amount_minor,
            currency=currency or account.currency,
            kind="expansion",
            close_date=close_date,
            source="signal",
            session=s,
        )
        _mute(s, account_id, signal.kind, on, on + timedelta(days=ACCEPT_MUTE_DAYS), "")
        return opp


def dismiss_suggestion(
    db: Database, account_id: int, kind: str, *, on: date, days: int = DISMISS_DAYS
) -> date:
    """Mute an expansion suggestion for ``days``; returns the day it may speak again."""
    if kind not in EXPANSION_KINDS:
        raise ValidationError({"kind": f"'{kind}' is not an expansion signal."})
    if not 1 <= days <= 365:
        raise ValidationError({"days": "Dismiss for 1 to 365 days."})
    until = on + timedelta(days=days)
    with db.session() as s:
        records._require_account(s, account_id)
        _mute(s, account_id, kind, on, until, "")
    return until
