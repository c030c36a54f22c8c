"""Today: one queue of what needs the CSM across the book, built from pluggable sources.

Pure: a :class:`Book` snapshot (plain rows read by ``csmdesk.services.today``) and a date go in,
:class:`TodayItem` rows come out. A *source* is any function ``(book, today) -> items``; the
built-in sources are registered in :data:`REGISTRY` under their category, and a new source plugs
in with ``REGISTRY.register(Category(...), function)`` (data it needs beyond the snapshot goes in
``Book.extra``).

Built-in sources (each item's ``key`` is stable and names what it is about)
    ``milestone:<id>``                  open milestone overdue or due within 7 days
    ``touch:<account>:<due>``           touchpoint due by cadence within 7 days or overdue
    ``review:<account>:<due>``          QBR/EBR due within 14 days or overdue; only once the
                                        account has a prior review or started a quarter ago
    ``renewal:<account>:<date>:<w>``    renewal inside its 90/60/30-day window ``w`` (one item,
                                        the current window); ``passed`` when the date went by
                                        with no outcome recorded
    ``action:<id>``                     open action item overdue or due within 7 days
    ``risk:<id>:<severity>``            unresolved risk opened in the last 7 days, or high or
                                        critical
    ``risks:<account>:<worst>:<ids>``   two or more such risks of one account, as one row
                                        (``group_risks``)

    A key holds the due date (or window, or severity) where the item's identity changes with it,
    so a snooze or a "done" on it lapses by itself when the facts move on: logging a touchpoint
    moves the next due date and makes a new key; a renewal entering its 60-day window is a new
    item even if the 90-day one was dismissed; a risk that worsens comes back.

    Severity: a risk's own; a renewal's by window (30 days: high, 60: medium, 90: low; high
    when its record says at risk; critical once the date passed); none for the others.

    One thing to do, one row: a "no touchpoint within cadence" risk folds into the account's
    touchpoint row, a "renewal while not healthy" risk into its renewal row (``fold_risks``);
    the row keeps the higher severity.

Ordering (``sort_key``; deterministic)
    0. urgent first: critical items whatever their date, and high ones that are overdue, due
       within 7 days or need attention now; worst severity first, then by due date;
    1. overdue (due before today), most overdue first;
    2. due today, and items with no due date (risks: they need attention now);
    3. upcoming, soonest first;
    within the same due date: severity (critical, high, medium, low; none ranks as medium),
    then ARR (largest first, in minor units whatever the currency), then category (renewal,
    risk, review, milestone, touchpoint, action item, then plugged-in categories by their rank),
    then account name (any case), then key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple, Protocol

from csmdesk.domain import rhythm
from csmdesk.domain.rhythm import RhythmSettings
from csmdesk.models import Lifecycle, RiskSeverity, RiskStatus

MILESTONE = "milestone"
TOUCHPOINT = "touchpoint"
REVIEW = "review"
RENEWAL = "renewal"
ACTION = "action"
RISK = "risk"

OPEN = "open"
DONE = "done"
SNOOZE = "snooze"
LOG_TOUCHPOINT = "log_touchpoint"
ALL_ACTIONS = (OPEN, DONE, SNOOZE, LOG_TOUCHPOINT)

SOON_DAYS = 7  # milestones, touchpoints, action items: due within a week
REVIEW_SOON_DAYS = 14
NEW_RISK_DAYS = 7
PASSED = "passed"

SEVERITY_RANK = {s.value: n for n, s in enumerate(RiskSeverity)}  # low 0 .. critical 3
_NO_SEVERITY = SEVERITY_RANK[RiskSeverity.MEDIUM.value]
_URGENT = (RiskSeverity.HIGH.value, RiskSeverity.CRITICAL.value)
_HIGH = SEVERITY_RANK[RiskSeverity.HIGH.value]
_CRITICAL = SEVERITY_RANK[RiskSeverity.CRITICAL.value]


@dataclass(frozen=True)
class Category:
    """A kind of Today item. ``done_completes_record``: "done" completes the milestone or
    action item itself; otherwise it is remembered in Today's own state."""

    key: str
    label: str
    rank: int
    done_completes_record: bool = False
    actions: tuple[str, ...] = ALL_ACTIONS


class TodayItem(NamedTuple):
    """One row of Today (a named tuple: a large book yields tens of thousands)."""

    key: str
    category: str
    account_id: int
    account_name: str
    title: str  # why it is here
    due: date | None  # None: no deadline, needs attention now
    severity: str | None = None
    arr_minor: int = 0
    record_id: int | None = None  # the milestone, action item or risk
    # "done" on a state-kept item hides it this many days (None: until its key changes).
    done_hides_days: int | None = None
    topic: str | None = None  # what a risk is about (its kind)


# --- the snapshot of the book ------------------------------------------------------------------


class AccountRow(NamedTuple):
    id: int
    name: str
    segment: str
    lifecycle: str
    contract_start: date | None
    renewal_date: date | None
    arr_minor: int
    cadence_days: int | None  # the account's own cadence (None: by segment and lifecycle)
    review_kind: str | None  # "qbr"/"ebr" (None: by segment)
    created_on: date  # stands in for a missing contract start when touchpoints fall due


class MilestoneRow(NamedTuple):
    id: int
    account_id: int
    title: str
    due_date: date
    owner_side: str


class ActionRow(NamedTuple):
    id: int
    account_id: int
    text: str
    owner: str | None
    due_date: date


class RiskRow(NamedTuple):
    id: int
    account_id: int
    kind: str
    severity: str
    status: str
    title: str
    opened_on: date


class RenewalRow(NamedTuple):
    id: int
    account_id: int
    renewal_date: date
    status: str
    checklist_done: int


@dataclass(frozen=True)
class Book:
    """What the sources read: the active book (not archived, not churned) and its open work."""

    accounts: Mapping[int, AccountRow]
    last_touch: Mapping[int, date] = field(default_factory=dict)
    last_review: Mapping[int, date] = field(default_factory=dict)
    milestones: Sequence[MilestoneRow] = ()
    actions: Sequence[ActionRow] = ()
    risks: Sequence[RiskRow] = ()
    renewals: Mapping[tuple[int, date], RenewalRow] = field(default_factory=dict)
    settings: RhythmSettings = rhythm.DEFAULT_SETTINGS
    checklist_size: int = 4
    extra: Mapping[str, object] = field(default_factory=dict)


class Source(Protocol):
    def __call__(self, book: Book, today: date) -> Iterable[TodayItem]: ...


# --- the built-in sources ----------------------------------------------------------------------


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _short(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def milestone_items(book: Book, today: date) -> Iterator[TodayItem]:
    horizon = today + timedelta(days=SOON_DAYS)
    accounts = book.accounts
    for m in book.milestones:
        account = accounts.get(m.account_id)
        if account is None or m.due_date > horizon:
            continue
        side = " (customer)" if m.owner_side == "customer" else ""
        yield TodayItem(
            f"milestone:{m.id}", MILESTONE, account.id, account.name,
            f"Milestone: {m.title}{side}", m.due_date, None, account.arr_minor, m.id,
        )  # fmt: skip


def action_items(book: Book, today: date) -> Iterator[TodayItem]:
    horizon = today + timedelta(days=SOON_DAYS)
    accounts = book.accounts
    for a in book.actions:
        account = accounts.get(a.account_id)
        if account is None or a.due_date > horizon:
            continue
        owner = f" ({a.owner})" if a.owner else ""
        yield TodayItem(
            f"action:{a.id}", ACTION, account.id, account.name, f"{a.text}{owner}",
            a.due_date, None, account.arr_minor, a.id,
        )  # fmt: skip


def touchpoint_items(book: Book, today: date) -> Iterator[TodayItem]:
    horizon = today + timedelta(days=SOON_DAYS)
    settings = book.settings
    last_touch = book.last_touch
    for account in book.accounts.values():
        cadence = rhythm.cadence_days(
            account.segment, account.lifecycle, account.contract_start, today,
            override=account.cadence_days, settings=settings,
        )  # fmt: skip
        last = last_touch.get(account.id)
        due = rhythm.next_touchpoint_due(
            last, account.contract_start or account.created_on, cadence
        )
        if due is None or due > horizon:
            continue
        since = f"last {_short(last)}" if last else "none logged yet"
        yield TodayItem(
            f"touch:{account.id}:{due.isoformat()}", TOUCHPOINT, account.id, account.name,
            f"Touchpoint due every {cadence} days ({since})", due, None, account.arr_minor,
            None, cadence,
        )  # fmt: skip


def review_items(book: Book, today: date) -> Iterator[TodayItem]:
    horizon = today + timedelta(days=REVIEW_SOON_DAYS)
    settings = book.settings
    months = settings.review_months
    last_review = book.last_review
    for account in book.accounts.values():
        if account.lifecycle == Lifecycle.CHURNED:
            continue
        last = last_review.get(account.id)
        due = rhythm.next_review_due(last, account.contract_start, months)
        if due is None or due > horizon:
            continue
        if last is None and due > today:
            continue  # still in its first quarter: not past onboarding yet
        kind = rhythm.REVIEW_LABELS[settings.review_kind_for(account.segment, account.review_kind)]
        since = f"last {_short(last)}" if last else "none held yet"
        hides = (rhythm.add_months(due, months) - due).days
        yield TodayItem(
            f"review:{account.id}:{due.isoformat()}", REVIEW, account.id, account.name,
            f"{kind} due ({since})", due, None, account.arr_minor, None, hides,
        )  # fmt: skip


FOLDED_RISKS = {"no_touchpoint": TOUCHPOINT, "renewal_not_healthy": RENEWAL}
_FOLD_TARGETS = frozenset(FOLDED_RISKS.values())
_WINDOW_SEVERITY = {0: RiskSeverity.HIGH.value, 1: RiskSeverity.MEDIUM.value}
_CLOSED = ("renewed", "churned")


def renewal_items(book: Book, today: date) -> Iterator[TodayItem]:
    windows = book.settings.renewal_windows
    for account in book.accounts.values():
        renewal = account.renewal_date
        if renewal is None or (renewal - today).days > windows[0]:
            continue
        row = book.renewals.get((account.id, renewal))
        if row is not None and row.status in _CLOSED:
            continue
        state = ""
        if row is not None:
            done = f"{row.checklist_done}/{book.checklist_size}"
            state = f"{row.status.replace('_', ' ')}, checklist {done}"
        window = rhythm.renewal_window(renewal, today, windows)
        if window is None:
            key, severity = PASSED, RiskSeverity.CRITICAL.value
            title = f"Renewal date passed {(today - renewal).days} days ago: record the outcome"
            if state:
                title += f" ({state})"
        else:
            key = str(window.days)
            position = sorted(windows).index(window.days)
            severity = _WINDOW_SEVERITY.get(position, RiskSeverity.LOW.value)
            if row is not None and row.status == "at_risk":
                severity = RiskSeverity.HIGH.value
            left = window.days_left
            when = "today" if left == 0 else "tomorrow" if left == 1 else f"in {left} days"
            title = f"Renewal {when} ({window.days}-day window{'; ' + state if state else ''})"
        yield TodayItem(
            f"renewal:{account.id}:{renewal.isoformat()}:{key}", RENEWAL, account.id,
            account.name, title, renewal, severity, account.arr_minor,
            row.id if row is not None else None,
        )  # fmt: skip


def risk_items(book: Book, today: date) -> Iterator[TodayItem]:
    recent = today - timedelta(days=NEW_RISK_DAYS)
    accounts = book.accounts
    resolved = RiskStatus.RESOLVED.value
    for r in book.risks:
        account = accounts.get(r.account_id)
        if account is None or r.status == resolved:
            continue
        new = r.opened_on >= recent
        if not new and r.severity not in _URGENT:
            continue
        label = "New risk" if new else "Risk"
        yield TodayItem(
            f"risk:{r.id}:{r.severity}", RISK, account.id, account.name,
            f"{label} ({r.severity}): {r.title}", None, r.severity, account.arr_minor, r.id,
            None, r.kind,
        )  # fmt: skip


# --- the registry ------------------------------------------------------------------------------


class Registry:
    """Categories and the sources that fill them, in rank order."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Category, Source]] = {}

    def register(self, category: Category, source: Source) -> None:
        if category.key in self._entries:
            raise ValueError(f"a Today source for '{category.key}' is already registered")
        if not category.key or ":" in category.key:
            raise ValueError("a category key must be a non-empty word without ':'")
        self._entries[category.key] = (category, source)

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def copy(self) -> Registry:
        clone = Registry()
        clone._entries = dict(self._entries)
        return clone

    @property
    def categories(self) -> list[Category]:
        return sorted((c for c, _ in self._entries.values()), key=lambda c: (c.rank, c.key))

    def category(self, key: str) -> Category | None:
        entry = self._entries.get(key)
        return entry[0] if entry else None

    def collect(self, book: Book, today: date) -> list[TodayItem]:
        items: list[TodayItem] = []
        for category in self.categories:
            items.extend(self._entries[category.key][1](book, today))
        return group_risks(fold_risks(items))


def fold_risks(items: list[TodayItem]) -> list[TodayItem]:
    """Drop the risk rows another row already stands for (``FOLDED_RISKS``: no touchpoint within
    cadence → the account's touchpoint row; renewal while not healthy → its renewal row); that
    row takes the risk's severity when higher. One thing to do, one row."""
    targets = {(i.category, i.account_id): n for n, i in enumerate(items)
               if i.category in _FOLD_TARGETS}  # fmt: skip
    if not targets:
        return items
    raised: dict[int, str] = {}
    kept: list[TodayItem] = []
    for item in items:
        target = FOLDED_RISKS.get(item.topic or "") if item.category == RISK else None
        n = targets.get((target, item.account_id)) if target else None
        if n is None:
            kept.append(item)
            continue
        current = raised.get(n, items[n].severity)
        if item.severity and _rank(item.severity) > _rank(current):
            raised[n] = item.severity
    if raised:
        replace = {id(items[n]): items[n]._replace(severity=s) for n, s in raised.items()}
        kept = [replace.get(id(i), i) for i in kept]
    return kept


def group_risks(items: list[TodayItem]) -> list[TodayItem]:
    """An account with several risk rows gets one row for them all: one account to look at,
    one row. The row takes the worst severity and lists the risks worst first; its key
    (``risks:<account>:<worst>:<ids>``) names the risks in it, so a "done" or snooze lapses when a
    risk joins or leaves or the worst severity changes."""
    by_account: dict[int, list[TodayItem]] = {}
    for item in items:
        if item.category == RISK:
            by_account.setdefault(item.account_id, []).append(item)
    groups = {a: rows for a, rows in by_account.items() if len(rows) > 1}
    if not groups:
        return items
    kept: list[TodayItem] = []
    for item in items:
        rows = groups.get(item.account_id) if item.category == RISK else None
        if rows is None:
            kept.append(item)
        elif item is rows[0]:
            kept.append(_risk_group(rows))
    return kept


def _risk_group(rows: list[TodayItem]) -> TodayItem:
    rows = sorted(rows, key=lambda i: (-_rank(i.severity), i.key))
    worst = rows[0].severity or RiskSeverity.MEDIUM.value
    ids = "-".join(str(i.record_id) for i in sorted(rows, key=lambda i: i.record_id or 0))
    if len(ids) > 100:
        ids = hashlib.sha1(ids.encode()).hexdigest()[:16]
    first = rows[0]
    new = sum(1 for i in rows if i.title.startswith("New risk"))
    label = f"{len(rows)} risks" + (f", {new} new" if new else "")
    reasons = "; ".join(i.title.split("): ", 1)[-1] for i in rows)
    return TodayItem(
        f"risks:{first.account_id}:{worst}:{ids}", RISK, first.account_id, first.account_name,
        f"{label} ({worst} at worst): {reasons}", None, worst, first.arr_minor, None, None,
        "group",
    )  # fmt: skip


def _rank(severity: str | None) -> int:
    return SEVERITY_RANK.get(severity or "", -1)


def default_registry() -> Registry:
    registry = Registry()
    registry.register(Category(RENEWAL, "Renewals", 10), renewal_items)
    registry.register(Category(RISK, "Risks", 20), risk_items)
    registry.register(Category(REVIEW, "QBRs/EBRs", 30), review_items)
    registry.register(Category(MILESTONE, "Milestones", 40, True), milestone_items)
    registry.register(Category(TOUCHPOINT, "Touchpoints", 50), touchpoint_items)
    registry.register(Category(ACTION, "Action items", 60, True), action_items)
    return registry


REGISTRY = default_registry()


# --- ordering, counting, filtering ----------------------------------------------------------------


def _bucket(due: date, severity: str | None, today: date) -> tuple[int, int]:
    """(bucket, severity order inside the urgent bucket) of the module docstring."""
    rank = SEVERITY_RANK.get(severity or "", -1)
    if rank == _CRITICAL or (rank == _HIGH and due <= today + timedelta(days=SOON_DAYS)):
        return 0, -rank
    return (1 if due < today else 2 if due == today else 3), 0


def sort_key(
    item: TodayItem, today: date, ranks: Mapping[str, int]
) -> tuple[int, int, date, int, int, int, str, str]:
    """The ordering rules of the module docstring as one tuple (smaller comes first)."""
    due = item.due or today
    bucket, urgency = _bucket(due, item.severity, today)
    return (
        bucket, urgency, due, -SEVERITY_RANK.get(item.severity or "", _NO_SEVERITY),
        -item.arr_minor, ranks.get(item.category, 1000), item.account_name.casefold(), item.key,
    )  # fmt: skip


def ordered(
    items: Iterable[TodayItem], today: date, registry: Registry | None = None
) -> list[TodayItem]:
    """``items`` sorted by ``sort_key`` (inlined: a large book has tens of thousands)."""
    ranks = {c.key: c.rank for c in (registry or REGISTRY).categories}
    severity = {k: -v for k, v in SEVERITY_RANK.items()}
    plain = -_NO_SEVERITY
    soon = today + timedelta(days=SOON_DAYS)
    names: dict[str, str] = {}
    keyed = []
    for item in items:
        due = item.due or today
        name = names.get(item.account_name)
        if name is None:
            name = names[item.account_name] = item.account_name.casefold()
        sev = severity.get(item.severity, plain) if item.severity else plain
        if sev == -_CRITICAL or (sev == -_HIGH and due <= soon):
            bucket, urgency = 0, sev
        else:
            bucket, urgency = (1 if due < today else 2 if due == today else 3), 0
        keyed.append(
            (
                bucket, urgency, due, sev, -item.arr_minor, ranks.get(item.category, 1000), name,
                item.key, item,
            )
        )  # fmt: skip
    keyed.sort()  # keys are unique, so a comparison never reaches the item itself
    return [k[-1] for k in keyed]


def describe_due(due: date | None, today: date) -> str:
    if due is None:
        return "now"
    left = (due - today).days
    if left == 0:
        return "today"
    if left < 0:
        return "yesterday" if left == -1 else f"{-left} days overdue"
    return "tomorrow" if left == 1 else f"in {left} days"


@dataclass(frozen=True)
class TodayQueue:
    """Today's visible items in order, counts per category, and what the CSM put aside."""

    today: date
    items: tuple[TodayItem, ...]
    categories: tuple[Category, ...]
    snoozed: int = 0
    done: int = 0

    @property
    def counts(self) -> dict[str, int]:
        """Visible items per category, every registered category present (0 when empty)."""
        counts = {c.key: 0 for c in self.categories}
        for item in self.items:
            counts[item.category] = counts.get(item.category, 0) + 1
        return counts

    def only(self, *categories: str) -> tuple[TodayItem, ...]:
        """The items of these categories, in order (none given: all)."""
        if not categories:
            return self.items
        wanted = set(categories)
        return tuple(i for i in self.items if i.category in wanted)

    def overdue(self) -> int:
        return sum(1 for i in self.items if i.due is not None and i.due < self.today)

    def label(self, category: str) -> str:
        for c in self.categories:
            if c.key == category:
                return c.label
        return category
