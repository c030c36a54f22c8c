"""The book's numbers, exactly as a finance team defines them. Pure: histories in, figures out.

Period P = [start, end], both dates inclusive.

ARR of an account at date d
    The ARR after its latest ARR event dated on or before d (0 when it has none). Two events on
    one date: the later-entered one (higher sequence) wins.

Cohort C
    The accounts with ARR > 0 on the day before ``start``. S_a is that ARR, E_a the ARR at
    ``end``, S = sum of S_a.

    churned     = sum S_a          over a in C with E_a = 0
    contraction = sum (S_a - E_a)  over a in C with 0 < E_a < S_a
    expansion   = sum (E_a - S_a)  over a in C with E_a > S_a
    new         = sum E_a          over accounts not in C with E_a > 0

    GRR = (S - churned - contraction) / S        NRR = (S + expansion - contraction - churned) / S
    logo retention = |{a in C : E_a > 0}| / |C|  expansion rate = expansion / S

    The ending ARR is S + new + expansion - contraction - churned: the bridge always closes.

NPS
    100 x (promoters - detractors) / responses over the responses (0-10) recorded in P;
    promoters answer 9-10, detractors 0-6.

Adoption
    sum min(active users, seats) / sum seats over accounts with seats > 0 and a reading of active
    users in the last 30 days of P (``end`` - 29 .. ``end``; each account's latest such reading);
    and the share of those accounts at 70% or more.

On-time onboarding
    Of the onboardings started in P, the share that completed every milestone not skipped within
    30 days of their start. One whose 30 days end after ``end`` and that is not complete yet is
    still pending and left out of the share; one with no milestone left to do is not measured.

Currency
    Figures are in one reporting currency. Amounts in another currency are converted at the rate
    the CSM entered (units of the reporting currency per unit of the other); an account in a
    currency with no rate is left out of every money figure and named in a warning.

A ratio with nothing to divide by is ``None`` (shown as "—"), never an error.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from csmdesk.domain.money import minor_factor
from csmdesk.domain.rhythm import add_months

ON_TIME_DAYS = 30
ADOPTION_WINDOW_DAYS = 30
ADOPTING_SHARE = 0.7

# The seed benchmarks a CSM is measured against: (low, high) as fractions, NPS as points.
BENCHMARKS: dict[str, tuple[float, float | None]] = {
    "grr": (0.90, None),
    "nrr": (1.00, None),
    "logo_retention": (0.90, None),
    "expansion_rate": (0.20, 0.30),
    "nps": (50.0, None),
    "adoption": (0.70, 0.80),
    "on_time_onboarding": (0.90, None),
    "qbrs_on_schedule": (0.90, None),
}

# Where each account of the bridge falls.
CHURNED, CONTRACTED, EXPANDED, NEW, FLAT = "churned", "contraction", "expansion", "new", "flat"


# --- periods -------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def previous(self) -> Period:
        """The period just before, of the same length: whole months move by months (a quarter
        to the quarter before, a year to the year before), anything else by days."""
        months = _whole_months(self)
        if months:
            start = add_months(self.start, -months)
            return Period(start, self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @property
    def label(self) -> str:
        if _whole_months(self) == 3 and self.start.day == 1 and self.start.month % 3 == 1:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.start == date(self.start.year, 1, 1) and self.end == date(self.start.year, 12, 31):
            return str(self.start.year)
        return f"{self.start.isoformat()} \u2013 {self.end.isoformat()}"


def _whole_months(period: Period) -> int:
    """How many calendar months the period spans when it is whole months, else 0.

    Whole months: it starts on the 1st and ends on a month's last day, or it ends the day
    before the same day of a later month (a trailing 12 months from 7 Dec to 6 Dec)."""
    for months in range(1, 121):
        if add_months(period.start, months) - timedelta(days=1) == period.end:
            return months
        if add_months(period.start, months) > period.end:
            break
    return 0


def trailing_months(end: date, months: int = 12) -> Period:
    """The ``months`` ending on ``end``: from the day after ``end`` minus ``months``."""
    return Period(add_months(end, -months) + timedelta(days=1), end)


def quarter_of(d: date) -> Period:
    first = date(d.year, (d.month - 1) // 3 * 3 + 1, 1)
    return Period(first, add_months(first, 3) - timedelta(days=1))


def year_of(d: date) -> Period:
    return Period(date(d.year, 1, 1), date(d.year, 12, 31))


def last_quarters(end: date, count: int = 8) -> list[Period]:
    """The ``count`` calendar quarters up to the one holding ``end`` (that one cut at ``end``),
    oldest first: the points of a sparkline."""
    current = quarter_of(end)
    out = [Period(current.start, end)]
    for _ in range(count - 1):
        out.append(quarter_of(out[-1].start - timedelta(days=1)))
    return out[::-1]


# --- currency ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    """The reporting currency and the CSM's rates: units of it per unit of each other one."""

    currency: str
    rates: Mapping[str, Decimal] = field(default_factory=dict)

    def can_convert(self, code: str) -> bool:
        return code == self.currency or code in self.rates

    def convert(self, minor: int, code: str) -> int | None:
        """``minor`` units of ``code`` in minor units of the reporting currency; ``None`` when
        there is no rate. Rounded half to even, once, at the end."""
        if code == self.currency:
            return minor
        rate = self.rates.get(code)
        if rate is None:
            return None
        value = Decimal(minor) / minor_factor(code) * rate * minor_factor(self.currency)
        return int(value.to_integral_value(ROUND_HALF_EVEN))


# --- ARR histories -------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrPoint:
    """One ARR event: the account's ARR after it, in ``currency``. ``seq`` orders events of
    one date (the order they were entered); ``event_id`` is for drill-down."""

    on: date
    seq: int
    arr_minor: int
    currency: str
    kind: str = ""
    event_id: int | None = None


# One event as stored: (ISO date, sequence, ARR after, currency, kind, event id). ISO dates sort
# and compare as text, so a history answers without building a date per event.
EventRow = tuple[str, int, int, str, str, int | None]


class ArrHistory:
    """One account's ARR events, sorted, answering "what was the ARR on d?" by bisection."""

    __slots__ = ("_keys", "_rows")

    def __init__(self, points: Iterable[ArrPoint] = ()) -> None:
        rows = [
            (p.on.isoformat(), p.seq, p.arr_minor, p.currency, p.kind, p.event_id) for p in points
        ]
        self._set(sorted(rows, key=lambda r: (r[0], r[1])))

    @classmethod
    def from_rows(cls, rows: list[EventRow]) -> ArrHistory:
        """From rows already sorted by date, then sequence (as a query's ORDER BY gives)."""
        history = cls.__new__(cls)
        history._set(rows)
        return history

    def _set(self, rows: list[EventRow]) -> None:
        self._rows = rows
        self._keys = [r[0] for r in rows]

    @staticmethod
    def _point(row: EventRow) -> ArrPoint:
        return ArrPoint(date.fromisoformat(row[0]), row[1], row[2], row[3], row[4], row[5])

    @property
    def points(self) -> list[ArrPoint]:
        return [self._point(r) for r in self._rows]

    def at(self, d: date) -> ArrPoint | None:
        """The event in force on ``d`` (the latest dated on or before it)."""
        index = bisect.bisect_right(self._keys, d.isoformat())
        return self._point(self._rows[index - 1]) if index else None

    def arr_at(self, key: str) -> tuple[int, str] | None:
        """(ARR after, currency) in force on the ISO date ``key``; ``None`` before any event."""
        index = bisect.bisect_right(self._keys, key)
        if not index:
            return None
        row = self._rows[index - 1]
        return row[2], row[3]

    def same_day_dates(self) -> list[date]:
        """Dates carrying more than one event (the later-entered one counts)."""
        keys = self._keys
        return sorted({date.fromisoformat(a) for a, b in itertools.pairwise(keys) if a == b})

    def between(self, period: Period) -> list[ArrPoint]:
        lo = bisect.bisect_left(self._keys, period.start.isoformat())
        hi = bisect.bisect_right(self._keys, period.end.isoformat())
        return [self._point(r) for r in self._rows[lo:hi]]


@dataclass(frozen=True)
class Movement:
    """One account's part in the bridge, in the reporting currency."""

    account_id: int
    start_minor: int  # S_a; 0 when the account is not in the cohort
    end_minor: int  # E_a
    category: str  # churned, contraction, expansion, new or flat

    @property
    def change_minor(self) -> int:
        return self.end_minor - self.start_minor


@dataclass(frozen=True)
class Retention:
    period: Period
    currency: str
    starting: int
    ending: int
    new: int
    expansion: int
    contraction: int
    churned: int
    cohort: int
    retained_logos: int
    movements: tuple[Movement, ...]
    unconverted: tuple[int, ...] = ()  # accounts left out: no rate for their currency

    @property
    def grr(self) -> float | None:
        return _ratio(self.starting - self.churned - self.contraction, self.starting)

    @property
    def nrr(self) -> float | None:
        return _ratio(
            self.starting + self.expansion - self.contraction - self.churned, self.starting
        )

    @property
    def logo_retention(self) -> float | None:
        return _ratio(self.retained_logos, self.cohort)

    @property
    def expansion_rate(self) -> float | None:
        return _ratio(self.expansion, self.starting)

    def accounts(self, category: str) -> list[Movement]:
        return [m for m in self.movements if m.category == category]


def _ratio(top: float, bottom: float) -> float | None:
    return top / bottom if bottom else None


def retention(histories: Mapping[int, ArrHistory], period: Period, rates: Rates) -> Retention:
    """GRR, NRR, logo retention and the bridge over ``period`` (see the module's definitions)."""
    before = (period.start - timedelta(days=1)).isoformat()
    end = period.end.isoformat()
    start_values: dict[int, tuple[int, str]] = {}
    end_values: dict[int, tuple[int, str]] = {}
    for account_id, history in histories.items():
        if (first := history.arr_at(before)) is not None:
            start_values[account_id] = first
        if (last := history.arr_at(end)) is not None:
            end_values[account_id] = last
    return retention_of(start_values, end_values, period, rates)


Values = Mapping[int, tuple[int, str]]


def retention_of(
    start_values: Values, end_values: Values, period: Period, rates: Rates
) -> Retention:
    """The same from each account's (ARR, currency) in force the day before ``period`` starts
    and on its last day (an account absent from a map had no event yet: ARR 0)."""
    totals = dict.fromkeys((NEW, EXPANDED, CONTRACTED, CHURNED), 0)
    starting = ending = cohort = retained = 0
    movements: list[Movement] = []
    unconverted: list[int] = []
    for account_id in sorted(start_values.keys() | end_values.keys()):
        first, last = start_values.get(account_id), end_values.get(account_id)
        s = _value(first, rates)
        e = _value(last, rates)
        if s is None or e is None:
            unconverted.append(account_id)
            continue
        if s > 0:
            cohort += 1
            starting += s
            if e == 0:
                category = CHURNED
                totals[CHURNED] += s
            else:
                retained += 1
                if e < s:
                    category = CONTRACTED
                    totals[CONTRACTED] += s - e
                elif e > s:
                    category = EXPANDED
                    totals[EXPANDED] += e - s
                else:
                    category = FLAT
            movements.append(Movement(account_id, s, e, category))
        elif e > 0:
            totals[NEW] += e
            movements.append(Movement(account_id, 0, e, NEW))
        ending += e
    return Retention(
        period=period,
        currency=rates.currency,
        starting=starting,
        ending=ending,
        new=totals[NEW],
        expansion=totals[EXPANDED],
        contraction=totals[CONTRACTED],
        churned=totals[CHURNED],
        cohort=cohort,
        retained_logos=retained,
        movements=tuple(movements),
        unconverted=tuple(sorted(unconverted)),
    )


def _value(point: tuple[int, str] | None, rates: Rates) -> int | None:
    if point is None or point[0] == 0:
        return 0
    return rates.convert(*point)


# --- NPS -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NpsResponse:
    account_id: int
    on: date
    score: int


@dataclass(frozen=True)
class Nps:
    period: Period
    responses: tuple[NpsResponse, ...]

    @property
    def promoters(self) -> int:
        return sum(1 for r in self.responses if r.score >= 9)

    @property
    def detractors(self) -> int:
        return sum(1 for r in self.responses if r.score <= 6)

    @property
    def passives(self) -> int:
        return len(self.responses) - self.promoters - self.detractors

    @property
    def score(self) -> float | None:
        if not self.responses:
            return None
        return 100 * (self.promoters - self.detractors) / len(self.responses)


def nps(responses: Iterable[NpsResponse], period: Period) -> Nps:
    inside = tuple(r for r in responses if period.contains(r.on) and 0 <= r.score <= 10)
    return Nps(period, inside)


# --- adoption ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageReading:
    account_id: int
    on: date
    active_users: int


@dataclass(frozen=True)
class AccountAdoption:
    account_id: int
    on: date
    active_users: int
    seats: int

    @property
    def used(self) -> int:
        return min(self.active_users, self.seats)

    @property
    def share(self) -> float:
        return self.used / self.seats


@dataclass(frozen=True)
class Adoption:
    period: Period
    accounts: tuple[AccountAdoption, ...]

    @property
    def value(self) -> float | None:
        return _ratio(sum(a.used for a in self.accounts), sum(a.seats for a in self.accounts))

    @property
    def adopting(self) -> tuple[AccountAdoption, ...]:
        return tuple(a for a in self.accounts if a.share >= ADOPTING_SHARE)

    @property
    def share_adopting(self) -> float | None:
        return _ratio(len(self.adopting), len(self.accounts))


def adoption_window(period: Period) -> Period:
    """The last 30 days of ``period`` (``end`` - 29 .. ``end``), whose readings count."""
    return Period(period.end - timedelta(days=ADOPTION_WINDOW_DAYS - 1), period.end)


def adoption(
    readings: Iterable[UsageReading], seats: Mapping[int, int | None], period: Period
) -> Adoption:
    """Each account's latest reading of active users in the last 30 days of ``period``."""
    window = adoption_window(period)
    latest: dict[int, UsageReading] = {}
    for reading in readings:
        if not window.contains(reading.on):
            continue
        known = latest.get(reading.account_id)
        if known is None or reading.on > known.on:
            latest[reading.account_id] = reading
    rows = []
    for account_id, reading in sorted(latest.items()):
        count = seats.get(account_id)
        if count is not None and count > 0:
            rows.append(AccountAdoption(account_id, reading.on, reading.active_users, count))
    return Adoption(period, tuple(rows))


# --- on-time onboarding ---------------------------------------------------------------------


@dataclass(frozen=True)
class OnboardingStep:
    completed_on: date | None
    skipped: bool


@dataclass(frozen=True)
class Onboarding:
    """One onboarding as far as on-time matters: its start, how many steps (milestones not
    skipped) it has, how many of those are not completed, and the last completion."""

    account_id: int
    start: date
    to_do: int
    undone: int
    last_done: date | None

    @classmethod
    def of(cls, account_id: int, start: date, steps: Iterable[OnboardingStep]) -> Onboarding:
        kept = [s for s in steps if not s.skipped]
        done = [s.completed_on for s in kept if s.completed_on is not None]
        return cls(account_id, start, len(kept), len(kept) - len(done), max(done, default=None))


@dataclass(frozen=True)
class OnTime:
    period: Period
    on_time: tuple[int, ...]
    late: tuple[int, ...]
    pending: tuple[int, ...]

    @property
    def value(self) -> float | None:
        return _ratio(len(self.on_time), len(self.on_time) + len(self.late))


def on_time_onboarding(onboardings: Iterable[Onboarding], period: Period) -> OnTime:
    """Onboardings started in ``period``: on time when every step not skipped was completed
    within 30 days of the start; judged as of ``period.end``."""
    buckets: dict[str, list[int]] = {"on_time": [], "late": [], "pending": []}
    for run in onboardings:
        if not period.contains(run.start) or not run.to_do:
            continue
        deadline = run.start + timedelta(days=ON_TIME_DAYS)
        late_done = run.last_done is not None and run.last_done > deadline
        if not run.undone and not late_done:
            buckets["on_time"].append(run.account_id)
        elif deadline < period.end or late_done:
            buckets["late"].append(run.account_id)
        else:
            buckets["pending"].append(run.account_id)
    return OnTime(
        period, tuple(buckets["on_time"]), tuple(buckets["late"]), tuple(buckets["pending"])
    )


# --- rounding for reports --------------------------------------------------------------------


def percent(value: float | None) -> float | None:
    """A fraction as a percentage rounded to one decimal (``0.9234`` → ``92.3``)."""
    return None if value is None else round(value * 100, 1)


def points(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
