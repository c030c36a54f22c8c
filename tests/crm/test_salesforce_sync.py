"""Sync with Salesforce against the loopback fake org: pull, push, deletions, exactly once."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from csmdesk.__main__ import main
from csmdesk.crm.salesforce import SalesforceClient
from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.services import accounts, contacts, notes
from csmdesk.services.sync.salesforce_sync import SalesforceSync, domain_of
from csmdesk.store import Database
from tests.crm.salesforce_fake import SalesforceFake


def _sync(db: Database, fake: SalesforceFake, **options: object):  # type: ignore[no-untyped-def]
    with SalesforceClient(fake.token, fake.base_url) as client:
        return SalesforceSync(db, client, **options).run()  # type: ignore[arg-type]


def _scalar(db: Database, sql: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def test_first_sync_then_edits_both_ways(db: Database, make_salesforce_fake) -> None:  # type: ignore[no-untyped-def]
    fake: SalesforceFake = make_salesforce_fake(query_batch_size=200)
    orgs = fake.add_accounts(250, unicode=True, ARR__c=lambda i: i * 1000)
    fake.add_contacts(600, accounts=orgs)
    first = _sync(db, fake)
    assert first.status == "ok", first.lines
    assert _scalar(db, "SELECT COUNT(*) FROM account") == 250
    assert _scalar(db, "SELECT COUNT(*) FROM contact") == 600
    assert _scalar(db, "SELECT COUNT(*) FROM account WHERE domain = 'account7.example.com'") == 1
    assert (
        _scalar(db, "SELECT arr_minor FROM account WHERE domain = 'account7.example.com'") == 700000
    )
    assert _scalar(db, "SELECT COUNT(*) FROM arrevent WHERE kind = 'new'") == 250
    # Nothing new: nothing applied twice, whatever Salesforce's one-second stamps repeat.
    assert _scalar(db, "SELECT COUNT(*) FROM account") == 250
    again = _sync(db, fake)
    assert again.status == "ok" and again.pushed == 0 and again.pulled == 0
    assert _scalar(db, "SELECT COUNT(*) FROM account") == 250
    # Salesforce side: a rename and a deletion.
    fake.advance(2)
    fake.touch(orgs[0], Industry="Aerospace")
    fake.delete(orgs[1])
    # Our side: a rename, a new contact, a call note.
    account_id = _scalar(db, "SELECT id FROM account WHERE domain = 'account3.example.com'")
    accounts.update_account(
        db, account_id, AccountDraft(name="Renamed here", domain="account3.example.com")
    )
    contacts.add_contact(db, account_id, ContactDraft(name="Zoë Ångström", email="zoe@x.example"))
    note = notes.create_note(db, account_id, kind="call")
    notes.save_note(db, note.id, "Call with Zoë: budget approved")
    result = _sync(db, fake)
    assert result.status == "ok", result.lines
    assert _scalar(db, "SELECT COUNT(*) FROM account WHERE industry = 'Aerospace'") == 1
    assert _scalar(db, "SELECT COUNT(*) FROM account WHERE archived_at IS NOT NULL") == 1
    remote = {r["Id"]: r for r in fake.records("Account")}
    assert any(r["Name"] == "Renamed here" for r in remote.values())
    people = [c for c in fake.records("Contact") if c.get("Email") == "zoe@x.example"]
    assert len(people) == 1 and people[0]["FirstName"] == "Zoë"
    tasks = fake.records("Task")
    assert len(tasks) == 1 and "budget approved" in tasks[0]["Description"]
    assert _scalar(db, "SELECT COUNT(*) FROM syncoutbox") == 0
    _sync(db, fake)
    assert len(fake.records("Task")) == 1
    assert len([c for c in fake.records("Contact") if c.get("Email") == "zoe@x.example"]) == 1


def test_a_task_create_that_landed_is_not_made_twice(db: Database, salesforce_fake) -> None:  # type: ignore[no-untyped-def]
    org = salesforce_fake.add_account("Delta SA", Website="https://delta.example")
    _sync(db, salesforce_fake)
    account_id = _scalar(db, "SELECT id FROM account")
    note = notes.create_note(db, account_id, kind="call")
    notes.save_note(db, note.id, "Renewal call")
    salesforce_fake.drop_after_apply(1, method="POST", path=r"/sobjects/Task$")
    broken = _sync(db, salesforce_fake)
    assert broken.status == "failed"
    assert len(salesforce_fake.records("Task")) == 1  # it landed; we never heard back
    healed = _sync(db, salesforce_fake)
    assert healed.status == "ok", healed.lines
    assert len(salesforce_fake.records("Task")) == 1
    assert salesforce_fake.records("Task")[0]["WhatId"] == org["Id"]
    assert _scalar(db, "SELECT COUNT(*) FROM syncoutbox") == 0


def test_cli_sync_salesforce(db_path: Path, salesforce_fake, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    salesforce_fake.add_accounts(3)
    monkeypatch.setenv("CSMDESK_SALESFORCE_URL", salesforce_fake.base_url)
    monkeypatch.setenv("CSMDESK_SALESFORCE_TOKEN", salesforce_fake.token)
    assert main(["--db", str(db_path), "sync", "salesforce", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pulled"] == 3 and out["status"] == "ok"
    monkeypatch.setenv("CSMDESK_SALESFORCE_TOKEN", "00Dwrong!token")
    assert main(["--db", str(db_path), "sync", "salesforce"]) == 1
    err = capsys.readouterr().err
    assert "reconnect" in err.lower() and "00Dwrong" not in err
    assert salesforce_fake.token.encode() not in db_path.read_bytes()


def test_website_to_domain() -> None:
    assert domain_of("https://www.Acme.com/about?x=1") == "acme.com"
    assert domain_of("acme.io") == "acme.io"
    assert domain_of("") is None
