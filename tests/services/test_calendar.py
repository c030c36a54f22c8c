"""Calendar export: the events, their days and UIDs, and a file a real iCalendar parser reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from csmdesk.domain.accounts import AccountDraft
from csmdesk.domain.onboarding import MilestoneDraft
from csmdesk.models import Milestone, Renewal
from csmdesk.services import accounts, onboarding, records
from csmdesk.services.calendar import (
    CalendarError,
    CalendarTargetExistsError,
    build_calendar,
    calendar_events,
    escape_text,
    fold,
    sequence_at,
    write_calendar,
)
from csmdesk.store import Database

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 8, 30, 15, tzinfo=UTC)


def make_account(db: Database, name: str, **kw: Any) -> tuple[int, str]:
    values: dict[str, Any] = {
        "segment": "enterprise",
        "lifecycle": "mature",
        "contract_start": date(2025, 1, 10),
    }
    values.update(kw)
    account = accounts.create_account(db, AccountDraft(name=name, **values), today=TODAY)
    assert account.id is not None
    return account.id, account.uid


def touch(db: Database, account_id: int, on: date, kind: str = "call") -> None:
    records.log_touchpoint(db, account_id, kind, datetime.combine(on, time(15), tzinfo=UTC))


def milestone(db: Database, account_id: int, title: str, due: date | None, **kw: Any) -> int:
    m, _ = onboarding.add_milestone_by_hand(
        db, account_id, MilestoneDraft(title=title, due_date=due, **kw)
    )
    assert m.id is not None
    return m.id


def parse(text: str) -> dict[str, Any]:
    """UID -> VEVENT, after checking that the UIDs of the file are unique."""
    cal = icalendar.Calendar.from_ical(text)
    events = cal.walk("VEVENT")
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids)), "duplicate UIDs in one file"
    return dict(zip(uids, events, strict=True))


def start(event: Any) -> date:
    value = event.decoded("DTSTART")
    assert type(value) is date, "all-day events have a DATE, not a DATE-TIME"
    return value


@pytest.fixture
def acme(db: Database) -> dict[str, Any]:
    """Enterprise, touched 10 days ago (every 30 days), last EBR 100 days ago (overdue),
    renewing in 60 days at $120,000, with milestones of every kind."""
    account_id, uid = make_account(
        db, "Acme Corp", arr_minor=120_000_00, renewal_date=TODAY + timedelta(days=60)
    )
    touch(db, account_id, TODAY - timedelta(days=100), "ebr")
    touch(db, account_id, TODAY - timedelta(days=10))
    ids = {
        "training": milestone(db, account_id, "Training", TODAY + timedelta(days=5)),
        "kickoff": milestone(
            db,
            account_id,
            "Kickoff",
            TODAY - timedelta(days=3),
            owner_side="customer",
            description="Agenda:\nintros, goals; success plan",
        ),
        "done": milestone(db, account_id, "Already done", TODAY + timedelta(days=2)),
        "skipped": milestone(db, account_id, "Not needed", TODAY + timedelta(days=4)),
        "far": milestone(db, account_id, "Far away", TODAY + timedelta(days=200)),
        "undated": milestone(db, account_id, "Someday", None),
    }
    onboarding.complete_milestone(db, ids["done"], TODAY - timedelta(days=1), TODAY)
    onboarding.skip_milestone(db, ids["skipped"], "Customer did it themselves")
    with db.session() as s:
        uids = {key: s.get_one(Milestone, i).uid for key, i in ids.items()}
    return {"id": account_id, "uid": uid, "milestones": uids}


def test_calendar_header_is_an_icalendar_2_named_csm_desk(db: Database) -> None:
    cal = icalendar.Calendar.from_ical(build_calendar(db, TODAY, now=NOW))
    assert str(cal["VERSION"]) == "2.0"
    assert "CSM Desk" in str(cal["PRODID"])
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["X-WR-CALNAME"]) == "CSM Desk"
    assert cal.walk("VEVENT") == []


def test_touchpoint_review_milestones_and_renewal_windows_of_an_account(
    db: Database, acme: dict[str, Any]
) -> None:
    events = parse(build_calendar(db, TODAY, now=NOW))
    uid = acme["uid"]

    check_in = events[f"touchpoint-{uid}@csmdesk"]
    assert str(check_in["SUMMARY"]) == "Check-in: Acme Corp"
    assert start(check_in) == TODAY + timedelta(days=20)
    assert check_in.decoded("DTEND") == TODAY + timedelta(days=21)
    assert "every 30 days" in str(check_in["DESCRIPTION"])
    assert "Touchpoint" in check_in["CATEGORIES"].cats

    review = events[f"review-{uid}@csmdesk"]
    assert str(review["SUMMARY"]) == "EBR due: Acme Corp"
    assert start(review) == TODAY  # due 17 Nov, overdue: dated today
    assert "Overdue since 17 Nov 2026" in str(review["DESCRIPTION"])

    ms = acme["milestones"]
    training = events[f"milestone-{ms['training']}@csmdesk"]
    assert str(training["SUMMARY"]) == "Milestone: Training — Acme Corp"
    assert start(training) == TODAY + timedelta(days=5)
    kickoff = events[f"milestone-{ms['kickoff']}@csmdesk"]
    assert start(kickoff) == TODAY
    description = str(kickoff["DESCRIPTION"])
    assert "Overdue since 22 Nov 2026" in description and "owned by the customer" in description
    assert description.endswith("Agenda:\nintros, goals; success plan")

    renewal = (TODAY + timedelta(days=60)).isoformat()
    sixty = events[f"renewal-{renewal}-60-{uid}@csmdesk"]
    assert str(sixty["SUMMARY"]) == "Renewal in 60 days: Acme Corp ($120,000)"
    assert start(sixty) == TODAY
    assert start(events[f"renewal-{renewal}-30-{uid}@csmdesk"]) == TODAY + timedelta(days=30)
    day = events[f"renewal-{renewal}-0-{uid}@csmdesk"]
    assert str(day["SUMMARY"]) == "Renewal: Acme Corp ($120,000)"
    assert start(day) == TODAY + timedelta(days=60)
    assert "Renewal" in day["CATEGORIES"].cats
    assert f"renewal-{renewal}-90-{uid}@csmdesk" not in events  # opened 30 days ago
    assert len(events) == 7


def test_done_skipped_undated_and_far_milestones_are_left_out(
    db: Database, acme: dict[str, Any]
) -> None:
    events = parse(build_calendar(db, TODAY, now=NOW))
    ms = acme["milestones"]
    for key in ("done", "skipped", "undated", "far"):
        assert f"milestone-{ms[key]}@csmdesk" not in events, key
    assert f"milestone-{ms['far']}@csmdesk" in parse(build_calendar(db, TODAY, days=200, now=NOW))


def test_archived_and_churned_accounts_are_left_out(db: Database) -> None:
    kept, kept_uid = make_account(db, "Kept")
    archived, archived_uid = make_account(db, "Archived", renewal_date=TODAY + timedelta(days=5))
    churned, churned_uid = make_account(
        db, "Churned", lifecycle="churned", renewal_date=TODAY + timedelta(days=5)
    )
    for account_id in (kept, archived, churned):
        milestone(db, account_id, "Training", TODAY + timedelta(days=3))
    accounts.set_archived(db, [archived], True)
    text = build_calendar(db, TODAY, now=NOW)
    assert f"touchpoint-{kept_uid}@csmdesk" in parse(text)
    assert archived_uid not in text and churned_uid not in text
    assert "Archived" not in text and "Churned" not in text


def test_nothing_before_today_nor_beyond_the_horizon_on_the_demo_book(demo_db: Database) -> None:
    for days in (0, 30, 90):
        events = parse(build_calendar(demo_db, TODAY, days=days, now=NOW))
        assert events or days == 0
        for uid, event in events.items():
            assert TODAY <= start(event) <= TODAY + timedelta(days=days), uid
    everything = parse(build_calendar(demo_db, TODAY, now=NOW))
    kinds = {uid.split("-")[0] for uid in everything}
    assert kinds == {"touchpoint", "review", "milestone", "renewal"}
    assert len(parse(build_calendar(demo_db, TODAY, days=30, now=NOW))) < len(everything)


def test_uids_are_the_same_between_exports_and_sequence_goes_up(demo_db: Database) -> None:
    later = NOW + timedelta(hours=2)
    first = icalendar.Calendar.from_ical(build_calendar(demo_db, TODAY, now=NOW))
    second = icalendar.Calendar.from_ical(build_calendar(demo_db, TODAY, now=later))
    one = {str(e["UID"]): e for e in first.walk("VEVENT")}
    two = {str(e["UID"]): e for e in second.walk("VEVENT")}
    assert len(one) == len(first.walk("VEVENT")) > 50
    assert one.keys() == two.keys()
    for uid, event in one.items():
        assert event.decoded("DTSTAMP") == NOW and two[uid].decoded("DTSTAMP") == later
        assert event.decoded("LAST-MODIFIED") == NOW
        assert int(two[uid]["SEQUENCE"]) > int(event["SEQUENCE"]) == sequence_at(NOW)
        assert str(two[uid]["SUMMARY"]) == str(event["SUMMARY"])


def test_a_new_touchpoint_moves_the_check_in_under_the_same_uid(
    db: Database, acme: dict[str, Any]
) -> None:
    uid = f"touchpoint-{acme['uid']}@csmdesk"
    before = parse(build_calendar(db, TODAY, now=NOW))[uid]
    touch(db, acme["id"], TODAY)
    after = parse(build_calendar(db, TODAY, now=NOW + timedelta(seconds=1)))[uid]
    assert start(before) == TODAY + timedelta(days=20)
    assert start(after) == TODAY + timedelta(days=30)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


def test_a_renewal_with_its_outcome_recorded_is_left_out(db: Database) -> None:
    renews = TODAY + timedelta(days=20)
    account_id, uid = make_account(db, "Renewed Co", arr_minor=10_000_00, renewal_date=renews)
    assert f"renewal-{renews.isoformat()}-0-{uid}@csmdesk" in parse(build_calendar(db, TODAY))
    with db.session() as s:
        s.add(Renewal(account_id=account_id, renewal_date=renews, status="renewed", outcome="flat"))
    assert "renewal-" not in build_calendar(db, TODAY)


def test_a_passed_renewal_without_outcome_is_dated_today(db: Database) -> None:
    renewed_on = TODAY - timedelta(days=4)
    account_id, uid = make_account(db, "Late Co", renewal_date=renewed_on)
    with db.session() as s:
        s.add(Renewal(account_id=account_id, renewal_date=renewed_on, status="at_risk"))
    event = parse(build_calendar(db, TODAY))[f"renewal-{renewed_on.isoformat()}-0-{uid}@csmdesk"]
    assert start(event) == TODAY
    assert str(event["SUMMARY"]) == "Renewal overdue: Late Co"
    description = str(event["DESCRIPTION"])
    assert "Overdue since 21 Nov 2026" in description and "Status: At risk" in description


TRICKY = 'Smith, Jones; "Partners" \\ Ünïcödé 🚀👩🏽‍💻 Ltd'


def test_names_with_commas_semicolons_emoji_and_200_characters_survive(db: Database) -> None:
    long_name = ("Ω🚀 Grand, Very; Long \\ Name " * 10)[:200]
    tricky_id, tricky_uid = make_account(db, TRICKY)
    long_id, long_uid = make_account(db, long_name)
    milestone(db, long_id, "Set-up, part 1; go", TODAY, description="Line one\r\nline two\\end")
    data = build_calendar(db, TODAY, now=NOW).encode("utf-8")

    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # never cut inside a character
    unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
    assert 'SUMMARY:Check-in: Smith\\, Jones\\; "Partners" \\\\ Ünïcödé' in unfolded

    events = parse(data.decode("utf-8"))
    assert str(events[f"touchpoint-{tricky_uid}@csmdesk"]["SUMMARY"]) == f"Check-in: {TRICKY}"
    assert str(events[f"touchpoint-{long_uid}@csmdesk"]["SUMMARY"]) == f"Check-in: {long_name}"
    (task,) = (e for u, e in events.items() if u.startswith("milestone-"))
    assert str(task["SUMMARY"]) == f"Milestone: Set-up, part 1; go — {long_name}"
    assert str(task["DESCRIPTION"]).endswith("Line one\nline two\\end")
    assert tricky_id


@given(st.text(max_size=400))
def test_fold_keeps_every_line_within_75_octets_and_unfolds_to_the_same_text(text: str) -> None:
    line = "DESCRIPTION:" + escape_text(text)
    folded = fold(line)
    assert folded.replace("\r\n ", "") == line
    for physical in folded.encode("utf-8").split(b"\r\n"):
        assert len(physical) <= 75
        physical.decode("utf-8")
    for physical in folded.split("\r\n")[:-1]:  # no escape cut in two
        assert (len(physical) - len(physical.rstrip("\\"))) % 2 == 0


def test_escape_text_escapes_the_four_specials_and_drops_control_characters() -> None:
    assert escape_text("a\\b;c,d\r\ne\rf\ng\x00h\ti") == "a\\\\b\\;c\\,d\\ne\\nf\\ngh\ti"


def test_write_calendar_is_atomic_and_refuses_to_replace_without_overwrite(
    db: Database, acme: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "cal" / "csmdesk-calendar.ics"
    result = write_calendar(db, out, TODAY, now=NOW)
    assert result.events == 7 and "Wrote 7 calendar events" in result.describe()
    assert out.read_bytes() == build_calendar(db, TODAY, now=NOW).encode("utf-8")
    with pytest.raises(CalendarTargetExistsError, match="already exists"):
        write_calendar(db, out, TODAY)
    assert write_calendar(db, out, TODAY, days=0, overwrite=True).events < 7
    assert sorted(p.name for p in out.parent.iterdir()) == ["csmdesk-calendar.ics"]
    with pytest.raises(CalendarError, match="is a folder"):
        write_calendar(db, tmp_path, TODAY)


@pytest.mark.parametrize("days", [-1, 3661])
def test_days_outside_the_range_are_refused(db: Database, days: int) -> None:
    with pytest.raises(CalendarError, match="from 0 to 3660"):
        calendar_events(db, TODAY, days=days)


@pytest.mark.parametrize("lead", ["", "é", "🚀"])
def test_fold_never_cuts_a_backslash_escape_in_two(lead: str) -> None:
    for k in range(50, 160):
        line = "DESCRIPTION:" + lead + "a" * k + escape_text("\\;,\n" * 30)
        folded = fold(line)
        assert folded.replace("\r\n ", "") == line
        for physical in folded.split("\r\n")[:-1]:
            assert (len(physical) - len(physical.rstrip("\\"))) % 2 == 0, (k, physical)
            assert len(physical.encode("utf-8")) <= 75
