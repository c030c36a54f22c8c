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

from sqlmodel import Session

from csmdesk.domain.accounts import AccountDraft, ContactDraft
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
        churned = i % 19 == 11
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
        self._arr_history(account.id, arr * 100, start, churned, trend)
        people = self._contacts(account.id, _domain(name), segment)
        self._milestones(account.id, start, lifecycle)
        self._touchpoints_and_notes(account.id, name, people, trend)
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
        middle = start + (self.today - start) / 2
        if first != arr:
            kind = "expansion" if arr > first else "contraction"
            records.add_arr_event(self.db, account_id, middle, kind, arr, session=self.s)
        if churned:
            records.add_arr_event(
                self.db, account_id, self.today - timedelta(days=20), "churn", 0, session=self.s
            )

    def _person(self) -> tuple[str, str]:
        first = self.rng.choice(self.vocab["first_names"])
        last = self.rng.choice(self.vocab["last_names"])
        return first, last

    def _contacts(self, account_id: int, domain: str, segment: Segment) -> list[Contact]:
        roles = ["champion", "executive_sponsor", "admin", "billing"]
        roles += ["end_user"] * {Segment.SMB: 0, Segment.MID_MARKET: 1, Segment.ENTERPRISE: 2}[
            segment
        ]
        out = []
        for n, role in enumerate(roles):
            first, last = self._person()
            left = (
                self.today - timedelta(days=self.rng.randint(5, 60))
                if (role == "champion" and self.rng.random() < 0.12)
                else None
            )
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

    def _milestones(self, account_id: int, start: date, lifecycle: Lifecycle) -> None:
        for position, (title, day, side) in enumerate(_ONBOARDING_PLAN):
            due = start + timedelta(days=day)
            done = None
            if due < self.today and (lifecycle != Lifecycle.ONBOARDING or self.rng.random() < 0.8):
                done = due + timedelta(days=self.rng.randint(-3, 6))
                done = min(done, self.today)
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

    def _touchpoints_and_notes(
        self, account_id: int, name: str, contacts: list[Contact], trend: str
    ) -> None:
        rng = self.rng
        topics = self.vocab["note_topics"]
        champion = contacts[0]
        for k in range(rng.randint(2, 5)):
            days_ago = rng.randint(3, 25) + k * rng.randint(15, 40)
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
            due = self.today + timedelta(days=rng.randint(-5, 20))
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
                    else "- Interested in the roadmap session next quarter.",
                    "",
                    "## Next steps",
                    f"- [ ] Send follow-up deck @{champion.name.split()[0]} due:{due.isoformat()}",
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
                note_id=note.id,
                session=self.s,
            )
            self.notes += 1

    def _health(self, account_id: int, seats: int, start: date, trend: str, churned: bool) -> None:
        rng = self.rng
        base = rng.uniform(0.55, 0.85)
        series = []
        for w in range(self.weeks, -1, -1):
            on = self.today - timedelta(weeks=w)
            if on < start:
                continue
            t = 1 - w / max(self.weeks, 1)
            level = {
                "healthy": base,
                "declining": base - 0.45 * t,
                "growing": base + 0.25 * t,
                "recovering": base - 0.3 * math.sin(math.pi * t),
            }[trend]
            if churned and w < 4:
                level = 0.05
            level = min(1.0, max(0.02, level + rng.uniform(-0.04, 0.04)))
            active = round(seats * level)
            tickets = max(0, round(rng.gauss(2 + (1 - level) * 10, 1.5)))
            series.append(
                (
                    on,
                    {
                        "active_users": active,
                        "logins": active * rng.randint(8, 20),
                        "feature_adoption_pct": round(
                            100 * min(1.0, level * rng.uniform(0.8, 1.1)), 1
                        ),
                        "open_tickets": tickets,
                        "escalations": 1 if tickets > 9 and rng.random() < 0.5 else 0,
                        "nps": (rng.randint(0, 6) if level < 0.4 else rng.randint(7, 10))
                        if w % 13 == 0
                        else None,
                        "csat": round(rng.uniform(3.0, 5.0), 1) if w % 4 == 0 else None,
                    },
                )
            )
        self.readings += records.add_health_series(self.db, account_id, series, session=self.s)

    def _risks_and_opportunities(
        self, account_id: int, trend: str, arr: int, renewal: date, contacts: list[Contact]
    ) -> None:
        today = self.today
        if trend == "declining":
            records.open_risk(
                self.db,
                account_id,
                "usage_decline",
                "Active users down over 30 days",
                opened_on=today - timedelta(days=12),
                severity="high",
                session=self.s,
            )
        if any(c.left_on for c in contacts):
            records.open_risk(
                self.db,
                account_id,
                "champion_left",
                "Champion left the company",
                opened_on=today - timedelta(days=4),
                severity="critical",
                session=self.s,
            )
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
    from csmdesk.services import health

    health.recompute(db, anchor)
    return DemoSummary(accounts, builder.contacts, builder.notes, builder.readings)


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
