"""QBRs and EBRs as plain values: the sections of a review, its period label, what an edit may
hold, and the content an export renders. No database, no Qt.

A period is a calendar quarter, ``"2026-Q4"`` (October to December 2026). A section is plain
text the CSM edits freely (Markdown-ish: ``- `` starts a bullet); it is stored and exported
exactly as typed, emoji and right-to-left scripts included, and only its size is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.rhythm import REVIEW_KINDS, REVIEW_LABELS

SECTIONS: tuple[str, ...] = (
    "attendees",
    "goals",
    "value",
    "usage",
    "roadmap",
    "risks",
    "expansion",
    "next_steps",
)
SECTION_LABELS: dict[str, str] = {
    "attendees": "Attendees",
    "goals": "Goals and progress",
    "value": "Value realized",
    "usage": "Product usage and adoption",
    "roadmap": "Roadmap",
    "risks": "Risks",
    "expansion": "Expansion opportunities",
    "next_steps": "Next steps / mutual action plan",
}
EDITABLE: tuple[str, ...] = ("title", *SECTIONS)
MAX_TITLE = 300  # the column's length
MAX_SECTION = 200_000  # characters: a long plan, not a pasted book
_PERIOD = re.compile(r"^(\d{4})-Q([1-4])$")


def period_of(on: date) -> str:
    """The quarter ``on`` falls in: 25 November 2026 -> ``"2026-Q4"``."""
    return f"{on.year}-Q{(on.month - 1) // 3 + 1}"


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a quarter label; ``ValidationError`` for anything else."""
    match = _PERIOD.match(period.strip())
    if match is None:
        raise ValidationError({"period": f"'{period}' is not a quarter such as 2026-Q4."})
    year, quarter = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * quarter - 2, 1)
    last = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def shift_period(period: str, quarters: int) -> str:
    first, _ = period_bounds(period)
    index = first.year * 4 + (first.month - 1) // 3 + quarters
    return f"{index // 4}-Q{index % 4 + 1}"


def check_kind(kind: str) -> str:
    if kind not in REVIEW_KINDS:
        raise ValidationError({"kind": f"'{kind}' is not a review kind (qbr or ebr)."})
    return kind


def long_date(d: date) -> str:
    """``25 November 2026`` (no platform-specific strftime flags)."""
    return f"{d.day} {d:%B %Y}"


def kind_label(kind: str) -> str:
    return REVIEW_LABELS.get(kind, kind.upper())


def check_changes(changes: Mapping[str, object]) -> dict[str, str]:
    """The edit as it will be stored, or ``ValidationError`` naming every bad field.

    Text is kept exactly as given (no stripping: a trailing newline the CSM typed stays), with
    one exception: the title, a single line, is stripped and may not be blank.
    """
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for key, value in changes.items():
        if key not in EDITABLE:
            errors[key] = "is not a section of a review."
        elif not isinstance(value, str):
            errors[key] = "must be text."
        elif "\x00" in value:
            errors[key] = "contains a NUL character."
        elif key == "title":
            title = value.strip()
            if not title:
                errors[key] = "A review needs a title."
            elif len(title) > MAX_TITLE or "\n" in title:
                errors[key] = f"A title is one line of at most {MAX_TITLE} characters."
            else:
                clean[key] = title
        elif len(value) > MAX_SECTION:
            errors[key] = f"is longer than {MAX_SECTION:,} characters."
        else:
            clean[key] = value
    if errors:
        raise ValidationError(errors)
    return clean


# --- what an export renders --------------------------------------------------------------------


@dataclass(frozen=True)
class UsageSeries:
    """Active users by reading date against licensed seats (one number: seats have no history)."""

    dates: tuple[date, ...] = ()
    active_users: tuple[int, ...] = ()
    seats: int | None = None
    period_start: date | None = None  # the review's quarter, shaded on the chart
    period_end: date | None = None

    @property
    def empty(self) -> bool:
        return not self.dates


@dataclass(frozen=True)
class ReviewContent:
    """Everything a QBR/EBR export shows, gathered once so it can be rendered off the GUI
    thread without touching the database."""

    account_name: str
    kind: str
    period: str
    title: str
    held_on: date | None
    as_of: date
    owner: str | None
    sections: dict[str, str] = field(default_factory=dict)
    usage: UsageSeries = field(default_factory=UsageSeries)

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def subtitle(self) -> str:
        when = (
            f"held {long_date(self.held_on)}" if self.held_on else f"as of {long_date(self.as_of)}"
        )
        return f"{self.kind_label} · {self.period} · {when}"

    def section(self, key: str) -> str:
        return self.sections.get(key, "")
