from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from csmdesk.domain.accounts import AccountDraft, ContactDraft, ValidationError
from csmdesk.services import accounts, contacts, records
from csmdesk.services.accounts import NotFoundError


@pytest.fixture
def account_id(db) -> int:  # type: ignore[no-untyped-def]
    account = accounts.create_account(
        db, AccountDraft(name="Acme", arr_minor=10_000_00, contract_start=date(2026, 1, 1))
    )
    assert account.id is not None
    return account.id


def test_milestones_in_order_complete_and_skip(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    m1 = records.add_milestone(db, account_id, "Kickoff", due_date=date(2026, 1, 8))
    m2 = records.add_milestone(
        db, account_id, "Training", due_date=date(2026, 1, 20), owner_side="customer"
    )
    assert [m.position for m in records.list_milestones(db, account_id)] == [0, 1]
    records.complete_milestone(db, m1.id, date(2026, 1, 7))
    records.skip_milestone(db, m2.id, "Customer trained themselves")
    done, skipped = records.list_milestones(db, account_id)
    assert done.completed_on == date(2026, 1, 7)
    assert skipped.skipped_reason == "Customer trained themselves"
    with pytest.raises(ValidationError):
        records.skip_milestone(db, m2.id, "  ")
    with pytest.raises(ValidationError):
        records.add_milestone(db, account_id, "X", owner_side="vendor")


def test_touchpoint_with_attendees_and_last_touchpoint(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.models import TouchpointAttendee

    c = contacts.add_contact(db, account_id, ContactDraft(name="Priya"))
    records.log_touchpoint(db, account_id, "call", datetime(2026, 3, 1, 10, tzinfo=UTC))
    later = records.log_touchpoint(
        db,
        account_id,
        "qbr",
        datetime(2026, 4, 1, 10, tzinfo=UTC),
        summary="Q1 review",
        duration_minutes=60,
        attendee_ids=[c.id, c.id],
    )
    last = records.last_touchpoint(db, account_id)
    assert last is not None and last.id == later.id and last.summary == "Q1 review"
    from sqlalchemy import func, select

    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(TouchpointAttendee)) == 1
    with pytest.raises(ValidationError):
        records.log_touchpoint(db, account_id, "carrier pigeon", datetime.now(UTC))
    with pytest.raises(ValidationError, match="time zone"):
        records.log_touchpoint(db, account_id, "call", datetime(2026, 1, 1))


def test_notes_search_any_text_is_a_valid_query(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    note = records.add_note(
        db,
        account_id,
        "Asked about the SSO add-on (SAML) — budget Q3",
        kind="call",
        title="Check-in",
    )
    assert records.search_note_ids(db, "sso") == [note.id]
    assert records.search_note_ids(db, "SSO budget") == [note.id]
    for weird in ['"', "AND", "NEAR(", "sso*", "(SAML)", "-", "a:b", "'", "\\"]:
        records.search_note_ids(db, weird)  # never raises
    assert records.search_note_ids(db, "   ") == []
    assert [n.id for n in records.list_notes(db, account_id)] == [note.id]


def test_action_items(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    item = records.add_action_item(
        db, account_id, "Send SSO docs", owner="Priya", due_date=date(2026, 12, 5)
    )
    records.set_action_done(db, item.id, date(2026, 12, 1))
    with pytest.raises(ValidationError):
        records.add_action_item(db, account_id, "")
    with pytest.raises(NotFoundError):
        records.set_action_done(db, 999, None)


def test_health_reading_upserts_by_day_and_validates(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    records.record_health(db, account_id, date(2026, 5, 1), active_users=40, nps=9)
    records.record_health(db, account_id, date(2026, 5, 1), active_users=42)
    (reading,) = records.list_health(db, account_id)
    assert (reading.active_users, reading.nps) == (42, 9)
    for bad in (
        {"nps": 11},
        {"active_users": -1},
        {"feature_adoption_pct": 120.0},
        {"csat": 7},
        {"mood": 3},
    ):
        with pytest.raises(ValidationError):
            records.record_health(db, account_id, date(2026, 5, 2), **bad)
    n = records.add_health_series(
        db,
        account_id,
        [(date(2026, 5, 8), {"active_users": 44}), (date(2026, 5, 15), {"active_users": 45})],
    )
    assert n == 2 and len(records.list_health(db, account_id)) == 3


def test_health_series_is_all_or_nothing(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        records.add_health_series(
            db,
            account_id,
            [(date(2026, 6, 1), {"active_users": 1}), (date(2026, 6, 8), {"nps": 42})],
        )
    assert records.list_health(db, account_id) == []


def test_risk_lifecycle(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    risk = records.open_risk(
        db,
        account_id,
        "champion_left",
        "Champion left",
        opened_on=date(2026, 5, 1),
        severity="high",
    )
    records.set_risk_status(
        db,
        risk.id,
        "mitigating",
        on=date(2026, 5, 2),
        recovery_plan="Meet the new VP",
        escalated_to="Head of CS",
    )
    resolved = records.set_risk_status(db, risk.id, "resolved", on=date(2026, 6, 1))
    assert (resolved.status, resolved.resolved_on, resolved.escalated_to) == (
        "resolved",
        date(2026, 6, 1),
        "Head of CS",
    )
    with pytest.raises(ValidationError):
        records.set_risk_status(db, risk.id, "forgotten", on=date(2026, 6, 1))


def test_opportunity(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    opp = records.add_opportunity(db, account_id, "Seats for EMEA", amount_minor=20_000_00)
    assert opp.stage == "identified"
    with pytest.raises(ValidationError):
        records.add_opportunity(db, account_id, "Bad", amount_minor=-1)


def test_arr_history_replaces_implicit_event_and_drives_account_arr(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    records.add_arr_event(db, account_id, date(2025, 1, 1), "new", 8_000_00)
    records.add_arr_event(db, account_id, date(2026, 1, 1), "expansion", 12_000_00)
    events = records.list_arr_events(db, account_id)
    assert [(e.kind, e.implicit) for e in events] == [("new", False), ("expansion", False)]
    assert accounts.get_account(db, account_id).arr_minor == 12_000_00
    # A back-dated event does not change today's ARR.
    records.add_arr_event(db, account_id, date(2025, 6, 1), "expansion", 9_000_00)
    assert accounts.get_account(db, account_id).arr_minor == 12_000_00
    with pytest.raises(ValidationError):
        records.add_arr_event(db, account_id, date(2026, 2, 1), "churn", 5)


def test_external_refs_link_and_relink(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    records.link_external(db, "hubspot", "account", account_id, "111")
    records.link_external(db, "hubspot", "account", account_id, "222")
    assert records.find_external(db, "hubspot", "account", "222") == account_id
    assert records.find_external(db, "hubspot", "account", "111") is None
    assert records.find_external(db, "salesforce", "account", "222") is None


def test_meta(db) -> None:  # type: ignore[no-untyped-def]
    assert records.get_meta(db, "x") is None
    records.set_meta(db, "x", "1")
    records.set_meta(db, "x", "2")
    assert records.get_meta(db, "x") == "2"
