"""``csmdesk sync hubspot|salesforce`` and ``csmdesk sync status``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from csmdesk.cli import EXIT_OK, EXIT_USER_ERROR, CommandError, new_command
from csmdesk.store import Database

EXIT_CONFLICTS = 3


def register(sub: Any) -> None:
    parser = new_command(
        sub,
        "sync",
        "sync with a CRM (HubSpot or Salesforce), or show the sync status",
        "Pull accounts and contacts from a CRM and push what changed here (edits, new "
        "contacts, notes and touchpoints). The token comes from CSMDESK_HUBSPOT_TOKEN (and "
        "CSMDESK_HUBSPOT_URL), CSMDESK_SALESFORCE_TOKEN and CSMDESK_SALESFORCE_URL, or the OS "
        "keyring. Exit 0 on success, 1 on a user or "
        "connection error, 3 when conflicts wait for you.",
    )
    parser.add_argument("target", choices=("hubspot", "salesforce", "status"), metavar="TARGET",
                        help="hubspot, salesforce, or status")  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="fetch and compare, write nothing")
    parser.add_argument("--full", action="store_true", help="page through everything again")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=PROPERTY",
        help="map a field to a CRM property (e.g. arr=annual_recurring_revenue); repeatable",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=cmd_sync)


def cmd_sync(db: Database, args: argparse.Namespace) -> int:
    if args.target == "status":
        return _status(db, args)
    from csmdesk.crm.errors import CrmError
    from csmdesk.services.sync import credentials, state
    from csmdesk.services.sync.mapping import MappingError

    provider = args.target
    with db.session() as s:
        stored_url = state.get(s, provider, "url")
    try:
        conn = credentials.connection(provider, stored_url)
    except credentials.NotConnected as exc:
        raise CommandError(str(exc)) from None
    if not conn.url:
        raise CommandError(
            "Set CSMDESK_SALESFORCE_URL to your instance (https://….my.salesforce.com)."
        )
    try:
        if provider == "hubspot":
            from csmdesk.crm.hubspot import HubSpotClient
            from csmdesk.services.sync.hubspot_sync import HubSpotSync as Engine

            client: Any = HubSpotClient(conn.token, conn.url)
        else:
            from csmdesk.crm.salesforce import SalesforceClient
            from csmdesk.services.sync.salesforce_sync import SalesforceSync as Engine

            client = SalesforceClient(conn.token, conn.url)
    except ValueError as exc:
        raise CommandError(str(exc)) from None

    def progress(line: str) -> bool:
        if not args.json:
            print(f"  {line}", file=sys.stderr)
        return True

    with client:
        try:
            result = Engine(
                db, client, full=args.full, dry_run=args.dry_run, overrides=args.map,
                progress=progress,
            ).run()  # fmt: skip
        except (MappingError, CrmError) as exc:
            raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps({
            "status": result.status, "pulled": result.pulled, "pushed": result.pushed,
            "conflicts": result.conflicts, "failed": result.failed,
            "requests": result.requests, "message": result.message,
        }))  # fmt: skip
    else:
        name = credentials.NAMES[provider]
        print(
            f"{name}{' (dry run)' if args.dry_run else ''}: {result.pulled:,} pulled, "
            f"{result.pushed:,} pushed, {result.conflicts:,} conflicts, "
            f"{result.failed:,} failed, {result.requests:,} requests"
        )
    if result.status == "failed":
        print(result.message, file=sys.stderr)
        return EXIT_USER_ERROR
    if result.conflicts:
        if not args.json:
            print("Conflicts wait for you: open Sync ▸ Conflicts in the app.", file=sys.stderr)
        return EXIT_CONFLICTS
    return EXIT_OK


def _status(db: Database, args: argparse.Namespace) -> int:
    from csmdesk.services.sync import state

    found = [state.status(db, p) for p in ("hubspot", "salesforce")]
    if args.json:
        print(json.dumps([
            {"provider": s.provider, "connected": s.connected, "pending": s.pending,
             "conflicts": s.conflicts, "last_run": s.last_run,
             "last_success": s.last_success.isoformat() if s.last_success else None}
            for s in found
        ]))  # fmt: skip
        return EXIT_OK
    for st in found:
        last = st.last_run
        run = (
            f"last run {last['started_at'][:16].replace('T', ' ')} {last['status']}"
            f" ({last['pulled']} pulled, {last['pushed']} pushed)"
            if last
            else "never synced"
        )
        print(
            f"{st.provider:<10} {'connected' if st.connected else 'not connected':<14} "
            f"{st.pending:,} pending · {st.conflicts:,} conflicts · {run}"
        )
    return EXIT_OK
