"""Which column means what: recognising the file's source and proposing a mapping.

A mapping is ``{header: field}`` for the headers that are imported; every other
column is ignored. Proposals come from the headers alone (HubSpot and Salesforce
write property labels, a CSM's sheet writes whatever they typed), and a mapping
the user confirmed is remembered for that exact set of headers.

Note what is *not* proposed: "Annual Revenue" in a CRM export is the customer's
own revenue, not what they pay us, and "Number of Employees" is not seats.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from csmdesk.domain.dates import DateOrder


class Kind(StrEnum):
    ACCOUNTS = "accounts"
    CONTACTS = "contacts"
    READINGS = "readings"
    ARR_EVENTS = "arr-events"


class Source(StrEnum):
    HUBSPOT = "hubspot"
    SALESFORCE = "salesforce"
    CSMDESK = "csmdesk"
    GENERIC = "generic"


SOURCE_LABELS = {
    Source.HUBSPOT: "HubSpot export",
    Source.SALESFORCE: "Salesforce report",
    Source.CSMDESK: "CSM Desk export",
    Source.GENERIC: "Spreadsheet",
}


@dataclass(frozen=True)
class Target:
    field: str
    label: str
    kind: str  # "text", "money", "date", "int", "bool", "enum", "id"
    synonyms: tuple[str, ...] = ()


ACCOUNT_TARGETS: tuple[Target, ...] = (
    Target(
        "name",
        "Account name",
        "text",
        (
            "account",
            "accountname",
            "company",
            "companyname",
            "customer",
            "customername",
            "name",
            "organization",
            "organisation",
            "client",
            "clientname",
        ),
    ),
    Target(
        "domain",
        "Domain / website",
        "text",
        (
            "domain",
            "companydomainname",
            "website",
            "websiteurl",
            "url",
            "companydomain",
            "web",
            "site",
            "accountdomain",
        ),
    ),
    Target("segment", "Segment", "enum", ("segment", "tier", "customersegment", "accountsegment")),
    Target("industry", "Industry", "text", ("industry", "vertical", "sector")),
    Target(
        "arr",
        "ARR",
        "money",
        (
            "arr",
            "annualrecurringrevenue",
            "contractvalue",
            "acv",
            "annualcontractvalue",
            "currentarr",
            "arrusd",
            "arreur",
            "recurringrevenue",
        ),
    ),
    Target("currency", "Currency", "text", ("currency", "currencycode", "arrcurrency", "isocode")),
    Target(
        "contract_start",
        "Contract start",
        "date",
        (
            "contractstart",
            "contractstartdate",
            "startdate",
            "customersince",
            "contractstarted",
            "startofcontract",
        ),
    ),
    Target(
        "renewal_date",
        "Renewal date",
        "date",
        (
            "renewal",
            "renewaldate",
            "contractenddate",
            "contractend",
            "enddate",
            "nextrenewal",
            "nextrenewaldate",
            "renewalon",
            "renewsdate",
            "renewson",
        ),
    ),
    Target(
        "lifecycle",
        "Lifecycle stage",
        "enum",
        ("lifecycle", "customerstage", "csstage", "lifecyclestage", "journeystage"),
    ),
    Target(
        "licensed_seats",
        "Licensed seats",
        "int",
        (
            "seats",
            "licensedseats",
            "licenses",
            "licences",
            "seatcount",
            "licensecount",
            "numberofseats",
            "purchasedseats",
        ),
    ),
    Target(
        "owner",
        "Owner (CSM)",
        "text",
        (
            "owner",
            "csm",
            "accountowner",
            "companyowner",
            "customersuccessmanager",
            "csmowner",
            "csmname",
            "successmanager",
            "assignedcsm",
        ),
    ),
    Target("tags", "Tags", "text", ("tags", "labels", "tag")),
    Target(
        "payment_issue",
        "Payment issue",
        "bool",
        ("paymentissue", "paymentproblem", "billingissue", "pastdue", "overdueinvoice"),
    ),
    Target(
        "cadence_days",
        "Check in every (days)",
        "int",
        ("cadencedays", "touchpointcadence", "checkineverydays"),
    ),
    Target("review_kind", "Reviews (QBR or EBR)", "text", ("reviewkind", "reviewtype")),
    Target("archived", "Archived", "bool", ("archived",)),
    Target("hubspot_id", "HubSpot company ID", "id", ("hubspotid", "hubspotcompanyid")),
    Target(
        "salesforce_id",
        "Salesforce account ID",
        "id",
        ("salesforceid", "sfdcid", "salesforceaccountid", "sfid"),
    ),
    Target("csmdesk_id", "CSM Desk ID", "id", ("csmdeskid",)),
    Target(
        "health",
        "Health (kept as a tag)",
        "text",
        ("health", "healthstatus", "rag", "healthcolor", "healthcolour", "status"),
    ),
    Target(
        "champion_name",
        "Champion name",
        "text",
        ("champion", "championname", "maincontact", "primarycontact", "keycontact"),
    ),
    Target(
        "champion_email",
        "Champion email",
        "text",
        ("championemail", "primarycontactemail", "maincontactemail", "keycontactemail"),
    ),
    Target(
        "last_qbr",
        "Last QBR (logged as a touchpoint)",
        "date",
        ("lastqbr", "lastqbrdate", "lastbusinessreview", "qbrdate", "lastebr"),
    ),
    Target(
        "note",
        "Note (added to the account)",
        "text",
        ("notes", "note", "comments", "comment", "remarks"),
    ),
)

CONTACT_TARGETS: tuple[Target, ...] = (
    Target("contact_name", "Contact name", "text", ("name", "fullname", "contactname", "contact")),
    Target("first_name", "First name", "text", ("firstname", "givenname", "first")),
    Target("last_name", "Last name", "text", ("lastname", "surname", "familyname", "last")),
    Target("email", "Email", "text", ("email", "emailaddress", "workemail", "mail")),
    Target("title", "Job title", "text", ("title", "jobtitle", "position", "role")),
    Target(
        "phone",
        "Phone",
        "text",
        ("phone", "phonenumber", "mobile", "mobilephone", "mobilephonenumber", "telephone"),
    ),
    Target("roles", "Roles", "text", ("roles", "contactroles", "persona")),
    Target("primary", "Primary contact", "bool", ("primary", "isprimary", "primarycontact")),
    Target(
        "account_name",
        "Account name",
        "text",
        (
            "accountname",
            "company",
            "companyname",
            "associatedcompany",
            "organization",
            "organisation",
            "account",
            "customer",
        ),
    ),
    Target(
        "account_domain",
        "Account domain",
        "text",
        ("accountdomain", "companydomain", "companydomainname", "domain", "website"),
    ),
    Target(
        "hubspot_company_id",
        "HubSpot company ID",
        "id",
        ("associatedcompanyid", "associatedcompanyids", "hubspotcompanyid", "companyid"),
    ),
    Target("salesforce_account_id", "Salesforce account ID", "id", ("accountid",)),
    Target("hubspot_id", "HubSpot contact ID", "id", ("hubspotcontactid",)),
    Target("salesforce_id", "Salesforce contact ID", "id", ("contactid", "salesforcecontactid")),
    Target("left_on", "Left the company on", "date", ("lefton", "leftdate", "leftcompanyon")),
)

READING_TARGETS: tuple[Target, ...] = (
    Target("account", "Account (domain, name or CRM id)", "text",
           ("account", "customer", "company", "accountid", "accountname", "companyname",
            "domain", "accountdomain", "companydomain", "website", "externalid", "crmid",
            "hubspotid", "salesforceid", "organization", "organisation", "tenant", "workspace")),
    Target("date", "Date", "date",
           ("date", "day", "week", "weekof", "weekstarting", "asof", "readingdate", "period",
            "snapshotdate", "reportdate", "month")),
    Target("active_users", "Active users", "int",
           ("activeusers", "active_users", "mau", "wau", "dau", "monthlyactiveusers",
            "weeklyactiveusers", "users", "activeseats", "usersactive")),
    Target("seats", "Licensed seats", "int", ("seats", "licensedseats", "licenses", "licences")),
    Target("logins", "Logins", "int", ("logins", "sessions", "logincount", "numberoflogins")),
    Target("feature_adoption_pct", "Feature adoption %", "float",
           ("featureadoption", "featureadoptionpct", "featureadoptionpercent", "adoption",
            "adoptionpct", "adoptionrate", "featureusage")),
    Target("open_tickets", "Open tickets", "int",
           ("opentickets", "tickets", "supporttickets", "openissues", "opencases", "cases")),
    Target("escalations", "Escalations", "int", ("escalations", "escalatedtickets", "p1s")),
    Target("nps", "NPS response (0-10)", "int", ("nps", "npsscore", "npsresponse", "npsrating")),
    Target("csat", "CSAT (1-5)", "float", ("csat", "csatscore", "satisfaction")),
)  # fmt: skip

# ARR history from finance or billing. MRR columns are deliberately absent: MRR is not ARR.
ARR_EVENT_TARGETS: tuple[Target, ...] = (
    Target("account", "Account (domain, name or CRM id)", "text",
           ("account", "customer", "company", "accountname", "customername", "companyname",
            "client", "clientname", "domain", "accountdomain", "companydomain", "website",
            "accountid", "customerid", "externalid", "crmid", "hubspotid", "salesforceid",
            "organization", "organisation", "subscriber", "billingaccount")),
    Target("date", "Date of the movement", "date",
           ("date", "effectivedate", "eventdate", "movementdate", "changedate", "bookingdate",
            "transactiondate", "effectiveon", "asof", "period", "month")),
    Target("type", "Movement type", "enum",
           ("type", "movementtype", "eventtype", "changetype", "arrtype", "movement",
            "arrmovement", "movementcategory", "category", "transactiontype", "bookingtype",
            "revenuetype", "kind")),
    Target("arr_after", "ARR after the movement", "signed_money",
           ("arrafter", "endingarr", "newarr", "closingarr", "endarr", "arrend", "resultingarr",
            "arrafterchange", "updatedarr", "totalarr", "arrbalance")),
    Target("amount", "Amount of the change", "signed_money",
           ("amount", "change", "delta", "arrchange", "arrdelta", "changeinarr", "netchange",
            "arramount", "movementamount", "arrmovementamount", "deltaarr", "changeamount")),
    Target("currency", "Currency", "text", ("currency", "currencycode", "isocode", "ccy", "curr")),
    Target("comment", "Comment", "text",
           ("comment", "comments", "note", "notes", "description", "memo", "reason", "remarks")),
)  # fmt: skip

TARGETS = {
    Kind.ACCOUNTS: ACCOUNT_TARGETS,
    Kind.CONTACTS: CONTACT_TARGETS,
    Kind.READINGS: READING_TARGETS,
    Kind.ARR_EVENTS: ARR_EVENT_TARGETS,
}


def targets_for(kind: Kind) -> dict[str, Target]:
    return {t.field: t for t in TARGETS[kind]}


def norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def header_key(headers: list[str]) -> str:
    """A stable key for a set of headers, to remember the mapping chosen for it."""
    joined = "\x1f".join(sorted(norm(h) for h in headers))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Detection:
    source: Source
    kind: Kind
    date_hint: DateOrder | None


def detect(headers: list[str]) -> Detection:
    keys = {norm(h) for h in headers}
    contactish = bool(keys & {"firstname", "lastname", "contactid", "jobtitle"}) or (
        "email" in keys and bool(keys & {"associatedcompany", "companyname", "accountname"})
    )
    metrics = {t.field for t in READING_TARGETS if keys & set(t.synonyms)} - {"account", "seats"}
    readingish = bool(keys & set(READING_TARGETS[1].synonyms)) and bool(metrics - {"date"})
    kind = Kind.READINGS if readingish else Kind.CONTACTS if contactish else Kind.ACCOUNTS
    if _arr_eventish(keys):
        kind = Kind.ARR_EVENTS
    if "recordid" in keys and bool(keys & {"companyname", "firstname", "email", "companyowner"}):
        return Detection(Source.HUBSPOT, kind, None)
    if bool(keys & {"accountid", "contactid"}) and bool(keys & {"accountname", "accountowner"}):
        return Detection(Source.SALESFORCE, kind, DateOrder.MDY)
    if {"id", "name", "segment", "lifecycle", "arr", "currency"} <= keys:
        return Detection(Source.CSMDESK, Kind.ACCOUNTS, None)
    if {"id", "accountid", "name", "email", "roles"} <= keys:
        return Detection(Source.CSMDESK, Kind.CONTACTS, None)
    return Detection(Source.GENERIC, kind, None)


def _arr_eventish(keys: set[str]) -> bool:
    """Account, date, movement type and an ARR after or amount: a history of ARR movements."""
    found = {t.field for t in ARR_EVENT_TARGETS if keys & set(t.synonyms)}
    return {"account", "date", "type"} <= found and bool(found & {"arr_after", "amount"})


_SOURCE_SPECIFIC: dict[tuple[Source, Kind], dict[str, str | None]] = {
    (Source.HUBSPOT, Kind.ACCOUNTS): {
        "recordid": "hubspot_id",
        "lifecyclestage": None,  # marketing's stage (Customer, Evangelist), not ours
        "createdate": None,
    },
    (Source.HUBSPOT, Kind.CONTACTS): {"recordid": "hubspot_id", "lifecyclestage": None},
    (Source.SALESFORCE, Kind.ACCOUNTS): {"accountid": "salesforce_id", "type": None},
    (Source.SALESFORCE, Kind.CONTACTS): {
        "contactid": "salesforce_id",
        "accountid": "salesforce_account_id",
    },
    (Source.CSMDESK, Kind.ACCOUNTS): {"id": "csmdesk_id", "status": None},
    (Source.CSMDESK, Kind.CONTACTS): {"id": None, "accountid": None, "name": "contact_name"},
}


def propose(headers: list[str], detection: Detection) -> dict[str, str]:
    """The best guess of ``{header: field}``; each field is used by one column at most."""
    specific = _SOURCE_SPECIFIC.get((detection.source, detection.kind), {})
    targets = TARGETS[detection.kind]
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = norm(header)
        if key in specific:
            chosen = specific[key]
            if chosen is not None and chosen not in used:
                mapping[header] = chosen
                used.add(chosen)
            continue
        for target in targets:
            if target.field not in used and key in target.synonyms:
                mapping[header] = target.field
                used.add(target.field)
                break
    return mapping


def check_mapping(mapping: dict[str, str], kind: Kind) -> list[str]:
    """What makes a mapping unusable (empty when it can be imported)."""
    fields = list(mapping.values())
    known = targets_for(kind)
    problems = [f"'{f}' is not a field of {kind.value}" for f in fields if f not in known]
    twice = sorted({f for f in fields if fields.count(f) > 1})
    problems += [f"{known[f].label if f in known else f} is mapped from two columns" for f in twice]
    if kind == Kind.ACCOUNTS and "name" not in fields:
        problems.append("Choose the column that holds the account name.")
    if kind == Kind.READINGS:
        if "account" not in fields:
            problems.append("Choose the column that says which account each reading is for.")
        if "date" not in fields:
            problems.append("Choose the column that holds the date of each reading.")
        metrics = set(fields) - {"account", "date", "seats"}
        if not metrics:
            problems.append("Choose at least one metric column (active users, tickets, NPS…).")
    if kind == Kind.ARR_EVENTS:
        for needed, what in (
            ("account", "says which account each movement is for"),
            ("date", "holds the date of each movement"),
            ("type", "holds the movement type (new, expansion, churn…)"),
        ):
            if needed not in fields:
                problems.append(f"Choose the column that {what}.")
        if not ({"arr_after", "amount"} & set(fields)):
            problems.append("Choose the column that holds the ARR after, or the amount of change.")
    if kind == Kind.CONTACTS:
        if not ({"contact_name", "first_name", "last_name", "email"} & set(fields)):
            problems.append("Choose the column that holds the contact's name or email.")
        account_keys = {
            "account_name",
            "account_domain",
            "hubspot_company_id",
            "salesforce_account_id",
        }
        if not (account_keys & set(fields)):
            problems.append("Choose a column that says which account each contact belongs to.")
    return problems
