"""Today benchmark: compute the whole book's Today queue.

    python benchmarks/bench_today.py --db /tmp/bench/book5000b.sqlite3 [--runs 10]

Works on a temporary copy of the book (opening a book migrates it in place, so the original is
never opened). Each run times ``csmdesk.services.today.compute_today`` end to end (the queries,
every source, the snoozes and the ordering), after one warm-up run, and splits the median into
reading the book and building the queue; then times the Today page's refresh (the same, plus the
currencies and the table model reset) and one "done" keystroke (offscreen). Budget (issue #4):
under 200 ms for 5,000 accounts.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

BUDGET_MS = 200.0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 25))
    args = parser.parse_args()

    from csmdesk.services import rhythm, today
    from csmdesk.store import open_database

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "book.sqlite3"
        shutil.copyfile(args.db, copy)
        db = open_database(copy)
        try:
            on = args.today
            settings = rhythm.load_settings(db)
            queue = today.compute_today(db, on)  # warm-up: caches, first connection
            totals: list[float] = []
            reads: list[float] = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                queue = today.compute_today(db, on)
                t1 = time.perf_counter()
                totals.append(t1 - t0)
                t2 = time.perf_counter()
                today.load_book(db, on, settings=settings)
                reads.append(time.perf_counter() - t2)
            accounts = len(today.load_book(db, on, settings=settings).accounts)
            page_ms, done_ms = _time_page(db, on, args.runs)
        finally:
            db.close()
    median = _ms(statistics.median(totals))
    read = _ms(statistics.median(reads))
    counts = ", ".join(f"{k} {v}" for k, v in queue.counts.items())
    print(f"book: {args.db} ({accounts} active accounts), today {on.isoformat()}")
    print(f"items: {len(queue.items)} ({counts})")
    print(
        f"compute_today over {args.runs} runs: median {median} ms "
        f"(read the book {read} ms, sources + order {round(median - read, 1)} ms), "
        f"min {_ms(min(totals))} ms, max {_ms(max(totals))} ms; budget {BUDGET_MS:.0f} ms"
    )
    print(
        f"Today page refresh: median {page_ms} ms; a 'done' keystroke (write + row out): "
        f"median {done_ms} ms"
    )
    return 0 if median < BUDGET_MS else 1


def _time_page(db: object, on: date, runs: int) -> tuple[float, float]:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from csmdesk.gui.today_page import TodayPage

    app = QApplication.instance() or QApplication([])
    page = TodayPage(db, on)  # type: ignore[arg-type]
    page.resize(1200, 800)
    page.show()
    app.processEvents()
    refreshes: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        page.refresh()
        refreshes.append(time.perf_counter() - t0)
    dones: list[float] = []
    for _ in range(min(runs, page.model.rowCount())):
        page.table.selectRow(0)
        t0 = time.perf_counter()
        QTest.keyClick(page.table, Qt.Key.Key_D)
        dones.append(time.perf_counter() - t0)
    page.undo_stack.clear()
    page.close()
    return _ms(statistics.median(refreshes)), _ms(statistics.median(dones)) if dones else 0.0


if __name__ == "__main__":
    sys.exit(main())
