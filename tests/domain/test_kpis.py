"""The book's numbers on hand-computed books: every figure checked to the exact value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from csmdesk.domain import kpis as k
from csmdesk.domain.kpis import (
    ArrHistory,
    ArrPoint,
    NpsResponse,
    Onboarding,
    OnboardingStep,
    Period,
    Rates,
    UsageReading,
)

P = Period(date(2026, 1, 1), date(2026, 3, 31))
USD = Rates("USD")
_seq = iter(range(1, 10_000))


def ev(on: str, arr: int, currency: str = "USD", kind: str = "") -> ArrPoint:
    return ArrPoint(date.fromisoformat(on), next(_seq), arr, currency, kind)


def book(**accounts: list[ArrPoint]) -> dict[int, ArrHistory]:
    return {i: ArrHistory(points) for i, (_, points) in enumerate(sorted(accounts.items()), 1)}


def test_flat_book_keeps_everything() -> None:
    r = k.retention(book(a=[ev("2025-01-01", 100_00)], b=[ev("2025-06-01", 300_00)]), P, USD)
    assert (r.starting, r.ending, r.cohort, r.retained_logos) == (400_00, 400_00, 2, 2)
    assert (r.new, r.expansion, r.contraction, r.churned) == (0, 0, 0, 0)
    assert r.grr == 1.0 and r.nrr == 1.0 and r.logo_retention == 1.0 and r.expansion_rate == 0.0


def test_churn_only() -> None:
    histories = book(
        a=[ev("2025-01-01", 100_00), ev("2026-02-10", 0, kind="churn")],
        b=[ev("2025-01-01", 300_00)],
    )
    r = k.retention(histories, P, USD)
    assert r.churned == 100_00 and r.contraction == 0
    assert r.grr == pytest.approx(0.75) and r.nrr == pytest.approx(0.75)
    assert r.logo_retention == 0.5
    assert [m.account_id for m in r.accounts(k.CHURNED)] == [1]
    assert r.ending == 300_00


def test_expansion_then_contraction_in_one_account_counts_only_the_net() -> None:
    histories = book(
        a=[ev("2025-05-01", 1000_00), ev("2026-01-15", 1500_00), ev("2026-03-01", 1200_00)],
        b=[ev("2025-05-01", 1000_00), ev("2026-01-20", 600_00), ev("2026-03-20", 900_00)],
    )
    r = k.retention(histories, P, USD)
    # a: 1000 → 1200 is expansion 200; b: 1000 → 900 is contraction 100.
    assert (r.expansion, r.contraction, r.churned) == (200_00, 100_00, 0)
    assert r.grr == pytest.approx(1900 / 2000)
    assert r.nrr == pytest.approx(2100 / 2000)
    assert r.expansion_rate == pytest.approx(0.1)


def test_account_new_inside_the_period_is_new_not_cohort() -> None:
    histories = book(a=[ev("2025-01-01", 100_00)], b=[ev("2026-02-01", 50_00, kind="new")])
    r = k.retention(histories, P, USD)
    assert r.cohort == 1 and r.new == 50_00 and r.ending == 150_00
    assert r.nrr == 1.0
    assert [m.account_id for m in r.accounts(k.NEW)] == [2]


def test_account_new_and_churned_inside_the_period_counts_nowhere() -> None:
    histories = book(a=[ev("2026-01-10", 50_00), ev("2026-03-01", 0, kind="churn")])
    r = k.retention(histories, P, USD)
    assert (r.cohort, r.new, r.churned, r.starting, r.ending) == (0, 0, 0, 0, 0)
    assert r.grr is None and r.nrr is None and r.logo_retention is None


def test_reactivation_of_a_churned_account_is_new_arr() -> None:
    histories = book(
        a=[ev("2024-01-01", 100_00), ev("2025-06-01", 0, kind="churn"),
           ev("2026-02-01", 80_00, kind="reactivation")],
        b=[ev("2025-01-01", 100_00), ev("2026-01-05", 0, kind="churn"),
           ev("2026-03-05", 120_00, kind="reactivation")],
    )  # fmt: skip
    r = k.retention(histories, P, USD)
    # a was at 0 before the period: not in the cohort, its reactivation is new ARR.
    # b was in the cohort and came back above its start: expansion, not churn.
    assert r.cohort == 1 and r.new == 80_00 and r.expansion == 20_00 and r.churned == 0
    assert r.logo_retention == 1.0


def test_event_on_the_first_day_belongs_to_the_period() -> None:
    histories = book(a=[ev("2025-01-01", 100_00), ev("2026-01-01", 150_00)])
    r = k.retention(histories, P, USD)
    assert (r.starting, r.expansion) == (100_00, 50_00)


def test_two_events_on_one_date_the_later_entered_wins() -> None:
    first, second = ev("2026-02-01", 500_00), ev("2026-02-01", 200_00)
    history = ArrHistory([second, first, ev("2025-01-01", 300_00)])
    assert history.at(date(2026, 2, 1)) == second
    assert history.same_day_dates() == [date(2026, 2, 1)]
    r = k.retention({1: history}, P, USD)
    assert r.contraction == 100_00


def test_mixed_currencies_convert_at_the_rate_or_are_left_out() -> None:
    histories = book(
        a=[ev("2025-01-01", 100_00)],
        b=[ev("2025-01-01", 100_00, "EUR"), ev("2026-02-01", 200_00, "EUR")],
        c=[ev("2025-01-01", 5000_00, "GBP")],
    )
    r = k.retention(histories, P, Rates("USD", {"EUR": Decimal("1.10")}))
    assert r.starting == 100_00 + 110_00 and r.expansion == 110_00
    assert r.unconverted == (3,)
    assert r.nrr == pytest.approx(320 / 210)


def test_conversion_handles_zero_decimal_currencies_and_rounds_once() -> None:
    rates = Rates("USD", {"JPY": Decimal("0.0067"), "EUR": Decimal("1.085")})
    assert rates.convert(1_000_000, "JPY") == 6700_00
    assert rates.convert(1, "EUR") == 1  # 1.085 cents → 1
    assert rates.convert(100, "GBP") is None
    assert Rates("JPY", {"USD": Decimal("150")}).convert(1_00, "USD") == 150


def test_nps_counts_responses_in_the_period_only() -> None:
    responses = [NpsResponse(1, date(2026, 1, d), s) for d, s in ((1, 10), (2, 9), (3, 7), (4, 3))]
    responses.append(NpsResponse(1, date(2025, 12, 31), 0))
    result = k.nps(responses, P)
    assert (result.promoters, result.passives, result.detractors) == (2, 1, 1)
    assert result.score == 25.0


def test_nps_without_responses_is_none() -> None:
    assert k.nps([], P).score is None


def test_adoption_uses_the_latest_reading_in_the_last_30_days_and_skips_missing_seats() -> None:
    readings = [
        UsageReading(1, date(2026, 3, 1), 40),  # a: an older one in the window...
        UsageReading(1, date(2026, 3, 20), 80),  # ...the latest counts: 80 of 100
        UsageReading(2, date(2026, 3, 31), 70),  # b: more than its 50 seats: capped at 50
        UsageReading(3, date(2026, 3, 10), 10),  # c: no seats, left out
        UsageReading(4, date(2026, 3, 1), 10),  # d: outside the window (before 2 March)
        UsageReading(5, date(2026, 3, 15), 1),  # e: seats 0, left out
    ]
    seats = {1: 100, 2: 50, 3: None, 4: 10, 5: 0}
    result = k.adoption(readings, seats, P)
    assert [a.account_id for a in result.accounts] == [1, 2]
    assert result.value == pytest.approx(130 / 150)
    assert result.share_adopting == 1.0
    assert k.adoption_window(P) == Period(date(2026, 3, 2), date(2026, 3, 31))


def test_adoption_share_at_70_percent() -> None:
    readings = [UsageReading(1, date(2026, 3, 30), 69), UsageReading(2, date(2026, 3, 30), 70)]
    result = k.adoption(readings, {1: 100, 2: 100}, P)
    assert result.value == pytest.approx(139 / 200)
    assert [a.account_id for a in result.adopting] == [2]
    assert result.share_adopting == 0.5


def test_adoption_with_no_readings_is_none() -> None:
    assert k.adoption([], {1: 10}, P).value is None


def _run(account_id: int, start: str, *steps: tuple[str | None, bool]) -> Onboarding:
    return Onboarding.of(
        account_id,
        date.fromisoformat(start),
        [OnboardingStep(date.fromisoformat(d) if d else None, skip) for d, skip in steps],
    )


def test_on_time_onboarding() -> None:
    runs = [
        _run(1, "2026-01-01", ("2026-01-10", False), ("2026-01-31", False)),  # on time (day 30)
        _run(2, "2026-01-01", ("2026-01-10", False), ("2026-02-01", False)),  # day 31: late
        _run(3, "2026-01-05", ("2026-01-10", False), (None, True)),  # skipped step: on time
        _run(4, "2026-01-05", ("2026-01-10", False), (None, False)),  # never finished: late
        _run(5, "2026-03-20", (None, False)),  # 30 days not over at the period's end: pending
        _run(6, "2025-12-01", ("2025-12-02", False)),  # started before the period
        _run(7, "2026-02-01", (None, True)),  # nothing to do: not measured
    ]
    result = k.on_time_onboarding(runs, P)
    assert result.on_time == (1, 3) and result.late == (2, 4) and result.pending == (5,)
    assert result.value == 0.5


def test_periods() -> None:
    assert k.trailing_months(date(2026, 12, 6)) == Period(date(2025, 12, 7), date(2026, 12, 6))
    assert k.quarter_of(date(2026, 5, 9)) == Period(date(2026, 4, 1), date(2026, 6, 30))
    assert P.previous() == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert P.label == "Q1 2026"
    assert k.year_of(date(2026, 5, 1)).previous() == k.year_of(date(2025, 1, 1))
    ttm = k.trailing_months(date(2026, 2, 28))
    assert ttm.previous() == Period(date(2024, 3, 1), date(2025, 2, 28))
    assert Period(date(2026, 1, 10), date(2026, 1, 19)).previous() == Period(
        date(2025, 12, 31), date(2026, 1, 9)
    )
    quarters = k.last_quarters(date(2026, 12, 6))
    assert len(quarters) == 8 and quarters[0] == Period(date(2025, 1, 1), date(2025, 3, 31))
    assert quarters[-1] == Period(date(2026, 10, 1), date(2026, 12, 6))
    with pytest.raises(ValueError):
        Period(date(2026, 2, 1), date(2026, 1, 1))


def test_percent_rounds_to_one_decimal() -> None:
    assert k.percent(0.92349) == 92.3 and k.percent(None) is None and k.points(33.333) == 33.3
