"""Account health: five components, a weighted score, a band, and the reasons why.

Everything here is pure: plain frozen dataclasses in, plain dataclasses out. A score on a date
uses only readings and touchpoints dated on or before it, so ``history`` is honest. A reading's
*age* is the number of days from its date to the scoring date.

Score
    ``value = round(sum(share_k * points_k))`` over the components that have data, where
    ``share_k = weight_k / sum(weight_j)`` over those same components. A component without data
    is left out, never counted as zero: its weight is shared among the others in proportion to
    theirs, and ``missing`` and ``explanation`` name it. No data anywhere (or only for components
    weighted 0): ``value`` is None. Rounding is half up (69.5 -> 70). Default weights: adoption
    30, engagement 20, support 15, sentiment 20, relationship 15 (they need not sum to 1 or 100;
    a key absent from ``Settings.weights`` weighs 0).

Bands (on the rounded value)
    ``value >= healthy_at`` (70) Healthy; ``watch_at`` (40) ``<= value < healthy_at`` Watch;
    below ``watch_at`` At risk. A manual ``Override`` applies while ``set_on <= on <=
    expires_on``: it sets ``effective_band`` only (``value`` and ``band`` stay computed) and is
    ignored from the day after ``expires_on``.

Adoption (0..100)
    Latest ``active_users`` and latest ``feature_adoption_pct``, each aged 0..30 days.
    ``usage = 100 * min(1, (active / seats) / 0.8)``: 80 % of seats or more is 100, 70 % is 87.5,
    0 % is 0; active users above seats count as 100 %. ``adoption = 0.7 * usage + 0.3 *
    feature`` when both exist, else whichever exists. Seats unknown (None or 0): feature
    adoption alone. Neither: no data.

Engagement (0..100): the mean of the parts that have data.
    Login trend: mean ``logins`` of readings aged 0..27 days (R) against those aged 28..55 (P),
    both windows needed. ``ratio = R / P``: ``ratio >= 0.9`` (steady, allowing weekly noise) is
    100, ``ratio <= 0.5`` is 0, in between ``250 * (ratio - 0.5)``; P = 0 gives 100 if R > 0,
    else 0. Touchpoint recency with cadence ``c`` (``cadence_days`` or ``default_cadence``) and
    ``d`` days since the last touchpoint: ``d <= c`` is 100, ``d >= 3c`` is 0, in between
    ``100 * (3c - d) / (2c)``. No touchpoint ever: 0 when the account is older than ``c`` days
    (counted from ``contract_start``, else from its first reading), otherwise no data.

Support (0..100), judged against the account's own baseline so a steady level scores 100
    whatever its size. Ticket readings aged 0..97 days (14 weeks); needs at least 3, the latest
    aged 0..30. ``R`` = mean ``open_tickets`` of the latest two (a single bad week counts
    half); ``B`` = median of the others (up to 12 weeks). ``rise = R - B``, ``r = R / max(B, 1)
    - 1``; ``tickets = 100`` if ``rise <= 0``, else ``100 * (1 - min(1, rise / 3, r))``. So a
    spike (``R >= 2B`` and ``rise >= 3``, ``TicketLevel.is_spike``) scores 0, 5 against a usual
    4 scores 75, 22 against 20 scores 90. ``E`` = sum of ``escalations`` aged 0..30 days;
    ``support = max(0, tickets - 25 * min(E, 2))``.

Sentiment (0..100): the mean of what exists.
    Latest NPS response aged 0..180 days: 9-10 is 100, 7-8 is 60, 0-6 is ``5 * nps`` (0..30).
    Latest CSAT aged 0..90 days: ``25 * (csat - 1)`` (1 -> 0, 5 -> 100). Neither: no data.

Relationship (0..100)
    60 for a current champion plus 40 for a current executive sponsor (current: ``left_on`` is
    None or after the scoring date). Contacts without either still score (0 is a finding); no
    contacts at all: no data. The contact list is today's, so history cannot see who joined when.

Movers and trend
    Each component with points both on ``on`` and 30 days earlier: ``delta = points_now -
    points_then``, rounded half away from zero, kept when ``|delta| >= 3``, sorted by ``|delta| *
    share`` (the share on ``on``), at most 3, e.g. "Adoption -12: active users 41 -> 27 of 60
    seats" (printed with a true minus sign and arrow, U+2212 and U+2192).
    ``trend = value - value 30 days earlier``.

Cadence (``default_cadence``)
    Onboarding: 7 days in the first calendar month from ``contract_start``, 14 in the second, 30
    from the third on; onboarding without a start date: 14. Otherwise enterprise 30, mid-market
    45, SMB 90 (any other segment 45); churned 365.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from csmdesk.domain import rhythm as rhythm_rules
from csmdesk.domain.rhythm import RhythmSettings
from csmdesk.models import ContactRole, Lifecycle, Segment

MINUS = "\u2212"
ARROW = "\u2192"


class Band(StrEnum):
    HEALTHY = "healthy"
    WATCH = "watch"
    AT_RISK = "at_risk"

    @property
    def label(self) -> str:
        return {"healthy": "Healthy", "watch": "Watch", "at_risk": "At risk"}[self.value]


DEFAULT_WEIGHTS: dict[str, float] = {
    "adoption": 30,
    "engagement": 20,
    "support": 15,
    "sentiment": 20,
    "relationship": 15,
}
LABELS = {key: key.capitalize() for key in DEFAULT_WEIGHTS}


class SettingsError(ValueError):
    """Health settings that cannot be used, with a message fit for the user."""


@dataclass(frozen=True)
class Settings:
    """Validated on construction (``SettingsError``) so a bad value never reaches a score."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    healthy_at: int = 70
    watch_at: int = 40

    def __post_init__(self) -> None:
        if not isinstance(self.weights, dict):
            raise SettingsError("weights must be a mapping of component to number")
        unknown = sorted(set(self.weights) - set(DEFAULT_WEIGHTS))
        if unknown:
            raise SettingsError(f"unknown health component(s): {', '.join(map(str, unknown))}")
        full: dict[str, float] = {}
        for key in DEFAULT_WEIGHTS:
            value = self.weights.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SettingsError(f"weight of {key} must be a number")
            if not math.isfinite(value) or value < 0:
                raise SettingsError(f"weight of {key} must be zero or more")
            full[key] = float(value)
        if not any(full.values()):
            raise SettingsError("at least one weight must be above zero")
        for name in ("healthy_at", "watch_at"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SettingsError(f"{name} must be a whole number")
        if not 0 <= self.watch_at < self.healthy_at <= 100:
            raise SettingsError("thresholds must satisfy 0 <= watch_at < healthy_at <= 100")
        object.__setattr__(self, "weights", full)

    def to_json(self) -> str:
        data = {"weights": self.weights, "healthy_at": self.healthy_at, "watch_at": self.watch_at}
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """Read what ``to_json`` wrote; a missing entry takes its default (no weights: defaults)."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"health settings are not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise SettingsError("health settings must be a JSON object")
        extra = sorted(set(data) - {"weights", "healthy_at", "watch_at"})
        if extra:
            raise SettingsError(f"unknown health setting(s): {', '.join(extra)}")
        defaults = cls()
        return cls(
            weights=data.get("weights", defaults.weights),
            healthy_at=data.get("healthy_at", defaults.healthy_at),
            watch_at=data.get("watch_at", defaults.watch_at),
        )


DEFAULT_SETTINGS = Settings()


def band_for(score: float, settings: Settings = DEFAULT_SETTINGS) -> Band:
    if score >= settings.healthy_at:
        return Band.HEALTHY
    return Band.WATCH if score >= settings.watch_at else Band.AT_RISK


# --- inputs -------------------------------------------------------------------------------


class Reading(NamedTuple):
    """One day's readings (a named tuple: the book holds hundreds of thousands)."""

    on: date
    active_users: int | None = None
    logins: int | None = None
    feature_adoption_pct: float | None = None
    open_tickets: int | None = None
    escalations: int | None = None
    nps: int | None = None
    csat: float | None = None


@dataclass(frozen=True)
class Person:
    name: str
    roles: tuple[str, ...]
    left_on: date | None = None

    def current(self, on: date) -> bool:
        return self.left_on is None or self.left_on > on


@dataclass(frozen=True)
class Override:
    band: Band
    reason: str
    set_on: date
    expires_on: date

    def applies(self, on: date) -> bool:
        return self.set_on <= on <= self.expires_on


@dataclass(frozen=True)
class AccountFacts:
    seats: int | None
    segment: str
    lifecycle: str
    contract_start: date | None
    renewal_date: date | None
    payment_issue: bool
    readings: tuple[Reading, ...]
    touchpoints: tuple[date, ...]
    people: tuple[Person, ...]
    override: Override | None = None
    cadence_days: int | None = None
    # The CSM's rhythm settings (segment and onboarding cadences); None: the defaults below.
    rhythm: RhythmSettings | None = None


_CADENCE: dict[str, int] = {Segment.ENTERPRISE: 30, Segment.MID_MARKET: 45, Segment.SMB: 90}


def default_cadence(segment: str, lifecycle: str, contract_start: date | None, on: date) -> int:
    if lifecycle == Lifecycle.CHURNED:
        return 365
    if lifecycle == Lifecycle.ONBOARDING:
        if contract_start is None:
            return 14
        months = (on.year - contract_start.year) * 12 + on.month - contract_start.month
        if on.day < contract_start.day:
            months -= 1
        return 7 if months < 1 else 14 if months < 2 else 30
    return _CADENCE.get(segment, 45)


def cadence_for(facts: AccountFacts, on: date) -> int:
    """The account's own ``cadence_days`` when set above 0, else the rhythm settings' cadence
    (``default_cadence`` when the facts carry none; the same days with the default settings)."""
    if facts.cadence_days is not None and facts.cadence_days > 0:
        return facts.cadence_days
    if facts.rhythm is not None:
        return rhythm_rules.cadence_days(
            facts.segment, facts.lifecycle, facts.contract_start, on, settings=facts.rhythm
        )
    return default_cadence(facts.segment, facts.lifecycle, facts.contract_start, on)


def last_touchpoint(facts: AccountFacts, on: date) -> date | None:
    index = bisect_right(facts.touchpoints, on)
    return facts.touchpoints[index - 1] if index else None


def account_start(facts: AccountFacts) -> date | None:
    """When the account began, as far as the facts tell (contract start, else first reading)."""
    if facts.contract_start is not None:
        return facts.contract_start
    return facts.readings[0].on if facts.readings else None


# --- what the readings say on a date ------------------------------------------------------


@dataclass(frozen=True)
class TicketLevel:
    """Open tickets now against the account's own usual level (see the Support formula)."""

    on: date  # of the latest ticket reading
    current: int  # open tickets in the latest reading
    recent: float  # mean of the latest two readings: what is compared
    baseline: float  # median of the earlier readings (up to 12)
    escalations: int  # sum over readings aged 0..30 days

    @property
    def rise(self) -> float:
        return self.recent - self.baseline

    @property
    def is_spike(self) -> bool:
        return self.recent >= 2 * self.baseline and self.rise >= 3


@dataclass(slots=True)
class Snapshot:
    """The latest values of each reading field as seen on one date (only readings <= on)."""

    on: date
    active: int | None = None
    active_on: date | None = None
    feature: float | None = None
    nps: int | None = None
    nps_on: date | None = None
    csat: float | None = None
    csat_on: date | None = None
    logins_recent: float | None = None
    logins_prior: float | None = None
    tickets: TicketLevel | None = None


def _dates(facts: AccountFacts) -> list[date]:
    return [r.on for r in facts.readings]


def snapshot(facts: AccountFacts, on: date, dates: Sequence[date] | None = None) -> Snapshot:
    """One backwards pass over the readings of the last 180 days (bisected, never a full scan)."""
    if dates is None:
        dates = _dates(facts)
    readings = facts.readings
    lo = bisect_left(dates, on - timedelta(days=180))
    hi = bisect_right(dates, on)
    snap = Snapshot(on)
    recent_sum = recent_n = prior_sum = prior_n = escalations = 0
    tickets: list[int] = []
    latest_ticket_on: date | None = None
    for i in range(hi - 1, lo - 1, -1):
        r = readings[i]
        age = (on - r.on).days
        if age <= 30:
            if snap.active is None and r.active_users is not None:
                snap.active, snap.active_on = r.active_users, r.on
            if snap.feature is None and r.feature_adoption_pct is not None:
                snap.feature = r.feature_adoption_pct
            if r.escalations:
                escalations += r.escalations
        if r.logins is not None and age < 56:
            if age < 28:
                recent_sum += r.logins
                recent_n += 1
            else:
                prior_sum += r.logins
                prior_n += 1
        if r.open_tickets is not None and age < 98:
            if latest_ticket_on is None:
                latest_ticket_on = r.on
            tickets.append(r.open_tickets)
        if snap.csat is None and r.csat is not None and age <= 90:
            snap.csat, snap.csat_on = r.csat, r.on
        if snap.nps is None and r.nps is not None:
            snap.nps, snap.nps_on = r.nps, r.on
    if recent_n and prior_n:
        snap.logins_recent, snap.logins_prior = recent_sum / recent_n, prior_sum / prior_n
    if len(tickets) >= 3 and latest_ticket_on is not None and (on - latest_ticket_on).days <= 30:
        rest = sorted(tickets[2:])
        mid = len(rest) // 2
        base = rest[mid] if len(rest) % 2 else (rest[mid - 1] + rest[mid]) / 2
        recent = (tickets[0] + tickets[1]) / 2
        snap.tickets = TicketLevel(latest_ticket_on, tickets[0], recent, float(base), escalations)
    return snap


# --- components -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    points: float | None
    weight: float
    share: float
    detail: str


@dataclass(frozen=True)
class Score:
    on: date
    value: int | None
    band: Band | None
    effective_band: Band | None
    override: Override | None
    components: tuple[Component, ...]
    missing: tuple[str, ...]
    explanation: str
    movers: tuple[str, ...]
    trend: int | None


def _round(x: float) -> int:
    """Half away from zero; Python's round() goes half to even (round(68.5) == 68)."""
    n = math.floor(abs(x) + 0.5 + 1e-9)
    return -n if x < 0 else n


def _pct(x: float) -> str:
    return f"{x:.0f}%"


def _adoption(facts: AccountFacts, s: Snapshot) -> tuple[float | None, str]:
    seats = facts.seats if facts.seats and facts.seats > 0 else None
    usage = None
    parts = []
    if seats is not None and s.active is not None:
        ratio = s.active / seats
        usage = 100.0 * min(1.0, ratio / 0.8)
        note = ", counted as 100%" if s.active > seats else ""
        parts.append(f"{s.active} of {seats} seats active ({_pct(100 * ratio)}{note})")
    feature = None if s.feature is None else min(100.0, max(0.0, s.feature))
    if feature is not None:
        parts.append(f"feature adoption {_pct(feature)}")
    if usage is not None and feature is not None:
        return 0.7 * usage + 0.3 * feature, ", ".join(parts)
    if usage is not None:
        return usage, parts[0]
    if feature is not None:
        why = "seats unknown" if seats is None else "no active-user count in 30 days"
        return feature, f"{parts[0]} ({why})"
    if seats is None and s.active is not None:
        return None, "seats unknown and no feature adoption in 30 days"
    return None, "no active-user or feature-adoption reading in 30 days"


def _login_points(s: Snapshot) -> float | None:
    if s.logins_recent is None or s.logins_prior is None:
        return None
    if s.logins_prior == 0:
        return 100.0 if s.logins_recent > 0 else 0.0
    ratio = s.logins_recent / s.logins_prior
    return 100.0 if ratio >= 0.9 else 0.0 if ratio <= 0.5 else 250.0 * (ratio - 0.5)


def _recency(facts: AccountFacts, on: date) -> tuple[float | None, int | None, int]:
    """Points, days since the last touchpoint (None: never), cadence."""
    c = cadence_for(facts, on)
    last = last_touchpoint(facts, on)
    if last is None:
        start = account_start(facts)
        if start is None or (on - start).days <= c:
            return None, None, c
        return 0.0, None, c
    d = (on - last).days
    return (100.0 if d <= c else 0.0 if d >= 3 * c else 100.0 * (3 * c - d) / (2 * c)), d, c


def _engagement(facts: AccountFacts, s: Snapshot) -> tuple[float | None, str]:
    logins = _login_points(s)
    touch, days, c = _recency(facts, s.on)
    parts = []
    if logins is not None and s.logins_recent is not None and s.logins_prior is not None:
        change = ""
        if s.logins_prior:
            change = f" ({_signed(100 * s.logins_recent / s.logins_prior - 100)}%)"
        parts.append(f"logins {s.logins_recent:.0f}/week vs {s.logins_prior:.0f} before{change}")
    if touch is not None:
        when = "none logged" if days is None else f"{days} days ago"
        parts.append(f"last touchpoint {when} (cadence {c} days)")
    have = [p for p in (logins, touch) if p is not None]
    if not have:
        return None, "no login readings for 8 weeks and no touchpoint due yet"
    return sum(have) / len(have), "; ".join(parts)


def _support(s: Snapshot) -> tuple[float | None, str]:
    t = s.tickets
    if t is None:
        return None, "fewer than 3 ticket readings in 14 weeks, or none in 30 days"
    points = 100.0
    if t.rise > 0:
        points = 100.0 * (1 - min(1.0, t.rise / 3, t.recent / max(t.baseline, 1.0) - 1))
    points = max(0.0, points - 25.0 * min(t.escalations, 2))
    esc = f"{t.escalations} escalation(s)" if t.escalations else "no escalations"
    return points, f"{t.current} open tickets, usual {t.baseline:g}; {esc} in 30 days"


def _nps_points(nps: int) -> float:
    return 100.0 if nps >= 9 else 60.0 if nps >= 7 else 5.0 * max(0, nps)


def _sentiment(s: Snapshot) -> tuple[float | None, str]:
    have, parts = [], []
    if s.nps is not None:
        have.append(_nps_points(s.nps))
        parts.append(f"NPS {s.nps} on {s.nps_on}")
    if s.csat is not None:
        have.append(25.0 * (min(5.0, max(1.0, s.csat)) - 1))
        parts.append(f"CSAT {s.csat:g} on {s.csat_on}")
    if not have:
        return None, "no NPS response in 180 days and no CSAT in 90 days"
    return sum(have) / len(have), ", ".join(parts)


def _holders(people: Iterable[Person], role: str, on: date) -> list[str]:
    return [p.name for p in people if role in p.roles and p.current(on)]


def _relationship(facts: AccountFacts, on: date) -> tuple[float | None, str]:
    if not facts.people:
        return None, "no contacts"
    champs = _holders(facts.people, ContactRole.CHAMPION, on)
    sponsors = _holders(facts.people, ContactRole.EXECUTIVE_SPONSOR, on)
    points = (60.0 if champs else 0.0) + (40.0 if sponsors else 0.0)
    champ = f"champion {', '.join(champs)}" if champs else "no current champion"
    sponsor = f"sponsor {', '.join(sponsors)}" if sponsors else "no executive sponsor"
    return points, f"{champ}, {sponsor}"


def _signed(x: float) -> str:
    n = _round(x)
    return f"{MINUS}{-n}" if n < 0 else f"+{n}"


@dataclass(frozen=True, slots=True)
class _Evaluation:
    value: int | None
    components: tuple[Component, ...]
    snap: Snapshot


def _evaluate(
    facts: AccountFacts, on: date, settings: Settings, dates: Sequence[date]
) -> _Evaluation:
    snap = snapshot(facts, on, dates)
    raw = (
        ("adoption", _adoption(facts, snap)),
        ("engagement", _engagement(facts, snap)),
        ("support", _support(snap)),
        ("sentiment", _sentiment(snap)),
        ("relationship", _relationship(facts, on)),
    )
    weights = settings.weights
    total = sum(weights[k] for k, (p, _) in raw if p is not None)
    comps = []
    acc = 0.0
    for key, (points, detail) in raw:
        w = weights[key]
        share = w / total if points is not None and total > 0 else 0.0
        if points is not None:
            acc += share * points
        comps.append(Component(key, LABELS[key], points, w, share, detail))
    value = _round(acc) if total > 0 else None
    return _Evaluation(value, tuple(comps), snap)


# --- explanation and movers ---------------------------------------------------------------


def _change(name: str, old: float | None, new: float | None, unit: str = "") -> str | None:
    if (old is None and new is None) or old == new:
        return None
    if old is None:
        return f"{name} {new:g}{unit} (none before)"
    if new is None:
        return f"{name} {old:g}{unit} no longer recent"
    return f"{name} {old:g}{unit} {ARROW} {new:g}{unit}"


def _mover_text(key: str, now: _Evaluation, then: _Evaluation, facts: AccountFacts) -> str:
    a, b = then.snap, now.snap
    parts: list[str | None] = []
    if key == "adoption":
        if a.active is not None and b.active is not None and facts.seats:
            if a.active != b.active:
                parts.append(f"active users {a.active} {ARROW} {b.active} of {facts.seats} seats")
        else:
            parts.append(_change("active users", a.active, b.active))
        fa, fb = (None if f is None else round(f) for f in (a.feature, b.feature))
        parts.append(_change("feature adoption", fa, fb, "%"))
    elif key == "engagement":
        ra, rb = (None if x is None else round(x) for x in (a.logins_recent, b.logins_recent))
        parts.append(_change("weekly logins", ra, rb))
        (pa, da, _), (pb, db, c) = _recency(facts, a.on), _recency(facts, b.on)
        if pa != pb and da is not None and db is not None:
            parts.append(f"last touchpoint {da} {ARROW} {db} days ago (cadence {c})")
        elif pa != pb and db is None:
            parts.append(f"no touchpoint logged (cadence {c})")
        elif pa != pb and db is not None:
            parts.append(f"first touchpoint {db} days ago")
    elif key == "support" and a.tickets and b.tickets:
        tickets = _change("open tickets", a.tickets.current, b.tickets.current)
        parts.append(tickets and f"{tickets} (usual {b.tickets.baseline:g})")
        parts.append(_change("escalations", a.tickets.escalations, b.tickets.escalations))
    elif key == "sentiment":
        parts.append(_change("NPS", a.nps, b.nps))
        parts.append(_change("CSAT", a.csat, b.csat))
    elif key == "relationship":
        for p in facts.people:
            if p.left_on is not None and a.on < p.left_on <= b.on and p.roles:
                parts.append(f"{p.name} ({', '.join(p.roles)}) left on {p.left_on}")
    return "; ".join(p for p in parts if p)


def _movers(now: _Evaluation, then: _Evaluation, facts: AccountFacts) -> tuple[str, ...]:
    found = []
    for c_now, c_then in zip(now.components, then.components, strict=True):
        if c_now.points is None or c_then.points is None:
            continue
        delta = _round(c_now.points - c_then.points)
        if abs(delta) < 3:
            continue
        why = _mover_text(c_now.key, now, then, facts)
        why = why or f"{c_then.points:.0f} {ARROW} {c_now.points:.0f} points"
        text = f"{c_now.label} {_signed(delta)}: {why}"
        found.append((abs(delta) * c_now.share, text))
    found.sort(key=lambda item: -item[0])
    return tuple(text for _, text in found[:3])


def _explain(
    value: int | None,
    band: Band | None,
    override: Override | None,
    comps: tuple[Component, ...],
    missing: tuple[str, ...],
) -> str:
    by_hand = (
        f"set to {override.band.label} by hand until {override.expires_on}" if override else ""
    )
    if value is None or band is None:
        first = "No health score: no component has data"
        first += f"; {by_hand}." if by_hand else "."
        return first
    first = f"Health {value} ({band.label}"
    first += f", {by_hand})" if by_hand else ")"
    scored = [c for c in comps if c.points is not None and c.share > 0]
    weakest = min(scored, key=lambda c: c.points if c.points is not None else 0.0)
    first += f"; weakest is {weakest.label} at {_round(weakest.points or 0)}: {weakest.detail}."
    if missing:
        names = " and ".join(missing) if len(missing) <= 2 else ", ".join(missing)
        its = "its weight is" if len(missing) == 1 else "their weights are"
        first += f" No data for {names}; {its} shared among the others."
    return first


def _score(facts: AccountFacts, on: date, settings: Settings, dates: Sequence[date]) -> Score:
    now = _evaluate(facts, on, settings, dates)
    then = _evaluate(facts, on - timedelta(days=30), settings, dates)
    band = None if now.value is None else band_for(now.value, settings)
    override = facts.override if facts.override and facts.override.applies(on) else None
    missing = tuple(c.label for c in now.components if c.points is None and c.weight > 0)
    trend = None if now.value is None or then.value is None else now.value - then.value
    return Score(
        on=on,
        value=now.value,
        band=band,
        effective_band=override.band if override else band,
        override=override,
        components=now.components,
        missing=missing,
        explanation=_explain(now.value, band, override, now.components, missing),
        movers=_movers(now, then, facts),
        trend=trend,
    )


def score(facts: AccountFacts, on: date, settings: Settings = DEFAULT_SETTINGS) -> Score:
    return _score(facts, on, settings, _dates(facts))


def history(
    facts: AccountFacts, dates: Iterable[date], settings: Settings = DEFAULT_SETTINGS
) -> list[Score]:
    reading_dates = _dates(facts)
    return [_score(facts, on, settings, reading_dates) for on in dates]
