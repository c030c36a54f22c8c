"""The book's rhythm: the CSM's cadence and review settings, and where each account stands.

Settings live in Meta under ``rhythm.settings`` (JSON, see ``RhythmSettings.to_json``); an
unreadable stored value falls back to the defaults with a warning, never an error on start-up.
The rules themselves are in :mod:`csmdesk.domain.rhythm`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from csmdesk.domain import rhythm
from csmdesk.domain.rhythm import RenewalWindow, ReviewSchedule, RhythmSettings
from csmdesk.models import Account, Meta, Touchpoint, TouchpointKind
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database
from csmdesk.store.errors import classify

log = logging.getLogger(__name__)

SETTINGS_KEY = "rhythm.settings"
REVIEW_TOUCHPOINT_KINDS = (TouchpointKind.QBR.value, TouchpointKind.EBR.value)


def load_settings(db: Database) -> RhythmSettings:
    with db.engine.connect() as conn:
        raw = conn.execute(
            select(col(Meta.value)).where(col(Meta.key) == SETTINGS_KEY)
        ).scalar_one_or_none()
    if not raw:
        return RhythmSettings()
    try:
        return RhythmSettings.from_json(raw)
    except (ValueError, TypeError):
        log.warning("stored rhythm settings are unreadable; using the defaults")
        return RhythmSettings()


def save_settings(db: Database, settings: RhythmSettings) -> None:
    """Store the settings; a known SQLite failure (busy, full, read-only…) is raised as the
    ``DatabaseProblem`` that tells the user what happened, anything else as it came."""
    text = settings.to_json()
    RhythmSettings.from_json(text)  # validates
    try:
        with db.session() as s:
            s.merge(Meta(key=SETTINGS_KEY, value=text))
    except DBAPIError as exc:
        problem = classify(exc, db.path)
        if problem is None:
            raise
        raise problem from exc


@dataclass(frozen=True)
class AccountRhythm:
    """Where one account stands on ``today``."""

    cadence_days: int
    cadence_is_own: bool  # the account's own cadence, not the default
    last_touch: date | None
    next_touch_due: date | None
    review_kind: str  # "qbr" or "ebr"
    last_review: date | None
    next_review_due: date | None
    renewal_date: date | None
    renewal_window: RenewalWindow | None
    in_prep_window: bool


def account_rhythm(
    db: Database, account_id: int, today: date, *, settings: RhythmSettings | None = None
) -> AccountRhythm:
    settings = settings or load_settings(db)
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=UTC)
    with db.session() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise NotFoundError(f"account {account_id} does not exist")
        last_any, last_review = s.execute(
            select(
                func.max(col(Touchpoint.occurred_at)),
                func.max(col(Touchpoint.occurred_at)).filter(
                    col(Touchpoint.kind).in_(REVIEW_TOUCHPOINT_KINDS)
                ),
            ).where(
                col(Touchpoint.account_id) == account_id,
                col(Touchpoint.occurred_at) < tomorrow,
            )
        ).one()
    last_touch = _day(last_any)
    review = _day(last_review)
    cadence = rhythm.cadence_days(
        account.segment,
        account.lifecycle,
        account.contract_start,
        today,
        override=account.cadence_days,
        settings=settings,
    )
    start = account.contract_start or account.created_at.date()
    renewal = account.renewal_date
    return AccountRhythm(
        cadence_days=cadence,
        cadence_is_own=account.cadence_days is not None and account.cadence_days > 0,
        last_touch=last_touch,
        next_touch_due=rhythm.next_touchpoint_due(last_touch, start, cadence),
        review_kind=settings.review_kind_for(account.segment, account.review_kind),
        last_review=review,
        next_review_due=rhythm.next_review_due(
            review, account.contract_start, settings.review_months
        ),
        renewal_date=renewal,
        renewal_window=(
            None
            if renewal is None
            else rhythm.renewal_window(renewal, today, settings.renewal_windows)
        ),
        in_prep_window=rhythm.in_prep_window(renewal, today, settings.renewal_prep_days),
    )


@dataclass(frozen=True)
class BookReviews:
    """Reviews due in a period across the book, and how many were held by their due date."""

    due: int
    held: int
    by_account: dict[int, ReviewSchedule]

    @property
    def share(self) -> float | None:
        return self.held / self.due if self.due else None


def reviews_on_schedule(
    db: Database,
    period: tuple[date, date],
    *,
    as_of: date | None = None,
    settings: RhythmSettings | None = None,
) -> BookReviews:
    """QBRs/EBRs on schedule over the book (the rule in :func:`rhythm.reviews_on_schedule`).

    Counts every account that is not archived and has a contract start, churned ones included
    (their missed reviews before leaving still count), from their contract start. A review is a
    touchpoint of kind QBR or EBR, whichever the account is expected to hold.
    """
    months = (settings or load_settings(db)).review_months
    starts, reviews = review_history(db)
    return book_reviews(starts, reviews, months, period, as_of=as_of)


def review_history(db: Database) -> tuple[dict[int, date], dict[int, list[date]]]:
    """The contract start of each account counted for reviews (not archived, with a start),
    and the UTC days of each account's QBR/EBR touchpoints."""
    kinds = tuple(REVIEW_TOUCHPOINT_KINDS)
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        # Dates straight from the stored text: decoding 100,000 timestamps into aware datetimes
        # only to take their UTC day costs more than the whole schedule walk.
        days: dict[str, date] = {}

        def day(text: str) -> date:
            return days.get(text) or days.setdefault(text, date.fromisoformat(text))

        starts = {
            account_id: day(start[:10])
            for account_id, start in raw.execute(
                "SELECT id, contract_start FROM account"
                " WHERE archived_at IS NULL AND contract_start IS NOT NULL"
            )
        }
        reviews: dict[int, list[date]] = {}
        marks = ", ".join("?" for _ in kinds)
        for account_id, text in raw.execute(
            "SELECT account_id, substr(occurred_at, 1, 10) FROM touchpoint"
            f" WHERE kind IN ({marks})",
            kinds,
        ):
            reviews.setdefault(account_id, []).append(day(text))
    return starts, reviews


def book_reviews(
    starts: dict[int, date],
    reviews: dict[int, list[date]],
    months: int,
    period: tuple[date, date],
    *,
    as_of: date | None = None,
) -> BookReviews:
    """Reviews on schedule from the accounts' contract starts and the days of their reviews."""
    by_account: dict[int, ReviewSchedule] = {}
    due = held = 0
    for account_id, start in sorted(starts.items()):
        schedule = rhythm.reviews_on_schedule(
            reviews.get(account_id, ()), start, months, period, as_of=as_of
        )
        if schedule.due:
            by_account[account_id] = schedule
            due += len(schedule.due)
            held += len(schedule.held)
    return BookReviews(due, held, by_account)


def _day(value: object) -> date | None:
    """The UTC day of an aggregated timestamp (a datetime, or the stored text)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    raise TypeError(f"unexpected timestamp {value!r}")
