"""Importing ARR history from a finance export: sorted per account, checked, all or nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from csmdesk.domain.accounts import AccountDraft
from csmdesk.services import accounts, importing, records
from csmdesk.services.importing import Action, Kind
from csmdesk.services.importing.arr_events import movement
from csmdesk.services.importing.convert import CellError
from csmdesk.services.importing.mapping import detect, propose

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
CONTRACT = "account,date,type,arr_after,amount,currency,comment\n"


@pytest.fixture
def book(db):  # type: ignore[no-untyped-def]
    """Acme (USD, created with $12,000 and so an implicit event) and Globex (EUR, no ARR)."""
    acme = accounts.create_account(
        db,
        AccountDraft(
            name="Acme", domain="acme.com", arr_minor=1_200_000, contract_start=date(2024, 1, 1)
        ),
    )
    globex = accounts.create_account(db, AccountDraft(name="Globex", currency="EUR"))
    records.link_external(db, "hubspot", "account", globex.id, "777")
    return db, acme.id, globex.id


def _file(tmp_path: Path, text: str, name: str = "arr.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _history(db, account_id: int) -> list[tuple[str, str, int, bool]]:  # type: ignore[no-untyped-def]
    return [
        (e.on.isoformat(), e.kind, e.arr_after_minor, e.implicit)
        for e in records.list_arr_events(db, account_id)
    ]


def _state(db) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    rows = sorted((r.id, r.arr_minor) for r in accounts.list_book(db))
    return tuple(rows), tuple(_history(db, aid) for aid, _ in rows)


def _import(db, path: Path, **kw):  # type: ignore[no-untyped-def]
    plan = importing.prepare(db, path, **kw)
    assert plan.ok, [(o.line, o.reasons) for o in plan.errors]
    return plan, importing.commit_plan(db, plan)


def test_finance_export_with_synonym_headers(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, acme, globex = book
    path = _file(
        tmp_path,
        "Customer,Effective date,Movement type,Ending ARR,Currency,Description,MRR change\n"
        'acme.com,2024-01-15,New Business,"$10,000",USD,signed,833\n'
        'Acme,2024-07-01,Upsell,"12,500.00",,seats,208\n'
        "777,2024-02-01,new logo,€4.000,EUR,,333\n"  # Globex by its HubSpot id
        "Globex,2025-02-01,Cancelled,0,,moved to a rival,-333\n",
    )
    plan, report = _import(db, path)
    assert plan.kind == Kind.ARR_EVENTS
    assert plan.mapping == {
        "Customer": "account",
        "Effective date": "date",
        "Movement type": "type",
        "Ending ARR": "arr_after",
        "Currency": "currency",
        "Description": "comment",
    }  # MRR is not ARR: never mapped
    assert (report.created, report.skipped) == (4, 0)
    assert "4 ARR events created" in report.summary(plan.kind)
    assert _history(db, acme) == [
        ("2024-01-15", "new", 1_000_000, False),
        ("2024-07-01", "expansion", 1_250_000, False),
    ]
    assert _history(db, globex) == [
        ("2024-02-01", "new", 400_000, False),
        ("2025-02-01", "churn", 0, False),
    ]
    events = records.list_arr_events(db, acme)
    assert events[0].comment == "signed" and events[0].currency == "USD"
    assert accounts.get_account(db, acme).arr_minor == 1_250_000
    assert accounts.get_account(db, globex).arr_minor == 0


def test_the_contract_column_names_are_recognised(db) -> None:  # type: ignore[no-untyped-def]
    headers = CONTRACT.strip().split(",")
    found = detect(headers)
    assert found.kind == Kind.ARR_EVENTS
    assert propose(headers, found) == {h: h for h in headers}


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        (["account", "date", "type", "amount"], Kind.ARR_EVENTS),
        (["Account Name", "Event date", "Movement type", "Delta"], Kind.ARR_EVENTS),
        (["Company", "Date", "Type", "ARR after"], Kind.ARR_EVENTS),
        (["Domain", "Effective date", "Type", "New ARR", "Comment"], Kind.ARR_EVENTS),
        (["Customer", "Date", "Type", "MRR change"], Kind.ACCOUNTS),  # no ARR figure: not history
        (["Account", "Segment", "ARR", "Renewal"], Kind.ACCOUNTS),
        (["account", "date", "active_users", "nps"], Kind.READINGS),
        (["First name", "Last name", "Email", "Company name"], Kind.CONTACTS),
    ],
)
def test_the_kind_is_recognised_from_the_headers(headers: list[str], kind: Kind) -> None:
    assert detect(headers).kind == kind


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("hubspot-companies-export.csv", Kind.ACCOUNTS),
        ("salesforce-accounts-report.csv", Kind.ACCOUNTS),  # has "Type" but no dates or ARR
        ("csm-book-spreadsheet.csv", Kind.ACCOUNTS),
    ],
)
def test_account_exports_are_still_accounts(sample: str, kind: Kind) -> None:
    table = importing.read_table(SAMPLES / sample)
    assert detect(table.headers).kind == kind


def test_mrr_columns_are_not_offered_as_arr(db) -> None:  # type: ignore[no-untyped-def]
    headers = ["Customer", "Date", "Type", "MRR change", "MRR"]
    mapping = propose(headers, importing.Detection(importing.Source.GENERIC, Kind.ARR_EVENTS, None))
    assert "MRR change" not in mapping and "MRR" not in mapping


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("New Business", "new"),
        ("new logo", "new"),
        ("NEW", "new"),
        ("Upsell", "expansion"),
        ("Upgrade", "expansion"),
        ("Cross-sell", "expansion"),
        ("Downgrade", "contraction"),
        ("Downsell", "contraction"),
        ("Cancellation", "churn"),
        ("Cancelled", "churn"),
        ("Lost", "churn"),
        ("Renewal", "renewal"),
        ("Flat renewal", "renewal"),
        ("Win-back", "reactivation"),
        ("Reactivated", "reactivation"),
    ],
)
def test_movement_type_synonyms(word: str, kind: str) -> None:
    assert movement(word) == kind


def test_an_unknown_movement_type_says_which_ones_exist() -> None:
    with pytest.raises(CellError, match="not an ARR movement"):
        movement("Refund")


def test_amount_and_arr_after_write_the_same_history(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, acme, _ = book
    by_amount = _file(
        tmp_path,
        "Account,Date,Type,Amount\n"
        "Acme,2024-01-01,new,10000\n"
        "Acme,2024-04-01,expansion,2500\n"
        "Acme,2024-06-01,contraction,-1500\n"  # a written minus sign agrees with the type
        "Acme,2024-09-01,contraction,1000\n"
        "Acme,2025-01-01,renewal,\n"
        "Acme,2025-06-01,churn,\n"
        "Acme,2026-01-01,reactivation,8000\n",
    )
    plan, _ = _import(db, by_amount)
    amounts = _history(db, acme)
    assert [a for _, _, a, _ in amounts] == [
        1_000_000,
        1_250_000,
        1_100_000,
        1_000_000,
        1_000_000,
        0,
        800_000,
    ]
    assert plan.outcomes[2].changes == ["Contraction on 2024-06-01: $12,500 → $11,000"]
    by_after = _file(
        tmp_path,
        "account,date,type,arr_after\n"
        + "".join(f"Acme,{on},{kind},{after / 100:.0f}\n" for on, kind, after, _ in amounts),
        "after.csv",
    )
    again = importing.prepare(db, by_after)
    assert again.count(Action.SKIP) == 7 and again.ok  # the same events, already in the book


def test_rows_out_of_order_are_sorted_and_count_events_already_in_the_book(  # type: ignore[no-untyped-def]
    book, tmp_path: Path
) -> None:
    db, _, globex = book
    records.add_arr_event(db, globex, date(2024, 1, 1), "new", 500_000)
    path = _file(
        tmp_path,
        "account,date,type,amount\n"
        "Globex,2025-03-01,expansion,2000\n"
        "Globex,2024-06-01,expansion,1000\n"
        "Globex,2024-09-01,contraction,500\n",
    )
    plan, _ = _import(db, path)
    assert [o.changes for o in plan.outcomes] == [
        ["Expansion on 2025-03-01: €5,500 → €7,500"],
        ["Expansion on 2024-06-01: €5,000 → €6,000"],
        ["Contraction on 2024-09-01: €6,000 → €5,500"],
    ]
    assert [a for _, _, a, _ in _history(db, globex)] == [500_000, 600_000, 550_000, 750_000]
    assert accounts.get_account(db, globex).arr_minor == 750_000


def test_two_events_on_one_date_warn_and_the_later_line_wins(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, acme, _ = book
    path = _file(
        tmp_path,
        "account,date,type,arr_after\n"
        "Acme,2024-01-01,new,10000\n"
        "Acme,2024-05-01,expansion,15000\n"
        "Acme,2024-05-01,contraction,14000\n",
    )
    plan, _ = _import(db, path)
    assert plan.outcomes[2].warnings == ["same date as line 3; the later line wins"]
    assert plan.outcomes[2].action == Action.CREATE
    assert accounts.get_account(db, acme).arr_minor == 1_400_000


def test_a_renewal_that_changes_arr_is_a_warning(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, acme, _ = book
    path = _file(
        tmp_path,
        "account,date,type,arr_after\nAcme,2024-01-01,new,10000\nAcme,2025-01-01,renewal,11000\n",
    )
    plan, _ = _import(db, path)
    (warning,) = plan.outcomes[1].warnings
    assert (
        "renewal" in warning and "$10,000 → $11,000" in warning and "counted as a change" in warning
    )
    assert accounts.get_account(db, acme).arr_minor == 1_100_000


def test_the_implicit_event_is_replaced_by_the_imported_history(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, acme, _ = book
    assert _history(db, acme) == [("2024-01-01", "new", 1_200_000, True)]
    # The same date, type and ARR as the placeholder: still imported, as a real event.
    path = _file(tmp_path, "account,date,type,arr_after\nAcme,2024-01-01,new,12000\n")
    _, report = _import(db, path)
    assert report.created == 1
    assert _history(db, acme) == [("2024-01-01", "new", 1_200_000, False)]


def test_account_arr_follows_its_latest_event(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, _, globex = book
    records.add_arr_event(db, globex, date(2026, 1, 1), "new", 900_000)
    path = _file(
        tmp_path,
        "account,date,type,arr_after\nGlobex,2024-01-01,new,3000\nGlobex,2025-01-01,expansion,4000\n",
    )
    _, report = _import(db, path)
    assert report.arr_changed == 0  # the book's later event still holds the current ARR
    assert accounts.get_account(db, globex).arr_minor == 900_000
    later = _file(
        tmp_path, "account,date,type,arr_after\nGlobex,2026-06-01,expansion,9500\n", "b.csv"
    )
    _, report = _import(db, later)
    assert report.arr_changed == 1
    assert accounts.get_account(db, globex).arr_minor == 950_000


def test_reimporting_the_same_file_skips_every_row(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, _, _ = book
    path = _file(
        tmp_path,
        "account,date,type,amount\n"
        "Acme,2024-03-01,expansion,500\n"
        "Acme,2024-01-01,new,10000\n"
        "Globex,2024-01-01,new,2000\n"
        "Globex,2024-01-01,expansion,1000\n"
        "Globex,2024-08-01,churn,\n",
    )
    _import(db, path)
    before = _state(db)
    plan, report = _import(db, path)
    assert [o.reasons for o in plan.outcomes] == [["already in the book"]] * 5
    assert (report.created, report.skipped) == (0, 5)
    assert _state(db) == before


def _bad_row_cases() -> list[tuple[str, str]]:
    return [
        ("Initech,2024-01-01,new,100,,,", "no account 'Initech' in the book"),
        ("Acme,,new,100,,,", "no date"),
        ("Acme,2024-13-45,new,100,,,", "date"),
        ("Acme,2024-01-01,refund,100,,,", "'refund' is not an ARR movement"),
        ("Acme,2024-01-01,,100,,,", "no type"),
        ("Acme,2024-01-01,new,-100,,,", "ARR after cannot be negative"),
        ("Acme,2024-01-01,contraction,,6000,,", "of $6,000 would take ARR below 0 (it was $5,000)"),
        ("Acme,2024-01-01,churn,100,,,", "a churn leaves ARR at 0, but this row says $100"),
        ("Globex,2024-01-01,new,100,,USD,", "account Globex is in EUR; this row is in USD"),
        ("Acme,2024-01-01,new,,,,", "neither an ARR after nor an amount"),
        ("Acme,2024-01-01,new,100,,XYZ,", "'XYZ' is not a known currency code"),
        ("Acme,2024-01-01,new,100,,EURO,", "not a currency code"),
        ("Acme,2024-01-01,new,€100,,,", "account Acme is in USD; this row is in EUR"),
        ("Acme,2024-01-01,expansion,,-100,,", "is negative, but an expansion adds ARR"),
    ]


@pytest.mark.parametrize(("row", "message"), _bad_row_cases())
def test_each_row_error_writes_nothing(book, tmp_path: Path, row: str, message: str) -> None:  # type: ignore[no-untyped-def]
    db, _, _ = book
    before = _state(db)
    path = _file(tmp_path, CONTRACT + "Acme,2023-01-01,new,5000,,,fine\n" + row + "\n")
    plan = importing.prepare(db, path, kind=Kind.ARR_EVENTS)
    assert plan.outcomes[0].action == Action.CREATE
    (bad,) = plan.errors
    assert bad.line == 3
    assert any(message in reason for reason in bad.reasons), bad.reasons
    with pytest.raises(importing.PlanHasErrors):
        importing.commit_plan(db, plan)
    assert _state(db) == before


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "Acme,2024-01-01,new,10000\nAcme,2024-06-01,reactivation,12000\n",
            "a reactivation needs ARR 0 before it, but it was $10,000",
        ),
        (
            "Acme,2024-06-01,expansion,9000\nAcme,2024-01-01,new,10000\n",
            "an expansion must raise ARR, but $10,000 → $9,000 does not",
        ),
        (
            "Acme,2024-01-01,new,10000\nAcme,2024-06-01,contraction,10000\n",
            "a contraction must lower ARR, but $10,000 → $10,000 does not",
        ),
    ],
)
def test_movements_are_checked_against_the_arr_before_them(  # type: ignore[no-untyped-def]
    book, tmp_path: Path, rows: str, message: str
) -> None:
    db, _, _ = book
    before = _state(db)
    path = _file(tmp_path, "account,date,type,arr_after\n" + rows)
    plan = importing.prepare(db, path)
    assert [r for o in plan.errors for r in o.reasons] == [message]
    with pytest.raises(importing.PlanHasErrors):
        importing.commit_plan(db, plan)
    assert _state(db) == before


def test_a_cad_account_accepts_a_bare_dollar_sign(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    maple = accounts.create_account(db, AccountDraft(name="Maple", currency="CAD"))
    path = _file(tmp_path, 'account,date,type,arr_after\nMaple,2024-01-01,new,"$8,000"\n')
    _import(db, path)
    assert _history(db, maple.id) == [("2024-01-01", "new", 800_000, False)]
    assert records.list_arr_events(db, maple.id)[0].currency == "CAD"


def test_the_mapping_must_name_an_arr_figure(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "account,date,type\nAcme,2024-01-01,new\n")
    with pytest.raises(importing.MappingProblem, match="ARR after, or the amount"):
        importing.prepare(db, path, kind=Kind.ARR_EVENTS)


def test_an_xlsx_billing_export_with_numbers_and_dates(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    db, acme, _ = book
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Account Name", "Event date", "Type", "Change"])
    sheet.append(["Acme", date(2024, 1, 1), "New", 10000])
    sheet.append(["Acme", date(2024, 6, 1), "Downsell", -1250.5])
    path = tmp_path / "billing.xlsx"
    workbook.save(path)
    plan, _ = _import(db, path)
    assert plan.kind == Kind.ARR_EVENTS
    assert [a for _, _, a, _ in _history(db, acme)] == [1_000_000, 874_950]


def test_a_movement_on_the_date_of_a_recorded_event_comes_after_it(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, _, globex = book
    records.add_arr_event(db, globex, date(2024, 1, 1), "new", 500_000)
    path = _file(tmp_path, "account,date,type,amount\nGlobex,2024-01-01,expansion,1000\n")
    plan, _ = _import(db, path)
    (warning,) = plan.outcomes[0].warnings
    assert "already has new business on 2024-01-01" in warning and "this line wins" in warning
    assert accounts.get_account(db, globex).arr_minor == 600_000
