"""Whole-book health benchmark: facts, scores, stored scores and risk signals.

    python benchmarks/bench_health.py --db /tmp/bench/book5000.sqlite3 [--runs 3]

Works on a temporary copy of the book (the original is never written). Each run times the
steps of ``csmdesk.services.health.recompute`` separately (gather the facts, score every
account, store the scores, evaluate the risk rules, write the Risk records) and then the
whole call. The first run on a fresh copy opens every risk the rules see (many inserts);
later runs only refresh them, which is the everyday case. Budget (issue #3): the whole-book
recompute under 2 s for 5,000 accounts with a year of weekly readings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

BUDGET_MS = 2000.0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 25))
    args = parser.parse_args()

    from csmdesk.services import health, signals
    from csmdesk.store import open_database

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "book.sqlite3"
        shutil.copyfile(args.db, copy)
        db = open_database(copy)
        on = args.today
        runs: list[dict[str, float]] = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            facts = health.gather_facts(db, on)
            t1 = time.perf_counter()
            scores = health.score_facts(facts, on, health.load_settings(db))
            t2 = time.perf_counter()
            health.store_scores(db, scores)
            t3 = time.perf_counter()
            notes = signals.recent_notes(db, on)
            fired = signals.evaluate_risks(facts, scores, notes, on, signals.load_settings(db))
            t4 = time.perf_counter()
            changes = signals.apply_risk_signals(db, on, fired, whole_book=True)
            t5 = time.perf_counter()
            health.recompute(db, on)
            t6 = time.perf_counter()
            runs.append(
                {
                    "gather_facts_ms": _ms(t1 - t0),
                    "score_ms": _ms(t2 - t1),
                    "store_ms": _ms(t3 - t2),
                    "evaluate_signals_ms": _ms(t4 - t3),
                    "write_risks_ms": _ms(t5 - t4),
                    "recompute_ms": _ms(t6 - t5),
                    "risks_opened": changes.opened,
                    "risks_updated": changes.updated,
                    "accounts": len(scores),
                }
            )
            print(json.dumps(runs[-1]), flush=True)
        db.close()
    steady = [r["recompute_ms"] for r in runs]
    median = statistics.median(steady)
    verdict = "within" if median < BUDGET_MS else "OVER"
    print(f"whole-book recompute median {median:.0f} ms ({verdict} the {BUDGET_MS:.0f} ms budget)")
    return 0 if median < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
