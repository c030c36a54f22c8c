"""The book's numbers read from a real database, and ``csmdesk kpis``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from csmdesk.__main__ import main
from csmdesk.domain.accounts import AccountDraft
from csmdesk.domain.kpis import Period
from csmdesk.models import HealthScore, Lifecycle, Touchpoint
from csmdesk.services import accounts, kpis, records
from csmdesk.store import Database

TODAY = date(2026, 4, 15)
Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))

JSON_KEYS = {
    "from", "to", "currency", "starting_arr", "ending_arr", "new_arr", "expansion_arr",
    "contraction_arr", "churned_arr", "cohort_accounts", "grr", "nrr", "logo_retention",
    "expansion_rate", "adoption", "accounts_adopting_70", "nps", "nps_responses",
    "on_time_onboarding", "qbrs_on_schedule", "warnings",
}  # fmt: skip


def _account(db: Database, name: str, **fields: object) -> int:
    draft = AccountDraft(name=name, lifecycle=Lifecycle.MATURE.value, **fields)  # type: ignore[arg-type]
    account = accounts.create_account(db, draft, today=date(2025, 1, 1))
    assert account.id is not None
    return account.id


def _band(db: Database, account_id: int, band: str) -> None:
    with db.session() as s:
        s.add(HealthScore(account_id=account_id, on=TODAY, band=band, effective_band=band))


@pytest.fixture
def book(db: Database) -> dict[str, int]:
    """Acme flat, Beta churns, Gamma expands, Delta contracts, Nova is new, Euro in EUR."""
    ids = {
        "acme": _account(db, "Acme", arr_minor=100_000_00, contract_start=date(2025, 1, 1),
                         licensed_seats=100, renewal_date=date(2026, 5, 1)),
        "beta": _account(db, "Beta", arr_minor=50_000_00, contract_start=date(2025, 1, 1)),
        "gamma": _account(db, "Gamma", contract_start=date(2025, 1, 1), licensed_seats=10,
                          renewal_date=date(2026, 9, 1)),
        "delta": _account(db, "Delta", renewal_date=date(2026, 6, 30)),
        "nova": _account(db, "Nova"),
        "euro": _account(db, "Euro GmbH", currency="EUR", arr_minor=10_000_00,
                         contract_start=date(2025, 6, 1)),
    }  # fmt: skip
    records.add_arr_event(db, ids["beta"], date(2025, 1, 1), "new", 50_000_00)
    records.add_arr_event(db, ids["beta"], date(2026, 2, 14), "churn", 0)
    records.add_arr_event(db, ids["gamma"], date(2025, 1, 1), "new", 20_000_00)
    records.add_arr_event(db, ids["gamma"], date(2026, 3, 1), "expansion", 30_000_00)
    records.add_arr_event(db, ids["delta"], date(2025, 2, 1), "new", 40_000_00)
    records.add_arr_event(db, ids["delta"], date(2026, 1, 20), "contraction", 30_000_00)
    records.add_arr_event(db, ids["nova"], date(2026, 3, 10), "new", 25_000_00)
    return ids


def test_hand_computed_quarter(db: Database, book: dict[str, int]) -> None:
    result = kpis.book_kpis(db, Q1, today=TODAY).as_json()
    # Cohort (ARR > 0 on 31 Dec 2025): Acme 100k, Beta 50k, Gamma 20k, Delta 40k = 210k (USD);
    # Euro GmbH is in EUR with no rate: left out and named.
    assert result["cohort_accounts"] == 4
    assert result["starting_arr"] == 210_000_00
    assert result["churned_arr"] == 50_000_00
    assert result["contraction_arr"] == 10_000_00
    assert result["expansion_arr"] == 10_000_00
    assert result["new_arr"] == 25_000_00
    assert result["ending_arr"] == 185_000_00
    assert result["grr"] == round(150 / 210 * 100, 1) == 71.4
    assert result["nrr"] == round(160 / 210 * 100, 1) == 76.2
    assert result["logo_retention"] == 75.0
    assert result["expansion_rate"] == 4.8
    assert result["nps"] is None and result["nps_responses"] == 0
    assert result["adoption"] is None and result["accounts_adopting_70"] is None
    assert result["on_time_onboarding"] is None
    assert result["currency"] == "USD"
    assert len(result["warnings"]) == 1 and "Euro GmbH" in result["warnings"][0]
    assert "EUR" in result["warnings"][0]
    assert set(result) >= JSON_KEYS


def test_a_rate_brings_the_other_currency_in(db: Database, book: dict[str, int]) -> None:
    kpis.save_settings(db, kpis.KpiSettings("USD", {"EUR": Decimal("1.1")}))
    result = kpis.book_kpis(db, Q1, today=TODAY).as_json()
    assert result["starting_arr"] == 221_000_00 and result["cohort_accounts"] == 5
    assert result["warnings"] == []
    assert kpis.load_settings(db).rates == {"EUR": Decimal("1.1")}


def test_reporting_currency_defaults_to_the_most_common(db: Database) -> None:
    for n in range(2):
        _account(db, f"E{n}", currency="EUR", arr_minor=100, contract_start=date(2025, 1, 1))
    _account(db, "U", arr_minor=100, contract_start=date(2025, 1, 1))
    assert kpis.book_kpis(db, Q1, today=TODAY).currency == "EUR"


def test_nps_adoption_and_arr_at_risk(db: Database, book: dict[str, int]) -> None:
    for day, score in ((5, 10), (6, 9), (7, 8), (8, 2)):
        records.record_health(db, book["acme"], date(2026, 2, day), nps=score)
    records.record_health(db, book["acme"], date(2026, 3, 20), active_users=90)
    records.record_health(db, book["gamma"], date(2026, 3, 25), active_users=3)
    records.record_health(db, book["delta"], date(2026, 3, 25), active_users=3)  # no seats
    _band(db, book["acme"], "watch")
    _band(db, book["gamma"], "at_risk")
    _band(db, book["delta"], "healthy")
    result = kpis.book_kpis(db, Q1, today=TODAY)
    # 2 promoters, 1 passive, 1 detractor
    assert result.nps.score == 25.0 and len(result.nps.responses) == 4
    assert result.adoption.value == pytest.approx(93 / 110)
    assert result.as_json()["adoption"] == 84.5
    assert result.as_json()["accounts_adopting_70"] == 50.0
    # Renewals from 15 April: Acme (watch) in 16 days, Delta healthy (left out), Gamma
    # (at risk) in 139 days: 90 days hold Acme only, 180 days both.
    assert result.at_risk.horizons[90] == {"watch": 100_000_00, "at_risk": 0, "unscored": 0}
    assert result.at_risk.total(180) == 130_000_00
    assert result.at_risk.months[1].by_band["watch"] == 100_000_00  # May
    assert result.at_risk.months[5].by_band["at_risk"] == 30_000_00  # September
    assert result.health_arr["healthy"] == 30_000_00


def test_archived_accounts_leave_the_numbers(db: Database, book: dict[str, int]) -> None:
    accounts.set_archived(db, [book["beta"]], True)
    result = kpis.book_kpis(db, Q1, today=TODAY).as_json()
    assert result["cohort_accounts"] == 3 and result["churned_arr"] == 0


def test_an_empty_book_has_no_ratios(db: Database) -> None:
    result = kpis.book_kpis(db, Q1, today=TODAY).as_json()
    assert result["cohort_accounts"] == 0 and result["grr"] is None and result["nrr"] is None
    assert result["qbrs_on_schedule"] is None and result["warnings"] == []


def test_two_events_on_one_date_are_warned(db: Database, book: dict[str, int]) -> None:
    records.add_arr_event(db, book["nova"], date(2026, 3, 10), "expansion", 35_000_00)
    result = kpis.book_kpis(db, Q1, today=TODAY).as_json()
    assert result["new_arr"] == 35_000_00
    assert any("Nova" in w and "later-entered" in w for w in result["warnings"])


def test_qbrs_on_schedule_counts_reviews_due_in_the_period(db: Database) -> None:
    account_id = _account(db, "Rev", contract_start=date(2025, 10, 1), arr_minor=100)
    with db.session() as s:
        held = datetime(2025, 12, 20, 15, tzinfo=UTC)
        s.add(Touchpoint(account_id=account_id, kind="qbr", occurred_at=held))
    # Due 1 Jan 2026 (held 20 Dec: on time), then 20 March 2026 (not held: missed).
    result = kpis.book_kpis(db, Q1, today=TODAY).as_json()
    assert result["qbrs_on_schedule"] == 50.0


def test_cli_json(db: Database, db_path: Path, book: dict[str, int], capsys) -> None:  # type: ignore[no-untyped-def]
    db.close()
    period = ["--from", "2026-01-01", "--to", "2026-03-31"]
    code = main(["--db", str(db_path), "kpis", *period, "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= JSON_KEYS
    assert (out["from"], out["to"], out["churned_arr"], out["nrr"]) == (
        "2026-01-01",
        "2026-03-31",
        50_000_00,
        76.2,
    )
    assert isinstance(out["starting_arr"], int) and isinstance(out["warnings"], list)


def test_cli_table_and_bad_dates(db_path: Path, book: dict[str, int], capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--db", str(db_path), "kpis", "--from", "2026-01-01", "--to", "2026-03-31"]) == 0
    out = capsys.readouterr().out
    assert "NRR" in out and "76.2%" in out and "Warning: No exchange rate" in out
    assert main(["--db", str(db_path), "kpis", "--from", "31/01/2026"]) == 1
    assert "--from takes a date" in capsys.readouterr().err
    assert main(["--db", str(db_path), "kpis", "--from", "2026-03-01", "--to", "2026-01-01"]) == 1


def test_sql_reading_agrees_with_the_histories(demo_db: Database) -> None:
    """The snapshot reads ARR at each date with SQL; the domain bisects whole histories."""
    today = date(2026, 12, 6)
    periods = [kpis.k.trailing_months(today), *kpis.k.last_quarters(today)]
    snapshot = kpis.load_snapshot(demo_db, periods, today=today)
    for period in periods:
        by_sql = kpis.retention_for(snapshot, period)
        by_history = kpis.k.retention(snapshot.histories, period, snapshot.rates)
        assert by_sql == by_history
    events = kpis.event_rows(snapshot, periods[0], snapshot.accounts)
    assert events and all(periods[0].contains(e.on) for e in events)
