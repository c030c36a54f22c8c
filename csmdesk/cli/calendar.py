"""``csmdesk calendar``: upcoming touchpoints, reviews, milestones and renewals as an .ics file."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from csmdesk.cli import EXIT_OK, CommandError, new_command
from csmdesk.store import Database

_DESCRIPTION = """\
Write the book's upcoming dates to an iCalendar (.ics) file for Google Calendar, Outlook or
Apple Calendar: the next check-in due by cadence, the next QBR/EBR, open onboarding milestones,
and the day each renewal window opens and the renewal date itself. Overdue work is dated today.
Events keep their identity between exports, so importing a newer file updates them instead of
adding copies.
"""


def register(sub: Any) -> None:
    parser = new_command(sub, "calendar", "export upcoming dates to an iCalendar (.ics) file")
    parser.description = _DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--out", metavar="FILE.ics", help="file to write (required)")
    parser.add_argument(
        "--days",
        metavar="N",
        type=int,
        default=None,
        help="how many days ahead, from today (default: 90)",
    )
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.set_defaults(handler=cmd_calendar)


def cmd_calendar(db: Database, args: argparse.Namespace) -> int:
    from csmdesk.services.calendar import (
        DEFAULT_DAYS,
        MAX_DAYS,
        CalendarError,
        CalendarTargetExistsError,
        write_calendar,
    )

    if not args.out:
        raise CommandError("--out FILE.ics is required: where to write the calendar.")
    days = DEFAULT_DAYS if args.days is None else args.days
    if not 0 <= days <= MAX_DAYS:
        raise CommandError(f"--days must be from 0 to {MAX_DAYS} (not {days}).")
    try:
        result = write_calendar(db, Path(args.out), date.today(), days=days, overwrite=args.force)
    except CalendarTargetExistsError as exc:
        raise CommandError(f"{exc} Pass --force to replace it, or choose another --out.") from None
    except CalendarError as exc:
        raise CommandError(str(exc)) from None
    print(result.describe())
    return EXIT_OK
