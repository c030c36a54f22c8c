"""Plain values the charts take, and the wording they show. No Qt, no Matplotlib."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

BANDS = ("healthy", "watch", "at_risk")
BAND_LABELS = {
    "healthy": "Healthy",
    "watch": "Watch",
    "at_risk": "At risk",
    "unscored": "Not scored",
}


@dataclass(frozen=True)
class ScoreOverride:
    """A manual band the CSM set on ``on`` (shown as a marker on the score line)."""

    on: date
    band: str
    reason: str


@dataclass(frozen=True)
class ComponentBar:
    """One component of today's score: ``points`` None means no data (left out of the score)."""

    label: str
    points: float | None
    share: float
    detail: str = ""


def band_of(value: float, healthy_at: float, watch_at: float) -> str:
    if value >= healthy_at:
        return "healthy"
    return "watch" if value >= watch_at else "at_risk"


def band_label(band: str) -> str:
    return BAND_LABELS.get(str(band), str(band).replace("_", " ").capitalize())


def day_text(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def _with_symbol(symbol: str, number: str) -> str:
    sep = " " if symbol[-1:].isalpha() else ""
    if number.startswith("-"):
        return f"-{symbol}{sep}{number[1:]}"
    return f"{symbol}{sep}{number}"


def full_money(value: float, symbol: str = "$") -> str:
    """``$1,234,000``: whole major units, for hover text."""
    return _with_symbol(symbol, f"{round(value):,}")


def compact_money(value: float, symbol: str = "$") -> str:
    """``$1.25M``, ``$850k``, ``$900``: three significant digits, short enough for a label."""
    size = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit * 0.9995:
            return _with_symbol(symbol, f"{value / limit:.3g}{suffix}")
    return _with_symbol(symbol, f"{value:.0f}")
