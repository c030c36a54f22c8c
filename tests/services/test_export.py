"""Exports of the book: JSON, CSV, XLSX and Markdown, on the demo book and on tricky values."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.domain.cells import escape_cell, unescape_cell
from csmdesk.models import (
    Account,
    Contact,
    HealthReading,
    Note,
    Renewal,
    RiskEvent,
    Touchpoint,
    TouchpointAttendee,
)
from csmdesk.services import accounts, contacts, records
from csmdesk.services.export import (
    ExportCancelledError,
    ExportError,
    ExportFormat,
    ExportTargetExistsError,
    export_book,
)
from csmdesk.store import Database

ACCOUNT_COLUMNS = [
    "id", "name", "domain", "segment", "industry", "arr", "currency", "contract_start",
    "renewal_date", "lifecycle", "licensed_seats", "owner", "tags", "payment_issue",
    "cadence_days", "review_kind", "archived",
    "hubspot_id", "salesforce_id", "created_at", "updated_at",
]  # fmt: skip
CONTACT_COLUMNS = [
    "id", "account_id", "account_name", "account_domain", "name", "email", "title", "phone",
    "roles", "primary", "left_on", "created_at", "updated_at",
]  # fmt: skip
RENEWAL_COLUMNS = [
    "id", "account_id", "account_name", "renewal_date", "status", "outcome", "closed_on",
    "checklist", "comment", "arr_event_id", "created_at", "updated_at",
]  # fmt: skip
RISK_EVENT_COLUMNS = [
    "risk_id", "account_id", "account_name", "risk_kind", "risk_title", "at", "status",
    "severity", "note",
]  # fmt: skip
NOTE_BODY = '=HYPERLINK("http://evil.example")\n\n"quoted", comma\r\nwindows line\n\tindented\n'


def add_tricky_records(db: Database) -> dict[str, Any]:
    """A small book with everything that tends to break exports: formulas, quotes, line
    breaks, a zero-decimal currency, CRM links, archived records, inexact floats."""
    acme = accounts.create_account(
        db,
        AccountDraft(
            name="=SUM(A1)",
            domain="sum.example",
            arr_minor=12_000_000,
            tags=("+vip", "@team"),
            owner="-owner",
            payment_issue=True,
            contract_start=date(2026, 1, 15),
            renewal_date=date(2027, 1, 15),
        ),
    )
    tokyo = accounts.create_account(
        db, AccountDraft(name="Kabushiki 東京 / Ltd: A?", arr_minor=120_000, currency="JPY")
    )
    assert acme.id is not None and tokyo.id is not None
    person = contacts.add_contact(
        db,
        acme.id,
        ContactDraft(
            name="@cmd Person",
            email="p@sum.example",
            phone="+1 555 0100",
            roles=("champion", "admin"),
            is_primary=True,
        ),
    )
    assert person.id is not None
    records.link_external(db, "hubspot", "account", acme.id, "hs-1")
    records.link_external(db, "salesforce", "account", acme.id, "001ABC")
    records.link_external(db, "hubspot", "contact", person.id, "hs-c-9")
    call = records.log_touchpoint(
        db,
        acme.id,
        "call",
        datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
        summary="-x",
        attendee_ids=[person.id],
    )
    note = records.add_note(
        db, acme.id, NOTE_BODY, kind="call", title="-x: a/b\\c?", touchpoint_id=call.id
    )
    records.add_note(db, tokyo.id, "plain body", kind="internal")
    records.add_action_item(
        db, acme.id, "+follow up", owner="=me", note_id=note.id, due_date=date(2026, 12, 1)
    )
    records.record_health(
        db, acme.id, date(2026, 11, 1), csat=0.1 + 0.2, feature_adoption_pct=100 / 3, nps=9
    )
    risk = records.open_risk(db, acme.id, "usage_decline", "=risk", opened_on=date(2026, 11, 3))
    assert risk.id is not None
    records.add_opportunity(db, acme.id, "Upsell", amount_minor=500_050, currency="EUR")
    with db.session() as s:
        s.add(
            Renewal(
                account_id=acme.id,
                renewal_date=date(2027, 1, 15),
                checklist='{"kickoff": "2026-11-01"}',
                comment="=risky",
            )
        )
        at = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
        s.add(RiskEvent(risk_id=risk.id, at=at, status="open", severity="medium", note="-opened"))
    accounts.set_archived(db, [tokyo.id], True)
    return {"acme": acme, "tokyo": tokyo, "person": person, "note": note}


def _count(db: Database, model: type) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# --- cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-x", "'-x"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("plain", "plain"),
        ("'quoted'", "'quoted'"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_escape_cell_quotes_what_a_spreadsheet_would_run(text: str, escaped: str) -> None:
    assert escape_cell(text) == escaped
    assert unescape_cell(escaped) == text


@given(st.text())
def test_unescape_reverses_escape_for_any_text(text: str) -> None:
    assert unescape_cell(escape_cell(text)) == text
    first = escape_cell(text)[:1]
    assert first not in {"=", "+", "-", "@", "\t", "\r"}


# --- JSON --------------------------------------------------------------------------------------


def test_json_export_holds_every_record_of_the_demo_book(demo_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "book.json"
    result = export_book(demo_db, "json", out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["format"], data["version"]) == ("csmdesk-book", 1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["exported_at"])
    assert data["meta"] == {"demo_book": "2026-11-25"}
    expected = {
        "accounts": _count(demo_db, Account),
        "contacts": _count(demo_db, Contact),
        "touchpoints": _count(demo_db, Touchpoint),
        "notes": _count(demo_db, Note),
        "health_readings": _count(demo_db, HealthReading),
    }
    for name, n in expected.items():
        assert len(data[name]) == n == result.counts[name] == data["counts"][name] > 0
    account_uids = {a["uid"] for a in data["accounts"]}
    contact_uids = {c["uid"] for c in data["contacts"]}
    assert all(c["account_uid"] in account_uids for c in data["contacts"])
    assert all(set(t["attendee_uids"]) <= contact_uids for t in data["touchpoints"])
    assert sum(len(t["attendee_uids"]) for t in data["touchpoints"]) == _count(
        demo_db, TouchpointAttendee
    )
    first = data["accounts"][0]
    assert isinstance(first["arr_minor"], int) and first["currency"] == "USD"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", first["renewal_date"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", first["created_at"])
    assert isinstance(data["contacts"][0]["roles"], list)
    assert "id" not in first and "account_id" not in data["contacts"][0]


def test_json_keeps_links_floats_and_text_exactly(db: Database, tmp_path: Path) -> None:
    made = add_tricky_records(db)
    export_book(db, "json", tmp_path / "book.json")
    data = json.loads((tmp_path / "book.json").read_text(encoding="utf-8"))
    reading = data["health_readings"][0]
    assert reading["csat"] == 0.1 + 0.2 and reading["feature_adoption_pct"] == 100 / 3
    assert reading["nps"] == 9 and reading["logins"] is None
    note = next(n for n in data["notes"] if n["uid"] == made["note"].uid)
    assert note["body"] == NOTE_BODY and note["title"] == "-x: a/b\\c?"
    assert note["touchpoint_uid"] == data["touchpoints"][0]["uid"]
    assert data["contacts"][0]["roles"] == ["champion", "admin"]
    links = {
        (r["provider"], r["entity"], r["entity_uid"], r["external_id"])
        for r in data["external_refs"]
    }
    assert links == {
        ("hubspot", "account", made["acme"].uid, "hs-1"),
        ("salesforce", "account", made["acme"].uid, "001ABC"),
        ("hubspot", "contact", made["person"].uid, "hs-c-9"),
    }
    tokyo = next(a for a in data["accounts"] if a["uid"] == made["tokyo"].uid)
    assert tokyo["archived_at"].endswith("Z") and tokyo["arr_minor"] == 120_000
    [renewal] = data["renewals"]
    assert renewal["checklist"] == {"kickoff": "2026-11-01"} and renewal["comment"] == "=risky"
    assert [e["risk_uid"] for e in data["risk_events"]] == [data["risks"][0]["uid"]]
    assert data["accounts"][0]["name"] == "=SUM(A1)"  # JSON is data, never escaped


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_writes_seven_files_with_self_describing_columns(
    demo_db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "csv"
    result = export_book(demo_db, ExportFormat.CSV, out)
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "accounts.csv", "action_items.csv", "contacts.csv", "health_readings.csv", "notes.csv",
        "renewals.csv", "risk_events.csv",
    ]  # fmt: skip
    assert (out / "accounts.csv").read_bytes().startswith(b"\xef\xbb\xbfid,name,domain,")
    rows = _read_csv(out / "accounts.csv")
    assert list(rows[0]) == ACCOUNT_COLUMNS
    assert len(rows) == result.counts["accounts"] == _count(demo_db, Account)
    assert list(_read_csv(out / "contacts.csv")[0]) == CONTACT_COLUMNS
    notes = _read_csv(out / "notes.csv")
    assert {"account_name", "kind", "title", "body", "created_at"} <= set(notes[0])
    items = _read_csv(out / "action_items.csv")
    assert {"owner", "due_date", "done_on"} <= set(items[0])
    readings = _read_csv(out / "health_readings.csv")
    assert list(readings[0])[:5] == ["id", "account_id", "account_name", "account_domain", "date"]
    assert len(readings) == _count(demo_db, HealthReading)
    assert all(re.fullmatch(r"\d+\.\d\d", r["arr"]) for r in rows)
    assert {r["payment_issue"] for r in rows} == {"true", "false"}
    history = _read_csv(out / "risk_events.csv")
    assert list(history[0]) == RISK_EVENT_COLUMNS
    assert len(history) == result.counts["risk_events"] == _count(demo_db, RiskEvent)
    assert {h["status"] for h in history} >= {"open", "mitigating"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", h["at"]) for h in history)
    assert list(_read_csv(out / "renewals.csv")) == []
    header = (out / "renewals.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == RENEWAL_COLUMNS


def test_csv_escapes_formulas_but_not_numbers(db: Database, tmp_path: Path) -> None:
    made = add_tricky_records(db)
    export_book(db, "csv", tmp_path / "out")
    rows = {r["id"]: r for r in _read_csv(tmp_path / "out" / "accounts.csv")}
    acme, tokyo = rows[made["acme"].uid], rows[made["tokyo"].uid]
    assert acme["name"] == "'=SUM(A1)" and unescape_cell(acme["name"]) == "=SUM(A1)"
    assert acme["owner"] == "'-owner" and acme["tags"] == "'+vip, @team"
    assert (acme["arr"], acme["currency"]) == ("120000.00", "USD")
    assert (tokyo["arr"], tokyo["currency"], tokyo["archived"]) == ("120000", "JPY", "true")
    assert (acme["hubspot_id"], acme["salesforce_id"]) == ("hs-1", "001ABC")
    assert (tokyo["hubspot_id"], tokyo["salesforce_id"]) == ("", "")
    person = _read_csv(tmp_path / "out" / "contacts.csv")[0]
    assert person["name"] == "'@cmd Person" and person["phone"] == "'+1 555 0100"
    assert (person["roles"], person["primary"], person["account_id"]) == (
        "champion,admin",
        "true",
        made["acme"].uid,
    )
    notes = {n["id"]: n for n in _read_csv(tmp_path / "out" / "notes.csv")}
    note = notes[made["note"].uid]
    assert note["title"] == "'-x: a/b\\c?" and note["body"] == "'" + NOTE_BODY
    item = _read_csv(tmp_path / "out" / "action_items.csv")[0]
    assert (item["text"], item["owner"], item["due_date"]) == ("'+follow up", "'=me", "2026-12-01")
    reading = _read_csv(tmp_path / "out" / "health_readings.csv")[0]
    assert reading["csat"] == repr(0.1 + 0.2) and reading["logins"] == ""
    [renewal] = _read_csv(tmp_path / "out" / "renewals.csv")
    assert (renewal["account_id"], renewal["renewal_date"]) == (made["acme"].uid, "2027-01-15")
    assert (renewal["status"], renewal["comment"]) == ("not_started", "'=risky")
    assert json.loads(renewal["checklist"]) == {"kickoff": "2026-11-01"}
    [step] = _read_csv(tmp_path / "out" / "risk_events.csv")
    assert (step["account_name"], step["risk_title"]) == ("'=SUM(A1)", "'=risk")
    assert (step["at"], step["note"]) == ("2026-11-03T09:00:00Z", "'-opened")


# --- XLSX --------------------------------------------------------------------------------------


def test_xlsx_reads_back_with_openpyxl(db: Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    made = add_tricky_records(db)
    out = tmp_path / "book.xlsx"
    export_book(db, "xlsx", out)
    book = load_workbook(out)
    assert book.sheetnames == [
        "accounts", "contacts", "notes", "action_items", "health_readings", "renewals",
        "risk_events",
    ]  # fmt: skip
    sheet = book["accounts"]
    header = [c.value for c in sheet[1]]
    assert header == ACCOUNT_COLUMNS
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    rows = {
        r[0]: dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    acme = rows[made["acme"].uid]
    assert acme["name"] == "'=SUM(A1)"
    assert sheet.cell(row=2, column=2).data_type == "s"  # text, never a formula
    assert acme["arr"] == 120000 and isinstance(acme["arr"], int | float)
    assert acme["contract_start"] == datetime(2026, 1, 15)  # a real date cell
    assert acme["payment_issue"] is True and acme["licensed_seats"] is None
    assert isinstance(acme["created_at"], datetime)
    assert rows[made["tokyo"].uid]["arr"] == 120000
    notes = list(book["notes"].iter_rows(min_row=2, values_only=True))
    assert len(notes) == 2
    reading = next(book["health_readings"].iter_rows(min_row=2, values_only=True))
    assert reading[11] == pytest.approx(0.3)


def test_xlsx_of_the_demo_book_has_a_row_per_record(demo_db: Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    result = export_book(demo_db, "xlsx", tmp_path / "demo.xlsx")
    book = load_workbook(tmp_path / "demo.xlsx", read_only=True)
    for name, n in result.counts.items():
        assert sum(1 for _ in book[name].iter_rows(values_only=True)) == n + 1
    book.close()


# --- Markdown ----------------------------------------------------------------------------------


def _body_of(path: Path) -> tuple[str, str]:
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("---\n")
    front, body = text[4:].split("\n---\n\n", 1)
    return front, body


def test_markdown_writes_one_file_per_note_with_the_exact_body(
    demo_db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "notes"
    result = export_book(demo_db, "markdown", out)
    files = sorted(p for p in out.rglob("*.md") if p.name != "index.md")
    assert len(files) == _count(demo_db, Note) == result.counts["notes"]
    assert result.files == len(files) + 1
    with demo_db.engine.connect() as conn:
        bodies = dict(conn.execute(select(Note.uid, Note.body)).all())
    for path in files:
        front, body = _body_of(path)
        uid = re.search(r"^uid: (\w+)$", front, re.M)
        assert uid is not None and bodies[uid.group(1)] == body
        assert re.match(r"\d{4}-\d\d-\d\d .+ - .+ \([0-9a-f]{8}\)\.md$", path.name)
        assert path.parent.parent == out
    index = (out / "index.md").read_text(encoding="utf-8")
    assert index.count("](<") == len(files)


def test_markdown_names_are_safe_and_bodies_untouched(db: Database, tmp_path: Path) -> None:
    made = add_tricky_records(db)
    out = tmp_path / "notes"
    export_book(db, "markdown", out)
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["=SUM(A1)", "Kabushiki 東京 _ Ltd_ A_"]
    [note_file] = list((out / "=SUM(A1)").iterdir())
    assert note_file.name.endswith(f"=SUM(A1) - -x_ a_b_c_ ({made['note'].uid[:8]}).md")
    front, body = _body_of(note_file)
    assert body == NOTE_BODY
    assert 'account: "=SUM(A1)"' in front and "kind: call" in front
    assert 'touchpoint: "call on 2026-11-02T15:00:00Z"' in front


# --- targets and cancelling ----------------------------------------------------------------------

TARGETS = {"json": "book.json", "xlsx": "book.xlsx", "csv": "csv", "markdown": "notes"}


@pytest.mark.parametrize("fmt", list(TARGETS))
def test_cancel_leaves_nothing_behind(demo_db: Database, tmp_path: Path, fmt: str) -> None:
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> bool:
        seen.append((done, total))
        return done == 0  # stop at the first real step

    with pytest.raises(ExportCancelledError):
        export_book(demo_db, fmt, out_dir / TARGETS[fmt], progress=progress)
    assert list(out_dir.iterdir()) == []
    assert seen[0][0] == 0 and seen[-1][0] > 0 and seen[-1][1] > 0


@pytest.mark.parametrize("fmt", list(TARGETS))
def test_progress_reaches_the_total(demo_db: Database, tmp_path: Path, fmt: str) -> None:
    seen: list[tuple[int, int]] = []
    export_book(
        demo_db, fmt, tmp_path / TARGETS[fmt], progress=lambda d, t: not seen.append((d, t))
    )
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 0


def test_existing_target_is_kept_unless_overwrite(demo_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "book.json"
    out.write_text("mine")
    with pytest.raises(ExportTargetExistsError, match="already exists"):
        export_book(demo_db, "json", out)
    assert out.read_text() == "mine"
    export_book(demo_db, "json", out, overwrite=True)
    assert json.loads(out.read_text(encoding="utf-8"))["format"] == "csmdesk-book"


def test_csv_overwrite_replaces_only_its_own_files(demo_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    out.mkdir()
    (out / "accounts.csv").write_text("old")
    (out / "keep-me.txt").write_text("user file")
    with pytest.raises(ExportTargetExistsError):
        export_book(demo_db, "csv", out)
    export_book(demo_db, "csv", out, overwrite=True)
    assert (out / "keep-me.txt").read_text() == "user file"
    assert (out / "accounts.csv").read_text(encoding="utf-8-sig").startswith("id,name,")


def test_markdown_only_replaces_an_earlier_markdown_export(
    demo_db: Database, tmp_path: Path
) -> None:
    other = tmp_path / "documents"
    other.mkdir()
    (other / "thesis.docx").write_text("precious")
    with pytest.raises(ExportError, match="only replaces an earlier one"):
        export_book(demo_db, "markdown", other, overwrite=True)
    assert [p.name for p in other.iterdir()] == ["thesis.docx"]
    notes = tmp_path / "notes"
    export_book(demo_db, "markdown", notes)
    (notes / "stale.md").write_text("from last time")
    export_book(demo_db, "markdown", notes, overwrite=True)
    assert not (notes / "stale.md").exists() and (notes / "index.md").exists()
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("demo.sqlite3"))
    assert left == ["documents", "notes"]


def test_empty_folder_is_used_and_wrong_kinds_of_target_refused(
    demo_db: Database, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    export_book(demo_db, "csv", empty)
    assert (empty / "accounts.csv").exists()
    with pytest.raises(ExportError, match="is a folder"):
        export_book(demo_db, "json", empty)
    with pytest.raises(ExportError, match="is a file"):
        export_book(demo_db, "markdown", tmp_path / "demo.sqlite3")
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="Cannot write"):
        export_book(demo_db, "json", blocker / "sub" / "book.json")


def test_empty_book_exports_every_format(db: Database, tmp_path: Path) -> None:
    for fmt, name in TARGETS.items():
        result = export_book(db, fmt, tmp_path / name)
        assert set(result.counts.values()) == {0}
    data = json.loads((tmp_path / "book.json").read_text(encoding="utf-8"))
    assert data["accounts"] == [] and data["external_refs"] == []
    assert (tmp_path / "notes" / "index.md").exists()


def test_markdown_gives_same_named_accounts_their_own_folders(db: Database, tmp_path: Path) -> None:
    made = []
    for name in ("Globex", "globex", "CON"):
        account = accounts.create_account(db, AccountDraft(name=name))
        assert account.id is not None
        records.add_note(db, account.id, f"note of {name}")
        made.append(account)
    export_book(db, "markdown", tmp_path / "notes")
    folders = {p.name for p in (tmp_path / "notes").iterdir() if p.is_dir()}
    assert folders == {"Globex", f"globex ({made[1].uid[:8]})", "_CON"}
    for folder, account in zip(["Globex", f"globex ({made[1].uid[:8]})"], made, strict=False):
        [path] = (tmp_path / "notes" / folder).iterdir()
        assert _body_of(path)[1] == f"note of {account.name}"
