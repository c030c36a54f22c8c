"""Onboarding plans on accounts: templates on disk, applying them, working the milestones,
and the measures of onboarding for one account or the book.

Templates: the built-in ones ship in ``resources/templates/onboarding``; the CSM's own live in
``<data dir>/templates/onboarding`` and override a built-in one of the same name. A broken
file is reported (named, with the problem) and the others still load.

A *plan run* is the milestones of one plan applied to one account from one start date. Every
milestone applied from a template carries the plan name (``plan``) and the plan's start
(``start_date``: day 0 of the plan, the same on all its milestones). Milestones made before
this module (the demo book) have no ``start_date``; their start is the account's contract
start, else their earliest due date.

First value: ``Milestone`` has no column for it, so the plan's template says which title marks
first value (its ``first_value`` milestone) and the measures look that title up by plan name.
A renamed milestone, or a plan whose template was deleted, has no first value to measure (the
measure lists such accounts as unknown rather than guessing).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from csmdesk.domain import onboarding as plans
from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.onboarding import (
    FirstValueMeasure,
    MilestoneDraft,
    OnTimeOnboarding,
    PlanRun,
    Progress,
    Template,
    TemplateError,
)
from csmdesk.models import Account, Milestone
from csmdesk.paths import data_dir, resources_dir
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database

log = logging.getLogger(__name__)

TEMPLATE_SUBDIR = Path("templates") / "onboarding"
_reported: set[str] = set()


# --- templates ------------------------------------------------------------------------------


def builtin_templates_dir() -> Path:
    return resources_dir() / TEMPLATE_SUBDIR


def user_templates_dir() -> Path:
    return data_dir() / TEMPLATE_SUBDIR


@dataclass(frozen=True)
class TemplateCatalog:
    templates: tuple[Template, ...]
    problems: tuple[TemplateError, ...]

    def get(self, name: str | None) -> Template | None:
        key = (name or "").casefold()
        return next((t for t in self.templates if t.name.casefold() == key), None)

    def first_value_title(self, plan: str | None) -> str | None:
        template = self.get(plan)
        first = template.first_value if template else None
        return first.title if first else None


def list_templates() -> TemplateCatalog:
    templates, problems = plans.load_templates(
        [builtin_templates_dir(), user_templates_dir()], builtin_dirs=1
    )
    for problem in problems:
        if str(problem) not in _reported:  # the tab lists templates often: say it once
            _reported.add(str(problem))
            log.warning("onboarding template skipped: %s", problem)
    return TemplateCatalog(tuple(templates), tuple(problems))


def _user_files() -> dict[str, Path]:
    """The CSM's template files that load, by template name (casefolded)."""
    found: dict[str, Path] = {}
    folder = user_templates_dir()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            template = plans.parse_template(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError, TemplateError):
            continue
        found.setdefault(template.name.casefold(), path)
    return found


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:60] or "template"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_template(template: Template, *, previous_name: str | None = None) -> Template:
    """Write one of the CSM's templates (new, or replacing ``previous_name``); returns it as
    loaded back. A name equal to a built-in one overrides that built-in template."""
    try:
        checked = plans.template_from_data(template.to_data(), template.name or "template")
    except TemplateError as exc:
        raise ValidationError({"template": exc.problem}) from None
    files = _user_files()
    own = files.get((previous_name or checked.name).casefold())
    clash = files.get(checked.name.casefold())
    if clash is not None and clash != own:
        raise ValidationError({"name": f'You already have a template named "{checked.name}".'})
    if own is None:
        folder = user_templates_dir()
        stem, n = _slug(checked.name), 1
        own = folder / f"{stem}.json"
        while own.exists():
            n += 1
            own = folder / f"{stem}-{n}.json"
    _write_atomically(own, checked.to_json())
    log.info("onboarding template saved: %s", own.name)
    return Template(
        checked.name, checked.milestones, checked.description, checked.version, source=str(own)
    )


def delete_template(name: str) -> None:
    """Delete one of the CSM's templates (a built-in one cannot be deleted)."""
    path = _user_files().get(name.casefold())
    if path is None:
        raise ValidationError({"name": f'"{name}" is not one of your templates.'})
    path.unlink()
    log.info("onboarding template deleted: %s", path.name)


# --- plan runs ------------------------------------------------------------------------------


def _require_account(s: Session, account_id: int) -> Account:
    account = s.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} does not exist")
    return account


def _require_milestone(s: Session, milestone_id: int) -> Milestone:
    milestone = s.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFoundError(f"milestone {milestone_id} does not exist")
    return milestone


def _ordered(s: Session, account_id: int) -> list[Milestone]:
    return list(
        s.scalars(
            select(Milestone)
            .where(col(Milestone.account_id) == account_id)
            .order_by(col(Milestone.position), col(Milestone.id))
        )
    )


def _renumber(ordered: Sequence[Milestone]) -> None:
    for position, m in enumerate(ordered):
        if m.position != position:
            m.position = position


@dataclass
class _Run:
    plan: str
    start_key: date | None  # what the milestones store in start_date
    start: date | None  # the resolved plan start
    milestones: list[Milestone]


def _runs(milestones: Iterable[Milestone], contract_start: date | None) -> list[_Run]:
    """Milestones grouped into plan runs, oldest start first (milestones without a plan are in
    no run)."""
    groups: dict[tuple[str, date | None], list[Milestone]] = defaultdict(list)
    for m in milestones:
        if m.plan:
            groups[(m.plan, m.start_date)].append(m)
    runs = []
    for (plan, key), ms in groups.items():
        dues = [m.due_date for m in ms if m.due_date]
        start = key or contract_start or (min(dues) if dues else None)
        runs.append(_Run(plan, key, start, ms))
    runs.sort(key=lambda r: (r.start or date.min, min(m.position for m in r.milestones)))
    return runs


def _run_of(s: Session, milestone: Milestone) -> _Run | None:
    account = _require_account(s, milestone.account_id)
    for run in _runs(_ordered(s, milestone.account_id), account.contract_start):
        if any(m.id == milestone.id for m in run.milestones):
            return run
    return None


# --- applying a template --------------------------------------------------------------------


class PlanInProgressError(ValidationError):
    """The account already has unfinished milestones of this plan."""

    def __init__(self, plan: str, unfinished: int) -> None:
        self.plan, self.unfinished = plan, unfinished
        super().__init__(
            {
                "plan": f"The account already has {unfinished} unfinished milestone"
                f'{"s" if unfinished != 1 else ""} of "{plan}". Finish or skip them, '
                "or re-plan them from the new start."
            }
        )


@dataclass(frozen=True)
class ApplyResult:
    milestones: list[Milestone]  # the plan's milestones, in order
    warnings: list[str]


def apply_template(
    db: Database,
    account_id: int,
    template: Template,
    start: date,
    today: date,
    *,
    replace: bool = False,
) -> ApplyResult:
    """Create the template's milestones on the account, due ``start + day``, after the
    account's other milestones. All or nothing.

    Refused (:class:`PlanInProgressError`) while the account has unfinished milestones of the
    same plan, unless ``replace``: then the latest run of that plan is *re-planned* from
    ``start``: its milestones keep their completion, skip reason and edits, get new due dates
    and the template's order; the template's milestones it lacks are added, and the ones added
    by hand stay, after them. Warnings: milestones already overdue at ``start``, a far start.
    """
    try:
        plans.template_from_data(template.to_data(), template.source or template.name)
    except TemplateError as exc:
        raise ValidationError({"template": str(exc)}) from None
    with db.session() as s:
        account = _require_account(s, account_id)
        ordered = _ordered(s, account_id)
        same = [m for m in ordered if (m.plan or "").casefold() == template.name.casefold()]
        unfinished = [m for m in same if m.completed_on is None and not m.skipped_reason]
        if unfinished and not replace:
            raise PlanInProgressError(template.name, len(unfinished))
        old: list[Milestone] = []
        if replace and same:
            runs = [
                r
                for r in _runs(ordered, account.contract_start)
                if r.plan.casefold() == template.name.casefold()
            ]
            old = runs[-1].milestones
        finished = [m.title for m in old if m.completed_on is not None or m.skipped_reason]
        warnings = plans.plan_warnings(template, start, today, finished)
        by_title = {m.title.casefold(): m for m in reversed(old)}
        planned: list[Milestone] = []
        for item, due in plans.plan_dates(template, start):
            m = by_title.pop(item.title.casefold(), None)
            if m is None:
                m = Milestone(
                    account_id=account_id,
                    title=item.title,
                    description=item.description,
                    owner_side=item.owner,
                )
                s.add(m)
            m.plan, m.start_date, m.due_date = template.name, start, due
            planned.append(m)
        kept = [m for m in old if m.title.casefold() in by_title]
        for m in kept:
            m.start_date = start
            warning = plans.due_warning(m.due_date, start)
            if warning:
                warnings.append(f"{m.title}: {warning}")
        if old:
            old_ids = {m.id for m in old}
            first = min(i for i, m in enumerate(ordered) if m.id in old_ids)
            rest = [m for m in ordered if m.id not in old_ids]
            new_order = rest[:first] + planned + kept + rest[first:]
        else:
            new_order = ordered + planned
        _renumber(new_order)
        s.flush()
        result = planned + kept
    log.info(
        "plan %r applied to account %s from %s (%d milestones%s)",
        template.name,
        account_id,
        start,
        len(result),
        ", re-planned" if old else "",
    )
    return ApplyResult(result, warnings)


# --- working the milestones -----------------------------------------------------------------


def _checked(draft: MilestoneDraft) -> MilestoneDraft:
    errors = plans.check_milestone(draft)
    if errors:
        raise ValidationError(errors)
    return MilestoneDraft(
        draft.title.strip(), draft.owner_side, draft.due_date, draft.description.strip()
    )


def plan_start_of(db: Database, milestone_id: int) -> date | None:
    """The start of the plan the milestone belongs to (``None`` when it is in no plan)."""
    with db.session() as s:
        run = _run_of(s, _require_milestone(s, milestone_id))
        return run.start if run else None


def current_plan(db: Database, account_id: int) -> tuple[str, date | None] | None:
    """The plan (name, start) a milestone added by hand joins: the latest run."""
    with db.session() as s:
        account = _require_account(s, account_id)
        runs = _runs(_ordered(s, account_id), account.contract_start)
        return (runs[-1].plan, runs[-1].start) if runs else None


def add_milestone_by_hand(
    db: Database, account_id: int, draft: MilestoneDraft, *, after_id: int | None = None
) -> tuple[Milestone, list[str]]:
    """A milestone the CSM adds: it joins the account's latest plan run (if any), placed after
    ``after_id`` (or last). Returns it and any warning (due before the plan start)."""
    draft = _checked(draft)
    with db.session() as s:
        account = _require_account(s, account_id)
        ordered = _ordered(s, account_id)
        runs = _runs(ordered, account.contract_start)
        run = runs[-1] if runs else None
        milestone = Milestone(
            account_id=account_id,
            title=draft.title,
            description=draft.description,
            owner_side=draft.owner_side,
            due_date=draft.due_date,
            plan=run.plan if run else None,
            start_date=run.start_key if run else None,
        )
        s.add(milestone)
        at = len(ordered)
        for i, m in enumerate(ordered):
            if m.id == after_id:
                at = i + 1
        _renumber([*ordered[:at], milestone, *ordered[at:]])
        s.flush()
        warning = plans.due_warning(draft.due_date, run.start if run else None)
    return milestone, [warning] if warning else []


def update_milestone(db: Database, milestone_id: int, draft: MilestoneDraft) -> list[str]:
    """Change title, owner side, due date and description; returns warnings (due before the
    plan start)."""
    draft = _checked(draft)
    with db.session() as s:
        milestone = _require_milestone(s, milestone_id)
        run = _run_of(s, milestone)
        milestone.title = draft.title
        milestone.owner_side = draft.owner_side
        milestone.due_date = draft.due_date
        milestone.description = draft.description
        warning = plans.due_warning(draft.due_date, run.start if run else None)
    return [warning] if warning else []


def complete_milestone(db: Database, milestone_id: int, on: date, today: date) -> list[str]:
    """Done on ``on`` (not in the future); warns when that is before the plan start."""
    if on > today:
        raise ValidationError({"completed_on": "A milestone cannot be completed in the future."})
    with db.session() as s:
        milestone = _require_milestone(s, milestone_id)
        run = _run_of(s, milestone)
        milestone.completed_on = on
        milestone.skipped_reason = None
        start = run.start if run else None
    if start is not None and on < start:
        return [f"Completed {on.isoformat()}, before the plan starts ({start.isoformat()})."]
    return []


def skip_milestone(db: Database, milestone_id: int, reason: str) -> None:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the milestone is skipped."})
    with db.session() as s:
        milestone = _require_milestone(s, milestone_id)
        milestone.skipped_reason = reason.strip()
        milestone.completed_on = None


def reopen_milestone(db: Database, milestone_id: int) -> None:
    """Neither done nor skipped any more."""
    with db.session() as s:
        milestone = _require_milestone(s, milestone_id)
        milestone.completed_on = None
        milestone.skipped_reason = None


def delete_milestone(db: Database, milestone_id: int) -> None:
    with db.session() as s:
        milestone = _require_milestone(s, milestone_id)
        s.delete(milestone)
        s.flush()
        _renumber(_ordered(s, milestone.account_id))


def reorder_milestones(db: Database, account_id: int, ordered_ids: Sequence[int]) -> None:
    """Put the account's milestones in this order; ``ordered_ids`` must name each exactly once."""
    with db.session() as s:
        _require_account(s, account_id)
        ordered = _ordered(s, account_id)
        by_id = {m.id: m for m in ordered}
        if len(ordered_ids) != len(by_id) or set(ordered_ids) != set(by_id):
            raise ValidationError(
                {"order": "The new order must list each of the account's milestones once."}
            )
        _renumber([by_id[i] for i in ordered_ids])


def move_milestone(db: Database, milestone_id: int, step: int) -> bool:
    """Move one place up (``-1``) or down (``+1``); ``False`` at either end."""
    with db.session() as s:
        milestone = _require_milestone(s, milestone_id)
        ordered = _ordered(s, milestone.account_id)
        i = ordered.index(milestone)
        j = i + step
        if not 0 <= j < len(ordered):
            return False
        ordered[i], ordered[j] = ordered[j], ordered[i]
        _renumber(ordered)
    return True


# --- progress and measures ------------------------------------------------------------------


@dataclass(frozen=True)
class AccountPlan:
    plan: str
    start: date | None
    milestones: list[Milestone]
    first_value_title: str | None
    first_value_days: int | None  # None: not reached (or nothing marks first value)


@dataclass(frozen=True)
class AccountOnboarding:
    milestones: list[Milestone]  # every milestone of the account, in order
    progress: Progress[Milestone]
    plans: list[AccountPlan]  # oldest start first

    def plan_of(self, milestone_id: int | None) -> AccountPlan | None:
        return next(
            (p for p in self.plans if any(m.id == milestone_id for m in p.milestones)), None
        )

    def is_first_value(self, milestone: Milestone) -> bool:
        plan = self.plan_of(milestone.id)
        title = plan.first_value_title if plan else None
        return bool(title) and milestone.title.casefold() == (title or "").casefold()


def onboarding_progress(
    db: Database, account_id: int, today: date, catalog: TemplateCatalog | None = None
) -> AccountOnboarding:
    """Done, skipped and overdue milestones, what is next, and each plan's first value."""
    catalog = catalog or list_templates()
    with db.session() as s:
        account = _require_account(s, account_id)
        ordered = _ordered(s, account_id)
    account_plans = []
    for run in _runs(ordered, account.contract_start):
        title = catalog.first_value_title(run.plan)
        days = plans.time_to_first_value(run.milestones, run.start, title) if run.start else None
        account_plans.append(AccountPlan(run.plan, run.start, run.milestones, title, days))
    return AccountOnboarding(ordered, plans.progress(ordered, today), account_plans)


@dataclass(frozen=True)
class OnboardingMeasures:
    """Book-level onboarding: one plan run per account (its latest that started in the
    period), on-time shares, and time to first value."""

    start_from: date
    start_to: date
    runs: tuple[PlanRun, ...]
    on_time: OnTimeOnboarding
    first_value: FirstValueMeasure


def plan_runs(db: Database, catalog: TemplateCatalog | None = None) -> list[PlanRun]:
    """Every plan run in the book (archived accounts left out), oldest start first."""
    catalog = catalog or list_templates()
    with db.session() as s:
        rows = s.execute(
            select(Milestone, col(Account.contract_start))
            .join(Account, col(Account.id) == col(Milestone.account_id))
            .where(col(Account.archived_at).is_(None), col(Milestone.plan).is_not(None))
            .order_by(col(Milestone.account_id), col(Milestone.position), col(Milestone.id))
        ).all()
    by_account: dict[int, list[Milestone]] = defaultdict(list)
    contract: dict[int, date | None] = {}
    for milestone, contract_start in rows:
        by_account[milestone.account_id].append(milestone)
        contract[milestone.account_id] = contract_start
    out = []
    for account_id, ms in by_account.items():
        for run in _runs(ms, contract[account_id]):
            if run.start is not None:
                out.append(
                    PlanRun(
                        account_id,
                        run.plan,
                        run.start,
                        tuple(run.milestones),
                        catalog.first_value_title(run.plan),
                    )
                )
    out.sort(key=lambda r: (r.start, r.account_id))
    return out


def onboarding_measures(
    db: Database,
    start_from: date,
    start_to: date,
    today: date,
    *,
    within_days: int = plans.ON_TIME_WINDOW_DAYS,
    catalog: TemplateCatalog | None = None,
) -> OnboardingMeasures:
    """On-time onboarding and time to first value for plans started in [start_from, start_to]."""
    latest: dict[int, PlanRun] = {}
    for run in plan_runs(db, catalog):
        if start_from <= run.start <= start_to:
            latest[run.account_id] = run  # runs come oldest first: the latest wins
    runs = tuple(sorted(latest.values(), key=lambda r: (r.start, r.account_id)))
    return OnboardingMeasures(
        start_from,
        start_to,
        runs,
        plans.on_time_onboarding(runs, today, within_days),
        plans.first_value_measure(runs),
    )
