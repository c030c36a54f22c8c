"""A loopback fake of Salesforce's REST API (v60.0), for testing a Salesforce client offline.

``SalesforceFake`` runs a standard-library ``ThreadingHTTPServer`` on 127.0.0.1 (a free port)
that speaks the documented wire protocol of the endpoints a CRM sync needs:

* ``Authorization: Bearer <token>`` sessions (401 ``INVALID_SESSION_ID`` when bad or expired),
  the OAuth 2.0 refresh-token flow (``/services/oauth2/token``), ``revoke`` and ``userinfo``;
* ``/services/data/`` (versions), the version's resource list, ``limits``, and the
  ``Sforce-Limit-Info: api-usage=N/M`` header on every response;
* SOQL through ``query`` and ``queryAll`` (a faithful subset: field lists with parent
  relationships, ``WHERE`` with ``AND``/``OR``/``NOT`` and parentheses, every comparison
  operator, ``IN``/``NOT IN``, ``LIKE``, typed literals, ``ORDER BY``, ``LIMIT``, ``OFFSET``,
  ``COUNT()``), paged with query locators (``nextRecordsUrl``);
* sObject describe, create, retrieve, update, delete (to the recycle bin: ``IsDeleted``),
  upsert and retrieval by external id (201 / 200 / 300), get updated and get deleted;
* sObject Collections (``/composite/sobjects``): create, update, upsert, delete, retrieve,
  with ``allOrNone`` and the 200-record limit;
* Account, Contact, Opportunity, Task, ContentNote (with ContentDocument and
  ContentDocumentLink) and User, with 18-character ids carrying the real key prefixes,
  Salesforce's audit fields, and custom fields (``ARR__c``, ``Renewal_Date__c``,
  ``CSM_Desk_Id__c`` as an external id; configurable);
* the total and concurrent API request allowances (403 ``REQUEST_LIMIT_EXCEEDED``).

The test drives it from its own side, thread-safely, with the same API as the sibling
``HubSpotFake``: seed and inspect the data (``add_accounts``, ``touch``, ``delete``,
``records``...), inject faults (5xx with Salesforce's or an HTML body, dropped connections
before or after a write is applied, malformed JSON, a request-limit storm, delays, a session
that expires at request *k*), and count what the client sent (``requests``, ``counts()``).

    with SalesforceFake() as fake:
        fake.add_accounts(2500)
        client = MyClient(instance_url=fake.base_url, token=fake.token)
        ...
        assert fake.count("GET /services/data/v60.0/query") == 1

Salesforce stores its audit timestamps to the second (``...T01:02:03.000+0000``); so does the
fake by default (``timestamp_precision_ms``), which makes several writes in one second share
a ``SystemModstamp`` exactly as they do in a real org.

Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import hmac
import json
import re
import secrets
import socket
import string
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.crm import hubspot_fake as _hs
from tests.crm.hubspot_fake import EPOCH, FakeClock, RecordedRequest

__all__ = [
    "API_VERSION",
    "DEFAULT_CUSTOM_FIELDS",
    "KEY_PREFIXES",
    "MAX_COLLECTION_RECORDS",
    "FakeClock",
    "FieldDef",
    "RecordedRequest",
    "SalesforceFake",
    "parse_sf_datetime",
    "sf_date",
    "sf_datetime",
    "sf_id18",
]

API_VERSION = "60.0"
MAX_COLLECTION_RECORDS = 200
MAX_COLLECTION_RETRIEVE = 2000
DEFAULT_QUERY_BATCH = 2000
MAX_OFFSET = 2000

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "ContentNote": "069",
    "ContentDocument": "069",
    "ContentVersion": "068",
    "ContentDocumentLink": "06A",
    "Task": "00T",
}
_ORG_PREFIX = "00D"
_LOCATOR_PREFIX = "01g"
_POD = "8d"

_JSON = "application/json;charset=UTF-8"
_NOT_FOUND_MESSAGE = "The requested resource does not exist"
_ROLLED_BACK = (
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header"
)
_FLS_MESSAGE = (
    "Unable to create/update fields: {names}. Please check the security settings of this field "
    "and verify that it is read/write for your profile or permission set."
)
_NO_COLUMN_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom "
    "field name. Please reference your WSDL or the describe call for the appropriate names."
)
_MAINTENANCE_HTML = (
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head><body>"
    "<h1>Service Unavailable</h1><p>The server is temporarily unable to service your request "
    "due to maintenance downtime or capacity problems. Please try again later.</p>"
    "</body></html>\n"
)

_UNICODE_COMPANY_NAMES = _hs._UNICODE_COMPANY_NAMES
_UNICODE_FIRST_NAMES = _hs._UNICODE_FIRST_NAMES
_UNICODE_LAST_NAMES = _hs._UNICODE_LAST_NAMES

_Response = _hs._Response
_ApiError = _hs._ApiError
_Fault = _hs._Fault


# --------------------------------------------------------------------------------------------
# Ids and time


_B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM = string.ascii_uppercase + "012345"
_ID_RE = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")


def _base62(n: int, width: int) -> str:
    out = ""
    while n:
        n, digit = divmod(n, 62)
        out = _B62[digit] + out
    return out.rjust(width, "0")[-width:]


def sf_id18(id15: str) -> str:
    """The 18-character, case-insensitive-safe form of a 15-character Salesforce id."""
    id15 = id15[:15]
    suffix = ""
    for i in range(3):
        chunk = id15[i * 5 : i * 5 + 5]
        bits = sum(1 << j for j, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _CHECKSUM[bits]
    return id15 + suffix


def _normalize_id(value: Any) -> str | None:
    """A 15- or 18-character id as its 18-character form; None if it is not a valid id."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        return None
    full = sf_id18(value)
    if len(value) == 18 and value[15:].upper() != full[15:]:
        return None
    return full


def sf_datetime(ms: int) -> str:
    """Salesforce's date-time format: 2026-12-08T01:02:03.000+0000 (always UTC)."""
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}+0000"


def sf_date(ms: int) -> str:
    return (EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%d")


_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|[+\- ]\d{2}:?\d{2})?"
)


def parse_sf_datetime(value: Any) -> int | None:
    """Milliseconds since the epoch from an ISO date-time (``Z``, ``+0000``, ``+00:00``; a
    space standing for a ``+`` that a query string turned into one) or a bare date."""
    if not isinstance(value, str):
        return None
    found = _DATETIME_RE.fullmatch(value.strip())
    if not found:
        return None
    year, month, day, hour, minute, second, frac, zone = found.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    ms = (moment - EPOCH) // timedelta(milliseconds=1)
    if frac:
        ms += int((frac + "00")[:3])
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        ms -= sign * (int(digits[:2]) * 60 + int(digits[2:])) * 60_000
    return ms


def _date_ms(text: str) -> int:
    day = date.fromisoformat(text)
    return (datetime(day.year, day.month, day.day, tzinfo=UTC) - EPOCH) // timedelta(milliseconds=1)


def _version_label(version: float) -> str:
    k = round(60 - version)
    year, pos = 24 - k // 3, k % 3
    if pos == 0:
        return f"Spring '{year % 100:02d}"
    if pos == 1:
        return f"Winter '{year % 100:02d}"
    return f"Summer '{(year - 1) % 100:02d}"


# --------------------------------------------------------------------------------------------
# Schema


_STRING_TYPES = frozenset(
    {"string", "textarea", "email", "phone", "url", "picklist", "combobox", "base64"}
)
_NUMBER_TYPES = frozenset({"currency", "double", "percent", "int"})
_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "currency": "xsd:double",
    "double": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "base64": "xsd:base64Binary",
}
_DESCRIBE_TYPES = {"datetime": "datetime"}
_SOQL_TYPE_NAMES = {
    "datetime": "dateTime",
    "date": "date",
    "currency": "double",
    "double": "double",
    "percent": "double",
    "int": "integer",
    "boolean": "boolean",
    "id": "id",
    "reference": "id",
}


@dataclass
class FieldDef:
    """One field of an object, as ``GET .../sobjects/{Obj}/describe`` describes it."""

    name: str
    type: str = "string"  # id reference string textarea email phone url picklist currency ...
    label: str = ""
    length: int = 0
    custom: bool = False
    external_id: bool = False
    unique: bool = False
    id_lookup: bool = False
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    required: bool = False  # must be given on create
    default: Any = None
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    polymorphic: bool = False
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    calculated: bool = False
    name_field: bool = False

    def __post_init__(self) -> None:
        if not self.label:
            base = self.name[:-3] if self.name.endswith("__c") else self.name
            if self.type == "reference" and base.endswith("Id"):
                base = base[:-2] + " ID"
            self.label = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base).replace("_", " ")
        if not self.length and self.type in _STRING_TYPES:
            self.length = 255
        if self.type in ("id", "reference"):
            self.length = 18

    @property
    def filterable(self) -> bool:
        return not (self.type == "base64" or (self.type == "textarea" and self.length > 255))

    sortable = filterable

    def describe(self) -> dict[str, Any]:
        picklist = [
            {
                "active": True,
                "defaultValue": value == self.default,
                "label": value,
                "validFor": None,
                "value": value,
            }
            for value in self.picklist
        ]
        numeric = self.type in _NUMBER_TYPES
        return {
            "aggregatable": self.type not in ("textarea", "base64"),
            "autoNumber": False,
            "calculated": self.calculated,
            "caseSensitive": False,
            "createable": self.createable,
            "custom": self.custom,
            "defaultValue": self.default if self.type in ("boolean", "picklist") else None,
            "defaultedOnCreate": self.default is not None or not self.createable,
            "externalId": self.external_id,
            "filterable": self.filterable,
            "groupable": self.filterable and not numeric,
            "idLookup": self.id_lookup or self.type == "id",
            "label": self.label,
            "length": self.length if self.type in _STRING_TYPES or self.type == "id" else 0,
            "name": self.name,
            "nameField": self.name_field,
            "nillable": self.nillable,
            "picklistValues": picklist,
            "polymorphicForeignKey": self.polymorphic,
            "precision": 18 if numeric and self.type != "int" else 0,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "restrictedPicklist": self.restricted,
            "scale": 2 if self.type in ("currency", "percent") else 0,
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
            "sortable": self.sortable,
            "type": _DESCRIBE_TYPES.get(self.type, self.type),
            "unique": self.unique,
            "updateable": self.updateable,
        }


@dataclass
class _ObjectDef:
    name: str
    label: str
    plural: str
    prefix: str
    fields: dict[str, FieldDef]
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    store: str = ""  # whose records these are (a view such as ContentDocument)
    lookup: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.store = self.store or self.name
        self.reindex()

    def reindex(self) -> None:
        self.lookup = {name.lower(): name for name in self.fields}

    def field(self, name: str) -> FieldDef | None:
        canonical = self.lookup.get(name.lower())
        return self.fields[canonical] if canonical else None

    def relationship(self, name: str) -> FieldDef | None:
        for fdef in self.fields.values():
            if fdef.relationship_name and fdef.relationship_name.lower() == name.lower():
                return fdef
        return None


def _ro(name: str, type_: str, **kw: Any) -> FieldDef:
    return FieldDef(name, type_, createable=False, updateable=False, **kw)


def _audit(owned: bool = True, created: bool = True) -> list[FieldDef]:
    out = [_ro("IsDeleted", "boolean", label="Deleted", nillable=False)]
    if owned:
        out.append(
            FieldDef(
                "OwnerId",
                "reference",
                label="Owner ID",
                nillable=False,
                reference_to=("User",),
                relationship_name="Owner",
            )
        )
    if created:
        out += [
            _ro("CreatedDate", "datetime", label="Created Date", nillable=False),
            _ro(
                "CreatedById",
                "reference",
                label="Created By ID",
                nillable=False,
                reference_to=("User",),
                relationship_name="CreatedBy",
            ),
            _ro("LastModifiedDate", "datetime", label="Last Modified Date", nillable=False),
            _ro(
                "LastModifiedById",
                "reference",
                label="Last Modified By ID",
                nillable=False,
                reference_to=("User",),
                relationship_name="LastModifiedBy",
            ),
        ]
    out.append(_ro("SystemModstamp", "datetime", label="System Modstamp", nillable=False))
    return out


_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
_TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")


def _standard_objects() -> dict[str, _ObjectDef]:
    def obj(name: str, label: str, plural: str, fields: list[FieldDef], **kw: Any) -> _ObjectDef:
        return _ObjectDef(
            name, label, plural, KEY_PREFIXES[name], {f.name: f for f in fields}, **kw
        )

    def ident(label: str) -> FieldDef:
        return _ro("Id", "id", label=label, nillable=False)

    long_text = {"length": 32000}
    account = obj(
        "Account",
        "Account",
        "Accounts",
        [
            ident("Account ID"),
            FieldDef("Name", label="Account Name", required=True, nillable=False, name_field=True),
            FieldDef(
                "Type",
                "picklist",
                label="Account Type",
                picklist=("Prospect", "Customer - Direct", "Customer - Channel", "Other"),
            ),
            FieldDef(
                "ParentId",
                "reference",
                label="Parent Account ID",
                reference_to=("Account",),
                relationship_name="Parent",
            ),
            FieldDef("BillingCity", length=40),
            FieldDef("BillingCountry", length=80),
            FieldDef("Phone", "phone", label="Account Phone", length=40),
            FieldDef("Website", "url"),
            FieldDef(
                "Industry",
                "picklist",
                picklist=("Technology", "Finance", "Healthcare", "Retail", "Manufacturing"),
            ),
            FieldDef("AnnualRevenue", "currency"),
            FieldDef("NumberOfEmployees", "int", label="Employees"),
            FieldDef("Description", "textarea", label="Account Description", **long_text),
            *_audit(),
        ],
    )
    contact = obj(
        "Contact",
        "Contact",
        "Contacts",
        [
            ident("Contact ID"),
            FieldDef(
                "AccountId",
                "reference",
                reference_to=("Account",),
                relationship_name="Account",
            ),
            FieldDef("LastName", label="Last Name", length=80, required=True, nillable=False),
            FieldDef("FirstName", label="First Name", length=40),
            _ro("Name", "string", label="Full Name", length=121, calculated=True, name_field=True),
            FieldDef("Title", length=128),
            FieldDef("Email", "email", length=80, id_lookup=True),
            FieldDef("Phone", "phone", label="Business Phone", length=40),
            FieldDef("Department", length=80),
            FieldDef("Description", "textarea", label="Contact Description", **long_text),
            *_audit(),
        ],
    )
    opportunity = obj(
        "Opportunity",
        "Opportunity",
        "Opportunities",
        [
            ident("Opportunity ID"),
            FieldDef(
                "AccountId",
                "reference",
                reference_to=("Account",),
                relationship_name="Account",
            ),
            FieldDef(
                "Name",
                label="Opportunity Name",
                length=120,
                required=True,
                nillable=False,
                name_field=True,
            ),
            FieldDef("Description", "textarea", **long_text),
            FieldDef(
                "StageName",
                "picklist",
                label="Stage",
                picklist=_STAGES,
                restricted=True,
                required=True,
                nillable=False,
                length=40,
            ),
            FieldDef("Amount", "currency"),
            FieldDef("Probability", "percent", label="Probability (%)"),
            FieldDef("CloseDate", "date", label="Close Date", required=True, nillable=False),
            FieldDef(
                "Type",
                "picklist",
                label="Opportunity Type",
                picklist=(
                    "New Customer",
                    "Existing Customer - Upgrade",
                    "Existing Customer - Downgrade",
                    "Existing Customer - Replacement",
                ),
            ),
            _ro("IsClosed", "boolean", label="Closed", nillable=False, calculated=True),
            _ro("IsWon", "boolean", label="Won", nillable=False, calculated=True),
            *_audit(),
        ],
    )
    task = obj(
        "Task",
        "Task",
        "Tasks",
        [
            ident("Activity ID"),
            FieldDef(
                "WhoId",
                "reference",
                label="Name ID",
                reference_to=("Contact",),
                relationship_name="Who",
                polymorphic=True,
            ),
            FieldDef(
                "WhatId",
                "reference",
                label="Related To ID",
                reference_to=("Account", "Opportunity"),
                relationship_name="What",
                polymorphic=True,
            ),
            FieldDef("Subject", "combobox"),
            FieldDef("ActivityDate", "date", label="Due Date Only"),
            FieldDef(
                "Status",
                "picklist",
                picklist=_TASK_STATUSES,
                restricted=True,
                nillable=False,
                default="Not Started",
                length=40,
            ),
            FieldDef(
                "Priority",
                "picklist",
                picklist=("High", "Normal", "Low"),
                restricted=True,
                nillable=False,
                default="Normal",
                length=40,
            ),
            _ro("IsClosed", "boolean", label="Closed", nillable=False, calculated=True),
            FieldDef("Description", "textarea", label="Comments", **long_text),
            FieldDef(
                "TaskSubtype",
                "picklist",
                label="Task Subtype",
                picklist=("Task", "Email", "Call"),
                restricted=True,
                updateable=False,
                default="Task",
                length=40,
            ),
            *_audit(),
        ],
    )
    note_fields = [
        ident("ContentNote ID"),
        FieldDef("Title", required=True, nillable=False, name_field=True),
        FieldDef("Content", "base64"),
        _ro("TextPreview", "string", label="Text Preview", calculated=True),
        _ro("FileType", "string", label="File Type", length=20),
        _ro("FileExtension", "string", label="File Extension", length=40),
        _ro("ContentSize", "int", label="Size"),
        _ro(
            "LatestPublishedVersionId",
            "reference",
            label="Latest Published Version ID",
            reference_to=("ContentVersion",),
            relationship_name="LatestPublishedVersion",
        ),
        *_audit(),
    ]
    note = obj("ContentNote", "Note", "Notes", note_fields)
    document = obj(
        "ContentDocument",
        "Content Document",
        "Content Documents",
        [
            ident("ContentDocument ID"),
            FieldDef("Title", required=True, nillable=False, name_field=True),
            *[copy.copy(f) for f in note_fields if f.name not in ("Id", "Title", "Content")],
        ],
        createable=False,
        store="ContentNote",
    )
    document.fields.pop("TextPreview", None)
    document.reindex()
    link = obj(
        "ContentDocumentLink",
        "Content Document Link",
        "Content Document Links",
        [
            ident("ContentDocumentLink ID"),
            FieldDef(
                "LinkedEntityId",
                "reference",
                label="Linked Entity ID",
                reference_to=("Account", "Contact", "Opportunity", "User"),
                relationship_name="LinkedEntity",
                polymorphic=True,
                updateable=False,
                required=True,
                nillable=False,
            ),
            FieldDef(
                "ContentDocumentId",
                "reference",
                label="ContentDocument ID",
                reference_to=("ContentDocument",),
                relationship_name="ContentDocument",
                updateable=False,
                required=True,
                nillable=False,
            ),
            FieldDef(
                "ShareType",
                "picklist",
                label="Share Type",
                picklist=("V", "C", "I"),
                restricted=True,
                nillable=False,
                default="V",
                length=40,
            ),
            FieldDef(
                "Visibility",
                "picklist",
                picklist=("AllUsers", "InternalUsers", "SharedUsers"),
                restricted=True,
                nillable=False,
                default="AllUsers",
                length=40,
            ),
            *_audit(owned=False, created=False),
        ],
    )
    user = obj(
        "User",
        "User",
        "Users",
        [
            ident("User ID"),
            FieldDef(
                "Username", length=80, required=True, nillable=False, unique=True, id_lookup=True
            ),
            FieldDef("LastName", label="Last Name", length=80, required=True, nillable=False),
            FieldDef("FirstName", label="First Name", length=40),
            _ro("Name", "string", label="Full Name", length=121, calculated=True, name_field=True),
            FieldDef("Email", "email", length=128, required=True, nillable=False),
            FieldDef("Alias", length=8, required=True, nillable=False),
            FieldDef("Title", length=80),
            FieldDef("IsActive", "boolean", label="Active", nillable=False, default=True),
            *[f for f in _audit(owned=False) if f.name != "IsDeleted"],
        ],
        deletable=False,
    )
    return {o.name: o for o in (account, contact, opportunity, task, note, document, link, user)}


# Custom fields a CSM org typically has; ``custom_fields=`` replaces them.
DEFAULT_CUSTOM_FIELDS: dict[str, list[dict[str, Any]]] = {
    "Account": [
        {"name": "ARR__c", "type": "currency", "label": "ARR"},
        {"name": "Renewal_Date__c", "type": "date", "label": "Renewal Date"},
        {"name": "CSM_Desk_Id__c", "type": "string", "length": 64, "external_id": True},
    ],
    "Contact": [{"name": "CSM_Desk_Id__c", "type": "string", "length": 64, "external_id": True}],
    "Opportunity": [
        {"name": "CSM_Desk_Id__c", "type": "string", "length": 64, "external_id": True}
    ],
    "Task": [{"name": "CSM_Desk_Id__c", "type": "string", "length": 64, "external_id": True}],
}


# --------------------------------------------------------------------------------------------
# Errors


def _error_body(code: str, message: str, fields: list[str] | None = None) -> list[dict]:
    entry: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        entry["fields"] = fields
    return [entry]


def _error(status: int, code: str, message: str, fields: list[str] | None = None) -> _Response:
    return _Response(status, _error_body(code, message, fields), content_type=_JSON)


def _api_error(status: int, code: str, message: str, fields: list[str] | None = None) -> _ApiError:
    return _ApiError(_error(status, code, message, fields))


def _not_found(message: str = _NOT_FOUND_MESSAGE) -> _ApiError:
    return _api_error(404, "NOT_FOUND", message)


class _DmlError(Exception):
    """A record-level failure: 400 with one error for a single record, or a SaveResult entry."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None, status=400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or []
        self.status = status

    def response(self) -> _Response:
        return _error(self.status, self.code, self.message, self.fields)

    def save_error(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


def _json_parser_error(message: str) -> _DmlError:
    return _DmlError("JSON_PARSER_ERROR", message)


# --------------------------------------------------------------------------------------------
# SOQL


@dataclass
class _Tok:
    kind: str  # ident string number date datetime op punct eof
    text: str
    pos: int
    value: Any = None


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
   |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
   |(?P<date>\d{4}-\d{2}-\d{2})(?![\dT])
   |(?P<number>[+-]?(?:\d+(?:\.\d+)?|\.\d+))
   |(?P<string>'(?:[^'\\]|\\.)*')
   |(?P<op>!=|<>|<=|>=|=|<|>)
   |(?P<punct>[(),:])
   |(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
_RESERVED = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "ORDER",
        "BY",
        "LIMIT",
        "OFFSET",
        "ASC",
        "DESC",
        "NULLS",
        "FIRST",
        "LAST",
        "NULL",
        "TRUE",
        "FALSE",
        "GROUP",
        "HAVING",
    }
)
_DATE_LITERALS = frozenset(
    {"TODAY", "YESTERDAY", "TOMORROW", "LAST_N_DAYS", "NEXT_N_DAYS", "THIS_MONTH", "LAST_MONTH"}
)


class _SoqlError(Exception):
    def __init__(self, code: str, pos: int, message: str):
        super().__init__(message)
        self.code = code
        self.pos = pos
        self.message = message

    def format(self, query: str) -> str:
        """Salesforce's message: the query line, a caret under the column, then the reason."""
        pos = min(max(self.pos, 0), len(query))
        start = query.rfind("\n", 0, pos) + 1
        end = query.find("\n", pos)
        line = query[start : end if end >= 0 else len(query)]
        row = query.count("\n", 0, pos) + 1
        col = pos - start + 1
        return f"\n{line}\n{' ' * (col - 1)}^\nERROR at Row:{row}:Column:{col}\n{self.message}"


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        found = _TOKEN_RE.match(text, pos)
        if not found:
            if text[pos] == "'":
                raise _SoqlError(
                    "MALFORMED_QUERY", pos, f"line 1:{pos} mismatched character '<EOF>'"
                )
            raise _SoqlError("MALFORMED_QUERY", pos, f"unexpected token: '{text[pos]}'")
        kind = found.lastgroup or ""
        chunk = found.group()
        if kind != "ws":
            tok = _Tok(kind, chunk, pos)
            if kind == "string":
                tok.value = re.sub(
                    r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), chunk[1:-1]
                )
            elif kind == "number":
                tok.value = float(chunk) if "." in chunk else int(chunk)
            elif kind == "datetime":
                tok.value = parse_sf_datetime(chunk)
                if tok.value is None:
                    raise _SoqlError("MALFORMED_QUERY", pos, f"invalid date time: {chunk}")
            elif kind == "date":
                try:
                    date.fromisoformat(chunk)
                except ValueError:
                    raise _SoqlError("MALFORMED_QUERY", pos, f"invalid date: {chunk}") from None
                tok.value = chunk
            out.append(tok)
        pos = found.end()
    out.append(_Tok("eof", "<EOF>", len(text)))
    return out


@dataclass
class _Path:
    text: str
    pos: int
    steps: list[tuple[_ObjectDef | None, FieldDef]] = field(default_factory=list)

    @property
    def last(self) -> FieldDef:
        return self.steps[-1][1]


@dataclass
class _Lit:
    kind: str  # string number bool null date datetime range
    value: Any
    pos: int
    text: str


@dataclass
class _Cond:
    path: _Path
    op: str  # = != < <= > >= IN NOT IN LIKE
    values: list[_Lit]
    pos: int
    keys: list[Any] = field(default_factory=list)  # the literals in comparable form


@dataclass
class _Bool:
    op: str  # and or not
    items: list[Any]


@dataclass
class _Order:
    path: _Path
    descending: bool
    nulls_first: bool


@dataclass
class _Query:
    text: str
    object_name: str
    object_pos: int
    fields: list[_Path]
    count: bool
    where: Any
    order: list[_Order]
    limit: int | None
    offset: int
    obj: _ObjectDef | None = None


class _SoqlParser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def next(self) -> _Tok:
        tok = self.peek()
        self.i = min(self.i + 1, len(self.toks) - 1)
        return tok

    def unexpected(self, tok: _Tok) -> _SoqlError:
        text = "<EOF>" if tok.kind == "eof" else f"'{tok.text}'"
        return _SoqlError("MALFORMED_QUERY", tok.pos, f"unexpected token: {text}")

    def is_kw(self, word: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == "ident" and tok.text.upper() == word

    def kw(self, word: str) -> bool:
        if self.is_kw(word):
            self.next()
            return True
        return False

    def expect_kw(self, word: str) -> _Tok:
        if not self.is_kw(word):
            raise self.unexpected(self.peek())
        return self.next()

    def expect_punct(self, char: str) -> _Tok:
        tok = self.peek()
        if tok.kind != "punct" or tok.text != char:
            raise self.unexpected(tok)
        return self.next()

    def name(self) -> _Tok:
        tok = self.peek()
        if tok.kind != "ident" or tok.text.upper() in _RESERVED:
            raise self.unexpected(tok)
        return self.next()

    def integer(self) -> int:
        tok = self.peek()
        if tok.kind != "number" or not isinstance(tok.value, int) or tok.value < 0:
            raise self.unexpected(tok)
        self.next()
        return int(tok.value)

    def parse(self) -> _Query:
        self.expect_kw("SELECT")
        fields: list[_Path] = []
        count = False
        while True:
            tok = self.peek()
            if self.is_kw("COUNT") and self.peek(1).text == "(":
                self.next()
                self.next()
                if self.peek().text != ")":
                    raise _SoqlError(
                        "MALFORMED_QUERY",
                        self.peek().pos,
                        "only COUNT() is supported by this fake (no aggregate functions)",
                    )
                self.next()
                count = True
            elif tok.kind == "punct" and tok.text == "(":
                raise _SoqlError(
                    "MALFORMED_QUERY",
                    tok.pos,
                    "parent-to-child subqueries are not supported by this fake",
                )
            else:
                name = self.name()
                if self.peek().text == "(":
                    raise _SoqlError(
                        "MALFORMED_QUERY",
                        name.pos,
                        f"unsupported function in this fake: {name.text}()",
                    )
                fields.append(_Path(name.text, name.pos))
            if self.peek().kind == "punct" and self.peek().text == ",":
                self.next()
                continue
            break
        if count and fields:
            raise self.unexpected(self.toks[self.i - 1])
        self.expect_kw("FROM")
        obj = self.name()
        if "." in obj.text:
            raise self.unexpected(obj)
        where = None
        if self.kw("WHERE"):
            where = self.expr()
        order: list[_Order] = []
        if self.kw("ORDER"):
            self.expect_kw("BY")
            while True:
                tok = self.name()
                descending = False
                if self.kw("DESC"):
                    descending = True
                else:
                    self.kw("ASC")
                nulls_first = not descending
                if self.kw("NULLS"):
                    if self.kw("FIRST"):
                        nulls_first = True
                    else:
                        self.expect_kw("LAST")
                        nulls_first = False
                order.append(_Order(_Path(tok.text, tok.pos), descending, nulls_first))
                if self.peek().text == ",":
                    self.next()
                    continue
                break
        limit = None
        if self.kw("LIMIT"):
            limit = self.integer()
        offset = 0
        if self.kw("OFFSET"):
            tok = self.peek()
            offset = self.integer()
            if offset > MAX_OFFSET:
                raise _SoqlError(
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    tok.pos,
                    f"Maximum SOQL offset allowed is {MAX_OFFSET}",
                )
        if self.peek().kind != "eof":
            raise self.unexpected(self.peek())
        return _Query(self.text, obj.text, obj.pos, fields, count, where, order, limit, offset)

    def expr(self) -> Any:
        items = [self.term()]
        op = None
        while self.is_kw("AND") or self.is_kw("OR"):
            tok = self.peek()
            word = tok.text.upper()
            if op is not None and word != op:
                raise self.unexpected(tok)  # SOQL wants parentheses to mix AND and OR
            op = word
            self.next()
            items.append(self.term())
        return items[0] if op is None else _Bool(op.lower(), items)

    def term(self) -> Any:
        if self.kw("NOT"):
            return _Bool("not", [self.term()])
        tok = self.peek()
        if tok.kind == "punct" and tok.text == "(":
            self.next()
            inner = self.expr()
            self.expect_punct(")")
            return inner
        return self.cond()

    def cond(self) -> _Cond:
        name = self.name()
        path = _Path(name.text, name.pos)
        tok = self.peek()
        if tok.kind == "op":
            self.next()
            op = "!=" if tok.text == "<>" else tok.text
            return _Cond(path, op, [self.literal()], tok.pos)
        negate = False
        if self.is_kw("NOT") and self.is_kw("IN", 1):
            self.next()
            negate = True
        if self.kw("IN"):
            self.expect_punct("(")
            values = [self.literal()]
            while self.peek().text == ",":
                self.next()
                values.append(self.literal())
            self.expect_punct(")")
            return _Cond(path, "NOT IN" if negate else "IN", values, tok.pos)
        if self.kw("LIKE"):
            value = self.literal()
            if value.kind != "string":
                raise _SoqlError("MALFORMED_QUERY", value.pos, "LIKE needs a string literal")
            return _Cond(path, "LIKE", [value], tok.pos)
        raise self.unexpected(tok)

    def literal(self) -> _Lit:
        tok = self.next()
        if tok.kind == "string":
            return _Lit("string", tok.value, tok.pos, tok.text)
        if tok.kind == "number":
            return _Lit("number", tok.value, tok.pos, tok.text)
        if tok.kind == "datetime":
            return _Lit("datetime", tok.value, tok.pos, tok.text)
        if tok.kind == "date":
            return _Lit("date", tok.value, tok.pos, tok.text)
        if tok.kind == "ident":
            word = tok.text.upper()
            if word in ("TRUE", "FALSE"):
                return _Lit("bool", word == "TRUE", tok.pos, tok.text)
            if word == "NULL":
                return _Lit("null", None, tok.pos, tok.text)
            if word in _DATE_LITERALS:
                n = None
                if word in ("LAST_N_DAYS", "NEXT_N_DAYS"):
                    self.expect_punct(":")
                    n = self.integer()
                return _Lit("range", (word, n), tok.pos, tok.text)
        raise self.unexpected(tok)


def _like_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out += re.escape(pattern[i + 1])
            i += 2
            continue
        out += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.compile(out, re.IGNORECASE | re.DOTALL)


# --------------------------------------------------------------------------------------------
# Records and requests


@dataclass
class _Record:
    id: str
    type: str  # the store object (ContentNote for a ContentDocument)
    values: dict[str, Any]  # datetimes as epoch ms, dates as YYYY-MM-DD
    deleted: bool = False
    deleted_ms: int | None = None
    content: bytes | None = None


@dataclass
class _Cursor:
    records: list[dict[str, Any]]
    total: int
    created_ms: int


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, list[str]]
    raw: bytes
    headers: Any
    number: int
    version: str = API_VERSION
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
                    reason = getattr(exc, "msg", str(exc))
                    raise _api_error(
                        400,
                        "JSON_PARSER_ERROR",
                        f"Unexpected character: {reason} at [line:{line}, column:{col}]",
                    ) from None
        return self._parsed

    def json_object(self, what: str = "the request body") -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            token = "START_ARRAY" if isinstance(body, list) else "VALUE_STRING"
            raise _api_error(
                400,
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of {what} from {token} value [line:1, column:1]",
            )
        return body

    def form(self) -> dict[str, str]:
        text = self.raw.decode("utf-8", "replace")
        pairs = parse_qs(text, keep_blank_values=True)
        out = {k: v[-1] for k, v in self.query.items()}
        out.update({k: v[-1] for k, v in pairs.items()})
        return out


class _Server(_hs._Server):
    def __init__(self, fake: SalesforceFake):
        self.fake = fake  # type: ignore[assignment]
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), _Handler)


class _Handler(_hs._Handler):
    server_version = "SalesforceFake/1.0"


_V = r"/services/data/v(?P<ver>\d+\.\d)"
_OBJ = r"(?P<obj>[A-Za-z][A-Za-z0-9_]*)"
_ANY = r"(?P<id>[^/]+)"

# (method, path regex, handler name, endpoint template, auth: "api" | "userinfo" | "")
_ROUTES: list[tuple[str, re.Pattern[str], str, str, str]] = [
    (m, re.compile(p), h, t, auth)
    for m, p, h, t, auth in (
        ("GET", r"/services/data", "_h_versions", "GET /services/data", ""),
        ("POST", r"/services/oauth2/token", "_h_token", "POST /services/oauth2/token", ""),
        ("POST", r"/services/oauth2/revoke", "_h_revoke", "POST /services/oauth2/revoke", ""),
        (
            "GET",
            r"/services/oauth2/userinfo",
            "_h_userinfo",
            "GET /services/oauth2/userinfo",
            "userinfo",
        ),
        ("GET", _V, "_h_resources", "GET /services/data/v{ver}", "api"),
        ("GET", _V + r"/limits", "_h_limits", "GET /services/data/v{ver}/limits", "api"),
        ("GET", _V + r"/query", "_h_query", "GET /services/data/v{ver}/query", "api"),
        ("GET", _V + r"/queryAll", "_h_query_all", "GET /services/data/v{ver}/queryAll", "api"),
        (
            "GET",
            _V + r"/query(?P<all>All)?/(?P<locator>[A-Za-z0-9]{18})-(?P<offset>\d+)",
            "_h_query_more",
            "GET /services/data/v{ver}/query{all}/{{locator}}",
            "api",
        ),
        ("GET", _V + r"/sobjects", "_h_global", "GET /services/data/v{ver}/sobjects", "api"),
        (
            "GET",
            _V + r"/sobjects/" + _OBJ,
            "_h_sobject",
            "GET /services/data/v{ver}/sobjects/{obj}",
            "api",
        ),
        (
            "POST",
            _V + r"/sobjects/" + _OBJ,
            "_h_create",
            "POST /services/data/v{ver}/sobjects/{obj}",
            "api",
        ),
        (
            "GET",
            _V + r"/sobjects/" + _OBJ + r"/describe",
            "_h_describe",
            "GET /services/data/v{ver}/sobjects/{obj}/describe",
            "api",
        ),
        (
            "GET",
            _V + r"/sobjects/" + _OBJ + r"/updated",
            "_h_updated",
            "GET /services/data/v{ver}/sobjects/{obj}/updated",
            "api",
        ),
        (
            "GET",
            _V + r"/sobjects/" + _OBJ + r"/deleted",
            "_h_deleted",
            "GET /services/data/v{ver}/sobjects/{obj}/deleted",
            "api",
        ),
        (
            "GET",
            _V + r"/sobjects/" + _OBJ + r"/(?P<id>[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)/Content",
            "_h_blob",
            "GET /services/data/v{ver}/sobjects/{obj}/{{id}}/Content",
            "api",
        ),
        (
            "GET",
            _V + r"/sobjects/" + _OBJ + "/" + _ANY,
            "_h_get",
            "GET /services/data/v{ver}/sobjects/{obj}/{{id}}",
            "api",
        ),
        (
            "PATCH",
            _V + r"/sobjects/" + _OBJ + "/" + _ANY,
            "_h_patch",
            "PATCH /services/data/v{ver}/sobjects/{obj}/{{id}}",
            "api",
        ),
        (
            "DELETE",
            _V + r"/sobjects/" + _OBJ + "/" + _ANY,
            "_h_delete",
            "DELETE /services/data/v{ver}/sobjects/{obj}/{{id}}",
            "api",
        ),
        (
            "GET",
            _V + r"/sobjects/" + _OBJ + r"/(?P<field>[A-Za-z0-9_]+)/(?P<value>[^/]+)",
            "_h_ext_get",
            "GET /services/data/v{ver}/sobjects/{obj}/{field}/{{value}}",
            "api",
        ),
        (
            "PATCH",
            _V + r"/sobjects/" + _OBJ + r"/(?P<field>[A-Za-z0-9_]+)/(?P<value>[^/]+)",
            "_h_upsert",
            "PATCH /services/data/v{ver}/sobjects/{obj}/{field}/{{value}}",
            "api",
        ),
        (
            "DELETE",
            _V + r"/sobjects/" + _OBJ + r"/(?P<field>[A-Za-z0-9_]+)/(?P<value>[^/]+)",
            "_h_ext_delete",
            "DELETE /services/data/v{ver}/sobjects/{obj}/{field}/{{value}}",
            "api",
        ),
        (
            "POST",
            _V + r"/composite/sobjects",
            "_h_coll_create",
            "POST /services/data/v{ver}/composite/sobjects",
            "api",
        ),
        (
            "PATCH",
            _V + r"/composite/sobjects",
            "_h_coll_update",
            "PATCH /services/data/v{ver}/composite/sobjects",
            "api",
        ),
        (
            "DELETE",
            _V + r"/composite/sobjects",
            "_h_coll_delete",
            "DELETE /services/data/v{ver}/composite/sobjects",
            "api",
        ),
        (
            "GET",
            _V + r"/composite/sobjects/" + _OBJ,
            "_h_coll_get",
            "GET /services/data/v{ver}/composite/sobjects/{obj}",
            "api",
        ),
        (
            "POST",
            _V + r"/composite/sobjects/" + _OBJ,
            "_h_coll_get",
            "POST /services/data/v{ver}/composite/sobjects/{obj}",
            "api",
        ),
        (
            "PATCH",
            _V + r"/composite/sobjects/" + _OBJ + r"/(?P<field>[A-Za-z0-9_]+)",
            "_h_coll_upsert",
            "PATCH /services/data/v{ver}/composite/sobjects/{obj}/{field}",
            "api",
        ),
    )
]


def _match(method: str, path: str) -> tuple[tuple | None, dict[str, str]]:
    for route in _ROUTES:
        if route[0] != method:
            continue
        found = route[1].fullmatch(path)
        if found:
            return route, {k: v for k, v in found.groupdict().items() if v is not None}
    return None, {}


def _allowed_methods(path: str) -> list[str]:
    return sorted({r[0] for r in _ROUTES if r[1].fullmatch(path)})


def _malformed(response: _Response) -> _Response:
    if response.raw is not None:
        payload = response.raw
    elif response.body is not None:
        payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
    else:
        payload = b'[{"id":"001'
    cut = payload[: max(1, len(payload) // 2)]
    status = 200 if response.status == 204 else response.status
    return _Response(status, raw=cut, content_type=_JSON, headers=dict(response.headers))


def _ids_of(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, dict):
        return [str(values.get("Id") or values.get("id"))]
    if isinstance(values, str):
        return [values]
    out: list[str] = []
    for value in values:
        out.extend(_ids_of(value))
    return out


# --------------------------------------------------------------------------------------------
# The fake


class SalesforceFake:
    """A loopback Salesforce org plus a test-side API to seed it, break it and inspect it.

    Use as a context manager (``with SalesforceFake() as fake``) or ``start()``/``stop()``.
    ``base_url`` (the instance URL), ``token`` and ``refresh_token``/``client_id`` are what a
    client needs. Every knob below can also be changed on a running fake
    (``fake.daily_limit = 10``).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        refresh_token: str | None = None,
        client_id: str = "3MVG9FakeConsumerKey",
        client_secret: str | None = None,
        scope: str = "api refresh_token",
        username: str = "integration@csmdesk.example",
        api_version: str = API_VERSION,
        daily_limit: int = 100_000,
        api_usage: int = 0,
        concurrent_limit: int = 25,
        query_batch_size: int = DEFAULT_QUERY_BATCH,
        query_locator_ttl: float = 2 * 86_400,
        session_timeout: float | None = None,
        timestamp_precision_ms: int = 1000,
        start_time: datetime | date | int | str | None = None,
        real_time: bool = True,
        custom_fields: dict[str, list[dict[str, Any] | FieldDef]] | None = None,
        cascade_deletes: bool = True,
        latency: float = 0.0,
        first_id: int = 3_000_000,
    ):
        self._lock = threading.RLock()
        self.clock = FakeClock(start_time, real_time=real_time)
        self.timestamp_precision_ms = max(1, timestamp_precision_ms)
        self._next_id = first_id
        self.api_version = api_version
        self._max_version = float(api_version)
        self.daily_limit = daily_limit
        self.api_usage = api_usage
        self.concurrent_limit = concurrent_limit
        self.query_batch_size = query_batch_size
        self.query_locator_ttl = query_locator_ttl
        self.session_timeout = session_timeout
        self.cascade_deletes = cascade_deletes
        self.latency = latency
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope

        self._objects = _standard_objects()
        self._records: dict[str, _Record] = {}  # every record by 18-char id
        self._by_type: dict[str, dict[str, _Record]] = {o.store: {} for o in self._objects.values()}
        self._cursors: dict[str, _Cursor] = {}
        for object_name, defs in (
            DEFAULT_CUSTOM_FIELDS if custom_fields is None else custom_fields
        ).items():
            for spec in defs:
                if isinstance(spec, FieldDef):
                    self._install_field(object_name, spec)
                else:
                    self.add_field(object_name, **spec)

        self.org_id = self._new_id(_ORG_PREFIX)
        stamp = self._stamp()
        user_values = {
            "Username": username,
            "FirstName": "Integration",
            "LastName": "User",
            "Email": username,
            "Alias": "integ",
            "IsActive": True,
        }
        self.user_id = self._new_id(KEY_PREFIXES["User"])
        self._insert("User", user_values, stamp, record_id=self.user_id)
        self.username = username

        # Sessions: token -> {"issued": ms, "used": ms}; expired/revoked ones are forgotten.
        self._tokens: dict[str, dict[str, int]] = {}
        self._token = token or self._mint_token()
        self._tokens[self._token] = {"issued": self.clock.now_ms(), "used": self.clock.now_ms()}
        self._refresh_tokens: set[str] = set()
        self._refresh_token = refresh_token or f"5Aep861{secrets.token_urlsafe(48)}"
        self._refresh_tokens.add(self._refresh_token)
        self._expire_at_request: int | None = None

        self._log: list[RecordedRequest] = []
        self._counts: Counter[str] = Counter()
        self._request_count = 0
        self._in_flight = 0
        self._faults: list[_Fault] = []
        self.server_errors: list[str] = []

        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> SalesforceFake:
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="salesforce-fake",
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

    def __enter__(self) -> SalesforceFake:
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
        """The instance URL (where https://MyDomain.my.salesforce.com would be), no slash."""
        return f"http://127.0.0.1:{self.port}"

    instance_url = base_url

    @property
    def login_url(self) -> str:
        """Where the OAuth endpoints are (the fake serves them on the instance too)."""
        return self.base_url

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.api_version}"

    # ---------------------------------------------------------------- sessions

    @property
    def token(self) -> str:
        """The newest access token (what ``Authorization: Bearer`` wants)."""
        return self._token

    @property
    def refresh_token(self) -> str:
        return self._refresh_token

    def _mint_token(self) -> str:
        return f"{self.org_id[:15]}!AQ0AQ{secrets.token_urlsafe(72)}"

    def issue_token(self) -> str:
        """Issue a new access token (as a refresh would) and return it; old ones stay valid."""
        with self._lock:
            token = self._mint_token()
            now = self.clock.now_ms()
            self._tokens[token] = {"issued": now, "used": now}
            self._token = token
            return token

    def expire_token(self) -> None:
        """Every access token issued so far is invalid from the next request on (a refresh
        then gets a working one)."""
        with self._lock:
            self._tokens.clear()
            self._expire_at_request = None

    def expire_token_at(self, request_number: int) -> None:
        """The tokens issued so far expire at the ``request_number``-th request (1-based,
        counting every request since the fake started; see ``request_count``)."""
        with self._lock:
            self._expire_at_request = request_number

    def revoke_refresh_token(self) -> None:
        """The refresh token no longer works (400 ``invalid_grant``)."""
        with self._lock:
            self._refresh_tokens.discard(self._refresh_token)

    # ---------------------------------------------------------------- clock and limits

    def advance(self, seconds: float = 0, *, ms: int = 0) -> int:
        """Move the fake clock forward (the time later writes are stamped with)."""
        return self.clock.advance(seconds, ms=ms)

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def reset_limits(self) -> None:
        with self._lock:
            self.api_usage = 0

    # ---------------------------------------------------------------- schema

    def add_field(
        self,
        object_name: str,
        name: str,
        type: str = "string",
        *,
        label: str = "",
        length: int = 0,
        external_id: bool = False,
        unique: bool = False,
        required: bool = False,
        picklist: Iterable[str] | None = None,
        restricted: bool = False,
        reference_to: Iterable[str] | None = None,
        relationship_name: str | None = None,
        default: Any = None,
    ) -> dict[str, Any]:
        """Define a custom field (its name must end in ``__c``) and return its describe."""
        if not name.endswith("__c"):
            raise ValueError(f"a custom field's API name ends in __c: {name!r}")
        fdef = FieldDef(
            name,
            type,
            label=label,
            length=length,
            custom=True,
            external_id=external_id,
            unique=unique,
            id_lookup=external_id,
            required=required,
            nillable=not required,
            picklist=tuple(picklist or ()),
            restricted=restricted,
            reference_to=tuple(reference_to or ()),
            relationship_name=relationship_name
            or (name[:-3] + "__r" if type == "reference" else None),
            default=default,
        )
        return self._install_field(object_name, fdef)

    def _install_field(self, object_name: str, fdef: FieldDef) -> dict[str, Any]:
        with self._lock:
            odef = self._object(object_name)
            odef.fields[fdef.name] = fdef
            odef.reindex()
            return fdef.describe()

    def describe(self, object_name: str) -> dict[str, Any]:
        """What ``GET .../sobjects/{Obj}/describe`` returns."""
        with self._lock:
            return self._describe(self._object(object_name))

    def _object(self, name: str) -> _ObjectDef:
        for odef in self._objects.values():
            if odef.name.lower() == str(name).lower():
                return odef
        raise KeyError(f"unknown object {name!r}; expected one of {sorted(self._objects)}")

    # ---------------------------------------------------------------- seeding

    def add(self, object_name: str, fields: dict[str, Any] | None = None, **more: Any) -> dict:
        """Create one record directly (no HTTP, not logged, no limits), validated as the API
        would; returns it as ``records()`` shows it."""
        with self._lock:
            odef = self._object(object_name)
            values = {**(fields or {}), **more}
            try:
                record = self._create(odef, values)
            except _DmlError as exc:
                raise ValueError(f"{exc.code}: {exc.message}") from None
            return self._export(record)

    def add_account(self, name: str | None = None, **fields: Any) -> dict[str, Any]:
        with self._lock:
            n = len(self._by_type["Account"]) + 1
            return self.add(
                "Account", {"Name": name if name is not None else f"Account {n:04d}"}, **fields
            )

    def add_accounts(
        self, n: int, *, prefix: str = "Account", unicode: bool = False, **fields: Any
    ) -> list[dict[str, Any]]:
        """``n`` accounts named "<prefix> 0001"... (or non-ASCII names if ``unicode``). A field
        value may be a callable of the 1-based index: ``ARR__c=lambda i: i * 1000``."""
        out = []
        with self._lock:
            for i in range(1, n + 1):
                if unicode:
                    base = _UNICODE_COMPANY_NAMES[(i - 1) % len(_UNICODE_COMPANY_NAMES)]
                    name = f"{base} {i}"
                else:
                    name = f"{prefix} {i:04d}"
                values = {"Name": name, "Website": f"https://account{i}.example.com"}
                values.update({k: (v(i) if callable(v) else v) for k, v in fields.items()})
                out.append(self.add("Account", values))
        return out

    def add_contact(
        self,
        last_name: str | None = None,
        *,
        first_name: str | None = None,
        email: str | None = None,
        account: str | dict | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        with self._lock:
            n = len(self._by_type["Contact"]) + 1
            values: dict[str, Any] = {
                "FirstName": first_name if first_name is not None else "Contact",
                "LastName": last_name if last_name is not None else f"{n:04d}",
                "Email": email if email is not None else f"contact{n}@example.com",
                **fields,
            }
            if account is not None:
                values["AccountId"] = _ids_of(account)[0]
            return self.add("Contact", values)

    def add_contacts(
        self,
        n: int,
        *,
        accounts: Iterable[str | dict] | None = None,
        unicode: bool = False,
        domain: str = "example.com",
        **fields: Any,
    ) -> list[dict[str, Any]]:
        """``n`` contacts; with ``accounts``, contact *i* goes to account *i mod len*."""
        account_ids = _ids_of(accounts)
        out = []
        with self._lock:
            start = len(self._by_type["Contact"])
            for i in range(1, n + 1):
                k = start + i
                if unicode:
                    first = _UNICODE_FIRST_NAMES[(i - 1) % len(_UNICODE_FIRST_NAMES)]
                    last = _UNICODE_LAST_NAMES[(i - 1) % len(_UNICODE_LAST_NAMES)]
                else:
                    first, last = "Contact", f"{k:04d}"
                values = {key: (v(i) if callable(v) else v) for key, v in fields.items()}
                out.append(
                    self.add_contact(
                        values.pop("LastName", last),
                        first_name=values.pop("FirstName", first),
                        email=values.pop("Email", f"contact{k}@{domain}"),
                        account=account_ids[(i - 1) % len(account_ids)] if account_ids else None,
                        **values,
                    )
                )
        return out

    def add_opportunity(
        self,
        name: str | None = None,
        *,
        account: str | dict | None = None,
        stage: str = "Prospecting",
        close_date: date | str | None = None,
        amount: float | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        with self._lock:
            n = len(self._by_type["Opportunity"]) + 1
            if close_date is None:
                close_date = sf_date(self.clock.now_ms() + 30 * 86_400_000)
            values: dict[str, Any] = {
                "Name": name if name is not None else f"Opportunity {n:04d}",
                "StageName": stage,
                "CloseDate": close_date.isoformat() if isinstance(close_date, date) else close_date,
                **fields,
            }
            if amount is not None:
                values["Amount"] = amount
            if account is not None:
                values["AccountId"] = _ids_of(account)[0]
            return self.add("Opportunity", values)

    def add_task(
        self,
        subject: str = "Follow up",
        *,
        what: str | dict | None = None,
        who: str | dict | None = None,
        activity_date: date | str | None = None,
        status: str = "Not Started",
        description: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {"Subject": subject, "Status": status, **fields}
        if what is not None:
            values["WhatId"] = _ids_of(what)[0]
        if who is not None:
            values["WhoId"] = _ids_of(who)[0]
        if activity_date is not None:
            values["ActivityDate"] = (
                activity_date.isoformat() if isinstance(activity_date, date) else activity_date
            )
        if description is not None:
            values["Description"] = description
        return self.add("Task", values)

    def add_note(
        self,
        title: str = "Note",
        content: str | bytes = "",
        *,
        linked: str | dict | Iterable[str | dict] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A ContentNote (``content`` is the note's text or HTML), linked to ``linked``."""
        raw = content.encode("utf-8") if isinstance(content, str) else content
        with self._lock:
            note = self.add(
                "ContentNote",
                {"Title": title, "Content": base64.b64encode(raw).decode("ascii"), **fields},
            )
            for entity in _ids_of(linked):
                self.link(note, entity)
            return self._export(self._records[note["Id"]])

    def link(
        self, document: str | dict, entity: str | dict, share_type: str = "V"
    ) -> dict[str, Any]:
        """A ContentDocumentLink from a note (ContentDocument) to a record."""
        return self.add(
            "ContentDocumentLink",
            ContentDocumentId=_ids_of(document)[0],
            LinkedEntityId=_ids_of(entity)[0],
            ShareType=share_type,
        )

    def add_user(
        self,
        first_name: str = "Casey",
        last_name: str = "Manager",
        email: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        with self._lock:
            n = len(self._by_type["User"]) + 1
            email = email or f"user{n}@csmdesk.example"
            values = {
                "FirstName": first_name,
                "LastName": last_name,
                "Email": email,
                "Username": email,
                "Alias": (first_name[:1] + last_name[:4]).lower() or f"u{n}",
                **fields,
            }
            return self.add("User", values)

    def touch(self, *records: str | dict, system_only: bool = False, **fields: Any) -> list[dict]:
        """Write to records as a Salesforce user would: set ``fields`` (if any) and bump
        ``LastModifiedDate`` and ``SystemModstamp`` (with ``system_only``, as a system process
        does, only ``SystemModstamp``). A leading object name is allowed and ignored."""
        ids = [i for i in _ids_of(records) if i.lower() not in {o.lower() for o in self._objects}]
        out = []
        with self._lock:
            for object_id in ids:
                record = self._find(object_id)
                if record is None:
                    raise KeyError(f"no record {object_id}")
                odef = self._objects[record.type]
                try:
                    values = self._prepare(odef, fields, record)
                except _DmlError as exc:
                    raise ValueError(f"{exc.code}: {exc.message}") from None
                self._update(record, values, system_only=system_only)
                out.append(self._export(record))
        return out

    modify = touch

    def delete(self, *records: str | dict) -> None:
        """Delete records to the recycle bin, as ``DELETE`` does (cascading like Salesforce:
        an account takes its contacts, opportunities, tasks and note links with it)."""
        ids = [i for i in _ids_of(records) if i.lower() not in {o.lower() for o in self._objects}]
        with self._lock:
            stamp = self._stamp()
            for object_id in ids:
                record = self._find(object_id)
                if record is None:
                    raise KeyError(f"no record {object_id}")
                self._delete(record, stamp)

    def undelete(self, *records: str | dict) -> None:
        """Restore records from the recycle bin (only those named: no cascade)."""
        with self._lock:
            stamp = self._stamp()
            for object_id in _ids_of(records):
                record = self._find(object_id)
                if record is None:
                    raise KeyError(f"no record {object_id}")
                if record.deleted:
                    record.deleted = False
                    record.deleted_ms = None
                    record.values["IsDeleted"] = False
                    record.values["SystemModstamp"] = stamp

    # ---------------------------------------------------------------- inspection

    def records(self, object_name: str, *, deleted: bool | None = False) -> list[dict[str, Any]]:
        """Every live record of an object (``deleted=True``: those in the recycle bin;
        ``None``: both), with all fields as the API renders them; a ContentNote's ``Content``
        is its decoded text."""
        with self._lock:
            odef = self._object(object_name)
            return [
                self._export(r, odef)
                for r in self._by_type[odef.store].values()
                if deleted is None or r.deleted is deleted
            ]

    def get(self, record_id: str | dict) -> dict[str, Any] | None:
        """One record (live or deleted) by 15- or 18-character id, or None."""
        with self._lock:
            record = self._find(_ids_of(record_id)[0])
            return self._export(record) if record else None

    def links(
        self, *, document: str | dict | None = None, entity: str | dict | None = None
    ) -> list[dict[str, Any]]:
        """Live ContentDocumentLinks, optionally for one document and/or one entity."""
        doc = _normalize_id(_ids_of(document)[0]) if document is not None else None
        ent = _normalize_id(_ids_of(entity)[0]) if entity is not None else None
        return [
            link
            for link in self.records("ContentDocumentLink")
            if (doc is None or link["ContentDocumentId"] == doc)
            and (ent is None or link["LinkedEntityId"] == ent)
        ]

    def notes_for(self, entity: str | dict) -> list[dict[str, Any]]:
        """The live ContentNotes linked to a record, with their decoded ``Content``."""
        with self._lock:
            out = []
            for link in self.links(entity=entity):
                note = self._records.get(link["ContentDocumentId"])
                if note is not None and not note.deleted:
                    out.append(self._export(note))
            return out

    def soql(self, query: str, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Run SOQL on the fake's data directly (no HTTP): the records a query would return."""
        with self._lock:
            try:
                parsed = self._parse_soql(query)
            except _ApiError as exc:
                (error,) = exc.response.body
                raise ValueError(f"{error['errorCode']}: {error['message']}") from None
            rows = self._run_soql(parsed, include_deleted, self.api_version)
            return rows if not parsed.count else [{"totalSize": len(rows)}]

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
        """Requests per endpoint, e.g. ``{"GET /services/data/v60.0/query": 3, ...}``."""
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

    # ---------------------------------------------------------------- faults

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        *,
        body: Any = None,
        html: bool = False,
        content_type: str = _JSON,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """The next ``n`` matching requests get ``status`` (nothing is applied), with
        Salesforce's body for it (``SERVER_UNAVAILABLE``, ``UNKNOWN_EXCEPTION``...) unless
        ``body`` is given (JSON, or ``str``/``bytes`` sent as is). ``html=True`` sends the HTML
        maintenance page a proxy or a Salesforce outage serves instead of JSON."""
        if html and body is None:
            body = _MAINTENANCE_HTML
            content_type = "text/html;charset=UTF-8"
        self._add_fault(
            _Fault(
                "status",
                n,
                method,
                _hs._compile(path),
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
        ``after_apply`` the request is read and fully applied first (the org "got it", the
        client times out or sees the connection die)."""
        self._add_fault(_Fault("drop", n, method, _hs._compile(path), apply=after_apply))

    def drop_after_apply(
        self, n: int = 1, *, method: str | None = None, path: str | None = None
    ) -> None:
        self.drop_next(n, after_apply=True, method=method, path=path)

    def malformed_next(
        self, n: int = 1, *, apply: bool = True, method: str | None = None, path: str | None = None
    ) -> None:
        """The next ``n`` matching responses are truncated JSON (status kept, 204 becomes 200).
        By default the request is applied first; ``apply=False`` skips it."""
        self._add_fault(_Fault("malformed", n, method, _hs._compile(path), apply=apply))

    def rate_limit_next(
        self,
        n: int = 1,
        *,
        limit: str = "TotalRequests",
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """A request-limit storm: the next ``n`` matching requests are refused with 403
        ``REQUEST_LIMIT_EXCEEDED`` ("TotalRequests Limit exceeded."; ``limit=
        "ConcurrentPerOrgLongTxn"`` for the concurrent-request limit)."""
        self._add_fault(_Fault("rate_limit", n, method, _hs._compile(path), policy=limit))

    limit_exceeded_next = rate_limit_next

    def delay_next(
        self, seconds: float, n: int = 1, *, method: str | None = None, path: str | None = None
    ) -> None:
        """Hold the next ``n`` matching requests for ``seconds`` before answering (on top of
        ``latency``, which delays every request)."""
        self._add_fault(_Fault("delay", n, method, _hs._compile(path), seconds=seconds))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._expire_at_request = None
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

    def _new_id(self, prefix: str) -> str:
        value = self._next_id
        self._next_id += 1
        return sf_id18(prefix + _POD + "0" + _base62(value, 9))

    def _stamp(self) -> int:
        tick = self.clock.tick()
        return tick - tick % self.timestamp_precision_ms

    def _find(self, record_id: str) -> _Record | None:
        normalized = _normalize_id(record_id)
        return self._records.get(normalized) if normalized else None

    def _export(self, record: _Record, odef: _ObjectDef | None = None) -> dict[str, Any]:
        odef = odef or self._objects[record.type]
        out: dict[str, Any] = {}
        for name, fdef in odef.fields.items():
            if name == "Content" and record.content is not None:
                out[name] = record.content.decode("utf-8", "replace")
            else:
                out[name] = self._wire(fdef, record.values.get(name))
        return out

    def _wire(self, fdef: FieldDef, value: Any) -> Any:
        if value is None:
            return None
        if fdef.type == "datetime":
            return sf_datetime(int(value))
        if fdef.type in ("currency", "double", "percent"):
            return float(value)
        return value

    def _insert(
        self, object_name: str, values: dict[str, Any], stamp: int, record_id: str | None = None
    ) -> _Record:
        odef = self._objects[object_name]
        record_id = record_id or self._new_id(odef.prefix)
        record = _Record(record_id, odef.store, {"Id": record_id})
        for name, fdef in odef.fields.items():
            if fdef.default is not None and name not in values:
                record.values[name] = fdef.default
        if "OwnerId" in odef.fields and not values.get("OwnerId"):
            record.values["OwnerId"] = getattr(self, "user_id", record_id)
        record.values.update({k: v for k, v in values.items() if k != "Content"})
        if object_name == "ContentNote":
            record.content = values.get("Content") or b""
            record.values["LatestPublishedVersionId"] = self._new_id(KEY_PREFIXES["ContentVersion"])
            record.values["FileType"] = "SNOTE"
            record.values["FileExtension"] = "snote"
        if "IsDeleted" in odef.fields:
            record.values["IsDeleted"] = False
        if "CreatedDate" in odef.fields:
            user = getattr(self, "user_id", record_id)
            record.values.update(
                CreatedDate=stamp,
                CreatedById=user,
                LastModifiedDate=stamp,
                LastModifiedById=user,
            )
        record.values["SystemModstamp"] = stamp
        self._recompute(record)
        self._records[record_id] = record
        self._by_type[odef.store][record_id] = record
        return record

    def _recompute(self, record: _Record) -> None:
        values = record.values
        if record.type in ("Contact", "User"):
            values["Name"] = " ".join(
                p for p in (values.get("FirstName"), values.get("LastName")) if p
            )
        elif record.type == "Opportunity":
            stage = values.get("StageName")
            values["IsClosed"] = stage in ("Closed Won", "Closed Lost")
            values["IsWon"] = stage == "Closed Won"
            if values.get("Probability") is None and stage:
                values["Probability"] = float(
                    {"Closed Won": 100, "Closed Lost": 0}.get(
                        stage, 10 * (_STAGES.index(stage) + 1)
                    )
                )
        elif record.type == "Task":
            values["IsClosed"] = values.get("Status") == "Completed"
        elif record.type == "ContentNote":
            raw = record.content or b""
            text = re.sub(r"<[^>]+>", " ", raw.decode("utf-8", "replace"))
            values["TextPreview"] = re.sub(r"\s+", " ", text).strip()[:255] or None
            values["ContentSize"] = len(raw)

    def _create(self, odef: _ObjectDef, body: Any, undo: list[Any] | None = None) -> _Record:
        if not odef.createable:
            raise _DmlError(
                "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                f"entity type cannot be inserted: {odef.label}",
            )
        values = self._prepare(odef, body, None)
        stamp = self._stamp()
        record = self._insert(odef.name, values, stamp)
        if undo is not None:
            undo.append(record.id)
        if odef.name == "ContentNote":
            # Salesforce links every new file or note to its owner (ShareType I).
            link = self._insert(
                "ContentDocumentLink",
                {
                    "ContentDocumentId": record.id,
                    "LinkedEntityId": record.values["OwnerId"],
                    "ShareType": "I",
                },
                stamp,
            )
            if undo is not None:
                undo.append(link.id)
        return record

    def _update(self, record: _Record, values: dict[str, Any], system_only: bool = False) -> None:
        stamp = self._stamp()
        content = values.pop("Content", None)
        if content is not None:
            record.content = content
        record.values.update(values)
        if not system_only and "LastModifiedDate" in record.values:
            record.values["LastModifiedDate"] = stamp
            record.values["LastModifiedById"] = self.user_id
        record.values["SystemModstamp"] = stamp
        self._recompute(record)

    def _delete(self, record: _Record, stamp: int, undo: list[Any] | None = None) -> None:
        if record.deleted:
            return
        if undo is not None:
            undo.append(self._snapshot(record))
        record.deleted = True
        record.deleted_ms = stamp
        record.values["IsDeleted"] = True
        record.values["SystemModstamp"] = stamp
        if not self.cascade_deletes:
            return
        children: list[_Record] = []
        rid = record.id
        if record.type == "Account":
            children += [
                r
                for t in ("Contact", "Opportunity")
                for r in self._by_type[t].values()
                if r.values.get("AccountId") == rid
            ]
        if record.type in ("Account", "Opportunity", "Contact"):
            children += [
                r
                for r in self._by_type["Task"].values()
                if rid in (r.values.get("WhatId"), r.values.get("WhoId"))
            ]
        children += [
            r
            for r in self._by_type["ContentDocumentLink"].values()
            if rid in (r.values.get("LinkedEntityId"), r.values.get("ContentDocumentId"))
        ]
        for child in children:
            self._delete(child, stamp, undo)

    def _snapshot(self, record: _Record) -> tuple[_Record, _Record]:
        return record, copy.deepcopy(record)

    def _restore(self, undo: list[Any]) -> None:
        for entry in reversed(undo):
            if isinstance(entry, str):  # a created record
                record = self._records.pop(entry, None)
                if record is not None:
                    self._by_type[record.type].pop(entry, None)
            else:
                live, saved = entry
                live.values, live.deleted = saved.values, saved.deleted
                live.deleted_ms, live.content = saved.deleted_ms, saved.content

    # ---------------------------------------------------------------- internals: validation

    def _prepare(self, odef: _ObjectDef, body: Any, record: _Record | None) -> dict[str, Any]:
        """Validate a write's fields as Salesforce does; returns {field: internal value}."""
        if not isinstance(body, dict):
            raise _json_parser_error(
                f"Cannot deserialize instance of {odef.name} from "
                f"{'START_ARRAY' if isinstance(body, list) else 'VALUE_STRING'} value"
            )
        creating = record is None
        items: list[tuple[FieldDef, Any]] = []
        for key, value in body.items():
            if key == "attributes":
                continue
            fdef = odef.field(key)
            if fdef is None:
                raise _DmlError(
                    "INVALID_FIELD", f"No such column '{key}' on sobject of type {odef.name}"
                )
            items.append((fdef, value))
        locked = [f.name for f, _ in items if not (f.createable if creating else f.updateable)]
        if locked:
            if creating and locked == ["Id"]:
                raise _DmlError("INVALID_FIELD", "cannot specify Id in an insert call")
            raise _DmlError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                _FLS_MESSAGE.format(names=", ".join(locked)),
                locked,
            )
        out: dict[str, Any] = {}
        for fdef, value in items:
            out[fdef.name] = self._coerce(odef, fdef, value)
        merged = dict(record.values) if record else {}
        if creating:
            for name, fdef in odef.fields.items():
                if fdef.default is not None and name not in out:
                    merged[name] = fdef.default
        merged.update(out)
        missing = [
            name
            for name, fdef in odef.fields.items()
            if (fdef.required or (not fdef.nillable and fdef.createable and name != "OwnerId"))
            and merged.get(name) is None
            and (creating or name in out)
            and name != "Content"
        ]
        if missing:
            raise _DmlError(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )
        for name, value in out.items():
            fdef = odef.fields[name]
            if fdef.unique and value is not None:
                clash = self._holder(odef, fdef, value, exclude=record)
                if clash is not None:
                    raise _DmlError(
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {name} duplicates value on record with id: "
                        f"{clash.id}",
                        [],
                    )
        if odef.name == "ContentDocumentLink" and creating:
            doc, entity = out["ContentDocumentId"], out["LinkedEntityId"]
            for r in self._by_type["ContentDocumentLink"].values():
                if (
                    not r.deleted
                    and r.values.get("ContentDocumentId") == doc
                    and r.values.get("LinkedEntityId") == entity
                ):
                    raise _DmlError(
                        "DUPLICATE_VALUE",
                        f"Document with ID: {doc} is already linked with the entity with ID: "
                        f"{entity}",
                    )
        return out

    def _holder(
        self, odef: _ObjectDef, fdef: FieldDef, value: Any, exclude: _Record | None = None
    ) -> _Record | None:
        key = str(value).lower()
        for r in self._by_type[odef.store].values():
            if r is exclude or r.deleted:
                continue
            have = r.values.get(fdef.name)
            if have is not None and str(have).lower() == key:
                return r
        return None

    def _coerce(self, odef: _ObjectDef, fdef: FieldDef, value: Any) -> Any:
        label, kind = fdef.label, fdef.type
        if value is None or value == "":  # Salesforce stores an empty string as null
            if not fdef.nillable and fdef.name != "OwnerId":
                raise _DmlError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{fdef.name}]",
                    [fdef.name],
                )
            return None

        def parse_error(kind_name: str) -> _DmlError:
            token = "VALUE_STRING" if isinstance(value, str) else "VALUE_" + type(value).__name__
            return _json_parser_error(
                f"Cannot deserialize instance of {kind_name} from {token.upper()} value {value} "
                "or request may be missing a required field"
            )

        if kind in ("reference", "id"):
            ref = _normalize_id(value) if isinstance(value, str) else None
            if ref is None:
                raise _DmlError(
                    "MALFORMED_ID", f"{label}: id value of incorrect type: {value}", [fdef.name]
                )
            allowed = {KEY_PREFIXES.get(t) for t in fdef.reference_to}
            if ref[:3] not in allowed:
                raise _DmlError(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{label}: id value of incorrect type: {value}",
                    [fdef.name],
                )
            target = self._records.get(ref)
            if target is None:
                if ref[:3] == KEY_PREFIXES["ContentVersion"]:
                    return ref
                raise _DmlError(
                    "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [fdef.name]
                )
            if target.deleted:
                raise _DmlError("ENTITY_IS_DELETED", "entity is deleted", [fdef.name])
            return ref
        if kind in _NUMBER_TYPES:
            if isinstance(value, bool):
                raise parse_error("double")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise parse_error("double" if kind != "int" else "int") from None
            if kind == "int":
                if not number.is_integer():
                    raise parse_error("int")
                return int(number)
            return number
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise parse_error("boolean")
        if kind == "date":
            if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise parse_error("date")
            try:
                date.fromisoformat(value)
            except ValueError:
                raise parse_error("date") from None
            return value
        if kind == "datetime":
            ms = parse_sf_datetime(value) if isinstance(value, str) else None
            if ms is None:
                raise parse_error("datetime")
            return ms
        if kind == "base64":
            if not isinstance(value, str):
                raise parse_error("base64")
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise _DmlError(
                    "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of base64 from VALUE_STRING value {value[:20]} "
                    "or request may be missing a required field",
                ) from None
        if isinstance(value, dict | list):
            raise parse_error("string")
        text = value if isinstance(value, str) else _stringify(value)
        if fdef.length and len(text) > fdef.length:
            raise _DmlError(
                "STRING_TOO_LONG",
                f"{label}: data value too large: {text[:50]} (max length={fdef.length})",
                [fdef.name],
            )
        if kind == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
            raise _DmlError(
                "INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {text}", [fdef.name]
            )
        if kind == "picklist" and fdef.restricted and text not in fdef.picklist:
            raise _DmlError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{label}: bad value for restricted picklist field: {text}",
                [fdef.name],
            )
        return text

    # ---------------------------------------------------------------- internals: SOQL

    def _parse_soql(self, text: str) -> _Query:
        try:
            query = _SoqlParser(text).parse()
            self._resolve(query)
        except _SoqlError as exc:
            raise _api_error(400, exc.code, exc.format(text)) from None
        return query

    def _resolve(self, query: _Query) -> None:
        try:
            odef = self._object(query.object_name)
        except KeyError:
            raise _SoqlError(
                "INVALID_TYPE",
                query.object_pos,
                f"sObject type '{query.object_name}' is not supported. If you are attempting to "
                "use a custom object, be sure to append the '__c' after the entity name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            ) from None
        query.obj = odef
        for path in query.fields:
            self._resolve_path(odef, path)
        conditions: list[_Cond] = []

        def walk(node: Any) -> None:
            if isinstance(node, _Bool):
                for item in node.items:
                    walk(item)
            elif isinstance(node, _Cond):
                conditions.append(node)

        walk(query.where)
        for cond in conditions:
            self._resolve_path(odef, cond.path)
            fdef = cond.path.last
            if not fdef.filterable:
                raise _SoqlError(
                    "INVALID_FIELD",
                    cond.path.pos,
                    f"field '{fdef.name}' can not be filtered in a query call",
                )
            cond.keys = [self._literal_key(fdef, lit, cond) for lit in cond.values]
        for item in query.order:
            self._resolve_path(odef, item.path)
            if not item.path.last.sortable:
                raise _SoqlError(
                    "INVALID_FIELD",
                    item.path.pos,
                    f"field '{item.path.last.name}' can not be sorted in a query call",
                )
        if odef.name == "ContentDocumentLink":
            self._check_link_filter(query)

    def _check_link_filter(self, query: _Query) -> None:
        top = query.where
        items = top.items if isinstance(top, _Bool) and top.op == "and" else [top]
        for item in items:
            if (
                isinstance(item, _Cond)
                and item.op in ("=", "IN")
                and len(item.path.steps) == 1
                and item.path.last.name in ("ContentDocumentId", "LinkedEntityId")
            ):
                return
        raise _SoqlError(
            "MALFORMED_QUERY",
            query.object_pos,
            "Implementation restriction: ContentDocumentLink requires a filter by a single Id on "
            "ContentDocumentId or LinkedEntityId using the equals operator or multiple Id's using "
            "the IN operator.",
        )

    def _resolve_path(self, odef: _ObjectDef, path: _Path) -> None:
        parts = path.text.split(".")
        if parts[0].lower() == odef.name.lower() and len(parts) > 1:
            parts = parts[1:]  # SELECT Account.Name FROM Account
        current: _ObjectDef | None = odef
        steps: list[tuple[_ObjectDef | None, FieldDef]] = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if current is None:  # a polymorphic relationship: only the Name fields
                name_fields = {
                    "id": FieldDef("Id", "id"),
                    "name": FieldDef("Name"),
                    "type": FieldDef("Type"),
                }
                fdef = name_fields.get(part.lower())
                if fdef is None or not last:
                    raise _SoqlError(
                        "INVALID_FIELD",
                        path.pos,
                        f"No such column '{part}' on entity 'Name'. {_NO_COLUMN_HINT}",
                    )
                steps.append((None, fdef))
                continue
            if last:
                fdef = current.field(part)
                if fdef is None:
                    raise _SoqlError(
                        "INVALID_FIELD",
                        path.pos,
                        f"No such column '{part}' on entity '{current.name}'. {_NO_COLUMN_HINT}",
                    )
                steps.append((current, fdef))
            else:
                ref = current.relationship(part)
                if ref is None:
                    raise _SoqlError(
                        "INVALID_FIELD",
                        path.pos,
                        f"Didn't understand relationship '{part}' in field path. If you are "
                        "attempting to use a custom relationship, be sure to append the '__r' "
                        "after the custom relationship name. Please reference your WSDL or the "
                        "describe call for the appropriate names.",
                    )
                steps.append((current, ref))
                if ref.polymorphic or len(ref.reference_to) != 1:
                    current = None
                else:
                    target = ref.reference_to[0]
                    current = next((o for o in self._objects.values() if o.name == target), None)
                    if current is None:
                        raise _SoqlError(
                            "INVALID_FIELD",
                            path.pos,
                            f"Didn't understand relationship '{part}' in field path.",
                        )
        path.steps = steps

    def _literal_key(self, fdef: FieldDef, lit: _Lit, cond: _Cond) -> Any:
        kind = fdef.type
        if lit.kind == "null":
            if cond.op not in ("=", "!=", "IN", "NOT IN"):
                raise _SoqlError(
                    "INVALID_QUERY_FILTER_OPERATOR",
                    cond.pos,
                    f"invalid operator on null value for field '{fdef.name}'",
                )
            return None
        soql_type = _SOQL_TYPE_NAMES.get(kind, "string")

        def wrong() -> _SoqlError:
            quoted = "be enclosed" if soql_type == "string" else "not be enclosed"
            return _SoqlError(
                "INVALID_FIELD",
                lit.pos,
                f"value of filter criterion for field '{fdef.name}' must be of type "
                f"{soql_type} and should {quoted} in quotes",
            )

        if cond.op == "LIKE" and kind not in _STRING_TYPES:
            raise _SoqlError(
                "INVALID_FIELD",
                cond.pos,
                f"invalid operator on field '{fdef.name}': LIKE works only on text fields",
            )
        if kind in ("id", "reference"):
            if lit.kind != "string":
                raise wrong()
            if cond.op == "LIKE":
                return _like_regex(lit.value)
            ref = _normalize_id(lit.value)
            if ref is None:
                raise _SoqlError(
                    "INVALID_QUERY_FILTER_OPERATOR", lit.pos, f"invalid ID field: {lit.value}"
                )
            return ref
        if kind in _NUMBER_TYPES:
            if lit.kind != "number":
                raise wrong()
            return float(lit.value)
        if kind == "boolean":
            if lit.kind != "bool":
                raise wrong()
            return lit.value
        if kind == "date":
            if lit.kind == "date":
                return lit.value
            if lit.kind == "range":
                lo, hi = self._date_range(lit.value)
                return ("range", sf_date(lo), sf_date(hi))
            raise wrong()
        if kind == "datetime":
            if lit.kind == "datetime":
                return lit.value
            if lit.kind == "range":
                lo, hi = self._date_range(lit.value)
                return ("range", lo, hi)
            raise wrong()
        if lit.kind != "string":
            raise wrong()
        if cond.op == "LIKE":
            return _like_regex(lit.value)
        return lit.value.casefold()

    def _date_range(self, spec: tuple[str, int | None]) -> tuple[int, int]:
        """[start, end) in ms for a date literal, by the fake clock's UTC day."""
        word, n = spec
        day = 86_400_000
        today = self.clock.now_ms() // day * day
        if word == "TODAY":
            return today, today + day
        if word == "YESTERDAY":
            return today - day, today
        if word == "TOMORROW":
            return today + day, today + 2 * day
        if word == "LAST_N_DAYS":
            return today - (n or 0) * day, today + day
        if word == "NEXT_N_DAYS":
            return today, today + ((n or 0) + 1) * day
        now = EPOCH + timedelta(milliseconds=today)
        first = datetime(now.year, now.month, 1, tzinfo=UTC)
        nxt = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
        if word == "LAST_MONTH":
            nxt = first
            first = datetime(
                first.year - (1 if first.month == 1 else 0),
                (first.month - 2) % 12 + 1,
                1,
                tzinfo=UTC,
            )
        to_ms = lambda d: (d - EPOCH) // timedelta(milliseconds=1)  # noqa: E731
        return to_ms(first), to_ms(nxt)

    def _follow(self, record: _Record, path: _Path) -> tuple[Any, bool]:
        """The value at a path, and whether every relationship on the way was there."""
        current: _Record | None = record
        for i, (_, fdef) in enumerate(path.steps):
            if current is None:
                return None, False
            last = i == len(path.steps) - 1
            if last:
                if fdef.name == "Type" and path.steps[i][0] is None:
                    return self._objects[current.type].name, True
                return current.values.get(fdef.name), True
            ref = current.values.get(fdef.name)
            current = self._records.get(ref) if ref else None
        return None, False

    def _key(self, fdef: FieldDef, value: Any) -> Any:
        if value is None:
            return None
        if fdef.type in _NUMBER_TYPES:
            return float(value)
        if fdef.type in ("id", "reference", "date", "datetime", "boolean"):
            return value
        return str(value).casefold()

    def _matches(self, record: _Record, node: Any) -> bool:
        if node is None:
            return True
        if isinstance(node, _Bool):
            if node.op == "not":
                return not self._matches(record, node.items[0])
            results = (self._matches(record, item) for item in node.items)
            return all(results) if node.op == "and" else any(results)
        cond: _Cond = node
        raw, _ = self._follow(record, cond.path)
        fdef = cond.path.last
        if fdef.name == "Type" and cond.path.steps[-1][0] is None and raw is not None:
            have: Any = str(raw).casefold()
        else:
            have = self._key(fdef, raw)
        op, keys = cond.op, cond.keys
        if op == "LIKE":
            return have is not None and bool(keys[0].fullmatch(str(raw)))
        if op in ("IN", "NOT IN"):
            hit = any(self._equal(have, k) for k in keys)
            return hit if op == "IN" else not hit
        key = keys[0]
        if op == "=":
            return self._equal(have, key)
        if op == "!=":
            return not self._equal(have, key)
        if have is None or key is None:
            return False
        if isinstance(key, tuple):  # a date literal's [lo, hi)
            _, lo, hi = key
            return {
                "<": have < lo,
                "<=": have < hi,
                ">": have >= hi,
                ">=": have >= lo,
            }[op]
        try:
            return {
                "<": have < key,
                "<=": have <= key,
                ">": have > key,
                ">=": have >= key,
            }[op]
        except TypeError:
            return False

    @staticmethod
    def _equal(have: Any, key: Any) -> bool:
        if isinstance(key, tuple):
            return have is not None and key[1] <= have < key[2]
        return have == key

    def _run_soql(self, query: _Query, include_deleted: bool, version: str) -> list[dict]:
        assert query.obj is not None
        odef = query.obj
        rows = [
            r
            for r in self._by_type[odef.store].values()
            if (include_deleted or not r.deleted) and self._matches(r, query.where)
        ]
        for item in reversed(query.order):
            present, absent = [], []
            for r in rows:
                value, _ = self._follow(r, item.path)
                (absent if value is None else present).append((self._key(item.path.last, value), r))
            present.sort(key=lambda pair: pair[0], reverse=item.descending)
            ordered = [r for _, r in present]
            nulls = [r for _, r in absent]
            rows = nulls + ordered if item.nulls_first else ordered + nulls
        rows = rows[query.offset :]
        if query.limit is not None:
            rows = rows[: query.limit]
        if query.count:
            return [{} for _ in rows]
        return [self._render_row(r, odef, query.fields, version) for r in rows]

    def _attributes(self, object_name: str, record_id: str, version: str) -> dict[str, str]:
        return {
            "type": object_name,
            "url": f"/services/data/v{version}/sobjects/{object_name}/{record_id}",
        }

    def _render_row(
        self, record: _Record, odef: _ObjectDef, paths: list[_Path], version: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": self._attributes(odef.name, record.id, version)}
        for path in paths:
            target = out
            current: _Record | None = record
            for i, (owner, fdef) in enumerate(path.steps):
                last = i == len(path.steps) - 1
                if last:
                    if current is None:
                        break
                    if owner is None and fdef.name == "Type":
                        target["Type"] = self._objects[current.type].name
                    elif fdef.name == "Content" and current.content is not None:
                        target[fdef.name] = (
                            f"/services/data/v{version}/sobjects/{owner.name if owner else ''}"
                            f"/{current.id}/Content"
                        )
                    else:
                        target[fdef.name] = self._wire(fdef, current.values.get(fdef.name))
                    break
                rel = fdef.relationship_name or fdef.name
                ref = current.values.get(fdef.name) if current else None
                nxt = self._records.get(ref) if ref else None
                if nxt is None:
                    target.setdefault(rel, None)
                    break
                if target.get(rel) is None:
                    next_def = path.steps[i + 1][0]
                    type_name = next_def.name if next_def else self._objects[nxt.type].name
                    target[rel] = {"attributes": self._attributes(type_name, nxt.id, version)}
                target = target[rel]
                current = nxt
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
            self._in_flight += 1
            number = self._request_count
            if self._expire_at_request is not None and number >= self._expire_at_request:
                self._tokens.clear()
                self._expire_at_request = None
            route, params = _match(method, path)
            endpoint = self._endpoint(route, params, method, path)
            self._counts[endpoint] += 1
            delay_fault = self._take_fault(method, path, delay=True)
            fault = self._take_fault(method, path, delay=False)
            in_flight = self._in_flight
        try:
            request = _Request(method, path, query, raw, handler.headers, number)
            pause = self.latency + (delay_fault.seconds if delay_fault else 0.0)
            if pause > 0:
                time.sleep(pause)

            response: _Response | None
            if fault is not None and fault.kind == "status":
                response = self._fault_response(fault)
            elif fault is not None and fault.kind == "rate_limit":
                response = _error(403, "REQUEST_LIMIT_EXCEEDED", f"{fault.policy} Limit exceeded.")
            elif fault is not None and not fault.apply:
                response = None if fault.kind == "drop" else _Response(200, [], content_type=_JSON)
            else:
                response = self._dispatch(request, route, params, in_flight)

            fault_name = fault.kind if fault is not None else None
            if fault is not None and fault.kind == "drop":
                self._record(request, endpoint, None, fault_name, handler)
                handler.close_connection = True
                return
            assert response is not None
            if fault is not None and fault.kind == "malformed":
                response = _malformed(response)
            self._record(request, endpoint, response.status, fault_name, handler)
            self._send(handler, response)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _endpoint(self, route: tuple | None, params: dict[str, str], method: str, path: str):
        if route is None:
            return f"{method} {path}"
        values = dict(params)
        obj = params.get("obj")
        if obj:
            with contextlib.suppress(KeyError):
                values["obj"] = self._object(obj).name
        values.setdefault("all", "")
        values.setdefault("field", "")
        values.setdefault("ver", "")
        return route[3].format(**values)

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
            if fault.status in (502, 503, 504):
                messages = {
                    502: "Bad Gateway: the server is temporarily unavailable",
                    503: "Server is temporarily unavailable, please try again later",
                    504: "Gateway Timeout: the server did not answer in time",
                }
                body = _error_body("SERVER_UNAVAILABLE", messages[fault.status])
            else:
                error_id = f"{secrets.randbelow(10**9)}-{secrets.randbelow(10**5)}"
                body = _error_body(
                    "UNKNOWN_EXCEPTION",
                    "An unexpected error occurred. Please include this ErrorId if you contact "
                    f"support: {error_id} ({-secrets.randbelow(10**9)})",
                )
        return _Response(
            fault.status, body, content_type=fault.content_type, headers=dict(fault.headers)
        )

    def _dispatch(
        self, request: _Request, route: tuple | None, params: dict[str, str], in_flight: int
    ) -> _Response:
        with self._lock:
            try:
                if route is None:
                    allowed = _allowed_methods(request.path)
                    if allowed:
                        return _error(
                            405,
                            "METHOD_NOT_ALLOWED",
                            f"HTTP Method '{request.method}' not allowed. Allowed are "
                            + ",".join(allowed),
                        )
                    return _not_found().response
                _, _, handler_name, _, auth = route
                if "ver" in params:
                    version = params["ver"]
                    if not (20.0 <= float(version) <= self._max_version):
                        return _not_found().response
                    request.version = version
                if auth:
                    denied = self._authenticate(request, auth)
                    if denied is not None:
                        return denied
                if auth == "api":
                    if in_flight > self.concurrent_limit:
                        return _error(
                            403,
                            "REQUEST_LIMIT_EXCEEDED",
                            "ConcurrentPerOrgLongTxn Limit exceeded.",
                        )
                    if self.api_usage >= self.daily_limit:
                        return _error(
                            403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
                        )
                    self.api_usage += 1
                return getattr(self, handler_name)(request, params)
            except _ApiError as exc:
                return exc.response
            except _DmlError as exc:
                return exc.response()
            except Exception:
                self.server_errors.append(traceback.format_exc())
                return _error(
                    500,
                    "UNKNOWN_EXCEPTION",
                    "An unexpected error occurred. Please include this ErrorId if you contact "
                    "support: 0000000000-00000 (0)",
                )

    def _authenticate(self, request: _Request, kind: str) -> _Response | None:
        header = request.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        session = self._tokens.get(token) if scheme.lower() in ("bearer", "oauth") else None
        now = self.clock.now_ms()
        if (
            session is not None
            and self.session_timeout is not None
            and now - session["used"] > self.session_timeout * 1000
        ):
            self._tokens.pop(token, None)
            session = None
        if session is None:
            if kind == "userinfo":
                return _Response(403, raw=b"Bad_OAuth_Token", content_type="text/plain")
            response = _error(401, "INVALID_SESSION_ID", "Session expired or invalid")
            response.headers["WWW-Authenticate"] = "Token"
            return response
        session["used"] = now
        return None

    def _send(self, handler: _Handler, response: _Response) -> None:
        if response.raw is not None:
            payload = response.raw
        elif response.body is None:
            payload = b""
        else:
            payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
        try:
            handler.send_response(response.status)
            if payload:
                handler.send_header("Content-Type", response.content_type)
            if response.status != 204:
                handler.send_header("Content-Length", str(len(payload)))
            with self._lock:
                usage = f"api-usage={self.api_usage}/{self.daily_limit}"
            handler.send_header("Sforce-Limit-Info", usage)
            for name, value in response.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if payload and response.status != 204:
                handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    # ---------------------------------------------------------------- handlers: auth, org

    def _id_url(self) -> str:
        return f"{self.base_url}/id/{self.org_id}/{self.user_id}"

    def _h_token(self, request: _Request, params: dict[str, str]) -> _Response:
        form = request.form()

        def oauth_error(error: str, description: str) -> _Response:
            return _Response(
                400, {"error": error, "error_description": description}, content_type=_JSON
            )

        if form.get("grant_type") != "refresh_token":
            return oauth_error("unsupported_grant_type", "grant type not supported")
        if form.get("client_id") != self.client_id:
            return oauth_error("invalid_client_id", "client identifier invalid")
        if self.client_secret is not None and form.get("client_secret") != self.client_secret:
            return oauth_error("invalid_client", "invalid client credentials")
        if form.get("refresh_token") not in self._refresh_tokens:
            return oauth_error("invalid_grant", "expired access/refresh token")
        token = self.issue_token()
        issued = str(self._tokens[token]["issued"])
        key = (self.client_secret or self.client_id).encode()
        signature = base64.b64encode(
            hmac.new(key, (self._id_url() + issued).encode(), hashlib.sha256).digest()
        ).decode()
        return _Response(
            200,
            {
                "access_token": token,
                "signature": signature,
                "scope": self.scope,
                "instance_url": self.base_url,
                "id": self._id_url(),
                "token_type": "Bearer",
                "issued_at": issued,
            },
            content_type=_JSON,
        )

    def _h_revoke(self, request: _Request, params: dict[str, str]) -> _Response:
        token = request.form().get("token", "")
        if token in self._refresh_tokens:
            self._refresh_tokens.discard(token)
            self._tokens.clear()
        elif token in self._tokens:
            del self._tokens[token]
        else:
            return _Response(
                400,
                {
                    "error": "unsupported_token_type",
                    "error_description": "this token type is not supported",
                },
                content_type=_JSON,
            )
        return _Response(200, raw=b"", content_type=_JSON)

    def _h_userinfo(self, request: _Request, params: dict[str, str]) -> _Response:
        user = self._records[self.user_id].values
        base = self.base_url
        version = self.api_version
        urls = {
            "enterprise": f"{base}/services/Soap/c/{{version}}/{self.org_id[:15]}",
            "metadata": f"{base}/services/Soap/m/{{version}}/{self.org_id[:15]}",
            "partner": f"{base}/services/Soap/u/{{version}}/{self.org_id[:15]}",
            "rest": f"{base}/services/data/v{{version}}/",
            "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
            "search": f"{base}/services/data/v{{version}}/search/",
            "query": f"{base}/services/data/v{{version}}/query/",
            "recent": f"{base}/services/data/v{{version}}/recent/",
            "profile": f"{base}/{self.user_id}",
            "custom_domain": base,
        }
        return _Response(
            200,
            {
                "sub": self._id_url(),
                "user_id": self.user_id,
                "organization_id": self.org_id,
                "preferred_username": user["Username"],
                "nickname": user["Alias"],
                "name": user["Name"],
                "email": user["Email"],
                "email_verified": True,
                "given_name": user.get("FirstName"),
                "family_name": user["LastName"],
                "zoneinfo": "America/Los_Angeles",
                "active": True,
                "user_type": "STANDARD",
                "language": "en_US",
                "locale": "en_US",
                "utcOffset": -28_800_000,
                "updated_at": sf_datetime(user["LastModifiedDate"]),
                "is_app_installed": True,
                "urls": urls,
                "rest_version": version,
            },
            content_type=_JSON,
        )

    def _h_versions(self, request: _Request, params: dict[str, str]) -> _Response:
        out = []
        version = 20.0
        while version <= self._max_version + 1e-9:
            text = f"{version:.1f}"
            out.append(
                {
                    "label": _version_label(version),
                    "url": f"/services/data/v{text}",
                    "version": text,
                }
            )
            version += 1
        return _Response(200, out, content_type=_JSON)

    def _h_resources(self, request: _Request, params: dict[str, str]) -> _Response:
        base = f"/services/data/v{request.version}"
        names = ("sobjects", "query", "queryAll", "limits", "composite", "search", "recent")
        return _Response(200, {name: f"{base}/{name}" for name in names}, content_type=_JSON)

    def _h_limits(self, request: _Request, params: dict[str, str]) -> _Response:
        def pair(maximum: int, remaining: int) -> dict[str, int]:
            return {"Max": maximum, "Remaining": remaining}

        body = {
            "ConcurrentAsyncGetReportInstances": pair(200, 200),
            "ConcurrentSyncReportRuns": pair(20, 20),
            "DailyApiRequests": pair(self.daily_limit, max(0, self.daily_limit - self.api_usage)),
            "DailyAsyncApexExecutions": pair(250_000, 250_000),
            "DailyBulkApiBatches": pair(15_000, 15_000),
            "DailyBulkV2QueryJobs": pair(10_000, 10_000),
            "DailyBulkV2QueryFileStorageMB": pair(976_562, 976_562),
            "DailyStreamingApiEvents": pair(1_000_000, 1_000_000),
            "DataStorageMB": pair(5, 5),
            "FileStorageMB": pair(20, 20),
            "HourlyODataCallout": pair(20_000, 20_000),
            "SingleEmail": pair(5_000, 5_000),
        }
        return _Response(200, body, content_type=_JSON)

    # ---------------------------------------------------------------- handlers: query

    def _h_query(self, request: _Request, params: dict[str, str]) -> _Response:
        return self._query(request, include_deleted=False)

    def _h_query_all(self, request: _Request, params: dict[str, str]) -> _Response:
        return self._query(request, include_deleted=True)

    def _batch_size(self, request: _Request) -> int:
        size = self.query_batch_size
        options = request.headers.get("Sforce-Query-Options") or ""
        found = re.search(r"batchSize\s*=\s*(\d+)", options)
        if found:
            size = min(size, max(200, min(2000, int(found.group(1)))))
        return max(1, size)

    def _query(self, request: _Request, include_deleted: bool) -> _Response:
        text = request.q("q")
        if text is None or not text.strip():
            raise _api_error(400, "MALFORMED_QUERY", "A query string has to be specified")
        query = self._parse_soql(text)
        rows = self._run_soql(query, include_deleted, request.version)
        if query.count:
            return _Response(
                200, {"totalSize": len(rows), "done": True, "records": []}, content_type=_JSON
            )
        cursor = _Cursor(rows, len(rows), self.clock.now_ms())
        return self._page(request, cursor, 0, None)

    def _page(
        self, request: _Request, cursor: _Cursor, offset: int, locator: str | None
    ) -> _Response:
        size = self._batch_size(request)
        page = cursor.records[offset : offset + size]
        body: dict[str, Any] = {"totalSize": cursor.total, "done": True}
        if offset + size < cursor.total:
            if locator is None:
                locator = self._new_id(_LOCATOR_PREFIX)
                self._cursors[locator] = cursor
            body["done"] = False
            body["nextRecordsUrl"] = (
                f"/services/data/v{request.version}/query/{locator}-{offset + size}"
            )
        elif locator is not None:
            self._cursors.pop(locator, None)
        body["records"] = page
        return _Response(200, body, content_type=_JSON)

    def _h_query_more(self, request: _Request, params: dict[str, str]) -> _Response:
        locator = params["locator"]
        cursor = self._cursors.get(locator)
        if cursor is not None and (
            self.clock.now_ms() - cursor.created_ms > self.query_locator_ttl * 1000
        ):
            self._cursors.pop(locator, None)
            cursor = None
        if cursor is None:
            raise _api_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(request, cursor, int(params["offset"]), locator)

    # ---------------------------------------------------------------- handlers: sObjects

    def _api_object(self, name: str) -> _ObjectDef:
        try:
            return self._object(name)
        except KeyError:
            raise _not_found() from None

    def _describe(self, odef: _ObjectDef, version: str = API_VERSION) -> dict[str, Any]:
        base = f"/services/data/v{version}/sobjects/{odef.name}"
        children = []
        for other in self._objects.values():
            for fdef in other.fields.values():
                if (
                    odef.name in fdef.reference_to
                    and fdef.relationship_name
                    and other.store == (other.name)
                ):
                    children.append(
                        {
                            "childSObject": other.name,
                            "field": fdef.name,
                            "cascadeDelete": other.name
                            in ("Contact", "Opportunity", "Task", "ContentDocumentLink")
                            and odef.name != "User",
                            "relationshipName": "ChildAccounts"
                            if fdef.name == "ParentId"
                            else other.plural.replace(" ", ""),
                        }
                    )
        return {
            "name": odef.name,
            "label": odef.label,
            "labelPlural": odef.plural,
            "keyPrefix": odef.prefix,
            "custom": False,
            "createable": odef.createable,
            "updateable": odef.updateable,
            "deletable": odef.deletable,
            "queryable": True,
            "retrieveable": True,
            "replicateable": True,
            "searchable": odef.name != "ContentDocumentLink",
            "fields": [f.describe() for f in odef.fields.values()],
            "childRelationships": children,
            "urls": {
                "sobject": base,
                "describe": f"{base}/describe",
                "rowTemplate": f"{base}/{{ID}}",
            },
        }

    def _h_global(self, request: _Request, params: dict[str, str]) -> _Response:
        out = []
        for odef in self._objects.values():
            base = f"/services/data/v{request.version}/sobjects/{odef.name}"
            out.append(
                {
                    "name": odef.name,
                    "label": odef.label,
                    "labelPlural": odef.plural,
                    "keyPrefix": odef.prefix,
                    "custom": False,
                    "createable": odef.createable,
                    "updateable": odef.updateable,
                    "deletable": odef.deletable,
                    "queryable": True,
                    "replicateable": True,
                    "urls": {
                        "sobject": base,
                        "describe": f"{base}/describe",
                        "rowTemplate": f"{base}/{{ID}}",
                    },
                }
            )
        return _Response(
            200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": out}, content_type=_JSON
        )

    def _h_sobject(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        full = self._describe(odef, request.version)
        info = {k: v for k, v in full.items() if k not in ("fields", "childRelationships")}
        recent = [
            self._render_fields(
                r, odef, ["Id", "Name"] if "Name" in odef.fields else ["Id"], request.version
            )
            for r in list(self._by_type[odef.store].values())[-5:]
            if not r.deleted
        ]
        return _Response(200, {"objectDescribe": info, "recentItems": recent}, content_type=_JSON)

    def _h_describe(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        return _Response(200, self._describe(odef, request.version), content_type=_JSON)

    def _render_fields(
        self, record: _Record, odef: _ObjectDef, names: list[str] | None, version: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": self._attributes(odef.name, record.id, version)}
        for name in names if names is not None else list(odef.fields):
            fdef = odef.field(name)
            if fdef is None:
                raise _api_error(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{name}' on entity '{odef.name}'. {_NO_COLUMN_HINT}",
                )
            if fdef.type == "base64":
                out[fdef.name] = (
                    f"/services/data/v{version}/sobjects/{odef.name}/{record.id}/{fdef.name}"
                    if record.content is not None
                    else None
                )
            else:
                out[fdef.name] = self._wire(fdef, record.values.get(fdef.name))
        return out

    def _live(self, odef: _ObjectDef, record_id: str, *, deleted_code: str = "") -> _Record:
        record = self._find(record_id)
        if record is None or record.type != odef.store:
            raise _not_found(
                _NOT_FOUND_MESSAGE
                if _normalize_id(record_id)
                else f"Provided external ID field does not exist or is not accessible: {record_id}"
            )
        if record.deleted:
            if deleted_code:
                raise _api_error(404, deleted_code, "entity is deleted", [])
            raise _not_found()
        return record

    def _h_create(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        body = request.json_object(odef.name)
        record = self._create(odef, body)
        return _Response(201, {"id": record.id, "success": True, "errors": []}, content_type=_JSON)

    def _h_get(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        record = self._live(odef, unquote(params["id"]))
        names = request.q_list("fields") or None
        return _Response(
            200, self._render_fields(record, odef, names, request.version), content_type=_JSON
        )

    def _h_blob(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        if odef.field("Content") is None:
            raise _not_found()
        record = self._live(odef, params["id"])
        return _Response(200, raw=record.content or b"", content_type="application/octetstream")

    def _h_patch(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        record = self._live(odef, unquote(params["id"]), deleted_code="ENTITY_IS_DELETED")
        values = self._prepare(odef, request.json_object(odef.name), record)
        self._update(record, values)
        return _Response(204)

    def _h_delete(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        if not odef.deletable:
            raise _api_error(
                400,
                "INSUFFICIENT_ACCESS_OR_READONLY",
                f"insufficient access rights on object id: {unquote(params['id'])}",
            )
        record = self._live(odef, unquote(params["id"]), deleted_code="ENTITY_IS_DELETED")
        self._delete(record, self._stamp())
        return _Response(204)

    def _ext_field(self, odef: _ObjectDef, name: str) -> FieldDef:
        fdef = odef.field(name)
        if fdef is None or not (fdef.external_id or fdef.id_lookup or fdef.type == "id"):
            raise _not_found(
                f"Provided external ID field does not exist or is not accessible: {name}"
            )
        return fdef

    def _ext_matches(self, odef: _ObjectDef, fdef: FieldDef, value: str) -> list[_Record]:
        if fdef.type == "id":
            record = self._find(value)
            return [record] if record and not record.deleted and record.type == odef.store else []
        key = value.lower()
        return [
            r
            for r in self._by_type[odef.store].values()
            if not r.deleted
            and r.values.get(fdef.name) is not None
            and str(self._wire(fdef, r.values[fdef.name])).lower() == key
        ]

    def _multiple(self, odef: _ObjectDef, matches: list[_Record], version: str) -> _Response:
        return _Response(
            300,
            [f"/services/data/v{version}/sobjects/{odef.name}/{r.id}" for r in matches],
            content_type=_JSON,
        )

    def _h_ext_get(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        fdef = self._ext_field(odef, params["field"])
        matches = self._ext_matches(odef, fdef, unquote(params["value"]))
        if not matches:
            raise _not_found()
        if len(matches) > 1:
            return self._multiple(odef, matches, request.version)
        names = request.q_list("fields") or None
        return _Response(
            200, self._render_fields(matches[0], odef, names, request.version), content_type=_JSON
        )

    def _upsert_one(
        self, odef: _ObjectDef, fdef: FieldDef, value: str, body: dict[str, Any], update_only=False
    ) -> tuple[_Record | list[_Record], bool]:
        """Upsert one record by external id: (record, created) or (matches, False) if >1."""
        given = {k: v for k, v in body.items() if k != "attributes"}
        for key in list(given):
            if key.lower() == fdef.name.lower():
                if str(given[key]).lower() != value.lower():
                    raise _DmlError(
                        "INVALID_FIELD",
                        f"The external ID field {fdef.name} in the request body does not match "
                        f"the value in the URL: {value}",
                        [fdef.name],
                    )
                del given[key]
            elif key.lower() == "id":
                raise _DmlError("INVALID_FIELD", "Id is not allowed in an upsert body", ["Id"])
        matches = self._ext_matches(odef, fdef, value)
        if len(matches) > 1:
            return matches, False
        if matches:
            record = matches[0]
            values = self._prepare(odef, given, record)
            self._update(record, values)
            return record, False
        if update_only or fdef.type == "id":
            raise _not_found()
        record = self._create(odef, {**given, fdef.name: value})
        return record, True

    def _h_upsert(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        fdef = self._ext_field(odef, params["field"])
        body = request.json_object(odef.name)
        update_only = (request.q("updateOnly") or "").lower() == "true"
        result, created = self._upsert_one(odef, fdef, unquote(params["value"]), body, update_only)
        if isinstance(result, list):
            return self._multiple(odef, result, request.version)
        if not created and float(request.version) < 46.0:
            return _Response(204)
        return _Response(
            201 if created else 200,
            {"id": result.id, "success": True, "errors": [], "created": created},
            content_type=_JSON,
        )

    def _h_ext_delete(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        fdef = self._ext_field(odef, params["field"])
        matches = self._ext_matches(odef, fdef, unquote(params["value"]))
        if not matches:
            raise _not_found()
        if len(matches) > 1:
            return self._multiple(odef, matches, request.version)
        self._delete(matches[0], self._stamp())
        return _Response(204)

    def _replication_window(self, request: _Request) -> tuple[int, int]:
        bounds = []
        for name in ("start", "end"):
            text = request.q(name)
            if not text:
                raise _api_error(400, "MISSING_ARGUMENT", f"Missing required parameter: {name}")
            ms = parse_sf_datetime(unquote(text))
            if ms is None:
                raise _api_error(400, "INVALID_REPLICATION_DATE", f"Invalid {name} date: {text}")
            bounds.append(ms - ms % 60_000)  # Salesforce ignores the seconds
        start, end = bounds
        if start >= end:
            raise _api_error(
                400, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate"
            )
        if self.clock.now_ms() - start > 30 * 86_400_000:
            raise _api_error(
                400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago"
            )
        return start, end

    def _h_updated(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        start, end = self._replication_window(request)
        now = self.clock.now_ms()
        latest = min(end, now - now % 60_000)
        ids = [
            r.id
            for r in self._by_type[odef.store].values()
            if not r.deleted and start <= r.values["SystemModstamp"] < latest
        ]
        return _Response(
            200, {"ids": ids, "latestDateCovered": sf_datetime(latest)}, content_type=_JSON
        )

    def _h_deleted(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        start, end = self._replication_window(request)
        now = self.clock.now_ms()
        latest = min(end, now - now % 60_000)
        gone = [
            r
            for r in self._by_type[odef.store].values()
            if r.deleted and r.deleted_ms is not None and start <= r.deleted_ms < latest
        ]
        stamps = [r.deleted_ms for r in self._by_type[odef.store].values() if r.deleted_ms]
        earliest = min(stamps) if stamps else start
        return _Response(
            200,
            {
                "deletedRecords": [
                    {"id": r.id, "deletedDate": sf_datetime(r.deleted_ms or 0)} for r in gone
                ],
                "earliestDateAvailable": sf_datetime(earliest - earliest % 60_000),
                "latestDateCovered": sf_datetime(latest),
            },
            content_type=_JSON,
        )

    # ---------------------------------------------------------------- handlers: collections

    def _collection_body(self, request: _Request) -> tuple[list[Any], bool]:
        body = request.json_object("the collection request")
        records = body.get("records")
        if not isinstance(records, list):
            raise _api_error(400, "JSON_PARSER_ERROR", "records is required and must be a list")
        if len(records) > MAX_COLLECTION_RECORDS:
            raise _api_error(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {MAX_COLLECTION_RECORDS} records "
                "into this call",
            )
        return records, bool(body.get("allOrNone", False))

    def _typed(self, item: Any) -> _ObjectDef:
        if not isinstance(item, dict):
            raise _json_parser_error("Cannot deserialize instance of sObject from VALUE_STRING")
        attributes = item.get("attributes")
        kind = attributes.get("type") if isinstance(attributes, dict) else None
        if not kind:
            raise _DmlError("INVALID_TYPE", "No SObject Type defined in the JSON")
        try:
            return self._object(kind)
        except KeyError:
            raise _DmlError("INVALID_TYPE", f"sObject type '{kind}' is not supported.") from None

    def _run_collection(
        self, items: list[Any], all_or_none: bool, apply: Callable[[Any, list[Any]], dict]
    ) -> list[dict[str, Any]]:
        """Run ``apply(item, undo)`` per item; with allOrNone, one failure rolls all back."""
        undo: list[Any] = []
        results: list[dict[str, Any]] = []
        failed = False
        for item in items:
            mark = len(undo)
            try:
                results.append(apply(item, undo))
            except _DmlError as exc:
                self._restore(undo[mark:])
                del undo[mark:]
                failed = True
                result: dict[str, Any] = {"success": False, "errors": [exc.save_error()]}
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    result = {"id": item["id"], **result}
                results.append(result)
        if all_or_none and failed:
            self._restore(undo)
            rolled = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": _ROLLED_BACK,
                "fields": [],
            }
            results = [
                r if not r["success"] else {"success": False, "errors": [dict(rolled)]}
                for r in results
            ]
        return results

    def _h_coll_create(self, request: _Request, params: dict[str, str]) -> _Response:
        records, all_or_none = self._collection_body(request)

        def create(item: Any, undo: list[Any]) -> dict[str, Any]:
            odef = self._typed(item)
            if any(k.lower() == "id" for k in item):
                raise _DmlError("INVALID_FIELD", "cannot specify Id in an insert call", [])
            record = self._create(odef, item, undo)
            return {"id": record.id, "success": True, "errors": []}

        return _Response(
            200, self._run_collection(records, all_or_none, create), content_type=_JSON
        )

    def _h_coll_update(self, request: _Request, params: dict[str, str]) -> _Response:
        records, all_or_none = self._collection_body(request)

        def update(item: Any, undo: list[Any]) -> dict[str, Any]:
            odef = self._typed(item)
            raw_id = next((v for k, v in item.items() if k.lower() == "id"), None)
            if not raw_id:
                raise _DmlError("MISSING_ARGUMENT", "Id not specified in an update call", [])
            if _normalize_id(str(raw_id)) is None:
                raise _DmlError("MALFORMED_ID", f"malformed id {raw_id}", [])
            record = self._find(str(raw_id))
            if record is None or record.type != odef.store:
                raise _DmlError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
            if record.deleted:
                raise _DmlError("ENTITY_IS_DELETED", "entity is deleted", [])
            values = self._prepare(
                odef, {k: v for k, v in item.items() if k.lower() != "id"}, record
            )
            undo.append(self._snapshot(record))
            self._update(record, values)
            return {"id": record.id, "success": True, "errors": []}

        return _Response(
            200, self._run_collection(records, all_or_none, update), content_type=_JSON
        )

    def _h_coll_delete(self, request: _Request, params: dict[str, str]) -> _Response:
        ids = request.q_list("ids")
        if len(ids) > MAX_COLLECTION_RECORDS:
            raise _api_error(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {MAX_COLLECTION_RECORDS} records "
                "into this call",
            )
        all_or_none = (request.q("allOrNone") or "false").lower() == "true"
        stamp = self._stamp()

        def delete(raw_id: Any, undo: list[Any]) -> dict[str, Any]:
            record = self._find(raw_id)
            if record is None:
                raise _DmlError(
                    "MALFORMED_ID"
                    if _normalize_id(raw_id) is None
                    else "INVALID_CROSS_REFERENCE_KEY",
                    f"malformed id {raw_id}"
                    if _normalize_id(raw_id) is None
                    else "invalid cross reference id",
                    [],
                )
            if record.deleted:
                raise _DmlError("ENTITY_IS_DELETED", "entity is deleted", [])
            if not self._objects[record.type].deletable:
                raise _DmlError(
                    "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id"
                )
            self._delete(record, stamp, undo)
            return {"id": record.id, "success": True, "errors": []}

        items = [{"id": i} for i in ids]
        results = self._run_collection(
            items, all_or_none, lambda item, undo: delete(item["id"], undo)
        )
        return _Response(200, results, content_type=_JSON)

    def _h_coll_get(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        if request.method == "POST":
            body = request.json_object("the retrieve request")
            ids = [str(i) for i in body.get("ids") or []]
            names = [str(f) for f in body.get("fields") or []]
        else:
            ids, names = request.q_list("ids"), request.q_list("fields")
        if not names:
            raise _api_error(400, "MISSING_ARGUMENT", "The fields parameter is required")
        if len(ids) > MAX_COLLECTION_RETRIEVE:
            raise _api_error(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {MAX_COLLECTION_RETRIEVE} "
                "records into this call",
            )
        out: list[Any] = []
        for raw_id in ids:
            record = self._find(raw_id)
            if record is None or record.deleted or record.type != odef.store:
                out.append(None)
            else:
                out.append(self._render_fields(record, odef, names, request.version))
        return _Response(200, out, content_type=_JSON)

    def _h_coll_upsert(self, request: _Request, params: dict[str, str]) -> _Response:
        odef = self._api_object(params["obj"])
        fdef = self._ext_field(odef, params["field"])
        records, all_or_none = self._collection_body(request)

        def upsert(item: Any, undo: list[Any]) -> dict[str, Any]:
            item_def = self._typed(item)
            if item_def.name != odef.name:
                raise _DmlError("INVALID_TYPE", f"Record type must be {odef.name}", [])
            value = next((v for k, v in item.items() if k.lower() == fdef.name.lower()), None)
            if value in (None, ""):
                raise _DmlError("MISSING_ARGUMENT", f"{fdef.name} not specified", [fdef.name])
            matches = self._ext_matches(odef, fdef, str(value))
            if len(matches) > 1:
                raise _DmlError(
                    "DUPLICATE_EXTERNAL_ID",
                    f"{fdef.name}: more than one record found for external id field: "
                    f"{[r.id for r in matches]}",
                    [fdef.name],
                )
            if matches:
                undo.append(self._snapshot(matches[0]))
            record, created = self._upsert_one(odef, fdef, str(value), item)
            assert isinstance(record, _Record)
            if created:
                undo.append(record.id)
            return {"id": record.id, "success": True, "errors": [], "created": created}

        return _Response(
            200, self._run_collection(records, all_or_none, upsert), content_type=_JSON
        )


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
