"""The rules of an account's ARR history, over plain values.

The ARR of an account on a day is the ARR after its latest event dated on or before that day;
two events on one day are ordered by when they were entered (the higher id), so the
later-entered one wins. The service, the ARR tab and its dialog all check with these functions,
so what a form accepts the service accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from csmdesk.domain.health import MINUS
from csmdesk.domain.money import format_money
from csmdesk.models import ArrEventKind

KIND_LABELS: dict[str, str] = {
    ArrEventKind.NEW.value: "New",
    ArrEventKind.EXPANSION.value: "Expansion",
    ArrEventKind.CONTRACTION.value: "Contraction",
    ArrEventKind.RENEWAL.value: "Renewal",
    ArrEventKind.CHURN.value: "Churn",
    ArrEventKind.REACTIVATION.value: "Reactivation",
}
# The kinds that start ARR from nothing: their change is the whole ARR after them.
_FROM_ZERO = (ArrEventKind.NEW.value, ArrEventKind.REACTIVATION.value)


class ArrPoint(Protocol):
    """What these rules need of an event (an ``ArrEvent`` row fits)."""

    @property
    def id(self) -> int | None: ...
    @property
    def on(self) -> date: ...
    @property
    def kind(self) -> str: ...
    @property
    def arr_after_minor(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def implicit(self) -> bool: ...


def arr_event_errors(
    kind: str, arr_after_minor: int, on: date | None = None, *, today: date | None = None
) -> dict[str, str]:
    """Field → message for the CSM; empty when the event may be saved."""
    errors: dict[str, str] = {}
    if kind not in KIND_LABELS:
        errors["kind"] = f"'{kind}' is not one of {', '.join(sorted(KIND_LABELS))}."
    if isinstance(arr_after_minor, bool) or not isinstance(arr_after_minor, int):
        errors["arr"] = "The ARR must be a whole amount of zero or more."
    elif arr_after_minor < 0:
        errors["arr"] = "ARR cannot be negative."
    elif kind == ArrEventKind.CHURN.value and arr_after_minor != 0:
        errors["arr"] = "After a churn the ARR is 0."
    if on is not None and today is not None and on > today:
        errors["on"] = "The date cannot be after today: the history records what happened."
    return errors


def ordered(events: Iterable[ArrPoint]) -> list[ArrPoint]:
    """Oldest first; on one day, in the order entered."""
    return sorted(events, key=lambda e: (e.on, e.id or 0))


def latest(events: Iterable[ArrPoint]) -> ArrPoint | None:
    """The event that sets the account's ARR now."""
    return max(events, key=lambda e: (e.on, e.id or 0), default=None)


def arr_on(events: Iterable[ArrPoint], day: date) -> int | None:
    """The ARR on ``day``, or ``None`` before the first event."""
    event = latest(e for e in events if e.on <= day)
    return None if event is None else event.arr_after_minor


def changes(events: Iterable[ArrPoint]) -> dict[int, int | None]:
    """Event id → the ARR it added (negative: removed) against the event before it.

    ``None`` where the size is unknown: the first event of a history that does not start from
    nothing (e.g. an expansion whose base was never recorded), or a change of currency."""
    out: dict[int, int | None] = {}
    previous: ArrPoint | None = None
    for event in ordered(events):
        change: int | None
        if previous is None:
            change = event.arr_after_minor if event.kind in _FROM_ZERO else None
        elif previous.currency != event.currency:
            change = None
        else:
            change = event.arr_after_minor - previous.arr_after_minor
        if event.id is not None:
            out[event.id] = change
        previous = event
    return out


def change_text(change: int | None, currency: str) -> str:
    """``+$12,000``, ``-$5,000`` (with a true minus sign), ``No change``, or ``—`` if unknown."""
    if change is None:
        return "—"
    if change == 0:
        return "No change"
    sign = "+" if change > 0 else MINUS
    return f"{sign}{format_money(abs(change), currency)}"


def same_day_dates(events: Iterable[ArrPoint]) -> list[date]:
    """The days holding more than one event, oldest first."""
    seen: dict[date, int] = {}
    for event in events:
        seen[event.on] = seen.get(event.on, 0) + 1
    return sorted(d for d, n in seen.items() if n > 1)


def same_day_warning(events: Sequence[ArrPoint]) -> str:
    """What the CSM should know when one day holds several events; empty when none does."""
    days = same_day_dates(events)
    if not days:
        return ""
    if len(days) == 1:
        day = days[0]
        winner = latest(e for e in events if e.on == day)
        assert winner is not None
        return (
            f"Several events are dated {day.isoformat()}: the later-entered one wins "
            f"({KIND_LABELS.get(winner.kind, winner.kind)}, "
            f"{format_money(winner.arr_after_minor, winner.currency)}). "
            "Change a date if they happened on different days."
        )
    listed = ", ".join(d.isoformat() for d in days)
    return (
        f"Several events share a date ({listed}): on each of those days the later-entered one "
        "wins. Change a date if they happened on different days."
    )


def clash_warning(events: Sequence[ArrPoint], on: date, *, editing_id: int | None = None) -> str:
    """For a form: the event being saved shares ``on`` with others; says which one wins."""
    others = [e for e in events if e.on == on and e.id != editing_id]
    if not others:
        return ""
    # A new event is entered last; an edited one keeps its place in the order entered.
    wins = editing_id is None or all((e.id or 0) < editing_id for e in others)
    other = "another event" if len(others) == 1 else f"{len(others)} other events"
    if wins:
        return f"{on.isoformat()} already has {other}: this one, entered later, wins."
    return (
        f"{on.isoformat()} already has {other} entered after this one: "
        "the later-entered one wins, so this event does not set the ARR of that day."
    )


def direction_warning(kind: str, before: int | None, after: int, currency: str) -> str:
    """A soft check: an expansion that lowers the ARR (or the reverse) is probably mistyped."""
    if before is None:
        return ""
    change = after - before
    what = "leaves it unchanged" if change == 0 else f"is {change_text(change, currency)}"
    if kind == ArrEventKind.EXPANSION.value and change <= 0:
        return f"An expansion usually raises the ARR; this one {what}."
    if kind == ArrEventKind.CONTRACTION.value and change >= 0:
        return f"A contraction usually lowers the ARR; this one {what}."
    return ""


def placeholders_replaced(events: Iterable[ArrPoint], on: date) -> list[ArrPoint]:
    """The placeholders a new event dated ``on`` replaces: those dated on or after it.

    A placeholder (the ARR the account was created with) dated before the new event is the base
    of that movement, so it stays, confirmed; one dated on or after it only stood in for the
    history the CSM is now recording."""
    return [e for e in events if e.implicit and e.on >= on]
