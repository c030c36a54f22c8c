"""Risk and expansion signals: rules a CSM would apply by eye, applied to every account every day.

Each rule reads the same plain facts as the health score (``csmdesk.domain.health``) and only
data dated on or before ``on``. A rule fires at most once per account; the result is sorted by
severity, most severe first. "Within N days" means aged 0..N days.

Risks
    ``usage_decline``       latest active users (aged 0..30 days) down >= 20 % against the latest
                            reading as seen 30 days earlier: medium; >= 40 %: high.
    ``ticket_spike``        ``TicketLevel.is_spike`` (mean of the latest two ticket readings >= 2x
                            the account's usual and >= 3 more): medium; >= 3x and >= 6 more, or
                            with an escalation in 30 days: high.
    ``detractor_nps``       latest NPS response within 90 days is 0-6: medium; 0-3: high.
    ``champion_left``       a champion whose ``left_on`` is within 90 days: medium while another
                            champion remains, high when none does.
    ``no_touchpoint``       days since the last touchpoint > cadence: medium; > 2x cadence: high.
                            Never a touchpoint: counted from the account's start (contract start,
                            else first reading); unknown start: silent.
    ``renewal_not_healthy`` renewal in 0..90 days while the effective band is Watch: medium; At
                            risk: high, critical within 30 days. No score: silent.
    ``payment_issue``       the payment issue flag: high.
    ``competitor_mentioned`` a competitor named (whole word, any case) in a note of the last 60
                            days: medium.

Expansion
    ``seats_near_limit``      active users > 90 % of licensed seats: low; at or above 100 %: medium.
    ``active_users_growing``  active users up >= 15 % over 30 days: low; >= 30 %: medium.
    ``promoter_nps``          latest NPS response within 90 days is 9-10: low.
    ``expansion_mentioned``   an expansion phrase (whole words, any case) in a note of the last 60
                              days: low; in two or more notes: medium.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from csmdesk.domain.health import (
    AccountFacts,
    Band,
    Score,
    Snapshot,
    account_start,
    cadence_for,
    last_touchpoint,
    snapshot,
)
from csmdesk.models import ContactRole, RiskSeverity

ARROW = "\u2192"
DEFAULT_COMPETITORS = ("gainsight", "churnzero", "planhat", "vitally", "totango", "catalyst")
DEFAULT_EXPANSION_WORDS = (
    "new team",
    "another team",
    "new use case",
    "budget",
    "expand",
    "more seats",
    "additional licenses",
    "rollout to",
    "new department",
)
_RANK = {s.value: n for n, s in enumerate(RiskSeverity)}


@dataclass(frozen=True)
class Signal:
    kind: str
    severity: str
    title: str
    detail: str
    is_expansion: bool


@dataclass(frozen=True)
class NoteText:
    on: date
    text: str


def _sorted(signals: list[Signal]) -> list[Signal]:
    return sorted(signals, key=lambda s: -_RANK[s.severity])


def _usage_change(facts: AccountFacts, now: Snapshot, on: date) -> tuple[int, int, float] | None:
    """(then, now, fractional change) of active users over 30 days, when both are known."""
    then = snapshot(facts, on - timedelta(days=30))
    if now.active is None or then.active is None or then.active <= 0:
        return None
    return then.active, now.active, (now.active - then.active) / then.active


def _recent_nps(now: Snapshot, on: date) -> int | None:
    """The latest NPS response when it is at most 90 days old."""
    if now.nps_on is None or (on - now.nps_on).days > 90:
        return None
    return now.nps


def _mentions(
    notes: Sequence[NoteText], phrases: Sequence[str], on: date
) -> list[tuple[int, date, str]]:
    """(note number, date, phrase as written) for notes aged 0..60 days, oldest first."""
    words = [p.strip() for p in phrases if p.strip()]
    if not words:
        return []
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    found: list[tuple[int, date, str]] = []
    for n, note in enumerate(sorted(notes, key=lambda n: n.on)):
        if 0 <= (on - note.on).days <= 60:
            found.extend((n, note.on, m.group(0)) for m in pattern.finditer(note.text))
    return found


def _listing(found: list[tuple[int, date, str]]) -> str:
    """Each phrase once, with the date of the first note naming it."""
    firsts: dict[str, tuple[str, date]] = {}
    for _, when, text in found:
        firsts.setdefault(text.lower(), (text, when))
    return ", ".join(f'"{text}" ({when})' for text, when in firsts.values())


def risk_signals(
    facts: AccountFacts,
    score: Score,
    notes: Sequence[NoteText],
    on: date,
    competitors: Sequence[str] = DEFAULT_COMPETITORS,
) -> list[Signal]:
    out: list[Signal] = []

    def add(kind: str, severity: RiskSeverity, title: str, detail: str) -> None:
        out.append(Signal(kind, severity.value, title, detail, is_expansion=False))

    now = snapshot(facts, on)
    usage = _usage_change(facts, now, on)
    if usage is not None and usage[2] <= -0.2:
        then, current, change = usage
        sev = RiskSeverity.HIGH if change <= -0.4 else RiskSeverity.MEDIUM
        add(
            "usage_decline",
            sev,
            f"Usage down {round(-100 * change)}% in 30 days",
            f"Active users {then} {ARROW} {current} (latest reading {now.active_on}).",
        )

    t = now.tickets
    if t is not None and t.is_spike:
        big = (t.recent >= 3 * t.baseline and t.rise >= 6) or t.escalations > 0
        esc = f", {t.escalations} escalation(s) in 30 days" if t.escalations else ""
        add(
            "ticket_spike",
            RiskSeverity.HIGH if big else RiskSeverity.MEDIUM,
            f"Tickets up: {t.current} open vs usual {t.baseline:g}",
            f"Latest two readings average {t.recent:g} open tickets (to {t.on}), "
            f"usual level {t.baseline:g}{esc}.",
        )

    nps = _recent_nps(now, on)
    if nps is not None and nps <= 6:
        add(
            "detractor_nps",
            RiskSeverity.HIGH if nps <= 3 else RiskSeverity.MEDIUM,
            f"Detractor NPS ({nps})",
            f"Latest NPS response {nps} on {now.nps_on}.",
        )

    champions = [p for p in facts.people if ContactRole.CHAMPION in p.roles]
    gone = [p for p in champions if p.left_on is not None and 0 <= (on - p.left_on).days <= 90]
    if gone:
        remaining = [p.name for p in champions if p.current(on)]
        names = ", ".join(f"{p.name} on {p.left_on}" for p in gone)
        rest = f"; still a champion: {', '.join(remaining)}" if remaining else "; no champion left"
        add(
            "champion_left",
            RiskSeverity.MEDIUM if remaining else RiskSeverity.HIGH,
            "Champion left" if len(gone) == 1 else f"{len(gone)} champions left",
            f"Left: {names}{rest}.",
        )

    cadence = cadence_for(facts, on)
    last = last_touchpoint(facts, on)
    start = account_start(facts)
    since = (on - last).days if last else (on - start).days if start else None
    if since is not None and since > cadence:
        what = f"Last touchpoint on {last}" if last else f"No touchpoint logged since {start}"
        add(
            "no_touchpoint",
            RiskSeverity.HIGH if since > 2 * cadence else RiskSeverity.MEDIUM,
            f"No touchpoint for {since} days",
            f"{what}; expected every {cadence} days.",
        )

    band = score.effective_band
    if facts.renewal_date is not None and band in (Band.WATCH, Band.AT_RISK):
        left = (facts.renewal_date - on).days
        if 0 <= left <= 90:
            sev = RiskSeverity.MEDIUM
            if band == Band.AT_RISK:
                sev = RiskSeverity.CRITICAL if left <= 30 else RiskSeverity.HIGH
            add(
                "renewal_not_healthy",
                sev,
                f"Renewal in {left} days while {band.label}",
                f"Renews on {facts.renewal_date}; health {score.value} ({band.label}).",
            )

    if facts.payment_issue:
        add("payment_issue", RiskSeverity.HIGH, "Payment issue", "The account is flagged.")

    found = _mentions(notes, competitors, on)
    if found:
        add(
            "competitor_mentioned",
            RiskSeverity.MEDIUM,
            "Competitor mentioned in notes",
            f"Named in notes of the last 60 days: {_listing(found)}.",
        )
    return _sorted(out)


def expansion_signals(
    facts: AccountFacts,
    notes: Sequence[NoteText],
    on: date,
    words: Sequence[str] = DEFAULT_EXPANSION_WORDS,
) -> list[Signal]:
    out: list[Signal] = []

    def add(kind: str, severity: RiskSeverity, title: str, detail: str) -> None:
        out.append(Signal(kind, severity.value, title, detail, is_expansion=True))

    now = snapshot(facts, on)
    if now.active is not None and facts.seats:
        used = now.active / facts.seats
        if used > 0.9:
            add(
                "seats_near_limit",
                RiskSeverity.MEDIUM if used >= 1 else RiskSeverity.LOW,
                f"{round(100 * used)}% of seats in use",
                f"{now.active} active users on {now.active_on} for {facts.seats} licensed seats.",
            )

    usage = _usage_change(facts, now, on)
    if usage is not None and usage[2] >= 0.15:
        then, current, change = usage
        add(
            "active_users_growing",
            RiskSeverity.MEDIUM if change >= 0.3 else RiskSeverity.LOW,
            f"Active users up {round(100 * change)}% in 30 days",
            f"Active users {then} {ARROW} {current} (latest reading {now.active_on}).",
        )

    nps = _recent_nps(now, on)
    if nps is not None and nps >= 9:
        add(
            "promoter_nps",
            RiskSeverity.LOW,
            f"Promoter NPS ({nps})",
            f"Latest NPS response {nps} on {now.nps_on}.",
        )

    found = _mentions(notes, words, on)
    if found:
        many = len({n for n, _, _ in found}) >= 2
        add(
            "expansion_mentioned",
            RiskSeverity.MEDIUM if many else RiskSeverity.LOW,
            "Expansion talk in notes",
            f"Mentioned in notes of the last 60 days: {_listing(found)}.",
        )
    return _sorted(out)
