"""Dates that matter for renewals."""

from __future__ import annotations

from datetime import date


def days_until(renewal: date | None, today: date) -> int | None:
    return None if renewal is None else (renewal - today).days


def renews_within(renewal: date | None, today: date, days: int) -> bool:
    """True when the renewal falls in the next ``days`` days (today included, overdue excluded)."""
    left = days_until(renewal, today)
    return left is not None and 0 <= left <= days


def describe_days_left(left: int | None) -> str:
    if left is None:
        return ""
    if left == 0:
        return "today"
    if left < 0:
        return f"{-left} d overdue"
    return f"in {left} d"
