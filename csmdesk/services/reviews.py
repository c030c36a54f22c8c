"""QBRs and EBRs: one review per account, kind and quarter, prefilled from the book and then
edited section by section; holding it logs the QBR/EBR touchpoint the rhythm counts.

The sections and their rules are in :mod:`csmdesk.domain.reviews`; the first draft is written
by :mod:`csmdesk.services.review_prefill`. What an export shows is gathered here
(:func:`review_content`) so the PDF and PowerPoint writers never touch the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.reviews import (
    SECTIONS,
    ReviewContent,
    UsageSeries,
    check_changes,
    check_kind,
    kind_label,
    period_bounds,
    period_of,
)
from csmdesk.models import Account, Contact, HealthReading, Review, Touchpoint, utcnow
from csmdesk.services import records, review_prefill
from csmdesk.services import rhythm as rhythm_service
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database

log = logging.getLogger(__name__)

HELD_AT = time(12, 0)  # a review held "on a day" is logged at noon UTC: the same day everywhere
CHART_DAYS = 365  # the usage chart looks back a year from the review's date


def list_reviews(db: Database, account_id: int) -> list[Review]:
    """The account's reviews, the latest period first."""
    with db.session() as s:
        return list(
            s.scalars(
                select(Review)
                .where(col(Review.account_id) == account_id)
                .order_by(col(Review.period).desc(), col(Review.kind), col(Review.id).desc())
            )
        )


def get_review(db: Database, review_id: int) -> Review:
    with db.session() as s:
        review = s.get(Review, review_id)
        if review is None:
            raise NotFoundError(f"review {review_id} does not exist")
        return review


def default_kind(db: Database, account: Account) -> str:
    """QBR or EBR as the rhythm settings say for the account's segment (its own choice wins)."""
    return rhythm_service.load_settings(db).review_kind_for(account.segment, account.review_kind)


def prefill(
    db: Database,
    account_id: int,
    on: date,
    kind: str | None = None,
    period: str | None = None,
) -> Review:
    """Create the account's review for ``period`` (the quarter of ``on`` by default), its
    sections drafted from the book as it stands on ``on``.

    ``ValidationError`` when the kind or period is not valid, or when the account already has
    that kind of review for the period (one per account, kind and quarter).
    """
    period = period_of(on) if period is None else period.strip()
    period_bounds(period)
    with db.session() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise NotFoundError(f"account {account_id} does not exist")
        kind = check_kind(kind or default_kind(db, account))
        _refuse_duplicate(s, account_id, kind, period)
        sections = review_prefill.compose(db, s, account, on)
        title = f"{account.name} {kind_label(kind)} {period}"
    with db.session() as s:
        _refuse_duplicate(s, account_id, kind, period)
        review = Review(account_id=account_id, kind=kind, period=period, title=title[:300])
        for key, text in sections.items():
            setattr(review, key, text)
        s.add(review)
        s.flush()
    log.info("review %s created for account %s (%s %s)", review.id, account_id, kind, period)
    return review


def _refuse_duplicate(s: Session, account_id: int, kind: str, period: str) -> None:
    taken = s.scalars(
        select(col(Review.id)).where(
            col(Review.account_id) == account_id,
            col(Review.kind) == kind,
            col(Review.period) == period,
        )
    ).first()
    if taken is not None:
        raise ValidationError(
            {"period": f"This account already has a {kind_label(kind)} for {period}."}
        )


def update_review(db: Database, review_id: int, changes: Mapping[str, object]) -> Review:
    """Save edited sections (and the title): every field checked first, all or nothing."""
    clean = check_changes(changes)
    with db.session() as s:
        review = s.get(Review, review_id)
        if review is None:
            raise NotFoundError(f"review {review_id} does not exist")
        for key, value in clean.items():
            setattr(review, key, value)
        if clean:
            review.updated_at = utcnow()
        s.flush()
        return review


def mark_held(
    db: Database,
    review_id: int,
    on: date,
    *,
    today: date | None = None,
    attendee_ids: Iterable[int] | None = None,
    duration_minutes: int | None = None,
) -> Review:
    """Record that the review took place on ``on``: logs a QBR/EBR touchpoint (with the
    current contacts as attendees unless ``attendee_ids`` says otherwise) and links it.

    Holding it again moves the day: the linked touchpoint is moved, never duplicated.
    """
    if today is not None and on > today:
        raise ValidationError({"held_on": "A review cannot be held in the future."})
    with db.session() as s:
        review = s.get(Review, review_id)
        if review is None:
            raise NotFoundError(f"review {review_id} does not exist")
        occurred = datetime.combine(on, HELD_AT, tzinfo=UTC)
        touchpoint = None
        if review.touchpoint_id is not None:
            touchpoint = s.get(Touchpoint, review.touchpoint_id)
        if touchpoint is not None:
            touchpoint.occurred_at = occurred
        else:
            if attendee_ids is None:
                attendee_ids = [
                    c.id
                    for c in s.scalars(
                        select(Contact).where(col(Contact.account_id) == review.account_id)
                    )
                    if c.id is not None and (c.left_on is None or c.left_on > on)
                ]
            touchpoint = records.log_touchpoint(
                db,
                review.account_id,
                review.kind,
                occurred,
                summary=review.title,
                duration_minutes=duration_minutes,
                attendee_ids=attendee_ids,
                session=s,
            )
            review.touchpoint_id = touchpoint.id
        review.held_on = on
        s.flush()
        return review


def delete_review(db: Database, review_id: int) -> None:
    """Delete the review; a touchpoint it logged stays (the meeting did happen)."""
    with db.session() as s:
        review = s.get(Review, review_id)
        if review is None:
            raise NotFoundError(f"review {review_id} does not exist")
        s.delete(review)


# --- what an export shows ----------------------------------------------------------------------


def as_of(review: Review, today: date) -> date:
    """The day a review speaks for: when it was held, else today but never past its quarter."""
    if review.held_on is not None:
        return review.held_on
    _, last = period_bounds(review.period)
    return min(today, last)


def usage_series(db: Database, account_id: int, period: str, until: date) -> UsageSeries:
    """Active users over the year up to ``until``, with the review's quarter marked."""
    start, end = period_bounds(period)
    with db.session() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise NotFoundError(f"account {account_id} does not exist")
        rows = s.execute(
            select(col(HealthReading.on), col(HealthReading.active_users))
            .where(
                col(HealthReading.account_id) == account_id,
                col(HealthReading.on) > until - timedelta(days=CHART_DAYS),
                col(HealthReading.on) <= until,
                col(HealthReading.active_users).is_not(None),
            )
            .order_by(col(HealthReading.on))
        ).all()
    return UsageSeries(
        dates=tuple(r[0] for r in rows),
        active_users=tuple(int(r[1]) for r in rows),
        seats=account.licensed_seats,
        period_start=start,
        period_end=min(end, until),
    )


def review_content(db: Database, review_id: int, today: date) -> ReviewContent:
    review = get_review(db, review_id)
    with db.session() as s:
        account = s.get(Account, review.account_id)
        if account is None:
            raise NotFoundError(f"account {review.account_id} does not exist")
    when = as_of(review, today)
    return ReviewContent(
        account_name=account.name,
        kind=review.kind,
        period=review.period,
        title=review.title,
        held_on=review.held_on,
        as_of=when,
        owner=account.owner,
        sections={key: getattr(review, key) for key in SECTIONS},
        usage=usage_series(db, review.account_id, review.period, when),
    )
