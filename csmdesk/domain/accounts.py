"""What a valid account is, independent of where its values came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date

from csmdesk.domain.rhythm import MAX_DAYS, REVIEW_KINDS
from csmdesk.models import ContactRole, Lifecycle, Segment

SEGMENT_LABELS = {
    Segment.SMB: "SMB",
    Segment.MID_MARKET: "Mid-Market",
    Segment.ENTERPRISE: "Enterprise",
}
LIFECYCLE_LABELS = {
    Lifecycle.ONBOARDING: "Onboarding",
    Lifecycle.ADOPTING: "Adopting",
    Lifecycle.MATURE: "Mature",
    Lifecycle.RENEWING: "Renewing",
    Lifecycle.CHURNED: "Churned",
}
ROLE_LABELS = {
    ContactRole.CHAMPION: "Champion",
    ContactRole.EXECUTIVE_SPONSOR: "Executive sponsor",
    ContactRole.ADMIN: "Admin",
    ContactRole.END_USER: "End user",
    ContactRole.BILLING: "Billing",
}

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ValidationError(ValueError):
    """One or more fields are invalid; ``errors`` maps field name to a message for the user."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class AccountDraft:
    """The editable fields of an account as plain values."""

    name: str
    domain: str | None = None
    segment: str = Segment.SMB.value
    industry: str | None = None
    arr_minor: int = 0
    currency: str = "USD"
    contract_start: date | None = None
    renewal_date: date | None = None
    lifecycle: str = Lifecycle.ONBOARDING.value
    licensed_seats: int | None = None
    owner: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    payment_issue: bool = False
    # The account's own rhythm; None: by segment and lifecycle (cadence) or by segment (review).
    cadence_days: int | None = None
    review_kind: str | None = None

    def normalized(self) -> AccountDraft:
        return replace(
            self,
            name=" ".join(self.name.split()),
            domain=normalize_domain(self.domain),
            industry=(self.industry or "").strip() or None,
            owner=(self.owner or "").strip() or None,
            currency=self.currency.strip().upper() or "USD",
            tags=normalize_tags(self.tags),
            cadence_days=self.cadence_days or None,  # 0 has always meant "by segment"
            review_kind=(self.review_kind or "").strip().lower() or None,
        )

    def as_dict(self) -> dict[str, object]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["tags"] = ", ".join(self.tags)
        return values


def normalize_domain(text: str | None) -> str | None:
    """``https://www.Acme.com/about`` → ``acme.com``; empty → ``None``."""
    if not text:
        return None
    value = text.strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    value = value.split("/", 1)[0].split("?", 1)[0].split("@")[-1].split(":", 1)[0]
    if value.startswith("www."):
        value = value[4:]
    return value.strip(".") or None


def normalize_tags(tags: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    items = tags.split(",") if isinstance(tags, str) else list(tags)
    seen: dict[str, str] = {}
    for item in items:
        tag = " ".join(item.split())
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
    return tuple(sorted(seen.values(), key=str.lower))


def parse_seats(text: str) -> int | None:
    """Licensed seats as typed; empty means unknown."""
    value = text.strip().replace(",", "")
    if not value:
        return None
    if not value.isdigit():
        raise ValueError("seats must be a whole number, e.g. 250")
    return int(value)


def validate_account(draft: AccountDraft) -> dict[str, str]:
    """Every rule an account must satisfy, as field → message (empty when valid)."""
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "Name is required."
    elif len(draft.name) > 200:
        errors["name"] = "Name is too long (200 characters at most)."
    domain = normalize_domain(draft.domain)
    if domain and not _DOMAIN.match(domain):
        errors["domain"] = f"'{draft.domain}' is not a web domain (e.g. acme.com)."
    if draft.segment not in {s.value for s in Segment}:
        errors["segment"] = f"Unknown segment '{draft.segment}'."
    if draft.lifecycle not in {s.value for s in Lifecycle}:
        errors["lifecycle"] = f"Unknown lifecycle stage '{draft.lifecycle}'."
    if draft.arr_minor < 0:
        errors["arr"] = "ARR cannot be negative."
    if not re.fullmatch(r"[A-Za-z]{3}", draft.currency.strip()):
        errors["currency"] = "Currency must be a three-letter code such as USD."
    if draft.licensed_seats is not None and draft.licensed_seats < 0:
        errors["licensed_seats"] = "Seats cannot be negative."
    if draft.contract_start and draft.renewal_date and draft.renewal_date < draft.contract_start:
        errors["renewal_date"] = "The renewal date cannot be before the contract start."
    if draft.cadence_days is not None and not 1 <= draft.cadence_days <= MAX_DAYS:
        errors["cadence_days"] = (
            f"Check in every 1 to {MAX_DAYS} days, or leave it to the segment's cadence."
        )
    kind = (draft.review_kind or "").strip().lower()
    if kind and kind not in REVIEW_KINDS:
        errors["review_kind"] = f"Unknown review kind '{draft.review_kind}' (QBR or EBR)."
    return errors


@dataclass(frozen=True)
class ContactDraft:
    name: str
    email: str | None = None
    title: str | None = None
    phone: str | None = None
    roles: tuple[str, ...] = ()
    is_primary: bool = False
    left_on: date | None = None

    def normalized(self) -> ContactDraft:
        ordered = tuple(r.value for r in ContactRole if r.value in set(self.roles))
        return replace(
            self,
            name=" ".join(self.name.split()),
            email=(self.email or "").strip().lower() or None,
            title=(self.title or "").strip() or None,
            phone=(self.phone or "").strip() or None,
            roles=ordered,
        )


def validate_contact(draft: ContactDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "Name is required."
    if draft.email and not _EMAIL.match(draft.email.strip()):
        errors["email"] = f"'{draft.email}' is not an email address."
    unknown = set(draft.roles) - {r.value for r in ContactRole}
    if unknown:
        errors["roles"] = f"Unknown role(s): {', '.join(sorted(unknown))}."
    return errors
