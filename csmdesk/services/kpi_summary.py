"""The book's numbers worded for people: what each tile of the Numbers page (and the book
review) says, the bars of the ARR bridge, ARR at risk by month and health by ARR.

Pure: a :class:`~csmdesk.services.kpis.Dashboard` in, plain values and text out, so the page
and the PDF say exactly the same thing. A figure with nothing to divide by reads "—", never
"0%". Definitions repeat :mod:`csmdesk.domain.kpis` word for word where they can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from csmdesk.domain import kpis as k
from csmdesk.domain.money import format_money, format_money_compact
from csmdesk.services.kpis import (
    AT_RISK,
    BANDS,
    HEALTHY,
    NOT_HEALTHY,
    UNSCORED,
    WATCH,
    BookKpis,
    Dashboard,
)

DASH = "\u2014"
MINUS = "\u2212"
UP, DOWN = "\u25b2", "\u25bc"
GOOD, NEAR, POOR = "good", "near", "poor"
# How far under its benchmark a figure may be and still read "near" (fractions; NPS points).
NEAR_MARGIN = {"nps": 10.0}
NEAR_FRACTION = 0.05

PERCENT_KEYS = (
    "grr",
    "nrr",
    "logo_retention",
    "expansion_rate",
    "adoption",
    "on_time_onboarding",
    "qbrs_on_schedule",
)
TILE_KEYS = (*PERCENT_KEYS[:4], "nps", *PERCENT_KEYS[4:], "arr_at_risk")
TITLES = {
    "grr": "Gross revenue retention",
    "nrr": "Net revenue retention",
    "logo_retention": "Logo retention",
    "expansion_rate": "Expansion rate",
    "nps": "NPS",
    "adoption": "Adoption",
    "on_time_onboarding": "On-time onboarding",
    "qbrs_on_schedule": "QBRs on schedule",
    "arr_at_risk": "ARR at risk (90 days)",
}
SHORT_TITLES = {"grr": "GRR", "nrr": "NRR"}
BAND_NAMES = {HEALTHY: "Healthy", WATCH: "Watch", AT_RISK: "At risk", UNSCORED: "Not scored"}

_COHORT = (
    "The cohort is the accounts with ARR above 0 on the day before the period starts; S is "
    "their ARR then. An account's ARR on a date is the ARR after its latest ARR event dated on "
    "or before it."
)
_CURRENCY = (
    "Money is in the reporting currency; other currencies convert at the rates you entered, "
    "and an account in a currency without a rate is left out and named in a warning."
)
DEFINITIONS = {
    "grr": "Gross revenue retention = (S \u2212 churned \u2212 contraction) \u00f7 S: the share "
    "of the cohort's starting ARR still there at the period's end, expansion not counted. "
    f"{_COHORT} {_CURRENCY}",
    "nrr": "Net revenue retention = (S + expansion \u2212 contraction \u2212 churned) \u00f7 S: "
    "the cohort's ARR at the period's end against its ARR at the start; new accounts do not "
    f"count. {_COHORT} {_CURRENCY}",
    "logo_retention": "Logo retention = the share of the cohort's accounts that still have ARR "
    f"above 0 at the period's end. {_COHORT}",
    "expansion_rate": "Expansion rate = expansion \u00f7 S: what the cohort's accounts that "
    f"grew added by the period's end, against S. {_COHORT} {_CURRENCY}",
    "nps": "NPS = 100 \u00d7 (promoters \u2212 detractors) \u00f7 responses over the NPS "
    "responses (0\u201310) recorded in the period; promoters answer 9\u201310, detractors "
    "0\u20136.",
    "adoption": "Adoption = \u03a3 min(active users, seats) \u00f7 \u03a3 seats over the "
    "accounts with licensed seats and a reading of active users in the last 30 days of the "
    "period (each account's latest such reading); and the share of those accounts at 70% or "
    "more.",
    "on_time_onboarding": "Of the onboardings started in the period, the share that completed "
    "every milestone not skipped within 30 days of their start. One whose 30 days end after "
    "the period and that is not complete yet is still pending and left out of the share; one "
    "with no milestone left to do is not measured.",
    "qbrs_on_schedule": "Of the business reviews (QBR or EBR) that fell due in the period, the "
    "share held by their due date. Archived accounts are left out.",
    "arr_at_risk": "The ARR of accounts not Healthy (Watch, At risk or not scored) whose "
    "renewal date falls in the next 90 days from today, and in the next 180 days. Measured "
    f"today, whatever the period; churned accounts are left out. {_CURRENCY}",
}


# --- wording helpers -------------------------------------------------------------------------


def day_text(d: date) -> str:
    return f"{d.day} {d:%b %Y}"  # no %-d: Windows' strftime lacks it


def span_text(start: date, end: date) -> str:
    if start.year == end.year:
        first = f"{start.day} {start:%b}" if start.month != end.month else str(start.day)
        return f"{first} \u2013 {day_text(end)}"
    return f"{day_text(start)} \u2013 {day_text(end)}"


def money(minor: int, currency: str) -> str:
    """Compact money that also reads right below zero (``−$23K``)."""
    text = format_money_compact(abs(minor), currency)
    return f"{MINUS}{text}" if minor < 0 else text


def signed_money(minor: int, currency: str) -> str:
    return money(minor, currency) if minor < 0 else f"+{money(minor, currency)}"


def full_money(minor: int, currency: str) -> str:
    text = format_money(abs(minor), currency)
    return f"{MINUS}{text}" if minor < 0 else text


def percent_text(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def nps_text(value: float | None) -> str:
    if value is None:
        return DASH
    rounded = round(value)
    return f"+{rounded}" if rounded > 0 else f"{MINUS}{-rounded}" if rounded < 0 else "0"


def value_text(key: str, value: float | None) -> str:
    return nps_text(value) if key == "nps" else percent_text(value)


def benchmark_text(key: str) -> str:
    low, high = k.BENCHMARKS[key]
    if key == "nps":
        return f"Benchmark {low:g}+"
    if high is None:
        return f"Benchmark {low * 100:g}%+"
    return f"Benchmark {low * 100:g}\u2013{high * 100:g}%"


def standing(key: str, value: float | None) -> str | None:
    """Good at or over the benchmark's low end, near just under it, poor further off."""
    if value is None or key not in k.BENCHMARKS:
        return None
    low, _high = k.BENCHMARKS[key]
    if value >= low:
        return GOOD
    return NEAR if value >= low - NEAR_MARGIN.get(key, NEAR_FRACTION) else POOR


def change(key: str, now: float | None, before: float | None) -> tuple[str, int]:
    """``("▲ 2.1 pts vs prior period", 1)``; the sign is 0 when there is no change to show."""
    if now is None:
        return "", 0
    if before is None:
        return "No figure for the prior period", 0
    points = (now - before) * (1 if key == "nps" else 100)
    if round(abs(points), 1) == 0:
        return "No change vs prior period", 0
    arrow, sign = (UP, 1) if points > 0 else (DOWN, -1)
    return f"{arrow} {abs(points):.1f} pts vs prior period", sign


def quarter_label(period: k.Period) -> str:
    full = k.quarter_of(period.start)
    name = f"Q{(full.start.month - 1) // 3 + 1} {full.start.year}"
    return name if period == full else f"{name} to {day_text(period.end)}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else many or word + 's'}"


# --- periods as the page offers them ----------------------------------------------------------

TRAILING, THIS_QUARTER, LAST_QUARTER, THIS_YEAR, LAST_YEAR, CUSTOM = (
    "trailing",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "custom",
)
PERIOD_CHOICES = {
    TRAILING: "Trailing 12 months",
    THIS_QUARTER: "This quarter",
    LAST_QUARTER: "Last quarter",
    THIS_YEAR: "This year",
    LAST_YEAR: "Last year",
    CUSTOM: "Custom",
}


def period_for(choice: str, today: date, custom: k.Period | None = None) -> k.Period:
    """The period a choice means on ``today``; a quarter or year in progress ends today."""
    if choice == THIS_QUARTER:
        return k.Period(k.quarter_of(today).start, today)
    if choice == LAST_QUARTER:
        return k.quarter_of(k.quarter_of(today).start - timedelta(days=1))
    if choice == THIS_YEAR:
        return k.Period(date(today.year, 1, 1), today)
    if choice == LAST_YEAR:
        return k.year_of(date(today.year - 1, 1, 1))
    if choice == CUSTOM and custom is not None:
        return custom
    return k.trailing_months(today, 12)


def period_title(choice: str, period: k.Period) -> str:
    """``Trailing 12 months to 6 Dec 2026``, ``Q3 2026``, ``2026 to 6 Dec``."""
    if choice == TRAILING:
        return f"Trailing 12 months to {day_text(period.end)}"
    if choice in (THIS_QUARTER, LAST_QUARTER):
        return quarter_label(period)
    if choice == THIS_YEAR:
        full = k.year_of(period.start)
        return (
            str(full.start.year)
            if period == full
            else f"{full.start.year} to {day_text(period.end)}"
        )
    if choice == LAST_YEAR:
        return str(period.start.year)
    return span_text(period.start, period.end)


# --- tiles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    """One headline figure, worded: ``value`` is what the tile shows large."""

    key: str
    title: str
    value: str
    benchmark: str
    change: str
    change_sign: int  # 1 up, -1 down, 0 no change to show
    detail: str
    definition: str
    standing: str | None  # good / near / poor against the benchmark; None without one
    series: tuple[float | None, ...] = ()  # the last eight quarters, oldest first
    series_labels: tuple[str, ...] = ()
    benchmark_low: float | None = None

    @property
    def history_text(self) -> str:
        if not self.series:
            return ""
        parts = [
            f"{label} {value_text(self.key, v)}"
            for label, v in zip(self.series_labels, self.series, strict=True)
        ]
        return "Last 8 quarters: " + ", ".join(parts)

    @property
    def tooltip(self) -> str:
        return "\n\n".join(p for p in (self.definition, self.history_text) if p)


def _detail(key: str, kpis: BookKpis) -> str:
    r, cur = kpis.retention, kpis.currency
    if key in ("grr", "nrr", "logo_retention", "expansion_rate") and not r.cohort:
        return "No ARR on the day before the period starts"
    if key == "grr":
        lost = money(r.churned + r.contraction, cur)
        return f"{lost} churned or contracted of {money(r.starting, cur)}"
    if key == "nrr":
        net = r.expansion - r.contraction - r.churned
        return f"{signed_money(net, cur)} net on {money(r.starting, cur)}"
    if key == "logo_retention":
        return f"{r.retained_logos:,} of {plural(r.cohort, 'account')} kept"
    if key == "expansion_rate":
        grew = len(r.accounts(k.EXPANDED))
        return f"{money(r.expansion, cur)} from {plural(grew, 'account')}"
    if key == "nps":
        n = kpis.nps
        if not n.responses:
            return "No NPS responses in the period"
        return (
            f"{plural(len(n.responses), 'response')} \u00b7 {n.promoters:,} promoters, "
            f"{n.detractors:,} detractors"
        )
    if key == "adoption":
        a = kpis.adoption
        if not a.accounts:
            return "No active-users readings in the last 30 days"
        return f"{percent_text(a.share_adopting)} of {plural(len(a.accounts), 'account')} at 70%+"
    if key == "on_time_onboarding":
        o = kpis.onboarding
        measured = len(o.on_time) + len(o.late)
        pending = f" \u00b7 {len(o.pending):,} pending" if o.pending else ""
        if not measured:
            return (
                f"{len(o.pending):,} pending, none finished yet"
                if o.pending
                else "No onboardings started in the period"
            )
        return f"{len(o.on_time):,} of {measured:,} on time{pending}"
    if key == "qbrs_on_schedule":
        rv = kpis.reviews
        if rv is None or not rv.due:
            return "No reviews fell due in the period"
        return f"{rv.held:,} of {rv.due:,} held by their due date"
    return ""


def _risk_tile(kpis: BookKpis) -> Tile:
    risk, cur = kpis.at_risk, kpis.currency
    in_90, in_180 = risk.total(90), risk.total(180)
    book = sum(kpis.health_arr.values())
    share = f"{in_90 / book:.1%} of book ARR" if book else "No ARR in the book"
    accounts = len(risk.horizon_accounts[180])
    detail = f"{money(in_180, cur)} within 180 days \u00b7 {plural(accounts, 'account')}"
    return Tile(
        key="arr_at_risk",
        title=TITLES["arr_at_risk"],
        value=money(in_90, cur),
        benchmark=share,
        change=f"As of {day_text(kpis.today)}",
        change_sign=0,
        detail=detail,
        definition=DEFINITIONS["arr_at_risk"],
        standing=None,
    )


def _pending_tile(key: str) -> Tile:
    return Tile(
        key=key,
        title=TITLES[key],
        value="\u2026",
        benchmark=benchmark_text(key),
        change="",
        change_sign=0,
        detail="Counting\u2026",
        definition=DEFINITIONS[key],
        standing=None,
        benchmark_low=k.BENCHMARKS[key][0],
    )


def tiles(dash: Dashboard) -> list[Tile]:
    """The nine tiles, in the page's order."""
    now, before = dash.current, dash.previous
    labels = tuple(quarter_label(q.period) for q in dash.quarters)
    out = []
    for key in TILE_KEYS:
        if key == "arr_at_risk":
            out.append(_risk_tile(now))
            continue
        value = now.value(key)
        if before is None and key == "qbrs_on_schedule" and now.reviews is None:
            out.append(_pending_tile(key))  # counted in the second pass
            continue
        if before is None:
            text, sign = ("Comparing with the prior period\u2026" if value is not None else ""), 0
        else:
            text, sign = change(key, value, before.value(key))
        out.append(
            Tile(
                key=key,
                title=TITLES[key],
                value=value_text(key, value),
                benchmark=benchmark_text(key),
                change=text,
                change_sign=sign,
                detail=_detail(key, now),
                definition=DEFINITIONS[key],
                standing=standing(key, value),
                series=tuple(dash.series(key)),
                series_labels=labels,
                benchmark_low=k.BENCHMARKS[key][0],
            )
        )
    return out


# --- the charts' figures -------------------------------------------------------------------------

BRIDGE_KEYS = ("start", "new", "expansion", "contraction", "churned", "end")
BRIDGE_LABELS = {
    "start": "Start",
    "new": "New",
    "expansion": "Expansion",
    "contraction": "Contraction",
    "churned": "Churn",
    "end": "End",
}
TOTAL, UP_STEP, DOWN_STEP = "total", "up", "down"


@dataclass(frozen=True)
class BridgeStep:
    """One bar of the bridge, floating from ``bottom`` to ``bottom + height`` (minor units)."""

    key: str
    label: str
    bottom: int
    height: int
    kind: str  # total, up or down
    amount: int  # signed: what the step adds to the ARR
    accounts: int

    @property
    def top(self) -> int:
        return self.bottom + self.height

    def label_text(self, currency: str) -> str:
        if self.kind == TOTAL:
            return money(self.amount, currency)
        return signed_money(self.amount, currency) if self.amount else money(0, currency)


def bridge(kpis: BookKpis) -> list[BridgeStep]:
    """Start → New → Expansion → Contraction → Churn → End; the end always closes the bridge."""
    r = kpis.retention
    counts = {c: len(r.accounts(c)) for c in (k.NEW, k.EXPANDED, k.CONTRACTED, k.CHURNED)}
    level = r.starting
    steps = [BridgeStep("start", "Start", 0, r.starting, TOTAL, r.starting, r.cohort)]
    for key, amount, category in (
        ("new", r.new, k.NEW),
        ("expansion", r.expansion, k.EXPANDED),
        ("contraction", -r.contraction, k.CONTRACTED),
        ("churned", -r.churned, k.CHURNED),
    ):
        bottom = level if amount >= 0 else level + amount
        steps.append(
            BridgeStep(
                key,
                BRIDGE_LABELS[key],
                bottom,
                abs(amount),
                UP_STEP if amount >= 0 else DOWN_STEP,
                amount,
                counts[category],
            )
        )
        level += amount
    ending = sum(1 for m in r.movements if m.end_minor > 0)
    steps.append(BridgeStep("end", "End", 0, r.ending, TOTAL, r.ending, ending))
    return steps


@dataclass(frozen=True)
class RiskMonth:
    month: date
    by_band: dict[str, int]  # watch, at_risk, unscored
    accounts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_band.values())


def risk_months(kpis: BookKpis) -> list[RiskMonth]:
    return [
        RiskMonth(
            s.month,
            {b: s.by_band.get(b, 0) for b in NOT_HEALTHY},
            {b: len(s.account_ids.get(b, ())) for b in NOT_HEALTHY},
        )
        for s in kpis.at_risk.months
    ]


def health_bars(kpis: BookKpis) -> list[tuple[str, int, int]]:
    """(band, ARR, accounts) for the bands present; Healthy, Watch and At risk always."""
    return [
        (b, kpis.health_arr.get(b, 0), len(kpis.health_accounts.get(b, ())))
        for b in BANDS
        if b != UNSCORED or kpis.health_arr.get(b, 0) or kpis.health_accounts.get(b)
    ]


def subtitle(dash: Dashboard, choice: str = CUSTOM) -> str:
    """``7 Dec 2025 – 6 Dec 2026 · vs 7 Dec 2024 – 6 Dec 2025 · in USD · 40 accounts``."""
    now = dash.current.period
    before = now.previous()
    count = len(dash.snapshot.accounts)
    parts = [
        span_text(now.start, now.end),
        f"vs {span_text(before.start, before.end)}",
        f"in {dash.current.currency}",
        plural(count, "account"),
    ]
    if choice == CUSTOM:
        parts = parts[1:]
    return " \u00b7 ".join(parts)


def band_name(band: str) -> str:
    return BAND_NAMES.get(band, band.replace("_", " ").capitalize())


def series_range(tiles_: Sequence[Tile]) -> dict[str, tuple[float, float]]:
    """Each tile's sparkline span (its values and its benchmark's low end)."""
    out = {}
    for t in tiles_:
        values = [v for v in t.series if v is not None]
        if t.benchmark_low is not None:
            values.append(t.benchmark_low)
        if values:
            out[t.key] = (min(values), max(values))
    return out
