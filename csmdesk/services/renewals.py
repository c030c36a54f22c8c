"""Renewals: one record per account and renewal date, with a preparation checklist, a status
and, at the end, an outcome written as an ARR event (the history GRR and NRR are computed from).

- A renewal record is made lazily: when the renewal enters its prep window (90 days by default;
  ``ensure_prep_renewals`` makes the missing ones for the whole book, for the app to run when it
  refreshes Today) or when the CSM opens it (``ensure_renewal``).
- The checklist has four items (``CHECKLIST``); each is ticked with the date it was done or
  unticked. Ticking the first item of a *not started* renewal moves it to *in progress*.
- The CSM sets the status among not started, in progress, committed and at risk. *Renewed* and
  *churned* are reached only by recording the outcome, and a closed renewal no longer changes.
- ``record_outcome`` writes, in one transaction: the ARR event (flat → kind ``renewal`` at the
  same ARR; expansion or contraction → that kind at the new ARR; churn → kind ``churn`` at 0 and
  the account's lifecycle becomes churned; the account's placeholder ARR event, if it has only
  that, is kept as the starting ARR), links it, closes the renewal (renewed or churned) and,
  for a renewal, moves the account's renewal date a year on (clamped: 29 Feb → 28 Feb) and a
  *renewing* lifecycle back to *mature*. Bad input raises ``ValidationError`` and writes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.rhythm import RhythmSettings, add_months
from csmdesk.models import Account, ArrEvent, ArrEventKind, Lifecycle, Renewal, RenewalStatus
from csmdesk.services import records
from csmdesk.services import rhythm as rhythm_service
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database

log = logging.getLogger(__name__)

CHECKLIST: dict[str, str] = {
    "confirm_stakeholders": "Confirm stakeholders",
    "usage_review": "Usage review",
    "value_summary": "Value summary",
    "commercial_discussion": "Commercial discussion",
}
STATUS_LABELS: dict[str, str] = {
    RenewalStatus.NOT_STARTED.value: "Not started",
    RenewalStatus.IN_PROGRESS.value: "In progress",
    RenewalStatus.COMMITTED.value: "Committed",
    RenewalStatus.AT_RISK.value: "At risk",
    RenewalStatus.RENEWED.value: "Renewed",
    RenewalStatus.CHURNED.value: "Churned",
}
OPEN_STATUSES = (
    RenewalStatus.NOT_STARTED.value,
    RenewalStatus.IN_PROGRESS.value,
    RenewalStatus.COMMITTED.value,
    RenewalStatus.AT_RISK.value,
)
CLOSED_STATUSES = (RenewalStatus.RENEWED.value, RenewalStatus.CHURNED.value)
FLAT, EXPANSION, CONTRACTION, CHURN = "flat", "expansion", "contraction", "churn"
OUTCOME_LABELS = {
    FLAT: "Renewed flat",
    EXPANSION: "Renewed with expansion",
    CONTRACTION: "Renewed with contraction",
    CHURN: "Churned",
}


# --- reading -------------------------------------------------------------------------------


def checklist_of(renewal: Renewal) -> dict[str, date]:
    """The ticked items and the day each was done (unknown keys and bad dates are dropped)."""
    try:
        raw = json.loads(renewal.checklist or "{}")
    except ValueError:
        log.warning("renewal %s has an unreadable checklist", renewal.id)
        return {}
    done: dict[str, date] = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key in CHECKLIST and isinstance(value, str):
                try:
                    done[key] = date.fromisoformat(value)
                except ValueError:
                    continue
    return done


def checklist_count(text: str) -> int:
    """How many checklist items a stored checklist has ticked (for the whole book, cheaply)."""
    try:
        raw = json.loads(text or "{}")
    except ValueError:
        return 0
    return sum(1 for key in raw if key in CHECKLIST) if isinstance(raw, dict) else 0


def get_renewal(db: Database, renewal_id: int) -> Renewal:
    with db.session() as s:
        return _require(s, renewal_id)


def current_renewal(db: Database, account_id: int) -> Renewal | None:
    """The record of the account's current renewal date, if one was made (never creates)."""
    with db.session() as s:
        account = _require_account(s, account_id)
        if account.renewal_date is None:
            return None
        return _find(s, account_id, account.renewal_date)


def list_renewals(db: Database, account_id: int) -> list[Renewal]:
    """The account's renewals, latest date first."""
    with db.session() as s:
        return list(
            s.scalars(
                select(Renewal)
                .where(col(Renewal.account_id) == account_id)
                .order_by(col(Renewal.renewal_date).desc())
            )
        )


# --- making the records ---------------------------------------------------------------------


def ensure_renewal(db: Database, account_id: int, *, session: Session | None = None) -> Renewal:
    """The record of the account's current renewal date, made if missing."""
    with db.unit(session) as s:
        account = _require_account(s, account_id)
        if account.renewal_date is None:
            raise ValidationError({"renewal_date": "The account has no renewal date."})
        renewal = _find(s, account_id, account.renewal_date)
        if renewal is None:
            renewal = Renewal(account_id=account_id, renewal_date=account.renewal_date)
            s.add(renewal)
            s.flush()
        return renewal


def ensure_prep_renewals(
    db: Database, today: date, *, settings: RhythmSettings | None = None
) -> int:
    """Make the missing records of renewals inside their prep window (past ones included, while
    the account is active and the outcome is not recorded). Returns how many were made."""
    prep = (settings or rhythm_service.load_settings(db)).renewal_prep_days
    horizon = today + timedelta(days=prep)
    with db.session() as s:
        due: Any = s.execute(
            select(col(Account.id), col(Account.renewal_date)).where(
                col(Account.archived_at).is_(None),
                col(Account.lifecycle) != Lifecycle.CHURNED.value,
                col(Account.renewal_date).is_not(None),
                col(Account.renewal_date) <= horizon,
            )
        )
        wanted = {(account_id, on) for account_id, on in due}
        if not wanted:
            return 0
        have: Any = s.execute(
            select(col(Renewal.account_id), col(Renewal.renewal_date)).where(
                col(Renewal.renewal_date) <= horizon
            )
        )
        missing = sorted(wanted - {(a, d) for a, d in have})
        s.add_all(Renewal(account_id=a, renewal_date=d) for a, d in missing)
        return len(missing)


# --- the checklist and the status ------------------------------------------------------------


def set_checklist_item(db: Database, renewal_id: int, item: str, done_on: date | None) -> Renewal:
    """Tick ``item`` as done on ``done_on``, or untick it with ``None``."""
    if item not in CHECKLIST:
        raise ValidationError({"item": f"'{item}' is not one of {', '.join(CHECKLIST)}."})
    with db.session() as s:
        renewal = _require_open(s, renewal_id)
        done = checklist_of(renewal)
        if done_on is None:
            done.pop(item, None)
        else:
            done[item] = done_on
            if renewal.status == RenewalStatus.NOT_STARTED.value:
                renewal.status = RenewalStatus.IN_PROGRESS.value
        renewal.checklist = _dump(done)
        s.flush()
        return renewal


def set_status(
    db: Database, renewal_id: int, status: str, *, comment: str | None = None
) -> Renewal:
    """Move an open renewal among the open statuses (closing it takes ``record_outcome``)."""
    if status in CLOSED_STATUSES:
        raise ValidationError(
            {"status": "Record the outcome to mark a renewal renewed or churned."}
        )
    if status not in OPEN_STATUSES:
        raise ValidationError({"status": f"'{status}' is not a renewal status."})
    with db.session() as s:
        renewal = _require_open(s, renewal_id)
        renewal.status = status
        if comment is not None:
            renewal.comment = comment.strip()
        s.flush()
        return renewal


# --- the outcome ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What ``record_outcome`` wrote."""

    renewal_id: int
    arr_event_id: int
    status: str
    arr_before_minor: int
    arr_after_minor: int
    next_renewal_date: date | None  # the account's renewal date after a renewal


def check_outcome(outcome: str, before: int, after: int | None) -> tuple[str, int]:
    """(ARR event kind, ARR after) for an outcome, or ValidationError; forms check with it as
    the CSM types, so the dialog and ``record_outcome`` refuse exactly the same input."""
    if outcome not in OUTCOME_LABELS:
        raise ValidationError(
            {"outcome": f"'{outcome}' is not one of {', '.join(OUTCOME_LABELS)}."}
        )
    if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after < 0):
        raise ValidationError({"arr": "The ARR must be a whole amount of zero or more."})
    if outcome == FLAT:
        if after is not None and after != before:
            raise ValidationError(
                {"arr": "A flat renewal keeps the ARR; choose expansion or contraction."}
            )
        return ArrEventKind.RENEWAL.value, before
    if outcome == CHURN:
        if after:
            raise ValidationError({"arr": "After a churn the ARR is 0."})
        return ArrEventKind.CHURN.value, 0
    if after is None:
        raise ValidationError({"arr": "Give the ARR after the renewal."})
    if outcome == EXPANSION and after <= before:
        raise ValidationError({"arr": "An expansion needs an ARR above the current one."})
    if outcome == CONTRACTION and not 0 < after < before:
        raise ValidationError(
            {"arr": "A contraction needs an ARR below the current one and above 0 (or churn)."}
        )
    kind = ArrEventKind.EXPANSION if outcome == EXPANSION else ArrEventKind.CONTRACTION
    return kind.value, after


def record_outcome(
    db: Database,
    renewal_id: int,
    outcome: str,
    arr_after_minor: int | None,
    on: date,
    *,
    comment: str = "",
) -> Outcome:
    """Close the renewal with its outcome (rules in the module docstring), all or nothing."""
    with db.session() as s:
        renewal = _require_open(s, renewal_id)
        account = _require_account(s, renewal.account_id)
        before = account.arr_minor
        kind, after = check_outcome(outcome, before, arr_after_minor)
        # An outcome moves the ARR the account has: the placeholder event made with the account
        # (its starting ARR) is the base GRR/NRR need, so it is kept rather than replaced.
        s.execute(
            update(ArrEvent)
            .where(col(ArrEvent.account_id) == renewal.account_id, col(ArrEvent.implicit))
            .values(implicit=False)
        )
        event = records.add_arr_event(
            db,
            renewal.account_id,
            on,
            kind,
            after,
            comment=comment.strip() or OUTCOME_LABELS[outcome],
            session=s,
        )
        assert event.id is not None
        renewal.outcome = outcome
        renewal.arr_event_id = event.id
        renewal.closed_on = on
        if comment.strip():
            renewal.comment = comment.strip()
        next_date: date | None = None
        if outcome == CHURN:
            renewal.status = RenewalStatus.CHURNED.value
            account.lifecycle = Lifecycle.CHURNED.value
        else:
            renewal.status = RenewalStatus.RENEWED.value
            if account.renewal_date == renewal.renewal_date:
                account.renewal_date = next_date = add_months(renewal.renewal_date, 12)
            if account.lifecycle == Lifecycle.RENEWING.value:
                account.lifecycle = Lifecycle.MATURE.value
        s.flush()
        return Outcome(
            renewal_id=renewal_id,
            arr_event_id=event.id,
            status=renewal.status,
            arr_before_minor=before,
            arr_after_minor=after,
            next_renewal_date=next_date,
        )


# --- helpers ----------------------------------------------------------------------------------


def _dump(done: Mapping[str, date]) -> str:
    return json.dumps({k: done[k].isoformat() for k in CHECKLIST if k in done})


def _find(s: Session, account_id: int, on: date) -> Renewal | None:
    return s.scalars(
        select(Renewal).where(
            col(Renewal.account_id) == account_id, col(Renewal.renewal_date) == on
        )
    ).first()


def _require(s: Session, renewal_id: int) -> Renewal:
    renewal = s.get(Renewal, renewal_id)
    if renewal is None:
        raise NotFoundError(f"renewal {renewal_id} does not exist")
    return renewal


def _require_open(s: Session, renewal_id: int) -> Renewal:
    renewal = _require(s, renewal_id)
    if renewal.status in CLOSED_STATUSES:
        label = STATUS_LABELS[renewal.status].lower()
        raise ValidationError(
            {"status": f"This renewal is closed ({label}); it no longer changes."}
        )
    return renewal


def _require_account(s: Session, account_id: int) -> Account:
    account = s.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} does not exist")
    return account
