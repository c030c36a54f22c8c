"""Time importing a large spreadsheet: reading, planning every row, and the one-transaction commit.

    python benchmarks/bench_import.py --rows 10000 [--db PATH]

Writes a realistic CSM tracking sheet (name, domain, segment, ARR, dates, champion, last QBR,
note) to a temporary file and imports it into a fresh database (or into a copy of ``--db``,
so matching runs against an existing book). Prints the time of each step.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from csmdesk.services import importing
from csmdesk.store import open_database


def write_sheet(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "Account",
                "Website",
                "Segment",
                "ARR",
                "Contract start",
                "Renewal",
                "Seats",
                "Owner",
                "Champion",
                "Champion email",
                "Last QBR",
                "Notes",
            ]
        )
        for i in range(rows):
            start = date(2024, 1, 1) + timedelta(days=rng.randint(0, 700))
            domain = f"customer{i}.example.com"
            out.writerow(
                [
                    f"Customer {i} {rng.choice(['Labs', 'Inc', 'GmbH', 'Group'])}",
                    f"https://www.{domain}/",
                    rng.choice(["SMB", "Mid-Market", "Enterprise"]),
                    f"${rng.randint(5, 900) * 1000:,}",
                    start.isoformat(),
                    (start + timedelta(days=365)).isoformat(),
                    rng.randint(5, 2000),
                    rng.choice(["Alex Morgan", "Sam Ortega", "Dana Whitfield"]),
                    f"Champ {i}",
                    f"champ{i}@{domain}",
                    (start + timedelta(days=90)).isoformat() if rng.random() < 0.6 else "",
                    rng.choice(["", "Asked about SSO", "Usage dipped after re-org"]),
                ]
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--db", type=Path, help="an existing book to import into (copied first)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="csmdesk-bench-import-"))
    sheet = work / "sheet.csv"
    write_sheet(sheet, args.rows)
    size_mb = sheet.stat().st_size / 1e6
    target = work / "book.sqlite3"
    if args.db:
        shutil.copy(args.db, target)
    db = open_database(target)
    try:
        t0 = time.perf_counter()
        table = importing.read_table(sheet)
        t1 = time.perf_counter()
        plan = importing.prepare(db, sheet)
        t2 = time.perf_counter()
        report = importing.commit_plan(db, plan)
        t3 = time.perf_counter()
        again = importing.prepare(db, sheet)
        t4 = time.perf_counter()
    finally:
        db.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"rows={len(table.rows)} size={size_mb:.1f} MB")
    print(
        f"read_ms={(t1 - t0) * 1000:.0f} read_and_plan_ms={(t2 - t1) * 1000:.0f} "
        f"commit_ms={(t3 - t2) * 1000:.0f} total_s={(t3 - t0):.2f}"
    )
    print(f"outcome: {report.summary()}")
    print(f"re-plan of the same file (all skipped): {(t4 - t3) * 1000:.0f} ms; {again.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
