"""Sync with HubSpot against the loopback fake: pull, incremental, push, conflicts, exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from csmdesk.__main__ import main
from csmdesk.crm.hubspot import HubSpotClient
from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.services import accounts, contacts, notes
from csmdesk.services.sync import state
from csmdesk.services.sync.hubspot_sync import HubSpotSync, markdown_html
from csmdesk.store import Database
from tests.crm.hubspot_fake import HubSpotFake


def _client(fake: HubSpotFake) -> HubSpotClient:
    return HubSpotClient(fake.token, fake.base_url)


def _sync(db: Database, fake: HubSpotFake, **options: object) -> object:
    with _client(fake) as client:
        return HubSpotSync(db, client, **options).run()  # type: ignore[arg-type]


def _scalar(db: Database, sql: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


@pytest.fixture
def book(hubspot_fake: HubSpotFake) -> Iterator[HubSpotFake]:
    companies = hubspot_fake.add_companies(250, arr=lambda i: i * 1000)
    hubspot_fake.add_contacts(600, companies=companies)
    yield hubspot_fake


def test_first_sync_pulls_every_company_and_contact(db: Database, book: HubSpotFake) -> None:
    result = _sync(db, book)
    assert result.status == "ok", result.message  # type: ignore[attr-defined]
    assert _scalar(db, "SELECT COUNT(*) FROM account") == 250
    assert _scalar(db, "SELECT COUNT(*) FROM contact") == 600
    assert _scalar(db, "SELECT COUNT(*) FROM externalref WHERE provider='hubspot'") == 850
    # The proposed mapping found the custom ARR property ("Annual recurring revenue").
    acme = _scalar(db, "SELECT arr_minor FROM account WHERE name = 'Company 0007'")
    assert acme == 7000_00
    # ...and recorded it as ARR history, which the book's numbers read.
    assert _scalar(db, "SELECT COUNT(*) FROM arrevent WHERE kind = 'new'") == 250
    # Pages of 100: 3 for companies, 6 for contacts, their associations, owners, properties.
    assert result.requests < 30, result.requests  # type: ignore[attr-defined]
    book.clock.advance(60)  # a minute later: past the look-back of an incremental search
    again = _sync(db, book)
    assert again.pulled == 0 and again.requests <= 6  # type: ignore[attr-defined]


def test_incremental_sync_picks_up_only_changes(db: Database, book: HubSpotFake) -> None:
    _sync(db, book)
    book.clock.advance(60)
    some = book.objects("companies")[:3]
    book.touch("companies", *some, industry="Aerospace")
    book.touch("companies", some[0], arr=99000)
    result = _sync(db, book)
    assert result.pulled == 3  # type: ignore[attr-defined]
    assert _scalar(db, "SELECT COUNT(*) FROM account WHERE industry = 'Aerospace'") == 3
    assert _scalar(db, "SELECT COUNT(*) FROM arrevent WHERE kind = 'expansion'") == 1


def test_offline_edits_reach_hubspot_once(db: Database, hubspot_fake: HubSpotFake) -> None:
    company = hubspot_fake.add_company("Acme Robotics", domain="acme.example")
    _sync(db, hubspot_fake)
    account_id = _scalar(db, "SELECT id FROM account WHERE domain = 'acme.example'")
    # On the plane: rename, a new contact, a call note.
    accounts.update_account(
        db, account_id, AccountDraft(name="Acme Robotics GmbH", domain="acme.example")
    )
    contacts.add_contact(
        db, account_id, ContactDraft(name="Zoë Ångström", email="zoe@acme.example")
    )
    note = notes.create_note(db, account_id, kind="call")
    notes.save_note(db, note.id, "# Call with Zoë\n- **Budget** approved\n- [ ] send plan")
    assert _scalar(db, "SELECT COUNT(*) FROM syncoutbox") == 3
    result = _sync(db, hubspot_fake)
    assert result.status == "ok", result.lines  # type: ignore[attr-defined]
    assert (
        hubspot_fake.get("companies", company["id"])["properties"]["name"] == "Acme Robotics GmbH"
    )
    people = [
        c
        for c in hubspot_fake.objects("contacts")
        if c["properties"]["email"] == "zoe@acme.example"
    ]
    assert len(people) == 1 and people[0]["properties"]["firstname"] == "Zoë"
    (crm_note,) = hubspot_fake.objects("notes")
    assert "<strong>Budget</strong>" in crm_note["properties"]["hs_note_body"]
    assert hubspot_fake.associations("notes", crm_note["id"], "companies")
    assert _scalar(db, "SELECT COUNT(*) FROM syncoutbox") == 0
    # A second sync sends nothing again.
    _sync(db, hubspot_fake)
    assert len(hubspot_fake.objects("notes")) == 1
    assert len(hubspot_fake.objects("contacts")) == 1


def test_a_field_changed_on_both_sides_is_a_conflict(
    db: Database, hubspot_fake: HubSpotFake
) -> None:
    company = hubspot_fake.add_company("Beta Ltd", domain="beta.example", industry="Retail")
    _sync(db, hubspot_fake)
    account_id = _scalar(db, "SELECT id FROM account WHERE domain = 'beta.example'")
    accounts.update_account(
        db, account_id, AccountDraft(name="Beta Ltd", domain="beta.example", industry="Fintech")
    )
    hubspot_fake.clock.advance(2)
    hubspot_fake.touch("companies", company, industry="Banking")
    result = _sync(db, hubspot_fake)
    assert result.status == "conflicts" and result.conflicts == 1  # type: ignore[attr-defined]
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT field, local_value, remote_value FROM syncconflict")).one()
    assert tuple(row) == ("account.industry", "Fintech", "Banking")
    # Neither value lost: ours stays here, theirs stays in HubSpot.
    assert accounts.get_account(db, account_id).industry == "Fintech"
    assert hubspot_fake.get("companies", company["id"])["properties"]["industry"] == "Banking"


def test_crm_wins_policy_settles_it(db: Database, hubspot_fake: HubSpotFake) -> None:
    company = hubspot_fake.add_company("Gamma", domain="gamma.example", industry="Retail")
    _sync(db, hubspot_fake)
    with db.session() as s:
        raw = json.loads(state.get(s, "hubspot", "mapping") or "{}")
        raw["account.industry"]["policy"] = "crm"
        state.put(s, "hubspot", "mapping", json.dumps(raw))
    account_id = _scalar(db, "SELECT id FROM account WHERE domain = 'gamma.example'")
    accounts.update_account(
        db, account_id, AccountDraft(name="Gamma", domain="gamma.example", industry="Mine")
    )
    hubspot_fake.clock.advance(2)
    hubspot_fake.touch("companies", company, industry="Theirs")
    result = _sync(db, hubspot_fake)
    assert result.conflicts == 0  # type: ignore[attr-defined]
    assert accounts.get_account(db, account_id).industry == "Theirs"


def test_cli_sync_and_status(db_path: Path, hubspot_fake: HubSpotFake, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    hubspot_fake.add_companies(5)
    monkeypatch.setenv("CSMDESK_HUBSPOT_URL", hubspot_fake.base_url)
    monkeypatch.setenv("CSMDESK_HUBSPOT_TOKEN", hubspot_fake.token)
    assert main(["--db", str(db_path), "sync", "hubspot", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pulled"] == 5 and out["status"] == "ok"
    assert main(["--db", str(db_path), "sync", "status", "--json"]) == 0
    (hub, _sf) = json.loads(capsys.readouterr().out)
    assert hub["connected"] and hub["pending"] == 0 and hub["last_run"]["pulled"] == 5
    # A bad --map is a user error with a message.
    assert main(["--db", str(db_path), "sync", "hubspot", "--map", "arr=no_such_property"]) == 1
    assert "no_such_property" in capsys.readouterr().err
    # A wrong token: exit 1, and the token appears nowhere.
    monkeypatch.setenv("CSMDESK_HUBSPOT_TOKEN", "pat-na1-wrong-secret-0000")
    assert main(["--db", str(db_path), "sync", "hubspot"]) == 1
    err = capsys.readouterr().err
    assert "reconnect" in err.lower() and "wrong-secret" not in err
    assert b"wrong-secret" not in db_path.read_bytes()
    assert hubspot_fake.token.encode() not in db_path.read_bytes()


def test_killed_between_create_and_commit_creates_exactly_one_note(
    db_path: Path, hubspot_fake: HubSpotFake, tmp_path: Path
) -> None:
    from csmdesk.store import open_database

    hubspot_fake.add_company("Delta", domain="delta.example")
    db = open_database(db_path)
    _sync(db, hubspot_fake)
    account_id = _scalar(db, "SELECT id FROM account WHERE domain = 'delta.example'")
    note = notes.create_note(db, account_id, kind="call")
    notes.save_note(db, note.id, "Renewal call: all good")
    db.close()
    # The note's create reaches HubSpot, which applies it and then holds the answer while
    # the syncing process is killed.
    hubspot_fake.delay_next(30, method="POST", path=r"/crm/v3/objects/notes$", after_apply=True)
    env = {**os.environ, "CSMDESK_HUBSPOT_URL": hubspot_fake.base_url,
           "CSMDESK_HUBSPOT_TOKEN": hubspot_fake.token}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "csmdesk", "--db", str(db_path), "sync", "hubspot"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not hubspot_fake.objects("notes") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hubspot_fake.objects("notes"), "the create never reached the fake"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    hubspot_fake.clear_faults()
    db = open_database(db_path)
    result = _sync(db, hubspot_fake)
    assert result.status == "ok", result.lines  # type: ignore[attr-defined]
    assert len(hubspot_fake.objects("notes")) == 1
    assert _scalar(db, "SELECT COUNT(*) FROM syncoutbox") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM externalref WHERE entity = 'note'") == 1
    db.close()


def test_markdown_becomes_simple_html() -> None:
    assert markdown_html("# Title\n- a **b**\n- [x] done\ntext <b>") == (
        "<h3>Title</h3><ul><li>a <strong>b</strong></li><li>\u2611 done</li></ul>"
        "<p>text &lt;b&gt;</p>"
    )


def test_unlinked_books_queue_nothing(db: Database) -> None:
    account = accounts.create_account(db, AccountDraft(name="Local only"), today=date(2026, 1, 1))
    state.set_connected(db, "hubspot", True)
    assert account.id is not None
    accounts.update_account(db, account.id, AccountDraft(name="Local only, renamed"))
    assert _scalar(db, "SELECT COUNT(*) FROM syncoutbox") == 0


def test_a_company_archived_in_hubspot_is_archived_here(
    db: Database, hubspot_fake: HubSpotFake
) -> None:
    gone = hubspot_fake.add_company("Gone Inc", domain="gone.example")
    hubspot_fake.add_company("Stays Inc", domain="stays.example")
    _sync(db, hubspot_fake)
    hubspot_fake.archive("companies", gone)
    result = _sync(db, hubspot_fake, full=True)
    assert result.status == "ok"  # type: ignore[attr-defined]
    with db.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT name, archived_at IS NOT NULL FROM account")).all())
    assert rows == {"Gone Inc": 1, "Stays Inc": 0}  # archived, not deleted: recoverable


def _quick_client(fake: HubSpotFake) -> HubSpotClient:
    """Backoff waits cut to 10 ms: the fault tests are about outcomes, not patience."""
    return HubSpotClient(fake.token, fake.base_url, sleep=lambda s: time.sleep(min(s, 0.01)))


FAULTS = {
    "429 storm": lambda f: f.rate_limit_next(4, path=r"/search$"),
    "5xx": lambda f: f.fail_next(3, 503, path=r"/search$"),
    "5xx beyond the retries": lambda f: f.fail_next(40, 502),
    "dropped connections": lambda f: f.drop_next(3, path=r"/batch/read$"),
    "malformed JSON": lambda f: f.malformed_next(30, path=r"/search$"),
    "token expires mid-run": lambda f: f.expire_token_at(f.request_count + 4),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_faults_resume_with_nothing_lost_or_doubled(
    db: Database, make_hubspot_fake, fault: str
) -> None:  # type: ignore[no-untyped-def]
    fake: HubSpotFake = make_hubspot_fake(burst_limit=100_000, search_per_second=1000)
    companies = fake.add_companies(60, unicode=True)
    first = fake.add_contacts(150, companies=companies, unicode=True)
    with _quick_client(fake) as client:
        assert HubSpotSync(db, client).run().status == "ok"
    # Changes on both sides, then the fault in the middle of the next sync.
    fake.clock.advance(60)
    fake.touch("contacts", *first[:120], jobtitle="VP Customer Success")
    account_id = _scalar(db, "SELECT MIN(id) FROM account")
    note = notes.create_note(db, account_id, kind="call")
    notes.save_note(db, note.id, "Planning the rollout")
    FAULTS[fault](fake)
    with _quick_client(fake) as client:
        broken = HubSpotSync(db, client).run()
    if fault == "token expires mid-run":
        assert broken.status == "failed" and "reconnect" in broken.message.lower()
        assert fake.token not in broken.message
        fake.rotate_token()
    fake.clear_faults()
    with HubSpotClient(fake.token, fake.base_url) as client:
        healed = HubSpotSync(db, client).run()
    assert healed.status == "ok", (fault, healed.lines)
    assert _scalar(db, "SELECT COUNT(*) FROM account") == 60
    assert _scalar(db, "SELECT COUNT(*) FROM contact") == 150
    assert _scalar(db, "SELECT COUNT(*) FROM contact WHERE title = 'VP Customer Success'") == 120
    assert len(fake.objects("notes")) == 1
    assert _scalar(db, "SELECT COUNT(*) FROM syncoutbox") == 0


def test_the_token_is_nowhere_on_disk(
    db_path: Path, hubspot_fake: HubSpotFake, tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    """After syncing (DEBUG logging, a failure with a wrong token too) and exporting the book in
    every format, the token is in no file CSM Desk wrote: database, log, exports."""
    import logging

    from csmdesk import logs
    from csmdesk.logs import log_file

    before = list(logging.getLogger().handlers)
    monkeypatch.setattr(logs, "_configured", False)  # log to this test's data directory
    company = hubspot_fake.add_company("Secret Keepers", domain="keepers.example")
    hubspot_fake.add_contacts(3, companies=[company])
    monkeypatch.setenv("CSMDESK_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("CSMDESK_HUBSPOT_URL", hubspot_fake.base_url)
    monkeypatch.setenv("CSMDESK_HUBSPOT_TOKEN", hubspot_fake.token)
    assert main(["--db", str(db_path), "sync", "hubspot"]) == 0
    monkeypatch.setenv("CSMDESK_HUBSPOT_TOKEN", hubspot_fake.token + "-expired")
    assert main(["--db", str(db_path), "sync", "hubspot"]) == 1
    outputs = []
    for fmt, name in (("json", "book.json"), ("csv", "csv"), ("xlsx", "book.xlsx"),
                      ("markdown", "md")):  # fmt: skip
        target = tmp_path / "out" / name
        assert main(["--db", str(db_path), "export", "--format", fmt, "--out", str(target)]) == 0
        outputs.append(target)
    capsys.readouterr()
    for handler in [h for h in logging.getLogger().handlers if h not in before]:
        handler.close()
        logging.getLogger().removeHandler(handler)
    files = [db_path, *db_path.parent.glob(db_path.name + "*"), log_file()]
    for out in outputs:
        files += [out] if out.is_file() else [p for p in out.rglob("*") if p.is_file()]
    assert log_file().is_file() and b"hubspot" in log_file().read_bytes().lower()
    secret = hubspot_fake.token.encode()
    for path in files:
        assert secret not in path.read_bytes(), path


def test_hubspot_notes_join_the_timeline_read_only(db: Database, hubspot_fake: HubSpotFake) -> None:
    company = hubspot_fake.add_company("Kappa AG", domain="kappa.example")
    first = hubspot_fake.add_note("<p>Kick-off with <strong>Lena</strong></p><ul><li>SSO</li></ul>",
                                  company=company)  # fmt: skip
    hubspot_fake.add_note("<p>Pricing call</p>", company=company)
    hubspot_fake.add_note(
        "<p>Someone else's company</p>", company=hubspot_fake.add_company("Other")
    )
    _sync(db, hubspot_fake)
    account_id = _scalar(db, "SELECT id FROM account WHERE domain = 'kappa.example'")
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, body FROM note WHERE account_id = :a ORDER BY body"),
            {"a": account_id},
        ).all()
    assert [tuple(r) for r in rows] == [
        ("crm", "Kick-off with Lena\n- SSO"),
        ("crm", "Pricing call"),
    ]
    # Read-only: saving over it changes nothing.
    note_id = _scalar(db, "SELECT id FROM note WHERE body LIKE 'Pricing%'")
    notes.save_note(db, note_id, "typed over it")
    assert notes.get_note(db, note_id).body == "Pricing call"
    # Ours goes out once and does not come back as a second note; theirs follows HubSpot.
    mine = notes.create_note(db, account_id, kind="call")
    notes.save_note(db, mine.id, "Our own call notes")
    hubspot_fake.clock.advance(60)
    hubspot_fake.touch("notes", first, hs_note_body="<p>Kick-off with Lena (moved to May)</p>")
    _sync(db, hubspot_fake)
    _sync(db, hubspot_fake)
    assert _scalar(db, f"SELECT COUNT(*) FROM note WHERE account_id = {account_id}") == 3
    assert _scalar(db, "SELECT COUNT(*) FROM note WHERE body LIKE '%moved to May%'") == 1
    assert (
        len(
            [
                n
                for n in hubspot_fake.objects("notes")
                if "Our own" in n["properties"]["hs_note_body"]
            ]
        )
        == 1
    )


def test_dry_run_writes_nothing_but_its_log(
    db_path: Path, hubspot_fake: HubSpotFake, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.store import open_database

    company = hubspot_fake.add_company("Dry Goods", domain="dry.example")
    monkeypatch.setenv("CSMDESK_HUBSPOT_URL", hubspot_fake.base_url)
    monkeypatch.setenv("CSMDESK_HUBSPOT_TOKEN", hubspot_fake.token)
    assert main(["--db", str(db_path), "sync", "hubspot", "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pulled"] == 1 and out["status"] == "ok"
    db = open_database(db_path)
    assert _scalar(db, "SELECT COUNT(*) FROM account") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM syncstate") == 0  # no watermark, no mapping
    assert _scalar(db, "SELECT dry_run FROM syncrun") == 1
    db.close()
    # A real sync, a local edit, then a dry run: the edit stays queued, HubSpot unchanged.
    assert main(["--db", str(db_path), "sync", "hubspot"]) == 0
    db = open_database(db_path)
    account_id = _scalar(db, "SELECT id FROM account")
    accounts.update_account(
        db, account_id, AccountDraft(name="Dry Goods Ltd", domain="dry.example")
    )
    db.close()
    capsys.readouterr()
    assert main(["--db", str(db_path), "sync", "hubspot", "--dry-run"]) == 0
    assert hubspot_fake.get("companies", company["id"])["properties"]["name"] == "Dry Goods"
    db = open_database(db_path)
    assert _scalar(db, "SELECT COUNT(*) FROM syncoutbox") == 1
    db.close()
