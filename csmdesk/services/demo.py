"""A realistic, reproducible demo book, built through the same services as real data.

The same seed and anchor date always give the same book, so screenshots and
tests are stable. ``accounts`` scales it up for benchmarks.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.domain.rhythm import add_months
from csmdesk.models import Contact, Lifecycle, NoteKind, Segment
from csmdesk.paths import resources_dir
from csmdesk.services import accounts, contacts, records
from csmdesk.store import Database

DEMO_SEED = 20261125
DEMO_META_KEY = "demo_book"

_SEGMENT_ARR = {
    Segment.SMB: (8_000, 45_000),
    Segment.MID_MARKET: (45_000, 160_000),
    Segment.ENTERPRISE: (160_000, 950_000),
}
_SEGMENT_SEATS = {
    Segment.SMB: (10, 60),
    Segment.MID_MARKET: (60, 400),
    Segment.ENTERPRISE: (400, 3000),
}
_ONBOARDING_PLAN = [
    ("Kickoff and expectation setting", 7, "us"),
    ("Implementation plan agreed", 14, "us"),
    ("Admin training", 21, "customer"),
    ("First success milestone", 30, "customer"),
    ("Usage optimization review", 45, "us"),
    ("Best-practice education", 60, "us"),
    ("Stakeholder expansion", 60, "customer"),
    ("Success measurement and reporting", 75, "us"),
    ("Expansion identification", 85, "us"),
    ("QBR preparation", 90, "us"),
]


@dataclass(frozen=True)
class DemoSummary:
    accounts: int
    contacts: int
    notes: int
    readings: int


def _vocabulary() -> dict:  # type: ignore[type-arg]
    with (resources_dir() / "demo" / "vocabulary.json").open(encoding="utf-8") as fh:
        return json.load(fh)  # type: ignore[no-any-return]


def _company_name(vocab: dict, i: int) -> str:  # type: ignore[type-arg]
    names = vocab["companies"]
    if i < len(names):
        return str(names[i])
    suffix = ("East", "West", "Labs", "Group", "Global")[i // len(names) % 5]
    return f"{names[i % len(names)]} {suffix} {i // len(names)}"


def _domain(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum()) + ".com"


class _Builder:
    def __init__(
        self, db: Database, session: Session, rng: random.Random, today: date, weeks: int
    ) -> None:
        self.db, self.s, self.rng, self.today, self.weeks = db, session, rng, today, weeks
        self.vocab = _vocabulary()
        self.contacts = self.notes = self.readings = 0

    def account(self, i: int) -> None:
        rng, today = self.rng, self.today
        segment = rng.choices(list(Segment), weights=(5, 3, 2))[0]
        low, high = _SEGMENT_ARR[segment]
        arr = round(rng.uniform(low, high) / 500) * 500
        age_days = rng.choice([20, 45, 75]) if i % 7 == 0 else rng.randint(120, 1100)
        start = today - timedelta(days=age_days)
        years = max(1, math.ceil((age_days + 1) / 365))
        renewal = start + timedelta(days=365 * years)
        churned = i % 8 == 6 and segment != Segment.ENTERPRISE  # a few small accounts leave
        if churned:
            # They did not renew: the renewal date is the day they left.
            renewal = today - timedelta(days=20)
            lifecycle = Lifecycle.CHURNED
        elif age_days < 90:
            lifecycle = Lifecycle.ONBOARDING
        elif (renewal - today).days <= 90:
            lifecycle = Lifecycle.RENEWING
        elif age_days < 300:
            lifecycle = Lifecycle.ADOPTING
        else:
            lifecycle = Lifecycle.MATURE
        name = _company_name(self.vocab, i)
        seats = rng.randint(*_SEGMENT_SEATS[segment])
        draft = AccountDraft(
            name=name,
            domain=_domain(name),
            segment=segment.value,
            industry=rng.choice(self.vocab["industries"]),
            arr_minor=arr * 100,
            contract_start=start,
            renewal_date=renewal,
            lifecycle=lifecycle.value,
            licensed_seats=seats,
            owner=rng.choice(self.vocab["owners"]),
            tags=tuple(rng.sample(self.vocab["tags"], rng.randint(0, 2))),
            payment_issue=i % 17 == 5,
        )
        account = accounts.create_account(self.db, draft, today=today, session=self.s)
        assert account.id is not None
        trend = rng.choice(["healthy", "healthy", "declining", "growing", "recovering"])
        if churned:
            trend = "declining"
        # Trouble that only a declining account shows comes from its own generator, so the
        # main sequence (names, segments, ARR of every account) stays what it always was.
        self.extra = random.Random(f"{DEMO_SEED}-{i}")
        self.pain = self.extra.uniform(0.2, 1.0)  # how badly a declining account is going
        self.stalled = trend == "healthy" and self.pain < 0.55  # steady, but never took off
        self._arr_history(account.id, arr * 100, start, churned, trend)
        people = self._contacts(account.id, _domain(name), segment, trend)
        self._milestones(account.id, start, lifecycle, segment)
        self._touchpoints_and_notes(account.id, name, people, trend)
        self._reviews(account.id, start, segment, trend, people)
        self._health(account.id, seats, start, trend, churned)
        self._risks_and_opportunities(account.id, trend, arr, renewal, people)

    def _arr_history(
        self, account_id: int, arr: int, start: date, churned: bool, trend: str
    ) -> None:
        first = arr
        if trend == "growing":
            first = round(arr * 0.75 / 50000) * 50000 or arr
        elif trend == "declining" and not churned:
            first = round(arr * 1.2 / 50000) * 50000
        records.add_arr_event(self.db, account_id, start, "new", first, session=self.s)
        # The growth or the decline: within the last year for an account older than that (so
        # the year's numbers show it), else halfway through its life so far.
        if (self.today - start).days > 400:
            moved = self.today - timedelta(days=self.extra.randint(40, 330))
        else:
            moved = start + (self.today - start) / 2
        end = self.today - timedelta(days=20) if churned else self.today
        year = 1
        while (anniversary := add_months(start, 12 * year)) < end:
            # Each anniversary renews what is in force then (flat).
            value = arr if first != arr and anniversary > moved else first
            records.add_arr_event(
                self.db, account_id, anniversary, "renewal", value, session=self.s
            )
            year += 1
        if first != arr:
            kind = "expansion" if arr > first else "contraction"
            records.add_arr_event(self.db, account_id, moved, kind, arr, session=self.s)
        if churned:
            records.add_arr_event(self.db, account_id, end, "churn", 0, session=self.s)

    def _person(self) -> tuple[str, str]:
        first = self.rng.choice(self.vocab["first_names"])
        last = self.rng.choice(self.vocab["last_names"])
        return first, last

    def _contacts(
        self, account_id: int, domain: str, segment: Segment, trend: str
    ) -> list[Contact]:
        roles = ["champion", "executive_sponsor", "admin", "billing"]
        roles += ["end_user"] * {Segment.SMB: 0, Segment.MID_MARKET: 1, Segment.ENTERPRISE: 2}[
            segment
        ]
        out = []
        for n, role in enumerate(roles):
            first, last = self._person()
            leaves = role == "champion" and self.rng.random() < 0.12
            if role == "champion" and trend == "declining" and self.pain > 0.6:
                leaves = True  # champions walk out of accounts that are going badly
            left = self.today - timedelta(days=self.rng.randint(5, 60)) if leaves else None
            email_local = f"{first}.{last}".lower().replace("'", "")
            draft = ContactDraft(
                name=f"{first} {last}",
                email=f"{email_local}@{domain}",
                title=self.rng.choice(self.vocab["titles"][role]),
                phone=f"+1 555 {self.rng.randint(100, 999)} {self.rng.randint(1000, 9999)}",
                roles=(role,),
                is_primary=n == 0 and left is None,
                left_on=left,
            )
            out.append(contacts.add_contact(self.db, account_id, draft, session=self.s))
        self.contacts += len(out)
        return out

    def _milestones(
        self, account_id: int, start: date, lifecycle: Lifecycle, segment: Segment
    ) -> None:
        # The 90-day plan's completions are drawn for every account, so the main sequence (and
        # with it the rest of the book) is the same whichever plan an account follows.
        planned = []
        for title, day, side in _ONBOARDING_PLAN:
            due = start + timedelta(days=day)
            done = None
            if due < self.today and (lifecycle != Lifecycle.ONBOARDING or self.rng.random() < 0.8):
                done = due + timedelta(days=self.rng.randint(-3, 6))
                done = min(done, self.today)
            planned.append((title, due, side, done))
        if segment != Segment.ENTERPRISE:
            self._quick_plan(account_id, start)
            return
        for position, (title, due, side, done) in enumerate(planned):
            records.add_milestone(
                self.db,
                account_id,
                title,
                due_date=due,
                owner_side=side,
                plan="Standard 90-day",
                position=position,
                completed_on=done,
                session=self.s,
            )

    def _quick_plan(self, account_id: int, start: date) -> None:
        """Small and mid-market accounts follow the 30-day template; about one plan in four
        runs late."""
        template = json.loads(
            (resources_dir() / "templates" / "onboarding" / "smb-30-day.json").read_text("utf-8")
        )
        slip = self.extra.randint(3, 12) if self.extra.random() < 0.25 else 0
        for position, step in enumerate(template["milestones"]):
            due = start + timedelta(days=int(step["day"]))
            done = None
            if due + timedelta(days=slip) < self.today:
                done = min(due + timedelta(days=slip + self.extra.randint(-2, 0)), self.today)
            records.add_milestone(
                self.db,
                account_id,
                step["title"],
                due_date=due,
                owner_side=step["owner"],
                plan=template["name"],
                position=position,
                completed_on=done,
                session=self.s,
            )

    def _touchpoints_and_notes(
        self, account_id: int, name: str, contacts: list[Contact], trend: str
    ) -> None:
        rng = self.rng
        topics = self.vocab["note_topics"]
        champion = contacts[0]
        for k in range(rng.randint(2, 5)):
            days_ago = rng.randint(3, 25) + k * rng.randint(15, 40)
            if (trend == "declining" and self.pain > 0.75) or self.stalled:
                days_ago += 60  # the CSM has not been in touch for a while
            when = datetime.combine(self.today - timedelta(days=days_ago), time(15, 0), tzinfo=UTC)
            kind = rng.choice(["call", "meeting", "check_in", "email", "call"])
            topic = rng.choice(topics)
            tp = records.log_touchpoint(
                self.db,
                account_id,
                kind,
                when,
                summary=f"{kind.replace('_', '-').title()} about {topic}",
                duration_minutes=rng.choice([15, 30, 45, 60]) if kind != "email" else None,
                attendee_ids=[c.id for c in contacts[:2] if c.id is not None],
                session=self.s,
            )
            offset = rng.randint(-5, 20)  # drawn as always, so later accounts stay the same
            due = when.date() + timedelta(days=abs(offset) % 12 + 3)  # a few days after the call
            # Most follow-ups are sent; one left open more than three weeks was quietly dropped.
            done = due < self.today and (self.extra.random() < 0.85 or (self.today - due).days > 21)
            competitor = rng.choice(self.vocab["competitors"]) if trend == "declining" else None
            body = "\n".join(
                [
                    f"# {kind.replace('_', ' ').title()} with {name}",
                    "",
                    f"Attendees: {champion.name}, {contacts[1].name}",
                    "",
                    "## Discussion",
                    f"- Talked through **{topic}**; they want a plan before month end.",
                    f"- Usage is {'down since the re-org' if trend == 'declining' else 'steady'}.",
                    f"- {competitor} came up as an alternative they were pitched."
                    if competitor
                    else "- They want another team on it; budget is set aside for Q1."
                    if trend == "growing" and k == 0
                    else "- Interested in the roadmap session next quarter.",
                    "",
                    "## Next steps",
                    f"- [{'x' if done else ' '}] Send follow-up deck on {topic} "
                    f"@{champion.name.split()[0]} due:{due.isoformat()}",
                    "- [x] Share recording with the team",
                ]
            )
            note = records.add_note(
                self.db,
                account_id,
                body,
                kind=NoteKind.CALL.value,
                title=topic[:1].upper() + topic[1:],
                touchpoint_id=tp.id,
                created_at=when,
                session=self.s,
            )
            records.add_action_item(
                self.db,
                account_id,
                f"Send follow-up deck on {topic}",
                owner=champion.name.split()[0],
                due_date=due,
                done_on=min(due + timedelta(days=1), self.today) if done else None,
                note_id=note.id,
                session=self.s,
            )
            self.notes += 1

    def _reviews(
        self, account_id: int, start: date, segment: Segment, trend: str, people: list[Contact]
    ) -> None:
        """A business review each quarter since the first one, the last some weeks ago; struggling
        and stalled accounts let their latest slip."""
        if (self.today - start).days < 100:
            return
        kind = "ebr" if segment == Segment.ENTERPRISE else "qbr"
        skipped = self.stalled or (trend == "declining" and self.pain > 0.6)
        days = self.extra.randint(20, 85)
        if skipped:
            days = 92 + days % 25  # the latest one slipped by up to a few weeks
        last = self.today - timedelta(days=days)
        when = last
        while when >= start + timedelta(days=80):
            records.log_touchpoint(
                self.db,
                account_id,
                kind,
                datetime.combine(when, time(16, 0), tzinfo=UTC),
                summary=f"{kind.upper()}: goals, adoption and the roadmap",
                duration_minutes=60,
                attendee_ids=[c.id for c in people[:2] if c.id is not None],
                session=self.s,
            )
            when -= timedelta(days=91)

    def _health(self, account_id: int, seats: int, start: date, trend: str, churned: bool) -> None:
        rng = self.rng
        base = rng.uniform(0.55, 0.85)
        if self.stalled:
            base -= 0.3  # under half the seats in use
        series = []
        for w in range(self.weeks, -1, -1):
            on = self.today - timedelta(weeks=w)
            if on < start:
                continue
            t = 1 - w / max(self.weeks, 1)
            level = {
                "healthy": base,
                # a slow slide, then a fall over the last two months
                "declining": base - 0.2 * t - 0.4 * self.pain * max(0.0, (t - 0.85) / 0.15),
                "growing": base + 0.25 * t,
                "recovering": base - 0.4 * math.sin(0.8 * math.pi * t),  # not all the way back
            }[trend]
            if churned and w < 4:
                level = 0.05
            # Even a failing account keeps a few loyal users until it churns.
            floor = 0.12 if trend == "declining" and not churned else 0.02
            level = min(1.0, max(floor, level + rng.uniform(-0.04, 0.04)))
            active = round(seats * level)
            tickets = max(0, round(rng.gauss(2 + (1 - level) * 10, 1.5)))
            logins = active * rng.randint(8, 20)
            adoption = round(100 * min(1.0, level * rng.uniform(0.8, 1.1)), 1)
            # The same number of draws whatever the level, so tuning a trend never reshuffles
            # the accounts generated after this one.
            escalate, answer, satisfied = rng.random(), rng.random(), rng.uniform(3.0, 5.0)
            escalations = 1 if tickets > 9 and escalate < 0.5 else 0
            nps = (int(answer * 7) if level < 0.4 else 7 + int(answer * 4)) if w % 13 == 0 else None
            csat = round(satisfied, 1) if w % 4 == 0 else None
            if trend == "declining" and not churned and self.pain > 0.45:
                if w <= 2:  # the last weeks: a ticket spike, escalations, an unhappy survey
                    tickets = 2 * tickets + self.extra.randint(4, 9)
                    escalations = max(escalations, int(self.extra.random() < 0.6))
                if w == 1:
                    nps = self.extra.randint(1, 6)
                if csat is not None and w < 12:
                    csat = round(max(1.0, csat - 1.5), 1)
            series.append(
                (
                    on,
                    {
                        "active_users": active,
                        "logins": logins,
                        "feature_adoption_pct": adoption,
                        "open_tickets": tickets,
                        "escalations": escalations,
                        "nps": nps,
                        "csat": csat,
                    },
                )
            )
        self.readings += records.add_health_series(self.db, account_id, series, session=self.s)

    def _risks_and_opportunities(
        self, account_id: int, trend: str, arr: int, renewal: date, contacts: list[Contact]
    ) -> None:
        today = self.today
        if trend in ("growing", "healthy") and self.rng.random() < 0.5:
            records.add_opportunity(
                self.db,
                account_id,
                "Seat expansion for a new team",
                amount_minor=round(arr * 0.2) * 100,
                stage="qualified",
                close_date=min(renewal, today + timedelta(days=60)),
                session=self.s,
            )


def build_demo_book(
    db: Database,
    *,
    accounts: int = 40,
    seed: int = DEMO_SEED,
    today: date | None = None,
    weeks: int = 52,
) -> DemoSummary:
    """Fill ``db`` with a generated book in one transaction."""
    anchor = today or datetime.now(UTC).date()
    rng = random.Random(seed)
    with db.session() as s:
        builder = _Builder(db, s, rng, anchor, weeks)
        for i in range(accounts):
            builder.account(i)
        records.set_meta(db, DEMO_META_KEY, anchor.isoformat(), session=s)
    from csmdesk.services import health, signals

    # Replay the last four weeks so risks open on the day their signal first fired and carry
    # a history, then score today.
    for weeks_ago in (4, 3, 2, 1, 0):
        health.recompute(db, anchor - timedelta(weeks=weeks_ago))
    _work_a_risk(db, anchor, signals)
    return DemoSummary(accounts, builder.contacts, builder.notes, builder.readings)


def _work_a_risk(db: Database, today: date, signals: Any) -> None:
    """Show a risk being worked: the oldest high-severity one gets a recovery plan."""
    worst = [
        r
        for r in signals.list_risks(db, include_resolved=False)
        if r.severity in ("high", "critical") and r.kind != "payment_issue"
    ]
    if not worst:
        return
    risk = min(worst, key=lambda r: (r.opened_on, r.id))
    signals.update_risk(
        db,
        risk.id,
        "mitigating",
        on=today - timedelta(days=2),
        recovery_plan="Weekly call with the remaining sponsor; support lead reviews every open "
        "ticket; usage workshop for the new team leads before month end.",
        escalated_to="Director of Customer Success",
    )


def is_demo(db: Database) -> bool:
    return records.get_meta(db, DEMO_META_KEY) is not None


class NotADemoBookError(RuntimeError):
    """The file already holds a real book; the demo never writes into one."""


def ensure_demo_book(db: Database, *, today: date | None = None) -> DemoSummary | None:
    """Build the demo book in an empty database; ``None`` when it is already there."""
    if is_demo(db):
        return None
    if accounts.count_accounts(db, include_archived=True):
        raise NotADemoBookError(
            f"{db.path} already holds accounts that are not the demo book; "
            "the demo is only ever created in an empty or demo database."
        )
    return build_demo_book(db, today=today)
