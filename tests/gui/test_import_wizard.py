"""The import wizard driven like a user: file, columns, preview, import — on a real database."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtWidgets import QWizard

from csmdesk.gui.import_wizard import ImportWizard, OutcomeModel
from csmdesk.services import accounts
from csmdesk.services.importing import Action

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"


def _wizard(qtbot, db) -> ImportWizard:  # type: ignore[no-untyped-def]
    wizard = ImportWizard(db)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def test_import_the_csm_spreadsheet_through_every_page(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    wizard = _wizard(qtbot, db)
    wizard.file_page.path_edit.setText(str(SAMPLES / "csm-book-spreadsheet.csv"))
    wizard.next()
    page = wizard.mapping_page
    assert wizard.currentPage() is page
    assert "Spreadsheet" in page.source.text() and "15 rows" in page.source.text()
    assert page.combos["ARR"].currentData() == "arr"
    assert page.combos["Health"].currentData() == "health"
    page.combos["Health"].setCurrentIndex(0)  # the user chooses to ignore the health colour
    assert page.isComplete()
    wizard.next()
    preview = wizard.preview_page
    assert wizard.currentPage() is preview
    assert "15 to create" in preview.summary.text()
    assert preview.model.rowCount() == 15 and preview.isComplete()
    main_thread = threading.current_thread()
    seen_threads: list[threading.Thread] = []
    wizard.commit_progress_hook = lambda: seen_threads.append(threading.current_thread())
    wizard.next()  # the commit page: imports
    assert wizard.currentPage() is wizard.done_page
    assert "15 accounts created" in wizard.done_page.text.text()
    assert wizard.report is not None and wizard.report.created == 15
    rows = {r.name: r for r in accounts.list_book(db)}
    assert len(rows) == 15
    assert "health" not in accounts.get_account(db, rows["Acme Robotics"].id).tags
    assert seen_threads and all(t is main_thread for t in seen_threads)


def test_a_file_with_errors_cannot_be_imported(qtbot, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text("Account,ARR\nGood,100\nBad,12k\n")
    wizard = _wizard(qtbot, db)
    wizard.file_page.path_edit.setText(str(path))
    wizard.next()
    wizard.next()
    preview = wizard.preview_page
    assert "1 row(s) have errors" in preview.summary.text()
    assert not preview.isComplete()
    assert not wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    assert preview.proxy.rowCount() == 2  # errors and creates only
    assert accounts.list_book(db) == []


def test_unreadable_file_stays_on_the_first_page(qtbot, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "empty.csv"
    path.write_text("")
    wizard = _wizard(qtbot, db)
    wizard.file_page.path_edit.setText(str(path))
    wizard.next()
    assert wizard.currentPage() is wizard.file_page
    assert "empty" in wizard.file_page.problem.text()


def test_mapping_without_a_name_column_blocks_next(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    wizard = _wizard(qtbot, db)
    wizard.file_page.path_edit.setText(str(SAMPLES / "hubspot-companies-export.csv"))
    wizard.next()
    page = wizard.mapping_page
    page.combos["Company name"].setCurrentIndex(0)
    assert not page.isComplete()
    assert "account name" in page.problem.text()


def test_outcome_model_passes_modeltester(qtmodeltester, db) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.services import importing

    plan = importing.prepare(db, SAMPLES / "salesforce-accounts-report.csv")
    model = OutcomeModel()
    model.set_outcomes(plan.outcomes)
    assert model.data(model.index(0, 1)) == Action.CREATE.value
    qtmodeltester.check(model)


def test_a_csm_desk_json_export_imports_the_whole_book(
    qtbot, demo_db, db, tmp_path: Path, message_log
) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.services.export import export_book

    export_book(demo_db, "json", tmp_path / "book.json")
    wizard = _wizard(qtbot, db)
    wizard.file_page.path_edit.setText(str(tmp_path / "book.json"))
    wizard.next()
    assert message_log and message_log[0][0] == "confirm"
    assert "Would import" in message_log[0][2]
    assert wizard.json_report is not None and wizard.json_report.ok
    assert len(accounts.list_book(db)) == 40


def test_a_broken_json_file_says_why(qtbot, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "book.json"
    path.write_text('{"format": "something else"}')
    wizard = _wizard(qtbot, db)
    wizard.file_page.path_edit.setText(str(path))
    wizard.next()
    assert wizard.currentPage() is wizard.file_page
    assert wizard.file_page.problem.text()
    assert accounts.list_book(db) == []


def test_an_arr_history_file_is_offered_and_imported(qtbot, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.domain.accounts import AccountDraft
    from csmdesk.services import records
    from csmdesk.services.importing import Kind

    acme = accounts.create_account(db, AccountDraft(name="Acme", domain="acme.com"))
    path = tmp_path / "arr.csv"
    path.write_text(
        "Customer,Event date,Movement type,Amount\n"
        "acme.com,2025-01-01,Upsell,2000\n"
        "acme.com,2024-01-01,New Business,10000\n"
    )
    wizard = _wizard(qtbot, db)
    wizard.file_page.path_edit.setText(str(path))
    wizard.next()
    page = wizard.mapping_page
    assert page.kind() == Kind.ARR_EVENTS
    assert page.kind_combo.currentText().startswith("ARR history")
    assert page.combos["Amount"].currentData() == "amount"
    assert not page.currency_edit.isEnabled()  # each account's own currency applies
    assert page.isComplete()
    wizard.next()
    assert "2 to create" in wizard.preview_page.summary.text()
    wizard.next()
    assert "2 ARR events created" in wizard.done_page.text.text()
    assert [e.arr_after_minor for e in records.list_arr_events(db, acme.id)] == [
        1_000_000,
        1_200_000,
    ]
    page.kind_combo.setCurrentIndex(page.kind_combo.findData(Kind.ACCOUNTS.value))
    assert page.currency_edit.isEnabled()
