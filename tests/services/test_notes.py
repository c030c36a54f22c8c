"""Notes as they are saved: exact text, revisions, action items both ways, calls, templates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.models import ActionItem, Touchpoint
from csmdesk.services import accounts, contacts, notes, records
from csmdesk.services.accounts import NotFoundError

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def acme(db) -> int:  # type: ignore[no-untyped-def]
    account = accounts.create_account(db, AccountDraft(name="Acme"))
    assert account.id is not None
    return account.id


def test_odd_text_is_stored_and_returned_exactly(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    body = (
        "# Réunion 🚀\r\n\u202eRTL \u05e9\u05dc\u05d5\u05dd\u202c\n\x00 zero\n"
        "<script>alert(1)</script> <img src=http://x/y.png>\n" + "x" * 1_000_000
    )
    note = notes.create_note(db, acme, "")
    assert note.id is not None
    notes.save_note(db, note.id, body, now=T0)
    assert notes.get_note(db, note.id).body == body
    assert notes.get_note(db, note.id).title == "Réunion 🚀"


def test_saving_the_same_text_writes_nothing(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    note = notes.create_note(db, acme, "hello")
    assert note.id is not None
    before = notes.get_note(db, note.id).updated_at
    notes.save_note(db, note.id, "hello", now=T0 + timedelta(hours=1))
    assert notes.get_note(db, note.id).updated_at == before
    assert notes.revisions(db, note.id) == []


def test_revisions_every_five_minutes_and_restore(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    note = notes.create_note(db, acme, "v1")
    assert note.id is not None
    notes.save_note(db, note.id, "v2", now=T0)  # keeps v1
    notes.save_note(db, note.id, "v3", now=T0 + timedelta(minutes=1))  # too soon: no revision
    notes.save_note(db, note.id, "v4", now=T0 + timedelta(minutes=6))  # keeps v3
    kept = notes.revisions(db, note.id)
    assert [r.body for r in kept] == ["v3", "v1"]
    restored = notes.restore_revision(db, note.id, kept[1].id or 0, now=T0 + timedelta(minutes=7))
    assert restored.body == "v1"
    assert next(r.body for r in notes.revisions(db, note.id)) == "v4"  # the replaced text kept
    with pytest.raises(NotFoundError):
        notes.restore_revision(db, note.id, 99_999)


def test_only_the_last_revisions_are_kept(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    note = notes.create_note(db, acme, "start")
    assert note.id is not None
    for n in range(40):
        notes.save_note(db, note.id, f"v{n}", now=T0 + timedelta(minutes=6 * n))
    kept = notes.revisions(db, note.id)
    assert len(kept) == 30 and kept[0].body == "v38" and kept[-1].body == "v9"


def test_checkbox_lines_follow_the_note_and_ticks_follow_back(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    note = notes.create_note(db, acme, "# Call\n- [ ] Send SSO docs @Priya due:2026-12-05\n")
    assert note.id is not None
    (item,) = notes.note_items(db, note.id)
    assert (item.text, item.owner, item.due_date, item.done_on, item.account_id) == (
        "Send SSO docs", "Priya", date(2026, 12, 5), None, acme,
    )  # fmt: skip
    # Edit the line's words: the same item, updated; add a second line.
    notes.save_note(db, note.id, "# Call\n- [ ] Send the SSO guide @Priya\n- [x] Share recording\n")
    first, second = notes.note_items(db, note.id)
    assert first.id == item.id and first.text == "Send the SSO guide" and first.due_date is None
    assert second.text == "Share recording" and second.done_on is not None
    # Tick it from a list: the note's line is ticked too.
    notes.set_item_done(db, first.id or 0, True, on=date(2026, 12, 6))
    assert "- [x] Send the SSO guide @Priya" in notes.get_note(db, note.id).body
    with db.session() as s:
        row = s.get(ActionItem, first.id)
        assert row is not None and row.done_on == date(2026, 12, 6)
    # Delete the line: its item goes.
    notes.save_note(db, note.id, "# Call\n- [x] Share recording\n")
    assert [i.text for i in notes.note_items(db, note.id)] == ["Share recording"]


def test_ending_a_call_logs_a_touchpoint(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    priya = contacts.add_contact(db, acme, ContactDraft(name="Priya"))
    note = notes.create_note(db, acme, "# Call with Acme\nAttendees: Priya\n- rollout", kind="call")
    assert note.id is not None and priya.id is not None
    touchpoint_id = notes.end_call(
        db, note.id, started_at=T0, ended_at=T0 + timedelta(minutes=32), attendee_ids=[priya.id]
    )
    with db.session() as s:
        touch = s.get(Touchpoint, touchpoint_id)
        assert touch is not None
        assert (touch.kind, touch.duration_minutes, touch.summary) == ("call", 32, "Call with Acme")
    assert notes.get_note(db, note.id).touchpoint_id == touchpoint_id
    last = records.last_touchpoint(db, acme)
    assert last is not None and last.id == touchpoint_id


def test_lists_are_newest_first_and_filter_by_kind(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    a = notes.create_note(db, acme, "# first", kind="call")
    b = notes.create_note(db, acme, "# second", kind="qbr")
    rows = notes.list_notes(db, acme)
    assert [r.id for r in rows] == [b.id, a.id] and rows[0].account_name == "Acme"
    assert [r.title for r in notes.list_notes(db, kinds=["call"])] == ["first"]
    notes.archive_note(db, a.id or 0)
    assert [r.id for r in notes.list_notes(db)] == [b.id]


def test_templates_ship_and_the_csms_own_are_added(db) -> None:  # type: ignore[no-untyped-def]
    names = {t.name: t for t in notes.load_templates()}
    for wanted in ("Discovery call", "Check in", "Onboarding call", "Quarterly business review",
                   "Executive business review", "Renewal call"):  # fmt: skip
        assert wanted in names, names.keys()
    assert names["Discovery call"].kind == "discovery" and not names["Discovery call"].own
    notes.save_own_template("My intro", "call", "# Intro {account}\n")
    mine = next(t for t in notes.load_templates() if t.name == "My intro")
    assert mine.own and mine.kind == "call"
    filled = notes.fill_template(mine.body, account="Acme", when=T0, attendees=["Priya"])
    assert filled == "# Intro Acme\n"


def test_action_items_across_the_book(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    note = notes.create_note(
        db, acme, "- [ ] later due:2026-12-20\n- [ ] soon due:2026-12-07\n- [x] done"
    )
    loose = records.add_action_item(db, acme, "no note", due_date=None)
    rows = notes.list_items(db)
    assert [r.text for r in rows] == ["soon", "later", "no note"]
    assert rows[0].note_id == note.id and rows[0].account_name == "Acme"
    assert [r.text for r in notes.list_items(db, open_only=False)][-1] == "done"
    notes.set_item_done(db, loose.id or 0, True, on=date(2026, 12, 6))  # no note: just the item
    assert [r.text for r in notes.list_items(db)] == ["soon", "later"]
