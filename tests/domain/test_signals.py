"""Risk and expansion rules: for each, a case that fires, one that must not, and the severities."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from csmdesk.domain.health import AccountFacts, Band, Override, Person, Reading, score
from csmdesk.domain.signals import NoteText, Signal, expansion_signals, risk_signals

ON = date(2026, 6, 1)


def ago(days: int) -> date:
    return ON - timedelta(days=days)


def facts(
    readings: tuple[Reading, ...] = (),
    *,
    seats: int | None = 60,
    touchpoints: tuple[date, ...] = (ago(5),),
    people: tuple[Person, ...] = (),
    renewal: date | None = None,
    payment_issue: bool = False,
    contract_start: date | None = date(2024, 1, 1),
) -> AccountFacts:
    return AccountFacts(
        seats=seats,
        segment="enterprise",
        lifecycle="mature",
        contract_start=contract_start,
        renewal_date=renewal,
        payment_issue=payment_issue,
        readings=readings,
        touchpoints=touchpoints,
        people=people,
        cadence_days=30,
    )


def risks(f: AccountFacts, notes: tuple[NoteText, ...] = (), **kw: object) -> dict[str, Signal]:
    found = risk_signals(f, score(f, ON), notes, ON, **kw)  # type: ignore[arg-type]
    assert all(not s.is_expansion for s in found)
    return {s.kind: s for s in found}


def chances(f: AccountFacts, notes: tuple[NoteText, ...] = (), **kw: object) -> dict[str, Signal]:
    found = expansion_signals(f, notes, ON, **kw)  # type: ignore[arg-type]
    assert all(s.is_expansion for s in found)
    return {s.kind: s for s in found}


def active(then: int, now: int) -> tuple[Reading, ...]:
    """Active users 35 days ago (what was seen 30 days earlier) and today."""
    return (Reading(ago(35), active_users=then), Reading(ON, active_users=now))


# --- risks --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("then", "now", "severity"), [(50, 40, "medium"), (50, 31, "medium"), (50, 30, "high")]
)
def test_usage_decline_fires_from_twenty_percent(then: int, now: int, severity: str) -> None:
    signal = risks(facts(active(then, now)))["usage_decline"]
    assert signal.severity == severity
    assert signal.title == f"Usage down {round(100 * (then - now) / then)}% in 30 days"
    assert signal.detail == f"Active users {then} \u2192 {now} (latest reading 2026-06-01)."


def test_usage_decline_stays_quiet_below_twenty_percent() -> None:
    assert "usage_decline" not in risks(facts(active(50, 41)))  # -18%


def _tickets(last_two: tuple[int, int], escalation: int = 0) -> tuple[Reading, ...]:
    ages = range(91, -1, -7)  # 14 weekly readings; usual level 3
    counts = [3] * 12 + list(last_two)
    return tuple(
        Reading(ago(a), open_tickets=c, escalations=escalation if a == 0 else 0)
        for a, c in zip(ages, counts, strict=True)
    )


@pytest.mark.parametrize(
    ("last_two", "escalation", "severity"),
    [
        ((6, 7), 0, "medium"),  # mean 6.5 >= 2 * 3 and 3.5 more
        ((9, 10), 0, "high"),  # mean 9.5 >= 3 * 3 and 6.5 more
        ((6, 7), 1, "high"),  # a spike with an escalation
        ((3, 9), 0, "medium"),  # one week at 9: mean 6 = 2 * 3 and 3 more
    ],
)
def test_ticket_spike(last_two: tuple[int, int], escalation: int, severity: str) -> None:
    signal = risks(facts(_tickets(last_two, escalation)))["ticket_spike"]
    assert signal.severity == severity
    assert signal.title == f"Tickets up: {last_two[1]} open vs usual 3"


@pytest.mark.parametrize("last_two", [(5, 5), (3, 8), (8, 3)])
def test_no_ticket_spike_below_double_or_after_one_bad_week(last_two: tuple[int, int]) -> None:
    # (5, 5): mean 5, only +2; (3, 8) and (8, 3): mean 5.5 < 2 * 3
    assert "ticket_spike" not in risks(facts(_tickets(last_two)))


def test_steady_high_ticket_level_is_no_spike() -> None:
    steady_high = tuple(r._replace(open_tickets=20) for r in _tickets((20, 20)))
    assert "ticket_spike" not in risks(facts(steady_high))


@pytest.mark.parametrize(
    ("nps", "severity"), [(6, "medium"), (4, "medium"), (3, "high"), (0, "high")]
)
def test_detractor_nps(nps: int, severity: str) -> None:
    signal = risks(facts((Reading(ago(90), nps=nps),)))["detractor_nps"]
    assert (signal.severity, signal.title) == (severity, f"Detractor NPS ({nps})")


def test_no_detractor_signal_when_old_passive_or_followed_by_a_promoter() -> None:
    assert "detractor_nps" not in risks(facts((Reading(ago(91), nps=2),)))
    assert "detractor_nps" not in risks(facts((Reading(ago(10), nps=7),)))
    later_promoter = (Reading(ago(40), nps=2), Reading(ago(10), nps=9))
    assert "detractor_nps" not in risks(facts(later_promoter))


def test_champion_left_is_high_when_no_champion_remains() -> None:
    gone = Person("Dana Lee", ("champion",), left_on=ago(90))
    signal = risks(facts(people=(gone,)))["champion_left"]
    assert signal.severity == "high"
    assert signal.detail == "Left: Dana Lee on 2026-03-03; no champion left."
    other = Person("Kim Park", ("champion", "admin"))
    assert risks(facts(people=(gone, other)))["champion_left"].severity == "medium"


def test_champion_left_long_ago_or_leaving_later_is_quiet() -> None:
    assert "champion_left" not in risks(facts(people=(Person("A", ("champion",), ago(91)),)))
    leaving = Person("B", ("champion",), left_on=ON + timedelta(days=7))
    assert "champion_left" not in risks(facts(people=(leaving,)))
    assert "champion_left" not in risks(facts(people=(Person("C", ("admin",), ago(5)),)))


@pytest.mark.parametrize(("days", "severity"), [(31, "medium"), (60, "medium"), (61, "high")])
def test_no_touchpoint_within_cadence(days: int, severity: str) -> None:
    signal = risks(facts(touchpoints=(ago(days),)))["no_touchpoint"]
    assert (signal.severity, signal.title) == (severity, f"No touchpoint for {days} days")


def test_touchpoint_within_cadence_or_young_account_is_quiet() -> None:
    assert "no_touchpoint" not in risks(facts(touchpoints=(ago(30),)))
    assert "no_touchpoint" not in risks(facts(touchpoints=(), contract_start=ago(30)))
    never = risks(facts(touchpoints=(), contract_start=ago(100)))["no_touchpoint"]
    assert never.severity == "high"
    assert never.detail == "No touchpoint logged since 2026-02-21; expected every 30 days."


def _renewing(days: int, band: Band | None) -> dict[str, Signal]:
    f = facts(renewal=ON + timedelta(days=days))
    s = replace(score(f, ON), effective_band=band)
    return {x.kind: x for x in risk_signals(f, s, (), ON)}


@pytest.mark.parametrize(
    ("days", "band", "severity"),
    [
        (90, Band.WATCH, "medium"),
        (31, Band.AT_RISK, "high"),
        (30, Band.AT_RISK, "critical"),
        (0, Band.AT_RISK, "critical"),
    ],
)
def test_renewal_while_not_healthy(days: int, band: Band, severity: str) -> None:
    assert _renewing(days, band)["renewal_not_healthy"].severity == severity


@pytest.mark.parametrize(
    ("days", "band"), [(30, Band.HEALTHY), (91, Band.AT_RISK), (-1, Band.AT_RISK), (30, None)]
)
def test_renewal_signal_quiet_when_healthy_far_past_or_unscored(
    days: int, band: Band | None
) -> None:
    assert "renewal_not_healthy" not in _renewing(days, band)


def test_renewal_signal_follows_the_manual_band() -> None:
    # no data, so no computed band; the CSM's override says at risk
    manual = Override(Band.AT_RISK, "exec change", set_on=ago(1), expires_on=ON)
    f = replace(facts(renewal=ON + timedelta(days=10)), override=manual)
    assert risks(f)["renewal_not_healthy"].severity == "critical"


def test_payment_issue() -> None:
    assert risks(facts(payment_issue=True))["payment_issue"].severity == "high"
    assert "payment_issue" not in risks(facts())


def test_competitor_named_in_a_recent_note() -> None:
    notes = (NoteText(ago(60), "They were pitched GAINSIGHT last week."),)
    signal = risks(facts(), notes)["competitor_mentioned"]
    assert signal.severity == "medium"
    assert signal.detail == 'Named in notes of the last 60 days: "GAINSIGHT" (2026-04-02).'
    assert "competitor_mentioned" in risks(
        facts(), (NoteText(ON, "Acme uses Zendesk"),), competitors=["zendesk"]
    )


@pytest.mark.parametrize(
    "note",
    [
        NoteText(ago(61), "They were pitched Gainsight."),  # too old
        NoteText(ago(5), "Gainsightly is not a product."),  # not a whole word
        NoteText(ago(5), "Catalysts of change"),
        NoteText(ON + timedelta(days=1), "Planhat tomorrow"),  # after the date scored
    ],
)
def test_no_competitor_signal(note: NoteText) -> None:
    assert "competitor_mentioned" not in risks(facts(), (note,))


def test_risks_are_sorted_most_severe_first() -> None:
    f = facts(active(50, 40), payment_issue=True, touchpoints=(ago(40),))
    kinds = [s.kind for s in risk_signals(f, score(f, ON), (), ON)]
    assert kinds[0] == "payment_issue"
    assert set(kinds) == {"payment_issue", "usage_decline", "no_touchpoint"}


# --- expansion ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("used", "severity"), [(55, "low"), (60, "medium"), (66, "medium")])
def test_seats_near_limit(used: int, severity: str) -> None:
    signal = chances(facts((Reading(ON, active_users=used),)))["seats_near_limit"]
    assert signal.severity == severity


def test_seats_at_ninety_percent_or_unknown_are_quiet() -> None:
    assert "seats_near_limit" not in chances(facts((Reading(ON, active_users=54),)))
    assert "seats_near_limit" not in chances(facts((Reading(ON, active_users=54),), seats=None))


@pytest.mark.parametrize(("then", "now", "severity"), [(40, 46, "low"), (40, 52, "medium")])
def test_active_users_growing(then: int, now: int, severity: str) -> None:
    signal = chances(facts(active(then, now)))["active_users_growing"]
    assert signal.severity == severity


def test_slow_growth_is_quiet() -> None:
    assert "active_users_growing" not in chances(facts(active(40, 45)))  # +12.5%


def test_promoter_nps() -> None:
    assert chances(facts((Reading(ago(90), nps=9),)))["promoter_nps"].severity == "low"
    assert "promoter_nps" not in chances(facts((Reading(ago(91), nps=10),)))
    assert "promoter_nps" not in chances(facts((Reading(ago(10), nps=8),)))


def test_expansion_words_in_recent_notes() -> None:
    one = (NoteText(ago(10), "They need More Seats for the new team in Q3."),)
    signal = chances(facts(), one)["expansion_mentioned"]
    assert signal.severity == "low"
    assert signal.detail == (
        "Mentioned in notes of the last 60 days: "
        '"More Seats" (2026-05-22), "new team" (2026-05-22).'
    )
    two = (*one, NoteText(ago(3), "Budget approved."))
    assert chances(facts(), two)["expansion_mentioned"].severity == "medium"


@pytest.mark.parametrize(
    "note",
    [
        NoteText(ago(61), "Budget approved."),  # too old
        NoteText(ago(5), "Budgetary constraints, expanding nothing."),  # not whole words
        NoteText(ago(5), "Renewal call went fine."),
    ],
)
def test_no_expansion_mention(note: NoteText) -> None:
    assert "expansion_mentioned" not in chances(facts(), (note,))
