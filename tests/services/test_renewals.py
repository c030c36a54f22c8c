from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from csmdesk.domain.accounts import AccountDraft, ValidationError
from csmdesk.models import Account, ArrEvent, Renewal
from csmdesk.services import accounts, records, renewals
from csmdesk.services.accounts import NotFoundError

TODAY = date(2026, 11, 25)


def make_account(db, name: str = "Acme", **kw: object) -> int:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "arr_minor": 100_000_00,
        "contract_start": date(2025, 12, 20),
        "renewal_date": date(2026, 12, 20),
        "lifecycle": "renewing",
        "segment": "mid_market",
    }
    values.update(kw)
    account = accounts.create_account(db, AccountDraft(name=name, **values), today=TODAY)  # type: ignore[arg-type]
    assert account.id is not None
    return account.id


def count(db, model: type) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def account_of(db, account_id: int) -> Account:  # type: ignore[no-untyped-def]
    return accounts.get_account(db, account_id)


# --- records ------------------------------------------------------------------------------------


def test_ensure_renewal_makes_one_record_per_renewal_date(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    first = renewals.ensure_renewal(db, account_id)
    again = renewals.ensure_renewal(db, account_id)
    assert first.id == again.id
    assert first.renewal_date == date(2026, 12, 20)
    assert first.status == "not_started" and renewals.checklist_of(first) == {}
    assert renewals.current_renewal(db, account_id).id == first.id  # type: ignore[union-attr]
    no_date = make_account(db, "Nodate", renewal_date=None)
    assert renewals.current_renewal(db, no_date) is None
    with pytest.raises(ValidationError, match="no renewal date"):
        renewals.ensure_renewal(db, no_date)
    with pytest.raises(NotFoundError):
        renewals.ensure_renewal(db, 9999)


def test_records_are_made_lazily_when_the_prep_window_opens(db) -> None:  # type: ignore[no-untyped-def]
    inside = make_account(db, "Inside", renewal_date=date(2027, 2, 23))  # 90 days
    make_account(db, "Outside", renewal_date=date(2027, 2, 24))  # 91 days
    passed = make_account(db, "Passed", renewal_date=date(2026, 11, 1))
    make_account(db, "Churned", renewal_date=date(2026, 12, 1), lifecycle="churned")
    archived = make_account(db, "Archived", renewal_date=date(2026, 12, 1))
    accounts.set_archived(db, [archived], True)
    assert renewals.ensure_prep_renewals(db, TODAY) == 2
    assert renewals.ensure_prep_renewals(db, TODAY) == 0
    with db.session() as s:
        made = sorted(s.scalars(select(Renewal.account_id)))
    assert made == sorted([inside, passed])


# --- checklist and status ----------------------------------------------------------------------


def test_checklist_ticks_with_a_date_and_unticks(db) -> None:  # type: ignore[no-untyped-def]
    renewal = renewals.ensure_renewal(db, make_account(db))
    assert renewal.id is not None
    after = renewals.set_checklist_item(db, renewal.id, "usage_review", date(2026, 10, 1))
    assert after.status == "in_progress"  # the first tick starts the renewal
    renewals.set_checklist_item(db, renewal.id, "confirm_stakeholders", date(2026, 10, 3))
    ticked = renewals.get_renewal(db, renewal.id)
    assert renewals.checklist_of(ticked) == {
        "confirm_stakeholders": date(2026, 10, 3),
        "usage_review": date(2026, 10, 1),
    }
    assert json.loads(ticked.checklist) == {
        "confirm_stakeholders": "2026-10-03",
        "usage_review": "2026-10-01",
    }
    renewals.set_checklist_item(db, renewal.id, "usage_review", None)
    assert renewals.checklist_of(renewals.get_renewal(db, renewal.id)) == {
        "confirm_stakeholders": date(2026, 10, 3)
    }
    assert renewals.checklist_count(renewals.get_renewal(db, renewal.id).checklist) == 1
    with pytest.raises(ValidationError):
        renewals.set_checklist_item(db, renewal.id, "send_flowers", TODAY)


def test_status_moves_among_open_statuses_only(db) -> None:  # type: ignore[no-untyped-def]
    renewal = renewals.ensure_renewal(db, make_account(db))
    assert renewal.id is not None
    for status in ("in_progress", "at_risk", "committed", "not_started"):
        assert renewals.set_status(db, renewal.id, status).status == status
    assert renewals.set_status(db, renewal.id, "at_risk", comment=" budget cut ").comment == (
        "budget cut"
    )
    for closing in ("renewed", "churned"):
        with pytest.raises(ValidationError, match="Record the outcome"):
            renewals.set_status(db, renewal.id, closing)
    with pytest.raises(ValidationError):
        renewals.set_status(db, renewal.id, "maybe")
    assert renewals.get_renewal(db, renewal.id).status == "at_risk"


def test_a_checklist_that_is_not_json_reads_as_empty(db) -> None:  # type: ignore[no-untyped-def]
    renewal = renewals.ensure_renewal(db, make_account(db))
    with db.session() as s:
        row = s.get(Renewal, renewal.id)
        assert row is not None
        row.checklist = "{broken"
    assert renewals.checklist_of(renewals.get_renewal(db, renewal.id)) == {}  # type: ignore[arg-type]
    assert renewals.checklist_count("{broken") == 0
    assert renewals.checklist_count('{"usage_review": "2026-01-01", "x": "y"}') == 1


# --- outcomes ---------------------------------------------------------------------------------


def test_flat_renewal_writes_a_renewal_event_and_rolls_the_date_a_year(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    renewal = renewals.ensure_renewal(db, account_id)
    assert renewal.id is not None
    outcome = renewals.record_outcome(db, renewal.id, "flat", None, date(2026, 12, 18))
    event = records.list_arr_events(db, account_id)[-1]
    assert (event.kind, event.arr_after_minor, event.on) == (
        "renewal",
        100_000_00,
        date(2026, 12, 18),
    )
    assert outcome.arr_event_id == event.id and outcome.status == "renewed"
    assert outcome.next_renewal_date == date(2027, 12, 20)
    closed = renewals.get_renewal(db, renewal.id)
    assert (closed.status, closed.outcome, closed.arr_event_id, closed.closed_on) == (
        "renewed",
        "flat",
        event.id,
        date(2026, 12, 18),
    )
    account = account_of(db, account_id)
    assert account.renewal_date == date(2027, 12, 20)
    assert account.lifecycle == "mature" and account.arr_minor == 100_000_00
    # The same ARR given explicitly is a flat renewal too.
    other = renewals.ensure_renewal(db, make_account(db, "Other"))
    assert other.id is not None
    renewals.record_outcome(db, other.id, "flat", 100_000_00, TODAY)


def test_a_leap_day_renewal_rolls_to_the_28th(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db, renewal_date=date(2028, 2, 29), lifecycle="mature")
    renewal = renewals.ensure_renewal(db, account_id)
    assert renewal.id is not None
    renewals.record_outcome(db, renewal.id, "expansion", 120_000_00, date(2028, 2, 20))
    account = account_of(db, account_id)
    assert account.renewal_date == date(2029, 2, 28)
    assert account.arr_minor == 120_000_00 and account.lifecycle == "mature"
    assert records.list_arr_events(db, account_id)[-1].kind == "expansion"


def test_contraction_and_churn(db) -> None:  # type: ignore[no-untyped-def]
    shrinking = make_account(db, "Shrinking")
    renewal = renewals.ensure_renewal(db, shrinking)
    assert renewal.id is not None
    renewals.record_outcome(db, renewal.id, "contraction", 60_000_00, TODAY, comment="fewer seats")
    event = records.list_arr_events(db, shrinking)[-1]
    assert (event.kind, event.arr_after_minor, event.comment) == (
        "contraction",
        60_000_00,
        "fewer seats",
    )
    assert account_of(db, shrinking).arr_minor == 60_000_00

    leaving = make_account(db, "Leaving")
    renewal = renewals.ensure_renewal(db, leaving)
    assert renewal.id is not None
    outcome = renewals.record_outcome(db, renewal.id, "churn", 0, TODAY)
    assert outcome.status == "churned" and outcome.next_renewal_date is None
    event = records.list_arr_events(db, leaving)[-1]
    assert (event.kind, event.arr_after_minor) == ("churn", 0)
    account = account_of(db, leaving)
    assert (account.lifecycle, account.arr_minor) == ("churned", 0)
    assert account.renewal_date == date(2026, 12, 20)  # the day they left, kept
    assert renewals.get_renewal(db, renewal.id).status == "churned"


@pytest.mark.parametrize(
    ("outcome", "arr", "message"),
    [
        ("flat", 90_000_00, "keeps the ARR"),
        ("expansion", 100_000_00, "above the current"),
        ("expansion", None, "Give the ARR"),
        ("contraction", 100_000_00, "below the current"),
        ("contraction", 0, "below the current"),
        ("churn", 5_00, "ARR is 0"),
        ("upsell", None, "not one of"),
        ("expansion", -1, "zero or more"),
    ],
)
def test_bad_outcomes_write_nothing(db, outcome: str, arr: int | None, message: str) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    renewal = renewals.ensure_renewal(db, account_id)
    assert renewal.id is not None
    events = count(db, ArrEvent)
    with pytest.raises(ValidationError, match=message):
        renewals.record_outcome(db, renewal.id, outcome, arr, TODAY)
    assert count(db, ArrEvent) == events
    unchanged = renewals.get_renewal(db, renewal.id)
    assert (unchanged.status, unchanged.outcome, unchanged.arr_event_id) == (
        "not_started",
        None,
        None,
    )
    account = account_of(db, account_id)
    assert (account.arr_minor, account.renewal_date, account.lifecycle) == (
        100_000_00,
        date(2026, 12, 20),
        "renewing",
    )


def test_a_closed_renewal_no_longer_changes(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    renewal = renewals.ensure_renewal(db, account_id)
    assert renewal.id is not None
    renewals.record_outcome(db, renewal.id, "flat", None, TODAY)
    events = count(db, ArrEvent)
    with pytest.raises(ValidationError, match="closed"):
        renewals.record_outcome(db, renewal.id, "expansion", 200_000_00, TODAY)
    with pytest.raises(ValidationError, match="closed"):
        renewals.set_status(db, renewal.id, "at_risk")
    with pytest.raises(ValidationError, match="closed"):
        renewals.set_checklist_item(db, renewal.id, "usage_review", TODAY)
    assert count(db, ArrEvent) == events
    # The next renewal is a new record for the rolled date.
    following = renewals.ensure_renewal(db, account_id)
    assert following.id != renewal.id and following.renewal_date == date(2027, 12, 20)
    assert [r.renewal_date for r in renewals.list_renewals(db, account_id)] == [
        date(2027, 12, 20),
        date(2026, 12, 20),
    ]
    with pytest.raises(NotFoundError):
        renewals.get_renewal(db, 9999)


def test_an_old_renewal_closed_late_leaves_a_changed_renewal_date_alone(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    renewal = renewals.ensure_renewal(db, account_id)
    assert renewal.id is not None
    with db.session() as s:
        account = s.get(Account, account_id)
        assert account is not None
        account.renewal_date = date(2027, 3, 1)  # the CSM moved it by hand meanwhile
    outcome = renewals.record_outcome(db, renewal.id, "flat", None, TODAY)
    assert outcome.next_renewal_date is None
    assert account_of(db, account_id).renewal_date == date(2027, 3, 1)
