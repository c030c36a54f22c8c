"""Connecting a CRM: test a token (who it reaches, what it may not do, how fast), keep it in the
keyring, and forget it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from csmdesk.services.sync import credentials, state
from csmdesk.store import Database

# What a sync of companies, contacts, deals, owners and notes needs of a HubSpot private app.
HUBSPOT_SCOPES = (
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.deals.read",
    "crm.objects.owners.read",
    "crm.schemas.companies.read",
    "crm.schemas.contacts.read",
)


@dataclass(frozen=True)
class Check:
    ok: bool
    portal: str  # "portal 24681357 (app.hubspot.com, US/Eastern)"
    scopes: tuple[str, ...]
    missing: tuple[str, ...]
    round_trip_ms: float
    message: str


def check_hubspot(client: Any) -> Check:
    """Ask HubSpot who the token belongs to and what it may do; never raises for a refusal."""
    from csmdesk.crm.errors import CrmError

    start = time.perf_counter()
    try:
        details = client.account_details()
        round_trip = (time.perf_counter() - start) * 1000
        info = client.token_info()
    except CrmError as exc:
        return Check(False, "", (), tuple(getattr(exc, "missing_scopes", ()) or ()),
                     (time.perf_counter() - start) * 1000, str(exc))  # fmt: skip
    scopes = tuple(sorted(str(x) for x in info.get("scopes", ())))
    missing = tuple(x for x in HUBSPOT_SCOPES if x not in scopes)
    where = ", ".join(str(v) for v in (details.get("uiDomain"), details.get("timeZone")) if v)
    portal = f"portal {details.get('portalId')}" + (f" ({where})" if where else "")
    if missing:
        message = f"Connected to {portal}, but the app lacks: {', '.join(missing)}."
    else:
        message = f"Connected to {portal} in {round_trip:.0f} ms."
    return Check(not missing, portal, scopes, missing, round_trip, message)


def connect_hubspot(db: Database, token: str, url: str | None = None) -> Check:
    """Test ``token`` and, when it works, keep it in the keyring and mark HubSpot connected.
    Raises :class:`credentials.NoKeyring` (nothing kept) where there is no keyring."""
    from csmdesk.crm.hubspot import HubSpotClient

    base = (url or credentials.DEFAULT_URL["hubspot"]).rstrip("/")
    with HubSpotClient(token, base) as client:
        check = check_hubspot(client)
    if check.ok or (check.portal and check.missing):
        credentials.store_token("hubspot", token)
        state.set_connected(db, "hubspot", True, base)
    return check


def disconnect(db: Database, provider: str) -> None:
    """Forget the token; the book keeps its links, so reconnecting resumes where it stopped."""
    credentials.forget_token(provider)
    state.set_connected(db, provider, False)
