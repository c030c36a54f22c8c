"""A loopback fake of HubSpot's CRM API, for testing a HubSpot client without the network.

``HubSpotFake`` runs a standard-library ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) that
speaks the documented wire protocol of the endpoints a CRM sync needs:

* private-app auth (``Authorization: Bearer <token>``), scopes, token info and account details;
* CRM v3 objects (companies, contacts, deals, notes): list, get, create, update, archive,
  batch read/create/update/upsert/archive and search;
* v4 associations with HubSpot's own default association type ids;
* v3 properties and owners;
* the rate limits (ten-secondly rolling burst, per-second search limit, daily), with the
  ``X-HubSpot-RateLimit-*`` headers on every response and HubSpot's 429 body.

The test drives it from its own side, thread-safely: seed and inspect the data
(``add_companies``, ``touch``, ``archive``, ``objects``...), inject faults (5xx, dropped
connections before or after a write is applied, malformed JSON, a 429 storm, delays, a token
that expires at request *k*), and count what the client sent (``requests``, ``counts()``).

    with HubSpotFake() as fake:
        fake.add_companies(250)
        client = MyClient(base_url=fake.base_url, token=fake.token)
        ...
        assert fake.count("GET /crm/v3/objects/companies") == 3

Standard library only.
"""

from __future__ import annotations

import contextlib
import copy
import fnmatch
import json
import re
import socket
import threading
import time
import traceback
import uuid
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

__all__ = [
    "ASSOCIATION_TYPES",
    "DEFAULT_ASSOCIATION_TYPE_IDS",
    "DEFAULT_CUSTOM_PROPERTIES",
    "DEFAULT_PROPERTIES",
    "DEFAULT_SCOPES",
    "OBJECT_TYPES",
    "SEARCH_RESULT_CAP",
    "FakeClock",
    "HubSpotFake",
    "PropertyDef",
    "RecordedRequest",
    "iso_ms",
    "parse_time_ms",
]

OBJECT_TYPES = ("companies", "contacts", "deals", "notes")

_TYPE_ALIASES = {
    "companies": "companies",
    "company": "companies",
    "0-2": "companies",
    "contacts": "contacts",
    "contact": "contacts",
    "0-1": "contacts",
    "deals": "deals",
    "deal": "deals",
    "0-3": "deals",
    "notes": "notes",
    "note": "notes",
    "0-46": "notes",
}
_SINGULAR = {"companies": "company", "contacts": "contact", "deals": "deal", "notes": "note"}
_OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "notes": "0-46"}

# The properties every record carries and every read returns, whatever was asked for.
_CREATED_PROP = {
    "companies": "createdate",
    "contacts": "createdate",
    "deals": "createdate",
    "notes": "hs_createdate",
}
_MODIFIED_PROP = {
    "companies": "hs_lastmodifieddate",
    "contacts": "lastmodifieddate",
    "deals": "hs_lastmodifieddate",
    "notes": "hs_lastmodifieddate",
}
# What a read returns when no ``properties`` are asked for (HubSpot's documented defaults).
DEFAULT_PROPERTIES = {
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    "notes": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}
# Free-text ``query`` in a search looks in these.
_QUERY_PROPERTIES = {
    "companies": ("name", "domain", "website", "phone"),
    "contacts": ("firstname", "lastname", "email", "phone", "company"),
    "deals": ("dealname",),
    "notes": ("hs_note_body",),
}

# typeId -> (from type, to type, v3 association name, label). All HUBSPOT_DEFINED.
ASSOCIATION_TYPES: dict[int, tuple[str, str, str, str | None]] = {
    1: ("contacts", "companies", "contact_to_company", "Primary"),
    2: ("companies", "contacts", "company_to_contact", "Primary"),
    279: ("contacts", "companies", "contact_to_company_unlabeled", None),
    280: ("companies", "contacts", "company_to_contact_unlabeled", None),
    3: ("deals", "contacts", "deal_to_contact", None),
    4: ("contacts", "deals", "contact_to_deal", None),
    5: ("deals", "companies", "deal_to_company", "Primary"),
    6: ("companies", "deals", "company_to_deal", "Primary"),
    341: ("deals", "companies", "deal_to_company_unlabeled", None),
    342: ("companies", "deals", "company_to_deal_unlabeled", None),
    189: ("companies", "notes", "company_to_note", None),
    190: ("notes", "companies", "note_to_company", None),
    201: ("contacts", "notes", "contact_to_note", None),
    202: ("notes", "contacts", "note_to_contact", None),
    213: ("deals", "notes", "deal_to_note", None),
    214: ("notes", "deals", "note_to_deal", None),
}
_REVERSE_TYPE = {
    1: 2,
    2: 1,
    279: 280,
    280: 279,
    3: 4,
    4: 3,
    5: 6,
    6: 5,
    341: 342,
    342: 341,
    189: 190,
    190: 189,
    201: 202,
    202: 201,
    213: 214,
    214: 213,
}
# The unlabeled ("default") association between two object types.
DEFAULT_ASSOCIATION_TYPE_IDS: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("notes", "companies"): 190,
    ("companies", "notes"): 189,
    ("notes", "contacts"): 202,
    ("contacts", "notes"): 201,
    ("notes", "deals"): 214,
    ("deals", "notes"): 213,
}
# HubSpot makes the first company a contact (or deal) is associated with its primary one.
_PRIMARY_FOR_DEFAULT = {279: 1, 341: 5}

DEFAULT_SCOPES = frozenset(
    {
        "oauth",
        "crm.objects.companies.read",
        "crm.objects.companies.write",
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "crm.objects.deals.read",
        "crm.objects.deals.write",
        "crm.objects.owners.read",
        "crm.schemas.companies.read",
        "crm.schemas.contacts.read",
        "crm.schemas.deals.read",
    }
)

SEARCH_RESULT_CAP = 10_000
_MAX_BATCH = 100
_MAX_ASSOCIATION_BATCH = 1000
_MAX_SEARCH_LIMIT = 200
_MAX_LIST_LIMIT = 100
_MAX_ASSOCIATION_PAGE = 500
_MAX_FILTER_GROUPS = 5
_MAX_FILTERS_PER_GROUP = 10
_MAX_FILTERS = 25

_JSON = "application/json;charset=utf-8"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_UNICODE_COMPANY_NAMES = (
    "Zürich Präzision AG",
    "Société Générale d'Essai",
    "Ørsted & Søn ApS",
    "北京测试科技有限公司",
    "株式会社テスト",
    "Café ☕ Coopérative",
    "São Paulo Comércio Ltda",
    "Łódź Kraków Sp. z o.o.",
    "Müller–Lüdenscheidt GmbH",
    "Rocket 🚀 Labs",
)
_UNICODE_FIRST_NAMES = ("José", "Zoë", "Søren", "Łukasz", "François", "明", "Ngozi", "Björk")
_UNICODE_LAST_NAMES = ("Núñez", "Brontë", "Kierkegård", "Wałęsa", "Dvořák", "王", "Öztürk")


# --------------------------------------------------------------------------------------------
# Time


def iso_ms(ms: int) -> str:
    """HubSpot's timestamp format: ISO-8601 UTC with milliseconds, e.g. 2026-01-02T03:04:05.678Z."""
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def parse_time_ms(value: Any) -> int | None:
    """Milliseconds since the epoch from ms-epoch (number or digits), ISO date-time or date."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        return None
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _to_ms(when: datetime | date | int | float | str) -> int:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return (when - EPOCH) // timedelta(milliseconds=1)
    if isinstance(when, date):
        return (datetime(when.year, when.month, when.day, tzinfo=UTC) - EPOCH) // timedelta(
            milliseconds=1
        )
    ms = parse_time_ms(when)
    if ms is None:
        raise ValueError(f"not a time: {when!r}")
    return ms


class FakeClock:
    """The fake's clock: real time (optionally) plus what the test advanced it by.

    ``tick()`` hands out write timestamps that strictly increase, even for writes within the
    same millisecond, so a "modified since" sync never sees two writes at one instant.
    """

    def __init__(self, start: datetime | date | int | str | None = None, real_time: bool = True):
        self._lock = threading.Lock()
        self._start_ms = _to_ms(start) if start is not None else int(time.time() * 1000)
        self._started = time.monotonic()
        self._real_time = real_time
        self._offset_ms = 0
        self._last_ms = self._start_ms - 1

    def _now_locked(self) -> int:
        elapsed = int((time.monotonic() - self._started) * 1000) if self._real_time else 0
        return max(self._start_ms + elapsed + self._offset_ms, self._last_ms)

    def now_ms(self) -> int:
        with self._lock:
            return self._now_locked()

    def now(self) -> datetime:
        return EPOCH + timedelta(milliseconds=self.now_ms())

    def tick(self) -> int:
        """A timestamp for a write: now, or one ms after the previous write if that is later."""
        with self._lock:
            stamp = max(self._now_locked(), self._last_ms + 1)
            self._last_ms = stamp
            return stamp

    def advance(self, seconds: float = 0, *, ms: int = 0) -> int:
        """Move the clock forward; returns the new now (ms)."""
        delta = int(seconds * 1000) + ms
        if delta < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset_ms += delta
            return self._now_locked()

    def set(self, when: datetime | date | int | str) -> int:
        """Jump forward to ``when`` (never backwards: timestamps stay monotonic)."""
        target = _to_ms(when)
        with self._lock:
            current = self._now_locked()
            if target < current:
                raise ValueError("the clock only moves forward")
            self._offset_ms += target - current
            return self._now_locked()


# --------------------------------------------------------------------------------------------
# Properties


@dataclass
class PropertyDef:
    """One property of an object type, as ``GET /crm/v3/properties/{type}`` describes it."""

    name: str
    label: str
    type: str = "string"  # string, number, date, datetime, enumeration, bool, phone_number
    field_type: str = "text"
    group: str = ""
    description: str = ""
    options: list[dict[str, Any]] | None = None
    unique: bool = False
    hubspot_defined: bool = True
    read_only: bool = False
    calculated: bool = False
    validate_options: bool = True
    display_order: int = -1

    def to_json(self, stamp: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "updatedAt": stamp,
            "createdAt": stamp,
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group,
            "options": copy.deepcopy(self.options or []),
            "displayOrder": self.display_order,
            "calculated": self.calculated,
            "externalOptions": False,
            "hasUniqueValue": self.unique,
            "hidden": False,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only,
            },
            "formField": not self.read_only,
        }
        if self.hubspot_defined:
            out["hubspotDefined"] = True
        return out


def _options(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [
        {"label": label, "value": value, "displayOrder": i, "hidden": False}
        for i, (value, label) in enumerate(pairs)
    ]


_LIFECYCLE = _options(
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
)
_DEAL_STAGES = _options(
    ("appointmentscheduled", "Appointment Scheduled"),
    ("qualifiedtobuy", "Qualified To Buy"),
    ("presentationscheduled", "Presentation Scheduled"),
    ("decisionmakerboughtin", "Decision Maker Bought-In"),
    ("contractsent", "Contract Sent"),
    ("closedwon", "Closed Won"),
    ("closedlost", "Closed Lost"),
)


def _standard_properties() -> dict[str, dict[str, PropertyDef]]:
    def ro(name: str, label: str, type_: str, field_type: str, group: str) -> PropertyDef:
        return PropertyDef(name, label, type_, field_type, group, read_only=True)

    def group_of(object_type: str) -> str:
        return {
            "companies": "companyinformation",
            "contacts": "contactinformation",
            "deals": "dealinformation",
            "notes": "engagement",
        }[object_type]

    out: dict[str, dict[str, PropertyDef]] = {}
    for object_type in OBJECT_TYPES:
        group = group_of(object_type)
        common = [
            PropertyDef(
                _CREATED_PROP[object_type],
                "Create Date" if object_type != "notes" else "Created at",
                "datetime",
                "date",
                group,
            ),
            ro(_MODIFIED_PROP[object_type], "Last Modified Date", "datetime", "date", group),
            ro("hs_object_id", "Record ID", "number", "number", group),
            PropertyDef(
                "hubspot_owner_id",
                "Owner",
                "enumeration",
                "select",
                group,
                validate_options=False,
            ),
        ]
        out[object_type] = {p.name: p for p in common}
    g = "companyinformation"
    for prop in (
        PropertyDef("name", "Company name", "string", "text", g),
        PropertyDef("domain", "Company Domain Name", "string", "text", g),
        PropertyDef("website", "Website URL", "string", "text", g),
        PropertyDef("phone", "Phone Number", "string", "phonenumber", g),
        PropertyDef("city", "City", "string", "text", g),
        PropertyDef("country", "Country/Region", "string", "text", g),
        PropertyDef("description", "Description", "string", "textarea", g),
        PropertyDef(
            "industry",
            "Industry",
            "enumeration",
            "select",
            g,
            options=_options(
                ("COMPUTER_SOFTWARE", "Computer Software"),
                ("INFORMATION_TECHNOLOGY_AND_SERVICES", "Information Technology and Services"),
                ("FINANCIAL_SERVICES", "Financial Services"),
                ("HOSPITAL_HEALTH_CARE", "Hospital & Health Care"),
                ("RETAIL", "Retail"),
            ),
            validate_options=False,  # HubSpot has ~150 industries; only a few are listed here.
        ),
        PropertyDef("numberofemployees", "Number of Employees", "number", "number", g),
        PropertyDef("annualrevenue", "Annual Revenue", "number", "number", g),
        PropertyDef(
            "lifecyclestage", "Lifecycle Stage", "enumeration", "radio", g, options=_LIFECYCLE
        ),
        ro("num_associated_contacts", "Number of Associated Contacts", "number", "number", g),
    ):
        out["companies"][prop.name] = prop
    g = "contactinformation"
    for prop in (
        PropertyDef("email", "Email", "string", "text", g, unique=True),
        PropertyDef("firstname", "First Name", "string", "text", g),
        PropertyDef("lastname", "Last Name", "string", "text", g),
        PropertyDef("phone", "Phone Number", "string", "phonenumber", g),
        PropertyDef("jobtitle", "Job Title", "string", "text", g),
        PropertyDef("company", "Company Name", "string", "text", g),
        PropertyDef(
            "lifecyclestage", "Lifecycle Stage", "enumeration", "radio", g, options=_LIFECYCLE
        ),
        PropertyDef("associatedcompanyid", "Primary Associated Company ID", "number", "number", g),
    ):
        out["contacts"][prop.name] = prop
    g = "dealinformation"
    for prop in (
        PropertyDef("dealname", "Deal Name", "string", "text", g),
        PropertyDef("amount", "Amount", "number", "number", g),
        PropertyDef("dealstage", "Deal Stage", "enumeration", "radio", g, options=_DEAL_STAGES),
        PropertyDef(
            "pipeline",
            "Pipeline",
            "enumeration",
            "select",
            g,
            options=_options(("default", "Sales")),
        ),
        PropertyDef("closedate", "Close Date", "datetime", "date", g),
        PropertyDef(
            "dealtype",
            "Deal Type",
            "enumeration",
            "radio",
            g,
            options=_options(
                ("newbusiness", "New Business"), ("existingbusiness", "Existing Business")
            ),
        ),
        PropertyDef("description", "Deal Description", "string", "textarea", g),
    ):
        out["deals"][prop.name] = prop
    g = "engagement"
    for prop in (
        PropertyDef("hs_note_body", "Note body", "string", "html", g),
        PropertyDef("hs_timestamp", "Activity date", "datetime", "date", g),
        PropertyDef("hs_attachment_ids", "Attached file IDs", "enumeration", "checkbox", g),
    ):
        out["notes"][prop.name] = prop
    for props in out.values():
        for order, prop in enumerate(props.values()):
            prop.display_order = order
    return out


# Custom properties a CSM portal typically has; ``custom_properties=`` replaces them.
DEFAULT_CUSTOM_PROPERTIES: dict[str, list[dict[str, Any]]] = {
    "companies": [
        {
            "name": "arr",
            "label": "Annual recurring revenue",
            "type": "number",
            "fieldType": "number",
        },
        {
            "name": "renewal_date",
            "label": "Contract end date",
            "type": "date",
            "fieldType": "date",
        },
    ],
}


# --------------------------------------------------------------------------------------------
# Request log and faults


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as the test sees it afterwards."""

    number: int  # 1-based, in arrival order
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any  # parsed JSON; the raw text if it was not JSON; None if empty
    status: int | None  # None when the connection was dropped without a response
    endpoint: str  # e.g. "GET /crm/v3/objects/companies/{id}"
    fault: str | None = None  # the injected fault that shaped the response, if any
    authorization: str | None = None


@dataclass
class _Fault:
    kind: str  # status, drop, malformed, rate_limit, delay
    remaining: int
    method: str | None = None
    path: re.Pattern[str] | None = None
    apply: bool = False  # run the real handler (the write happens) before faulting
    status: int = 500
    body: Any = None
    content_type: str = _JSON
    headers: dict[str, str] = field(default_factory=dict)
    policy: str = "TEN_SECONDLY_ROLLING"
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not (self.path and not self.path.search(path))


@dataclass
class _Response:
    status: int
    body: Any = None  # JSON-able; None for no body
    raw: bytes | None = None
    content_type: str = _JSON
    headers: dict[str, str] = field(default_factory=dict)


class _ApiError(Exception):
    def __init__(self, response: _Response):
        super().__init__(response.status)
        self.response = response


@dataclass
class _Record:
    id: str
    type: str
    properties: dict[str, str]
    created_ms: int
    updated_ms: int
    archived: bool = False
    archived_ms: int | None = None


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, list[str]]
    raw: bytes
    headers: Any
    number: int
    _parsed: Any = None
    _parsed_done: bool = False

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def q_list(self, name: str) -> list[str]:
        out: list[str] = []
        for value in self.query.get(name, []):
            out.extend(part.strip() for part in value.split(",") if part.strip())
        return out

    def json(self) -> Any:
        if not self._parsed_done:
            self._parsed_done = True
            if not self.raw.strip():
                self._parsed = None
            else:
                try:
                    self._parsed = json.loads(self.raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    line = getattr(exc, "lineno", 1)
                    col = getattr(exc, "colno", 1)
                    raise _ApiError(
                        _error(
                            400,
                            f"Invalid input JSON on line {line}, column {col}: {exc}",
                            "VALIDATION_ERROR",
                        )
                    ) from None
        return self._parsed

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise _ApiError(
                _error(400, "Invalid input JSON: expected an object", "VALIDATION_ERROR")
            )
        return body


def _error(status: int, message: str, category: str, **extra: Any) -> _Response:
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
    }
    body.update(extra)
    body["category"] = category
    return _Response(status, body)


def _validation(message: str, **extra: Any) -> _ApiError:
    return _ApiError(_error(400, message, "VALIDATION_ERROR", **extra))


def _not_found(object_id: str) -> _ApiError:
    return _ApiError(
        _error(
            404,
            "Object not found.  objectId are usually numeric.",
            "OBJECT_NOT_FOUND",
            context={"id": [object_id]},
        )
    )


def _invalid_auth() -> _Response:
    return _error(
        401,
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
        "you can find more details at https://developers.hubspot.com/docs/methods/auth/"
        "oauth-overview",
        "INVALID_AUTHENTICATION",
    )


def _rate_limit_body(policy: str) -> dict[str, Any]:
    names = {
        "TEN_SECONDLY_ROLLING": "ten_secondly_rolling",
        "SECONDLY": "secondly",
        "DAILY": "daily",
    }
    return {
        "status": "error",
        "message": f"You have reached your {names.get(policy, policy.lower())} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
    }


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


# --------------------------------------------------------------------------------------------
# HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 makes concurrent clients' connects wait 1 s

    def __init__(self, fake: HubSpotFake):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HubSpotFake/1.0"
    sys_version = ""
    timeout = 60
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body are small separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every keep-alive response.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def version_string(self) -> str:
        return self.server_version

    def _serve(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


# (method, path regex, handler name, endpoint template, needs a bearer token)
_ROUTES: list[tuple[str, re.Pattern[str], str, str, bool]] = [
    (m, re.compile(p), h, t, auth)
    for m, p, h, t, auth in (
        (
            "POST",
            r"/oauth/v2/private-apps/get/access-token-info",
            "_h_token_info",
            "POST /oauth/v2/private-apps/get/access-token-info",
            False,
        ),
        ("GET", r"/account-info/v3/details", "_h_account", "GET /account-info/v3/details", True),
        ("GET", r"/crm/v3/owners/?", "_h_owners", "GET /crm/v3/owners", True),
        ("GET", r"/crm/v3/owners/(?P<id>[^/]+)", "_h_owner", "GET /crm/v3/owners/{{id}}", True),
        (
            "GET",
            r"/crm/v3/properties/(?P<type>[^/]+)",
            "_h_properties",
            "GET /crm/v3/properties/{type}",
            True,
        ),
        (
            "GET",
            r"/crm/v3/properties/(?P<type>[^/]+)/(?P<name>[^/]+)",
            "_h_property",
            "GET /crm/v3/properties/{type}/{{name}}",
            True,
        ),
        (
            "POST",
            r"/crm/v3/objects/(?P<type>[^/]+)/search",
            "_h_search",
            "POST /crm/v3/objects/{type}/search",
            True,
        ),
        (
            "POST",
            r"/crm/v3/objects/(?P<type>[^/]+)/batch/(?P<op>read|create|update|upsert|archive)",
            "_h_batch",
            "POST /crm/v3/objects/{type}/batch/{op}",
            True,
        ),
        ("GET", r"/crm/v3/objects/(?P<type>[^/]+)", "_h_list", "GET /crm/v3/objects/{type}", True),
        (
            "POST",
            r"/crm/v3/objects/(?P<type>[^/]+)",
            "_h_create",
            "POST /crm/v3/objects/{type}",
            True,
        ),
        (
            "GET",
            r"/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)",
            "_h_get",
            "GET /crm/v3/objects/{type}/{{id}}",
            True,
        ),
        (
            "PATCH",
            r"/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)",
            "_h_patch",
            "PATCH /crm/v3/objects/{type}/{{id}}",
            True,
        ),
        (
            "DELETE",
            r"/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)",
            "_h_delete",
            "DELETE /crm/v3/objects/{type}/{{id}}",
            True,
        ),
        (
            "GET",
            r"/crm/v4/objects/(?P<from>[^/]+)/(?P<id>[^/]+)/associations/(?P<to>[^/]+)",
            "_h_assoc_list",
            "GET /crm/v4/objects/{from}/{{id}}/associations/{to}",
            True,
        ),
        (
            "PUT",
            r"/crm/v4/objects/(?P<from>[^/]+)/(?P<id>[^/]+)/associations/default/"
            r"(?P<to>[^/]+)/(?P<to_id>[^/]+)",
            "_h_assoc_put_default",
            "PUT /crm/v4/objects/{from}/{{id}}/associations/default/{to}/{{toId}}",
            True,
        ),
        (
            "PUT",
            r"/crm/v4/objects/(?P<from>[^/]+)/(?P<id>[^/]+)/associations/"
            r"(?P<to>[^/]+)/(?P<to_id>[^/]+)",
            "_h_assoc_put_labeled",
            "PUT /crm/v4/objects/{from}/{{id}}/associations/{to}/{{toId}}",
            True,
        ),
        (
            "DELETE",
            r"/crm/v4/objects/(?P<from>[^/]+)/(?P<id>[^/]+)/associations/"
            r"(?P<to>[^/]+)/(?P<to_id>[^/]+)",
            "_h_assoc_delete",
            "DELETE /crm/v4/objects/{from}/{{id}}/associations/{to}/{{toId}}",
            True,
        ),
        (
            "POST",
            r"/crm/v4/associations/(?P<from>[^/]+)/(?P<to>[^/]+)/batch/"
            r"(?P<op>read|create|archive|associate/default)",
            "_h_assoc_batch",
            "POST /crm/v4/associations/{from}/{to}/batch/{op}",
            True,
        ),
    )
]


# --------------------------------------------------------------------------------------------
# The fake


class HubSpotFake:
    """A loopback HubSpot CRM server plus a test-side API to seed it, break it and inspect it.

    Use as a context manager (``with HubSpotFake() as fake``) or ``start()``/``stop()``.
    ``base_url`` and ``token`` are what a client needs. Every knob below can also be changed
    on a running fake (``fake.burst_limit = 3``).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        scopes: Iterable[str] | None = None,
        portal_id: int = 24681357,
        user_id: int = 7001001,
        app_id: int = 3141592,
        time_zone: str = "US/Eastern",
        company_currency: str = "USD",
        data_hosting_location: str = "na1",
        burst_limit: int = 100,
        burst_interval_ms: int = 10_000,
        search_per_second: int = 5,
        search_interval_ms: int = 1000,
        daily_limit: int = 250_000,
        retry_after: float | None = None,
        start_time: datetime | date | int | str | None = None,
        real_time: bool = True,
        custom_properties: dict[str, list[dict[str, Any]]] | None = None,
        primary_associations: bool = True,
        latency: float = 0.0,
        first_id: int = 1001,
    ):
        self._lock = threading.RLock()
        self._token = token or f"pat-{data_hosting_location}-{uuid.uuid4()}"
        self._retired_tokens: set[str] = set()
        self._scopes = frozenset(DEFAULT_SCOPES if scopes is None else scopes)
        self._expire_at_request: int | None = None
        self._expired_at_ms: int | None = None
        self.expired_category = "EXPIRED_AUTHENTICATION"
        self.portal_id = portal_id
        self.user_id = user_id
        self.app_id = app_id
        self.time_zone = time_zone
        self.company_currency = company_currency
        self.data_hosting_location = data_hosting_location
        self.burst_limit = burst_limit
        self.burst_interval_ms = burst_interval_ms
        self.search_per_second = search_per_second
        self.search_interval_ms = search_interval_ms
        self.daily_limit = daily_limit
        self.retry_after = retry_after
        self.primary_associations = primary_associations
        self.latency = latency
        self.clock = FakeClock(start_time, real_time=real_time)

        self._objects: dict[str, dict[str, _Record]] = {t: {} for t in OBJECT_TYPES}
        # (type, unique property) -> {normalized value: id of the live record holding it}
        self._unique_index: dict[tuple[str, str], dict[str, str]] = {}
        self._assoc: dict[tuple[str, str, str], dict[str, set[int]]] = {}
        self._properties = _standard_properties()
        self._properties_stamp = iso_ms(self.clock.now_ms())
        for object_type, defs in (
            DEFAULT_CUSTOM_PROPERTIES if custom_properties is None else custom_properties
        ).items():
            for spec in defs:
                self.add_property(object_type, **_property_kwargs(spec))
        self._owners: list[dict[str, Any]] = []
        self._next_id = first_id

        self._log: list[RecordedRequest] = []
        self._counts: Counter[str] = Counter()
        self._request_count = 0
        self._faults: list[_Fault] = []
        self._burst: deque[float] = deque()
        self._search: deque[float] = deque()
        self._daily_used = 0
        self.server_errors: list[str] = []

        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> HubSpotFake:
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="hubspot-fake",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> HubSpotFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake is not running: call start() or use it as a context")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """Where to point the client instead of https://api.hubapi.com (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    # ---------------------------------------------------------------- auth and scopes

    @property
    def token(self) -> str:
        return self._token

    def rotate_token(self) -> str:
        """Issue a new token (the old one is then invalid, 401) and clear any expiry."""
        with self._lock:
            self._retired_tokens.add(self._token)
            self._token = f"pat-{self.data_hosting_location}-{uuid.uuid4()}"
            self._expire_at_request = None
            self._expired_at_ms = None
            return self._token

    def expire_token_at(self, request_number: int) -> None:
        """The token is expired from the ``request_number``-th request on (1-based, counting
        every request the fake has received since it started; see ``request_count``)."""
        with self._lock:
            self._expire_at_request = request_number
            self._expired_at_ms = None

    def expire_token(self) -> None:
        """The token is expired from the next request on."""
        with self._lock:
            self.expire_token_at(self._request_count + 1)

    @property
    def scopes(self) -> frozenset[str]:
        return self._scopes

    @scopes.setter
    def scopes(self, value: Iterable[str]) -> None:
        with self._lock:
            self._scopes = frozenset(value)

    def revoke_scopes(self, *names: str) -> None:
        with self._lock:
            self._scopes = self._scopes - set(names)

    def grant_scopes(self, *names: str) -> None:
        with self._lock:
            self._scopes = self._scopes | set(names)

    # ---------------------------------------------------------------- clock

    def advance(self, seconds: float = 0, *, ms: int = 0) -> int:
        """Move the fake clock forward (the time later writes are stamped with)."""
        return self.clock.advance(seconds, ms=ms)

    def now_ms(self) -> int:
        return self.clock.now_ms()

    # ---------------------------------------------------------------- seeding

    def add_property(
        self,
        object_type: str,
        name: str,
        label: str,
        *,
        type: str = "string",
        field_type: str | None = None,
        group: str | None = None,
        options: list[dict[str, Any]] | list[str] | None = None,
        unique: bool = False,
        description: str = "",
    ) -> dict[str, Any]:
        """Define a custom property (as a portal admin would) and return its description."""
        object_type = _canonical_type(object_type)
        default_field = {
            "string": "text",
            "number": "number",
            "date": "date",
            "datetime": "date",
            "enumeration": "select",
            "bool": "booleancheckbox",
            "phone_number": "phonenumber",
        }
        choices: list[dict[str, Any]] | None = None
        if options:
            choices = [
                o if isinstance(o, dict) else {"label": str(o), "value": str(o)} for o in options
            ]
            for i, choice in enumerate(choices):
                choice.setdefault("displayOrder", i)
                choice.setdefault("hidden", False)
        prop = PropertyDef(
            name,
            label,
            type,
            field_type or default_field.get(type, "text"),
            group
            or {
                "companies": "companyinformation",
                "contacts": "contactinformation",
                "deals": "dealinformation",
                "notes": "engagement",
            }[object_type],
            description,
            choices,
            unique=unique,
            hubspot_defined=False,
        )
        with self._lock:
            prop.display_order = len(self._properties[object_type])
            self._properties[object_type][name] = prop
            self._unique_index.pop((object_type, name), None)
            return prop.to_json(self._properties_stamp)

    def add_owner(
        self, email: str, first_name: str = "", last_name: str = "", *, archived: bool = False
    ) -> dict[str, Any]:
        with self._lock:
            owner_id = str(self._new_id())
            stamp = iso_ms(self.clock.tick())
            owner = {
                "id": owner_id,
                "email": email,
                "type": "PERSON",
                "firstName": first_name,
                "lastName": last_name,
                "userId": int(owner_id) + 90_000_000,
                "userIdIncludingInactive": int(owner_id) + 90_000_000,
                "createdAt": stamp,
                "updatedAt": stamp,
                "archived": archived,
                "teams": [],
            }
            self._owners.append(owner)
            return copy.deepcopy(owner)

    def add_owners(self, n: int) -> list[dict[str, Any]]:
        return [
            self.add_owner(f"owner{i}@example.com", f"Owner{i}", f"Person{i}")
            for i in range(1, n + 1)
        ]

    def add(self, object_type: str, properties: dict[str, Any] | None = None, **more: Any) -> dict:
        """Create one record directly (no HTTP, not logged, no rate limit); returns it."""
        object_type = _canonical_type(object_type)
        props = {**(properties or {}), **more}
        with self._lock:
            record = self._create_record(object_type, props)
            return self._export(record)

    def add_company(self, name: str | None = None, **properties: Any) -> dict[str, Any]:
        with self._lock:
            n = len(self._objects["companies"]) + 1
            props = {"name": name if name is not None else f"Company {n:04d}", **properties}
            return self.add("companies", props)

    def add_companies(
        self, n: int, *, prefix: str = "Company", unicode: bool = False, **properties: Any
    ) -> list[dict[str, Any]]:
        """``n`` companies named "<prefix> 0001"... (or with non-ASCII names if ``unicode``).
        A property value may be a callable of the 1-based index: ``arr=lambda i: i * 1000``."""
        out = []
        for i in range(1, n + 1):
            if unicode:
                base = _UNICODE_COMPANY_NAMES[(i - 1) % len(_UNICODE_COMPANY_NAMES)]
                name = f"{base} {i}"
            else:
                name = f"{prefix} {i:04d}"
            props = {"name": name, "domain": f"company{i}.example.com"}
            props.update({k: (v(i) if callable(v) else v) for k, v in properties.items()})
            out.append(self.add("companies", props))
        return out

    def add_contact(
        self,
        email: str | None = None,
        *,
        firstname: str | None = None,
        lastname: str | None = None,
        company: str | dict | Iterable[str | dict] | None = None,
        **properties: Any,
    ) -> dict[str, Any]:
        """One contact, associated (default type 279/280) with ``company`` (id(s) or records)."""
        with self._lock:
            n = len(self._objects["contacts"]) + 1
            props: dict[str, Any] = {
                "email": email if email is not None else f"contact{n}@example.com",
                "firstname": firstname if firstname is not None else "Contact",
                "lastname": lastname if lastname is not None else f"{n:04d}",
                **properties,
            }
            record = self.add("contacts", props)
            for company_id in _ids(company):
                self.associate("contacts", record["id"], "companies", company_id)
            return self._export(self._objects["contacts"][record["id"]])

    def add_contacts(
        self,
        n: int,
        *,
        companies: Iterable[str | dict] | None = None,
        unicode: bool = False,
        domain: str = "example.com",
        **properties: Any,
    ) -> list[dict[str, Any]]:
        """``n`` contacts; with ``companies``, contact *i* goes to company *i mod len*."""
        company_ids = _ids(companies)
        out = []
        with self._lock:
            start = len(self._objects["contacts"])
            for i in range(1, n + 1):
                k = start + i
                if unicode:
                    first = _UNICODE_FIRST_NAMES[(i - 1) % len(_UNICODE_FIRST_NAMES)]
                    last = _UNICODE_LAST_NAMES[(i - 1) % len(_UNICODE_LAST_NAMES)]
                else:
                    first, last = "Contact", f"{k:04d}"
                props = {k2: (v(i) if callable(v) else v) for k2, v in properties.items()}
                company = company_ids[(i - 1) % len(company_ids)] if company_ids else None
                out.append(
                    self.add_contact(
                        props.pop("email", f"contact{k}@{domain}"),
                        firstname=props.pop("firstname", first),
                        lastname=props.pop("lastname", last),
                        company=company,
                        **props,
                    )
                )
        return out

    def add_deal(
        self,
        dealname: str | None = None,
        *,
        company: str | dict | Iterable[str | dict] | None = None,
        contact: str | dict | Iterable[str | dict] | None = None,
        **properties: Any,
    ) -> dict[str, Any]:
        with self._lock:
            n = len(self._objects["deals"]) + 1
            props = {
                "dealname": dealname if dealname is not None else f"Deal {n:04d}",
                "pipeline": "default",
                "dealstage": "appointmentscheduled",
                **properties,
            }
            record = self.add("deals", props)
            for company_id in _ids(company):
                self.associate("deals", record["id"], "companies", company_id)
            for contact_id in _ids(contact):
                self.associate("deals", record["id"], "contacts", contact_id)
            return self._export(self._objects["deals"][record["id"]])

    def add_note(
        self,
        body: str = "A note",
        *,
        timestamp: datetime | date | int | str | None = None,
        company: str | dict | Iterable[str | dict] | None = None,
        contact: str | dict | Iterable[str | dict] | None = None,
        deal: str | dict | Iterable[str | dict] | None = None,
        **properties: Any,
    ) -> dict[str, Any]:
        with self._lock:
            stamp = _to_ms(timestamp) if timestamp is not None else self.clock.now_ms()
            record = self.add(
                "notes", {"hs_note_body": body, "hs_timestamp": str(stamp), **properties}
            )
            for to_type, targets in (
                ("companies", company),
                ("contacts", contact),
                ("deals", deal),
            ):
                for target in _ids(targets):
                    self.associate("notes", record["id"], to_type, target)
            return self._export(self._objects["notes"][record["id"]])

    def associate(
        self,
        from_type: str,
        from_id: str | dict,
        to_type: str,
        to_id: str | dict,
        type_id: int | None = None,
    ) -> None:
        """Associate two records (both directions), by default with the unlabeled type."""
        from_type, to_type = _canonical_type(from_type), _canonical_type(to_type)
        (from_id,), (to_id,) = _ids(from_id), _ids(to_id)
        with self._lock:
            for object_type, object_id in ((from_type, from_id), (to_type, to_id)):
                if object_id not in self._objects[object_type]:
                    raise KeyError(f"no {_SINGULAR[object_type]} {object_id}")
            if type_id is None:
                type_id = DEFAULT_ASSOCIATION_TYPE_IDS[(from_type, to_type)]
            self._link(from_type, from_id, to_type, to_id, type_id)

    def touch(self, object_type: str, *ids: str | dict, **properties: Any) -> list[dict]:
        """Write to records as a HubSpot user would: set ``properties`` (if any) and bump their
        last-modified date (strictly later than any earlier write)."""
        object_type = _canonical_type(object_type)
        out = []
        with self._lock:
            for object_id in _ids(ids):
                record = self._objects[object_type][object_id]
                normalized = self._normalize(object_type, properties, record)
                self._check_unique(object_type, [normalized], [record])
                self._write(record, normalized)
                out.append(self._export(record))
        return out

    modify = touch

    def archive(self, object_type: str, *ids: str | dict) -> None:
        """Archive (delete to the recycling bin) records, as ``DELETE`` does."""
        object_type = _canonical_type(object_type)
        with self._lock:
            for object_id in _ids(ids):
                self._archive(self._objects[object_type][object_id])

    # ---------------------------------------------------------------- inspection

    def objects(self, object_type: str, *, archived: bool = False) -> list[dict[str, Any]]:
        """Every live (or, with ``archived=True``, archived) record, with all properties."""
        object_type = _canonical_type(object_type)
        with self._lock:
            return [
                self._export(r)
                for r in self._objects[object_type].values()
                if r.archived is archived
            ]

    def get(self, object_type: str, object_id: str) -> dict[str, Any] | None:
        """One record (live or archived) with all its properties, or None."""
        with self._lock:
            record = self._objects[_canonical_type(object_type)].get(str(object_id))
            return self._export(record) if record else None

    def associations(self, from_type: str, from_id: str, to_type: str) -> dict[str, list[int]]:
        """``{to_id: [type ids]}`` for one record's live associations to ``to_type``."""
        from_type, to_type = _canonical_type(from_type), _canonical_type(to_type)
        with self._lock:
            return {
                to_id: sorted(types)
                for to_id, types in self._live_links(from_type, str(from_id), to_type)
            }

    def associated_ids(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        return list(self.associations(from_type, from_id, to_type))

    @property
    def owners(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._owners)

    @property
    def request_count(self) -> int:
        """How many requests the fake has received (dropped and faulted ones included)."""
        with self._lock:
            return self._request_count

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def counts(self) -> Counter[str]:
        """Requests per endpoint, e.g. ``{"GET /crm/v3/objects/companies": 3, ...}``."""
        with self._lock:
            return Counter(self._counts)

    def count(
        self, endpoint: str | None = None, *, method: str | None = None, path: str | None = None
    ) -> int:
        """Requests to one endpoint (exactly as in ``counts()``), or matching a method and/or a
        path regex."""
        with self._lock:
            if endpoint is not None:
                return self._counts[endpoint]
            pattern = re.compile(path) if path else None
            return sum(
                1
                for r in self._log
                if (method is None or r.method == method.upper())
                and (pattern is None or pattern.search(r.path))
            )

    def reset_log(self) -> None:
        """Forget the request log and counters (``request_count`` keeps counting)."""
        with self._lock:
            self._log.clear()
            self._counts.clear()

    def reset_rate_limits(self) -> None:
        with self._lock:
            self._burst.clear()
            self._search.clear()
            self._daily_used = 0

    # ---------------------------------------------------------------- faults

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        *,
        body: Any = None,
        content_type: str = _JSON,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """The next ``n`` matching requests get ``status`` (nothing is applied). ``body`` is JSON
        unless it is ``str``/``bytes`` (sent as is, e.g. a proxy's HTML page)."""
        self._add_fault(
            _Fault(
                "status",
                n,
                method,
                _compile(path),
                status=status,
                body=body,
                content_type=content_type,
                headers=dict(headers or {}),
            )
        )

    def drop_next(
        self,
        n: int = 1,
        *,
        after_apply: bool = False,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Close the connection with no response for the next ``n`` matching requests. With
        ``after_apply`` the request is read and fully applied first (the server "got it", the
        client times out or sees the connection die)."""
        self._add_fault(_Fault("drop", n, method, _compile(path), apply=after_apply))

    def drop_after_apply(
        self, n: int = 1, *, method: str | None = None, path: str | None = None
    ) -> None:
        self.drop_next(n, after_apply=True, method=method, path=path)

    def malformed_next(
        self, n: int = 1, *, apply: bool = True, method: str | None = None, path: str | None = None
    ) -> None:
        """The next ``n`` matching responses are truncated JSON (status kept, 204 becomes 200).
        By default the request is applied first; ``apply=False`` skips it."""
        self._add_fault(_Fault("malformed", n, method, _compile(path), apply=apply))

    def rate_limit_next(
        self,
        n: int = 1,
        *,
        policy: str = "TEN_SECONDLY_ROLLING",
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """A 429 storm: the next ``n`` matching requests are refused with HubSpot's 429."""
        self._add_fault(_Fault("rate_limit", n, method, _compile(path), policy=policy))

    def delay_next(
        self,
        seconds: float,
        n: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        after_apply: bool = False,
    ) -> None:
        """Hold the next ``n`` matching requests for ``seconds`` before answering (on top of
        ``latency``, which delays every request). With ``after_apply`` the request is carried
        out first and only its answer waits: the client may die before it hears back."""
        self._add_fault(
            _Fault("delay", n, method, _compile(path), apply=after_apply, seconds=seconds)
        )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._expire_at_request = None
            self._expired_at_ms = None
            self.latency = 0.0

    def pending_faults(self) -> list[tuple[str, int]]:
        with self._lock:
            return [(f.kind, f.remaining) for f in self._faults]

    def _add_fault(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, path: str, delay: bool) -> _Fault | None:
        for fault in self._faults:
            if (fault.kind == "delay") is delay and fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ---------------------------------------------------------------- internals: records

    def _new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def _export(self, record: _Record) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": record.id,
            "properties": dict(sorted(record.properties.items())),
            "createdAt": iso_ms(record.created_ms),
            "updatedAt": iso_ms(record.updated_ms),
            "archived": record.archived,
        }
        if record.archived and record.archived_ms is not None:
            out["archivedAt"] = iso_ms(record.archived_ms)
        return out

    def _create_record(self, object_type: str, props: dict[str, Any]) -> _Record:
        normalized = self._normalize(object_type, props, None)
        self._check_required(object_type, normalized)
        self._check_unique(object_type, [normalized], None)
        stamp = self.clock.tick()
        record = _Record(str(self._new_id()), object_type, {}, stamp, stamp)
        record.properties[_CREATED_PROP[object_type]] = iso_ms(stamp)
        self._objects[object_type][record.id] = record
        self._write(record, normalized, stamp=stamp)
        return record

    def _check_required(self, object_type: str, normalized: dict[str, str | None]) -> None:
        if object_type == "notes" and not normalized.get("hs_timestamp"):
            raise _validation(
                'Property values were not valid: [{"isValid":false,"message":"hs_timestamp is '
                'required","error":"REQUIRED_FIELD","name":"hs_timestamp"}]'
            )

    def _write(self, record: _Record, normalized: dict[str, str | None], stamp: int = 0) -> None:
        stamp = stamp or self.clock.tick()
        self._unindex(record)
        for name, value in normalized.items():
            if value is None:
                record.properties.pop(name, None)
            else:
                record.properties[name] = value
        self._reindex(record)
        record.updated_ms = stamp
        record.properties["hs_object_id"] = record.id
        record.properties[_MODIFIED_PROP[record.type]] = iso_ms(stamp)
        record.properties.setdefault(_CREATED_PROP[record.type], iso_ms(record.created_ms))

    def _archive(self, record: _Record) -> None:
        if not record.archived:
            self._unindex(record)
            record.archived = True
            record.archived_ms = self.clock.tick()

    def _index(self, object_type: str, prop: str) -> dict[str, str]:
        index = self._unique_index.get((object_type, prop))
        if index is None:
            index = {}
            for record in self._objects[object_type].values():
                value = record.properties.get(prop)
                if not record.archived and value is not None:
                    index.setdefault(_unique_key(prop, value), record.id)
            self._unique_index[(object_type, prop)] = index
        return index

    def _unindex(self, record: _Record) -> None:
        if record.archived:
            return
        for name in self._unique_names(record.type):
            value = record.properties.get(name)
            index = self._index(record.type, name)
            if value is not None and index.get(_unique_key(name, value)) == record.id:
                del index[_unique_key(name, value)]

    def _reindex(self, record: _Record) -> None:
        if record.archived:
            return
        for name in self._unique_names(record.type):
            value = record.properties.get(name)
            if value is not None:
                self._index(record.type, name).setdefault(_unique_key(name, value), record.id)

    def _normalize(
        self, object_type: str, props: Any, record: _Record | None
    ) -> dict[str, str | None]:
        """Validate and normalize written values as HubSpot does, or raise its 400."""
        if not isinstance(props, dict):
            raise _validation("Invalid input JSON: properties must be an object")
        defs = self._properties[object_type]
        errors: list[dict[str, Any]] = []
        out: dict[str, str | None] = {}

        def bad(name: str, error: str, message: str) -> None:
            errors.append(
                {
                    "isValid": False,
                    "message": message,
                    "error": error,
                    "name": name,
                    "localizedErrorMessage": message,
                    "portalId": self.portal_id,
                }
            )

        for name, value in props.items():
            prop = defs.get(name)
            if prop is None:
                bad(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
                continue
            if prop.read_only:
                bad(
                    name,
                    "READ_ONLY_VALUE",
                    f'"{name}" is a read only property; its value cannot be set.',
                )
                continue
            if value is None or value == "":
                out[name] = None
                continue
            text = _stringify(value).strip() if prop.type != "string" else _stringify(value)
            if prop.type == "number":
                try:
                    float(text)
                except ValueError:
                    bad(name, "INVALID_DECIMAL", f"{text} was not a valid number.")
                    continue
            elif prop.type == "datetime":
                ms = parse_time_ms(text)
                if ms is None:
                    bad(name, "INVALID_DATE", f"{text} was not a valid long or ISO 8601 date.")
                    continue
                text = iso_ms(ms)
            elif prop.type == "date":
                ms = parse_time_ms(text)
                if ms is None or ms % 86_400_000:
                    bad(
                        name,
                        "INVALID_DATE",
                        f"{text} is not a valid date: use YYYY-MM-DD or midnight UTC in ms.",
                    )
                    continue
                text = iso_ms(ms)[:10]
            elif prop.type == "bool":
                if text.lower() not in ("true", "false"):
                    bad(
                        name,
                        "INVALID_OPTION",
                        f"{text} was not one of the allowed options: [true, false]",
                    )
                    continue
                text = text.lower()
            elif prop.type == "enumeration" and prop.options and prop.validate_options:
                allowed = [o["value"] for o in prop.options]
                parts = text.split(";") if prop.field_type == "checkbox" else [text]
                wrong = [p for p in parts if p not in allowed]
                if wrong:
                    bad(
                        name,
                        "INVALID_OPTION",
                        f"{wrong[0]} was not one of the allowed options: [{', '.join(allowed)}]",
                    )
                    continue
            if object_type == "contacts" and name == "email":
                text = text.strip().lower()
                if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
                    bad(name, "INVALID_EMAIL", f"Email address {text} is invalid")
                    continue
            out[name] = text
        if errors:
            raise _validation(
                "Property values were not valid: "
                + json.dumps(errors, separators=(",", ":"), ensure_ascii=False)
            )
        return out

    def _unique_names(self, object_type: str) -> list[str]:
        return [p.name for p in self._properties[object_type].values() if p.unique]

    def _find_by(self, object_type: str, prop: str, value: str) -> _Record | None:
        if prop in self._unique_names(object_type):
            found = self._index(object_type, prop).get(_unique_key(prop, value))
            return self._objects[object_type].get(found) if found else None
        wanted = _unique_key(prop, value)
        for record in self._objects[object_type].values():
            if record.archived:
                continue
            have = record.properties.get(prop)
            if have is not None and (have.lower() if prop == "email" else have) == wanted:
                return record
        return None

    def _check_unique(
        self,
        object_type: str,
        writes: list[dict[str, str | None]],
        records: list[_Record | None] | None,
    ) -> None:
        """409 when a write would duplicate a unique value (e.g. a contact's email)."""
        records = records or [None] * len(writes)
        for name in self._unique_names(object_type):
            seen: dict[str, int] = {}
            for i, (write, record) in enumerate(zip(writes, records, strict=True)):
                value = write.get(name)
                if value is None:
                    continue
                key = value.lower() if name == "email" else value
                if key in seen:
                    raise _validation(
                        f"Duplicate values for unique property {name} in batch input: {value}"
                    )
                seen[key] = i
                existing = self._find_by(object_type, name, value)
                if existing is not None and existing is not record:
                    if object_type == "contacts" and name == "email":
                        message = f"Contact already exists. Existing ID: {existing.id}"
                    else:
                        message = (
                            f"A {_SINGULAR[object_type]} with {name} {value} already exists. "
                            f"Existing ID: {existing.id}"
                        )
                    raise _ApiError(_error(409, message, "CONFLICT"))

    def _render(
        self,
        record: _Record,
        wanted: list[str] | None,
        associations: list[str] | None = None,
        extra: Iterable[str] = (),
    ) -> dict[str, Any]:
        defs = self._properties[record.type]
        if wanted is None:
            names = list(DEFAULT_PROPERTIES[record.type])
        else:
            names = [n for n in wanted if n in defs]
            names += ["hs_object_id", _CREATED_PROP[record.type], _MODIFIED_PROP[record.type]]
        names += [n for n in extra if n in defs]
        props = {n: record.properties.get(n) for n in sorted(set(names))}
        out: dict[str, Any] = {
            "id": record.id,
            "properties": props,
            "createdAt": iso_ms(record.created_ms),
            "updatedAt": iso_ms(record.updated_ms),
            "archived": record.archived,
        }
        if record.archived and record.archived_ms is not None:
            out["archivedAt"] = iso_ms(record.archived_ms)
        if associations:
            linked: dict[str, Any] = {}
            for raw in associations:
                to_type = _TYPE_ALIASES.get(raw.lower())
                if to_type is None:
                    continue
                rows = [
                    {"id": to_id, "type": ASSOCIATION_TYPES[t][2]}
                    for to_id, types in self._live_links(record.type, record.id, to_type)
                    for t in sorted(types)
                ]
                if rows:
                    linked[raw] = {"results": rows}
            if linked:
                out["associations"] = linked
        return out

    def _lookup(
        self, object_type: str, object_id: str, id_property: str | None, archived: bool = False
    ) -> _Record | None:
        if id_property and id_property != "hs_object_id":
            if id_property not in self._unique_names(object_type):
                raise _validation(
                    f"{id_property} is not a unique property of {object_type} and cannot be used "
                    "as idProperty"
                )
            if archived:
                return None
            return self._find_by(object_type, id_property, str(object_id))
        record = self._objects[object_type].get(str(object_id))
        if record is None or record.archived is not archived:
            return None
        return record

    # ---------------------------------------------------------------- internals: associations

    def _link(self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int) -> None:
        pair = ASSOCIATION_TYPES.get(type_id)
        if pair is None or pair[:2] != (from_type, to_type):
            raise _validation(
                f"{type_id} is not a valid association type between {from_type} and {to_type}",
                subCategory="crm.associations.INVALID_ASSOCIATION_TYPE",
            )
        types = [type_id]
        primary = _PRIMARY_FOR_DEFAULT.get(type_id)
        if self.primary_associations and primary is not None:
            has_primary = any(
                primary in t for _, t in self._live_links(from_type, from_id, to_type)
            )
            if not has_primary:
                types.append(primary)
        for t in types:
            self._assoc.setdefault((from_type, from_id, to_type), {}).setdefault(to_id, set()).add(
                t
            )
            self._assoc.setdefault((to_type, to_id, from_type), {}).setdefault(from_id, set()).add(
                _REVERSE_TYPE[t]
            )

    def _unlink(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        self._assoc.get((from_type, from_id, to_type), {}).pop(to_id, None)
        self._assoc.get((to_type, to_id, from_type), {}).pop(from_id, None)

    def _live_links(self, from_type: str, from_id: str, to_type: str) -> list[tuple[str, set[int]]]:
        links = self._assoc.get((from_type, from_id, to_type), {})
        live = self._objects[to_type]
        return sorted(
            (
                (to_id, set(types))
                for to_id, types in links.items()
                if types and to_id in live and not live[to_id].archived
            ),
            key=lambda item: int(item[0]) if item[0].isdigit() else 0,
        )

    def _association_entry(self, to_id: str, types: set[int]) -> dict[str, Any]:
        return {
            "toObjectId": int(to_id),
            "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": t, "label": ASSOCIATION_TYPES[t][3]}
                for t in sorted(types)
            ],
        }

    def _create_associations(self, object_type: str, record_id: str, specs: Any) -> None:
        for spec in self._association_specs(object_type, specs):
            self._link(object_type, record_id, *spec)

    def _association_specs(self, object_type: str, specs: Any) -> list[tuple[str, str, int]]:
        """Validate a create's ``associations`` into (to type, to id, type id) triples."""
        if specs is None:
            return []
        if not isinstance(specs, list):
            raise _validation("Invalid input JSON: associations must be an array")
        out = []
        for spec in specs:
            try:
                to_id = str(spec["to"]["id"])
                types = spec["types"]
            except (KeyError, TypeError):
                raise _validation(
                    "Invalid input JSON: each association needs to.id and types"
                ) from None
            for t in types:
                if t.get("associationCategory", "HUBSPOT_DEFINED") != "HUBSPOT_DEFINED":
                    raise _validation(
                        f"{t.get('associationTypeId')} is not a valid association type for "
                        f"category {t.get('associationCategory')}",
                        subCategory="crm.associations.INVALID_ASSOCIATION_TYPE",
                    )
                try:
                    type_id = int(t["associationTypeId"])
                except (KeyError, TypeError, ValueError):
                    raise _validation("Invalid input JSON: associationTypeId is required") from None
                pair = ASSOCIATION_TYPES.get(type_id)
                if pair is None or pair[0] != object_type:
                    raise _validation(
                        f"{type_id} is not a valid association type from {object_type}",
                        subCategory="crm.associations.INVALID_ASSOCIATION_TYPE",
                    )
                target = self._objects[pair[1]].get(to_id)
                if target is None or target.archived:
                    raise _validation(
                        f"Could not find {_SINGULAR[pair[1]]} {to_id} to associate with",
                        subCategory="crm.associations.INVALID_OBJECT_IDS",
                        context={"ids": [to_id]},
                    )
                out.append((pair[1], to_id, type_id))
        return out

    # ---------------------------------------------------------------- internals: serving

    def _connection_opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _connection_closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _serve(self, handler: _Handler) -> None:
        method = handler.command.upper()
        split = urlsplit(handler.path)
        path = split.path.rstrip("/") or "/"
        query = parse_qs(split.query, keep_blank_values=True)
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        raw = handler.rfile.read(length) if length > 0 else b""

        with self._lock:
            self._request_count += 1
            number = self._request_count
            route, params = _match(method, path)
            endpoint = _endpoint(route, params, method, path)
            self._counts[endpoint] += 1
            delay_fault = self._take_fault(method, path, delay=True)
            fault = self._take_fault(method, path, delay=False)
        request = _Request(method, path, query, raw, handler.headers, number)
        held = delay_fault is not None and delay_fault.apply  # applied first, then held
        pause = self.latency + (delay_fault.seconds if delay_fault and not held else 0.0)
        if pause > 0:
            time.sleep(pause)

        response: _Response | None
        if fault is not None and fault.kind == "status":
            response = self._fault_response(fault)
        elif fault is not None and fault.kind == "rate_limit":
            response = _Response(429, _rate_limit_body(fault.policy))
            response.headers.update(self._retry_after())
            if fault.policy == "DAILY":
                response.headers["X-HubSpot-RateLimit-Daily-Remaining"] = "0"
            else:
                response.headers["X-HubSpot-RateLimit-Remaining"] = "0"
        elif fault is not None and not fault.apply:
            response = None if fault.kind == "drop" else _Response(200, {"status": "COMPLETE"})
        else:
            response = self._dispatch(request, route, params)

        fault_name = fault.kind if fault is not None else None
        if fault is not None and fault.kind == "drop":
            self._record(request, endpoint, None, fault_name, handler)
            handler.close_connection = True
            return
        assert response is not None
        if fault is not None and fault.kind == "malformed":
            response = _malformed(response)
        if held and delay_fault is not None:  # the write is done; the answer waits
            time.sleep(delay_fault.seconds)
        self._record(request, endpoint, response.status, fault_name, handler)
        self._send(handler, response)

    def _record(
        self,
        request: _Request,
        endpoint: str,
        status: int | None,
        fault: str | None,
        handler: _Handler,
    ) -> None:
        try:
            body: Any = json.loads(request.raw.decode("utf-8")) if request.raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = request.raw.decode("utf-8", "replace")
        entry = RecordedRequest(
            request.number,
            request.method,
            request.path,
            request.query,
            body,
            status,
            endpoint,
            fault,
            handler.headers.get("Authorization"),
        )
        with self._lock:
            self._log.append(entry)

    def _fault_response(self, fault: _Fault) -> _Response:
        if isinstance(fault.body, bytes | str):
            raw = fault.body.encode() if isinstance(fault.body, str) else fault.body
            return _Response(
                fault.status, raw=raw, content_type=fault.content_type, headers=dict(fault.headers)
            )
        body = fault.body
        if body is None:
            messages = {
                500: "internal error",
                502: "Bad Gateway",
                503: "Service Unavailable",
                504: "Gateway Timeout",
            }
            body = {
                "status": "error",
                "message": messages.get(fault.status, "internal error"),
                "correlationId": str(uuid.uuid4()),
            }
        return _Response(
            fault.status, body, content_type=fault.content_type, headers=dict(fault.headers)
        )

    def _retry_after(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        value = self.retry_after
        return {"Retry-After": str(int(value)) if float(value).is_integer() else str(value)}

    def _dispatch(
        self, request: _Request, route: tuple | None, params: dict[str, str]
    ) -> _Response:
        with self._lock:
            try:
                if route is None:
                    if any(r[1].fullmatch(request.path) for r in _ROUTES):
                        return _error(
                            405, f"Method {request.method} not allowed", "VALIDATION_ERROR"
                        )
                    return _error(404, f"No route for {request.path}", "OBJECT_NOT_FOUND")
                _, _, handler_name, _, needs_auth = route
                if needs_auth:
                    denied = self._authenticate(request)
                    if denied is not None:
                        return denied
                    missing = self._missing_scopes(handler_name, params, request.method)
                    if missing is not None:
                        return _error(
                            403,
                            "This app hasn't been granted all required scopes to make this call. "
                            "Read more about required scopes here: "
                            "https://developers.hubspot.com/scopes.",
                            "MISSING_SCOPES",
                            errors=[
                                {
                                    "message": "One or more of the following scopes are required.",
                                    "context": {"requiredGranularScopes": missing},
                                }
                            ],
                            links={"scopes": "https://developers.hubspot.com/scopes"},
                        )
                limited = self._consume_rate(handler_name == "_h_search")
                if limited is not None:
                    return limited
                return getattr(self, handler_name)(request, params)
            except _ApiError as exc:
                return exc.response
            except Exception:
                self.server_errors.append(traceback.format_exc())
                return _error(500, "internal error", "INTERNAL_ERROR")

    def _authenticate(self, request: _Request) -> _Response | None:
        header = request.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self._token:
            return _invalid_auth()
        if self._expire_at_request is not None and request.number >= self._expire_at_request:
            return self._expired_response()
        return None

    def _expired_response(self) -> _Response:
        now = self.clock.now_ms()
        if self._expired_at_ms is None:
            self._expired_at_ms = now
        if self.expired_category != "EXPIRED_AUTHENTICATION":
            return _invalid_auth()
        ago = max(0, (now - self._expired_at_ms) // 1000)
        return _error(
            401,
            f"The OAuth token used to make this call expired {ago} second(s) ago.",
            "EXPIRED_AUTHENTICATION",
            context={"expire time": [iso_ms(self._expired_at_ms)]},
        )

    def _missing_scopes(
        self, handler_name: str, params: dict[str, str], method: str
    ) -> list[str] | None:
        """The scopes (any one of which would do) that this call lacks, or None."""

        def objects(object_type: str, write: bool) -> list[str]:
            suffix = "write" if write else "read"
            if object_type == "notes":
                return [f"crm.objects.{t}.{suffix}" for t in ("contacts", "companies", "deals")]
            return [f"crm.objects.{object_type}.{suffix}"]

        write = method in ("POST", "PATCH", "PUT", "DELETE")
        needed: list[list[str]] = []
        object_type = _TYPE_ALIASES.get(params.get("type", "").lower())
        if handler_name == "_h_owners" or handler_name == "_h_owner":
            needed.append(["crm.objects.owners.read"])
        elif handler_name in ("_h_properties", "_h_property") and object_type:
            if object_type == "notes":
                needed.append(objects("notes", False))
            else:
                needed.append([f"crm.schemas.{object_type}.read"])
        elif handler_name in ("_h_search",) and object_type:
            needed.append(objects(object_type, False))
        elif handler_name == "_h_batch" and object_type:
            needed.append(objects(object_type, params.get("op") != "read"))
        elif handler_name.startswith("_h_") and object_type:
            needed.append(objects(object_type, write))
        elif handler_name.startswith("_h_assoc"):
            assoc_write = write and not (
                handler_name == "_h_assoc_batch" and params.get("op") == "read"
            )
            for key in ("from", "to"):
                t = _TYPE_ALIASES.get(params.get(key, "").lower())
                if t:
                    needed.append(objects(t, assoc_write))
        for any_of in needed:
            if not self._scopes.intersection(any_of):
                return any_of
        return None

    def _consume_rate(self, is_search: bool) -> _Response | None:
        now = time.monotonic()
        window = self.burst_interval_ms / 1000
        while self._burst and now - self._burst[0] >= window:
            self._burst.popleft()
        search_window = self.search_interval_ms / 1000
        while self._search and now - self._search[0] >= search_window:
            self._search.popleft()
        policy = None
        if self._daily_used >= self.daily_limit:
            policy = "DAILY"
        elif len(self._burst) >= self.burst_limit:
            policy = "TEN_SECONDLY_ROLLING"
        elif is_search and len(self._search) >= self.search_per_second:
            policy = "SECONDLY"
        if policy is not None:
            response = _Response(429, _rate_limit_body(policy))
            response.headers.update(self._retry_after())
            return response
        self._burst.append(now)
        if is_search:
            self._search.append(now)
        self._daily_used += 1
        return None

    def _rate_headers(self) -> dict[str, str]:
        with self._lock:
            now = time.monotonic()
            window = self.burst_interval_ms / 1000
            used = sum(1 for t in self._burst if now - t < window)
            return {
                "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
                "X-HubSpot-RateLimit-Daily-Remaining": str(
                    max(0, self.daily_limit - self._daily_used)
                ),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.burst_interval_ms),
                "X-HubSpot-RateLimit-Max": str(self.burst_limit),
                "X-HubSpot-RateLimit-Remaining": str(max(0, self.burst_limit - used)),
            }

    def _send(self, handler: _Handler, response: _Response) -> None:
        if response.raw is not None:
            payload = response.raw
        elif response.body is None:
            payload = b""
        else:
            payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
        correlation = (
            response.body.get("correlationId")
            if isinstance(response.body, dict) and "correlationId" in response.body
            else str(uuid.uuid4())
        )
        try:
            handler.send_response(response.status)
            if payload:
                handler.send_header("Content-Type", response.content_type)
            if response.status != 204:
                handler.send_header("Content-Length", str(len(payload)))
            handler.send_header("X-HubSpot-Correlation-Id", correlation)
            for name, value in {**self._rate_headers(), **response.headers}.items():
                handler.send_header(name, value)
            handler.end_headers()
            if payload and response.status != 204:
                handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    # ---------------------------------------------------------------- handlers

    def _now_iso(self) -> str:
        return iso_ms(self.clock.now_ms())

    def _h_token_info(self, request: _Request, params: dict[str, str]) -> _Response:
        body = request.json_object()
        token = body.get("tokenKey")
        if token != self._token:
            return _invalid_auth()
        if self._expire_at_request is not None and request.number >= self._expire_at_request:
            return self._expired_response()
        return _Response(
            200,
            {
                "userId": self.user_id,
                "hubId": self.portal_id,
                "appId": self.app_id,
                "scopes": sorted(self._scopes),
            },
        )

    def _h_account(self, request: _Request, params: dict[str, str]) -> _Response:
        ui_domain = (
            "app.hubspot.com"
            if self.data_hosting_location == "na1"
            else f"app-{self.data_hosting_location}.hubspot.com"
        )
        return _Response(
            200,
            {
                "portalId": self.portal_id,
                "accountType": "STANDARD",
                "timeZone": self.time_zone,
                "companyCurrency": self.company_currency,
                "additionalCurrencies": [],
                "utcOffset": "-05:00",
                "utcOffsetMilliseconds": -18_000_000,
                "uiDomain": ui_domain,
                "dataHostingLocation": self.data_hosting_location,
            },
        )

    def _h_owners(self, request: _Request, params: dict[str, str]) -> _Response:
        limit = _int_param(request.q("limit"), 100, "limit")
        limit = max(1, min(limit, 500))
        archived = (request.q("archived") or "false").lower() == "true"
        email = request.q("email")
        owners = [o for o in self._owners if o["archived"] is archived]
        if email:
            owners = [o for o in owners if o["email"].lower() == email.lower()]
        after = request.q("after")
        if after:
            owners = [o for o in owners if int(o["id"]) >= _int_param(after, 0, "after")]
        out: dict[str, Any] = {"results": copy.deepcopy(owners[:limit])}
        if len(owners) > limit:
            out["paging"] = self._paging(request, owners[limit]["id"])
        return _Response(200, out)

    def _h_owner(self, request: _Request, params: dict[str, str]) -> _Response:
        for owner in self._owners:
            if owner["id"] == params["id"]:
                return _Response(200, copy.deepcopy(owner))
        return _error(404, f"Owner {params['id']} not found", "OBJECT_NOT_FOUND")

    def _h_properties(self, request: _Request, params: dict[str, str]) -> _Response:
        object_type = _object_type(params["type"])
        return _Response(
            200,
            {
                "results": [
                    p.to_json(self._properties_stamp)
                    for p in self._properties[object_type].values()
                ]
            },
        )

    def _h_property(self, request: _Request, params: dict[str, str]) -> _Response:
        object_type = _object_type(params["type"])
        prop = self._properties[object_type].get(params["name"])
        if prop is None:
            return _error(
                404,
                f"Unable to find property with name: {params['name']}",
                "OBJECT_NOT_FOUND",
            )
        return _Response(200, prop.to_json(self._properties_stamp))

    def _paging(self, request: _Request, after: str) -> dict[str, Any]:
        pairs = [(k, v) for k, values in request.query.items() if k != "after" for v in values]
        pairs.append(("after", after))
        link = f"{self.base_url}{request.path}?{urlencode(pairs)}"
        return {"next": {"after": after, "link": link}}

    def _h_list(self, request: _Request, params: dict[str, str]) -> _Response:
        object_type = _object_type(params["type"])
        limit = max(1, min(_int_param(request.q("limit"), 10, "limit"), _MAX_LIST_LIMIT))
        archived = (request.q("archived") or "false").lower() == "true"
        wanted = request.q_list("properties") or None
        records = [r for r in self._objects[object_type].values() if r.archived is archived]
        after = request.q("after")
        if after:
            start = _int_param(after, 0, "after")
            records = [r for r in records if int(r.id) >= start]
        page = records[:limit]
        out: dict[str, Any] = {
            "results": [self._render(r, wanted, request.q_list("associations")) for r in page]
        }
        if len(records) > limit:
            out["paging"] = self._paging(request, records[limit].id)
        return _Response(200, out)

    def _h_get(self, request: _Request, params: dict[str, str]) -> _Response:
        object_type = _object_type(params["type"])
        archived = (request.q("archived") or "false").lower() == "true"
        record = self._lookup(object_type, params["id"], request.q("idProperty"), archived)
        if record is None:
            raise _not_found(params["id"])
        return _Response(
            200,
            self._render(
                record, request.q_list("properties") or None, request.q_list("associations")
            ),
        )

    def _h_create(self, request: _Request, params: dict[str, str]) -> _Response:
        object_type = _object_type(params["type"])
        body = request.json_object()
        props = body.get("properties") or {}
        specs = self._association_specs(object_type, body.get("associations"))
        record = self._create_record(object_type, props)
        for spec in specs:
            self._link(object_type, record.id, *spec)
        return _Response(201, self._render(record, None, extra=props))

    def _h_patch(self, request: _Request, params: dict[str, str]) -> _Response:
        object_type = _object_type(params["type"])
        record = self._lookup(object_type, params["id"], request.q("idProperty"))
        if record is None:
            raise _not_found(params["id"])
        props = request.json_object().get("properties") or {}
        normalized = self._normalize(object_type, props, record)
        self._check_unique(object_type, [normalized], [record])
        self._write(record, normalized)
        return _Response(200, self._render(record, None, extra=props))

    def _h_delete(self, request: _Request, params: dict[str, str]) -> _Response:
        object_type = _object_type(params["type"])
        record = self._objects[object_type].get(params["id"])
        if record is not None:
            self._archive(record)
        return _Response(204)

    def _batch_inputs(self, body: dict[str, Any], limit: int = _MAX_BATCH) -> list[Any]:
        inputs = body.get("inputs")
        if not isinstance(inputs, list):
            raise _validation("Invalid input JSON: inputs must be an array")
        if len(inputs) > limit:
            raise _validation(
                f"Batch input size {len(inputs)} exceeds the limit of {limit} inputs per request.",
                context={"inputs": [str(len(inputs))]},
            )
        return inputs

    def _batch_envelope(self, results: list[Any], errors: list[Any], started: str) -> dict:
        out: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": self._now_iso(),
        }
        if errors:
            out["numErrors"] = len(errors)
            out["errors"] = errors
        return out

    def _h_batch(self, request: _Request, params: dict[str, str]) -> _Response:
        object_type = _object_type(params["type"])
        op = params["op"]
        body = request.json_object()
        inputs = self._batch_inputs(body)
        started = self._now_iso()
        singular = _SINGULAR[object_type].upper()
        if op == "read":
            id_property = body.get("idProperty")
            wanted = body.get("properties") or None
            archived = (request.q("archived") or "false").lower() == "true"
            results, missing, seen = [], [], set()
            for item in inputs:
                object_id = str(item.get("id")) if isinstance(item, dict) else str(item)
                record = self._lookup(object_type, object_id, id_property, archived)
                if record is None:
                    missing.append(object_id)
                elif record.id not in seen:
                    seen.add(record.id)
                    results.append(self._render(record, wanted))
            errors = []
            if missing:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "message": f"Could not get some {singular} objects, they may be deleted "
                        "or not exist. Check that ids are valid.",
                        "context": {"ids": missing},
                    }
                )
            return _Response(207 if errors else 200, self._batch_envelope(results, errors, started))
        if op == "archive":
            for item in inputs:
                record = self._objects[object_type].get(str(_field(item, "id")))
                if record is not None:
                    self._archive(record)
            return _Response(204)
        if op == "create":
            writes, specs = [], []
            for item in inputs:
                if not isinstance(item, dict):
                    raise _validation("Invalid input JSON: each input must be an object")
                writes.append(self._normalize(object_type, item.get("properties") or {}, None))
                self._check_required(object_type, writes[-1])
                specs.append(self._association_specs(object_type, item.get("associations")))
            self._check_unique(object_type, writes, None)
            created = []
            for item, spec in zip(inputs, specs, strict=True):
                record = self._create_record(object_type, item.get("properties") or {})
                for triple in spec:
                    self._link(object_type, record.id, *triple)
                created.append(self._render(record, None, extra=item.get("properties") or {}))
            return _Response(201, self._batch_envelope(created, [], started))
        if op == "update":
            targets, writes, missing = [], [], []
            for item in inputs:
                object_id = str(_field(item, "id"))
                record = self._lookup(object_type, object_id, item.get("idProperty"))
                if record is None:
                    missing.append(object_id)
                    continue
                targets.append((record, item.get("properties") or {}))
                writes.append(self._normalize(object_type, item.get("properties") or {}, record))
            self._check_unique(object_type, writes, [r for r, _ in targets])
            results = []
            for (record, props), normalized in zip(targets, writes, strict=True):
                self._write(record, normalized)
                results.append(self._render(record, None, extra=props))
            errors = []
            if missing:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "message": f"Could not update some {singular} objects, they may be "
                        "deleted or not exist. Check that ids are valid.",
                        "context": {"ids": missing},
                    }
                )
            return _Response(207 if errors else 200, self._batch_envelope(results, errors, started))
        # upsert
        results = []
        for item in inputs:
            id_property = _field(item, "idProperty")
            object_id = str(_field(item, "id"))
            props = item.get("properties") or {}
            record = self._lookup(object_type, object_id, id_property)
            if record is None:
                props = {**props, id_property: object_id}
                record = self._create_record(object_type, props)
                new = True
            else:
                normalized = self._normalize(object_type, props, record)
                self._check_unique(object_type, [normalized], [record])
                self._write(record, normalized)
                new = False
            results.append({**self._render(record, None, extra=props), "new": new})
        return _Response(200, self._batch_envelope(results, [], started))

    # search ------------------------------------------------------------------------

    def _h_search(self, request: _Request, params: dict[str, str]) -> _Response:
        object_type = _object_type(params["type"])
        body = request.json() or {}
        if not isinstance(body, dict):
            raise _validation("Invalid input JSON: expected an object")
        limit = _int_param(body.get("limit"), 10, "limit")
        if limit < 0 or limit > _MAX_SEARCH_LIMIT:
            raise _validation(
                f"limit must be between 0 and {_MAX_SEARCH_LIMIT}, got {limit}",
                context={"limit": [str(limit)]},
            )
        after = _int_param(body.get("after"), 0, "after")
        if after >= SEARCH_RESULT_CAP:
            raise _validation(
                f"Paging past {SEARCH_RESULT_CAP} results is not supported: a search can return "
                f"at most {SEARCH_RESULT_CAP} results (after={after}). Narrow the filters.",
                context={"after": [str(after)]},
            )
        groups = body.get("filterGroups") or []
        if not isinstance(groups, list):
            raise _validation("Invalid input JSON: filterGroups must be an array")
        filters_total = sum(len(g.get("filters") or []) for g in groups if isinstance(g, dict))
        if len(groups) > _MAX_FILTER_GROUPS:
            raise _validation(f"Too many filter groups: {len(groups)} > {_MAX_FILTER_GROUPS}")
        if any(len(g.get("filters") or []) > _MAX_FILTERS_PER_GROUP for g in groups):
            raise _validation(f"Too many filters in a group: the limit is {_MAX_FILTERS_PER_GROUP}")
        if filters_total > _MAX_FILTERS:
            raise _validation(f"Too many filters: {filters_total} > {_MAX_FILTERS}")
        for group in groups:
            for flt in group.get("filters") or []:
                self._check_filter(flt)
        text = str(body.get("query") or "").strip().lower()
        records = [r for r in self._objects[object_type].values() if not r.archived]
        if groups:
            records = [
                r
                for r in records
                if any(
                    all(self._filter_matches(r, f) for f in g.get("filters") or []) for g in groups
                )
            ]
        if text:
            records = [
                r
                for r in records
                if any(
                    text in (r.properties.get(p) or "").lower()
                    for p in _QUERY_PROPERTIES[object_type]
                )
            ]
        records = self._sorted(records, body.get("sorts") or [])
        total = len(records)
        page = records[after : after + limit]
        wanted = body.get("properties") or None
        out: dict[str, Any] = {"total": total, "results": [self._render(r, wanted) for r in page]}
        if after + limit < total:
            out["paging"] = {"next": {"after": str(after + limit)}}
        return _Response(200, out)

    _OPERATORS = frozenset(
        {
            "EQ",
            "NEQ",
            "LT",
            "LTE",
            "GT",
            "GTE",
            "BETWEEN",
            "IN",
            "NOT_IN",
            "HAS_PROPERTY",
            "NOT_HAS_PROPERTY",
            "CONTAINS_TOKEN",
            "NOT_CONTAINS_TOKEN",
        }
    )

    def _check_filter(self, flt: Any) -> None:
        if not isinstance(flt, dict) or not flt.get("propertyName"):
            raise _validation("Invalid input JSON: each filter needs a propertyName")
        operator = flt.get("operator")
        if operator not in self._OPERATORS:
            raise _validation(
                f"Cannot deserialize value of type `FilterOperatorEnum` from String "
                f'"{operator}": not one of the values accepted for Enum class: '
                f"[{', '.join(sorted(self._OPERATORS))}]"
            )
        if operator in ("IN", "NOT_IN") and not isinstance(flt.get("values"), list):
            raise _validation(f"The {operator} operator needs a values array")
        if operator == "BETWEEN" and ("value" not in flt or "highValue" not in flt):
            raise _validation("The BETWEEN operator needs value and highValue")
        if (
            operator not in ("IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY")
            and "value" not in flt
        ):
            raise _validation(f"The {operator} operator needs a value")

    def _key(self, object_type: str, prop: str, value: Any) -> tuple[int, Any] | None:
        """A comparable form of a property value: numbers and times as numbers."""
        if value is None:
            return None
        definition = self._properties[object_type].get(prop)
        kind = definition.type if definition else "string"
        if prop == "hs_object_id":
            kind = "number"
        if kind in ("datetime", "date"):
            ms = parse_time_ms(value)
            return (0, ms) if ms is not None else (1, str(value).lower())
        if kind == "number":
            try:
                return (0, float(value))
            except (TypeError, ValueError):
                return (1, str(value).lower())
        return (1, _stringify(value).lower())

    def _filter_matches(self, record: _Record, flt: dict[str, Any]) -> bool:
        prop, operator = flt["propertyName"], flt["operator"]
        raw = record.properties.get(prop)
        if operator == "HAS_PROPERTY":
            return raw is not None
        if operator == "NOT_HAS_PROPERTY":
            return raw is None
        have = self._key(record.type, prop, raw)
        if operator in ("IN", "NOT_IN"):
            keys = [self._key(record.type, prop, v) for v in flt["values"]]
            hit = have is not None and have in keys
            return hit if operator == "IN" else not hit
        if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            pattern = str(flt["value"]).lower()
            text = (raw or "").lower()
            tokens = [t for t in re.split(r"[^\w@.]+", text) if t]
            hit = raw is not None and (
                fnmatch.fnmatchcase(text, pattern)
                or any(fnmatch.fnmatchcase(t, pattern) for t in tokens)
            )
            return hit if operator == "CONTAINS_TOKEN" else not hit
        value = self._key(record.type, prop, flt.get("value"))
        if operator == "EQ":
            return have is not None and have == value
        if operator == "NEQ":
            return have != value
        if have is None or value is None or have[0] != value[0]:
            return False
        if operator == "BETWEEN":
            high = self._key(record.type, prop, flt.get("highValue"))
            return high is not None and value <= have <= high
        return {
            "GT": have > value,
            "GTE": have >= value,
            "LT": have < value,
            "LTE": have <= value,
        }[operator]

    def _sorted(self, records: list[_Record], sorts: Any) -> list[_Record]:
        if not isinstance(sorts, list):
            raise _validation("Invalid input JSON: sorts must be an array")
        ordered = sorted(records, key=lambda r: int(r.id))
        for spec in reversed(sorts):
            if isinstance(spec, str):
                prop, descending = spec.lstrip("-"), spec.startswith("-")
            elif isinstance(spec, dict) and spec.get("propertyName"):
                prop = spec["propertyName"]
                descending = str(spec.get("direction", "ASCENDING")).upper() == "DESCENDING"
            else:
                raise _validation("Invalid input JSON: a sort needs a propertyName")
            present = [r for r in ordered if r.properties.get(prop) is not None]
            absent = [r for r in ordered if r.properties.get(prop) is None]
            present.sort(
                key=lambda r, p=prop: self._key(r.type, p, r.properties.get(p)) or (2, ""),
                reverse=descending,
            )
            ordered = present + absent
        return ordered

    # associations v4 ---------------------------------------------------------------------

    def _h_assoc_list(self, request: _Request, params: dict[str, str]) -> _Response:
        from_type, to_type = _object_type(params["from"]), _object_type(params["to"])
        limit = max(1, min(_int_param(request.q("limit"), 500, "limit"), _MAX_ASSOCIATION_PAGE))
        offset = _int_param(request.q("after"), 0, "after")
        record = self._objects[from_type].get(params["id"])
        links = (
            self._live_links(from_type, params["id"], to_type)
            if record is not None and not record.archived
            else []
        )
        page = links[offset : offset + limit]
        out: dict[str, Any] = {"results": [self._association_entry(i, t) for i, t in page]}
        if offset + limit < len(links):
            out["paging"] = self._paging(request, str(offset + limit))
        return _Response(200, out)

    def _live_record(self, object_type: str, object_id: str) -> _Record:
        record = self._objects[object_type].get(object_id)
        if record is None or record.archived:
            raise _not_found(object_id)
        return record

    def _spec_result(self, from_id: str, to_id: str, type_id: int) -> dict[str, Any]:
        return {
            "from": {"id": from_id},
            "to": {"id": to_id},
            "associationSpec": {
                "associationCategory": "HUBSPOT_DEFINED",
                "associationTypeId": type_id,
            },
        }

    def _associate_default(self, from_type: str, from_id: str, to_type: str, to_id: str) -> list:
        self._live_record(from_type, from_id)
        self._live_record(to_type, to_id)
        type_id = DEFAULT_ASSOCIATION_TYPE_IDS.get((from_type, to_type))
        if type_id is None:
            raise _validation(f"There is no default association from {from_type} to {to_type}")
        self._link(from_type, from_id, to_type, to_id, type_id)
        return [
            self._spec_result(from_id, to_id, type_id),
            self._spec_result(to_id, from_id, _REVERSE_TYPE[type_id]),
        ]

    def _h_assoc_put_default(self, request: _Request, params: dict[str, str]) -> _Response:
        from_type, to_type = _object_type(params["from"]), _object_type(params["to"])
        started = self._now_iso()
        results = self._associate_default(from_type, params["id"], to_type, params["to_id"])
        return _Response(200, self._batch_envelope(results, [], started))

    def _labeled(self, from_type: str, from_id: str, to_type: str, to_id: str, types: Any) -> dict:
        self._live_record(from_type, from_id)
        self._live_record(to_type, to_id)
        if not isinstance(types, list) or not types:
            raise _validation("Invalid input JSON: expected an array of association types")
        for t in types:
            if not isinstance(t, dict) or t.get("associationCategory") != "HUBSPOT_DEFINED":
                raise _validation(
                    "Only HUBSPOT_DEFINED association types exist in this portal",
                    subCategory="crm.associations.INVALID_ASSOCIATION_TYPE",
                )
            self._link(
                from_type,
                from_id,
                to_type,
                to_id,
                _int_param(t.get("associationTypeId"), 0, "associationTypeId"),
            )
        types_now = self._assoc.get((from_type, from_id, to_type), {}).get(to_id, set())
        return {
            "fromObjectTypeId": _OBJECT_TYPE_IDS[from_type],
            "fromObjectId": int(from_id),
            "toObjectTypeId": _OBJECT_TYPE_IDS[to_type],
            "toObjectId": int(to_id),
            "labels": [
                ASSOCIATION_TYPES[t][3] for t in sorted(types_now) if ASSOCIATION_TYPES[t][3]
            ],
        }

    def _h_assoc_put_labeled(self, request: _Request, params: dict[str, str]) -> _Response:
        from_type, to_type = _object_type(params["from"]), _object_type(params["to"])
        result = self._labeled(from_type, params["id"], to_type, params["to_id"], request.json())
        return _Response(201, result)

    def _h_assoc_delete(self, request: _Request, params: dict[str, str]) -> _Response:
        from_type, to_type = _object_type(params["from"]), _object_type(params["to"])
        self._unlink(from_type, params["id"], to_type, params["to_id"])
        return _Response(204)

    def _h_assoc_batch(self, request: _Request, params: dict[str, str]) -> _Response:
        from_type, to_type = _object_type(params["from"]), _object_type(params["to"])
        body = request.json_object()
        inputs = self._batch_inputs(body, _MAX_ASSOCIATION_BATCH)
        started = self._now_iso()
        op = params["op"]
        if op == "read":
            results, errors = [], []
            for item in inputs:
                from_id = str(_field(item, "id"))
                offset = _int_param(item.get("after"), 0, "after")
                record = self._objects[from_type].get(from_id)
                links = (
                    self._live_links(from_type, from_id, to_type)
                    if record is not None and not record.archived
                    else []
                )
                if not links:
                    errors.append(
                        {
                            "status": "error",
                            "category": "OBJECT_NOT_FOUND",
                            "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                            "message": f"No {_SINGULAR[to_type]} is associated with "
                            f"{_SINGULAR[from_type]} {from_id}.",
                            "context": {"fromObjectId": [from_id]},
                        }
                    )
                    continue
                page = links[offset : offset + _MAX_ASSOCIATION_PAGE]
                entry: dict[str, Any] = {
                    "from": {"id": from_id},
                    "to": [self._association_entry(i, t) for i, t in page],
                }
                if offset + _MAX_ASSOCIATION_PAGE < len(links):
                    entry["paging"] = {
                        "next": {"after": str(offset + _MAX_ASSOCIATION_PAGE), "link": None}
                    }
                results.append(entry)
            return _Response(207 if errors else 200, self._batch_envelope(results, errors, started))
        if op == "associate/default":
            results = []
            for item in inputs:
                results.extend(
                    self._associate_default(
                        from_type,
                        str(_field(_field(item, "from"), "id")),
                        to_type,
                        str(_field(_field(item, "to"), "id")),
                    )
                )
            return _Response(200, self._batch_envelope(results, [], started))
        if op == "create":
            results = [
                self._labeled(
                    from_type,
                    str(_field(_field(item, "from"), "id")),
                    to_type,
                    str(_field(_field(item, "to"), "id")),
                    _field(item, "types"),
                )
                for item in inputs
            ]
            return _Response(201, self._batch_envelope(results, [], started))
        # archive
        for item in inputs:
            from_id = str(_field(_field(item, "from"), "id"))
            targets = _field(item, "to")
            for target in targets if isinstance(targets, list) else [targets]:
                self._unlink(from_type, from_id, to_type, str(_field(target, "id")))
        return _Response(204)


# --------------------------------------------------------------------------------------------
# Helpers


def _canonical_type(name: str) -> str:
    object_type = _TYPE_ALIASES.get(str(name).lower())
    if object_type is None:
        raise ValueError(f"unknown object type {name!r}; expected one of {OBJECT_TYPES}")
    return object_type


def _object_type(name: str) -> str:
    object_type = _TYPE_ALIASES.get(name.lower())
    if object_type is None:
        raise _validation(f"Unable to infer object type from: {name}")
    return object_type


def _ids(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, dict):
        return [str(values["id"])]
    if isinstance(values, str | int):
        return [str(values)]
    out: list[str] = []
    for value in values:
        out.extend(_ids(value))
    return out


def _unique_key(prop: str, value: str) -> str:
    return value.strip().lower() if prop == "email" else value


def _field(item: Any, name: str) -> Any:
    if not isinstance(item, dict) or item.get(name) is None:
        raise _validation(f"Invalid input JSON: missing required field {name}")
    return item[name]


def _int_param(value: Any, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(str(value))
    except ValueError:
        raise _validation(
            f"Invalid value for {name}: {value!r} is not an integer",
            context={name: [str(value)]},
        ) from None


def _compile(path: str | None) -> re.Pattern[str] | None:
    return re.compile(path) if path else None


def _match(method: str, path: str) -> tuple[tuple | None, dict[str, str]]:
    for route in _ROUTES:
        if route[0] != method:
            continue
        found = route[1].fullmatch(path)
        if found:
            return route, found.groupdict()
    return None, {}


def _endpoint(route: tuple | None, params: dict[str, str], method: str, path: str) -> str:
    if route is None:
        return f"{method} {path}"
    values = {
        key: _TYPE_ALIASES.get(params.get(key, "").lower(), params.get(key, ""))
        for key in ("type", "from", "to")
    }
    values["op"] = params.get("op", "")
    return route[3].format(**values)


def _malformed(response: _Response) -> _Response:
    if response.raw is not None:
        payload = response.raw
    elif response.body is not None:
        payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
    else:
        payload = b'{"status":"COMPLETE","results":[{"id":"1'
    cut = payload[: max(1, len(payload) // 2)]
    status = 200 if response.status == 204 else response.status
    return _Response(status, raw=cut, content_type=_JSON, headers=dict(response.headers))


def _property_kwargs(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": spec["name"],
        "label": spec.get("label", spec["name"]),
        "type": spec.get("type", "string"),
        "field_type": spec.get("fieldType") or spec.get("field_type"),
        "group": spec.get("groupName") or spec.get("group"),
        "options": spec.get("options"),
        "unique": bool(spec.get("hasUniqueValue") or spec.get("unique")),
        "description": spec.get("description", ""),
    }
