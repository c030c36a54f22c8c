"""Subcommands of ``csmdesk`` for scripts and power users (no Qt is imported here).

Exit codes: 0 success, 1 a user error (with a message on stderr), 2 data refused
(a database from a newer CSM Desk, a file that is not a CSM Desk database, a damaged file).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from csmdesk.store import Database, DatabaseProblem, open_database

EXIT_OK, EXIT_USER_ERROR, EXIT_REFUSED = 0, 1, 2


class CommandError(Exception):
    """A failure the user can act on: printed to stderr as ``csmdesk: <message>``."""

    def __init__(self, message: str, exit_code: int = EXIT_USER_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


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


Command = Callable[[Database, argparse.Namespace], int]
# Set ``takes_path=True`` in a parser's defaults to get the database file unopened
# (backup, restore): opening would create, migrate or refuse it first.
PathCommand = Callable[[Path, argparse.Namespace], int]


# One module per command group under csmdesk/cli/, each with ``register(subparsers)``.
# Modules import only argparse-level things at the top; real work is imported in handlers,
# so ``csmdesk --help`` and start-up of the window stay fast.
COMMAND_MODULES = (
    "stats",
    "importing",
    "exporting",
    "calendar",
    "backup",
    "search",
    "kpis",
    "sync",
)


def add_subcommands(parser: argparse.ArgumentParser) -> None:
    import importlib

    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"csmdesk.cli.{name}").register(sub)


def new_command(
    sub: Any, name: str, help_text: str, description: str = ""
) -> argparse.ArgumentParser:
    """A subcommand parser that accepts ``--db``/``--demo`` after its name too."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description=description or help_text
    )
    add_db_options(parser, in_subcommand=True)
    return parser


def run_command(args: argparse.Namespace, db_path: Path) -> int:
    takes_path = bool(getattr(args, "takes_path", False))
    db = None if takes_path else open_for_command(db_path, demo=bool(getattr(args, "demo", False)))
    try:
        return args.handler(db_path, args) if db is None else args.handler(db, args)
    except CommandError as exc:
        print(f"csmdesk: {exc}", file=sys.stderr)
        return exc.exit_code
    except DatabaseProblem as exc:
        print(f"csmdesk: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        if db is not None:
            db.close()
