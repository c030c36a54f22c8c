"""Calendar export: the book's upcoming dates as an iCalendar file (RFC 5545) that any calendar
app imports.

What goes in (all-day events from today through ``today + days``, active accounts only: not
archived, not churned)
    Check-in       the next touchpoint due by the account's cadence
    QBR/EBR due    the next business review (``review_months`` after the last, else after the
                   contract start)
    Milestone      each open milestone (not completed, not skipped) with a due date
    Renewal        the day each renewal window (90/60/30 days by default) opens, and the renewal
                   date itself, for a renewal whose outcome is not recorded

Nothing is dated before today: work still to do (a touchpoint, review or milestone past its due
date, a renewal date that passed without an outcome) is dated *today* and its description says
"overdue since …"; a window that opened in the past is left out (it is history, and the file
cannot take back what an earlier import put in the calendar anyway).

Identity, so that importing a newer file updates instead of duplicating
    UID         names what the event is *about*, never its date, so it survives the due date
                moving: ``touchpoint-<account uid>@csmdesk``, ``review-<account uid>@csmdesk``,
                ``milestone-<milestone uid>@csmdesk``, and ``renewal-<renewal date>-<w>-<account
                uid>@csmdesk`` (``w`` the window in days, ``0`` for the renewal day itself: each
                window opening is its own fixed-date event).
    SEQUENCE    whole seconds from 2020-01-01 00:00 UTC to the moment of the export.
    DTSTAMP,    that same moment, in UTC.
    LAST-MODIFIED

    Why the export time and not something derived from the records: clients decide whether an
    incoming event with a known UID replaces the stored one by comparing versions. Google
    Calendar's import treats SEQUENCE as a version gate and silently keeps its copy unless the
    number went up; Outlook compares SEQUENCE, then DTSTAMP; Apple Calendar replaces by UID and
    reads LAST-MODIFIED. A due date moves for reasons no record's timestamp shows (the rhythm
    settings change, a touchpoint is deleted, an onboarding account enters its next month, an
    overdue event is re-dated to today), so a version taken from the data could stand still or go
    back while the event changed. The export moment only ever goes up, needs no state kept in the
    book, and makes every newer file win over every older one, which is what re-importing means.
    Seconds keep two exports a minute apart distinct, and stay below 2**31 (clients that store a
    32-bit SEQUENCE) until 2088. The cost: a re-import "updates" unchanged events too, harmless
    for reminders with no attendees.

Every event is TRANSP:TRANSPARENT (an all-day reminder must not make the CSM look busy) and
carries CATEGORIES. The few writing rules are done here (``escape_text``, ``fold``): CRLF line
ends, lines folded at 75 octets without splitting a UTF-8 character or a backslash escape, TEXT
escaping of backslash, semicolon, comma and line breaks. The ``icalendar`` package would do the
same at about 270 µs an event (8 s for the 30,000 events of a 5,000-account book, against half
a second here); the tests parse every file back with it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session, col

from csmdesk import __version__
from csmdesk.domain import rhythm
from csmdesk.domain.money import format_money
from csmdesk.domain.rhythm import RhythmSettings
from csmdesk.models import Account, Lifecycle, Milestone, Renewal, Touchpoint
from csmdesk.services import rhythm as rhythm_service
from csmdesk.services.renewals import CHECKLIST, CLOSED_STATUSES, STATUS_LABELS, checklist_count
from csmdesk.store import Database

log = logging.getLogger(__name__)

CALENDAR_NAME = "CSM Desk"
CALENDAR_DESCRIPTION = "Touchpoints, reviews, onboarding milestones and renewals from CSM Desk"
PRODID = f"-//CSM Desk//CSM Desk {__version__}//EN"
UID_DOMAIN = "csmdesk"
DEFAULT_DAYS = 90
MAX_DAYS = 3660
SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
FOLD_OCTETS = 75

TOUCHPOINT, REVIEW, MILESTONE, RENEWAL = "touchpoint", "review", "milestone", "renewal"
_RANK = {RENEWAL: 0, REVIEW: 1, MILESTONE: 2, TOUCHPOINT: 3}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_REVIEW_KINDS = ("qbr", "ebr")


class CalendarError(Exception):
    """The calendar cannot be made or written; the message says why and what to do."""


class CalendarTargetExistsError(CalendarError):
    """The file exists; pass ``overwrite=True`` to replace it."""


class CalendarEvent(NamedTuple):
    """One all-day event of the export."""

    uid: str
    kind: str  # touchpoint, review, milestone, renewal
    day: date
    summary: str
    description: str
    categories: tuple[str, ...]
    account_name: str


@dataclass(frozen=True)
class CalendarResult:
    path: Path
    events: int

    def describe(self) -> str:
        noun = "event" if self.events == 1 else "events"
        return f"Wrote {self.events:,} calendar {noun} to {self.path}."


# --- what the book holds -------------------------------------------------------------------


class _Account(NamedTuple):
    id: int
    uid: str
    name: str
    segment: str
    lifecycle: str
    contract_start: date | None
    renewal_date: date | None
    arr_minor: int
    currency: str
    cadence_days: int | None
    review_kind: str | None
    created_on: date


class _Milestone(NamedTuple):
    uid: str
    account_id: int
    title: str
    description: str
    plan: str | None
    owner_side: str
    due_date: date


class _Renewal(NamedTuple):
    status: str
    outcome: str | None
    checklist_done: int


@dataclass(frozen=True)
class _Snapshot:
    accounts: dict[int, _Account]
    last_touch: dict[int, date]
    last_review: dict[int, date]
    milestones: list[_Milestone]
    renewals: dict[tuple[int, date], _Renewal]


def _day(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _read(s: Session, today: date, horizon: date) -> _Snapshot:
    accounts: dict[int, _Account] = {}
    for r in s.execute(
        select(
            col(Account.id), col(Account.uid), col(Account.name), col(Account.segment),
            col(Account.lifecycle), col(Account.contract_start), col(Account.renewal_date),
            col(Account.arr_minor), col(Account.currency), col(Account.cadence_days),
            col(Account.review_kind), col(Account.created_at),
        ).where(
            col(Account.archived_at).is_(None), col(Account.lifecycle) != Lifecycle.CHURNED.value
        )
    ):  # fmt: skip
        accounts[r[0]] = _Account(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11].date()
        )
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=UTC)
    last_touch: dict[int, date] = {}
    last_review: dict[int, date] = {}
    for account_id, touched, reviewed in s.execute(
        select(
            col(Touchpoint.account_id),
            func.max(col(Touchpoint.occurred_at)),
            func.max(col(Touchpoint.occurred_at)).filter(col(Touchpoint.kind).in_(_REVIEW_KINDS)),
        )
        .where(col(Touchpoint.occurred_at) < tomorrow)
        .group_by(col(Touchpoint.account_id))
    ):
        if (day := _day(touched)) is not None:
            last_touch[account_id] = day
        if (day := _day(reviewed)) is not None:
            last_review[account_id] = day
    milestones: list[_Milestone] = []
    for m in s.execute(
        select(
            col(Milestone.uid), col(Milestone.account_id), col(Milestone.title),
            col(Milestone.description), col(Milestone.plan), col(Milestone.owner_side),
            col(Milestone.due_date),
        ).where(
            col(Milestone.completed_on).is_(None),
            col(Milestone.skipped_reason).is_(None),
            col(Milestone.due_date).is_not(None),
            col(Milestone.due_date) <= horizon,
        )
    ):  # fmt: skip
        if m[1] in accounts and m[6] is not None:
            milestones.append(_Milestone(m[0], m[1], m[2], m[3], m[4], m[5], m[6]))
    renewals: dict[tuple[int, date], _Renewal] = {}
    for r in s.execute(
        select(
            col(Renewal.account_id), col(Renewal.renewal_date), col(Renewal.status),
            col(Renewal.outcome), col(Renewal.checklist),
        )
    ):  # fmt: skip
        if r[0] in accounts:
            renewals[(r[0], r[1])] = _Renewal(r[2], r[3], checklist_count(r[4]))
    return _Snapshot(accounts, last_touch, last_review, milestones, renewals)


@contextmanager
def _snapshot(db: Database) -> Iterator[Session]:
    """One read transaction, so the export is consistent while the window keeps writing."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("BEGIN")
        try:
            with Session(bind=conn) as session:
                yield session
        finally:
            conn.rollback()


# --- the events ------------------------------------------------------------------------------


def _short(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _uid(kind: str, *parts: str) -> str:
    return f"{kind}-{'-'.join(parts)}@{UID_DOMAIN}"


def _overdue(due: date, today: date) -> str:
    late = (today - due).days
    return f"Overdue since {_short(due)} ({late} day{'s' if late != 1 else ''}); dated today."


def _touchpoint(
    a: _Account, last: date | None, today: date, settings: RhythmSettings
) -> tuple[date, str] | None:
    cadence = rhythm.cadence_days(
        a.segment, a.lifecycle, a.contract_start, today,
        override=a.cadence_days, settings=settings,
    )  # fmt: skip
    start = a.contract_start or a.created_on
    due = rhythm.next_touchpoint_due(last, start, cadence)
    if due is None:
        return None
    lines = [_overdue(due, today)] if due < today else []
    lines.append(f"A touchpoint is due every {cadence} days.")
    if last is not None:
        lines.append(f"Last touchpoint: {_short(last)}.")
    else:
        lines.append(f"No touchpoint logged yet (counted from {_short(start)}).")
    return due, "\n".join(lines)


def _review(
    a: _Account, last: date | None, today: date, settings: RhythmSettings
) -> tuple[date, str, str] | None:
    months = settings.review_months
    due = rhythm.next_review_due(last, a.contract_start, months)
    if due is None:
        return None
    label = rhythm.REVIEW_LABELS[settings.review_kind_for(a.segment, a.review_kind)]
    lines = [_overdue(due, today)] if due < today else []
    every = "every month" if months == 1 else f"every {months} months"
    lines.append(f"{'An' if label == 'EBR' else 'A'} {label} is due {every}.")
    if last is not None:
        lines.append(f"Last {label}: {_short(last)}.")
    elif a.contract_start is not None:
        lines.append(f"No {label} held yet (counted from the contract start, "
                     f"{_short(a.contract_start)}).")  # fmt: skip
    return due, label, "\n".join(lines)


def _money(a: _Account) -> str:
    return f" ({format_money(a.arr_minor, a.currency)})" if a.arr_minor > 0 else ""


def _renewal_state(row: _Renewal | None) -> str:
    if row is None:
        return "Renewal preparation not started."
    label = STATUS_LABELS.get(row.status, row.status)
    return f"Status: {label}; checklist {row.checklist_done}/{len(CHECKLIST)}."


def _renewal_events(
    a: _Account, row: _Renewal | None, today: date, horizon: date, settings: RhythmSettings
) -> Iterator[CalendarEvent]:
    renewal = a.renewal_date
    if renewal is None or (row is not None and (row.outcome or row.status in CLOSED_STATUSES)):
        return
    money, state = _money(a), _renewal_state(row)
    arr = f"ARR {format_money(a.arr_minor, a.currency)}. " if a.arr_minor > 0 else ""
    categories = ("CSM Desk", "Renewal")
    for w in settings.renewal_windows:
        opens = renewal - timedelta(days=w)
        if today <= opens <= horizon:
            yield CalendarEvent(
                _uid(RENEWAL, renewal.isoformat(), str(w), a.uid), RENEWAL, opens,
                f"Renewal in {w} days: {a.name}{money}",
                f"The {w}-day renewal window opens: {a.name} renews on {_short(renewal)}.\n"
                f"{arr}{state}",
                categories, a.name,
            )  # fmt: skip
    if renewal > horizon:
        return
    uid = _uid(RENEWAL, renewal.isoformat(), "0", a.uid)
    if renewal >= today:
        summary = f"Renewal: {a.name}{money}"
        text = f"{a.name} renews on {_short(renewal)}.\n{arr}{state}"
    else:
        summary = f"Renewal overdue: {a.name}{money}"
        text = (f"{_overdue(renewal, today)}\nThe renewal date passed with no outcome "
                f"recorded: record it in CSM Desk.\n{arr}{state}")  # fmt: skip
    yield CalendarEvent(uid, RENEWAL, max(renewal, today), summary, text, categories, a.name)


def _milestone_event(m: _Milestone, a: _Account, today: date) -> CalendarEvent:
    lines = [_overdue(m.due_date, today)] if m.due_date < today else []
    plan = f" ({m.plan})" if m.plan else ""
    owner = "the customer" if m.owner_side == "customer" else "us"
    lines.append(f"Onboarding milestone{plan}, owned by {owner}; due {_short(m.due_date)}.")
    if m.description.strip():
        lines += ["", m.description.strip()]
    return CalendarEvent(
        _uid(MILESTONE, m.uid), MILESTONE, max(m.due_date, today),
        f"Milestone: {m.title} — {a.name}", "\n".join(lines),
        ("CSM Desk", "Milestone"), a.name,
    )  # fmt: skip


def check_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
        raise CalendarError(f"Days ahead must be a whole number from 0 to {MAX_DAYS}.")
    return days


def calendar_events(
    db: Database,
    today: date,
    *,
    days: int = DEFAULT_DAYS,
    settings: RhythmSettings | None = None,
) -> list[CalendarEvent]:
    """The events of the export (rules in the module docstring), ordered by day, then kind,
    account and UID."""
    days = check_days(days)
    settings = settings or rhythm_service.load_settings(db)
    horizon = today + timedelta(days=days)
    with _snapshot(db) as session:
        book = _read(session, today, horizon)
    events: list[CalendarEvent] = []
    for a in book.accounts.values():
        touch = _touchpoint(a, book.last_touch.get(a.id), today, settings)
        if touch is not None and touch[0] <= horizon:
            due, text = touch
            events.append(CalendarEvent(
                _uid(TOUCHPOINT, a.uid), TOUCHPOINT, max(due, today), f"Check-in: {a.name}",
                text, ("CSM Desk", "Touchpoint"), a.name,
            ))  # fmt: skip
        review = _review(a, book.last_review.get(a.id), today, settings)
        if review is not None and review[0] <= horizon:
            due, label, text = review
            events.append(CalendarEvent(
                _uid(REVIEW, a.uid), REVIEW, max(due, today), f"{label} due: {a.name}",
                text, ("CSM Desk", label), a.name,
            ))  # fmt: skip
        if a.renewal_date is not None:
            row = book.renewals.get((a.id, a.renewal_date))
            events.extend(_renewal_events(a, row, today, horizon, settings))
    events.extend(_milestone_event(m, book.accounts[m.account_id], today) for m in book.milestones)
    events.sort(key=lambda e: (e.day, _RANK[e.kind], e.account_name.casefold(), e.uid))
    return events


# --- the file --------------------------------------------------------------------------------

# TEXT allows no control character but HTAB (RFC 5545, 3.3.11); a stray one is dropped.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma and line breaks escaped (RFC 5545, 3.3.11)."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROLS.search(value):
        value = _CONTROLS.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded into physical lines of at most 75 octets each (the leading space
    of a continuation counts), never inside a UTF-8 character nor inside a backslash escape."""
    if len(line) * 4 <= FOLD_OCTETS or len(line.encode("utf-8")) <= FOLD_OCTETS:
        return line
    if line.isascii():
        return _fold_ascii(line)
    parts: list[str] = []
    current: list[str] = []
    size, limit, i, n = 0, FOLD_OCTETS, 0, len(line)
    while i < n:
        # A backslash escape moves as one piece, so no client sees it cut in two.
        piece = line[i : i + 2] if line[i] == "\\" and i + 1 < n else line[i]
        octets = len(piece.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, FOLD_OCTETS - 1
        current.append(piece)
        size += octets
        i += len(piece)
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _fold_ascii(line: str) -> str:
    """``fold`` for the common case of one octet a character: cut by slicing."""
    parts: list[str] = []
    i, n, limit = 0, len(line), FOLD_OCTETS
    while n - i > limit:
        chunk = line[i : i + limit]
        run = len(chunk) - len(chunk.rstrip("\\"))
        if run % 2:  # the last backslash opens an escape that would end on the next line
            chunk = chunk[:-1]
        parts.append(chunk)
        i += len(chunk)
        limit = FOLD_OCTETS - 1
    parts.append(line[i:])
    return "\r\n ".join(parts)


def sequence_at(now: datetime) -> int:
    """The SEQUENCE of an export made at ``now`` (why: the module docstring)."""
    return int((now.astimezone(UTC) - SEQUENCE_EPOCH).total_seconds())


def _event_lines(e: CalendarEvent, stamp: str, sequence: int) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(e.uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{e.day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{e.day + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(e.summary)}",
        f"DESCRIPTION:{escape_text(e.description)}",
        f"CATEGORIES:{','.join(escape_text(c) for c in e.categories)}",
        "TRANSP:TRANSPARENT",
        f"SEQUENCE:{sequence}",
        f"LAST-MODIFIED:{stamp}",
        "END:VEVENT",
    ]


def render_calendar(events: Iterable[CalendarEvent], now: datetime | None = None) -> str:
    """The VCALENDAR text of ``events``: CRLF line ends, folded, TEXT escaped."""
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    stamp, sequence = moment.strftime("%Y%m%dT%H%M%SZ"), sequence_at(moment)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{escape_text(PRODID)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(CALENDAR_NAME)}",
        f"X-WR-CALDESC:{escape_text(CALENDAR_DESCRIPTION)}",
    ]
    for e in events:
        lines.extend(_event_lines(e, stamp, sequence))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def build_calendar(
    db: Database,
    today: date,
    *,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
    settings: RhythmSettings | None = None,
) -> str:
    """The iCalendar text of the book's dates from ``today`` through ``today + days``."""
    return render_calendar(calendar_events(db, today, days=days, settings=settings), now)


def write_calendar(
    db: Database,
    path: Path | str,
    today: date,
    *,
    days: int = DEFAULT_DAYS,
    overwrite: bool = False,
    now: datetime | None = None,
) -> CalendarResult:
    """Write the calendar to ``path`` atomically (a temporary file beside it, moved into place
    when complete); refuses an existing file unless ``overwrite``."""
    out = Path(path).expanduser()
    if out.is_dir():
        raise CalendarError(f"{out} is a folder; choose a file name such as csmdesk-calendar.ics.")
    if out.exists() and not overwrite:
        raise CalendarTargetExistsError(f"{out} already exists.")
    events = calendar_events(db, today, days=days)
    data = render_calendar(events, now).encode("utf-8")
    staging = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise CalendarError(f"Cannot write {out}: a file is in the way of its folder.") from None
    except OSError as exc:
        raise CalendarError(f"Cannot write to {out.parent}: {exc.strerror or exc}.") from exc
    try:
        with staging.open("xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(staging, out)
    except OSError as exc:
        raise CalendarError(f"Cannot write {out}: {exc.strerror or exc}.") from exc
    finally:
        with suppress(OSError):
            staging.unlink(missing_ok=True)
    log.info("wrote %d calendar events to %s", len(events), out)
    return CalendarResult(out, len(events))
