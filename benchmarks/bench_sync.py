"""CRM sync benchmark against the loopback fake HubSpot with its real burst limit.

    python benchmarks/bench_sync.py [--companies 5000] [--contacts 15000]

Seeds the fake (tests/crm/hubspot_fake.py, 100 requests per 10 s, search 5 per second) and
times, on a new book:

- the first sync: every company and contact, with their associations (requests counted);
- an incremental sync with nothing changed (requests per object type counted);
- an incremental sync after 50 companies changed;
- the window's event loop while a sync runs in the background (the SyncController): the
  longest gap between two turns of the loop, offscreen.

Budgets (issue #9): first sync of 5,000 companies and 15,000 contacts under 2 minutes;
nothing changed under 1 s with at most 3 requests per object type; no stall over 50 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crm.hubspot_fake import HubSpotFake


def measure_loop(path: Path) -> int:
    """The event loop of a window-less app while the SyncController syncs."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from csmdesk.gui.sync_ui import SyncController
    from csmdesk.services.sync import state
    from csmdesk.store import open_database

    app = QApplication([])
    db = open_database(path)
    state.set_connected(db, "hubspot", True, os.environ["CSMDESK_HUBSPOT_URL"])
    controller = SyncController(db)
    began = time.perf_counter()
    controller.sync_now()
    last, gaps, late = time.perf_counter(), [], []
    while controller.running:
        app.processEvents()
        now = time.perf_counter()
        gaps.append(now - last)
        if now - last > 0.050:
            late.append(f"{(now - began) * 1000:.0f}")
        last = now
        time.sleep(0.002)
    gaps.sort()
    p99 = gaps[int(len(gaps) * 0.99)] if gaps else 0.0
    over = sum(1 for g in gaps if g > 0.050)
    print(f"event loop during a 2,000-contact sync: longest gap {gaps[-1] * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms, {over} over 50 ms in {len(gaps):,} turns "
          f"({controller.last_message})")  # fmt: skip
    if late:
        print(f"  the long gaps ended at ms {', '.join(late)} after the start")
    db.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=5000)
    parser.add_argument("--contacts", type=int, default=15000)
    parser.add_argument("--loop", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loop:
        return measure_loop(args.loop)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["CSMDESK_DATA_DIR"] = str(tmp / "data")

    from csmdesk.crm.hubspot import HubSpotClient
    from csmdesk.services.sync.hubspot_sync import HubSpotSync
    from csmdesk.store import open_database

    fake = HubSpotFake().start()
    t = time.perf_counter()
    companies = fake.add_companies(args.companies, arr=lambda i: 1000 * (i % 300 + 1))
    fake.add_contacts(args.contacts, companies=companies)
    print(f"seeded {args.companies:,} companies, {args.contacts:,} contacts in "
          f"{time.perf_counter() - t:.1f} s")  # fmt: skip
    db = open_database(tmp / "book.sqlite3")

    def run(label: str) -> None:
        fake.reset_log()
        start = time.perf_counter()
        with HubSpotClient(fake.token, fake.base_url) as client:
            result = HubSpotSync(db, client).run()
        took = time.perf_counter() - start
        counts = fake.counts()
        per_type = {
            kind: sum(n for key, n in counts.items() if f"/{kind}" in key)
            for kind in ("companies", "contacts")
        }
        print(f"{label:<28} {took:7.2f} s  {result.requests:5,} requests "
              f"(companies {per_type['companies']}, contacts {per_type['contacts']})  "
              f"pulled {result.pulled:,}  status {result.status}")  # fmt: skip

    run("first sync")
    time.sleep(10)  # the first sync's requests leave HubSpot's 10-second burst window
    run("nothing changed")
    fake.clock.advance(5)
    fake.touch("companies", *fake.objects("companies")[:50], industry="Aerospace")
    run("50 companies changed")

    # The event loop while a sync runs in the background, in a process of its own (as the app
    # is: the fake server's threads would otherwise compete for this interpreter's lock).
    import subprocess

    fake.clock.advance(5)
    fake.touch("contacts", *fake.objects("contacts")[:2000], jobtitle="Director")
    time.sleep(10)
    db.close()
    env = {**os.environ, "CSMDESK_HUBSPOT_URL": fake.base_url,
           "CSMDESK_HUBSPOT_TOKEN": fake.token}  # fmt: skip
    out = subprocess.run(
        [sys.executable, __file__, "--loop", str(tmp / "book.sqlite3")],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    print(out.stdout.strip() or out.stderr.strip())
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
