"""``csmdesk backup`` and ``csmdesk restore``: safe while the window is open, never lossy."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from csmdesk.cli import EXIT_OK, CommandError, new_command


def register(sub: Any) -> None:
    backup = new_command(
        sub,
        "backup",
        "copy the database to a backup file (safe while the window is open)",
        "Copy the database with SQLite's online backup API, check the copy, and print where "
        "it went. Without --out the copy goes to the backups folder in the data dir, where "
        "the daily backups are kept.",
    )
    backup.add_argument(
        "--out",
        metavar="PATH",
        help="file to write, or an existing folder (or one ending in /) for a timestamped file",
    )
    backup.set_defaults(handler=cmd_backup, takes_path=True)

    restore = new_command(
        sub,
        "restore",
        "replace the database with a backup (the current one is kept aside)",
        "Check FILE, keep the current database beside it as <name>.before-restore-<time>, "
        "then put the backup in its place. Refused while a CSM Desk window has the database "
        "open; use Restore… in that window instead.",
    )
    restore.add_argument("file", metavar="FILE", help="a backup made by CSM Desk")
    restore.set_defaults(handler=cmd_restore, takes_path=True)


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


def cmd_backup(db_path: Path, args: argparse.Namespace) -> int:
    from csmdesk.services.backup import backup_now

    out: Path | None = None
    if args.out:
        out = Path(args.out).expanduser()
        if args.out.endswith(("/", os.sep)):
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CommandError(f"cannot create the folder {out}: {exc.strerror}") from exc
    target = backup_now(db_path, out)
    print(f"Backed up {db_path}")
    print(f"to {target} ({_size(target.stat().st_size)})")
    return EXIT_OK


def cmd_restore(db_path: Path, args: argparse.Namespace) -> int:
    from csmdesk.services.backup import check_backup_file, restore

    file = Path(args.file).expanduser()
    info = check_backup_file(file)
    aside = restore(db_path, file)
    when = info.created_at.strftime("%Y-%m-%d %H:%M")
    print(f"Restored {db_path}")
    print(f"from {file} ({when}, {info.accounts:,} accounts, schema {info.revision})")
    if aside is not None:
        print(f"The previous database was kept as {aside}")
    else:
        print("There was no database there before.")
    if info.needs_upgrade:
        print("It will be upgraded to the current schema when next opened.")
    return EXIT_OK
