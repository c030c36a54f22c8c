"""What the Numbers page says and lists, on the hand-computed book of test_kpis.py."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from csmdesk.domain.kpis import Period
from csmdesk.services import kpi_summary as summary
from csmdesk.services import kpis
from csmdesk.services.kpi_drilldown import Money, UnknownTarget, drill, write_csv
from csmdesk.store import Database
from tests.services.test_kpis import Q1, TODAY, _band, book  # noqa: F401  (book: a fixture)


@pytest.fixture
def dash(db: Database, book: dict[str, int]) -> kpis.Dashboard:  # noqa: F811
    _band(db, book["acme"], "at_risk")  # renews 1 May: inside 90 days of TODAY
    _band(db, book["gamma"], "healthy")
    return kpis.dashboard(db, Q1, today=TODAY)


def _names(table: object) -> list[str]:
    return sorted(str(r.cells[0]) for r in table.rows)  # type: ignore[attr-defined]


def test_each_bridge_bar_lists_its_accounts(dash: kpis.Dashboard) -> None:
    assert _names(drill(dash, "bridge:churned").accounts) == ["Beta"]
    assert _names(drill(dash, "bridge:contraction").accounts) == ["Delta"]
    assert _names(drill(dash, "bridge:expansion").accounts) == ["Gamma"]
    assert _names(drill(dash, "bridge:new").accounts) == ["Nova"]
    assert _names(drill(dash, "bridge:start").accounts) == ["Acme", "Beta", "Delta", "Gamma"]
    assert _names(drill(dash, "bridge:end").accounts) == ["Acme", "Delta", "Gamma", "Nova"]
    churn = drill(dash, "bridge:churned")
    assert churn.accounts.column("change") == [Money(-50_000_00, "USD")]
    assert churn.title == "Churn: 1 account, \u2212$50,000"
    assert churn.events is not None
    assert [r.cells for r in churn.events.rows] == [
        (date(2026, 2, 14), "Beta", "Churn", Money(0, "USD"))
    ]


def test_retention_tiles_list_the_cohort_and_its_events(dash: kpis.Dashboard) -> None:
    cohort = drill(dash, "grr")
    assert _names(cohort.accounts) == ["Acme", "Beta", "Delta", "Gamma"]
    assert cohort.events is not None
    # Delta's contraction, Beta's churn and Gamma's expansion fall in Q1; Nova is no cohort's.
    assert [r.cells[:3] for r in cohort.events.rows] == [
        (date(2026, 1, 20), "Delta", "Contraction"),
        (date(2026, 2, 14), "Beta", "Churn"),
        (date(2026, 3, 1), "Gamma", "Expansion"),
    ]
    assert drill(dash, "expansion_rate").accounts == drill(dash, "bridge:expansion").accounts


def test_at_risk_lists_not_healthy_renewals(dash: kpis.Dashboard) -> None:
    risk = drill(dash, "arr_at_risk")
    names = _names(risk.accounts)
    assert "Acme" in names and "Gamma" not in names  # Gamma is Healthy
    assert _names(drill(dash, "health:at_risk").accounts) == ["Acme"]
    with pytest.raises(UnknownTarget):
        drill(dash, "bridge:nonsense")
    with pytest.raises(UnknownTarget):
        drill(dash, "risk:99")


def test_the_bridge_closes_and_tiles_word_the_figures(dash: kpis.Dashboard) -> None:
    steps = summary.bridge(dash.current)
    assert [s.label for s in steps] == ["Start", "New", "Expansion", "Contraction", "Churn", "End"]
    assert [(s.bottom, s.top) for s in steps] == [
        (0, 210_000_00),
        (210_000_00, 235_000_00),
        (235_000_00, 245_000_00),
        (235_000_00, 245_000_00),
        (185_000_00, 235_000_00),
        (0, 185_000_00),
    ]
    tiles = {t.key: t for t in summary.tiles(dash)}
    assert list(tiles) == list(summary.TILE_KEYS)
    assert tiles["grr"].value == "71.4%" and tiles["nrr"].value == "76.2%"
    assert tiles["logo_retention"].detail == "3 of 4 accounts kept"
    assert tiles["grr"].benchmark == "Benchmark 90%+"
    assert tiles["grr"].standing == summary.POOR
    assert "(S \u2212 churned \u2212 contraction) \u00f7 S" in tiles["grr"].tooltip
    assert len(tiles["grr"].series) == 8


def test_a_period_without_a_cohort_reads_a_dash(db: Database, book: dict[str, int]) -> None:  # noqa: F811
    early = kpis.dashboard(db, Period(date(2020, 1, 1), date(2020, 3, 31)), today=TODAY)
    tiles = {t.key: t for t in summary.tiles(early)}
    for key in ("grr", "nrr", "logo_retention", "expansion_rate", "nps", "adoption"):
        assert tiles[key].value == summary.DASH
    assert tiles["grr"].detail == "No ARR on the day before the period starts"
    assert drill(early, "bridge:churned").accounts.rows == ()


def test_csv_export_has_plain_numbers(dash: kpis.Dashboard, tmp_path: Path) -> None:
    path = write_csv(drill(dash, "grr").accounts, tmp_path / "cohort.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    beta = next(r for r in rows if r["Account"] == "Beta")
    assert beta["Start ARR"] == "50000.00" and beta["End ARR"] == "0.00"
    assert len(rows) == 4


def test_period_choices(dash: kpis.Dashboard) -> None:
    today = date(2026, 12, 8)
    assert summary.period_for(summary.LAST_QUARTER, today) == Period(
        date(2026, 7, 1), date(2026, 9, 30)
    )
    assert summary.period_for(summary.THIS_QUARTER, today) == Period(date(2026, 10, 1), today)
    assert summary.period_for(summary.LAST_YEAR, today) == Period(
        date(2025, 1, 1), date(2025, 12, 31)
    )
    assert summary.period_for(summary.TRAILING, today) == Period(date(2025, 12, 9), today)
    assert (
        summary.period_title(summary.LAST_QUARTER, Period(date(2026, 7, 1), date(2026, 9, 30)))
        == "Q3 2026"
    )
