"""Chart widgets for the Health feature (Matplotlib on a Qt canvas, never pyplot).

Importing this package costs nothing: Matplotlib loads only when a chart class is first
used (``from csmdesk.gui.charts import HealthScoreChart`` or a submodule import), so the
app starts without it. Inputs are plain values (see :mod:`csmdesk.gui.charts.data`); no
chart reads the database.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from csmdesk.gui.charts.base import ChartCanvas
    from csmdesk.gui.charts.book import BandsChart, RenewalsChart
    from csmdesk.gui.charts.health import ComponentChart, HealthScoreChart
    from csmdesk.gui.charts.panel import ChartPanel
    from csmdesk.gui.charts.usage import AdoptionChart, TicketsNpsChart

_WHERE = {
    "ChartCanvas": "base",
    "HealthScoreChart": "health",
    "ComponentChart": "health",
    "AdoptionChart": "usage",
    "TicketsNpsChart": "usage",
    "BandsChart": "book",
    "RenewalsChart": "book",
    "ChartPanel": "panel",
}

__all__ = [
    "AdoptionChart",
    "BandsChart",
    "ChartCanvas",
    "ChartPanel",
    "ComponentChart",
    "HealthScoreChart",
    "RenewalsChart",
    "TicketsNpsChart",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
