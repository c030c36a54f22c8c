"""The book's numbers from the database: retention, NRR, NPS, adoption, onboarding, QBRs on
schedule, ARR at risk and health by ARR (definitions in :mod:`csmdesk.domain.kpis`).

    snapshot = load_snapshot(db, [period, period.previous()])   # one read of the book
    kpis = compute(snapshot, period)                              # pure, fast, repeatable

:func:`book_kpis` does both for one period. The dashboard loads one snapshot for the period,
the one before and the last eight quarters, then computes each from memory.

Archived accounts are left out everywhere (archiving is how an account leaves the book).
Money is in the reporting currency of :class:`KpiSettings`; other currencies convert at the
CSM's rates, and an account in a currency without a rate is named in a warning, never summed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from csmdesk.domain import kpis as k
from csmdesk.domain.kpis import (
    Adoption,
    ArrHistory,
    ArrPoint,
    Nps,
    NpsResponse,
    Onboarding,
    OnTime,
    Period,
    Rates,
    Retention,
    UsageReading,
)
from csmdesk.models import Lifecycle
from csmdesk.services import gcpause, rhythm
from csmdesk.services.kpi_settings import (  # re-exported: callers know them as kpis.*
    KpiSettings as KpiSettings,
)
from csmdesk.services.kpi_settings import RateError as RateError
from csmdesk.services.kpi_settings import load_settings as load_settings
from csmdesk.services.kpi_settings import parse_rate as parse_rate
from csmdesk.services.kpi_settings import save_settings as save_settings
from csmdesk.services.rhythm import BookReviews
from csmdesk.store import Database

log = logging.getLogger(__name__)

DEFAULT_CURRENCY = "USD"
RISK_HORIZONS = (90, 180)
RISK_MONTHS = 6
HEALTHY, WATCH, AT_RISK, UNSCORED = "healthy", "watch", "at_risk", "unscored"
BANDS = (HEALTHY, WATCH, AT_RISK, UNSCORED)
NOT_HEALTHY = (WATCH, AT_RISK, UNSCORED)
NAMES_IN_WARNING = 5
# Up to this many dates, ask SQLite for the ARR on each; beyond, reading every event once and
# bisecting is faster (measured on 60,000 events: 30 ms a date against 100 ms in all).
SQL_DATES = 3
FEW_WINDOWS = 3  # up to this many adoption windows, probe the index rather than scan


# --- one read of the book ---------------------------------------------------------------------


@dataclass(frozen=True)
class AccountFacts:
    account_id: int
    name: str
    currency: str
    arr_minor: int
    seats: int | None
    renewal_date: date | None
    lifecycle: str
    band: str  # effective health band, or "unscored"


@dataclass
class Snapshot:
    """What the numbers are computed from, read once; periods are computed from memory."""

    today: date
    settings: KpiSettings
    accounts: dict[int, AccountFacts]
    arr_on: dict[date, dict[int, tuple[int, str]]]  # the ARR in force on each date needed
    nps: list[NpsResponse]
    usage: list[UsageReading]
    onboardings: list[Onboarding]
    usage_windows: list[Period]
    review_history: tuple[dict[int, date], dict[int, list[date]]] | None = None
    review_months: int = 3
    same_day_events: list[tuple[int, date]] = field(default_factory=list)
    db: Database | None = None
    _histories: dict[int, ArrHistory] | None = None
    _current: Any = None  # ARR at risk and by health: the same for every period

    @property
    def histories(self) -> dict[int, ArrHistory]:
        """Every account's ARR events (read on first use: drill-down lists need them, the
        figures do not)."""
        if self._histories is None:
            assert self.db is not None, "a snapshot without its database has no histories"
            self._histories = load_histories(self.db, self.accounts)
        return self._histories

    @property
    def currency(self) -> str:
        if self.settings.currency:
            return self.settings.currency
        counts = Counter(a.currency for a in self.accounts.values())
        if not counts:
            return DEFAULT_CURRENCY
        return min(counts, key=lambda code: (-counts[code], code))

    @property
    def rates(self) -> Rates:
        return Rates(self.currency, self.settings.rates)

    def name(self, account_id: int) -> str:
        facts = self.accounts.get(account_id)
        return facts.name if facts else f"account {account_id}"


_DAYS: dict[str, date] = {}


def _iso(value: Any) -> date:
    """A stored date (``YYYY-MM-DD`` text) as a date; a book has only a few thousand."""
    if isinstance(value, date):
        return value
    found = _DAYS.get(value)
    if found is None:
        found = _DAYS[value] = date.fromisoformat(str(value)[:10])
    return found


def load_snapshot(
    db: Database,
    periods: Iterable[Period],
    *,
    today: date | None = None,
    settings: KpiSettings | None = None,
    reviews: bool = True,
) -> Snapshot:
    """Read what the KPIs of ``periods`` need: ARR events, NPS responses, the readings of the
    last 30 days of each period, onboarding plans and (with ``reviews``) QBRs on schedule."""
    periods = list(periods)
    today = today or datetime.now(UTC).date()
    settings = settings or load_settings(db)
    windows = sorted({k.adoption_window(p) for p in periods})
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        accounts = {
            row[0]: AccountFacts(
                row[0], row[1], row[2], row[3] or 0, row[4],
                _iso(row[5]) if row[5] else None, row[6], row[7] or UNSCORED,
            )
            for row in raw.execute(
                "SELECT a.id, a.name, a.currency, a.arr_minor, a.licensed_seats, a.renewal_date,"
                " a.lifecycle, h.effective_band FROM account a"
                " LEFT JOIN healthscore h ON h.account_id = a.id WHERE a.archived_at IS NULL"
            )
        }  # fmt: skip
        dates = sorted(_arr_dates(periods))
        histories = None
        if len(dates) <= SQL_DATES:
            arr_on = {d: _arr_on(raw, d, accounts) for d in dates}
        else:  # one read of every event, then a bisection per account and date
            histories = load_histories(db, accounts)
            arr_on = {d: _arr_from(histories, d) for d in dates}
        same_day = [
            (account_id, _iso(on))
            for account_id, on in raw.execute(
                'SELECT account_id, "on" FROM arrevent GROUP BY account_id, "on"'
                " HAVING COUNT(*) > 1"
            )
            if account_id in accounts
        ]
        first = min((p.start for p in periods), default=today)
        last = max((p.end for p in periods), default=today)
        nps = [
            NpsResponse(account_id, _iso(on), score)
            for account_id, on, score in raw.execute(
                'SELECT account_id, "on", nps FROM healthreading WHERE nps IS NOT NULL'
                ' AND +"on" BETWEEN ? AND ?',  # a scan: the index on (account, day) would not help
                (first.isoformat(), last.isoformat()),
            )
            if account_id in accounts
        ]
        usage = _usage(raw, windows, accounts)
        runs = _onboardings(raw, min(p.start for p in periods) if periods else today)
    return Snapshot(
        today,
        settings,
        accounts,
        arr_on,
        nps,
        usage,
        runs,
        windows,
        review_history=rhythm.review_history(db) if reviews else None,
        review_months=rhythm.load_settings(db).review_months,
        same_day_events=same_day,
        db=db,
        _histories=histories,
    )


def _arr_dates(periods: Iterable[Period]) -> set[date]:
    return {d for p in periods for d in (p.start - timedelta(days=1), p.end)}


def _arr_on(raw: Any, on: date, accounts: dict[int, AccountFacts]) -> dict[int, tuple[int, str]]:
    """Each account's (ARR, currency) after its latest event dated on or before ``on``; of two
    on one date the later-entered. One probe of ``ix_arrevent_account_on`` per account."""
    return {
        account_id: (arr, code)
        for account_id, arr, code in raw.execute(
            "SELECT a.id, e.arr_after_minor, e.currency FROM account a JOIN arrevent e"
            " ON e.id = (SELECT x.id FROM arrevent x WHERE x.account_id = a.id"
            ' AND x."on" <= ? ORDER BY x."on" DESC, x.id DESC LIMIT 1)',
            (on.isoformat(),),
        )
        if account_id in accounts
    }


def _arr_from(histories: dict[int, ArrHistory], on: date) -> dict[int, tuple[int, str]]:
    key = on.isoformat()
    found = {account_id: h.arr_at(key) for account_id, h in histories.items()}
    return {account_id: value for account_id, value in found.items() if value is not None}


def load_histories(db: Database, accounts: Iterable[int]) -> dict[int, ArrHistory]:
    """The ARR events of ``accounts``, oldest first."""
    wanted = set(accounts)
    rows: dict[int, list[k.EventRow]] = {}
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for account_id, on, seq, arr, code, kind in raw.execute(
            'SELECT account_id, "on", id, arr_after_minor, currency, kind FROM arrevent'
            ' ORDER BY account_id, "on", id'
        ):
            if account_id in wanted:
                rows.setdefault(account_id, []).append((on, seq, arr, code, kind, seq))
    return {account_id: ArrHistory.from_rows(r) for account_id, r in rows.items()}


def _usage(
    raw: Any, windows: Sequence[Period], accounts: dict[int, AccountFacts]
) -> list[UsageReading]:
    """Each account's latest reading of active users in each window: an index probe per
    account and window for a few windows, else one scan of the readings."""
    if not windows:
        return []
    if len(windows) <= FEW_WINDOWS:
        return [
            UsageReading(account_id, _iso(on), active)
            for w in windows
            for account_id, on, active in raw.execute(
                'SELECT r.account_id, r."on", r.active_users FROM account a JOIN healthreading r'
                " ON r.id = (SELECT x.id FROM healthreading x WHERE x.account_id = a.id"
                ' AND x."on" BETWEEN ? AND ? AND x.active_users IS NOT NULL'
                ' ORDER BY x."on" DESC LIMIT 1)',
                (w.start.isoformat(), w.end.isoformat()),
            )
            if account_id in accounts
        ]
    cases = " ".join(
        f"WHEN \"on\" BETWEEN '{w.start.isoformat()}' AND '{w.end.isoformat()}' THEN {i}"
        for i, w in enumerate(windows)
    )
    query = (
        f'SELECT account_id, MAX("on"), active_users FROM ('
        f'SELECT account_id, "on", active_users, CASE {cases} END AS w FROM healthreading'
        f" WHERE active_users IS NOT NULL AND \"on\" >= '{windows[0].start.isoformat()}'"
        f" AND \"on\" <= '{max(w.end for w in windows).isoformat()}')"
        " WHERE w IS NOT NULL GROUP BY account_id, w"
    )
    return [
        UsageReading(account_id, _iso(on), active)
        for account_id, on, active in raw.execute(query)
        if account_id in accounts
    ]


def _onboardings(raw: Any, since: date) -> list[Onboarding]:
    """The latest plan run of each account, as onboardings to judge.

    The grouping of :mod:`csmdesk.services.onboarding`: a run is the milestones of one plan
    with one stored start; it starts on that date, else the contract start, else its first
    due date; the latest run of an account is the one starting last (then the one placed
    last). Summed up by SQLite: building 50,000 milestone objects would take seconds.
    """
    latest: dict[int, tuple[str, int, Onboarding]] = {}
    for account_id, begin, first, to_do, undone, last_done in raw.execute(
        "SELECT m.account_id,"
        " COALESCE(m.start_date, a.contract_start, MIN(m.due_date)), MIN(m.position),"
        " SUM(COALESCE(m.skipped_reason, '') = ''),"
        " SUM(COALESCE(m.skipped_reason, '') = '' AND m.completed_on IS NULL),"
        " MAX(CASE WHEN COALESCE(m.skipped_reason, '') = '' THEN m.completed_on END)"
        " FROM milestone m JOIN account a ON a.id = m.account_id"
        " WHERE a.archived_at IS NULL AND m.plan IS NOT NULL AND m.plan != ''"
        # A run that started before the first period cannot count, and any later run of the
        # same account would be its latest: leaving those out changes no verdict.
        " AND (COALESCE(m.start_date, a.contract_start) IS NULL"
        "      OR COALESCE(m.start_date, a.contract_start) >= ?)"
        " GROUP BY m.account_id, m.plan, m.start_date",
        (since.isoformat(),),
    ):
        if begin is None:
            continue
        known = latest.get(account_id)
        if known is None or (begin, first) >= known[:2]:
            run = Onboarding(
                account_id, _iso(begin), to_do, undone, _iso(last_done) if last_done else None
            )
            latest[account_id] = (begin, first, run)
    return [run for *_, run in latest.values()]


# --- the numbers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskSlice:
    """Renewal ARR of not-Healthy accounts due in a month, by band (reporting currency)."""

    month: date
    by_band: dict[str, int]
    account_ids: dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class ArrAtRisk:
    today: date
    horizons: dict[int, dict[str, int]]  # days ahead → band → ARR
    horizon_accounts: dict[int, tuple[int, ...]]
    months: tuple[RiskSlice, ...]

    def total(self, days: int) -> int:
        return sum(self.horizons[days].values())


@dataclass(frozen=True)
class BookKpis:
    period: Period
    today: date
    currency: str
    retention: Retention
    nps: Nps
    adoption: Adoption
    onboarding: OnTime
    reviews: BookReviews | None
    at_risk: ArrAtRisk
    health_arr: dict[str, int]
    health_accounts: dict[str, tuple[int, ...]]
    warnings: tuple[str, ...]

    @property
    def qbrs_on_schedule(self) -> float | None:
        return self.reviews.share if self.reviews is not None else None

    def value(self, key: str) -> float | None:
        """A headline figure by key (fractions; NPS in points)."""
        values: dict[str, float | None] = {
            "grr": self.retention.grr,
            "nrr": self.retention.nrr,
            "logo_retention": self.retention.logo_retention,
            "expansion_rate": self.retention.expansion_rate,
            "nps": self.nps.score,
            "adoption": self.adoption.value,
            "accounts_adopting_70": self.adoption.share_adopting,
            "on_time_onboarding": self.onboarding.value,
            "qbrs_on_schedule": self.qbrs_on_schedule,
        }
        return values[key]

    def as_json(self) -> dict[str, Any]:
        """The object ``csmdesk kpis --json`` prints (keys are a contract for scripts)."""
        r = self.retention
        return {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "currency": self.currency,
            "starting_arr": r.starting,
            "ending_arr": r.ending,
            "new_arr": r.new,
            "expansion_arr": r.expansion,
            "contraction_arr": r.contraction,
            "churned_arr": r.churned,
            "cohort_accounts": r.cohort,
            "grr": k.percent(r.grr),
            "nrr": k.percent(r.nrr),
            "logo_retention": k.percent(r.logo_retention),
            "expansion_rate": k.percent(r.expansion_rate),
            "adoption": k.percent(self.adoption.value),
            "accounts_adopting_70": k.percent(self.adoption.share_adopting),
            "nps": k.points(self.nps.score),
            "nps_responses": len(self.nps.responses),
            "on_time_onboarding": k.percent(self.onboarding.value),
            "qbrs_on_schedule": k.percent(self.qbrs_on_schedule),
            "arr_at_risk_90": self.at_risk.total(90),
            "arr_at_risk_180": self.at_risk.total(180),
            "warnings": list(self.warnings),
        }


def compute(snapshot: Snapshot, period: Period, *, with_reviews: bool = True) -> BookKpis:
    """The numbers of ``period``; ``with_reviews`` False skips QBRs on schedule (a query)."""
    rates = snapshot.rates
    kept = retention_for(snapshot, period)
    facts = snapshot.accounts
    seats = {a: f.seats for a, f in facts.items()}
    reviews = None
    if snapshot.review_history is not None and with_reviews:
        starts, held = snapshot.review_history
        reviews = rhythm.book_reviews(
            starts, held, snapshot.review_months, (period.start, period.end), as_of=period.end
        )
    if snapshot._current is None:
        snapshot._current = _current(snapshot, rates)
    at_risk, health_arr, health_ids, unconverted_now = snapshot._current
    warnings = _warnings(snapshot, kept, unconverted_now, period)
    return BookKpis(
        period=period,
        today=snapshot.today,
        currency=rates.currency,
        retention=kept,
        nps=k.nps(snapshot.nps, period),
        adoption=k.adoption(snapshot.usage, seats, period),
        onboarding=k.on_time_onboarding(snapshot.onboardings, period),
        reviews=reviews if reviews is None or reviews.due else None,
        at_risk=at_risk,
        health_arr=health_arr,
        health_accounts=health_ids,
        warnings=tuple(warnings),
    )


def retention_for(snapshot: Snapshot, period: Period) -> Retention:
    before = period.start - timedelta(days=1)
    arr_on = snapshot.arr_on
    if before not in arr_on or period.end not in arr_on:
        raise KeyError(f"the snapshot was not read for {period}")
    return k.retention_of(arr_on[before], arr_on[period.end], period, snapshot.rates)


def _current(
    snapshot: Snapshot, rates: Rates
) -> tuple[ArrAtRisk, dict[str, int], dict[str, tuple[int, ...]], list[int]]:
    """ARR at risk over the next 90/180 days and ARR by health band, as of ``today``."""
    today = snapshot.today
    first = today.replace(day=1)
    months = [_month(first, i) for i in range(RISK_MONTHS)]
    horizons = {d: dict.fromkeys(NOT_HEALTHY, 0) for d in RISK_HORIZONS}
    horizon_ids: dict[int, list[int]] = {d: [] for d in RISK_HORIZONS}
    by_month = [dict.fromkeys(NOT_HEALTHY, 0) for _ in months]
    month_ids: list[dict[str, list[int]]] = [{b: [] for b in NOT_HEALTHY} for _ in months]
    health = dict.fromkeys(BANDS, 0)
    health_ids: dict[str, list[int]] = {b: [] for b in BANDS}
    unconverted = []
    for facts in snapshot.accounts.values():
        if facts.lifecycle == Lifecycle.CHURNED.value or facts.arr_minor <= 0:
            continue
        arr = rates.convert(facts.arr_minor, facts.currency)
        if arr is None:
            unconverted.append(facts.account_id)
            continue
        band = facts.band if facts.band in BANDS else UNSCORED
        health[band] += arr
        health_ids[band].append(facts.account_id)
        renewal = facts.renewal_date
        if band == HEALTHY or renewal is None or renewal < today:
            continue
        days = (renewal - today).days
        for horizon in RISK_HORIZONS:
            if days <= horizon:
                horizons[horizon][band] += arr
                horizon_ids[horizon].append(facts.account_id)
        index = (renewal.year - first.year) * 12 + renewal.month - first.month
        if 0 <= index < len(months):
            by_month[index][band] += arr
            month_ids[index][band].append(facts.account_id)
    risk = ArrAtRisk(
        today,
        horizons,
        {d: tuple(ids) for d, ids in horizon_ids.items()},
        tuple(
            RiskSlice(m, by_month[i], {b: tuple(v) for b, v in month_ids[i].items()})
            for i, m in enumerate(months)
        ),
    )
    return risk, health, {b: tuple(v) for b, v in health_ids.items()}, unconverted


def _month(first: date, offset: int) -> date:
    index = first.year * 12 + first.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def _names(snapshot: Snapshot, ids: Sequence[int]) -> str:
    names = sorted(snapshot.name(i) for i in ids)
    shown = ", ".join(names[:NAMES_IN_WARNING])
    more = len(names) - NAMES_IN_WARNING
    return shown + (f" and {more} more" if more > 0 else "")


def _warnings(
    snapshot: Snapshot, kept: Retention, unconverted_now: list[int], period: Period
) -> list[str]:
    out = []
    missing = sorted(set(kept.unconverted) | set(unconverted_now))
    if missing:
        codes = sorted({snapshot.accounts[i].currency for i in missing if i in snapshot.accounts})
        out.append(
            f"No exchange rate to {snapshot.currency} for {', '.join(codes)}: "
            f"{len(missing)} account(s) left out of the money figures "
            f"({_names(snapshot, missing)})."
        )
    doubled = [(a, d) for a, d in snapshot.same_day_events if d <= period.end]
    if doubled:
        ids = sorted({a for a, _ in doubled})
        out.append(
            f"{len(ids)} account(s) have two ARR events on one date; the later-entered one "
            f"counts ({_names(snapshot, ids)})."
        )
    return out


def book_kpis(
    db: Database,
    period: Period | None = None,
    *,
    today: date | None = None,
    settings: KpiSettings | None = None,
) -> BookKpis:
    """All the numbers for ``period`` (default: the 12 months ending ``today``)."""
    today = today or datetime.now(UTC).date()
    period = period or k.trailing_months(today)
    with gcpause.paused():
        return compute(load_snapshot(db, [period], today=today, settings=settings), period)


# --- the dashboard's set: the period, the one before, and eight quarters -----------------------


@dataclass(frozen=True)
class Dashboard:
    current: BookKpis
    previous: BookKpis | None  # None after the quick first pass (``compare=False``)
    quarters: tuple[BookKpis, ...]
    snapshot: Snapshot

    @property
    def compared(self) -> bool:
        return self.previous is not None

    def series(self, key: str) -> list[float | None]:
        return [q.value(key) for q in self.quarters]


def dashboard(
    db: Database,
    period: Period,
    *,
    today: date | None = None,
    quarters: int = 8,
    compare: bool = True,
) -> Dashboard:
    """The period's numbers and, with ``compare``, the period before and the last
    ``quarters`` quarters (for the change and the sparklines). Without ``compare`` (the
    page's quick first pass) QBRs on schedule is left for the second pass too."""
    today = today or datetime.now(UTC).date()
    previous = period.previous()
    spark = k.last_quarters(period.end, quarters) if compare else []
    with gcpause.paused():
        periods = [period, *([previous] if compare else []), *spark]
        snapshot = load_snapshot(db, periods, today=today, reviews=compare)
        return Dashboard(
            compute(snapshot, period, with_reviews=compare),
            compute(snapshot, previous) if compare else None,
            tuple(compute(snapshot, q, with_reviews=False) for q in spark),
            snapshot,
        )


def event_rows(snapshot: Snapshot, period: Period, account_ids: Iterable[int]) -> list[ArrPoint]:
    """The ARR events dated in ``period`` of the given accounts, for drill-down lists."""
    out: list[ArrPoint] = []
    for account_id in account_ids:
        history = snapshot.histories.get(account_id)
        if history is not None:
            out.extend(history.between(period))
    return out
