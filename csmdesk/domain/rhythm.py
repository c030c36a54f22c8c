"""The rhythm of a book: how often to touch each account, when its QBR/EBR is due, and where a
renewal stands in its preparation windows. Pure: dates and settings in, dates out.

Touchpoint cadence (``cadence_days``)
    The account's own ``cadence_days`` when set above 0 wins. Otherwise: churned 365 days;
    onboarding by calendar month since ``contract_start``: ``onboarding_days[0]`` (7) in the
    first month, ``[1]`` (14) in the second, the last entry (30) from the third on; a month is
    complete on the start's day of the month (a start on 15 March completes its first month on
    15 April; a start on 31 January, having no 31 February, on 1 March). Onboarding without a
    start date: the second month's value (14). Any other lifecycle: the segment's days
    (Enterprise 30, Mid-Market 45, SMB 90; a segment the settings do not name: 45).
    With the default settings these are exactly the rules ``health.default_cadence`` scores with.

Next touchpoint due (``next_touchpoint_due``)
    ``last touch + cadence``; never touched: ``start + cadence`` (the first contact is due one
    cadence after the start). The service passes the cadence as of today, so Today and the
    "no touchpoint within cadence" risk agree: a touchpoint is overdue from the day after it is due.

Reviews (QBR, or EBR for Enterprise; ``review_months`` = 3)
    ``next_review_due``: ``add_months(last review, 3)``; no review yet: ``add_months(start, 3)``.
    ``add_months`` clamps to the month's end: 31 January + 1 month is 28 February (29 in a leap
    year), 30 November + 3 months is 28/29 February, 29 February + 12 months is 28 February.

Reviews on schedule (``reviews_on_schedule``): the share of reviews due in a period that were
held by their due date. The schedule is walked from ``start`` with an anchor ``a`` (first the
start, then the review that settled the previous due date):

    due = add_months(a, months)
    a review in (a, due]         -> held on time; a = the last such review
    else a review before the next slot, in (due, add_months(a, 2 * months)]
                                 -> missed (held late); a = that first late review
    else                         -> missed, and the next slot falls due too: add_months(a, 2 *
                                    months), then 3, ... (counted from ``a`` so month ends do not
                                    drift); a year without a review is four misses, not one

Each due date inside the period (both ends inclusive) counts once. With ``as_of``, a due date
after ``as_of`` is not judged yet, nor is one on ``as_of`` itself unless already held.

Renewal windows (``renewal_window``)
    With windows (90, 60, 30) and ``d`` days left: the current window is the smallest ``w`` with
    ``d <= w`` (d = 75 -> 90, d = 60 -> 60, d = 0 -> 30); it was entered on ``renewal - w``.
    A renewal more than 90 days away, or past (``d < 0``), is in no window. The renewal *prep*
    window (``renewal_prep_days``, 90) is when a renewal's checklist opens.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from csmdesk.models import Lifecycle, Segment

REVIEW_KINDS = ("qbr", "ebr")
REVIEW_LABELS = {"qbr": "QBR", "ebr": "EBR"}
DEFAULT_CADENCE_DAYS: dict[str, int] = {
    Segment.ENTERPRISE.value: 30,
    Segment.MID_MARKET.value: 45,
    Segment.SMB.value: 90,
}
OTHER_SEGMENT_DAYS = 45
CHURNED_DAYS = 365
DEFAULT_ONBOARDING_DAYS = (7, 14, 30)
DEFAULT_REVIEW_KIND: dict[str, str] = {
    Segment.ENTERPRISE.value: "ebr",
    Segment.MID_MARKET.value: "qbr",
    Segment.SMB.value: "qbr",
}
MAX_DAYS = 366
_SEGMENTS = tuple(s.value for s in Segment)
_KEYS = (
    "cadence_days",
    "onboarding_days",
    "review_months",
    "review_kind",
    "renewal_prep_days",
    "renewal_windows",
)


class RhythmSettingsError(ValueError):
    """Rhythm settings that cannot be used, with a message fit for the user."""


def _days(value: object, what: str, *, low: int = 1, high: int = MAX_DAYS) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RhythmSettingsError(f"{what} must be a whole number")
    if not low <= value <= high:
        raise RhythmSettingsError(f"{what} must be between {low} and {high}")
    return value


def _segments(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise RhythmSettingsError(f"{what} must map segment to a value")
    unknown = sorted(str(k) for k in value if k not in _SEGMENTS)
    if unknown:
        raise RhythmSettingsError(f"unknown segment(s) in {what}: {', '.join(unknown)}")
    return dict(value)


def _sequence(value: object, what: str, *, most: int) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise RhythmSettingsError(f"{what} must be a list of whole numbers")
    items = tuple(value)
    if not 1 <= len(items) <= most:
        raise RhythmSettingsError(f"{what} needs between 1 and {most} entries")
    return tuple(_days(v, f"each entry of {what}") for v in items)


@dataclass(frozen=True)
class RhythmSettings:
    """The CSM's editable rhythm; validated on construction (``RhythmSettingsError``).

    A segment missing from ``cadence_days`` or ``review_kind`` takes its default, so a stored
    setting survives a new segment. ``renewal_windows`` is kept in descending order.
    """

    cadence_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CADENCE_DAYS))
    onboarding_days: tuple[int, ...] = DEFAULT_ONBOARDING_DAYS
    review_months: int = 3
    review_kind: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_REVIEW_KIND))
    renewal_prep_days: int = 90
    renewal_windows: tuple[int, ...] = (90, 60, 30)

    def __post_init__(self) -> None:
        cadence = {**DEFAULT_CADENCE_DAYS, **_segments(self.cadence_days, "cadence_days")}
        for segment, days in cadence.items():
            _days(days, f"cadence of {segment}")
        kinds = {**DEFAULT_REVIEW_KIND, **_segments(self.review_kind, "review_kind")}
        for segment, kind in kinds.items():
            if kind not in REVIEW_KINDS:
                raise RhythmSettingsError(f"review kind of {segment} must be 'qbr' or 'ebr'")
        onboarding = _sequence(self.onboarding_days, "onboarding_days", most=12)
        _days(self.review_months, "review_months", high=12)
        _days(self.renewal_prep_days, "renewal_prep_days")
        windows = _sequence(self.renewal_windows, "renewal_windows", most=6)
        if len(set(windows)) != len(windows):
            raise RhythmSettingsError("renewal_windows must not repeat a window")
        object.__setattr__(self, "cadence_days", cadence)
        object.__setattr__(self, "review_kind", kinds)
        object.__setattr__(self, "onboarding_days", onboarding)
        object.__setattr__(self, "renewal_windows", tuple(sorted(windows, reverse=True)))

    def to_json(self) -> str:
        data = {
            "cadence_days": self.cadence_days,
            "onboarding_days": list(self.onboarding_days),
            "review_months": self.review_months,
            "review_kind": self.review_kind,
            "renewal_prep_days": self.renewal_prep_days,
            "renewal_windows": list(self.renewal_windows),
        }
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RhythmSettings:
        """Read what ``to_json`` wrote; a missing entry takes its default."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise RhythmSettingsError(f"rhythm settings are not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise RhythmSettingsError("rhythm settings must be a JSON object")
        extra = sorted(set(data) - set(_KEYS))
        if extra:
            raise RhythmSettingsError(f"unknown rhythm setting(s): {', '.join(extra)}")
        return cls(**data)

    def review_kind_for(self, segment: str, override: str | None = None) -> str:
        """``override`` ("qbr"/"ebr") when set, else the segment's kind (QBR for the unknown)."""
        if override in REVIEW_KINDS:
            assert override is not None
            return override
        return self.review_kind.get(segment, "qbr")


DEFAULT_SETTINGS = RhythmSettings()


# --- month arithmetic ------------------------------------------------------------------------


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` calendar months, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    year, month = divmod(d.year * 12 + d.month - 1 + n, 12)
    day = d.day
    if day > 28:
        last = 29 if month == 1 and calendar.isleap(year) else _MONTH_DAYS[month]
        day = min(day, last)
    return date(year, month + 1, day)


def months_elapsed(start: date, on: date) -> int:
    """Whole calendar months from ``start`` to ``on`` (complete on the start's day of month)."""
    months = (on.year - start.year) * 12 + on.month - start.month
    if on.day < start.day:
        months -= 1
    return months


# --- touchpoint cadence -------------------------------------------------------------------------


def cadence_days(
    segment: str,
    lifecycle: str,
    contract_start: date | None,
    on: date,
    *,
    override: int | None = None,
    settings: RhythmSettings = DEFAULT_SETTINGS,
) -> int:
    """Days expected between touchpoints on ``on`` (rules in the module docstring)."""
    if override is not None and override > 0:
        return override
    if lifecycle == Lifecycle.CHURNED:
        return CHURNED_DAYS
    steps = settings.onboarding_days
    if lifecycle == Lifecycle.ONBOARDING:
        if contract_start is None:
            return steps[min(1, len(steps) - 1)]
        month = months_elapsed(contract_start, on)
        return steps[min(max(month, 0), len(steps) - 1)]
    return settings.cadence_days.get(segment, OTHER_SEGMENT_DAYS)


def next_touchpoint_due(last_touch: date | None, start: date | None, cadence: int) -> date | None:
    """The day the next touchpoint is due; ``None`` with neither a touchpoint nor a start."""
    anchor = last_touch if last_touch is not None else start
    return None if anchor is None else anchor + timedelta(days=cadence)


# --- reviews --------------------------------------------------------------------------------


def next_review_due(last_review: date | None, start: date | None, months: int = 3) -> date | None:
    """``months`` after the last review, else after the start; ``None`` with neither."""
    anchor = last_review if last_review is not None else start
    return None if anchor is None else add_months(anchor, months)


@dataclass(frozen=True)
class ReviewSchedule:
    """The due dates judged in a period and which of them were held by their due date."""

    due: tuple[date, ...]
    held: tuple[date, ...]  # the due dates held on time (a subset of ``due``)

    @property
    def missed(self) -> tuple[date, ...]:
        kept = set(self.held)
        return tuple(d for d in self.due if d not in kept)

    @property
    def share(self) -> float | None:
        """Held ÷ due; ``None`` when nothing fell due (no ratio, not 0 % or 100 %)."""
        return len(self.held) / len(self.due) if self.due else None


def reviews_on_schedule(
    review_dates: Iterable[date],
    start: date,
    months: int,
    period: tuple[date, date],
    *,
    as_of: date | None = None,
) -> ReviewSchedule:
    """Which reviews due in ``period`` (inclusive) were held by their due date (rule above)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    first, last = period
    end = last if as_of is None else min(last, as_of)
    reviews = sorted({d for d in review_dates if d > start})
    due_dates: list[date] = []
    held: list[date] = []
    base, step, low = start, 1, start  # due = base + step periods; on time: a review in (low, due]
    i = 0
    while True:
        due = add_months(base, months * step)
        if due > end:
            break
        while i < len(reviews) and reviews[i] <= low:
            i += 1
        j = i
        while j < len(reviews) and reviews[j] <= due:
            j += 1
        on_time = j > i
        if due >= first and (as_of is None or due < as_of or on_time):
            due_dates.append(due)
            if on_time:
                held.append(due)
        if on_time:
            base, step, low = reviews[j - 1], 1, reviews[j - 1]
        elif j < len(reviews) and reviews[j] <= add_months(base, months * (step + 1)):
            base, step, low = reviews[j], 1, reviews[j]
        else:
            step, low = step + 1, due
    return ReviewSchedule(tuple(due_dates), tuple(held))


# --- renewals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenewalWindow:
    days: int  # the window: 90, 60 or 30
    entered_on: date  # renewal date - days
    days_left: int


def renewal_window(
    renewal_date: date, today: date, windows: Iterable[int] = (90, 60, 30)
) -> RenewalWindow | None:
    """The smallest window the renewal is inside today; ``None`` when too far off or past."""
    left = (renewal_date - today).days
    if left < 0:
        return None
    inside = [w for w in windows if left <= w]
    if not inside:
        return None
    w = min(inside)
    return RenewalWindow(w, renewal_date - timedelta(days=w), left)


def in_prep_window(renewal_date: date | None, today: date, prep_days: int = 90) -> bool:
    """True from ``prep_days`` before the renewal through the renewal date itself."""
    return renewal_date is not None and 0 <= (renewal_date - today).days <= prep_days
