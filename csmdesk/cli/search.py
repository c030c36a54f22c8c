"""``csmdesk search QUERY``: accounts, contacts and notes that match every word."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from csmdesk.cli import EXIT_OK, new_command
from csmdesk.store import Database


def register(sub: Any) -> None:
    parser = new_command(
        sub,
        "search",
        "find accounts, contacts and notes",
        "Find accounts (name, domain, tags), contacts (name, email) and notes (full text) that "
        "match every word of QUERY. Any text is a valid query.",
    )
    parser.add_argument("query", nargs="+", metavar="QUERY")
    parser.add_argument("--limit", type=int, default=20, help="results per kind (default: 20)")
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.set_defaults(handler=cmd_search)


def cmd_search(db: Database, args: argparse.Namespace) -> int:
    from csmdesk.services.search import MARK_END, MARK_START, search

    hits = search(db, " ".join(args.query), limit=max(1, args.limit))
    if args.json:
        for_json = [
            {**h.as_dict(), "snippet": h.snippet.replace(MARK_START, "").replace(MARK_END, "")}
            for h in hits
        ]
        print(json.dumps(for_json, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not hits:
        print("No results.", file=sys.stderr)
        return EXIT_OK
    bold = sys.stdout.isatty()
    start, end = ("\x1b[1m", "\x1b[0m") if bold else ("[", "]")
    for hit in hits:
        snippet = " ".join(hit.snippet.split()).replace(MARK_START, start).replace(MARK_END, end)
        where = f"{hit.when}  {hit.account_name}" if hit.kind == "note" else hit.account_name
        head = f"{hit.kind:<8} {where}"
        if hit.kind != "account":
            head += f" — {hit.title}"
        print(head + (f": {snippet}" if snippet else ""))
    return EXIT_OK
