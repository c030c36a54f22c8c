"""Save a small database of the current schema to tests/fixtures/schemas/<revision>.sqlite3.

Run once per released schema, *before* adding the next migration, and commit
the file: the migration tests open and upgrade every fixture ever saved.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.services import accounts, contacts, health, records
from csmdesk.store import open_database
from csmdesk.store.migrate import HEAD

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    target = ROOT / "tests" / "fixtures" / "schemas" / f"{HEAD}.sqlite3"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    db = open_database(target)
    acme = accounts.create_account(
        db,
        AccountDraft(
            name="Acme Robotics",
            domain="acmerobotics.com",
            segment="enterprise",
            arr_minor=24_000_00,
            contract_start=date(2025, 1, 15),
            renewal_date=date(2026, 1, 15),
            lifecycle="mature",
            licensed_seats=120,
            owner="Alex Morgan",
            tags=("sso",),
        ),
    )
    assert acme.id is not None
    priya = contacts.add_contact(
        db,
        acme.id,
        ContactDraft(
            name="Priya Nair", email="priya@acmerobotics.com", roles=("champion",), is_primary=True
        ),
    )
    tp = records.log_touchpoint(
        db,
        acme.id,
        "call",
        datetime(2025, 6, 1, 15, tzinfo=UTC),
        summary="Check-in",
        duration_minutes=30,
        attendee_ids=[priya.id or 0],
    )
    note = records.add_note(
        db,
        acme.id,
        "# Check-in\n- [ ] Send SSO docs @Priya due:2025-06-10",
        kind="check_in",
        title="Check-in",
        touchpoint_id=tp.id,
    )
    records.add_action_item(
        db, acme.id, "Send SSO docs", owner="Priya", due_date=date(2025, 6, 10), note_id=note.id
    )
    records.add_milestone(
        db, acme.id, "Kickoff", due_date=date(2025, 1, 22), completed_on=date(2025, 1, 21)
    )
    records.record_health(
        db,
        acme.id,
        date(2025, 6, 2),
        active_users=80,
        logins=900,
        feature_adoption_pct=61.5,
        open_tickets=3,
        escalations=0,
        nps=9,
        csat=4.5,
    )
    records.open_risk(db, acme.id, "usage_decline", "Usage dipped", opened_on=date(2025, 6, 3))
    records.add_opportunity(db, acme.id, "SSO add-on", amount_minor=5_000_00)
    records.add_arr_event(db, acme.id, date(2025, 7, 1), "expansion", 30_000_00)
    records.link_external(db, "hubspot", "account", acme.id, "9000001")
    # Since 0002_health: a manual override and a stored score.
    health.set_override(
        db, acme.id, "watch", "Sponsor on leave", date(2025, 7, 1), today=date(2025, 6, 3)
    )
    health.recompute(db, date(2025, 6, 3))
    db.close()
    with sqlite3.connect(target) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("VACUUM")
    print(target.relative_to(ROOT), target.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
