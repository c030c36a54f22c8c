"""Importing accounts and contacts: real sample exports, messy files, all-or-nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from csmdesk.domain.accounts import AccountDraft
from csmdesk.domain.dates import DateOrder
from csmdesk.services import accounts, contacts, importing, records
from csmdesk.services.importing import Action, Kind, Source
from csmdesk.services.stats import book_stats

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
HUBSPOT = SAMPLES / "hubspot-companies-export.csv"
SALESFORCE = SAMPLES / "salesforce-accounts-report.csv"
SHEET = SAMPLES / "csm-book-spreadsheet.csv"


def _import(db, path: Path, **kw):  # type: ignore[no-untyped-def]
    plan = importing.prepare(db, path, **kw)
    assert plan.ok, [(o.line, o.reasons) for o in plan.errors]
    return plan, importing.commit_plan(db, plan, today=date(2026, 11, 25))


def _by_name(db) -> dict:  # type: ignore[no-untyped-def]
    return {r.name: r for r in accounts.list_book(db)}


def test_hubspot_companies_export(db) -> None:  # type: ignore[no-untyped-def]
    plan, report = _import(db, HUBSPOT)
    assert plan.detection.source == Source.HUBSPOT and plan.kind == Kind.ACCOUNTS
    assert "Annual Revenue" not in plan.mapping  # the customer's revenue is not our ARR
    assert (report.created, report.updated, report.skipped) == (20, 0, 0)
    acme = accounts.get_account(db, _by_name(db)["Acme Robotics"].id)
    assert (acme.domain, acme.industry, acme.owner) == (
        "acmerobotics.com",
        "Computer Software",
        "Sam Ortega",
    )
    assert acme.arr_minor == 0
    assert records.find_external(db, "hubspot", "account", "9000001") == acme.id


def test_salesforce_report_after_hubspot_updates_by_domain(db) -> None:  # type: ignore[no-untyped-def]
    _import(db, HUBSPOT)
    plan, report = _import(db, SALESFORCE)
    assert plan.detection.source == Source.SALESFORCE
    assert (report.created, report.updated) == (0, 12)
    assert len(accounts.list_book(db)) == 20
    acme = _by_name(db)["Acme Robotics"]
    assert records.find_external(db, "salesforce", "account", "001H7566VFKGXS6L9B") == acme.id
    assert accounts.get_account(db, acme.id).industry == "Healthcare"


def test_salesforce_report_alone_reads_website_and_us_dates(db) -> None:  # type: ignore[no-untyped-def]
    plan, report = _import(db, SALESFORCE)
    assert report.created == 12
    assert plan.mapping["Website"] == "domain"
    assert {r.domain for r in accounts.list_book(db)} >= {"acmerobotics.com", "lumenschools.com"}


def test_csm_spreadsheet_brings_arr_champions_qbrs_and_notes(db) -> None:  # type: ignore[no-untyped-def]
    plan, report = _import(db, SHEET)
    assert plan.detection.source == Source.GENERIC
    assert report.created == 15
    assert (report.contacts_created, report.touchpoints, report.notes) == (15, 11, 10)
    rows = _by_name(db)
    acme = accounts.get_account(db, rows["Acme Robotics"].id)
    assert (acme.arr_minor, acme.currency, acme.segment) == (2_400_000, "USD", "enterprise")
    assert acme.renewal_date == date(2026, 12, 4)
    assert "health-yellow" in acme.tags
    (tom,) = contacts.list_contacts(db, acme.id)
    assert (tom.name, tom.email, tom.roles) == (
        "Tom Becker",
        "tom.becker@acmerobotics.com",
        "champion",
    )
    assert [n.body for n in records.list_notes(db, acme.id)] == ["Usage dipped after re-org"]
    # $1,758,000, summed by hand from the sheet.
    assert book_stats(db).arr_by_currency == {"USD": 175_800_000}


def test_importing_the_same_file_twice_changes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    _import(db, SHEET)
    before = book_stats(db)
    plan = importing.prepare(db, SHEET)
    assert plan.count(Action.SKIP) == 15 and plan.count(Action.UPDATE) == 0
    importing.commit_plan(db, plan)
    assert book_stats(db) == before


def test_mapping_is_remembered_for_the_same_headers(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "book.csv"
    path.write_text('Customer,Contract value,Owner\nAcme,"$1,000",Sam\n')
    table = importing.read_table(path)
    first = importing.initial_mapping(db, table, importing.detect(table.headers))
    assert first == {"Customer": "name", "Contract value": "arr", "Owner": "owner"}
    chosen = {"Customer": "name", "Contract value": "arr"}  # the user drops Owner
    plan = importing.prepare(db, path, mapping=chosen)
    importing.commit_plan(db, plan)
    assert importing.initial_mapping(db, table, importing.detect(table.headers)) == chosen


def test_a_file_with_one_bad_row_writes_nothing(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    accounts.create_account(db, AccountDraft(name="Existing", domain="existing.com"))
    path = tmp_path / "book.csv"
    path.write_text(
        "Account,Domain,ARR,Contract start,Renewal\n"
        'Good One,good.com,"$1,000",2026-01-01,2027-01-01\n'
        "Existing,existing.com,500,2026-01-01,2027-01-01\n"
        "Bad Money,bad.com,12k,2026-01-01,2027-01-01\n"
        "Backwards,back.com,5,2027-01-01,2026-01-01\n"
        ",,,,\n"
        "Negative,neg.com,-5,2026-01-01,2027-01-01\n"
    )
    plan = importing.prepare(db, path)
    outcome = {o.line: o for o in plan.outcomes}
    assert outcome[2].action == Action.CREATE and outcome[3].action == Action.UPDATE
    assert outcome[4].action == Action.ERROR and "12k" in outcome[4].reasons[0]
    assert outcome[5].action == Action.ERROR and "renewal" in outcome[5].reasons[0].lower()
    assert 6 not in outcome  # the blank row is not a row
    assert outcome[7].action == Action.ERROR and "negative" in outcome[7].reasons[0]
    before = book_stats(db)
    with pytest.raises(importing.PlanHasErrors):
        importing.commit_plan(db, plan)
    assert book_stats(db) == before


def test_european_semicolon_cp1252_file(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "kunden.csv"
    text = (
        "Account;ARR;Contract start;Renewal;Seats\r\n"
        "Müller GmbH;€8.500,00;01.02.2025;31.01.2027;1.200\r\n"
        "Café Crème;EUR 1.200,50;15.03.2025;14.03.2026;15\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    plan, _report = _import(db, path)
    assert plan.table.encoding == "Windows-1252" and plan.table.delimiter == ";"
    rows = _by_name(db)
    muller = accounts.get_account(db, rows["Müller GmbH"].id)
    assert (muller.arr_minor, muller.currency, muller.licensed_seats) == (850_000, "EUR", 1200)
    assert (muller.contract_start, muller.renewal_date) == (date(2025, 2, 1), date(2027, 1, 31))
    assert rows["Café Crème"].arr_minor == 120_050


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-8"])
def test_encodings_and_tabs(db, tmp_path: Path, encoding: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "book.tsv"
    path.write_bytes(
        "Name\tDomain\tTags\nZoë Ærø 東京\thttps://www.zoe.example.com/x\ta; b\n".encode(encoding)
    )
    _plan, _ = _import(db, path)
    (row,) = accounts.list_book(db)
    assert (row.name, row.domain, row.tags) == ("Zoë Ærø 東京", "zoe.example.com", "a, b")


def test_ambiguous_dates_are_flagged_and_can_be_chosen(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "book.csv"
    path.write_text("Account,Renewal\nA,04/05/2027\nB,06/07/2027\n")
    plan = importing.prepare(db, path)
    assert any("Renewal" in w and "either way" in w for w in plan.warnings)
    assert plan.outcomes[0].values["draft"].renewal_date == date(2027, 4, 5)
    plan = importing.prepare(db, path, date_order=DateOrder.DMY)
    assert not plan.warnings
    assert plan.outcomes[0].values["draft"].renewal_date == date(2027, 5, 4)
    proven = tmp_path / "proven.csv"
    proven.write_text("Account,Renewal\nA,04/05/2027\nB,25/07/2027\n")
    plan = importing.prepare(db, proven)
    assert not plan.warnings and plan.outcomes[0].values["draft"].renewal_date == date(2027, 5, 4)


def test_xlsx_workbook(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Account", "ARR", "Renewal", "Seats"])
    sheet.append(["Acme", 120000, date(2027, 3, 1), 250])
    sheet.append([None, None, None, None])
    sheet.append(["Globex", "$5,000", "2027-04-01", "12"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    plan, report = _import(db, path)
    assert plan.table.kind == "xlsx" and report.created == 2
    acme = accounts.get_account(db, _by_name(db)["Acme"].id)
    assert (acme.arr_minor, acme.renewal_date, acme.licensed_seats) == (
        12_000_000,
        date(2027, 3, 1),
        250,
    )


def test_contacts_file_attaches_to_accounts(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _import(db, HUBSPOT)
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Record ID,First Name,Last Name,Email,Job Title,Associated Company\n"
        "501,Priya,Nair,priya@acmerobotics.com,VP Ops,Acme Robotics\n"
        "502,Li,Wei,li@cobalthealth.com,Admin,\n"
        "503,No,Home,no@nowhere.example,CEO,Nowhere Inc\n"
    )
    plan = importing.prepare(db, path)
    assert plan.kind == Kind.CONTACTS
    assert [o.action for o in plan.outcomes] == [Action.CREATE, Action.CREATE, Action.ERROR]
    assert "Nowhere Inc" in plan.outcomes[2].reasons[0]
    path.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n")
    _, report = _import(db, path)
    assert report.created == 2
    acme = _by_name(db)["Acme Robotics"]
    (priya,) = contacts.list_contacts(db, acme.id)
    assert (priya.name, priya.title) == ("Priya Nair", "VP Ops")
    assert records.find_external(db, "hubspot", "contact", "501") == priya.id
    _, again = _import(db, path)
    assert (again.created, again.skipped) == (0, 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"Account,ARR\n", "no data rows"),
        (b"\x00\x01\x02\x03binary" * 50, "not a text file"),
        (b"PK\x03\x04not really a zip", "not a readable Excel"),
        (b"\xd0\xcf\x11\xe0old excel", "old Excel"),
        (b"Foo,Bar\n1,2\n", "account name"),
    ],
)
def test_unusable_files_get_a_clear_message(
    db, tmp_path: Path, content: bytes, message: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    with pytest.raises(importing.FileProblem, match=message):
        importing.prepare(db, path)


def test_ragged_rows(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ragged.csv"
    path.write_text("Account,ARR,Owner\nShort\nLong,1,Sam,extra,cells\nTrailing,2,Ana,,\n")
    plan = importing.prepare(db, path)
    actions = {o.line: o.action for o in plan.outcomes}
    assert actions == {2: Action.CREATE, 3: Action.ERROR, 4: Action.CREATE}


def test_duplicate_rows_in_one_file_import_once(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "dupes.csv"
    path.write_text("Account,Domain\nAcme,acme.com\nACME Inc,acme.com\n")
    plan, report = _import(db, path)
    assert report.created == 1 and plan.outcomes[1].reasons == ["same account as line 2"]


def test_cancel_writes_nothing(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "many.csv"
    path.write_text("Account\n" + "".join(f"Account {i}\n" for i in range(1000)))
    plan = importing.prepare(db, path)
    with pytest.raises(importing.ImportCancelled):
        importing.commit_plan(db, plan, progress=lambda done, total: done < 400)
    assert accounts.list_book(db) == []


def test_csv_export_imports_back_to_the_same_accounts_and_contacts(  # type: ignore[no-untyped-def]
    demo_db, db, tmp_path: Path
) -> None:
    import csv

    from csmdesk.services.export import export_book

    accounts.set_archived(demo_db, [3], True)
    export_book(demo_db, "csv", tmp_path / "one")
    _import(db, tmp_path / "one" / "accounts.csv")
    _import(db, tmp_path / "one" / "contacts.csv")
    export_book(db, "csv", tmp_path / "two")

    def rows(folder: Path, name: str, drop: set[str]) -> list[dict[str, str]]:
        with (folder / name).open(encoding="utf-8-sig", newline="") as fh:
            found = [{k: v for k, v in r.items() if k not in drop} for r in csv.DictReader(fh)]
        return sorted(found, key=lambda r: (r.get("account_id", ""), r["name"], r.get("email", "")))

    stamps = {"created_at", "updated_at"}
    assert rows(tmp_path / "one", "accounts.csv", stamps) == rows(
        tmp_path / "two", "accounts.csv", stamps
    )
    assert rows(tmp_path / "one", "contacts.csv", stamps | {"id"}) == rows(
        tmp_path / "two", "contacts.csv", stamps | {"id"}
    )
    archived = [r for r in accounts.list_book(db) if r.archived]
    assert len(archived) == 1


def _readings_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "usage.csv"
    path.write_text(
        "account,date,active_users,seats,logins,feature_adoption_pct,open_tickets,escalations,"
        "nps,csat\n" + body
    )
    return path


def test_readings_import_by_domain_name_and_crm_id(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _import(db, HUBSPOT)
    acme = _by_name(db)["Acme Robotics"]
    cobalt = _by_name(db)["Cobalt Health"]
    path = _readings_file(
        tmp_path,
        "acmerobotics.com,2026-11-02,41,60,800,55%,3,0,9,4.5\n"
        "Cobalt Health,11/09/2026,12,,120,40,1,0,,\n"
        "9000001,2026-11-09,27,60,500,50,9,1,3,\n",  # Acme's HubSpot id
    )
    plan, report = _import(db, path)
    assert plan.kind == Kind.READINGS and report.created == 3
    acme_readings = records.list_health(db, acme.id)
    assert [(r.on, r.active_users, r.nps) for r in acme_readings] == [
        (date(2026, 11, 2), 41, 9),
        (date(2026, 11, 9), 27, 3),
    ]
    assert acme_readings[0].feature_adoption_pct == 55.0 and acme_readings[0].csat == 4.5
    assert accounts.get_account(db, acme.id).licensed_seats == 60  # learnt from the file
    assert [r.logins for r in records.list_health(db, cobalt.id)] == [120]
    again = importing.prepare(db, path)
    assert again.count(Action.SKIP) == 3
    path.write_text(path.read_text().replace("2026-11-02,41", "2026-11-02,44"))
    changed = importing.prepare(db, path)
    assert changed.outcomes[0].action == Action.UPDATE
    assert changed.outcomes[0].changes == ["Active users: 41 → 44"]


def test_bad_readings_are_row_errors_and_nothing_is_written(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    accounts.create_account(db, AccountDraft(name="Acme", domain="acme.com", licensed_seats=10))
    path = _readings_file(
        tmp_path,
        "acme.com,2026-11-01,5,,,,,,,\n"
        "acme.com,2026-11-02,5,,,,,,11,\n"
        "acme.com,2026-11-03,-1,,,,,,,\n"
        "acme.com,2030-01-01,5,,,,,,,\n"
        "unknown.example,2026-11-04,5,,,,,,,\n"
        "acme.com,2026-11-05,25,,,,,,,\n",
    )
    plan = importing.prepare(db, path, today=date(2026, 11, 25))
    by_line = {o.line: o for o in plan.outcomes}
    assert by_line[2].action == Action.CREATE
    assert "0 to 10" in by_line[3].reasons[0]
    assert "negative" in by_line[4].reasons[0]
    assert "future" in by_line[5].reasons[0]
    assert "unknown.example" in by_line[6].reasons[0]
    assert by_line[7].action == Action.CREATE and "more than the 10" in by_line[7].warnings[0]
    with pytest.raises(importing.PlanHasErrors):
        importing.commit_plan(db, plan)
    acme = _by_name(db)["Acme"]
    assert records.list_health(db, acme.id) == []
