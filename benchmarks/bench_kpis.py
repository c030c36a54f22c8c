"""The book's numbers benchmark: every KPI of a period, and the dashboard's set of ten periods.

    python benchmarks/bench_kpis.py --db /tmp/bench/book5000.sqlite3 [--events N] [--readings N]

Works on a temporary copy of the book. Tops its ARR history up to ``--events`` events
(movements spread over the last four years, ARR staying positive) and its health readings with
older weekly readings up to ``--readings``, then times, over ``--runs`` runs (median and worst):

- ``book_kpis``: one period (the trailing 12 months), from reading the book to every figure;
- ``dashboard``: the period, the one before it and the last eight quarters (what the page
  computes), from one read of the book.

Budget (issue #10): all KPIs for 5,000 accounts, 60,000 ARR events and 260,000 readings
under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

BUDGET_MS = 300.0
TODAY = date(2026, 11, 25)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def top_up(path: Path, events_target: int, readings_target: int) -> tuple[int, int]:
    """Add ARR events and older weekly readings until the book holds the targets; returns
    (events, readings). Shared with bench_dashboard.py."""
    conn = sqlite3.connect(path)
    have = conn.execute("SELECT COUNT(*) FROM arrevent").fetchone()[0]
    accounts = [
        (row[0], row[1], row[2])
        for row in conn.execute("SELECT id, arr_minor, currency FROM account WHERE arr_minor > 0")
    ]
    rng = random.Random(10)
    rows = []
    n = 0
    while have + len(rows) < events_target and accounts:
        account_id, arr, currency = accounts[n % len(accounts)]
        n += 1
        on = TODAY - timedelta(days=rng.randint(30, 1500))
        after = max(100_00, int(arr * rng.uniform(0.7, 1.3)))
        kind = "expansion" if after > arr else "contraction"
        rows.append((f"bench{n:08d}", account_id, on.isoformat(), kind, after, currency))
    conn.executemany(
        'INSERT INTO arrevent (uid, account_id, "on", kind, arr_after_minor, currency, implicit,'
        " comment, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, '', datetime('now'),"
        " datetime('now'))",
        rows,
    )
    # Readings: a week further back for every account in turn, before its earliest one.
    have = conn.execute("SELECT COUNT(*) FROM healthreading").fetchone()[0]
    earliest = {
        a: date.fromisoformat(d)
        for a, d in conn.execute('SELECT account_id, MIN("on") FROM healthreading GROUP BY 1')
    }
    readings = []
    ids = sorted(earliest)
    n = 0
    while have + len(readings) < readings_target and ids:
        account_id = ids[n % len(ids)]
        n += 1
        earliest[account_id] -= timedelta(days=7)
        readings.append(
            (f"benchr{n:08d}", account_id, earliest[account_id].isoformat(),
             rng.randint(1, 400), rng.randint(0, 2000), rng.randint(0, 12), rng.randint(0, 2))
        )  # fmt: skip
    conn.executemany(
        'INSERT INTO healthreading (uid, account_id, "on", active_users, logins, open_tickets,'
        " escalations, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, datetime('now'),"
        " datetime('now'))",
        readings,
    )
    conn.commit()
    events = conn.execute("SELECT COUNT(*) FROM arrevent").fetchone()[0]
    total = conn.execute("SELECT COUNT(*) FROM healthreading").fetchone()[0]
    conn.close()
    return events, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--readings", type=int, default=260_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-kpis-"))
    copy = tmp / "book.sqlite3"
    shutil.copyfile(args.db, copy)

    from csmdesk.domain.kpis import trailing_months
    from csmdesk.services import kpis
    from csmdesk.store import open_database

    db = open_database(copy)  # migrates first, if the copy is older
    db.close()
    events, readings = top_up(copy, args.events, args.readings)
    db = open_database(copy)
    accounts = db.engine.connect().exec_driver_sql("SELECT COUNT(*) FROM account").scalar()
    period = trailing_months(TODAY)

    def timed(fn: object) -> list[float]:
        out = []
        for _ in range(args.runs):
            start = time.perf_counter()
            fn()  # type: ignore[operator]
            out.append(time.perf_counter() - start)
        return out

    one = timed(lambda: kpis.book_kpis(db, period, today=TODAY))
    ten = timed(lambda: kpis.dashboard(db, period, today=TODAY))
    result = kpis.book_kpis(db, period, today=TODAY).as_json()
    db.close()
    shutil.rmtree(tmp, ignore_errors=True)

    print(f"book: {accounts:,} accounts, {events:,} ARR events, {readings:,} readings")
    print(f"figures: NRR {result['nrr']}%, GRR {result['grr']}%, NPS {result['nps']}")
    for label, times in (("book_kpis (one period)", one), ("dashboard (ten periods)", ten)):
        print(
            f"{label:<26} median {_ms(statistics.median(times)):>7} ms  "
            f"worst {_ms(max(times)):>7} ms"
        )
    verdict = statistics.median(one) * 1000 <= BUDGET_MS
    print(f"budget {BUDGET_MS:.0f} ms for one period: {'met' if verdict else 'MISSED'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
