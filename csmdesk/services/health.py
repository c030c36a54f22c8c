"""Account health: gathering the facts from the book, scoring them, keeping the latest scores.

The scoring rules live in :mod:`csmdesk.domain.health`; this module only reads what they need
(in a handful of queries for the whole book), stores each account's latest score in the
``healthscore`` table so the book opens with its Health column filled, and manages the CSM's
manual overrides and the scoring settings.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlmodel import Session, col

from csmdesk.domain import health
from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.health import AccountFacts, Band, Override, Person, Reading, Score, Settings
from csmdesk.domain.readings import METRICS
from csmdesk.models import (
    Account,
    Contact,
    HealthOverride,
    HealthScore,
    Lifecycle,
    Meta,
    Touchpoint,
    utcnow,
)
from csmdesk.services import rhythm as rhythm_service
from csmdesk.store import Database

log = logging.getLogger(__name__)

SETTINGS_KEY = "health.settings"
_MAX_IN = 900  # bound parameters in one IN (SQLite's old limit is 999)
HISTORY_DAYS = 400  # a year of history plus the 30 days movers compare against
Progress = Callable[[int, int], bool]


class RecomputeCancelled(Exception):
    """The user cancelled a whole-book recompute; the stored scores are unchanged."""


# --- settings ----------------------------------------------------------------------------


def load_settings(db: Database) -> Settings:
    with db.engine.connect() as conn:
        raw = conn.execute(
            select(col(Meta.value)).where(col(Meta.key) == SETTINGS_KEY)
        ).scalar_one_or_none()
    if not raw:
        return Settings()
    try:
        return Settings.from_json(raw)
    except (ValueError, health.SettingsError):
        log.warning("stored health settings are unreadable; using the defaults")
        return Settings()


def save_settings(db: Database, settings: Settings) -> None:
    text = settings.to_json()
    Settings.from_json(text)  # validates
    with db.session() as s:
        s.merge(Meta(key=SETTINGS_KEY, value=text))


# --- facts -------------------------------------------------------------------------------


def _in(column: Any, ids: list[int] | None) -> list[Any]:
    return [] if ids is None else [col(column).in_(ids)]


def _raw_in(column: str, ids: list[int] | None) -> str:
    """A parameterised ``IN`` for a few accounts; a long list reads all and filters later."""
    if ids is None or len(ids) > _MAX_IN:
        return ""
    return f" AND {column} IN ({', '.join('?' * len(ids))})" if ids else " AND 0"


def gather_facts(
    db: Database, on: date, account_ids: Iterable[int] | None = None
) -> dict[int, AccountFacts]:
    """Everything scoring needs for these accounts (default: the active book), in five queries."""
    ids = None if account_ids is None else sorted(set(account_ids))
    since = on - timedelta(days=HISTORY_DAYS)
    readings: dict[int, list[Reading]] = {}
    touchpoints: dict[int, list[date]] = {}
    people: dict[int, list[Person]] = {}
    overrides: dict[int, Override] = {}
    with db.engine.connect() as conn:
        account_rows: Any = conn.execute(
            select(
                col(Account.id), col(Account.licensed_seats), col(Account.segment),
                col(Account.lifecycle), col(Account.contract_start), col(Account.renewal_date),
                col(Account.payment_issue), col(Account.cadence_days),
            ).where(
                col(Account.archived_at).is_(None),
                col(Account.lifecycle) != Lifecycle.CHURNED.value,  # no longer a customer
                *_in(Account.id, ids),
            )
        )  # fmt: skip
        accounts = list(account_rows)
        # Hundreds of thousands of rows: read them with the driver's own cursor (a third of
        # the time of a SQLAlchemy result) and build the tuples directly.
        sql = (
            f'SELECT account_id, "on", {", ".join(METRICS)} FROM healthreading '
            f'WHERE "on" BETWEEN ? AND ?{_raw_in("account_id", ids)} ORDER BY account_id, "on"'
        )
        bound = ids if ids is not None and _raw_in("", ids) else []
        cursor = conn.connection.driver_connection.execute(  # type: ignore[union-attr]
            sql, (since.isoformat(), on.isoformat(), *bound)
        )
        rows = cursor.fetchall()
        days = {text: date.fromisoformat(text) for text in {row[1] for row in rows}}
        make = tuple.__new__
        for account_id, group in groupby(rows, itemgetter(0)):
            readings[account_id] = [make(Reading, (days[r[1]], *r[2:])) for r in group]
        touch_rows: Any = conn.execute(
            select(col(Touchpoint.account_id), col(Touchpoint.occurred_at))
            .where(*_in(Touchpoint.account_id, ids))
            .order_by(col(Touchpoint.account_id), col(Touchpoint.occurred_at))
        )
        for account_id, when in touch_rows:
            if when.date() <= on:
                touchpoints.setdefault(account_id, []).append(when.date())
        contact_rows: Any = conn.execute(
            select(
                col(Contact.account_id), col(Contact.name), col(Contact.roles),
                col(Contact.left_on),
            ).where(*_in(Contact.account_id, ids))
        )  # fmt: skip
        for account_id, name, roles, left_on in contact_rows:
            person = Person(name, tuple(r for r in roles.split(",") if r), left_on)
            people.setdefault(account_id, []).append(person)
        override_rows: Any = conn.execute(
            select(
                col(HealthOverride.account_id), col(HealthOverride.band),
                col(HealthOverride.reason), col(HealthOverride.set_on),
                col(HealthOverride.expires_on),
            )
            .where(col(HealthOverride.cleared_at).is_(None), *_in(HealthOverride.account_id, ids))
            .order_by(col(HealthOverride.set_on), col(HealthOverride.id))
        )  # fmt: skip
        for account_id, band, reason, set_on, expires_on in override_rows:
            overrides[account_id] = Override(Band(band), reason, set_on, expires_on)
    facts: dict[int, AccountFacts] = {}
    settings = rhythm_service.load_settings(db)
    for account_id, seats, segment, lifecycle, start, renewal, payment, cadence in accounts:
        facts[account_id] = AccountFacts(
            seats=seats,
            segment=segment,
            lifecycle=lifecycle,
            contract_start=start,
            renewal_date=renewal,
            payment_issue=payment,
            cadence_days=cadence,
            readings=tuple(readings.get(account_id, ())),
            touchpoints=tuple(touchpoints.get(account_id, ())),
            people=tuple(people.get(account_id, ())),
            override=overrides.get(account_id),
            rhythm=settings,
        )
    return facts


# --- scores --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedScore:
    """What the book table shows for an account."""

    on: date
    value: int | None
    band: str | None
    effective_band: str | None
    trend: int | None
    explanation: str


def _detail(score: Score) -> str:
    return json.dumps(
        {
            "components": [
                {
                    "key": c.key,
                    "label": c.label,
                    "points": c.points,
                    "weight": c.weight,
                    "share": c.share,
                    "detail": c.detail,
                }
                for c in score.components
            ],
            "missing": list(score.missing),
            "movers": list(score.movers),
            "override": None
            if score.override is None
            else {
                "band": score.override.band.value,
                "reason": score.override.reason,
                "expires_on": score.override.expires_on.isoformat(),
            },
        },
        ensure_ascii=False,
    )


def score_book(
    db: Database,
    on: date,
    *,
    account_ids: Iterable[int] | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
) -> dict[int, Score]:
    """Score the accounts (default: the whole active book) as of ``on``; nothing is stored."""
    facts = gather_facts(db, on, account_ids)
    return score_facts(facts, on, settings or load_settings(db), progress)


def score_facts(
    facts: dict[int, AccountFacts], on: date, settings: Settings, progress: Progress | None = None
) -> dict[int, Score]:
    """Score these facts; nothing is stored.

    A whole book is a second or more of Python. On a worker thread (the window's recompute)
    that would hold the GIL most of the time, and every call from Qt into Python on the GUI
    thread (each filter test, each painted cell) waits for it; so off the main thread the loop
    sleeps for no time every 16 accounts (about 1 ms of work), a real gap in which a waiting
    thread takes the GIL (about 5% slower; the command line, on the main thread, skips it).
    """
    from threading import current_thread, main_thread
    from time import sleep

    gap = 0 if current_thread() is main_thread() else 16
    scores: dict[int, Score] = {}
    total = len(facts)
    for done, (account_id, account_facts) in enumerate(facts.items(), start=1):
        scores[account_id] = health.score(account_facts, on, settings)
        if gap and done % gap == 0:
            sleep(0)
        reported = progress is not None and (done % 250 == 0 or done == total)
        if reported and progress is not None and not progress(done, total):
            raise RecomputeCancelled("Recompute cancelled; the scores were left as they were.")
    return scores


def store_scores(db: Database, scores: dict[int, Score]) -> None:
    """Replace the cached scores of these accounts in one transaction."""
    if not scores:
        return
    now = utcnow()
    rows = [
        {
            "account_id": account_id,
            "on": score.on,
            "value": score.value,
            "band": score.band.value if score.band else None,
            "effective_band": score.effective_band.value if score.effective_band else None,
            "trend": score.trend,
            "explanation": score.explanation,
            "detail": _detail(score),
            "computed_at": now,
        }
        for account_id, score in scores.items()
    ]
    ids = list(scores)
    with db.session() as s:
        for start in range(0, len(ids), 500):
            s.execute(
                delete(HealthScore).where(col(HealthScore.account_id).in_(ids[start : start + 500]))
            )
        s.execute(insert(HealthScore), rows)


def recompute(
    db: Database,
    on: date,
    *,
    account_ids: Iterable[int] | None = None,
    progress: Progress | None = None,
) -> dict[int, Score]:
    """Score and store, then bring the risk signals of the same accounts up to date; the whole
    book when ``account_ids`` is None.

    Accounts asked for that are no longer scored (churned, archived) lose their stored score.
    """
    from csmdesk.services import signals

    ids = None if account_ids is None else list(account_ids)
    facts = gather_facts(db, on, ids)
    scores = score_facts(facts, on, load_settings(db), progress)
    store_scores(db, scores)
    if ids is not None:
        gone = set(ids) - set(scores)
        if gone:
            forget_scores(db, gone)
    changes = signals.refresh_risks(db, on, facts, scores, whole_book=ids is None)
    log.info(
        "health recomputed for %s account(s) as of %s; risks %s",
        len(scores), on, changes.describe(),
    )  # fmt: skip
    return scores


def stale_count(db: Database, on: date) -> int:
    """Accounts whose stored score is missing or not from ``on`` (a cheap check at start-up)."""
    query = (
        select(func.count())
        .select_from(Account)
        .outerjoin(HealthScore, col(HealthScore.account_id) == col(Account.id))
        .where(
            col(Account.archived_at).is_(None),
            col(Account.lifecycle) != Lifecycle.CHURNED.value,
            or_(col(HealthScore.on).is_(None), col(HealthScore.on) != on),
        )
    )
    with db.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def forget_scores(db: Database, account_ids: Iterable[int]) -> None:
    """Drop cached scores (e.g. of an account that churned or was archived)."""
    ids = list(account_ids)
    with db.session() as s:
        s.execute(delete(HealthScore).where(col(HealthScore.account_id).in_(ids)))


def cached_scores(db: Database) -> dict[int, CachedScore]:
    with db.engine.connect() as conn:
        rows: Any = conn.execute(
            select(
                col(HealthScore.account_id), col(HealthScore.on), col(HealthScore.value),
                col(HealthScore.band), col(HealthScore.effective_band), col(HealthScore.trend),
                col(HealthScore.explanation),
            )
        )  # fmt: skip
        return {row[0]: CachedScore(*row[1:]) for row in rows}


@dataclass(frozen=True)
class AccountHealth:
    """Everything the Health tab shows for one account."""

    score: Score | None
    history: list[Score]  # weekly, oldest first
    readings: tuple[Reading, ...]
    seats: int | None
    overrides: list[HealthOverride]
    settings: Settings


def account_health(db: Database, account_id: int, on: date, weeks: int = 52) -> AccountHealth:
    settings = load_settings(db)
    facts = gather_facts(db, on, [account_id]).get(account_id)
    overrides = list_overrides(db, account_id)
    if facts is None:
        return AccountHealth(None, [], (), None, overrides, settings)
    start = health.account_start(facts)  # no history before the customer was one
    dates = [on - timedelta(weeks=w) for w in range(weeks, -1, -1)]
    dates = [d for d in dates if start is None or d >= start] or [on]
    history = health.history(facts, dates, settings)
    return AccountHealth(history[-1], history, facts.readings, facts.seats, overrides, settings)


# --- overrides -------------------------------------------------------------------------------


def set_override(
    db: Database, account_id: int, band: str, reason: str, expires_on: date, *, today: date
) -> HealthOverride:
    """The CSM's judgement over the numbers, until ``expires_on``; replaces any active one."""
    errors: dict[str, str] = {}
    if band not in {b.value for b in Band}:
        errors["band"] = f"'{band}' is not a band (healthy, watch or at_risk)."
    if not reason.strip():
        errors["reason"] = "Say why the score is overridden."
    if expires_on < today:
        errors["expires_on"] = "The override must last until today or later."
    if errors:
        raise ValidationError(errors)
    with db.session() as s:
        _clear_active(s, account_id)
        override = HealthOverride(
            account_id=account_id,
            band=band,
            reason=reason.strip()[:500],
            set_on=today,
            expires_on=expires_on,
        )
        s.add(override)
        s.flush()
        return override


def _clear_active(s: Session, account_id: int) -> None:
    s.execute(
        update(HealthOverride)
        .where(
            col(HealthOverride.account_id) == account_id,
            col(HealthOverride.cleared_at).is_(None),
        )
        .values(cleared_at=utcnow())
    )


def clear_override(db: Database, account_id: int) -> None:
    with db.session() as s:
        _clear_active(s, account_id)


def list_overrides(db: Database, account_id: int) -> list[HealthOverride]:
    with db.session() as s:
        return list(
            s.scalars(
                select(HealthOverride)
                .where(col(HealthOverride.account_id) == account_id)
                .order_by(col(HealthOverride.set_on), col(HealthOverride.id))
            )
        )
