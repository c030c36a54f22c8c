"""Onboarding plans: templates, their due dates, and the measures of onboarding.

A template is a JSON file (UTF-8). Format version 1::

    {
      "name": "Standard 90-day",      required; 1-120 characters; the plan name milestones carry
      "description": "...",           optional
      "version": 1,                   optional; the file format (a newer one is refused)
      "milestones": [                 required; at least one; the order is the plan's order
        {
          "title": "Kickoff",         required; 1-200 characters; unique in the plan (any case)
          "day": 7,                   required; whole days after the plan start, 0-365
          "owner": "us",             required; "us" or "customer"
          "description": "...",      optional
          "first_value": false        optional; true on the one "first value" milestone
        }
      ]
    }

Unknown fields are refused, so a misspelt ``"dya"`` cannot silently vanish.

Due dates are ``start + day`` calendar days. Offsets are days, never months, so month ends
and leap days need no rule: 30 days after 31 January is 2 March (1 March in a leap year), and
365 days after 29 February 2028 is 28 February 2029.

Measures (``on_time_onboarding``, ``first_value_measure``) work on plain values: a
:class:`PlanRun` is one plan applied to one account from one start date.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

FORMAT_VERSION = 1
MAX_DAY = 365
MAX_NAME = 120
MAX_TITLE = 200
OWNERS = ("us", "customer")
OWNER_LABELS = {"us": "Us", "customer": "Customer"}
ON_TIME_WINDOW_DAYS = 30
ON_TIME_BENCHMARK = 0.9  # the seed's benchmark: 90 %+ onboarded within 30 days
DUE_SOON_DAYS = 7
_TOP_FIELDS = {"name", "description", "version", "milestones"}
_MILESTONE_FIELDS = {"title", "day", "owner", "description", "first_value"}


# --- templates ------------------------------------------------------------------------------


class TemplateError(ValueError):
    """A template that cannot be used; ``source`` names the file, ``problem`` says why."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


@dataclass(frozen=True)
class TemplateMilestone:
    title: str
    day: int
    owner: str = "us"
    description: str = ""
    first_value: bool = False


@dataclass(frozen=True)
class Template:
    name: str
    milestones: tuple[TemplateMilestone, ...]
    description: str = ""
    version: int = FORMAT_VERSION
    source: str = ""  # the file it came from ("" for one built in memory)
    builtin: bool = False

    @property
    def first_value(self) -> TemplateMilestone | None:
        return next((m for m in self.milestones if m.first_value), None)

    @property
    def length_days(self) -> int:
        return max((m.day for m in self.milestones), default=0)

    def to_data(self) -> dict[str, Any]:
        """The JSON-ready form (what :func:`template_from_data` reads back)."""
        milestones: list[dict[str, Any]] = []
        for m in self.milestones:
            item: dict[str, Any] = {"title": m.title, "day": m.day, "owner": m.owner}
            if m.description:
                item["description"] = m.description
            if m.first_value:
                item["first_value"] = True
            milestones.append(item)
        return {
            "name": self.name,
            "description": self.description,
            "version": FORMAT_VERSION,
            "milestones": milestones,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n"


def _ordinal_name(index: int, raw: Any) -> str:
    title = raw.get("title") if isinstance(raw, dict) else None
    if isinstance(title, str) and title.strip():
        return f'milestone {index} ("{title.strip()}")'
    return f"milestone {index}"


def _text(value: Any, what: str, *, limit: int | None = None, required: bool = True) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not {json.dumps(value)}")
    value = value.strip()
    if required and not value:
        raise ValueError(f"{what} is empty")
    if limit is not None and len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    return value


def _milestone(index: int, raw: Any) -> TemplateMilestone:
    where = _ordinal_name(index, raw)
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be an object with title, day and owner")
    unknown = sorted(set(raw) - _MILESTONE_FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown field '{unknown[0]}'")
    for name in ("title", "day", "owner"):
        if name not in raw:
            raise ValueError(f"{where}: missing field '{name}'")
    title = _text(raw["title"], f"{where}: 'title'", limit=MAX_TITLE)
    day = raw["day"]
    if isinstance(day, bool) or not isinstance(day, int):
        raise ValueError(
            f"{where}: 'day' must be a whole number of days after the start, not {json.dumps(day)}"
        )
    if not 0 <= day <= MAX_DAY:
        raise ValueError(f"{where}: 'day' is {day}; it must be between 0 and {MAX_DAY}")
    owner = raw["owner"]
    if owner not in OWNERS:
        raise ValueError(
            f'{where}: \'owner\' is {json.dumps(owner)}; it must be "us" or "customer"'
        )
    description = _text(raw.get("description", ""), f"{where}: 'description'", required=False)
    first_value = raw.get("first_value", False)
    if not isinstance(first_value, bool):
        raise ValueError(f"{where}: 'first_value' must be true or false")
    return TemplateMilestone(title, day, owner, description, first_value)


def template_from_data(data: Any, source_name: str) -> Template:
    """Check decoded JSON (or the editor's values) and build a template, or raise TemplateError."""
    try:
        if not isinstance(data, dict):
            raise ValueError("the file must hold one JSON object with name and milestones")
        unknown = sorted(set(data) - _TOP_FIELDS)
        if unknown:
            raise ValueError(f"unknown field '{unknown[0]}'")
        version = data.get("version", FORMAT_VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"'version' must be a whole number from 1, not {json.dumps(version)}")
        if version > FORMAT_VERSION:
            raise ValueError(
                f"written for a newer CSM Desk (format version {version}; "
                f"this one reads version {FORMAT_VERSION})"
            )
        for name in ("name", "milestones"):
            if name not in data:
                raise ValueError(f"missing field '{name}'")
        name = _text(data["name"], "'name'", limit=MAX_NAME)
        description = _text(data.get("description", ""), "'description'", required=False)
        raw_milestones = data["milestones"]
        if not isinstance(raw_milestones, list):
            raise ValueError("'milestones' must be a list")
        if not raw_milestones:
            raise ValueError("the plan has no milestones")
        milestones = tuple(_milestone(i, raw) for i, raw in enumerate(raw_milestones, start=1))
        seen: dict[str, int] = {}
        for i, m in enumerate(milestones, start=1):
            key = m.title.casefold()
            if key in seen:
                raise ValueError(f'milestones {seen[key]} and {i} have the same title "{m.title}"')
            seen[key] = i
        firsts = [i for i, m in enumerate(milestones, start=1) if m.first_value]
        if len(firsts) > 1:
            raise ValueError(
                f"milestones {' and '.join(map(str, firsts))} are all marked first_value; "
                "mark only one"
            )
    except ValueError as exc:
        raise TemplateError(source_name, str(exc)) from None
    return Template(name, milestones, description, version, source=source_name)


def parse_template(text: str, source_name: str) -> Template:
    """Read one template file's text; every problem names ``source_name``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            source_name, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return template_from_data(data, source_name)


def load_templates(
    dirs: Sequence[Path], *, builtin_dirs: int = 0
) -> tuple[list[Template], list[TemplateError]]:
    """Every ``*.json`` template in ``dirs``; a later folder's template replaces an earlier one
    of the same name (so the CSM's own templates override built-in ones).

    The first ``builtin_dirs`` folders hold built-in templates. A broken file becomes a problem
    and the others still load; a missing folder is simply empty.
    """
    found: dict[str, Template] = {}
    problems: list[TemplateError] = []
    for n, folder in enumerate(dirs):
        in_folder: dict[str, str] = {}
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(TemplateError(str(path), f"cannot be read ({exc})"))
                continue
            try:
                template = parse_template(text, str(path))
            except TemplateError as exc:
                problems.append(exc)
                continue
            key = template.name.casefold()
            if key in in_folder:
                problems.append(
                    TemplateError(
                        str(path),
                        f'has the same name "{template.name}" as {Path(in_folder[key]).name}; '
                        "ignored",
                    )
                )
                continue
            in_folder[key] = str(path)
            found[key] = Template(
                template.name,
                template.milestones,
                template.description,
                template.version,
                source=str(path),
                builtin=n < builtin_dirs,
            )
    templates = sorted(found.values(), key=lambda t: t.name.casefold())
    return templates, problems


# --- dates ----------------------------------------------------------------------------------


def plan_dates(template: Template, start: date) -> list[tuple[TemplateMilestone, date]]:
    """Each milestone with its due date: ``start`` plus its day offset in calendar days."""
    return [(m, start + timedelta(days=m.day)) for m in template.milestones]


def plan_warnings(
    template: Template, start: date, today: date, finished: Iterable[str] = ()
) -> list[str]:
    """What the CSM should know before applying ``template`` from ``start``; ``finished`` are
    titles already done or skipped (when re-planning), which cannot be overdue."""
    warnings = []
    dates = plan_dates(template, start)
    done = {t.casefold() for t in finished}
    late = [m for m, due in dates if due < today and m.title.casefold() not in done]
    if late:
        ago = (today - start).days
        warnings.append(
            f"The plan starts {start.isoformat()}, {ago} day{'s' if ago != 1 else ''} ago: "
            f"{len(late)} of {len(dates)} milestones would already be overdue."
        )
    if (start - today).days > MAX_DAY:
        warnings.append(f"The plan starts more than a year from now ({start.isoformat()}).")
    return warnings


def due_warning(due: date | None, plan_start: date | None) -> str | None:
    if due is not None and plan_start is not None and due < plan_start:
        return (
            f"Due {due.isoformat()}, before the plan starts ({plan_start.isoformat()}). "
            "Check the date."
        )
    return None


# --- milestones as plain values -------------------------------------------------------------


class MilestoneLike(Protocol):
    """What the measures read from a milestone (the ``Milestone`` model satisfies it)."""

    @property
    def title(self) -> str: ...
    @property
    def due_date(self) -> date | None: ...
    @property
    def completed_on(self) -> date | None: ...
    @property
    def skipped_reason(self) -> str | None: ...


M = TypeVar("M", bound=MilestoneLike)


@dataclass(frozen=True)
class PlanMilestone:
    """A milestone as plain values (tests, scripts)."""

    title: str
    due_date: date | None
    completed_on: date | None = None
    skipped_reason: str | None = None


@dataclass(frozen=True)
class MilestoneDraft:
    """The editable fields of a milestone."""

    title: str
    owner_side: str = "us"
    due_date: date | None = None
    description: str = ""


def check_milestone(draft: MilestoneDraft) -> dict[str, str]:
    errors = {}
    if not draft.title.strip():
        errors["title"] = "A milestone needs a title."
    elif len(draft.title.strip()) > MAX_TITLE:
        errors["title"] = f"Keep the title under {MAX_TITLE} characters."
    if draft.owner_side not in OWNERS:
        errors["owner_side"] = f"'{draft.owner_side}' is not us or customer."
    return errors


class MilestoneState(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"  # due within the next week
    LATER = "later"
    UNDATED = "undated"


def milestone_state(m: MilestoneLike, today: date) -> MilestoneState:
    if m.completed_on is not None:
        return MilestoneState.DONE
    if m.skipped_reason:
        return MilestoneState.SKIPPED
    if m.due_date is None:
        return MilestoneState.UNDATED
    if m.due_date < today:
        return MilestoneState.OVERDUE
    if m.due_date < today + timedelta(days=DUE_SOON_DAYS):
        return MilestoneState.DUE_SOON
    return MilestoneState.LATER


@dataclass(frozen=True)
class Progress(Generic[M]):
    """Where an account's milestones stand today."""

    total: int
    done: int
    skipped: int
    overdue: tuple[M, ...]
    next_due: M | None

    @property
    def open(self) -> int:
        return self.total - self.done - self.skipped

    @property
    def fraction(self) -> float:
        """Done out of what is still expected (skipped milestones are not expected)."""
        expected = self.total - self.skipped
        return self.done / expected if expected else 1.0


def progress(milestones: Sequence[M], today: date) -> Progress[M]:
    states = [milestone_state(m, today) for m in milestones]
    overdue = tuple(
        sorted(
            (m for m, s in zip(milestones, states, strict=True) if s is MilestoneState.OVERDUE),
            key=lambda m: m.due_date or today,
        )
    )
    upcoming = [
        m
        for m, s in zip(milestones, states, strict=True)
        if s in (MilestoneState.DUE_SOON, MilestoneState.LATER)
    ]
    next_due = min(upcoming, key=lambda m: m.due_date or today) if upcoming else None
    return Progress(
        total=len(milestones),
        done=states.count(MilestoneState.DONE),
        skipped=states.count(MilestoneState.SKIPPED),
        overdue=overdue,
        next_due=next_due,
    )


# --- measures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRun:
    """One plan applied to one account from ``start``.

    ``first_value_title`` names the milestone that marks first value (the template's
    ``first_value`` milestone); ``None`` when the plan has none or its template is gone.
    """

    account_id: int
    plan: str
    start: date
    milestones: Sequence[MilestoneLike]
    first_value_title: str | None = None


def time_to_first_value(
    milestones: Iterable[MilestoneLike], start: date, first_value_title: str | None
) -> int | None:
    """Days from ``start`` to the completion of the first-value milestone (matched by title,
    any case); ``None`` while it is not completed, or when it was skipped or is missing.
    A completion recorded before the start counts as 0 days."""
    if not first_value_title:
        return None
    key = first_value_title.casefold()
    for m in milestones:
        if m.title.casefold() == key and m.completed_on is not None:
            return max(0, (m.completed_on - start).days)
    return None


@dataclass(frozen=True)
class FirstValueMeasure:
    reached: tuple[tuple[int, int], ...]  # (account id, days)
    waiting: tuple[int, ...]  # first value not reached yet
    unknown: tuple[int, ...]  # no first-value milestone to measure (none in the plan, or skipped)

    @property
    def median_days(self) -> float | None:
        return statistics.median(d for _, d in self.reached) if self.reached else None


def first_value_measure(runs: Iterable[PlanRun]) -> FirstValueMeasure:
    reached, waiting, unknown = [], [], []
    for run in runs:
        days = time_to_first_value(run.milestones, run.start, run.first_value_title)
        if days is not None:
            reached.append((run.account_id, days))
            continue
        key = (run.first_value_title or "").casefold()
        target = [m for m in run.milestones if key and m.title.casefold() == key]
        if target and not any(m.skipped_reason for m in target):
            waiting.append(run.account_id)
        else:
            unknown.append(run.account_id)
    return FirstValueMeasure(tuple(reached), tuple(waiting), tuple(unknown))


@dataclass(frozen=True)
class Share:
    """Accounts on time, late, and not decided yet (excluded from the share)."""

    on_time: tuple[int, ...] = ()
    late: tuple[int, ...] = ()
    pending: tuple[int, ...] = ()

    @property
    def measured(self) -> int:
        return len(self.on_time) + len(self.late)

    @property
    def value(self) -> float | None:
        return len(self.on_time) / self.measured if self.measured else None


@dataclass(frozen=True)
class OnTimeOnboarding:
    within_days: int
    within_window: Share  # onboarding finished within ``within_days`` of the start
    within_plan: Share  # every milestone completed by its own due date
    benchmark: float = ON_TIME_BENCHMARK
    not_measured: tuple[int, ...] = field(default=())  # nothing to measure (all skipped)


def _verdict(late: bool, all_done: bool) -> str:
    return "late" if late else "on_time" if all_done else "pending"


def window_verdict(run: PlanRun, today: date, within_days: int = ON_TIME_WINDOW_DAYS) -> str | None:
    """ "on_time", "late", "pending", or ``None`` when no milestone falls in the window.

    Onboarding proper is the milestones due within ``within_days`` of the start (month one of
    a 90-day plan, all of a 30-day plan); the account is on time when every one of them that
    was not skipped was completed by the end of the window.
    """
    deadline = run.start + timedelta(days=within_days)
    scope = [
        m
        for m in run.milestones
        if not m.skipped_reason and m.due_date is not None and m.due_date <= deadline
    ]
    if not scope:
        return None
    late = any(m.completed_on is not None and m.completed_on > deadline for m in scope) or (
        today > deadline and any(m.completed_on is None for m in scope)
    )
    return _verdict(late, all(m.completed_on is not None for m in scope))


def plan_verdict(run: PlanRun, today: date) -> str | None:
    """ "on_time" when every milestone not skipped was completed by its own due date, "late" as
    soon as one was completed after it or is overdue, else "pending"; ``None`` if all skipped."""
    scope = [m for m in run.milestones if not m.skipped_reason]
    if not scope:
        return None
    late = False
    for m in scope:
        if m.due_date is None:
            continue
        if m.completed_on is not None:
            late = late or m.completed_on > m.due_date
        else:
            late = late or m.due_date < today
    return _verdict(late, all(m.completed_on is not None for m in scope))


def on_time_onboarding(
    runs: Iterable[PlanRun], today: date, within_days: int = ON_TIME_WINDOW_DAYS
) -> OnTimeOnboarding:
    """The share of accounts onboarded on time, two ways (see the two verdicts).

    Pass one run per account (the caller picks which, e.g. the latest in a period).
    """
    buckets: dict[str, dict[str, list[int]]] = {
        "window": {"on_time": [], "late": [], "pending": []},
        "plan": {"on_time": [], "late": [], "pending": []},
    }
    not_measured = []
    for run in runs:
        window = window_verdict(run, today, within_days)
        plan = plan_verdict(run, today)
        if plan is None:
            not_measured.append(run.account_id)
            continue
        buckets["plan"][plan].append(run.account_id)
        if window is not None:
            buckets["window"][window].append(run.account_id)

    def share(kind: str) -> Share:
        b = buckets[kind]
        return Share(tuple(b["on_time"]), tuple(b["late"]), tuple(b["pending"]))

    return OnTimeOnboarding(
        within_days, share("window"), share("plan"), ON_TIME_BENCHMARK, tuple(not_measured)
    )
