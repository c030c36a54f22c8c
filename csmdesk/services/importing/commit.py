"""Writing a checked plan: one transaction, all or nothing, with progress and cancel."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session, SQLModel, col

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.models import (
    Account,
    ArrEvent,
    ArrEventKind,
    Contact,
    ContactRole,
    ExternalRef,
    HealthReading,
    Meta,
    Note,
    NoteKind,
    Touchpoint,
    TouchpointKind,
    utcnow,
)
from csmdesk.services import accounts as account_service
from csmdesk.services import records
from csmdesk.services.importing.mapping import Kind, header_key
from csmdesk.services.importing.plan import AccountOps, Action, ImportPlan, RowOutcome
from csmdesk.store import Database

log = logging.getLogger(__name__)

Progress = Callable[[int, int], bool]
MAPPING_KEY = "import.mapping."
BATCH = 250


class ImportCancelled(Exception):
    """The user cancelled; nothing was written."""


class PlanHasErrors(ValueError):
    """A plan with row errors is never written."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    touchpoints: int = 0
    notes: int = 0
    created_ids: list[int] = field(default_factory=list)
    arr_changed: int = 0  # accounts whose ARR moved to their imported latest event

    def summary(self, kind: Kind = Kind.ACCOUNTS) -> str:
        noun = "ARR events" if kind == Kind.ARR_EVENTS else kind.value
        parts = [
            f"{self.created:,} {noun} created",
            f"{self.updated:,} updated",
            f"{self.skipped:,} skipped",
        ]
        if kind == Kind.ACCOUNTS and (self.contacts_created or self.contacts_updated):
            parts.append(
                f"{self.contacts_created:,} contacts added, {self.contacts_updated:,} updated"
            )
        if self.touchpoints:
            parts.append(f"{self.touchpoints:,} QBRs logged")
        if self.notes:
            parts.append(f"{self.notes:,} notes added")
        if self.arr_changed:
            plural = "s" if self.arr_changed != 1 else ""
            parts.append(f"ARR updated on {self.arr_changed:,} account{plural}")
        return ", ".join(parts)


def remembered_mapping(db: Database, headers: list[str]) -> dict[str, str] | None:
    with db.engine.connect() as conn:
        raw = conn.execute(
            select(col(Meta.value)).where(col(Meta.key) == MAPPING_KEY + header_key(headers))
        ).scalar_one_or_none()
    if not raw:
        return None
    try:
        saved = json.loads(raw)
    except ValueError:
        return None
    return {h: f for h, f in saved.get("mapping", {}).items() if h in headers} or None


def _apply_draft(account: Account, draft: AccountDraft) -> None:
    for key, value in draft.as_dict().items():
        setattr(account, key, value)


def _row(model: type[SQLModel], **values: object) -> dict[str, object]:
    """A table row with the model's own defaults (uid, timestamps), for a bulk insert."""
    return model(**values).model_dump(exclude={"id"})


class _Writer:
    def __init__(self, db: Database, s: Session, plan: ImportPlan, report: ImportReport) -> None:
        self.db, self.s, self.plan, self.report = db, s, plan, report
        self.source = plan.table.path.name
        self.pending: dict[type[SQLModel], list[dict[str, object]]] = {}
        self.arr_accounts: set[int] = set()

    def _queue(self, model: type[SQLModel], **values: object) -> None:
        self.pending.setdefault(model, []).append(_row(model, **values))

    def _flush_queued(self) -> None:
        for model, rows in self.pending.items():
            self.s.execute(insert(model), rows)
        self.pending.clear()

    # accounts ---------------------------------------------------------------------------
    def accounts(self, batch: list[RowOutcome], today: date) -> None:
        """Write a batch of account rows with a few multi-row statements, not one per record."""
        creates = [o for o in batch if o.action == Action.CREATE]
        if creates:
            rows = []
            for outcome in creates:
                draft: AccountDraft = outcome.values["draft"]
                extra: dict[str, object] = {}
                uid = str(outcome.values.get("csmdesk_id") or "")
                if len(uid) == 32 and all(c in "0123456789abcdef" for c in uid):
                    extra["uid"] = uid  # an account coming back from a CSM Desk export
                if outcome.values.get("archived"):
                    extra["archived_at"] = utcnow()
                rows.append(_row(Account, **draft.as_dict(), **extra))
            returned: Any = self.s.scalars(
                insert(Account).returning(col(Account.id), sort_by_parameter_order=True), rows
            )
            ids: list[int] = list(returned)
            for outcome, account_id in zip(creates, ids, strict=True):
                draft = outcome.values["draft"]
                self.report.created += 1
                self.report.created_ids.append(account_id)
                if draft.arr_minor > 0:
                    self._queue(
                        ArrEvent,
                        account_id=account_id,
                        on=draft.contract_start or today,
                        kind=ArrEventKind.NEW.value,
                        arr_after_minor=draft.arr_minor,
                        currency=draft.currency,
                        implicit=True,
                    )
                self._extras(account_id, outcome.values["ops"], new=True)
        for outcome in batch:
            if outcome.action != Action.UPDATE:
                continue
            account = self.s.get(Account, outcome.target_id)
            assert account is not None and account.id is not None
            draft = outcome.values["draft"]
            before = account.arr_minor
            _apply_draft(account, draft)
            if "archived" in outcome.values:
                archived = bool(outcome.values["archived"])
                account.archived_at = (account.archived_at or utcnow()) if archived else None
            if draft.arr_minor != before:
                account_service.record_arr_change(
                    self.s, account, before, draft.arr_minor, None, today
                )
            self.report.updated += 1
            self._extras(account.id, outcome.values["ops"], new=False)
        self.s.flush()
        self._flush_queued()

    def _extras(self, account_id: int, ops: AccountOps, new: bool) -> None:
        for provider, external_id in ops.links.items():
            if new:
                self._queue(
                    ExternalRef,
                    provider=provider,
                    entity="account",
                    entity_id=account_id,
                    external_id=external_id,
                )
            else:
                records.link_external(
                    self.db, provider, "account", account_id, external_id, session=self.s
                )
        if ops.champion_new is not None:
            draft = ops.champion_new
            self._queue(
                Contact,
                account_id=account_id,
                name=draft.name,
                email=draft.email,
                roles=",".join(draft.roles),
            )
            self.report.contacts_created += 1
        if ops.champion_role_for is not None:
            contact = self.s.get(Contact, ops.champion_role_for)
            if contact is not None:
                roles = {r for r in contact.roles.split(",") if r} | {ContactRole.CHAMPION.value}
                contact.roles = ",".join(r.value for r in ContactRole if r.value in roles)
                self.report.contacts_updated += 1
        if ops.qbr_on is not None:
            self._queue(
                Touchpoint,
                account_id=account_id,
                kind=TouchpointKind.QBR.value,
                occurred_at=datetime.combine(ops.qbr_on, time(12), UTC),
                summary=f"QBR (imported from {self.source})",
            )
            self.report.touchpoints += 1
        if ops.note is not None:
            self._queue(
                Note,
                account_id=account_id,
                kind=NoteKind.GENERAL.value,
                title=f"Imported from {self.source}",
                body=ops.note,
            )
            self.report.notes += 1

    # readings --------------------------------------------------------------------------
    def readings(self, batch: list[RowOutcome]) -> None:
        """New readings in one multi-row insert; changed ones updated in place."""
        for outcome in batch:
            write = outcome.values
            if outcome.action == Action.CREATE:
                self._queue(
                    HealthReading,
                    account_id=write["account_id"],
                    on=write["on"],
                    **write["metrics"],
                )
                self.report.created += 1
            else:
                reading = self.s.get(HealthReading, write["reading_id"])
                assert reading is not None
                for key, value in write["metrics"].items():
                    setattr(reading, key, value)
                self.report.updated += 1
            if "seats" in write:
                account = self.s.get(Account, write["account_id"])
                if account is not None and not account.licensed_seats:
                    account.licensed_seats = int(write["seats"])
        self.s.flush()
        self._flush_queued()

    # ARR history -----------------------------------------------------------------------
    def arr_events(self, batch: list[RowOutcome]) -> None:
        """Imported events replace each account's implicit placeholder, in this transaction."""
        fresh = {int(o.values["account_id"]) for o in batch} - self.arr_accounts
        if fresh:
            self.s.execute(
                delete(ArrEvent).where(
                    col(ArrEvent.account_id).in_(sorted(fresh)), col(ArrEvent.implicit)
                )
            )
            self.arr_accounts |= fresh
        for outcome in batch:  # in line order, so a later line of the same date gets a later id
            self._queue(ArrEvent, **outcome.values, implicit=False)
            self.report.created += 1
        self.s.flush()
        self._flush_queued()

    def follow_latest_arr(self) -> None:
        """Each touched account's ARR becomes the ARR after its latest event (date, then id)."""
        latest = (
            select(col(ArrEvent.arr_after_minor))
            .where(col(ArrEvent.account_id) == col(Account.id))
            .order_by(col(ArrEvent.on).desc(), col(ArrEvent.id).desc())
            .limit(1)
            .scalar_subquery()
        )
        ids = sorted(self.arr_accounts)
        for at in range(0, len(ids), 500):
            changed = self.s.execute(
                update(Account)
                .where(col(Account.id).in_(ids[at : at + 500]), col(Account.arr_minor) != latest)
                .values(arr_minor=latest)
            )
            self.report.arr_changed += int(getattr(changed, "rowcount", 0) or 0)

    # contacts --------------------------------------------------------------------------
    def contact(self, outcome: RowOutcome) -> None:
        values = outcome.values
        draft: ContactDraft = values["draft"]
        account_id = int(values["account_id"])  # type: ignore[call-overload]
        if outcome.action == Action.CREATE:
            contact = Contact(account_id=account_id, name=draft.name)
            self.s.add(contact)
            self.report.created += 1
        else:
            found = self.s.get(Contact, outcome.target_id)
            assert found is not None
            contact = found
            self.report.updated += 1
        contact.name, contact.email, contact.title = draft.name, draft.email, draft.title
        contact.phone, contact.roles = draft.phone, ",".join(draft.roles)
        contact.is_primary, contact.left_on = draft.is_primary, draft.left_on
        self.s.flush()
        assert contact.id is not None
        if draft.is_primary:
            for other in self.s.scalars(
                select(Contact).where(
                    col(Contact.account_id) == account_id,
                    col(Contact.id) != contact.id,
                    col(Contact.is_primary),
                )
            ):
                other.is_primary = False
        for provider in ("hubspot", "salesforce"):
            if f"{provider}_id" in values:
                records.link_external(
                    self.db,
                    provider,
                    "contact",
                    contact.id,
                    str(values[f"{provider}_id"]),
                    session=self.s,
                )


def commit_plan(
    db: Database,
    plan: ImportPlan,
    *,
    progress: Progress | None = None,
    today: date | None = None,
    remember: bool = True,
) -> ImportReport:
    """Write every create and update of ``plan`` in one transaction, or nothing at all."""
    if not plan.ok:
        raise PlanHasErrors(f"{len(plan.errors)} row(s) have errors; nothing was imported.")
    today = today or date.today()
    report = ImportReport(skipped=plan.count(Action.SKIP))
    work = [o for o in plan.outcomes if o.action in (Action.CREATE, Action.UPDATE)]
    total = len(work)
    with db.session() as s:
        writer = _Writer(db, s, plan, report)
        for start in range(0, total, BATCH):
            batch = work[start : start + BATCH]
            if plan.kind == Kind.ACCOUNTS:
                writer.accounts(batch, today)
            elif plan.kind == Kind.READINGS:
                writer.readings(batch)
            elif plan.kind == Kind.ARR_EVENTS:
                writer.arr_events(batch)
            else:
                for outcome in batch:
                    writer.contact(outcome)
            if progress is not None and not progress(start + len(batch), total):
                raise ImportCancelled("Import cancelled; nothing was written.")
        writer.follow_latest_arr()
        if remember:
            s.merge(
                Meta(
                    key=MAPPING_KEY + header_key(plan.table.headers),
                    value=json.dumps(
                        {"kind": plan.kind.value, "mapping": plan.mapping}, ensure_ascii=False
                    ),
                )
            )
    log.info("import of %s rows committed: %s", total, report.summary(plan.kind))
    return report
