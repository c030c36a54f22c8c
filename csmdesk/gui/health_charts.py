"""Feeding an account's health into the four charts of the Health tab (imports Matplotlib)."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtWidgets import QWidget

from csmdesk.gui.charts.data import ComponentBar, ScoreOverride
from csmdesk.gui.charts.health import ComponentChart, HealthScoreChart
from csmdesk.gui.charts.usage import AdoptionChart, TicketsNpsChart
from csmdesk.services.health import AccountHealth

YEAR = timedelta(days=366)


def build_charts(parent: QWidget) -> list[QWidget]:
    charts: list[QWidget] = [
        HealthScoreChart(parent),
        ComponentChart(parent),
        AdoptionChart(parent),
        TicketsNpsChart(parent),
    ]
    for chart in charts:
        chart.setMinimumHeight(230)
    return charts


def plot_account(charts: list[QWidget], data: AccountHealth, today: date) -> None:
    score_chart, component_chart, adoption_chart, tickets_chart = charts
    assert isinstance(score_chart, HealthScoreChart)
    assert isinstance(component_chart, ComponentChart)
    assert isinstance(adoption_chart, AdoptionChart)
    assert isinstance(tickets_chart, TicketsNpsChart)
    healthy_at, watch_at = data.settings.healthy_at, data.settings.watch_at
    overrides = [
        ScoreOverride(o.set_on, o.band, o.reason)
        for o in data.overrides
        if o.set_on >= today - YEAR
    ]
    score_chart.plot(
        [s.on for s in data.history],
        [s.value for s in data.history],
        healthy_at=healthy_at,
        watch_at=watch_at,
        overrides=overrides,
        today=today,
    )
    components = data.score.components if data.score else ()
    component_chart.plot(
        [ComponentBar(c.label, c.points, c.share, c.detail) for c in components],
        healthy_at=healthy_at,
        watch_at=watch_at,
    )
    recent = [r for r in data.readings if r.on >= today - YEAR]
    with_users = [r for r in recent if r.active_users is not None]
    adoption_chart.plot(
        [r.on for r in with_users], [r.active_users for r in with_users], data.seats
    )
    with_tickets = [r for r in recent if r.open_tickets is not None]
    tickets_chart.plot(
        [r.on for r in with_tickets],
        [r.open_tickets for r in with_tickets],
        [r.escalations for r in with_tickets],
        nps=[(r.on, r.nps) for r in recent if r.nps is not None],
    )
