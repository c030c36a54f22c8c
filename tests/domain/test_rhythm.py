from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csmdesk.domain import health, rhythm
from csmdesk.domain.rhythm import (
    RhythmSettings,
    RhythmSettingsError,
    add_months,
    cadence_days,
    months_elapsed,
    next_review_due,
    next_touchpoint_due,
    renewal_window,
    reviews_on_schedule,
)
from csmdesk.models import Lifecycle, Segment

D = date

# --- month arithmetic ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2024, 1, 30), 1, D(2024, 2, 29)),
        (D(2025, 11, 30), 3, D(2026, 2, 28)),
        (D(2027, 11, 30), 3, D(2028, 2, 29)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 10, 31), 3, D(2027, 1, 31)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 1, 15), -1, D(2025, 12, 15)),
        (D(2026, 5, 17), 0, D(2026, 5, 17)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, n: int, expected: date) -> None:
    assert add_months(start, n) == expected


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)), st.integers(-240, 240))
def test_add_months_lands_in_the_right_month_never_later_in_it(d: date, n: int) -> None:
    moved = add_months(d, n)
    assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == n
    assert moved.day <= d.day
    if moved.day < d.day:  # clamped: the last day of a shorter month
        assert (moved + timedelta(days=1)).month != moved.month


def test_months_elapsed_completes_on_the_start_day_of_month() -> None:
    assert months_elapsed(D(2026, 3, 15), D(2026, 4, 14)) == 0
    assert months_elapsed(D(2026, 3, 15), D(2026, 4, 15)) == 1
    # No 31 February: a start on 31 January completes its first month on 1 March.
    assert months_elapsed(D(2026, 1, 31), D(2026, 2, 28)) == 0
    assert months_elapsed(D(2026, 1, 31), D(2026, 3, 1)) == 1
    assert months_elapsed(D(2026, 5, 1), D(2026, 4, 1)) == -1


# --- cadence ---------------------------------------------------------------------------------

_STARTS = [
    None,
    D(2026, 1, 31),
    D(2024, 2, 29),
    D(2026, 3, 15),
    D(2026, 11, 30),
    D(2025, 12, 31),
]
_ONS = [
    D(2026, 2, 28),
    D(2026, 3, 1),
    D(2026, 3, 14),
    D(2026, 3, 15),
    D(2026, 4, 30),
    D(2026, 5, 15),
    D(2026, 12, 30),
    D(2027, 1, 31),
    D(2028, 2, 29),
    D(2024, 3, 29),
]


def test_cadence_rules_match_the_health_engine_over_a_grid() -> None:
    segments = [*(s.value for s in Segment), "government"]
    for segment, lifecycle, start, on in itertools.product(segments, Lifecycle, _STARTS, _ONS):
        assert cadence_days(segment, lifecycle.value, start, on) == health.default_cadence(
            segment, lifecycle.value, start, on
        ), (segment, lifecycle, start, on)


def test_onboarding_cadence_is_weekly_then_biweekly_then_monthly() -> None:
    start = D(2026, 1, 31)
    onboarding = Lifecycle.ONBOARDING.value
    assert cadence_days("smb", onboarding, start, D(2026, 2, 28)) == 7
    assert cadence_days("smb", onboarding, start, D(2026, 3, 1)) == 14
    assert cadence_days("smb", onboarding, start, D(2026, 3, 31)) == 30
    assert cadence_days("smb", onboarding, None, D(2026, 3, 31)) == 14
    assert cadence_days("enterprise", "mature", start, D(2026, 3, 31)) == 30
    assert cadence_days("mid_market", "adopting", start, D(2026, 3, 31)) == 45
    assert cadence_days("smb", "renewing", start, D(2026, 3, 31)) == 90


def test_account_cadence_wins_and_settings_are_editable() -> None:
    assert cadence_days("smb", "mature", None, D(2026, 5, 1), override=21) == 21
    assert cadence_days("smb", "mature", None, D(2026, 5, 1), override=0) == 90
    settings = RhythmSettings(cadence_days={"smb": 60}, onboarding_days=(5, 10))
    assert settings.cadence_days == {"enterprise": 30, "mid_market": 45, "smb": 60}
    assert cadence_days("smb", "mature", None, D(2026, 5, 1), settings=settings) == 60
    start = D(2026, 1, 10)
    on = D(2026, 6, 1)
    assert cadence_days("smb", "onboarding", start, on, settings=settings) == 10
    assert cadence_days("smb", "onboarding", start, D(2026, 1, 20), settings=settings) == 5


def test_next_touchpoint_due_counts_from_the_last_one_else_the_start() -> None:
    assert next_touchpoint_due(D(2026, 2, 20), D(2025, 1, 1), 14) == D(2026, 3, 6)
    assert next_touchpoint_due(D(2028, 2, 22), None, 7) == D(2028, 2, 29)
    assert next_touchpoint_due(None, D(2026, 1, 31), 30) == D(2026, 3, 2)
    assert next_touchpoint_due(None, None, 30) is None


# --- reviews ---------------------------------------------------------------------------------


def test_next_review_due_is_a_quarter_after_the_last() -> None:
    assert next_review_due(D(2025, 11, 30), None) == D(2026, 2, 28)
    assert next_review_due(D(2027, 11, 30), None) == D(2028, 2, 29)
    assert next_review_due(None, D(2026, 1, 31)) == D(2026, 4, 30)
    assert next_review_due(None, D(2026, 1, 31), 6) == D(2026, 7, 31)
    assert next_review_due(None, None) is None


YEAR_2026 = (D(2026, 1, 1), D(2026, 12, 31))


def test_on_schedule_early_on_the_day_and_late_reviews() -> None:
    # Start 15 Jan: due 15 Apr, held 10 Apr (early) -> next due 10 Jul, held on 10 Jul itself;
    # next due 10 Oct, held only on 20 Oct (late) -> missed; next due 20 Jan 2027 (outside).
    got = reviews_on_schedule(
        [D(2026, 4, 10), D(2026, 7, 10), D(2026, 10, 20)], D(2026, 1, 15), 3, YEAR_2026
    )
    assert got.due == (D(2026, 4, 15), D(2026, 7, 10), D(2026, 10, 10))
    assert got.held == (D(2026, 4, 15), D(2026, 7, 10))
    assert got.missed == (D(2026, 10, 10),)
    assert got.share == pytest.approx(2 / 3)


def test_a_lapse_misses_every_quarter_without_drifting_at_month_ends() -> None:
    got = reviews_on_schedule([], D(2025, 11, 30), 3, YEAR_2026)
    assert got.due == (D(2026, 2, 28), D(2026, 5, 30), D(2026, 8, 30), D(2026, 11, 30))
    assert got.held == ()
    assert got.share == 0


def test_a_late_review_after_a_lapse_restarts_the_clock() -> None:
    # Due 1 Apr missed, nothing by 1 Jul either (missed), held 15 Aug (late) -> next due 15 Nov,
    # not held by 31 Dec -> missed.
    got = reviews_on_schedule([D(2026, 8, 15)], D(2026, 1, 1), 3, YEAR_2026)
    assert got.due == (D(2026, 4, 1), D(2026, 7, 1), D(2026, 11, 15))
    assert got.held == ()


def test_leap_day_due_dates() -> None:
    period = (D(2024, 1, 1), D(2024, 12, 31))
    got = reviews_on_schedule(
        [D(2024, 2, 29), D(2024, 5, 29), D(2024, 9, 1)], D(2023, 11, 30), 3, period
    )
    # 30 Nov + 3 months = 29 Feb 2024 (held that day); +3 = 29 May (held); +3 = 29 Aug,
    # held 1 Sep (late); +3 = 1 Dec, not held.
    assert got.due == (D(2024, 2, 29), D(2024, 5, 29), D(2024, 8, 29), D(2024, 12, 1))
    assert got.held == (D(2024, 2, 29), D(2024, 5, 29))
    assert got.share == 0.5


def test_two_reviews_in_one_quarter_count_once_and_the_clock_follows_the_last() -> None:
    got = reviews_on_schedule([D(2026, 2, 1), D(2026, 3, 1)], D(2026, 1, 1), 3, YEAR_2026)
    assert got.due[:2] == (D(2026, 4, 1), D(2026, 6, 1))
    assert got.held == (D(2026, 4, 1),)


def test_only_due_dates_inside_the_period_count() -> None:
    reviews = [D(2026, 4, 1), D(2026, 7, 1), D(2026, 9, 15)]
    got = reviews_on_schedule(reviews, D(2026, 1, 1), 3, (D(2026, 5, 1), D(2026, 9, 30)))
    assert got.due == (D(2026, 7, 1),)
    assert got.held == (D(2026, 7, 1),)
    # 1 Jul + 3 months = 1 Oct, held early on 15 Sep -> next due 15 Dec, not held.
    q4 = reviews_on_schedule(reviews, D(2026, 1, 1), 3, (D(2026, 10, 1), D(2026, 12, 31)))
    assert q4.due == (D(2026, 10, 1), D(2026, 12, 15))
    assert q4.held == (D(2026, 10, 1),)
    assert q4.share == 0.5


def test_as_of_leaves_undecided_due_dates_out() -> None:
    start = D(2026, 1, 1)
    # Due 1 Apr; judged on 1 Apr with no review yet: not decided, nothing counted.
    assert reviews_on_schedule([], start, 3, YEAR_2026, as_of=D(2026, 4, 1)).share is None
    held = reviews_on_schedule([D(2026, 4, 1)], start, 3, YEAR_2026, as_of=D(2026, 4, 1))
    assert held.due == held.held == (D(2026, 4, 1),)
    after = reviews_on_schedule([], start, 3, YEAR_2026, as_of=D(2026, 4, 2))
    assert after.due == (D(2026, 4, 1),) and after.share == 0


def test_reviews_before_the_start_do_not_count() -> None:
    got = reviews_on_schedule([D(2025, 12, 1), D(2026, 1, 1)], D(2026, 1, 1), 3, YEAR_2026)
    assert got.missed[0] == D(2026, 4, 1)
    with pytest.raises(ValueError):
        reviews_on_schedule([], D(2026, 1, 1), 0, YEAR_2026)


# --- renewals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "window"),
    [(91, None), (90, 90), (61, 90), (60, 60), (31, 60), (30, 30), (1, 30), (0, 30), (-1, None)],
)
def test_renewal_window_is_the_smallest_one_it_is_inside(days_left: int, window: int) -> None:
    today = D(2026, 11, 25)
    renewal = today + timedelta(days=days_left)
    got = renewal_window(renewal, today)
    if window is None:
        assert got is None
    else:
        assert got is not None
        assert (got.days, got.days_left) == (window, days_left)
        assert got.entered_on == renewal - timedelta(days=window)


def test_renewal_window_across_a_leap_day_and_custom_windows() -> None:
    got = renewal_window(D(2028, 3, 1), D(2028, 1, 31), (30, 120))
    assert got is not None and got.days_left == 30 and got.days == 30
    assert got.entered_on == D(2028, 1, 31)
    assert rhythm.in_prep_window(D(2026, 12, 1), D(2026, 9, 2))
    assert not rhythm.in_prep_window(D(2026, 12, 1), D(2026, 9, 1))
    assert not rhythm.in_prep_window(D(2026, 12, 1), D(2026, 12, 2))
    assert not rhythm.in_prep_window(None, D(2026, 12, 2))


# --- settings ---------------------------------------------------------------------------------


def test_settings_round_trip_through_json_and_fill_missing_entries() -> None:
    settings = RhythmSettings(
        cadence_days={"enterprise": 21},
        review_kind={"mid_market": "ebr"},
        review_months=4,
        renewal_prep_days=120,
        renewal_windows=(30, 120, 60),
    )
    assert settings.renewal_windows == (120, 60, 30)
    again = RhythmSettings.from_json(settings.to_json())
    assert again == settings
    assert RhythmSettings.from_json("{}") == RhythmSettings()
    assert settings.review_kind_for("enterprise") == "ebr"
    assert settings.review_kind_for("mid_market") == "ebr"
    assert settings.review_kind_for("smb") == "qbr"
    assert settings.review_kind_for("smb", "ebr") == "ebr"
    assert settings.review_kind_for("unknown", None) == "qbr"


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"cadence": {}}',
        '{"cadence_days": {"startup": 10}}',
        '{"cadence_days": {"smb": 0}}',
        '{"cadence_days": {"smb": true}}',
        '{"cadence_days": {"smb": 7.5}}',
        '{"cadence_days": [30]}',
        '{"onboarding_days": []}',
        '{"onboarding_days": "7,14"}',
        '{"review_months": 0}',
        '{"review_months": 13}',
        '{"review_kind": {"enterprise": "xbr"}}',
        '{"renewal_prep_days": -5}',
        '{"renewal_windows": [90, 90]}',
        '{"renewal_windows": [400]}',
    ],
)
def test_settings_refuse_nonsense(text: str) -> None:
    with pytest.raises(RhythmSettingsError):
        RhythmSettings.from_json(text)
