"""The health of the whole book: accounts and ARR by band, the renewals of the next year,
and the rhythm of the last year (:func:`rhythm_measures`).

Reads each account's cached score (``healthscore``, kept by :mod:`csmdesk.services.health`)
beside the account itself, in one query over the active book. Money is summed in one
reporting currency only (the book's most common one): amounts in other currencies are
counted but never converted, because a desk tool has no exchange rates it could vouch for.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from csmdesk.domain.rhythm import add_months
from csmdesk.models import Account, HealthScore, Lifecycle
from csmdesk.services import onboarding, rhythm
from csmdesk.services.onboarding import OnboardingMeasures
from csmdesk.services.rhythm import BookReviews
from csmdesk.store import Database

log = logging.getLogger(__name__)

BANDS = ("healthy", "watch", "at_risk")
UNSCORED = "unscored"
ALL_BANDS = (*BANDS, UNSCORED)
MONTHS_AHEAD = 12
DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class BookHealth:
    """Plain figures for the Book health page; every dict has a key for each of ``ALL_BANDS``.

    Money is in minor units of ``currency``; accounts in other currencies count in ``counts``
    and ``account_ids`` but not in any money figure.
    """

    today: date
    currency: str
    counts: dict[str, int]
    arr_minor: dict[str, int]
    other_currency_accounts: int
    other_currencies: tuple[str, ...]
    months: list[date]
    renewals_minor: dict[str, list[int]]
    renewal_total_minor: int
    account_ids: dict[str, list[int]]

    @property
    def total_accounts(self) -> int:
        return sum(self.counts.values())

    @property
    def total_arr_minor(self) -> int:
        return sum(self.arr_minor.values())

    @property
    def is_empty(self) -> bool:
        return self.total_accounts == 0

    @property
    def window_end(self) -> date:
        """The last day whose renewals are counted (the end of the last month shown)."""
        return _month_end(self.months[-1])


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(first: date) -> date:
    return date.fromordinal(_add_months(first, 1).toordinal() - 1)


def reporting_currency(currencies: Counter[str]) -> str:
    """The most common currency; a tie goes to the first alphabetically."""
    if not currencies:
        return DEFAULT_CURRENCY
    return min(currencies, key=lambda code: (-currencies[code], code))


def book_health(db: Database, today: date) -> BookHealth:
    """The active book (not archived, not churned) as of ``today``.

    An account without a cached score, or whose score has no band, is ``"unscored"``; the
    band is the effective one, after any manual override. Renewals count from ``today``
    to the end of the twelfth month starting with today's month; past renewal dates don't.
    """
    first = today.replace(day=1)
    months = [_add_months(first, i) for i in range(MONTHS_AHEAD)]
    window_end = _month_end(months[-1])
    query = (
        select(
            col(Account.id), col(Account.currency), col(Account.arr_minor),
            col(Account.renewal_date), col(HealthScore.effective_band),
        )
        .select_from(Account)
        .outerjoin(HealthScore, col(HealthScore.account_id) == col(Account.id))
        .where(
            col(Account.archived_at).is_(None),
            col(Account.lifecycle) != Lifecycle.CHURNED.value,
        )
        .order_by(col(Account.id))
    )  # fmt: skip
    with db.engine.connect() as conn:
        rows: list[Any] = list(conn.execute(query))

    currency = reporting_currency(Counter(row[1] for row in rows))
    counts = dict.fromkeys(ALL_BANDS, 0)
    arr = dict.fromkeys(ALL_BANDS, 0)
    ids: dict[str, list[int]] = {band: [] for band in ALL_BANDS}
    renewals = {band: [0] * MONTHS_AHEAD for band in ALL_BANDS}
    others: Counter[str] = Counter()
    start_index = first.year * 12 + first.month
    for account_id, code, arr_minor, renewal, raw_band in rows:
        band = raw_band if raw_band in BANDS else UNSCORED
        counts[band] += 1
        ids[band].append(account_id)
        if code != currency:
            if arr_minor:
                others[code] += 1
            continue
        arr[band] += arr_minor
        if renewal is not None and today <= renewal <= window_end:
            renewals[band][renewal.year * 12 + renewal.month - start_index] += arr_minor
    return BookHealth(
        today=today,
        currency=currency,
        counts=counts,
        arr_minor=arr,
        other_currency_accounts=sum(others.values()),
        other_currencies=tuple(sorted(others)),
        months=months,
        renewals_minor=renewals,
        renewal_total_minor=sum(sum(values) for values in renewals.values()),
        account_ids=ids,
    )


@dataclass(frozen=True)
class RhythmMeasures:
    """The book's rhythm over the ``months`` before ``today``: onboardings started in the
    period (on time within their first 30 days; time to first value) and the QBRs/EBRs that
    fell due in it (held by their due date)."""

    start: date
    today: date
    months: int
    onboarding: OnboardingMeasures
    reviews: BookReviews
    review_months: int

    @property
    def onboardings(self) -> int:
        """Onboarding plans started in the period (one per account, its latest)."""
        return len(self.onboarding.runs)


def rhythm_measures(db: Database, today: date, months: int = MONTHS_AHEAD) -> RhythmMeasures:
    """On-time onboarding, time to first value and reviews on schedule over the last
    ``months``: from the day after ``today`` minus ``months`` through ``today``."""
    start = add_months(today, -months) + timedelta(days=1)
    settings = rhythm.load_settings(db)
    return RhythmMeasures(
        start=start,
        today=today,
        months=months,
        onboarding=onboarding.onboarding_measures(db, start, today, today),
        reviews=rhythm.reviews_on_schedule(db, (start, today), as_of=today, settings=settings),
        review_months=settings.review_months,
    )
