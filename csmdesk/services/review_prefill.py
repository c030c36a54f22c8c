"""The first draft of a QBR/EBR, written from what the book knows about the account.

Each section is readable plain text (``- `` bullets, a heading line where a section has parts)
that the CSM then edits. The draft looks back from ``on``, the day it is prepared:

- attendees: the current contacts (primary first) with their title and roles, then the owner;
- goals: the goals of the account's previous review, carried over, else a prompt;
- value: the ARR history (last 8 movements, each with its change) and the milestones completed
  in the last 12 months;
- usage: the latest active users against licensed seats, their trend over the 91 days up to
  ``on``, feature adoption, the latest NPS and the health score;
- risks: the unresolved risks, most severe first, with their recovery plan;
- expansion: the open opportunities, then what the expansion rules suggest today;
- next steps: the open action items by due date, with owner and due date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from csmdesk.domain.money import format_money
from csmdesk.domain.reviews import SECTIONS, kind_label
from csmdesk.models import (
    Account,
    ActionItem,
    ArrEvent,
    Contact,
    HealthReading,
    HealthScore,
    Milestone,
    Opportunity,
    OpportunityStage,
    Review,
)
from csmdesk.services import signals
from csmdesk.store import Database

ROLE_LABELS = {
    "champion": "Champion",
    "executive_sponsor": "Executive sponsor",
    "admin": "Admin",
    "end_user": "End user",
    "billing": "Billing",
}
BAND_LABELS = {"healthy": "Healthy", "watch": "Watch", "at_risk": "At risk"}
TREND_DAYS = 91
ARR_EVENTS_SHOWN = 8
_CLOSED_STAGES = (OpportunityStage.WON.value, OpportunityStage.LOST.value)

GOALS_PROMPT = (
    "- Goal: what {name} wants to achieve, and how they measure it\n"
    "  Progress: where it stands today\n"
    "- Goal: …\n"
    "  Progress: …\n"
)
ROADMAP_PROMPT = (
    "- What we ship next quarter that matters to {name}\n"
    "- Requests {name} raised, and where they stand\n"
)


def day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def _pct(x: float) -> str:
    return f"{x:.0%}"


def attendees_text(contacts: Sequence[Contact], owner: str | None, on: date) -> str:
    lines = []
    for c in contacts:
        if c.left_on is not None and c.left_on <= on:
            continue
        roles = ", ".join(ROLE_LABELS.get(r, r) for r in c.roles.split(",") if r)
        who = f"{c.name}, {c.title}" if c.title else c.name
        lines.append(f"- {who} ({roles})" if roles else f"- {who}")
    if not lines:
        lines.append("- (no contacts yet: add who attends)")
    text = "Customer\n" + "\n".join(lines) + "\n"
    if owner:
        text += f"\nOur side\n- {owner} (Customer Success Manager)\n"
    return text


def value_text(events: Sequence[ArrEvent], milestones: Sequence[Milestone], on: date) -> str:
    parts = []
    shown = [e for e in events if e.on <= on]
    if shown:
        latest = shown[-1]
        lines = [f"- ARR today: {format_money(latest.arr_after_minor, latest.currency)}"]
        previous: ArrEvent | None = None
        history = []
        for e in shown:
            amount = format_money(e.arr_after_minor, e.currency)
            change = ""
            if previous is not None and previous.currency == e.currency:
                delta = e.arr_after_minor - previous.arr_after_minor
                if delta:
                    sign = "+" if delta > 0 else "-"
                    change = f" ({sign}{format_money(abs(delta), e.currency)})"
            history.append(f"- {day(e.on)}: {e.kind.capitalize()}, {amount}{change}")
            previous = e
        parts.append("ARR\n" + "\n".join(lines + history[-ARR_EVENTS_SHOWN:]) + "\n")
    done = [
        m
        for m in milestones
        if m.completed_on is not None and on - timedelta(days=365) < m.completed_on <= on
    ]
    if done:
        done.sort(key=lambda m: (m.completed_on or on, m.position))
        lines = [f"- {day(m.completed_on or on)}: {m.title}" for m in done]
        parts.append("Milestones completed\n" + "\n".join(lines) + "\n")
    if not parts:
        return "- Value the customer got this quarter, in their numbers\n"
    return "\n".join(parts)


def usage_text(
    readings: Sequence[HealthReading], seats: int | None, score: HealthScore | None, on: date
) -> str:
    past = [r for r in readings if r.on <= on]
    active = [r for r in past if r.active_users is not None]
    lines = []
    if active:
        last = active[-1]
        users = last.active_users or 0
        if seats:
            lines.append(
                f"- Active users: {users:,} of {seats:,} licensed seats "
                f"({_pct(users / seats)} adoption) on {day(last.on)}"
            )
        else:
            lines.append(f"- Active users: {users:,} on {day(last.on)} (seats unknown)")
        window = [r for r in active if r.on >= on - timedelta(days=TREND_DAYS)]
        if len(window) >= 2:
            first_users = window[0].active_users or 0
            delta = users - first_users
            change = f"{delta:+,}"
            if first_users:
                change += f", {delta / first_users:+.0%}"
            lines.append(
                f"- Over the quarter: {first_users:,} → {users:,} active users ({change}) "
                f"since {day(window[0].on)}"
            )
    feature = next(
        (
            r
            for r in reversed(past)
            if r.feature_adoption_pct is not None and r.on > on - timedelta(days=90)
        ),
        None,
    )
    if feature is not None and feature.feature_adoption_pct is not None:
        lines.append(f"- Feature adoption: {feature.feature_adoption_pct:.0f}%")
    nps = next((r for r in reversed(past) if r.nps is not None), None)
    if nps is not None and nps.nps is not None:
        kind = "promoter" if nps.nps >= 9 else "passive" if nps.nps >= 7 else "detractor"
        lines.append(f"- NPS: {nps.nps} ({kind}) on {day(nps.on)}")
    if score is not None and score.value is not None:
        band = BAND_LABELS.get(score.effective_band or score.band or "", "")
        lines.append(f"- Health score: {score.value}" + (f" ({band})" if band else ""))
    if not lines:
        return "- No usage readings yet: add them under Health, or describe adoption here\n"
    return "\n".join(lines) + "\n"


def risks_text(db: Database, account_id: int) -> str:
    lines = []
    for risk in signals.list_risks(db, account_id, include_resolved=False):
        status = "mitigating" if risk.status == "mitigating" else "open"
        lines.append(
            f"- {risk.severity.capitalize()}: {risk.title} ({status} since {day(risk.opened_on)})"
        )
        if risk.recovery_plan.strip():
            lines.append(f"  Plan: {risk.recovery_plan.strip()}")
    return "\n".join(lines) + "\n" if lines else "- No open risks.\n"


def opportunities_text(opportunities: Sequence[Opportunity]) -> str:
    lines = []
    for o in opportunities:
        bits = [o.stage.capitalize()]
        if o.amount_minor:
            bits.append(format_money(o.amount_minor, o.currency))
        if o.close_date:
            bits.append(f"closing {day(o.close_date)}")
        lines.append(f"- {o.title}: {', '.join(bits)}")
    return "Open opportunities\n" + "\n".join(lines) + "\n" if lines else ""


def suggestions_text(db: Database, account_id: int, on: date) -> str:
    found = signals.expansion_suggestions(db, account_id, on)
    if not found:
        return ""
    lines = [f"- {s.title}" + (f": {s.detail}" if s.detail else "") for s in found]
    return "Suggested by the signals\n" + "\n".join(lines) + "\n"


def next_steps_text(items: Sequence[ActionItem], on: date) -> str:
    lines = []
    for item in items:
        owner = item.owner or "no owner yet"
        if item.due_date is None:
            due = "no due date"
        else:
            due = f"due {day(item.due_date)}" + (" (overdue)" if item.due_date < on else "")
        lines.append(f"- {item.text} — {owner}, {due}")
    return "\n".join(lines) + "\n" if lines else "- Agree the next steps, owners and dates\n"


def compose(db: Database, s: Session, account: Account, on: date) -> dict[str, str]:
    """The prefilled sections of a new review of ``account`` (see the module docstring)."""
    assert account.id is not None
    aid = account.id
    contacts = list(
        s.scalars(
            select(Contact)
            .where(col(Contact.account_id) == aid)
            .order_by(col(Contact.is_primary).desc(), col(Contact.name), col(Contact.id))
        )
    )
    prompt = GOALS_PROMPT.format(name=account.name)
    previous = s.scalars(
        select(Review)
        .where(
            col(Review.account_id) == aid,
            col(Review.goals).not_in(("", prompt)),  # an untouched prompt is not a goal
        )
        .order_by(col(Review.period).desc(), col(Review.id).desc())
        .limit(1)
    ).first()
    events = list(
        s.scalars(
            select(ArrEvent)
            .where(col(ArrEvent.account_id) == aid)
            .order_by(col(ArrEvent.on), col(ArrEvent.id))
        )
    )
    milestones = list(s.scalars(select(Milestone).where(col(Milestone.account_id) == aid)))
    readings = list(
        s.scalars(
            select(HealthReading)
            .where(col(HealthReading.account_id) == aid, col(HealthReading.on) <= on)
            .order_by(col(HealthReading.on))
        )
    )
    opportunities = list(
        s.scalars(
            select(Opportunity)
            .where(
                col(Opportunity.account_id) == aid, col(Opportunity.stage).not_in(_CLOSED_STAGES)
            )
            .order_by(
                col(Opportunity.close_date).is_(None),
                col(Opportunity.close_date),
                col(Opportunity.id),
            )
        )
    )
    items = list(
        s.scalars(
            select(ActionItem)
            .where(col(ActionItem.account_id) == aid, col(ActionItem.done_on).is_(None))
            .order_by(
                col(ActionItem.due_date).is_(None), col(ActionItem.due_date), col(ActionItem.id)
            )
        )
    )
    score = s.get(HealthScore, aid)
    if previous is not None:
        goals = (
            f"Carried over from the {previous.period} {kind_label(previous.kind)}; "
            f"update the progress:\n{previous.goals}"
        )
    else:
        goals = prompt
    expansion = "\n".join(
        t for t in (opportunities_text(opportunities), suggestions_text(db, aid, on)) if t
    )
    sections = {
        "attendees": attendees_text(contacts, account.owner, on),
        "goals": goals,
        "value": value_text(events, milestones, on),
        "usage": usage_text(readings, account.licensed_seats, score, on),
        "roadmap": ROADMAP_PROMPT.format(name=account.name),
        "risks": risks_text(db, aid),
        "expansion": expansion or "- No open opportunities yet.\n",
        "next_steps": next_steps_text(items, on),
    }
    assert tuple(sections) == SECTIONS
    return sections
