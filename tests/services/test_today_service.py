from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from csmdesk.domain.accounts import AccountDraft, ValidationError
from csmdesk.domain.rhythm import RhythmSettings
from csmdesk.models import ActionItem, Milestone, Risk, TodayState
from csmdesk.services import accounts, records, renewals, rhythm, today
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import open_database

TODAY = date(2026, 11, 25)


def make_account(db, name: str, **kw: object) -> int:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "segment": "enterprise",
        "lifecycle": "mature",
        "contract_start": date(2025, 1, 10),
        "arr_minor": 50_000_00,
    }
    values.update(kw)
    account = accounts.create_account(db, AccountDraft(name=name, **values), today=TODAY)  # type: ignore[arg-type]
    assert account.id is not None
    return account.id


def touch(db, account_id: int, on: date, kind: str = "call") -> None:  # type: ignore[no-untyped-def]
    records.log_touchpoint(db, account_id, kind, datetime.combine(on, time(15), tzinfo=UTC))


def quiet(db, account_id: int, on: date = TODAY) -> None:  # type: ignore[no-untyped-def]
    """Nothing due by cadence or review for a while."""
    touch(db, account_id, on - timedelta(days=1), "qbr")


def keys(queue: today.TodayQueue, *categories: str) -> list[str]:
    return [i.key for i in queue.only(*categories)]


def item(queue: today.TodayQueue, key: str) -> today.TodayItem:
    return next(i for i in queue.items if i.key == key)


# --- reading the book ----------------------------------------------------------------------------


def test_today_reads_the_book_in_the_same_few_queries_whatever_its_size(db) -> None:  # type: ignore[no-untyped-def]
    def statements_for(n: int) -> int:
        for i in range(n):
            account_id = make_account(db, f"Size {n} #{i}", renewal_date=TODAY + timedelta(days=40))
            touch(db, account_id, TODAY - timedelta(days=40))
            records.add_milestone(db, account_id, "Kickoff", due_date=TODAY)
            records.add_action_item(db, account_id, "Call back", due_date=TODAY)
            records.open_risk(db, account_id, "manual", "Budget", opened_on=TODAY)
        seen: list[str] = []
        db.engine.dispose()
        listener = lambda conn, _record: conn.set_trace_callback(seen.append)  # noqa: E731
        event.listen(db.engine, "connect", listener)
        try:
            today.compute_today(db, TODAY)
        finally:
            event.remove(db.engine, "connect", listener)
            db.engine.dispose()
        return sum(1 for s in seen if s.lstrip().upper().startswith("SELECT"))

    few = statements_for(2)
    many = statements_for(30)
    assert few == many <= 8


def test_only_active_accounts_are_in_today(db) -> None:  # type: ignore[no-untyped-def]
    active = make_account(db, "Active")
    archived = make_account(db, "Archived")
    churned = make_account(db, "Churned", lifecycle="churned")
    for account_id in (active, archived, churned):
        records.add_action_item(db, account_id, "Follow up", due_date=TODAY)
    accounts.set_archived(db, [archived], True)
    queue = today.compute_today(db, TODAY)
    assert {i.account_id for i in queue.items} == {active}


def test_future_touchpoints_do_not_count_as_the_last_one(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db, "Acme")
    touch(db, account_id, TODAY - timedelta(days=35))
    touch(db, account_id, TODAY + timedelta(days=3))  # scheduled, not held
    queue = today.compute_today(db, TODAY)
    assert f"touch:{account_id}:{(TODAY - timedelta(days=5)).isoformat()}" in keys(queue)


# --- ordering ----------------------------------------------------------------------------------


def test_today_orders_urgent_then_overdue_then_today_then_upcoming(db) -> None:  # type: ignore[no-untyped-def]
    big = make_account(db, "Big", arr_minor=900_000_00)
    small = make_account(db, "Small", arr_minor=10_000_00, renewal_date=TODAY + timedelta(days=29))
    quiet(db, big)
    quiet(db, small)
    m = records.add_milestone(db, small, "Admin training", due_date=TODAY - timedelta(days=12))
    a1 = records.add_action_item(db, big, "Send deck", due_date=TODAY - timedelta(days=2))
    a2 = records.add_action_item(db, small, "Fix SSO", due_date=TODAY - timedelta(days=2))
    a3 = records.add_action_item(db, small, "Invite the VP", due_date=TODAY)
    a4 = records.add_action_item(db, big, "Draft agenda", due_date=TODAY + timedelta(days=3))
    r = records.open_risk(
        db, small, "manual", "Budget freeze", opened_on=TODAY - timedelta(days=2), severity="high"
    )
    queue = today.compute_today(db, TODAY)
    assert keys(queue) == [
        f"risk:{r.id}:high",  # urgent: high and needing attention now
        f"milestone:{m.id}",  # 12 days overdue
        f"action:{a1.id}",  # 2 days overdue, larger ARR first
        f"action:{a2.id}",
        f"action:{a3.id}",
        f"action:{a4.id}",
        f"renewal:{small}:2026-12-24:30",
    ]
    assert queue.counts["action"] == 4 and queue.counts["touchpoint"] == 0
    assert [i.key for i in queue.only("risk", "milestone")] == [
        f"risk:{r.id}:high",
        f"milestone:{m.id}",
    ]
    assert queue.overdue() == 3


def test_month_end_and_leap_day_due_dates(db) -> None:  # type: ignore[no-untyped-def]
    monthly = make_account(db, "Monthly")  # enterprise: every 30 days
    touch(db, monthly, date(2028, 1, 31))
    reviewed = make_account(db, "Reviewed", segment="smb")
    touch(db, reviewed, date(2027, 11, 30), "qbr")
    touch(db, reviewed, date(2028, 2, 20))
    queue = today.compute_today(db, date(2028, 2, 28))
    assert f"touch:{monthly}:2028-03-01" in keys(queue)  # 31 Jan + 30 days, via 29 Feb
    assert f"review:{reviewed}:2028-02-29" in keys(queue)  # 30 Nov + 3 months
    assert "QBR due (last 30 Nov 2027)" in item(queue, f"review:{reviewed}:2028-02-29").title


# --- snooze ------------------------------------------------------------------------------------


def test_snoozes_persist_across_a_restart(db, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db, "Acme")
    quiet(db, account_id)
    action = records.add_action_item(db, account_id, "Send deck", due_date=TODAY)
    key = f"action:{action.id}"
    until = today.snooze_until(TODAY, "week")
    assert until == TODAY + timedelta(days=7)
    today.snooze(db, key, until, today=TODAY)
    queue = today.compute_today(db, TODAY)
    assert key not in keys(queue) and queue.snoozed == 1
    db.close()

    reopened = open_database(db_path)
    try:
        assert key not in keys(today.compute_today(reopened, TODAY))
        assert key not in keys(today.compute_today(reopened, until - timedelta(days=1)))
        back = today.compute_today(reopened, until)  # back on the day it was snoozed until
        assert key in keys(back) and back.snoozed == 0
        state = today.state_of(reopened, key)
        assert state is not None and state.snoozed_until == until
    finally:
        reopened.close()


def test_snooze_a_day_and_clearing_a_snooze(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db, "Acme")
    quiet(db, account_id)
    action = records.add_action_item(db, account_id, "Send deck", due_date=TODAY)
    key = f"action:{action.id}"
    today.snooze(db, key, today.snooze_until(TODAY, "day"), today=TODAY)
    assert key not in keys(today.compute_today(db, TODAY))
    assert key in keys(today.compute_today(db, TODAY + timedelta(days=1)))
    today.snooze(db, key, TODAY + timedelta(days=30), today=TODAY)  # a later snooze replaces it
    assert key not in keys(today.compute_today(db, TODAY + timedelta(days=1)))
    today.clear_state(db, key)
    assert key in keys(today.compute_today(db, TODAY))
    with pytest.raises(ValidationError):
        today.snooze(db, key, TODAY, today=TODAY)
    with pytest.raises(ValidationError):
        today.snooze(db, "not a key", TODAY + timedelta(days=1))


# --- done ----------------------------------------------------------------------------------------


def test_done_completes_milestones_and_action_items(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db, "Acme")
    quiet(db, account_id)
    milestone = records.add_milestone(db, account_id, "Kickoff", due_date=TODAY - timedelta(days=1))
    action = records.add_action_item(db, account_id, "Send deck", due_date=TODAY)
    queue = today.compute_today(db, TODAY)
    for key in (f"milestone:{milestone.id}", f"action:{action.id}"):
        today.mark_done(db, item(queue, key), TODAY)
    assert keys(today.compute_today(db, TODAY)) == []
    with db.session() as s:
        assert s.get(Milestone, milestone.id).completed_on == TODAY  # type: ignore[union-attr]
        assert s.get(ActionItem, action.id).done_on == TODAY  # type: ignore[union-attr]
        assert s.scalars(select(TodayState)).all() == []  # nothing kept in Today's own state
    today.undo_done(db, item(queue, f"milestone:{milestone.id}"))
    assert keys(today.compute_today(db, TODAY)) == [f"milestone:{milestone.id}"]


def test_done_on_a_deleted_record_is_an_error(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db, "Acme")
    quiet(db, account_id)
    action = records.add_action_item(db, account_id, "Send deck", due_date=TODAY)
    stale = item(today.compute_today(db, TODAY), f"action:{action.id}")
    with db.session() as s:
        s.delete(s.get(ActionItem, action.id))
    with pytest.raises(NotFoundError):
        today.mark_done(db, stale, TODAY)


def test_a_touchpoint_marked_done_returns_after_a_cadence_or_a_new_due_date(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db, "Acme")  # enterprise: every 30 days
    touch(db, account_id, TODAY - timedelta(days=60), "qbr")
    touch(db, account_id, TODAY - timedelta(days=31))
    key = f"touch:{account_id}:{(TODAY - timedelta(days=1)).isoformat()}"
    queue = today.compute_today(db, TODAY)
    assert keys(queue) == [key]
    today.mark_done(db, item(queue, key), TODAY)
    assert today.compute_today(db, TODAY).done == 1
    assert keys(today.compute_today(db, TODAY + timedelta(days=29)), "touchpoint") == []
    assert key in keys(today.compute_today(db, TODAY + timedelta(days=30)))
    # Logging a touchpoint moves the due date: the next item is a new key, not hidden.
    touch(db, account_id, TODAY + timedelta(days=1))
    later = today.compute_today(db, TODAY + timedelta(days=31))
    assert f"touch:{account_id}:{(TODAY + timedelta(days=31)).isoformat()}" in keys(later)


def test_a_renewal_window_marked_done_returns_in_the_next_window(db) -> None:  # type: ignore[no-untyped-def]
    renewal = TODAY + timedelta(days=80)
    account_id = make_account(db, "Acme", renewal_date=renewal)
    quiet(db, account_id)
    queue = today.compute_today(db, TODAY)
    key90 = f"renewal:{account_id}:{renewal.isoformat()}:90"
    assert keys(queue) == [key90]
    today.mark_done(db, item(queue, key90), TODAY)
    assert keys(today.compute_today(db, TODAY + timedelta(days=19))) == []
    in60 = today.compute_today(db, TODAY + timedelta(days=20))
    assert keys(in60) == [f"renewal:{account_id}:{renewal.isoformat()}:60"]
    # Opening the renewal shows its progress in the row.
    made = renewals.ensure_renewal(db, account_id)
    assert made.id is not None
    renewals.set_checklist_item(db, made.id, "usage_review", TODAY)
    row = today.compute_today(db, TODAY + timedelta(days=20)).items[0]
    assert row.title == "Renewal in 60 days (60-day window; in progress, checklist 1/4)"
    assert row.record_id == made.id
    renewals.record_outcome(db, made.id, "flat", None, TODAY + timedelta(days=20))
    assert keys(today.compute_today(db, TODAY + timedelta(days=20))) == []


def test_a_risk_marked_done_returns_when_it_worsens(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db, "Acme")
    quiet(db, account_id)
    risk = records.open_risk(db, account_id, "manual", "Budget", opened_on=TODAY, severity="high")
    queue = today.compute_today(db, TODAY)
    today.mark_done(db, item(queue, f"risk:{risk.id}:high"), TODAY)
    assert keys(today.compute_today(db, TODAY + timedelta(days=60)), "risk") == []
    with db.session() as s:
        row = s.get(Risk, risk.id)
        assert row is not None
        row.severity = "critical"
    later = today.compute_today(db, TODAY + timedelta(days=60))
    assert keys(later, "risk") == [f"risk:{risk.id}:critical"]
    today.undo_done(db, item(queue, f"risk:{risk.id}:high"))
    assert today.state_of(db, f"risk:{risk.id}:high") is None


# --- pruning ------------------------------------------------------------------------------------


def test_prune_drops_only_states_that_no_longer_do_anything(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db, "Acme", renewal_date=TODAY + timedelta(days=80))
    quiet(db, account_id)
    live = f"renewal:{account_id}:{(TODAY + timedelta(days=80)).isoformat()}:90"
    today.mark_done(db, item(today.compute_today(db, TODAY), live), TODAY - timedelta(days=100))
    with db.session() as s:
        s.add(TodayState(key="touch:1:2026-01-01", done_on=TODAY - timedelta(days=31)))  # gone
        s.add(TodayState(key="touch:1:2026-10-01", done_on=TODAY - timedelta(days=5)))  # recent
        s.add(TodayState(key="action:12345", snoozed_until=TODAY))  # run out
        s.add(TodayState(key="action:777", snoozed_until=TODAY + timedelta(days=3)))  # running
    assert today.prune_states(db, TODAY) == 2
    with db.session() as s:
        left = sorted(s.scalars(select(TodayState.key)))
    assert left == sorted(["touch:1:2026-10-01", "action:777", live])
    assert today.prune_states(db, TODAY, live_keys=[]) == 1  # the live one is old enough once gone


# --- settings and per-account rhythm ----------------------------------------------------------


def test_rhythm_settings_are_kept_in_meta_and_read_by_today(db) -> None:  # type: ignore[no-untyped-def]
    assert rhythm.load_settings(db) == RhythmSettings()
    account_id = make_account(db, "Acme", segment="smb", renewal_date=TODAY + timedelta(days=100))
    touch(db, account_id, TODAY - timedelta(days=50), "qbr")
    assert keys(today.compute_today(db, TODAY)) == []
    rhythm.save_settings(
        db, RhythmSettings(cadence_days={"smb": 45}, renewal_windows=(120, 30), review_months=2)
    )
    assert rhythm.load_settings(db).cadence_days["smb"] == 45
    assert sorted(i.category for i in today.compute_today(db, TODAY).items) == [
        "renewal",
        "review",
        "touchpoint",
    ]
    records.set_meta(db, rhythm.SETTINGS_KEY, '{"cadence_days": {"smb": 0}}')
    assert rhythm.load_settings(db) == RhythmSettings()  # unreadable: the defaults


def test_account_rhythm(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(
        db, "Acme", segment="enterprise", renewal_date=TODAY + timedelta(days=45)
    )
    touch(db, account_id, date(2026, 8, 31), "ebr")
    touch(db, account_id, date(2026, 11, 20))
    touch(db, account_id, date(2026, 12, 20))  # in the future: not counted
    got = rhythm.account_rhythm(db, account_id, TODAY)
    assert (got.cadence_days, got.cadence_is_own) == (30, False)
    assert (got.last_touch, got.next_touch_due) == (date(2026, 11, 20), date(2026, 12, 20))
    assert got.review_kind == "ebr"
    assert (got.last_review, got.next_review_due) == (date(2026, 8, 31), date(2026, 11, 30))
    assert got.renewal_window is not None and got.renewal_window.days == 60
    assert got.in_prep_window
    with db.session() as s:
        from csmdesk.models import Account

        account = s.get(Account, account_id)
        assert account is not None
        account.cadence_days = 14
        account.review_kind = "qbr"
    own = rhythm.account_rhythm(db, account_id, TODAY)
    assert (own.cadence_days, own.cadence_is_own, own.review_kind) == (14, True, "qbr")
    assert own.next_touch_due == date(2026, 12, 4)
    with pytest.raises(NotFoundError):
        rhythm.account_rhythm(db, 9999, TODAY)


def test_book_reviews_on_schedule(db) -> None:  # type: ignore[no-untyped-def]
    kept = make_account(db, "Kept", contract_start=date(2026, 1, 15))
    for on in (date(2026, 4, 10), date(2026, 7, 10), date(2026, 10, 20)):
        touch(db, kept, on, "qbr")
    lapsed = make_account(db, "Lapsed", contract_start=date(2025, 11, 30))
    make_account(db, "No start", contract_start=None)
    got = rhythm.reviews_on_schedule(db, (date(2026, 1, 1), date(2026, 12, 31)), as_of=TODAY)
    # Kept: due 15 Apr (held), 10 Jul (held), 10 Oct (late). Lapsed: 28 Feb, 30 May, 30 Aug
    # missed; 30 Nov is after as_of.
    assert got.by_account[kept].held == (date(2026, 4, 15), date(2026, 7, 10))
    assert got.by_account[lapsed].due == (date(2026, 2, 28), date(2026, 5, 30), date(2026, 8, 30))
    assert (got.due, got.held) == (6, 2)
    assert got.share == pytest.approx(2 / 6)


# --- the demo book -------------------------------------------------------------------------------


def test_the_demo_book_reads_like_a_believable_morning(demo_db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import TODAY as DEMO_TODAY

    queue = today.compute_today(demo_db, DEMO_TODAY)
    active = len(today.load_book(demo_db, DEMO_TODAY).accounts)
    present = [c for c, n in queue.counts.items() if n]
    assert len(present) >= 5, queue.counts
    assert 20 <= len(queue.items) < 4 * active, queue.counts
    per_account = Counter(i.account_id for i in queue.items)
    assert max(per_account.values()) <= 6  # an account's risks share one row
    assert queue.items[0].severity in ("critical", "high")  # the urgent lead
    assert queue.overdue() <= len(queue.items) // 2
    stale = [i for i in queue.items if i.due and (DEMO_TODAY - i.due).days > 45]
    assert all(i.category == "touchpoint" for i in stale), stale  # only lapsed contact is old
    assert all(i.account_name for i in queue.items)
    assert len({i.key for i in queue.items}) == len(queue.items)
