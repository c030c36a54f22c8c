"""Build a large demo book for the benchmarks.

    python benchmarks/make_book.py --accounts 5000 --db /tmp/bench/book5000.sqlite3

Contacts, notes, milestones and health readings scale with the number of accounts
(about 4.8 contacts, 3.5 notes and up to ``weeks + 1`` weekly readings each), all
written through the services by ``build_demo_book`` in one transaction. Measured
on a 2-core machine: 5,000 accounts with 52 weeks take about two minutes, so the
default stays at 52 weeks.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from csmdesk.services.demo import DEMO_SEED, build_demo_book
from csmdesk.store import open_database

TODAY = date(2026, 11, 25)  # fixed anchor: the same arguments always give the same book


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, required=True, help="number of accounts")
    parser.add_argument("--db", type=Path, required=True, help="database file to create")
    parser.add_argument(
        "--weeks", type=int, default=52, help="weeks of health readings per account (default: 52)"
    )
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed")
    parser.add_argument(
        "--force",
        action="store_true",
        help="delete an existing non-empty file (and its -wal/-shm) first",
    )
    args = parser.parse_args(argv)

    path: Path = args.db
    if path.exists() and path.stat().st_size > 0:
        if not args.force:
            print(f"{path} exists and is not empty; pass --force to replace it.", file=sys.stderr)
            return 1
        for extra in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            extra.unlink(missing_ok=True)

    start = time.perf_counter()
    db = open_database(path)
    try:
        summary = build_demo_book(
            db, accounts=args.accounts, seed=args.seed, today=TODAY, weeks=args.weeks
        )
    finally:
        db.close()
    elapsed = time.perf_counter() - start
    print(
        f"accounts={summary.accounts} contacts={summary.contacts} notes={summary.notes} "
        f"readings={summary.readings} weeks={args.weeks}"
    )
    print(f"elapsed={elapsed:.1f}s size={path.stat().st_size / 1e6:.1f} MB path={path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
