"""Deciding, before anything is written, what each row of a file will do.

Every row gets an outcome — create, update, skip (with the reason) or error (with
the reasons) — computed against the book as it is. Existing accounts are matched
by CRM id, then domain, then exact name, so importing the same file twice
updates instead of duplicating. Empty cells never erase what the book knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from csmdesk.domain.accounts import (
    LIFECYCLE_LABELS,
    SEGMENT_LABELS,
    AccountDraft,
    ContactDraft,
    validate_account,
)
from csmdesk.domain.dates import DateOrder, guess_order
from csmdesk.domain.money import format_money
from csmdesk.models import ContactRole, Lifecycle, Segment
from csmdesk.services.importing import arr_events, convert, readings
from csmdesk.services.importing.book import Book, load_book, match_account
from csmdesk.services.importing.contacts import contact_name, plan_contact_row
from csmdesk.services.importing.convert import CellError
from csmdesk.services.importing.mapping import Detection, Kind, Target, targets_for
from csmdesk.services.importing.outcomes import Action, ImportPlan, RowOutcome
from csmdesk.services.importing.reader import Cell, Table
from csmdesk.store import Database

__all__ = ["AccountOps", "Action", "ImportPlan", "RowOutcome", "plan_rows"]

# --- reading cells ---------------------------------------------------------------------------


def _read(target: Target, cell: Cell, order: DateOrder | None, currency: str) -> Any:
    kind = target.kind
    if kind == "money":
        return convert.money(cell, currency)
    if kind == "date":
        return convert.a_date(cell, order)
    if kind == "int":
        return convert.integer(cell)
    if kind == "bool":
        return convert.boolean(cell)
    if kind == "float":
        return convert.number(cell)
    if kind == "id":
        return convert.identifier(cell)
    if kind == "signed_money":  # read against the account's currency, once it is known
        return convert.text(cell) or None
    if target.field == "type":
        return arr_events.movement(cell)
    if target.field == "segment":
        return convert.segment(cell)
    if target.field == "lifecycle":
        return convert.lifecycle(cell)
    if target.field == "roles":
        return convert.roles(cell)
    if target.field == "industry":
        return convert.industry(cell)
    if target.field in ("domain", "account_domain"):
        return convert.domain(cell)
    if target.field == "tags":
        return convert.tags(cell)
    return convert.text(cell) or None


def _row_values(
    table: Table,
    cells: list[Cell],
    columns: list[tuple[int, str, Target]],
    orders: dict[str, DateOrder | None],
    default_currency: str,
) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    errors: list[str] = []
    currency = default_currency
    for index, header, target in columns:
        if target.field == "currency":
            code = convert.text(cells[index] if index < len(cells) else None).upper()
            if code and (len(code) != 3 or not code.isalpha()):
                errors.append(f"{header}: '{code}' is not a currency code such as USD")
            elif code:
                currency = code
                values["currency"] = code
    for index, header, target in columns:
        if target.field == "currency":
            continue
        cell = cells[index] if index < len(cells) else None
        try:
            value = _read(target, cell, orders.get(header), currency)
        except CellError as exc:
            errors.append(f"{header}: {exc}")
            continue
        if value is not None and value != ():
            values[target.field] = value
    if "arr" in values:
        values["arr_minor"], found_currency = values.pop("arr")
        if "currency" not in values:
            values["currency"] = found_currency
        elif found_currency != values["currency"] and found_currency != currency:
            errors.append(f"ARR is in {found_currency} but the currency column says {currency}")
    return values, errors


def _columns(table: Table, mapping: dict[str, str], kind: Kind) -> list[tuple[int, str, Target]]:
    known = targets_for(kind)
    return [
        (i, header, known[mapping[header]])
        for i, header in enumerate(table.headers)
        if mapping.get(header) in known
    ]


def decide_date_orders(
    table: Table,
    mapping: dict[str, str],
    kind: Kind,
    hint: DateOrder | None,
    chosen: DateOrder | None,
) -> tuple[dict[str, DateOrder | None], list[str]]:
    """The order used for each date column, and warnings for the ones the data did not prove."""
    orders: dict[str, DateOrder | None] = {}
    warnings: list[str] = []
    for index, header, target in _columns(table, mapping, kind):
        if target.kind != "date":
            continue
        guess = guess_order(
            (row.cells[index] for row in table.rows if index < len(row.cells)), hint
        )
        if chosen is not None and (guess.ambiguous or guess.order is None):
            orders[header] = chosen
        elif guess.ambiguous and guess.order is None:
            orders[header] = DateOrder.MDY
            warnings.append(
                f"Column '{header}': {guess.evidence}; read as month/day (US). "
                "Choose day/month if that is wrong."
            )
        else:
            orders[header] = guess.order or chosen
    return orders, warnings


# --- accounts --------------------------------------------------------------------------------

_DRAFT_FIELDS = (
    "name",
    "domain",
    "segment",
    "industry",
    "arr_minor",
    "currency",
    "contract_start",
    "renewal_date",
    "lifecycle",
    "licensed_seats",
    "owner",
    "payment_issue",
    "cadence_days",
    "review_kind",
)
_SEGMENTS = {s.value for s in Segment}
_STAGES = {s.value for s in Lifecycle}
_LABELS = {
    "arr_minor": "ARR",
    "contract_start": "Contract start",
    "renewal_date": "Renewal",
    "licensed_seats": "Seats",
    "payment_issue": "Payment issue",
    "cadence_days": "Check in every (days)",
    "review_kind": "Reviews",
    "tags": "Tags",
}


def _show(field_name: str, value: Any, draft: AccountDraft) -> str:
    if value is None or value == "":
        return "—"
    if field_name == "arr_minor":
        return format_money(value, draft.currency)
    if field_name == "segment":
        return SEGMENT_LABELS.get(Segment(value), value) if value in _SEGMENTS else str(value)
    if field_name == "review_kind":
        return str(value).upper()
    if field_name == "lifecycle":
        return LIFECYCLE_LABELS.get(Lifecycle(value), value) if value in _STAGES else str(value)
    if isinstance(value, tuple):
        return ", ".join(value) or "—"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _account_draft(values: dict[str, Any], base: AccountDraft | None) -> AccountDraft:
    overlay = {k: values[k] for k in _DRAFT_FIELDS if k in values}
    kept = base.tags if base else ()
    added = tuple(values.get("tags", ()))
    if "health" in values:  # one health tag at a time: the file's colour replaces the old one
        kept = tuple(t for t in kept if not t.casefold().startswith("health-"))
        added += (f"health-{values['health'].casefold().replace(' ', '-')}",)
    tags = convert.tags(", ".join((*kept, *added)))
    if base is None:
        return AccountDraft(**{"name": "", **overlay, "tags": tags})
    return replace(base, **overlay, tags=tags)


def _plan_account_row(
    book: Book, line: int, values: dict[str, Any], seen: dict[tuple[object, ...], int]
) -> RowOutcome:
    label = values.get("name") or values.get("domain") or f"line {line}"
    target_id = match_account(book, values)
    if target_id is not None:
        keys: list[tuple[object, ...]] = [("id", target_id)]
    else:
        keys = [("uid", values["csmdesk_id"])] if "csmdesk_id" in values else []
        keys.append(
            ("domain", values["domain"])
            if "domain" in values
            else ("name", str(values.get("name", "")).casefold())
        )
    for key in keys:
        if key in seen:
            return RowOutcome(line, Action.SKIP, label, [f"same account as line {seen[key]}"])
    for key in keys:
        seen[key] = line
    base = book.accounts.get(target_id) if target_id is not None else None
    if base is None and "name" not in values:
        return RowOutcome(line, Action.ERROR, label, ["no account name"], values=values)
    draft = _account_draft(values, base).normalized()
    problems = validate_account(draft)
    if problems:
        return RowOutcome(line, Action.ERROR, label, list(problems.values()), values=values)
    ops, extras = _account_extras(book, target_id, values)
    values = {**values, "draft": draft, "ops": ops}
    if base is None:
        return RowOutcome(line, Action.CREATE, draft.name, changes=extras, values=values)
    changes = [
        f"{_LABELS.get(f, f.replace('_', ' ').capitalize())}: "
        f"{_show(f, getattr(base, f), base)} → {_show(f, getattr(draft, f), draft)}"
        for f in (*_DRAFT_FIELDS, "tags")
        if getattr(base, f) != getattr(draft, f)
    ]
    if "archived" in values and values["archived"] != (target_id in book.archived):
        changes.append("Archived" if values["archived"] else "Restored from the archive")
    if not changes and not extras:
        return RowOutcome(line, Action.SKIP, draft.name, ["nothing new"], target_id=target_id)
    return RowOutcome(
        line,
        Action.UPDATE,
        draft.name,
        changes=changes + extras,
        target_id=target_id,
        values=values,
    )


@dataclass
class AccountOps:
    """The records a row adds besides the account itself, decided against the book."""

    links: dict[str, str] = field(default_factory=dict)  # provider -> external id to (re)link
    champion_new: ContactDraft | None = None
    champion_role_for: int | None = None  # an existing contact who becomes champion
    qbr_on: date | None = None
    note: str | None = None


def _account_extras(
    book: Book, account_id: int | None, values: dict[str, Any]
) -> tuple[AccountOps, list[str]]:
    ops, extras = AccountOps(), []
    for provider, key in (("hubspot", "hubspot_id"), ("salesforce", "salesforce_id")):
        known = book.refs_of.get((provider, "account", account_id)) if account_id else None
        if key in values and known != values[key]:
            ops.links[provider] = values[key]
            extras.append(f"Link to {provider.capitalize()} {values[key]}")
    email = str(values.get("champion_email") or "").strip().lower()
    name = str(values.get("champion_name") or "").strip()
    if email or name:
        known_contacts = book.contacts.get(account_id, []) if account_id else []
        match = next(
            (
                (cid, d)
                for cid, d in known_contacts
                if (email and (d.email or "") == email)
                or (not email and d.name.casefold() == name.casefold())
            ),
            None,
        )
        if match is None:
            ops.champion_new = ContactDraft(
                name=name or email, email=email or None, roles=(ContactRole.CHAMPION.value,)
            ).normalized()
            extras.append(f"Add champion {name or email}")
        elif ContactRole.CHAMPION.value not in match[1].roles:
            ops.champion_role_for = match[0]
            extras.append(f"Mark {match[1].name} as champion")
    qbr = values.get("last_qbr")
    if isinstance(qbr, date) and (account_id, qbr) not in book.qbr_days:
        ops.qbr_on = qbr
        extras.append(f"Log the QBR of {qbr.isoformat()}")
    note = values.get("note")
    if note and (account_id, note) not in book.note_bodies:
        ops.note = str(note)
        extras.append("Add the note")
    return ops, extras


# --- the whole file ----------------------------------------------------------------------------

Progress = Callable[[int, int], bool]


def plan_rows(
    db: Database,
    table: Table,
    detection: Detection,
    kind: Kind,
    mapping: dict[str, str],
    *,
    date_order: DateOrder | None = None,
    currency: str = "USD",
    today: date | None = None,
) -> ImportPlan:
    orders, warnings = decide_date_orders(table, mapping, kind, detection.date_hint, date_order)
    warnings = [*table.notes, *warnings]
    columns = _columns(table, mapping, kind)
    parsed = [
        (row, *_row_values(table, row.cells, columns, orders, currency)) for row in table.rows
    ]
    book = load_book(db, {str(v["note"]) for _, v, _ in parsed if "note" in v})
    seen: dict[tuple[object, ...], int] = {}
    outcomes: list[RowOutcome] = []
    width = len(table.headers)
    planner = _plan_account_row if kind == Kind.ACCOUNTS else plan_contact_row
    if kind == Kind.READINGS:
        existing = readings.load_existing(db, [v["date"] for _, v, _ in parsed if "date" in v])
        seats = readings.seats_of(db)
        names = {i: d.name for i, d in book.accounts.items()}
    arr_rows: list[tuple[int, dict[str, Any]]] = []
    for row, values, errors in parsed:
        extra = [c for c in row.cells[width:] if convert.text(c)]
        if extra:
            errors.append(f"the row has {len(row.cells)} cells but the header has {width}")
        if not values and not errors:
            outcomes.append(
                RowOutcome(
                    row.line, Action.SKIP, f"line {row.line}", ["no values in the imported columns"]
                )
            )
            continue
        if errors:
            label = str(
                values.get("name")
                or contact_name(values)
                or values.get("account")
                or f"line {row.line}"
            )
            outcomes.append(RowOutcome(row.line, Action.ERROR, label, errors, values=values))
            continue
        if kind == Kind.ARR_EVENTS:
            arr_rows.append((row.line, values))
            continue
        if kind == Kind.READINGS:
            account_id = readings.resolve_account(book, str(values.get("account", "")))
            name = names.get(account_id, str(values.get("account", ""))) if account_id else ""
            action, notes, row_warnings, write = readings.plan_reading(
                row.line, values, account_id, name, existing, seats, today or date.today(), seen
            )
            label = f"{name or values.get('account', '?')}"
            outcome = RowOutcome(row.line, Action(action), label, values=write)
            if outcome.action in (Action.ERROR, Action.SKIP):
                outcome.reasons = notes
            else:
                outcome.changes = notes
            outcome.warnings = row_warnings
            outcomes.append(outcome)
            continue
        outcomes.append(planner(book, row.line, values, seen))
    if arr_rows:  # a history is planned per account across the file, not row by row
        outcomes += arr_events.plan_arr_events(db, book, arr_rows)
        outcomes.sort(key=lambda o: o.line)
    return ImportPlan(table, detection, kind, mapping, orders, currency, outcomes, warnings)
