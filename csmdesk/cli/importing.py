"""``csmdesk import FILE``: accounts, contacts, readings or ARR history from CSV/XLSX, or a
whole book from JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from csmdesk.cli import EXIT_OK, EXIT_USER_ERROR, CommandError, new_command
from csmdesk.store import Database

MAX_ERRORS_SHOWN = 50


def register(sub: Any) -> None:
    parser = new_command(
        sub,
        "import",
        "import accounts or contacts from a CSV/XLSX file, or a CSM Desk JSON export",
        "Import accounts (or contacts, health readings or ARR history) from a CSV or XLSX "
        "file — a HubSpot or Salesforce export, a finance export or your own spreadsheet — "
        "or a whole book from a CSM Desk JSON export. "
        "Every row is checked first; if any row has an error, nothing is written.",
    )
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check every row and print what would happen; write nothing",
    )
    parser.add_argument(
        "--kind",
        choices=("accounts", "contacts", "readings", "arr-events"),
        help="what the rows are (default: recognised from the headers)",
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a column to a field, e.g. --map 'Contract value=arr'; "
        "--map 'COLUMN=' ignores a column (repeatable)",
    )
    parser.add_argument(
        "--date-order",
        choices=("mdy", "dmy"),
        help="how to read dates like 04/05/2026 when the file does not say",
    )
    parser.add_argument(
        "--currency",
        default="USD",
        metavar="CODE",
        help="currency of amounts written without one (default: USD; ARR history "
        "rows are in their account's currency)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="print every row's outcome")
    parser.set_defaults(handler=cmd_import)


def _mapping(
    args: argparse.Namespace, proposed: dict[str, str], headers: list[str]
) -> dict[str, str]:
    mapping = dict(proposed)
    for item in args.map:
        column, sep, field = item.partition("=")
        if not sep:
            raise CommandError(f"--map takes COLUMN=FIELD, not '{item}'")
        column, field = column.strip(), field.strip()
        if column not in headers:
            raise CommandError(
                f"--map: the file has no column '{column}'. Columns: {', '.join(headers)}"
            )
        if field:
            mapping = {h: f for h, f in mapping.items() if f != field}
            mapping[column] = field
        else:
            mapping.pop(column, None)
    return mapping


def _import_json(db: Database, args: argparse.Namespace) -> int:
    from csmdesk.services.book_json import BookJsonError, import_book_json

    try:
        report = import_book_json(db, args.file, dry_run=args.dry_run)
    except BookJsonError as exc:
        raise CommandError(str(exc), getattr(exc, "exit_code", EXIT_USER_ERROR)) from None
    print(("Dry run: " if args.dry_run else "") + str(report))
    return EXIT_OK


def cmd_import(db: Database, args: argparse.Namespace) -> int:
    from csmdesk.domain.dates import DateOrder
    from csmdesk.services import importing
    from csmdesk.services.importing import Kind

    path: Path = args.file
    if path.suffix.lower() == ".json":
        return _import_json(db, args)
    try:
        table = importing.read_table(path)
        detection = importing.detect(table.headers)
        if args.kind:
            detection = importing.Detection(detection.source, Kind(args.kind), detection.date_hint)
        base = importing.initial_mapping(db, table, detection)
        mapping = _mapping(args, base, table.headers)
        plan = importing.prepare(
            db,
            path,
            kind=detection.kind,
            mapping=mapping,
            date_order=DateOrder(args.date_order) if args.date_order else None,
            currency=args.currency.upper(),
            table=table,
        )
    except importing.FileProblem as exc:
        raise CommandError(str(exc)) from None
    print(
        f"{path.name}: {importing.SOURCE_LABELS[plan.detection.source]} of "
        f"{plan.kind.value}; {plan.table.describe()}"
    )
    print("Columns: " + "; ".join(f"{h} → {f}" for h, f in plan.mapping.items()))
    ignored = [h for h in plan.table.headers if h not in plan.mapping]
    if ignored:
        print("Ignored: " + ", ".join(ignored))
    for warning in plan.warnings:
        print(f"Warning: {warning}")
    if args.verbose:
        for o in plan.outcomes:
            detail = "; ".join(o.reasons or o.changes)
            print(
                f"  line {o.line}: {o.action.value} {o.label}" + (f" — {detail}" if detail else "")
            )
    for o in plan.outcomes:
        for warning in o.warnings:
            print(f"line {o.line}: {o.label}: warning: {warning}")
    errors = plan.errors
    for o in errors[:MAX_ERRORS_SHOWN]:
        print(f"line {o.line}: {o.label}: {'; '.join(o.reasons)}", file=sys.stderr)
    if len(errors) > MAX_ERRORS_SHOWN:
        print(f"… and {len(errors) - MAX_ERRORS_SHOWN} more rows with errors", file=sys.stderr)
    print(plan.summary())
    if errors:
        raise CommandError(f"{len(errors)} row(s) have errors; nothing was imported.")
    if args.dry_run:
        print("Dry run: nothing was written.")
        return EXIT_OK
    report = importing.commit_plan(db, plan)
    print("Imported: " + report.summary(plan.kind))
    return EXIT_OK
