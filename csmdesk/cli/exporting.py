"""``csmdesk export``: the whole book to JSON, CSV, XLSX or Markdown (no lock-in)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from csmdesk.cli import EXIT_OK, CommandError, new_command
from csmdesk.store import Database

FORMATS = ("json", "csv", "xlsx", "markdown")

_DESCRIPTION = """\
Export the book.
  json      everything, in one file that `csmdesk import` reads back in
  csv       a folder of accounts.csv, contacts.csv, notes.csv, action_items.csv,
            health_readings.csv, renewals.csv, risk_events.csv (UTF-8, opens in Excel)
  xlsx      one Excel workbook with a sheet per table
  markdown  a folder with one Markdown file per note, readable without the app
Text a spreadsheet would run as a formula (=, +, -, @) is written with a leading '.
"""


def register(sub: Any) -> None:
    parser = new_command(sub, "export", "export the book to JSON, CSV, XLSX or Markdown")
    parser.description = _DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--format", metavar="{json,csv,xlsx,markdown}", help="what to write (required)"
    )
    parser.add_argument(
        "--out", metavar="PATH", help="file (json, xlsx) or folder (csv, markdown) to write"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an earlier export at PATH if there is one"
    )
    parser.set_defaults(handler=cmd_export)


def cmd_export(db: Database, args: argparse.Namespace) -> int:
    from csmdesk.services.export import ExportError, ExportTargetExistsError, export_book

    if args.format not in FORMATS:
        given = f" (not '{args.format}')" if args.format else ""
        raise CommandError(f"--format must be one of {', '.join(FORMATS)}{given}.")
    if not args.out:
        raise CommandError("--out PATH is required: where to write the export.")
    try:
        result = export_book(db, args.format, Path(args.out), overwrite=args.force)
    except ExportTargetExistsError as exc:
        raise CommandError(f"{exc} Pass --force to replace it, or choose another --out.") from None
    except ExportError as exc:
        raise CommandError(str(exc)) from None
    print(result.describe())
    return EXIT_OK
