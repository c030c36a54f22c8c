"""The ``csmdesk`` command: starts the window, or runs a subcommand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from csmdesk import APP_NAME, __version__


def build_parser() -> argparse.ArgumentParser:
    from csmdesk.cli import add_db_options, add_subcommands

    parser = argparse.ArgumentParser(
        prog="csmdesk",
        description=f"{APP_NAME}: the offline-first workbench for Customer Success Managers. "
        "Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_db_options(parser, in_subcommand=False)
    parser.add_argument(
        "--theme",
        choices=("system", "light", "dark"),
        help="colour scheme for this run (default: as set, else follow the system)",
    )
    parser.add_argument("--quit-after", type=int, metavar="MS", help=argparse.SUPPRESS)
    add_subcommands(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from csmdesk.logs import setup_logging
    from csmdesk.paths import resolve_db_path

    setup_logging()
    db_path = resolve_db_path(args.db, demo=args.demo)
    if args.command is not None:
        from csmdesk.cli import run_command

        try:
            return run_command(args, db_path)
        except BrokenPipeError:  # e.g. `csmdesk search x | head`: the reader has gone
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1

    from csmdesk.gui.app import run_gui

    return run_gui(db_path, demo=args.demo, theme=args.theme, quit_after_ms=args.quit_after)


if __name__ == "__main__":
    sys.exit(main())
