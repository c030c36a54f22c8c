"""Book health: accounts, ARR and renewals by band, worked out by hand on a real database."""

from __future__ import annotations

from datetime import date

import pytest

from csmdesk.domain.accounts import AccountDraft
from csmdesk.domain.health import Band, Score
from csmdesk.services import accounts, health
from csmdesk.services.book_health import BookHealth, book_health, reporting_currency

TODAY = date(2026, 11, 25)
K = 1000_00  # a thousand, in cents


def _account(  # type: ignore[no-untyped-def]
    db,
    name: str,
    arr: int = 0,
    *,
    currency: str = "USD",
    renewal: date | None = None,
    lifecycle: str = "mature",
) -> int:
    draft = AccountDraft(
        name=name, arr_minor=arr, currency=currency, renewal_date=renewal, lifecycle=lifecycle
    )
    account_id = accounts.create_account(db, draft, today=TODAY).id
    assert account_id is not None
    return account_id


def _score(db, account_id: int, band: str | None, effective: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Store a cached score; ``effective`` is the band after a manual override."""
    raw = Band(band) if band else None
    final = Band(effective) if effective else raw
    value = None if raw is None else {"healthy": 85, "watch": 60, "at_risk": 30}[raw.value]
    score = Score(TODAY, value, raw, final, None, (), (), "", (), None)
    health.store_scores(db, {account_id: score})


def test_an_empty_book_has_zeros_in_usd_and_twelve_months(db) -> None:  # type: ignore[no-untyped-def]
    book = book_health(db, TODAY)
    assert book.is_empty and book.currency == "USD"
    assert book.counts == {"healthy": 0, "watch": 0, "at_risk": 0, "unscored": 0}
    assert book.arr_minor == dict.fromkeys(book.counts, 0)
    assert book.months == [date(2026, 11, 1), date(2026, 12, 1)] + [
        date(2027, m, 1) for m in range(1, 11)
    ]
    assert book.renewals_minor == {band: [0] * 12 for band in book.counts}
    assert book.renewal_total_minor == 0 and book.other_currency_accounts == 0
    assert book.account_ids == {band: [] for band in book.counts}


def test_counts_arr_and_ids_follow_the_effective_band_with_unscored(db) -> None:  # type: ignore[no-untyped-def]
    good = _account(db, "Good", 100 * K)
    fine = _account(db, "Fine", 50 * K)
    overridden = _account(db, "Overridden", 30 * K)
    fresh = _account(db, "Fresh", 20 * K)  # no cached score at all
    no_data = _account(db, "No data", 10 * K)  # scored, but no band (not enough data)
    also_good = _account(db, "Also good", 5 * K)
    _score(db, good, "healthy")
    _score(db, fine, "watch")
    _score(db, overridden, "watch", effective="at_risk")  # the CSM's override wins
    _score(db, no_data, None)
    _score(db, also_good, "healthy")

    book = book_health(db, TODAY)
    assert book.counts == {"healthy": 2, "watch": 1, "at_risk": 1, "unscored": 2}
    assert book.arr_minor == {
        "healthy": 105 * K,
        "watch": 50 * K,
        "at_risk": 30 * K,
        "unscored": 30 * K,
    }
    assert book.account_ids == {
        "healthy": [good, also_good],
        "watch": [fine],
        "at_risk": [overridden],
        "unscored": [fresh, no_data],
    }
    assert book.total_accounts == 6 and book.total_arr_minor == 215 * K


def test_archived_and_churned_accounts_are_left_out(db) -> None:  # type: ignore[no-untyped-def]
    kept = _account(db, "Kept", 10 * K, renewal=date(2027, 1, 15))
    archived = _account(db, "Archived", 20 * K, renewal=date(2027, 1, 15))
    churned = _account(db, "Churned", 40 * K, renewal=date(2027, 1, 15), lifecycle="churned")
    for account_id in (kept, archived, churned):
        _score(db, account_id, "at_risk")  # a stale cached score must not bring them back
    accounts.set_archived(db, [archived], True)

    book = book_health(db, TODAY)
    assert book.counts == {"healthy": 0, "watch": 0, "at_risk": 1, "unscored": 0}
    assert book.arr_minor["at_risk"] == 10 * K
    assert book.account_ids["at_risk"] == [kept]
    assert book.renewals_minor["at_risk"][2] == 10 * K and book.renewal_total_minor == 10 * K


@pytest.mark.parametrize(
    ("currencies", "expected"),
    [
        (["EUR", "USD", "EUR"], "EUR"),  # most common
        (["USD", "EUR"], "EUR"),  # a tie goes to the first alphabetically
        (["USD", "GBP", "USD", "GBP", "CHF"], "GBP"),
        (["JPY"], "JPY"),
    ],
)
def test_reporting_currency_is_the_most_common(  # type: ignore[no-untyped-def]
    db, currencies: list[str], expected: str
) -> None:
    for i, code in enumerate(currencies):
        _account(db, f"Account {i}", 10 * K, currency=code)
    assert book_health(db, TODAY).currency == expected


def test_reporting_currency_of_counts() -> None:
    from collections import Counter

    assert reporting_currency(Counter()) == "USD"
    assert reporting_currency(Counter({"SEK": 2, "NOK": 2, "AUD": 1})) == "NOK"


def test_other_currencies_are_counted_by_band_but_left_out_of_the_money(db) -> None:  # type: ignore[no-untyped-def]
    usd_a = _account(db, "US one", 100 * K, renewal=date(2027, 2, 1))
    usd_b = _account(db, "US two", 60 * K, renewal=date(2027, 2, 10))
    eur = _account(db, "Euro", 90 * K, currency="EUR", renewal=date(2027, 2, 1))
    gbp = _account(db, "Sterling", 40 * K, currency="GBP")
    chf_trial = _account(db, "Franc trial", 0, currency="CHF")  # no ARR: nothing left out
    for account_id in (usd_a, usd_b, eur, gbp, chf_trial):
        _score(db, account_id, "healthy")

    book = book_health(db, TODAY)
    assert book.currency == "USD"
    assert book.counts["healthy"] == 5
    assert book.account_ids["healthy"] == [usd_a, usd_b, eur, gbp, chf_trial]
    assert book.arr_minor["healthy"] == 160 * K  # no conversion, no mixing
    assert book.other_currency_accounts == 2 and book.other_currencies == ("EUR", "GBP")
    assert book.renewals_minor["healthy"][3] == 160 * K  # Feb 2027, dollars only
    assert book.renewal_total_minor == 160 * K


def test_renewal_window_runs_from_today_to_the_end_of_the_twelfth_month(db) -> None:  # type: ignore[no-untyped-def]
    dates_and_arr = [
        (date(2026, 11, 24), 1 * K),  # yesterday: past, left out
        (TODAY, 2 * K),  # today counts, in the first month
        (date(2026, 11, 30), 4 * K),  # same month
        (date(2026, 12, 1), 8 * K),  # second month
        (date(2027, 10, 31), 16 * K),  # last day of the twelfth month: in
        (date(2027, 11, 1), 32 * K),  # the day after: out
        (None, 64 * K),  # no renewal date: in the band figures only
    ]
    for i, (renewal, arr) in enumerate(dates_and_arr):
        account_id = _account(db, f"Account {i}", arr, renewal=renewal)
        _score(db, account_id, "watch" if i % 2 else "healthy")

    book = book_health(db, TODAY)
    assert book.window_end == date(2027, 10, 31)
    healthy, watch = book.renewals_minor["healthy"], book.renewals_minor["watch"]
    # healthy: index 0 (yesterday, out), 2 (Nov 30), 4 (Oct 31), 6 (no date)
    assert healthy == [4 * K] + [0] * 10 + [16 * K]
    # watch: index 1 (today), 3 (Dec 1), 5 (Nov 1 2027, out)
    assert watch == [2 * K, 8 * K] + [0] * 10
    assert book.renewals_minor["at_risk"] == [0] * 12
    assert book.renewal_total_minor == 30 * K
    assert book.arr_minor == {"healthy": 85 * K, "watch": 42 * K, "at_risk": 0, "unscored": 0}


@pytest.mark.parametrize(
    ("today", "first", "last_in", "first_out"),
    [
        (date(2026, 12, 31), date(2026, 12, 1), date(2027, 11, 30), date(2027, 12, 1)),
        (date(2027, 1, 1), date(2027, 1, 1), date(2027, 12, 31), date(2028, 1, 1)),
        (date(2028, 2, 29), date(2028, 2, 1), date(2029, 1, 31), date(2029, 2, 1)),
    ],
)
def test_months_roll_over_year_ends(  # type: ignore[no-untyped-def]
    db, today: date, first: date, last_in: date, first_out: date
) -> None:
    _account(db, "Last day", 5 * K, renewal=last_in)
    _account(db, "Too late", 7 * K, renewal=first_out)
    _account(db, "Today", 3 * K, renewal=today)
    book: BookHealth = book_health(db, today)
    assert book.months[0] == first and len(book.months) == 12
    assert book.window_end == last_in
    assert book.renewals_minor["unscored"] == [3 * K] + [0] * 10 + [5 * K]
