"""QBR/EBR records: the draft written from a hand-made account, edits, holding, deleting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from csmdesk.domain.accounts import AccountDraft, ContactDraft, ValidationError
from csmdesk.domain.reviews import period_bounds, period_of, shift_period
from csmdesk.domain.rhythm import RhythmSettings
from csmdesk.models import Touchpoint, TouchpointAttendee
from csmdesk.services import accounts, contacts, records, reviews, rhythm, signals
from csmdesk.store import Database
from tests.conftest import TODAY

HEBREW = "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd"  # "hello world", right to left
ARABIC = "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645"


def make_globex(db: Database) -> int:
    """A mid-market account whose every prefilled line is known in advance."""
    account = accounts.create_account(
        db,
        AccountDraft(
            name="Globex",
            segment="mid_market",
            lifecycle="adopting",
            licensed_seats=100,
            owner="Alex Morgan",
            contract_start=date(2025, 1, 15),
        ),
    )
    assert account.id is not None
    aid = account.id
    contacts.add_contact(
        db,
        aid,
        ContactDraft(
            "Dana Reyes",
            title="VP Operations",
            roles=("executive_sponsor", "champion"),
            is_primary=True,
        ),
    )
    contacts.add_contact(db, aid, ContactDraft("Sam Lee", roles=("admin",)))
    contacts.add_contact(db, aid, ContactDraft("Ana Ortiz", title="Billing Manager"))
    contacts.add_contact(
        db, aid, ContactDraft("Old Champion", roles=("champion",), left_on=date(2026, 6, 1))
    )
    records.add_arr_event(db, aid, date(2025, 1, 15), "new", 12_000_000)
    records.add_arr_event(db, aid, date(2026, 1, 15), "expansion", 13_200_000)
    records.add_milestone(db, aid, "Go live", completed_on=date(2025, 3, 1))
    records.add_milestone(db, aid, "Kickoff", completed_on=date(2026, 2, 10))
    records.add_milestone(db, aid, "Admin training")
    first = date(2026, 8, 24)
    for i in range(14):
        records.record_health(
            db,
            aid,
            first + timedelta(weeks=i),
            active_users=70 + i // 2,
            feature_adoption_pct=55.0 if i == 13 else None,
            nps=8 if i == 7 else None,
        )
    signals.add_risk(db, aid, "Budget freeze in Q1", on=date(2026, 11, 2), severity="high")
    plan = signals.add_risk(db, aid, "Admin overloaded", on=date(2026, 10, 5), severity="low")
    assert plan.id is not None
    records.set_risk_status(
        db, plan.id, "mitigating", on=date(2026, 10, 20), recovery_plan="Train a second admin"
    )
    gone = signals.add_risk(db, aid, "Old worry", on=date(2026, 3, 1))
    assert gone.id is not None
    records.set_risk_status(db, gone.id, "resolved", on=date(2026, 4, 1))
    records.add_opportunity(db, aid, "Analytics add-on")
    records.add_opportunity(
        db,
        aid,
        "Add 50 seats for the EU team",
        amount_minor=2_400_000,
        stage="qualified",
        close_date=date(2027, 1, 31),
    )
    records.add_opportunity(db, aid, "Closed deal", stage="won", amount_minor=100)
    records.add_opportunity(db, aid, "Lost deal", stage="lost")
    records.add_action_item(
        db, aid, "Send the renewal proposal", owner="Alex Morgan", due_date=date(2026, 12, 1)
    )
    records.add_action_item(
        db,
        aid,
        "Share the admin training recording",
        owner="Dana Reyes",
        due_date=date(2026, 11, 20),
    )
    records.add_action_item(db, aid, "Pick a date for the EBR")
    records.add_action_item(db, aid, "Already done", done_on=date(2026, 11, 1))
    return aid


def test_period_labels_are_calendar_quarters() -> None:
    assert period_of(TODAY) == "2026-Q4"
    assert period_of(date(2026, 1, 1)) == "2026-Q1"
    assert period_bounds("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_bounds("2024-Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert shift_period("2026-Q4", 1) == "2027-Q1"
    assert shift_period("2026-Q1", -1) == "2025-Q4"
    for bad in ("2026-Q5", "Q4 2026", "2026-4", ""):
        with pytest.raises(ValidationError):
            period_bounds(bad)


def test_prefill_drafts_every_section_from_the_account(db: Database) -> None:
    aid = make_globex(db)
    review = reviews.prefill(db, aid, TODAY)
    assert (review.kind, review.period, review.title) == ("qbr", "2026-Q4", "Globex QBR 2026-Q4")
    assert review.held_on is None and review.touchpoint_id is None
    assert review.attendees == (
        "Customer\n"
        "- Dana Reyes, VP Operations (Champion, Executive sponsor)\n"
        "- Ana Ortiz, Billing Manager\n"
        "- Sam Lee (Admin)\n"
        "\n"
        "Our side\n"
        "- Alex Morgan (Customer Success Manager)\n"
    )
    assert review.goals.startswith("- Goal: what Globex wants to achieve")
    assert review.value == (
        "ARR\n"
        "- ARR today: $132,000\n"
        "- 15 Jan 2025: New, $120,000\n"
        "- 15 Jan 2026: Expansion, $132,000 (+$12,000)\n"
        "\n"
        "Milestones completed\n"
        "- 10 Feb 2026: Kickoff\n"
    )
    assert review.usage == (
        "- Active users: 76 of 100 licensed seats (76% adoption) on 23 Nov 2026\n"
        "- Over the quarter: 70 → 76 active users (+6, +9%) since 31 Aug 2026\n"
        "- Feature adoption: 55%\n"
        "- NPS: 8 (passive) on 12 Oct 2026\n"
    )
    assert review.risks == (
        "- High: Budget freeze in Q1 (open since 2 Nov 2026)\n"
        "- Low: Admin overloaded (mitigating since 5 Oct 2026)\n"
        "  Plan: Train a second admin\n"
    )
    assert review.expansion == (
        "Open opportunities\n"
        "- Add 50 seats for the EU team: Qualified, $24,000, closing 31 Jan 2027\n"
        "- Analytics add-on: Identified\n"
    )
    assert review.next_steps == (
        "- Share the admin training recording — Dana Reyes, due 20 Nov 2026 (overdue)\n"
        "- Send the renewal proposal — Alex Morgan, due 1 Dec 2026\n"
        "- Pick a date for the EBR — no owner yet, no due date\n"
    )
    assert "Globex" in review.roadmap
    assert [r.id for r in reviews.list_reviews(db, aid)] == [review.id]


def test_prefill_of_an_empty_account_prompts_instead_of_inventing(db: Database) -> None:
    account = accounts.create_account(db, AccountDraft(name="Initech"))
    assert account.id is not None
    review = reviews.prefill(db, account.id, TODAY)
    assert review.attendees == "Customer\n- (no contacts yet: add who attends)\n"
    assert review.usage.startswith("- No usage readings yet")
    assert review.risks == "- No open risks.\n"
    assert review.expansion == "- No open opportunities yet.\n"
    assert review.next_steps == "- Agree the next steps, owners and dates\n"


def test_kind_follows_the_rhythm_settings_and_the_accounts_own_choice(db: Database) -> None:
    big = accounts.create_account(db, AccountDraft(name="Big", segment="enterprise"))
    mid = accounts.create_account(db, AccountDraft(name="Mid", segment="mid_market"))
    own = accounts.create_account(db, AccountDraft(name="Own", segment="smb", review_kind="ebr"))
    assert big.id and mid.id and own.id
    assert reviews.prefill(db, big.id, TODAY).kind == "ebr"
    assert reviews.prefill(db, own.id, TODAY).kind == "ebr"
    rhythm.save_settings(db, RhythmSettings(review_kind={"mid_market": "ebr"}))
    review = reviews.prefill(db, mid.id, TODAY, period="2027-Q1")
    assert (review.kind, review.period, review.title) == ("ebr", "2027-Q1", "Mid EBR 2027-Q1")
    assert reviews.prefill(db, mid.id, TODAY, kind="qbr").kind == "qbr"


def test_one_review_per_account_kind_and_period(db: Database) -> None:
    aid = make_globex(db)
    reviews.prefill(db, aid, TODAY)
    with pytest.raises(ValidationError, match="already has a QBR for 2026-Q4"):
        reviews.prefill(db, aid, TODAY)
    with pytest.raises(ValidationError, match="quarter"):
        reviews.prefill(db, aid, TODAY, period="2026-13")
    with pytest.raises(ValidationError, match="kind"):
        reviews.prefill(db, aid, TODAY, kind="mbr")
    assert reviews.prefill(db, aid, TODAY, kind="ebr").kind == "ebr"  # another kind is fine


def test_goals_carry_over_from_the_previous_review(db: Database) -> None:
    aid = make_globex(db)
    earlier = reviews.prefill(db, aid, date(2026, 8, 20))
    assert earlier.id is not None and earlier.period == "2026-Q3"
    reviews.update_review(db, earlier.id, {"goals": "- Cut onboarding time to 2 weeks\n"})
    later = reviews.prefill(db, aid, TODAY)
    assert later.goals == (
        "Carried over from the 2026-Q3 QBR; update the progress:\n"
        "- Cut onboarding time to 2 weeks\n"
    )


def test_update_keeps_text_exactly_and_rejects_the_whole_edit_on_any_bad_field(
    db: Database,
) -> None:
    aid = make_globex(db)
    review = reviews.prefill(db, aid, TODAY)
    assert review.id is not None
    text = f"  🚀 Launch in the EU 🇪🇺\n{HEBREW} 20%\n{ARABIC}\n" + "long words " * 5000 + "\n\n"
    saved = reviews.update_review(db, review.id, {"goals": text, "title": "  Globex Q4 review "})
    assert saved.title == "Globex Q4 review"
    assert reviews.get_review(db, review.id).goals == text
    with pytest.raises(ValidationError) as caught:
        reviews.update_review(db, review.id, {"goals": "changed", "title": " ", "colour": "red"})
    assert set(caught.value.errors) == {"title", "colour"}
    with pytest.raises(ValidationError):
        reviews.update_review(db, review.id, {"value": "x" * 200_001})
    with pytest.raises(ValidationError):
        reviews.update_review(db, review.id, {"risks": 3})
    after = reviews.get_review(db, review.id)
    assert (after.goals, after.title) == (text, "Globex Q4 review")


def test_mark_held_logs_the_review_touchpoint_once_and_links_it(db: Database) -> None:
    aid = make_globex(db)
    review = reviews.prefill(db, aid, TODAY)
    assert review.id is not None
    with pytest.raises(ValidationError, match="future"):
        reviews.mark_held(db, review.id, TODAY + timedelta(days=1), today=TODAY)
    held = reviews.mark_held(db, review.id, date(2026, 11, 18), today=TODAY)
    assert held.held_on == date(2026, 11, 18) and held.touchpoint_id is not None
    with db.session() as s:
        touchpoint = s.get(Touchpoint, held.touchpoint_id)
        assert touchpoint is not None
        assert (touchpoint.kind, touchpoint.summary) == ("qbr", "Globex QBR 2026-Q4")
        assert touchpoint.occurred_at == datetime(2026, 11, 18, 12, tzinfo=UTC)
        attendees = s.scalars(
            select(TouchpointAttendee.contact_id).where(
                TouchpointAttendee.touchpoint_id == touchpoint.id
            )
        ).all()
    current = [c.id for c in contacts.list_contacts(db, aid) if c.left_on is None]
    assert sorted(attendees) == sorted(current) and len(current) == 3
    assert rhythm.account_rhythm(db, aid, TODAY).last_review == date(2026, 11, 18)
    moved = reviews.mark_held(db, review.id, date(2026, 11, 19), today=TODAY)
    assert moved.touchpoint_id == held.touchpoint_id
    with db.session() as s:
        kinds = s.scalars(select(Touchpoint.kind).where(Touchpoint.account_id == aid)).all()
    assert kinds == ["qbr"]
    assert rhythm.account_rhythm(db, aid, TODAY).last_review == date(2026, 11, 19)


def test_delete_removes_the_review_but_not_the_meeting(db: Database) -> None:
    aid = make_globex(db)
    review = reviews.prefill(db, aid, TODAY)
    assert review.id is not None
    reviews.mark_held(db, review.id, TODAY)
    reviews.delete_review(db, review.id)
    assert reviews.list_reviews(db, aid) == []
    assert records.last_touchpoint(db, aid) is not None
    with pytest.raises(accounts.NotFoundError):
        reviews.get_review(db, review.id)


def test_review_content_speaks_for_the_held_day_and_charts_the_year(db: Database) -> None:
    aid = make_globex(db)
    review = reviews.prefill(db, aid, TODAY)
    assert review.id is not None
    content = reviews.review_content(db, review.id, TODAY)
    assert content.as_of == TODAY and content.owner == "Alex Morgan"
    assert content.subtitle == "QBR · 2026-Q4 · as of 25 November 2026"
    assert content.usage.seats == 100 and len(content.usage.dates) == 14
    assert content.usage.active_users[-1] == 76
    assert (content.usage.period_start, content.usage.period_end) == (date(2026, 10, 1), TODAY)
    reviews.mark_held(db, review.id, date(2026, 10, 20))
    held = reviews.review_content(db, review.id, TODAY)
    assert held.as_of == date(2026, 10, 20) and held.usage.dates[-1] <= date(2026, 10, 20)
    assert held.subtitle == "QBR · 2026-Q4 · held 20 October 2026"
    past = reviews.prefill(db, aid, TODAY, period="2026-Q3")
    assert past.id is not None
    assert reviews.review_content(db, past.id, TODAY).as_of == date(2026, 9, 30)
