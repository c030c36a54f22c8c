"""Health tab benchmark: first open (Matplotlib import included) and moving between accounts.

    python benchmarks/bench_health_tab.py --db /tmp/bench/book5000.sqlite3 [--switches 30]

Works on a temporary copy of the book (opening a book may migrate it). Builds the main window
offscreen with a temporary CSMDESK_DATA_DIR and settings, waits for any start-up rescore, then
times, each until QApplication.processEvents() returns:

- the first switch to the Health tab (loads the account's year of health, imports Matplotlib,
  builds the four charts and draws them);
- moving to another account with the Health tab showing (reload + re-plot), ``--switches``
  times over accounts spread through the book;
- the same moves with the Risks tab showing, and with the Overview tab (for comparison).

Budget (issue #3): opening the Health tab under 150 ms once Matplotlib is loaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BUDGET_MS = 150.0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--switches", type=int, default=30)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-health-tab-"))
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["CSMDESK_DATA_DIR"] = str(tmp / "data")
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
    copy = tmp / "book.sqlite3"
    shutil.copyfile(args.db, copy)

    from datetime import date

    from PySide6.QtWidgets import QApplication

    from csmdesk.gui.app import make_app
    from csmdesk.gui.main_window import MainWindow
    from csmdesk.store import open_database

    app = make_app()  # kept alive for the whole run
    assert app is not None
    db = open_database(copy)
    window = MainWindow(db, today=date(2026, 11, 25))
    window.resize(1360, 820)
    window.show()
    QApplication.processEvents()
    deadline = time.monotonic() + 60
    while window.recompute.running and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    QApplication.processEvents()

    ids = [r.id for r in window.model.rows() if not r.archived and r.health is not None]
    step = max(1, len(ids) // (args.switches + 1))
    chosen = ids[::step][: args.switches + 1]
    window.book.select_id(chosen[0])
    QApplication.processEvents()

    detail = window.detail
    was_loaded = "matplotlib" in sys.modules
    t0 = time.perf_counter()
    detail.tabs.setCurrentWidget(detail.health_tab)
    QApplication.processEvents()
    first_open = time.perf_counter() - t0

    def moves(tab: object) -> list[float]:
        detail.tabs.setCurrentWidget(tab)  # type: ignore[arg-type]
        QApplication.processEvents()
        out = []
        for account_id in chosen[1:]:
            t = time.perf_counter()
            window.book.select_id(account_id)
            QApplication.processEvents()
            out.append(time.perf_counter() - t)
        return out

    health = moves(detail.health_tab)
    risks = moves(detail.risks_tab)
    overview = moves(detail.tabs.widget(0))
    # Reopening the Health tab once Matplotlib is loaded: from Overview to Health.
    reopen = []
    for account_id in chosen[1:11]:
        detail.tabs.setCurrentIndex(0)
        window.book.select_id(account_id)
        QApplication.processEvents()
        t = time.perf_counter()
        detail.tabs.setCurrentWidget(detail.health_tab)
        QApplication.processEvents()
        reopen.append(time.perf_counter() - t)

    def line(name: str, values: list[float]) -> str:
        ms = sorted(_ms(v) for v in values)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        median = statistics.median(ms)
        return f"{name:<34} median {median:7.1f} ms   p95 {p95:7.1f}   max {ms[-1]:7.1f}"

    print(f"first Health tab open (Matplotlib {'already' if was_loaded else 'not yet'} loaded): "
          f"{_ms(first_open)} ms")  # fmt: skip
    print(line("open Health tab (Matplotlib loaded)", reopen))
    print(line("next account, Health tab showing", health))
    print(line("next account, Risks tab showing", risks))
    print(line("next account, Overview showing", overview))
    window.close()
    db.close()
    shutil.rmtree(tmp, ignore_errors=True)
    worst = statistics.median(reopen)
    print(f"verdict: {'within' if worst < BUDGET_MS else 'OVER'} the {BUDGET_MS:.0f} ms budget")
    return 0 if worst < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
