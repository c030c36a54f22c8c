"""Which local field is which CRM property, how values cross over, and who wins a conflict.

Values are compared and remembered in the CRM's own text form (``"125000"`` for an ARR of
$125,000.00, ``"2027-03-31"`` for a date), so "changed since the last sync" means the same on
both sides. A mapping is stored per provider in ``syncstate`` (``mapping``) as JSON:
``{"account.arr_minor": {"property": "arr", "policy": "ask"}, ...}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from csmdesk.domain.money import minor_factor

ASK, CRM_WINS, LOCAL_WINS = "ask", "crm", "local"
POLICIES = (ASK, CRM_WINS, LOCAL_WINS)


@dataclass(frozen=True)
class Field:
    key: str  # "account.arr_minor"
    label: str
    kind: str  # text, money, date, int, owner
    push: bool = True  # False: read from the CRM only (owner names)


FIELDS: dict[str, Field] = {
    f.key: f
    for f in (
        Field("account.name", "Name", "text"),
        Field("account.domain", "Domain", "text"),
        Field("account.industry", "Industry", "text"),
        Field("account.owner", "Owner", "owner", push=False),
        Field("account.arr_minor", "ARR", "money"),
        Field("account.renewal_date", "Renewal date", "date"),
        Field("account.contract_start", "Contract start", "date"),
        Field("account.licensed_seats", "Licensed seats", "int"),
        Field("contact.first_name", "First name", "text"),
        Field("contact.last_name", "Last name", "text"),
        Field("contact.email", "Email", "text"),
        Field("contact.title", "Job title", "text"),
        Field("contact.phone", "Phone", "text"),
    )
}
# Short names the command line accepts for --map FIELD=PROPERTY.
ALIASES = {
    "arr": "account.arr_minor",
    "renewal": "account.renewal_date",
    "seats": "account.licensed_seats",
    "title": "contact.title",
    "jobtitle": "contact.title",
}

HUBSPOT_DEFAULTS = {
    "account.name": "name",
    "account.domain": "domain",
    "account.industry": "industry",
    "account.owner": "hubspot_owner_id",
    "contact.first_name": "firstname",
    "contact.last_name": "lastname",
    "contact.email": "email",
    "contact.title": "jobtitle",
    "contact.phone": "phone",
}
# Custom properties, proposed by name or label (normalised: lower case, letters and digits).
PROPOSALS = {
    "account.arr_minor": ("arr", "annualrecurringrevenue", "annualrecurringrevenuearr",
                          "currentarr", "arrusd", "recurringrevenue"),
    "account.renewal_date": ("renewaldate", "contractenddate", "contractrenewaldate",
                             "nextrenewaldate", "renewal", "contractend", "enddate"),
    "account.contract_start": ("contractstart", "contractstartdate", "startdate",
                               "customersince", "subscriptionstartdate"),
    "account.licensed_seats": ("licensedseats", "seats", "licenses", "numberoflicenses",
                               "seatcount", "purchasedseats"),
}  # fmt: skip


def norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


class MappingError(ValueError):
    """A --map argument or mapping edit that names no field, or a property the CRM lacks."""


@dataclass(frozen=True)
class Mapping:
    properties: dict[str, str]  # field key -> CRM property
    policies: dict[str, str]  # field key -> ask / crm / local

    def policy(self, key: str) -> str:
        return self.policies.get(key, ASK)

    def of(self, entity: str) -> dict[str, str]:
        """``{local field: property}`` of one entity (``account`` or ``contact``)."""
        prefix = entity + "."
        return {k[len(prefix) :]: p for k, p in self.properties.items() if k.startswith(prefix)}

    def to_json(self) -> str:
        return json.dumps(
            {
                k: {"property": p, "policy": self.policy(k)}
                for k, p in sorted(self.properties.items())
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> Mapping:
        data = json.loads(raw or "{}")
        props = {
            k: str(v["property"]) for k, v in data.items() if k in FIELDS and v.get("property")
        }
        policies = {k: str(v.get("policy", ASK)) for k, v in data.items() if k in FIELDS}
        return cls(props, {k: p for k, p in policies.items() if p in POLICIES})

    def with_property(self, key: str, prop: str | None) -> Mapping:
        props = dict(self.properties)
        if prop:
            props[key] = prop
        else:
            props.pop(key, None)
        return replace(self, properties=props)


def field_key(name: str) -> str:
    """``arr`` / ``arr_minor`` / ``account.arr_minor`` → ``account.arr_minor``."""
    raw = name.strip().lower()
    if raw in ALIASES:
        return ALIASES[raw]
    if raw in FIELDS:
        return raw
    for entity in ("account", "contact"):
        for candidate in (f"{entity}.{raw}", f"{entity}.{raw}_minor", f"{entity}.{raw}_date"):
            if candidate in FIELDS:
                return candidate
    known = ", ".join(sorted({*ALIASES, *(k.split(".", 1)[1] for k in FIELDS)}))
    raise MappingError(f"No field called '{name}'. Fields: {known}.")


def propose(available: dict[str, list[dict[str, Any]]]) -> Mapping:
    """The default mapping for a portal: standard properties, and the custom ones found by name
    or label. ``available``: the CRM's property list per object type (``companies``...)."""
    props = {k: p for k, p in HUBSPOT_DEFAULTS.items()}
    companies = available.get("companies", [])
    for key, names in PROPOSALS.items():
        for prop in companies:
            if (
                norm(str(prop.get("name", ""))) in names
                or norm(str(prop.get("label", ""))) in names
            ):
                props[key] = str(prop["name"])
                break
    return Mapping(props, {})


def apply_overrides(mapping: Mapping, overrides: list[str], known: set[str] | None) -> Mapping:
    """``FIELD=PROPERTY`` strings (``--map``); an empty PROPERTY unmaps the field."""
    for item in overrides:
        name, sep, prop = item.partition("=")
        if not sep:
            raise MappingError(f"'{item}' is not FIELD=PROPERTY.")
        key = field_key(name)
        prop = prop.strip()
        if prop and known is not None and prop not in known:
            raise MappingError(f"The CRM has no property '{prop}' for {FIELDS[key].label}.")
        mapping = mapping.with_property(key, prop or None)
    return mapping


# --- values, in the CRM's text form ---------------------------------------------------------


def to_crm(kind: str, value: Any, currency: str = "USD") -> str | None:
    """A local value as the CRM's text (None: empty)."""
    if value is None or value == "":
        return None
    if kind == "money":
        major = Decimal(int(value)) / minor_factor(currency)
        return format(major.normalize(), "f") if major != major.to_integral() else str(int(major))
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)[:10]
    if kind == "int":
        return str(int(value))
    return str(value)


def from_crm(kind: str, raw: Any, currency: str = "USD") -> Any:
    """A CRM value as the local value; ValueError when it cannot be one."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    if kind == "money":
        try:
            major = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"'{text}' is not an amount") from None
        if major < 0:
            raise ValueError(f"a negative ARR ({text})")
        return int((major * minor_factor(currency)).to_integral_value())
    if kind == "date":
        if text.isdigit():  # HubSpot date properties may come as epoch milliseconds
            return datetime.fromtimestamp(int(text) / 1000, UTC).date()
        return date.fromisoformat(text[:10])
    if kind == "int":
        return int(Decimal(text))
    return text


def canonical(kind: str, raw: Any, currency: str = "USD") -> str | None:
    """The CRM's text for a value read from it, normalised like :func:`to_crm`."""
    try:
        return to_crm(kind, from_crm(kind, raw, currency), currency)
    except ValueError:
        return None if raw is None else str(raw)
