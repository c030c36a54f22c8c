"""Editing an account's ARR history keeps the account's ARR in step; a delete can be undone."""

from __future__ import annotations

from datetime import date

import pytest

from csmdesk.domain.accounts import AccountDraft, ValidationError
from csmdesk.models import ArrEvent
from csmdesk.services import accounts, arr_history, records, renewals
from csmdesk.services.accounts import NotFoundError

START, MID, LATE = date(2025, 1, 1), date(2025, 7, 1), date(2026, 3, 1)


def make_account(db, **kw: object) -> int:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"arr_minor": 100_000_00, "contract_start": START}
    values.update(kw)
    account = accounts.create_account(db, AccountDraft(name="Acme", **values))  # type: ignore[arg-type]
    assert account.id is not None
    return account.id


def arr_of(db, account_id: int) -> int:  # type: ignore[no-untyped-def]
    return accounts.get_account(db, account_id).arr_minor


def history(db, account_id: int) -> list[tuple[date, str, int, bool]]:  # type: ignore[no-untyped-def]
    return [
        (e.on, e.kind, e.arr_after_minor, e.implicit)
        for e in records.list_arr_events(db, account_id)
    ]


def test_a_movement_after_the_placeholder_keeps_it_as_the_base(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    arr_history.record_arr_event(
        db, account_id, on=LATE, kind="expansion", arr_after_minor=150_000_00, comment=" Seats "
    )
    assert history(db, account_id) == [
        (START, "new", 100_000_00, False),  # confirmed: it is the base of the expansion
        (LATE, "expansion", 150_000_00, False),
    ]
    assert records.list_arr_events(db, account_id)[-1].comment == "Seats"
    assert arr_of(db, account_id) == 150_000_00


def test_history_recorded_before_the_placeholder_replaces_it(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    arr_history.record_arr_event(
        db, account_id, on=date(2024, 1, 1), kind="new", arr_after_minor=80_000_00
    )
    assert history(db, account_id) == [(date(2024, 1, 1), "new", 80_000_00, False)]
    assert arr_of(db, account_id) == 80_000_00


def test_an_older_event_added_leaves_the_arr_of_the_latest(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    arr_history.record_arr_event(
        db, account_id, on=LATE, kind="expansion", arr_after_minor=150_000_00
    )
    arr_history.record_arr_event(
        db, account_id, on=MID, kind="contraction", arr_after_minor=90_000_00
    )
    assert arr_of(db, account_id) == 150_000_00


def test_edit_moves_the_arr_and_confirms_a_placeholder(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    (placeholder,) = records.list_arr_events(db, account_id)
    assert placeholder.implicit and placeholder.id is not None
    edited = arr_history.update_arr_event(
        db, placeholder.id, on=MID, kind="new", arr_after_minor=110_000_00, comment="Signed"
    )
    assert (edited.on, edited.arr_after_minor, edited.implicit, edited.comment) == (
        MID,
        110_000_00,
        False,
        "Signed",
    )
    assert arr_of(db, account_id) == 110_000_00


def test_editing_an_older_event_later_than_the_latest_takes_over(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    expansion = arr_history.record_arr_event(
        db, account_id, on=MID, kind="expansion", arr_after_minor=150_000_00
    )
    first = records.list_arr_events(db, account_id)[0]
    assert first.id is not None and expansion.id is not None
    # Moved to the expansion's day, the first event is still the one entered earlier: it loses.
    arr_history.update_arr_event(
        db, first.id, on=MID, kind="contraction", arr_after_minor=70_000_00, comment=""
    )
    assert arr_of(db, account_id) == 150_000_00
    arr_history.update_arr_event(
        db, first.id, on=LATE, kind="contraction", arr_after_minor=70_000_00, comment=""
    )
    assert arr_of(db, account_id) == 70_000_00


@pytest.mark.parametrize(
    ("kind", "arr", "message"),
    [("expansion", -1, "ARR cannot be negative."), ("churn", 5_00, "After a churn the ARR is 0.")],
)
def test_add_and_edit_refuse_what_add_arr_event_refuses(
    db, kind: str, arr: int, message: str
) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    event_id = records.list_arr_events(db, account_id)[0].id
    assert event_id is not None
    with pytest.raises(ValidationError) as add:
        arr_history.record_arr_event(db, account_id, on=LATE, kind=kind, arr_after_minor=arr)
    with pytest.raises(ValidationError) as edit:
        arr_history.update_arr_event(
            db, event_id, on=LATE, kind=kind, arr_after_minor=arr, comment=""
        )
    with pytest.raises(ValidationError) as old:
        records.add_arr_event(db, account_id, LATE, kind, arr)
    assert add.value.errors == edit.value.errors == old.value.errors == {"arr": message}
    assert history(db, account_id) == [(START, "new", 100_000_00, True)]
    assert arr_of(db, account_id) == 100_000_00


def test_unknown_records_are_not_found(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        arr_history.update_arr_event(db, 999, on=LATE, kind="new", arr_after_minor=1, comment="")
    with pytest.raises(NotFoundError):
        arr_history.delete_arr_event(db, 999)
    with pytest.raises(NotFoundError):
        arr_history.record_arr_event(db, 999, on=LATE, kind="new", arr_after_minor=1)


def test_delete_moves_the_arr_back_and_undo_restores_the_same_event(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    expansion = arr_history.record_arr_event(
        db, account_id, on=LATE, kind="expansion", arr_after_minor=150_000_00, comment="Seats"
    )
    assert expansion.id is not None
    records.link_external(db, "hubspot", "arr_event", expansion.id, "deal-42")
    snapshot = arr_history.delete_arr_event(db, expansion.id)
    assert arr_of(db, account_id) == 100_000_00
    assert records.find_external(db, "hubspot", "arr_event", "deal-42") is None
    restored = arr_history.restore_arr_event(db, snapshot)
    assert (restored.id, restored.uid, restored.on, restored.kind, restored.comment) == (
        expansion.id,
        expansion.uid,
        LATE,
        "expansion",
        "Seats",
    )
    assert restored.created_at == expansion.created_at
    assert arr_of(db, account_id) == 150_000_00
    assert records.find_external(db, "hubspot", "arr_event", "deal-42") == expansion.id
    # Undoing twice does not duplicate it.
    assert arr_history.restore_arr_event(db, snapshot).id == expansion.id
    assert len(records.list_arr_events(db, account_id)) == 2


def test_a_restored_event_keeps_its_place_on_a_shared_day(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    first = arr_history.record_arr_event(
        db, account_id, on=LATE, kind="expansion", arr_after_minor=150_000_00
    )
    second = arr_history.record_arr_event(
        db, account_id, on=LATE, kind="contraction", arr_after_minor=120_000_00
    )
    assert second.id is not None and first.id is not None
    snapshot = arr_history.delete_arr_event(db, second.id)
    assert arr_of(db, account_id) == 150_000_00
    arr_history.restore_arr_event(db, snapshot)
    assert arr_of(db, account_id) == 120_000_00  # entered after the expansion: it still wins


def test_deleting_the_last_event_keeps_the_arr(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    (only,) = records.list_arr_events(db, account_id)
    assert only.id is not None
    snapshot = arr_history.delete_arr_event(db, only.id)
    assert records.list_arr_events(db, account_id) == []
    assert arr_of(db, account_id) == 100_000_00
    restored = arr_history.restore_arr_event(db, snapshot)
    assert restored.implicit  # a placeholder comes back a placeholder


def test_deleting_a_renewal_outcome_unlinks_it_and_undo_links_it_again(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db, renewal_date=date(2026, 1, 1), lifecycle="renewing")
    renewal = renewals.ensure_renewal(db, account_id)
    assert renewal.id is not None
    outcome = renewals.record_outcome(db, renewal.id, "expansion", 130_000_00, date(2026, 1, 1))
    assert arr_history.renewal_links(db, account_id) == {outcome.arr_event_id: date(2026, 1, 1)}
    snapshot = arr_history.delete_arr_event(db, outcome.arr_event_id)
    assert snapshot.renewal_ids == (renewal.id,)
    assert arr_history.renewal_links(db, account_id) == {}
    assert renewals.list_renewals(db, account_id)[0].outcome == "expansion"  # kept
    assert arr_of(db, account_id) == 100_000_00
    arr_history.restore_arr_event(db, snapshot)
    assert arr_history.renewal_links(db, account_id) == {outcome.arr_event_id: date(2026, 1, 1)}
    assert arr_of(db, account_id) == 130_000_00


def test_restore_into_a_deleted_account_is_not_found(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    event_id = records.list_arr_events(db, account_id)[0].id
    assert event_id is not None
    snapshot = arr_history.delete_arr_event(db, event_id)
    accounts.set_archived(db, [account_id], True)
    accounts.delete_account(db, account_id)
    with pytest.raises(NotFoundError):
        arr_history.restore_arr_event(db, snapshot)


def test_a_restored_event_takes_a_new_id_when_its_own_was_reused(db) -> None:  # type: ignore[no-untyped-def]
    account_id = make_account(db)
    late = arr_history.record_arr_event(
        db, account_id, on=LATE, kind="expansion", arr_after_minor=150_000_00
    )
    assert late.id is not None
    snapshot = arr_history.delete_arr_event(db, late.id)
    # SQLite hands the freed highest id to the next insert.
    reused = arr_history.record_arr_event(
        db, account_id, on=MID, kind="expansion", arr_after_minor=120_000_00
    )
    assert reused.id == late.id
    restored = arr_history.restore_arr_event(db, snapshot)
    assert restored.id != late.id and restored.uid == late.uid
    assert arr_of(db, account_id) == 150_000_00
    with db.session() as s:
        assert s.get(ArrEvent, reused.id) is not None
