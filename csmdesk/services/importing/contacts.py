"""Planning rows of contacts: each one attached to an account of the book."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from csmdesk.domain.accounts import ContactDraft, normalize_domain, validate_contact
from csmdesk.services.importing.book import Book, unique
from csmdesk.services.importing.outcomes import Action, RowOutcome


def contact_name(values: dict[str, Any]) -> str:
    if values.get("contact_name"):
        return str(values["contact_name"])
    parts = [values.get("first_name"), values.get("last_name")]
    name = " ".join(str(p) for p in parts if p)
    return name or str(values.get("email") or "")


def _match_contact_account(book: Book, values: dict[str, Any]) -> int | None:
    for provider, key in (
        ("hubspot", "hubspot_company_id"),
        ("salesforce", "salesforce_account_id"),
    ):
        if key in values:
            for part in str(values[key]).replace(";", ",").split(","):
                if found := book.refs.get((provider, "account", part.strip())):
                    return found
    if "account_domain" in values and (
        found := unique(book.by_domain.get(values["account_domain"]))
    ):
        return found
    if "account_name" in values and (
        found := unique(book.by_name.get(str(values["account_name"]).casefold()))
    ):
        return found
    email = str(values.get("email") or "")
    if "@" in email:
        return unique(book.by_domain.get(normalize_domain(email.rsplit("@", 1)[1]) or ""))
    return None


def plan_contact_row(
    book: Book, line: int, values: dict[str, Any], seen: dict[tuple[object, ...], int]
) -> RowOutcome:
    name = contact_name(values)
    label = name or f"line {line}"
    account_id = _match_contact_account(book, values)
    if account_id is None:
        which = (
            values.get("account_name")
            or values.get("account_domain")
            or values.get("hubspot_company_id")
            or values.get("salesforce_account_id")
        )
        reason = (
            f"no account '{which}' in the book (import the accounts first)"
            if which
            else "the row does not say which account the contact belongs to"
        )
        return RowOutcome(line, Action.ERROR, label, [reason], values=values)
    existing = book.contacts.get(account_id, [])
    email = (values.get("email") or "").strip().lower()
    contact_id, base = None, None
    for provider in ("hubspot", "salesforce"):
        if f"{provider}_id" in values and (
            found := book.refs.get((provider, "contact", values[f"{provider}_id"]))
        ):
            contact_id = found
    for cid, draft in existing:
        if contact_id == cid or (
            contact_id is None
            and (
                (email and (draft.email or "") == email)
                or (not email and name and draft.name.casefold() == name.casefold())
            )
        ):
            contact_id, base = cid, draft
            break
    key: tuple[object, ...] = (
        ("contact", contact_id) if contact_id else ("new", account_id, email or name.casefold())
    )
    if key in seen:
        return RowOutcome(line, Action.SKIP, label, [f"same contact as line {seen[key]}"])
    seen[key] = line
    overlay: dict[str, Any] = {k: values[k] for k in ("title", "phone", "left_on") if k in values}
    if name:
        overlay["name"] = name
    if email:
        overlay["email"] = email
    if "roles" in values:
        overlay["roles"] = tuple(dict.fromkeys((*(base.roles if base else ()), *values["roles"])))
    if "primary" in values:
        overlay["is_primary"] = bool(values["primary"])
    draft = replace(base, **overlay) if base else ContactDraft(**{"name": "", **overlay})
    draft = draft.normalized()
    problems = validate_contact(draft)
    if problems:
        return RowOutcome(line, Action.ERROR, label, list(problems.values()), values=values)
    values = {**values, "draft": draft, "account_id": account_id}
    if base is None:
        return RowOutcome(line, Action.CREATE, draft.name, values=values)
    changes = [
        f"{f.replace('_', ' ').capitalize()}: {getattr(base, f) or '—'} → "
        f"{getattr(draft, f) or '—'}"
        for f in ("name", "email", "title", "phone", "roles", "is_primary", "left_on")
        if getattr(base, f) != getattr(draft, f)
    ]
    if not changes:
        return RowOutcome(line, Action.SKIP, draft.name, ["nothing new"], target_id=contact_id)
    return RowOutcome(
        line, Action.UPDATE, draft.name, changes=changes, target_id=contact_id, values=values
    )
