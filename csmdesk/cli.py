"""Subcommands of ``csmdesk`` for scripts and power users (no Qt is imported here).

Exit codes: 0 success, 1 a user error (with a message on stderr), 2 data refused
(a database from a newer CSM Desk, a file that is not a CSM Desk database, a damaged file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from csmdesk.domain.money import format_money
from csmdesk.store import Database, DatabaseProblem, open_database

EXIT_OK, EXIT_USER_ERROR, EXIT_REFUSED = 0, 1, 2


def add_db_options(parser: argparse.ArgumentParser, *, in_subcommand: bool) -> None:
    """``--db``/``--demo`` work before or after the subcommand name."""
    default = argparse.SUPPRESS if in_subcommand else None
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=default,
        help="database file to use (default: CSMDESK_DB, else the user data dir)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS if in_subcommand else False,
        help="use the demo book (a separate database, created on first use)",
    )


def open_for_command(db_path: Path, *, demo: bool = False) -> Database:
    """Open the book for a subcommand; problems go to stderr and become the exit code."""
    try:
        db = open_database(db_path)
    except DatabaseProblem as exc:
        print(f"csmdesk: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    if demo:
        from csmdesk.services.demo import NotADemoBookError, ensure_demo_book

        try:
            ensure_demo_book(db)
        except NotADemoBookError as exc:
            db.close()
            print(f"csmdesk: {exc}", file=sys.stderr)
            raise SystemExit(EXIT_REFUSED) from None
    return db


def cmd_stats(db: Database, args: argparse.Namespace) -> int:
    from csmdesk.services.stats import book_stats

    stats = book_stats(db)
    if args.json:
        print(json.dumps(stats.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    rows = [
        ("Database", stats.path),
        ("Schema", stats.schema),
        ("Size", f"{stats.size_bytes / 1_000_000:.1f} MB"),
        ("Accounts", f"{stats.accounts:,} (+{stats.archived_accounts:,} archived)"),
        ("Contacts", f"{stats.contacts:,}"),
        ("Milestones", f"{stats.milestones:,}"),
        ("Touchpoints", f"{stats.touchpoints:,}"),
        ("Notes", f"{stats.notes:,}"),
        ("Action items", f"{stats.action_items:,}"),
        ("Health readings", f"{stats.health_readings:,}"),
        ("Open risks", f"{stats.open_risks:,}"),
        ("Opportunities", f"{stats.opportunities:,}"),
        ("ARR events", f"{stats.arr_events:,}"),
    ]
    for currency, total in stats.arr_by_currency.items():
        rows.append((f"ARR ({currency})", format_money(total, currency)))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return EXIT_OK


Command = Callable[[Database, argparse.Namespace], int]


def add_subcommands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    stats = sub.add_parser(
        "stats", help="count what is in the book", description="Count what is in the book."
    )
    add_db_options(stats, in_subcommand=True)
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(handler=cmd_stats)


def run_command(args: argparse.Namespace, db_path: Path) -> int:
    handler: Command = args.handler
    db = open_for_command(db_path, demo=bool(getattr(args, "demo", False)))
    try:
        return handler(db, args)
    finally:
        db.close()
