"""Today: the queue CSM Desk opens on, read from the whole book in a handful of queries.

``compute_today`` reads the rhythm settings, then the active book (not archived, not churned)
and its open work in six queries whatever the book's size (accounts; last touchpoint and last
QBR/EBR per account; open milestones and action items due within the week; unresolved risks
worth a look; renewal records near their date), then Today's own state; runs the registered
sources of :mod:`csmdesk.domain.today` and applies what the CSM did:

Snooze
    ``snooze(db, key, until)`` hides the item while ``today < until``: snoozed until 2 December,
    it is hidden through 1 December and back on 2 December. "A day" is ``today + 1`` (back
    tomorrow), "a week" ``today + 7``. Snoozes are rows in ``todaystate``, so they survive a
    restart.
Done
    Milestones and action items: "done" completes the record itself (``completed_on`` /
    ``done_on`` = today), so it leaves every view, not only Today. Other items have no record to
    complete: "done" is kept in ``todaystate`` against the item's key, and the key holds the due
    date, window or severity, so the item returns when that changes (a new touchpoint moves the
    next due date; a renewal enters its next window; a risk worsens). A touchpoint or review
    marked done without logging one also returns after one cadence (or review period) from the
    day it was marked, so an account is never silenced for good.

``prune_states`` drops state rows that no longer do anything (expired snoozes, and rows whose
item no source produces any more, once their dates are ``keep_days`` old).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import delete
from sqlmodel import col

from csmdesk.domain import today as td
from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.rhythm import RhythmSettings
from csmdesk.domain.today import (
    AccountRow,
    ActionRow,
    Book,
    MilestoneRow,
    Registry,
    RenewalRow,
    RiskRow,
    TodayItem,
    TodayQueue,
)
from csmdesk.models import TodayState, utcnow
from csmdesk.services import records
from csmdesk.services import rhythm as rhythm_service
from csmdesk.services.renewals import CHECKLIST, checklist_count
from csmdesk.store import Database

log = logging.getLogger(__name__)

DoneHandler = Callable[[Database, TodayItem, date | None], None]
PRUNE_KEEP_DAYS = 30
SnoozeChoice = Literal["day", "week"]


def _complete_milestone(db: Database, item: TodayItem, on: date | None) -> None:
    assert item.record_id is not None
    records.complete_milestone(db, item.record_id, on)


def _complete_action(db: Database, item: TodayItem, on: date | None) -> None:
    assert item.record_id is not None
    records.set_action_done(db, item.record_id, on)


# Categories whose "done" completes a record: the handler does it (``None`` reopens).
DONE_HANDLERS: dict[str, DoneHandler] = {
    td.MILESTONE: _complete_milestone,
    td.ACTION: _complete_action,
}


# --- reading the book --------------------------------------------------------------------------


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text[:10])


def load_book(db: Database, today: date, *, settings: RhythmSettings | None = None) -> Book:
    """Everything the built-in sources read: six queries over the whole book."""
    settings = settings or rhythm_service.load_settings(db)
    horizon = (today + timedelta(days=td.SOON_DAYS)).isoformat()
    recent = (today - timedelta(days=td.NEW_RISK_DAYS)).isoformat()
    renewal_horizon = (today + timedelta(days=settings.renewal_windows[0])).isoformat()
    tomorrow = (today + timedelta(days=1)).isoformat()
    d = date.fromisoformat
    with db.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        accounts = {
            row[0]: AccountRow(
                row[0], row[1], row[2], row[3],
                d(row[4]) if row[4] else None, d(row[5]) if row[5] else None,
                row[6], row[7], row[8], d(row[9][:10]),
            )
            for row in raw.execute(
                "SELECT id, name, segment, lifecycle, contract_start, renewal_date, arr_minor, "
                "cadence_days, review_kind, created_at FROM account "
                "WHERE archived_at IS NULL AND lifecycle != 'churned'"
            )
        }  # fmt: skip
        last_touch: dict[int, date] = {}
        last_review: dict[int, date] = {}
        for account_id, touched, reviewed in raw.execute(
            "SELECT account_id, max(occurred_at), "
            "max(CASE WHEN kind IN ('qbr', 'ebr') THEN occurred_at END) "
            "FROM touchpoint WHERE occurred_at < ? GROUP BY account_id",
            (tomorrow,),
        ):
            last_touch[account_id] = d(touched[:10])
            if reviewed is not None:
                last_review[account_id] = d(reviewed[:10])
        # "+due_date": a scan beats the due-date index here, since most milestones and action
        # items of a long-lived book are done and in the past (4x faster on 50,000 milestones).
        milestones = [
            MilestoneRow(r[0], r[1], r[2], d(r[3]), r[4])
            for r in raw.execute(
                "SELECT id, account_id, title, due_date, owner_side FROM milestone "
                "WHERE completed_on IS NULL AND skipped_reason IS NULL AND +due_date <= ?",
                (horizon,),
            )
        ]
        actions = [
            ActionRow(r[0], r[1], r[2], r[3], d(r[4]))
            for r in raw.execute(
                "SELECT id, account_id, text, owner, due_date FROM actionitem "
                "WHERE done_on IS NULL AND +due_date <= ?",
                (horizon,),
            )
        ]
        risks = [
            RiskRow(r[0], r[1], r[2], r[3], r[4], r[5], d(r[6]))
            for r in raw.execute(
                "SELECT id, account_id, kind, severity, status, title, opened_on FROM risk "
                "WHERE status != 'resolved' "
                "AND (opened_on >= ? OR severity IN ('high', 'critical'))",
                (recent,),
            )
        ]
        renewals: dict[tuple[int, date], RenewalRow] = {}
        for r in raw.execute(
            "SELECT id, account_id, renewal_date, status, checklist FROM renewal "
            "WHERE renewal_date <= ?",
            (renewal_horizon,),
        ):
            on = d(r[2])
            renewals[(r[1], on)] = RenewalRow(r[0], r[1], on, r[3], checklist_count(r[4]))
    return Book(
        accounts=accounts,
        last_touch=last_touch,
        last_review=last_review,
        milestones=milestones,
        actions=actions,
        risks=risks,
        renewals=renewals,
        settings=settings,
        checklist_size=len(CHECKLIST),
    )


def account_currencies(db: Database) -> dict[int, str]:
    """Each active account's currency, for showing the ARR beside Today's rows."""
    with db.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        return dict(
            raw.execute(
                "SELECT id, currency FROM account "
                "WHERE archived_at IS NULL AND lifecycle != 'churned'"
            )
        )


def load_states(db: Database) -> dict[str, tuple[date | None, date | None]]:
    """Every Today state: key -> (snoozed until, done on)."""
    with db.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        return {
            key: (_day(snoozed), _day(done))
            for key, snoozed, done in raw.execute(
                "SELECT key, snoozed_until, done_on FROM todaystate"
            )
        }


# --- the queue ---------------------------------------------------------------------------------


def hidden_by(
    item: TodayItem, state: tuple[date | None, date | None] | None, today: date
) -> str | None:
    """``"snoozed"``, ``"done"`` or ``None`` (shown) for an item and its stored state."""
    if state is None:
        return None
    snoozed_until, done_on = state
    if done_on is not None and (
        item.done_hides_days is None or today < done_on + timedelta(days=item.done_hides_days)
    ):
        return "done"
    if snoozed_until is not None and today < snoozed_until:
        return "snoozed"
    return None


def compute_today(
    db: Database,
    today: date,
    *,
    settings: RhythmSettings | None = None,
    registry: Registry | None = None,
    book: Book | None = None,
) -> TodayQueue:
    """Today's queue for the whole book (ordering and keys: :mod:`csmdesk.domain.today`).

    A plugged-in source that needs more than the snapshot gets it through ``book``: the caller
    passes ``dataclasses.replace(load_book(db, today), extra={...})`` and its own ``registry``."""
    registry = registry or td.REGISTRY
    with _no_gc():
        return _compute(db, today, settings, registry, book)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Tens of thousands of small acyclic tuples: cyclic collection would only cost time (about
    a fifth of the whole on a 5,000-account book)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compute(
    db: Database,
    today: date,
    settings: RhythmSettings | None,
    registry: Registry,
    book: Book | None,
) -> TodayQueue:
    book = book or load_book(db, today, settings=settings)
    raw_items = registry.collect(book, today)
    states = load_states(db)
    visible: list[TodayItem] = []
    snoozed = done = 0
    if states:
        for item in raw_items:
            why = hidden_by(item, states.get(item.key), today)
            if why is None:
                visible.append(item)
            elif why == "done":
                done += 1
            else:
                snoozed += 1
    else:
        visible = raw_items
    return TodayQueue(
        today=today,
        items=tuple(td.ordered(visible, today, registry)),
        categories=tuple(registry.categories),
        snoozed=snoozed,
        done=done,
    )


# --- what the CSM does with an item ----------------------------------------------------------


def snooze_until(today: date, choice: SnoozeChoice) -> date:
    """The day a snoozed item comes back: tomorrow for "day", a week today for "week"."""
    return today + timedelta(days=1 if choice == "day" else 7)


def snooze(db: Database, key: str, until: date, *, today: date | None = None) -> None:
    """Hide the item with ``key`` until ``until`` (back on that day); kept across restarts."""
    _check_key(key)
    if today is not None and until <= today:
        raise ValidationError({"until": "Snooze until a day after today."})
    with db.session() as s:
        state = s.get(TodayState, key) or TodayState(key=key)
        state.snoozed_until = until
        state.done_on = None
        state.updated_at = utcnow()
        s.add(state)


def mark_done(db: Database, item: TodayItem, today: date) -> None:
    """Complete the item's record (milestones, action items) or remember it as done."""
    handler = DONE_HANDLERS.get(item.category)
    if handler is not None:
        handler(db, item, today)
        clear_state(db, item.key)
        return
    _check_key(item.key)
    with db.session() as s:
        state = s.get(TodayState, item.key) or TodayState(key=item.key)
        state.done_on = today
        state.snoozed_until = None
        state.updated_at = utcnow()
        s.add(state)


def undo_done(db: Database, item: TodayItem) -> None:
    """Take back ``mark_done``: reopen the record, or forget the stored state."""
    handler = DONE_HANDLERS.get(item.category)
    if handler is not None:
        handler(db, item, None)
    clear_state(db, item.key)


def clear_state(db: Database, key: str) -> None:
    """Forget any snooze or done on ``key`` (the item shows again if its source yields it)."""
    with db.session() as s:
        s.execute(delete(TodayState).where(col(TodayState.key) == key))


def state_of(db: Database, key: str) -> TodayState | None:
    with db.session() as s:
        return s.get(TodayState, key)


def prune_states(
    db: Database,
    today: date,
    *,
    keep_days: int = PRUNE_KEEP_DAYS,
    live_keys: Iterable[str] | None = None,
    registry: Registry | None = None,
) -> int:
    """Delete inert state rows; returns how many. Inert: a snooze that has run out with no done,
    or a row whose key no source yields today (``live_keys``, computed when not given) and whose
    dates are all more than ``keep_days`` old."""
    if live_keys is None:
        book = load_book(db, today)
        live = {item.key for item in (registry or td.REGISTRY).collect(book, today)}
    else:
        live = set(live_keys)
    cutoff = today - timedelta(days=keep_days)
    stale: list[str] = []
    for key, (snoozed, done) in load_states(db).items():
        run_out = done is None and (snoozed is None or snoozed <= today)
        gone = key not in live and all(d is None or d < cutoff for d in (snoozed, done))
        if run_out or gone:
            stale.append(key)
    with db.session() as s:
        for start in range(0, len(stale), 500):
            chunk = stale[start : start + 500]
            s.execute(delete(TodayState).where(col(TodayState.key).in_(chunk)))
    if stale:
        log.info("pruned %d Today states", len(stale))
    return len(stale)


def _check_key(key: str) -> None:
    if not key or len(key) > 160 or ":" not in key:
        raise ValidationError({"key": f"'{key}' is not a Today item key."})
