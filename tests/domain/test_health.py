"""Health scoring, checked to the exact value against the formulas in csmdesk.domain.health.

Every expected number is worked out by hand in a comment. Default weights: adoption 30,
engagement 20, support 15, sentiment 20, relationship 15 (sum 100).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from csmdesk.domain.health import (
    DEFAULT_WEIGHTS,
    AccountFacts,
    Band,
    Override,
    Person,
    Reading,
    Score,
    Settings,
    SettingsError,
    band_for,
    default_cadence,
    history,
    score,
)

ON = date(2026, 6, 1)
MINUS, ARROW = "\u2212", "\u2192"
CHAMPION = Person("Dana Lee", ("champion",))
SPONSOR = Person("Sam Roe", ("executive_sponsor",))


def ago(days: int) -> date:
    return ON - timedelta(days=days)


def weekly(weeks: int = 14, **fields: object) -> tuple[Reading, ...]:
    """Readings aged 7*(weeks-1) .. 0 days. A field given as a list runs oldest to newest."""
    out = []
    for k in range(weeks):
        values = {
            key: (value[k] if isinstance(value, list) else value) for key, value in fields.items()
        }
        out.append(Reading(ago(7 * (weeks - 1 - k)), **values))  # type: ignore[arg-type]
    return tuple(out)


def facts(
    readings: tuple[Reading, ...] = (),
    *,
    seats: int | None = 60,
    touchpoints: tuple[date, ...] = (),
    people: tuple[Person, ...] = (),
    contract_start: date | None = date(2024, 1, 1),
    cadence_days: int | None = 30,
    override: Override | None = None,
) -> AccountFacts:
    return AccountFacts(
        seats=seats,
        segment="enterprise",
        lifecycle="mature",
        contract_start=contract_start,
        renewal_date=date(2027, 1, 1),
        payment_issue=False,
        readings=readings,
        touchpoints=touchpoints,
        people=people,
        override=override,
        cadence_days=cadence_days,
    )


def full(**changes: object) -> AccountFacts:
    """Every component has data. 14 weekly readings; NPS 8 aged 21, CSAT 4.0 aged 14."""
    readings = weekly(
        active_users=42,
        feature_adoption_pct=50.0,
        logins=400,
        open_tickets=4,
        escalations=0,
        nps=[None] * 10 + [8, None, None, None],
        csat=[None] * 11 + [4.0, None, None],
    )
    base = facts(readings, touchpoints=(ago(40), ago(10)), people=(CHAMPION,))
    return replace(base, **changes)  # type: ignore[arg-type]


def points(s: Score, key: str) -> float | None:
    return next(c.points for c in s.components if c.key == key)


def only(key: str) -> Settings:
    """Weights that make the score equal one component's points."""
    return Settings(weights={key: 1})


# --- full data and missing components -------------------------------------------------------


def test_full_data_scores_every_component() -> None:
    # adoption: 42/60 = 70% -> 100 * 0.70 / 0.8 = 87.5; 0.7 * 87.5 + 0.3 * 50 = 76.25
    # engagement: logins steady (ratio 1) -> 100; touchpoint 10 d <= 30 -> 100; mean 100
    # support: latest two 4, 4 -> R = 4; usual B = 4; rise 0 -> 100
    # sentiment: NPS 8 -> 60; CSAT 4.0 -> 25 * 3 = 75; mean 67.5
    # relationship: champion, no sponsor -> 60
    # 0.30*76.25 + 0.20*100 + 0.15*100 + 0.20*67.5 + 0.15*60
    #   = 22.875 + 20 + 15 + 13.5 + 9 = 80.375 -> 80
    s = score(full(), ON)
    assert [c.points for c in s.components] == pytest.approx([76.25, 100, 100, 67.5, 60])
    assert [c.share for c in s.components] == pytest.approx([0.30, 0.20, 0.15, 0.20, 0.15])
    assert (s.value, s.band, s.effective_band, s.missing) == (80, Band.HEALTHY, Band.HEALTHY, ())
    assert s.components[0].detail == "42 of 60 seats active (70%), feature adoption 50%"
    assert s.explanation.startswith("Health 80 (Healthy); weakest is Relationship at 60")
    # 30 days earlier neither survey had arrived: sentiment left out, so
    # (2287.5 + 2000 + 1500 + 900) / 80 = 83.59 -> 84; trend 80 - 84 = -4, and no movers since
    # only components with data on both dates can move
    assert s.trend == -4 and s.movers == ()


@pytest.mark.parametrize(
    ("drop", "label", "expected", "share_of_engagement"),
    [
        # no usage readings: (20*100 + 15*100 + 20*67.5 + 15*60) / 70 = 5750 / 70 = 82.14 -> 82
        ("adoption", "Adoption", 82, 20 / 70),
        # no logins, no touchpoint, account 20 d old (< cadence 30):
        # (30*76.25 + 15*100 + 20*67.5 + 15*60) / 80 = 6037.5 / 80 = 75.47 -> 75
        ("engagement", "Engagement", 75, 0.0),
        # no ticket readings: (2287.5 + 2000 + 1350 + 900) / 85 = 6537.5 / 85 = 76.91 -> 77
        ("support", "Support", 77, 20 / 85),
        # no NPS, no CSAT: (2287.5 + 2000 + 1500 + 900) / 80 = 6687.5 / 80 = 83.59 -> 84
        ("sentiment", "Sentiment", 84, 20 / 80),
        # no contacts: (2287.5 + 2000 + 1500 + 1350) / 85 = 7137.5 / 85 = 83.97 -> 84
        ("relationship", "Relationship", 84, 20 / 85),
    ],
)
def test_missing_component_shares_its_weight(
    drop: str, label: str, expected: int, share_of_engagement: float
) -> None:
    f = full()
    blank = {
        "adoption": {"active_users": None, "feature_adoption_pct": None},
        "engagement": {"logins": None},
        "support": {"open_tickets": None, "escalations": None},
        "sentiment": {"nps": None, "csat": None},
    }
    if drop in blank:
        f = replace(f, readings=tuple(r._replace(**blank[drop]) for r in f.readings))  # type: ignore[arg-type]
    if drop == "engagement":
        f = replace(f, touchpoints=(), contract_start=ago(20))
    if drop == "relationship":
        f = replace(f, people=())
    s = score(f, ON)
    assert s.value == expected
    assert s.missing == (label,)
    assert points(s, drop) is None
    dropped = next(c for c in s.components if c.key == drop)
    assert (dropped.share, dropped.weight) == (0.0, DEFAULT_WEIGHTS[drop])
    assert sum(c.share for c in s.components) == pytest.approx(1.0)
    assert next(c.share for c in s.components if c.key == "engagement") == pytest.approx(
        share_of_engagement
    )
    assert f"No data for {label}; its weight is shared among the others." in s.explanation


def test_no_data_at_all_gives_no_value() -> None:
    s = score(facts(contract_start=None), ON)
    assert (s.value, s.band, s.effective_band, s.trend) == (None, None, None, None)
    assert s.missing == ("Adoption", "Engagement", "Support", "Sentiment", "Relationship")
    assert s.explanation == "No health score: no component has data."


# --- bands --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (70, Band.HEALTHY),
        (69, Band.WATCH),
        (40, Band.WATCH),
        (39, Band.AT_RISK),
        (100, Band.HEALTHY),
    ],
)
def test_band_edges_with_default_thresholds(value: int, band: Band) -> None:
    assert band_for(value, Settings()) == band


@pytest.mark.parametrize(
    ("csat", "value", "band"),
    [
        # sentiment alone: 25 * (csat - 1)
        (3.8, 70, Band.HEALTHY),  # 25 * 2.8 = 70
        (3.76, 69, Band.WATCH),  # 25 * 2.76 = 69
        (3.78, 70, Band.HEALTHY),  # 25 * 2.78 = 69.5 -> rounded half up to 70
        (2.6, 40, Band.WATCH),  # 25 * 1.6 = 40
        (2.56, 39, Band.AT_RISK),  # 25 * 1.56 = 39
    ],
)
def test_scored_band_edges(csat: float, value: int, band: Band) -> None:
    f = facts(weekly(1, csat=csat))
    s = score(f, ON, only("sentiment"))
    assert (s.value, s.band) == (value, band)


@pytest.mark.parametrize(
    ("csat", "value", "band"),
    [
        (4.2, 80, Band.HEALTHY),
        (4.16, 79, Band.WATCH),
        (3.0, 50, Band.WATCH),
        (2.96, 49, Band.AT_RISK),
    ],
)
def test_custom_thresholds(csat: float, value: int, band: Band) -> None:
    settings = Settings(weights={"sentiment": 1}, healthy_at=80, watch_at=50)
    s = score(facts(weekly(1, csat=csat)), ON, settings)
    assert (s.value, s.band) == (value, band)


def test_override_sets_effective_band_until_it_expires() -> None:
    manual = Override(Band.AT_RISK, "sponsor leaving", set_on=ago(5), expires_on=ON + timedelta(10))
    f = full(override=manual)
    on_day = score(f, ON)
    assert (on_day.value, on_day.band, on_day.effective_band) == (80, Band.HEALTHY, Band.AT_RISK)
    assert on_day.override == manual
    assert "set to At risk by hand until 2026-06-11" in on_day.explanation
    assert score(f, ON + timedelta(10)).effective_band == Band.AT_RISK  # last day it applies
    after = score(f, ON + timedelta(11))
    assert (after.override, after.effective_band) == (None, after.band)
    before = score(f, ago(6))  # history does not see an override set later
    assert before.override is None and before.effective_band == before.band


# --- components ---------------------------------------------------------------------------------


def test_active_users_above_seats_count_as_full_usage() -> None:
    # 75 of 60 seats = 125% -> counted as 100% -> usage 100; no feature adoption -> adoption 100
    s = score(facts(weekly(1, active_users=75)), ON, only("adoption"))
    assert s.value == 100
    assert s.components[0].detail == "75 of 60 seats active (125%, counted as 100%)"


def test_unknown_seats_fall_back_to_feature_adoption() -> None:
    s = score(facts(weekly(1, active_users=30, feature_adoption_pct=64.0), seats=None), ON)
    assert points(s, "adoption") == 64.0
    assert s.components[0].detail == "feature adoption 64% (seats unknown)"


def test_steady_high_ticket_level_scores_full() -> None:
    # 20 open tickets every week: R = 20, B = 20, rise 0 -> 100, whatever the size
    s = score(facts(weekly(open_tickets=20)), ON, only("support"))
    assert s.value == 100


@pytest.mark.parametrize(
    ("last_two", "escalation", "expected"),
    [
        # usual 3; R = (8 + 10) / 2 = 9; rise 6; r = 9/3 - 1 = 2 -> 100 * (1 - min(1, 2, 2)) = 0
        ((8, 10), 0, 0),
        # usual 3; R = (6 + 7) / 2 = 6.5 (the smallest spike): rise 3.5, r = 1.17 -> 0
        ((6, 7), 0, 0),
        # usual 3; R = 4: rise 1, r = 1/3 -> 100 * (1 - 1/3) = 66.67 -> 67
        ((4, 4), 0, 67),
        # steady 3 with one escalation in 30 days: 100 - 25 = 75
        ((3, 3), 1, 75),
    ],
)
def test_ticket_spike_against_own_baseline(
    last_two: tuple[int, int], escalation: int, expected: int
) -> None:
    tickets = [3] * 12 + list(last_two)
    escalations = [0] * 13 + [escalation]
    s = score(facts(weekly(open_tickets=tickets, escalations=escalations)), ON, only("support"))
    assert s.value == expected


def test_support_needs_three_ticket_readings() -> None:
    s = score(facts(weekly(2, open_tickets=5)), ON, only("support"))
    assert s.value is None and s.missing == ("Support",)


def test_engagement_login_drop_and_overdue_touchpoint() -> None:
    # logins 400 (aged 28..55) -> 280 (aged 0..27): ratio 0.7 -> 250 * 0.2 = 50
    # last touchpoint 45 d ago, cadence 30: 100 * (90 - 45) / 60 = 75
    # mean 62.5 -> rounded half up to 63 (Python's round() would say 62)
    f = facts(weekly(8, logins=[400] * 4 + [280] * 4), touchpoints=(ago(45),))
    s = score(f, ON, only("engagement"))
    assert s.value == 63
    assert s.components[1].detail == (
        f"logins 280/week vs 400 before ({MINUS}30%); last touchpoint 45 days ago (cadence 30 days)"
    )


def test_never_touched_account_older_than_cadence_scores_zero_recency() -> None:
    s = score(facts(contract_start=ago(31)), ON, only("engagement"))
    assert s.value == 0
    assert score(facts(contract_start=ago(30)), ON, only("engagement")).value is None


def test_sentiment_ignores_stale_responses() -> None:
    # NPS 5 aged 180 -> 5 * 5 = 25; CSAT 3.0 aged 90 -> 50; mean 37.5 -> 38
    nps = [Reading(ago(181), nps=10), Reading(ago(180), nps=5)]
    csat = [Reading(ago(91), csat=5.0), Reading(ago(90), csat=3.0)]
    s = score(facts((*nps, *csat)), ON, only("sentiment"))
    assert s.value == 38
    # a day later both have aged out
    assert score(facts((*nps, *csat)), ON + timedelta(1), only("sentiment")).value is None


def test_relationship_counts_only_current_people() -> None:
    gone = Person("Dana Lee", ("champion",), left_on=ago(3))
    s = score(facts(people=(gone, SPONSOR)), ON, only("relationship"))
    assert s.value == 40  # sponsor only
    assert s.components[4].detail == "no current champion, sponsor Sam Roe"
    nobody = score(facts(people=(Person("Kim", ()),)), ON, only("relationship"))
    assert nobody.value == 0 and nobody.missing == ()  # no champion is a finding, not a gap
    assert score(facts(people=(gone, SPONSOR)), ago(3), only("relationship")).value == 40
    assert score(facts(people=(gone, SPONSOR)), ago(4), only("relationship")).value == 100


# --- movers, trend, history -------------------------------------------------------------------


def _slipping(
    people: tuple[Person, ...] = (CHAMPION, SPONSOR), touch: tuple[date, ...] = ()
) -> AccountFacts:
    """Active users 41 -> 27 of 60 in the last month; NPS 9 (aged 63) -> 4 (aged 14)."""
    active = [41] * 10 + [27] * 4  # 27 at ages 21, 14, 7, 0; 41 at ages 28 and older
    nps = [None] * 4 + [9] + [None] * 6 + [4, None, None]
    readings = weekly(active_users=active, logins=400, open_tickets=4, nps=nps)
    return facts(readings, people=people, touchpoints=touch or (ago(40), ago(10)))


def test_movers_name_the_change_against_30_days_earlier() -> None:
    # now: adoption 100 * (27/60) / 0.8 = 56.25; engagement 100; support 100; NPS 4 -> 20;
    #   relationship 100: 0.3*56.25 + 20 + 15 + 0.2*20 + 15 = 70.875 -> 71
    # 30 days earlier (latest reading aged 28 -> 41 active): adoption (41/60)/0.8 = 85.42;
    #   NPS 9 -> 100: 0.3*85.417 + 20 + 15 + 20 + 15 = 95.625 -> 96; trend 71 - 96 = -25
    # deltas: sentiment -80 (x0.20 = 16), adoption -29.17 -> -29 (x0.30 = 8.75)
    s = score(_slipping(), ON)
    assert (s.value, s.trend) == (71, -25)
    assert s.movers == (
        f"Sentiment {MINUS}80: NPS 9 {ARROW} 4",
        f"Adoption {MINUS}29: active users 41 {ARROW} 27 of 60 seats",
    )


def test_movers_keep_the_three_largest_weighted_changes() -> None:
    # add: champion left 5 d ago (relationship 100 -> 40: -60, x0.15 = 9) and only an old
    # touchpoint (40 d ago now -> recency 100*(90-40)/60 = 83.33, engagement 91.67; 30 d
    # earlier it was 10 d old -> 100: -8.33 -> -8, x0.20 = 1.67, the smallest: dropped)
    left = Person("Dana Lee", ("champion",), left_on=ago(5))
    s = score(_slipping(people=(left, SPONSOR), touch=(ago(40),)), ON)
    assert [m.split(":")[0] for m in s.movers] == [
        f"Sentiment {MINUS}80",
        f"Relationship {MINUS}60",
        f"Adoption {MINUS}29",
    ]
    assert s.movers[1] == f"Relationship {MINUS}60: Dana Lee (champion) left on 2026-05-27"


def test_small_changes_are_not_movers() -> None:
    # seats unknown -> adoption = feature adoption: 50 -> 48 is -2 (below 3); 50 -> 42 is -8
    small = facts(weekly(feature_adoption_pct=[50.0] * 10 + [48.0] * 4), seats=None)
    assert score(small, ON).movers == ()
    large = facts(weekly(feature_adoption_pct=[50.0] * 10 + [42.0] * 4), seats=None)
    assert score(large, ON).movers == (f"Adoption {MINUS}8: feature adoption 50% {ARROW} 42%",)


def test_history_only_uses_data_up_to_each_date() -> None:
    f = _slipping()
    dates = [ago(30), ON]
    scores = history(f, dates)
    assert [s.value for s in scores] == [96, 71]
    # the earlier score is exactly what an account with no later data would have scored
    cut = replace(
        f, readings=tuple(r for r in f.readings if r.on <= ago(30)), touchpoints=(ago(40),)
    )
    assert scores[0] == score(cut, ago(30))
    assert scores[1] == score(f, ON)


# --- calibration -----------------------------------------------------------------------------


def test_healthy_and_declining_profiles_land_apart() -> None:
    # healthy: 45/60 = 75% -> 93.75; feature 60 -> 0.7*93.75 + 0.3*60 = 83.625; engagement 100;
    # support 100; NPS 9 -> 100 and CSAT 4.0 -> 75: 87.5; champion + sponsor 100
    # 0.3*83.625 + 20 + 15 + 0.2*87.5 + 15 = 25.0875 + 67.5 = 92.59 -> 93
    healthy = weekly(
        active_users=45,
        feature_adoption_pct=60.0,
        logins=450,
        open_tickets=4,
        nps=[None] * 8 + [9] + [None] * 5,
        csat=[None] * 12 + [4.0, None],
    )
    assert score(facts(healthy, touchpoints=(ago(10),), people=(CHAMPION, SPONSOR)), ON).value == 93
    # declining: active 42 (70%) -> 18 (30%) over 13 weeks, feature adoption 20%
    #   adoption: 100 * 0.30 / 0.8 = 37.5; 0.7*37.5 + 0.3*20 = 32.25
    #   logins 10x active: recent (24+22+20+18)/4*10 = 210, prior (31+29+27+26)/4*10 = 282.5
    #   ratio 0.7434 -> 250 * 0.2434 = 60.84; touchpoint 20 d ago -> 100; engagement 80.42
    #   tickets usual 3, latest two 6, 7: R 6.5 (a spike) -> 0; NPS 4 -> 20; sponsor only -> 40
    #   0.3*32.25 + 0.2*80.42 + 0 + 0.2*20 + 0.15*40 = 9.675 + 16.084 + 4 + 6 = 35.76 -> 36
    active = [42, 40, 38, 37, 35, 33, 31, 29, 27, 26, 24, 22, 20, 18]
    declining = weekly(
        active_users=active,
        logins=[10 * a for a in active],
        feature_adoption_pct=20.0,
        open_tickets=[3] * 12 + [6, 7],
        nps=[None] * 11 + [4, None, None],
    )
    gone = Person("Dana Lee", ("champion",), left_on=ago(20))
    s = score(facts(declining, touchpoints=(ago(20),), people=(gone, SPONSOR)), ON)
    assert (s.value, s.band) == (36, Band.AT_RISK)


# --- settings and cadence ----------------------------------------------------------------------


def test_settings_round_trip_through_json() -> None:
    custom = Settings(weights={"adoption": 50, "support": 0.5}, healthy_at=75, watch_at=45)
    assert Settings.from_json(custom.to_json()) == custom
    assert custom.weights["sentiment"] == 0.0  # absent keys weigh nothing
    assert Settings.from_json(Settings().to_json()) == Settings()
    assert Settings.from_json("{}") == Settings()


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        '{"colour": "red"}',
        '{"weights": {"adoption": -1}}',
        '{"weights": {"bogus": 1}}',
        '{"weights": {"adoption": "30"}}',
        '{"weights": {"adoption": true}}',
        '{"weights": {"adoption": NaN}}',
        '{"weights": [30, 20]}',
        '{"weights": {"adoption": 0, "engagement": 0}}',
        '{"healthy_at": 40, "watch_at": 40}',
        '{"healthy_at": 101}',
        '{"watch_at": -1}',
        '{"healthy_at": 70.5}',
    ],
)
def test_invalid_settings_are_refused(text: str) -> None:
    with pytest.raises(SettingsError):
        Settings.from_json(text)


@pytest.mark.parametrize(
    ("segment", "lifecycle", "start", "on", "days"),
    [
        ("enterprise", "onboarding", date(2026, 1, 15), date(2026, 2, 14), 7),
        ("enterprise", "onboarding", date(2026, 1, 15), date(2026, 2, 15), 14),
        ("enterprise", "onboarding", date(2026, 1, 15), date(2026, 3, 15), 30),
        ("smb", "onboarding", None, date(2026, 3, 15), 14),
        ("enterprise", "mature", None, ON, 30),
        ("mid_market", "adopting", None, ON, 45),
        ("smb", "renewing", None, ON, 90),
        ("enterprise", "churned", None, ON, 365),
    ],
)
def test_default_cadence(
    segment: str, lifecycle: str, start: date | None, on: date, days: int
) -> None:
    assert default_cadence(segment, lifecycle, start, on) == days
