"""``csmdesk stats``: what is in the book."""

from __future__ import annotations

import argparse
import json
from typing import Any

from csmdesk.cli import EXIT_OK, new_command
from csmdesk.store import Database


def register(sub: Any) -> None:
    parser = new_command(sub, "stats", "count what is in the book")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=cmd_stats)


def cmd_stats(db: Database, args: argparse.Namespace) -> int:
    from csmdesk.domain.money import format_money
    from csmdesk.services.stats import book_stats

    stats = book_stats(db)
    if args.json:
        print(json.dumps(stats.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    rows = [
        ("Database", stats.path),
        ("Schema", stats.schema),
        ("Size", f"{stats.size_bytes / 1_000_000:.1f} MB"),
        ("Accounts", f"{stats.accounts:,} (+{stats.archived_accounts:,} archived)"),
        ("Contacts", f"{stats.contacts:,}"),
        ("Milestones", f"{stats.milestones:,}"),
        ("Touchpoints", f"{stats.touchpoints:,}"),
        ("Notes", f"{stats.notes:,}"),
        ("Action items", f"{stats.action_items:,}"),
        ("Health readings", f"{stats.health_readings:,}"),
        ("Open risks", f"{stats.open_risks:,}"),
        ("Opportunities", f"{stats.opportunities:,}"),
        ("ARR events", f"{stats.arr_events:,}"),
    ]
    for currency, total in stats.arr_by_currency.items():
        rows.append((f"ARR ({currency})", format_money(total, currency)))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return EXIT_OK
