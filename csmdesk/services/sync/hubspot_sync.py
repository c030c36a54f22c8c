"""A sync with HubSpot: pull companies and contacts (owners named), resolve what changed on
both sides, then push the outbox — edits, new contacts, notes and logged touchpoints.

Every page pulled is applied in one transaction together with its watermark, so an
interrupted sync resumes after the last page committed. A field changed both here and in
HubSpot since the last sync becomes a :class:`~csmdesk.models.SyncConflict` (policy "ask"),
or is settled by the field's policy ("crm" or "local"); nothing is overwritten silently.

Creates are idempotent: before a create is sent, its outbox row counts the attempt (and is
committed); a retry of a row that was attempted before first looks for the record in HubSpot
(a contact by email, which HubSpot also reports with a 409; a note by the reference token in
its footer) and links it instead of creating a second one.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from csmdesk.models import (
    Account,
    Contact,
    ExternalRef,
    Lifecycle,
    Note,
    NoteKind,
    SyncConflict,
    SyncOutbox,
    Touchpoint,
    utcnow,
)
from csmdesk.services import gcpause
from csmdesk.services.sync import mapping as m
from csmdesk.services.sync import state
from csmdesk.services.sync.outbox import APPLYING
from csmdesk.store import Database

log = logging.getLogger(__name__)

PROVIDER = "hubspot"
PAGE = 100
OBJECTS = {"account": "companies", "contact": "contacts", "opportunity": "deals"}
DEAL_PROPERTIES = ["dealname", "amount", "closedate", "dealstage", "hs_lastmodifieddate"]
# HubSpot's default pipeline stages, as an opportunity's stage here.
DEAL_STAGES = {
    "appointmentscheduled": "identified",
    "qualifiedtobuy": "qualified",
    "presentationscheduled": "qualified",
    "decisionmakerboughtin": "proposed",
    "contractsent": "proposed",
    "closedwon": "won",
    "closedlost": "lost",
}
Progress = Callable[[str], bool]  # a line of progress; False cancels


class SyncCancelled(Exception):
    pass


@dataclass(frozen=True)
class SyncResult:
    run_id: int | None
    status: str  # ok, conflicts, failed, cancelled
    pulled: int
    pushed: int
    conflicts: int
    failed: int
    requests: int
    message: str
    lines: tuple[str, ...]
    offline: bool = False  # the CRM could not be reached at all


def _modified_ms(record: dict) -> int | None:
    from csmdesk.crm.hubspot import to_ms

    props = record.get("properties") or {}
    return to_ms(
        props.get("hs_lastmodifieddate") or props.get("lastmodifieddate") or record.get("updatedAt")
    )


def _name_parts(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first, last.strip()


def _local_values(entity: str, obj: Any, owners: dict[str, str]) -> dict[str, Any]:
    """The local values of an entity's mapped fields, by field key."""
    if entity == "account":
        return {
            "account.name": obj.name,
            "account.domain": obj.domain,
            "account.industry": obj.industry,
            "account.owner": obj.owner,
            "account.arr_minor": obj.arr_minor or None,
            "account.renewal_date": obj.renewal_date,
            "account.contract_start": obj.contract_start,
            "account.licensed_seats": obj.licensed_seats,
        }
    first, last = _name_parts(obj.name)
    return {
        "contact.first_name": first or None,
        "contact.last_name": last or None,
        "contact.email": obj.email,
        "contact.title": obj.title,
        "contact.phone": obj.phone,
    }


def _set_local(entity: str, obj: Any, key: str, value: Any) -> None:
    attr = key.split(".", 1)[1]
    if entity == "account":
        if attr == "arr_minor":
            value = value or 0
        if attr == "name" and not value:
            return  # a name is required here; keep ours
        setattr(obj, attr, value)
        return
    first, last = _name_parts(obj.name)
    if attr == "first_name":
        obj.name = " ".join(p for p in (value or "", last) if p) or obj.name
    elif attr == "last_name":
        obj.name = " ".join(p for p in (first, value or "") if p) or obj.name
    else:
        setattr(obj, attr, value)


class HubSpotSync:
    provider = PROVIDER
    objects = OBJECTS  # local entity -> the CRM's object type
    name = "HubSpot"

    def __init__(
        self,
        db: Database,
        client: Any,
        *,
        full: bool = False,
        dry_run: bool = False,
        overrides: Iterable[str] = (),
        progress: Progress | None = None,
    ) -> None:
        self.db, self.client = db, client
        self.full, self.dry_run = full, dry_run
        self.overrides = list(overrides)
        self.progress = progress or (lambda _line: True)
        self.log = state.RunLog(self.provider, full, dry_run)
        self.owners: dict[str, str] = {}
        self.mapping = m.Mapping({}, {})

    # --- the run ------------------------------------------------------------------------

    def run(self) -> SyncResult:
        """Pull, then push; never raises for a CRM or data problem (the result says it)."""
        state.start_run(self.db, self.log)
        with gcpause.paused():  # young cycles are collected after each page instead
            return self._run()

    def _run(self) -> SyncResult:
        from csmdesk.crm.errors import CrmError, NetworkError

        status, message, offline = "ok", "", False
        try:
            self._prepare()
            for entity in ("account", "contact", "opportunity"):
                self._pull(entity)
            self._pull_notes()
            if self.full:
                self._pull_archived()
            if not self.dry_run:
                self._push()
            if self.log.conflicts or self._open_conflicts():
                status = "conflicts"
            waiting = self._open_conflicts()
            message = (
                f"{self.log.pulled:,} pulled, {self.log.pushed:,} pushed, "
                f"{waiting:,} conflict{'' if waiting == 1 else 's'} waiting"
            )
        except SyncCancelled:
            status, message = "cancelled", "Cancelled; what was committed stays, the rest resumes."
        except CrmError as exc:
            status, message, offline = "failed", str(exc), isinstance(exc, NetworkError)
        except Exception as exc:
            log.exception("HubSpot sync failed")
            status, message = "failed", f"{exc.__class__.__name__}: {exc}"
        finally:
            self.log.requests = int(getattr(self.client, "requests_made", 0))
        self.log.say(message)
        state.finish_run(self.db, self.log, status, message)
        return SyncResult(
            self.log.run_id, status, self.log.pulled, self.log.pushed, self._open_conflicts(),
            self.log.failed, self.log.requests, message, tuple(self.log.lines), offline,
        )  # fmt: skip

    def _step(self, line: str) -> None:
        self.log.say(line)
        if not self.progress(line):
            raise SyncCancelled

    def _open_conflicts(self) -> int:
        with self.db.session() as s:
            return len(
                s.scalars(
                    select(col(SyncConflict.id)).where(
                        col(SyncConflict.provider) == self.provider,
                        col(SyncConflict.resolved_at).is_(None),
                    )
                ).all()
            )

    def _prepare(self) -> None:
        with self.db.session() as s:
            stored = state.get(s, self.provider, "mapping")
        if stored and not self.full:
            mapping = m.Mapping.from_json(stored)
        else:
            mapping = m.propose({"companies": self.client.properties("companies")})
            if stored:  # a full sync keeps the CSM's own choices
                kept = m.Mapping.from_json(stored)
                mapping = m.Mapping({**mapping.properties, **kept.properties}, kept.policies)
        if self.overrides:
            known = {str(p["name"]) for p in self.client.properties("companies")}
            known |= {str(p["name"]) for p in self.client.properties("contacts")}
            mapping = m.apply_overrides(mapping, self.overrides, known)
        self.mapping = mapping
        self.owners = {
            str(o["id"]): " ".join(p for p in (o.get("firstName"), o.get("lastName")) if p)
            or str(o.get("email") or o["id"])
            for o in self.client.owners()
        }
        with self.db.session() as s:
            portal = state.get(s, self.provider, "portal")
        if not portal:  # for the links that open a record in HubSpot
            portal = str(self.client.account_details().get("portalId") or "")
        if not self.dry_run:
            with self.db.session() as s:
                state.put(s, self.provider, "mapping", mapping.to_json())
                state.put(s, self.provider, "connected", "1")
                state.put(s, self.provider, "portal", portal)

    # --- pull -----------------------------------------------------------------------------

    def _properties(self, entity: str) -> list[str]:
        if entity == "opportunity":
            return DEAL_PROPERTIES
        props = set(self.mapping.of(entity).values())
        props |= {"hs_lastmodifieddate", "lastmodifieddate", "createdate"}
        return sorted(props)

    def _since(self, object_type: str) -> int | None:
        """Where an incremental pull starts (None: a full pull, everything)."""
        with self.db.session() as s:
            mark = state.get(s, self.provider, f"watermark:{object_type}")
        return None if self.full or not mark else int(mark)

    def _pull(self, entity: str) -> None:
        object_type = self.objects[entity]
        since = self._since(object_type)
        props = self._properties(entity)
        if since is None:
            pages = self._list_all(object_type, props)
        else:
            pages = (
                (p.results, p.max_modified_ms)
                # From the watermark itself (GTE): what was modified at that instant comes
                # again and is skipped, each link remembering the remote time it was applied at.
                for p in self.client.iter_modified(object_type, since, props, limit=PAGE)
            )
        count = 0
        for results, newest in pages:
            links = {}
            if entity != "account" and results:
                links = self.client.associations(
                    object_type, "companies", [str(r["id"]) for r in results]
                )
            count += self._apply_page(entity, results, links, newest)
            gcpause.collect_young()
            self._step(f"{object_type}: {count:,} pulled")

    def _pull_notes(self) -> None:
        """HubSpot notes on the book's companies join the accounts' notes, read-only (kind
        ``crm``); those CSM Desk wrote itself stay as they are here. The first time, each
        company's notes are found through its associations; afterwards, by search."""
        with self.db.session() as s:
            mark = state.get(s, self.provider, "watermark:notes")
            if mark is None or self.full:
                companies = list(
                    s.scalars(
                        select(col(ExternalRef.external_id)).where(
                            col(ExternalRef.provider) == self.provider,
                            col(ExternalRef.entity) == "account",
                        )
                    ).all()
                )
        props = ["hs_note_body", "hs_timestamp", "hs_lastmodifieddate"]
        if mark is None or self.full:
            linked = self.client.associations("companies", "notes", companies)
            ids = sorted({n for notes_ in linked.values() for n in notes_})
            pages: Iterable[list[dict]] = (
                self.client.batch_read("notes", ids[i : i + 100], props)
                for i in range(0, len(ids), 100)
            )
            if not ids:
                pages = [[]]
        else:
            pages = (p.results for p in self.client.iter_modified("notes", int(mark), props))
        count = 0
        for results in pages:
            links = (
                self.client.associations("notes", "companies", [str(r["id"]) for r in results])
                if results
                else {}
            )
            newest = max((_modified_ms(r) or 0 for r in results), default=0)
            with self.db.session() as s:
                s.info[APPLYING] = True
                for record in results:
                    count += self._apply_note(s, record, links)
                if not self.dry_run:
                    old = int(state.get(s, self.provider, "watermark:notes") or 0)
                    state.put(s, self.provider, "watermark:notes", str(max(newest, old)))
                else:
                    s.rollback()
            gcpause.collect_young()
        if count:
            self._step(f"notes: {count:,} pulled")

    def _apply_note(self, s: Session, record: dict, links: dict[str, list[str]]) -> int:
        remote_id = str(record["id"])
        ref = self._ref(s, "note", remote_id)
        if self._unchanged(ref, record):
            return 0
        note: Any = s.get(Note, ref.entity_id) if ref is not None else None
        if note is not None and note.kind != NoteKind.CRM.value:
            return 0  # written here and pushed: ours is the source
        props = record.get("properties") or {}
        if ref is None and self._claim_ours(s, remote_id, str(props.get("hs_note_body") or "")):
            return 0
        account_id = None
        for company in links.get(remote_id) or []:
            company_ref = self._ref(s, "account", str(company))
            if company_ref is not None:
                account_id = company_ref.entity_id
                break
        if account_id is None:
            return 0
        body = html_text(str(props.get("hs_note_body") or ""))
        stamp = to_datetime(props.get("hs_timestamp")) or utcnow()
        if note is None:
            note = Note(account_id=account_id, kind=NoteKind.CRM.value, created_at=stamp)
        note.account_id = account_id
        note.body = body
        note.title = (body.strip().splitlines() or ["HubSpot note"])[0][:300]
        s.add(note)
        s.flush()
        if ref is None:
            ref = ExternalRef(
                provider=self.provider, entity="note", entity_id=note.id, external_id=remote_id
            )
        ref.remote_updated_at = self._remote_time(record)
        s.add(ref)
        self.log.pulled += 1
        return 1

    def _claim_ours(self, s: Session, remote_id: str, body: str) -> bool:
        """A note CSM Desk wrote (its footer names the note or touchpoint) whose link was lost,
        say when the app died before storing it: link it back instead of copying it in."""
        import re

        found = re.search(r"From CSM Desk · ref ([0-9a-f]{32})", body)
        if not found:
            return False
        for model, entity in ((Note, "note"), (Touchpoint, "touchpoint")):
            local_id = s.scalars(
                select(col(model.id)).where(col(model.uid) == found.group(1))  # type: ignore[attr-defined]
            ).first()
            if local_id is not None:
                # Linked: a push still waiting for it now updates this note, never adds one.
                s.add(ExternalRef(provider=self.provider, entity=entity, entity_id=local_id,
                                  external_id=remote_id))  # fmt: skip
                return True
        return False

    def _pull_archived(self) -> None:
        """Companies archived (deleted) in HubSpot: their accounts are archived here, never
        deleted (Edit ▸ Restore brings one back). HubSpot's search does not return archived
        records, so only a full sync looks for them."""
        after: str | None = None
        archived = 0
        while True:
            page = self.client.list_page("companies", ["name"], after=after, archived=True)
            with self.db.session() as s:
                s.info[APPLYING] = True
                for record in page.results:
                    ref = self._ref(s, "account", str(record["id"]))
                    account = s.get(Account, ref.entity_id) if ref is not None else None
                    if account is not None and account.archived_at is None:
                        account.archived_at = utcnow()
                        s.add(account)
                        archived += 1
                        self.log.say(f"archived here, as in HubSpot: {account.name}")
                if self.dry_run:
                    s.rollback()
            after = page.after
            if not after:
                break
        if archived:
            self._step(f"companies archived in HubSpot: {archived:,}")

    def _list_all(
        self, object_type: str, props: list[str]
    ) -> Iterable[tuple[list[dict], int | None]]:

        with self.db.session() as s:
            after = state.get(s, self.provider, f"cursor:{object_type}") or None
        while True:
            page = self.client.list_page(object_type, props, after=after, limit=PAGE)
            newest = max((_modified_ms(r) or 0 for r in page.results), default=None)
            yield page.results, newest
            after = page.after
            if not self.dry_run:
                with self.db.session() as s:
                    state.put(s, self.provider, f"cursor:{object_type}", after or "")
            if not after:
                return

    def _apply_page(
        self, entity: str, results: list[dict], links: dict[str, list[str]], newest: int | None
    ) -> int:
        """One page in one transaction, watermark included; returns how many records were
        new or changed."""
        object_type = self.objects[entity]
        applied = 0
        with self.db.session() as s:
            s.info[APPLYING] = True
            for record in results:
                try:
                    if entity == "opportunity":
                        applied += self._apply_deal(s, record, links)
                        continue
                    applied += self._apply_record(s, entity, record, links)
                except ValueError as exc:
                    self.log.failed += 1
                    self.log.say(f"{object_type} {record.get('id')}: skipped, {exc}")
            if newest is not None and not self.dry_run:
                old = int(state.get(s, self.provider, f"watermark:{object_type}") or 0)
                state.put(s, self.provider, f"watermark:{object_type}", str(max(newest, old)))
            if self.dry_run:
                s.rollback()
        return applied

    @staticmethod
    def _unchanged(ref: ExternalRef | None, record: dict) -> bool:
        """Already applied at this remote modification time (or a later one)."""
        modified = _modified_ms(record)
        if ref is None or ref.remote_updated_at is None or modified is None:
            return False
        seen = ref.remote_updated_at
        if seen.tzinfo is None:
            seen = seen.replace(tzinfo=UTC)
        return modified <= int(seen.timestamp() * 1000)

    @staticmethod
    def _remote_time(record: dict) -> datetime | None:
        modified = _modified_ms(record)
        return datetime.fromtimestamp(modified / 1000, UTC) if modified is not None else None

    def _ref(self, s: Session, entity: str, remote_id: str) -> ExternalRef | None:
        return s.scalars(
            select(ExternalRef).where(
                col(ExternalRef.provider) == self.provider,
                col(ExternalRef.entity) == entity,
                col(ExternalRef.external_id) == remote_id,
            )
        ).first()

    def _apply_record(
        self, s: Session, entity: str, record: dict, links: dict[str, list[str]]
    ) -> int:
        remote_id = str(record["id"])
        props = record.get("properties") or {}
        fields = {f"{entity}.{k}": p for k, p in self.mapping.of(entity).items()}
        ref = self._ref(s, entity, remote_id)
        if self._unchanged(ref, record):
            return 0
        obj: Any = None
        if ref is not None:
            obj = s.get(Account if entity == "account" else Contact, ref.entity_id)
            if obj is None:  # deleted here since: a deletion is respected, not undone
                self.log.say(f"{self.objects[entity]} {remote_id}: deleted here, not restored")
                return 0
        if record.get("archived"):
            if entity == "account" and obj is not None and obj.archived_at is None:
                obj.archived_at = utcnow()  # recoverable: Edit ▸ Restore
                s.add(obj)
            return 1
        account_id = None
        if entity == "contact":
            companies = links.get(remote_id) or []
            for company in companies:
                company_ref = self._ref(s, "account", str(company))
                if company_ref is not None:
                    account_id = company_ref.entity_id
                    break
            if obj is None and account_id is None:
                return 0  # a contact of no company in the book
        if obj is None:
            obj = self._match_or_create(s, entity, props, fields, account_id)
            ref = ExternalRef(
                provider=self.provider, entity=entity, entity_id=obj.id, external_id=remote_id
            )
        elif entity == "contact" and account_id is not None and obj.account_id != account_id:
            obj.account_id = account_id
        assert ref is not None
        base = json.loads(ref.synced or "{}")
        currency = getattr(obj, "currency", None) or "USD"
        arr_before = (obj.arr_minor or 0) if ref.id is not None and entity == "account" else 0
        local = _local_values(entity, obj, self.owners)
        for key, prop in fields.items():
            kind = m.FIELDS[key].kind
            if kind == "owner":
                name = self.owners.get(str(props.get(prop) or ""))
                if name and obj.owner != name:
                    obj.owner = name
                continue
            remote = m.canonical(kind, props.get(prop), currency)
            mine = m.to_crm(kind, local[key], currency)
            before = base.get(key, mine if ref.id is None else None)
            if remote == mine:
                base[key] = remote
            elif remote == before:
                continue  # changed here only: the push sends it
            elif mine == before or self.mapping.policy(key) == m.CRM_WINS or ref.id is None:
                _set_local(entity, obj, key, m.from_crm(kind, remote, currency))
                base[key] = remote
            elif self.mapping.policy(key) == m.LOCAL_WINS:
                base[key] = remote  # ours is pushed over it
                self._queue(s, entity, obj.id, [key.split(".", 1)[1]])
            else:
                self._conflict(s, entity, obj.id, key, mine, remote, remote_id, props)
        if entity == "account" and (obj.arr_minor or 0) != arr_before:
            # ARR from the CRM is history too: the book's numbers read it from ARR events.
            from csmdesk.services.accounts import record_arr_change

            on = obj.contract_start if arr_before == 0 and obj.contract_start else today_utc()
            record_arr_change(s, obj, arr_before, obj.arr_minor or 0, None, on)
        synced = json.dumps(base, sort_keys=True)
        news = ref.id is None or synced != ref.synced or s.is_modified(obj)
        ref.synced = synced
        ref.remote_updated_at = self._remote_time(record) or utcnow()
        s.add(obj)
        s.add(ref)
        if not news:
            return 0  # seen again (a record of the watermark's own second): nothing new
        self.log.pulled += 1
        return 1

    def _apply_deal(self, s: Session, record: dict, links: dict[str, list[str]]) -> int:
        """A deal as a read-only opportunity of its company's account."""
        from csmdesk.models import Opportunity

        remote_id = str(record["id"])
        props = record.get("properties") or {}
        ref = self._ref(s, "opportunity", remote_id)
        if self._unchanged(ref, record):
            return 0
        deal: Any = s.get(Opportunity, ref.entity_id) if ref is not None else None
        account_id = deal.account_id if deal is not None else None
        for company in links.get(remote_id) or []:
            company_ref = self._ref(s, "account", str(company))
            if company_ref is not None:
                account_id = company_ref.entity_id
                break
        if account_id is None:
            return 0  # a deal of no company in the book
        account = s.get(Account, account_id)
        currency = account.currency if account is not None else "USD"
        if deal is None:
            deal = Opportunity(account_id=account_id, title="", source=self.provider)
        deal.account_id = account_id
        deal.title = (props.get("dealname") or "Untitled deal")[:300]
        deal.amount_minor = m.from_crm("money", props.get("amount"), currency) or 0
        deal.currency = currency
        deal.close_date = m.from_crm("date", props.get("closedate"), currency)
        deal.stage = DEAL_STAGES.get(str(props.get("dealstage") or ""), "identified")
        s.add(deal)
        s.flush()
        if ref is None:
            ref = ExternalRef(
                provider=self.provider,
                entity="opportunity",
                entity_id=deal.id,
                external_id=remote_id,
            )
        ref.remote_updated_at = self._remote_time(record)
        s.add(ref)
        self.log.pulled += 1
        return 1

    def _match_or_create(
        self, s: Session, entity: str, props: dict, fields: dict[str, str], account_id: int | None
    ) -> Any:
        found: Any = None
        obj: Any
        if entity == "account":
            domain = (props.get(fields.get("account.domain", "domain")) or "").strip().lower()
            if domain:
                found = s.scalars(select(Account).where(col(Account.domain) == domain)).first()
                linked = found is not None and self._has_ref(s, "account", found.id)
                found = None if linked else found
            name = (props.get(fields.get("account.name", "name")) or "").strip()
            obj = found or Account(
                name=name or domain or "Unnamed company",
                domain=domain or None,
                lifecycle=Lifecycle.ADOPTING.value,
            )
        else:
            email = (props.get(fields.get("contact.email", "email")) or "").strip().lower()
            if email:
                found = s.scalars(
                    select(Contact).where(
                        col(Contact.email) == email, col(Contact.account_id) == account_id
                    )
                ).first()
                if found is not None and self._has_ref(s, "contact", found.id):
                    found = None  # already some other HubSpot contact's twin
            first = props.get(fields.get("contact.first_name", "firstname")) or ""
            last = props.get(fields.get("contact.last_name", "lastname")) or ""
            name = " ".join(p for p in (first.strip(), last.strip()) if p) or email or "Unnamed"
            assert account_id is not None  # a contact of no company in the book is skipped
            obj = found or Contact(account_id=account_id, name=name, email=email or None)
        s.add(obj)
        s.flush()
        return obj

    def _has_ref(self, s: Session, entity: str, entity_id: int | None) -> bool:
        return (
            s.scalars(
                select(col(ExternalRef.id)).where(
                    col(ExternalRef.provider) == self.provider,
                    col(ExternalRef.entity) == entity,
                    col(ExternalRef.entity_id) == entity_id,
                )
            ).first()
            is not None
        )

    def _conflict(
        self,
        s: Session,
        entity: str,
        entity_id: int,
        key: str,
        mine: str | None,
        remote: str | None,
        remote_id: str,
        props: dict,
    ) -> None:
        open_one = s.scalars(
            select(SyncConflict).where(
                col(SyncConflict.provider) == self.provider,
                col(SyncConflict.entity) == entity,
                col(SyncConflict.entity_id) == entity_id,
                col(SyncConflict.field) == key,
                col(SyncConflict.resolved_at).is_(None),
            )
        ).first()
        from csmdesk.crm.hubspot import to_ms

        changed = to_ms(props.get("hs_lastmodifieddate") or props.get("lastmodifieddate"))
        when = datetime.fromtimestamp(changed / 1000, UTC) if changed else None
        if open_one is None:
            open_one = SyncConflict(
                provider=self.provider, entity=entity, entity_id=entity_id, field=key,
                remote_id=remote_id,
            )  # fmt: skip
            self.log.conflicts += 1
            self.log.say(f"conflict: {entity} {entity_id} {m.FIELDS[key].label}")
        open_one.local_value, open_one.remote_value = mine, remote
        open_one.remote_changed_at = when
        s.add(open_one)

    def _queue(self, s: Session, entity: str, entity_id: int | None, fields: list[str]) -> None:
        from csmdesk.services.sync.outbox import enqueue

        if entity_id is not None:
            enqueue(s.connection(), self.provider, entity, entity_id, fields)

    # --- push -----------------------------------------------------------------------------

    def _push(self) -> None:
        with self.db.session() as s:
            rows = s.scalars(
                select(SyncOutbox)
                .where(col(SyncOutbox.provider) == self.provider)
                .order_by(col(SyncOutbox.id))
            ).all()
        order = {"account": 0, "contact": 1, "touchpoint": 2, "note": 3}
        for row in sorted(rows, key=lambda r: (order.get(r.entity, 9), r.id or 0)):
            try:
                done = self._push_row(row)
            except Exception as exc:
                from csmdesk.crm.errors import AuthError, NetworkError, RateLimited, ServerError

                if isinstance(exc, AuthError | NetworkError | RateLimited | ServerError):
                    raise  # the connection is the problem: stop; the outbox keeps everything
                self.log.failed += 1
                self.log.say(f"push {row.entity} {row.entity_id} failed: {exc}")
                self._mark(row, error=str(exc))
                continue
            gcpause.collect_young()
            if done:
                self.log.pushed += 1
                self._step(f"pushed {self.log.pushed:,}")

    def _mark(self, row: SyncOutbox, *, error: str | None = None, attempt: bool = False) -> None:
        with self.db.session() as s:
            live = s.get(SyncOutbox, row.id)
            if live is None:
                return
            if attempt:
                live.attempts += 1
                row.attempts = live.attempts
            if error is not None:
                live.last_error = error[:500]
            s.add(live)

    def _done(self, row: SyncOutbox, entity: str, entity_id: int, remote_id: str,
              sent: dict[str, str | None]) -> None:  # fmt: skip
        """The push landed: link, remember what was sent as the common ancestor, drop the row
        (unless the record changed again meanwhile: then only what was sent is cleared)."""
        with self.db.session() as s:
            s.info[APPLYING] = True
            ref = s.scalars(
                select(ExternalRef).where(
                    col(ExternalRef.provider) == self.provider,
                    col(ExternalRef.entity) == entity,
                    col(ExternalRef.entity_id) == entity_id,
                )
            ).first()
            if ref is None:
                ref = ExternalRef(
                    provider=self.provider,
                    entity=entity,
                    entity_id=entity_id,
                    external_id=remote_id,
                )
            base = json.loads(ref.synced or "{}")
            base.update(sent)
            ref.synced = json.dumps(base, sort_keys=True)
            ref.external_id = remote_id
            s.add(ref)
            s.execute(delete(SyncOutbox).where(col(SyncOutbox.id) == row.id))

    def _push_row(self, row: SyncOutbox) -> bool:
        with self.db.session() as s:
            obj: Any = s.get(
                {"account": Account, "contact": Contact, "note": Note, "touchpoint": Touchpoint}[
                    row.entity
                ],
                row.entity_id,
            )
            ref = s.scalars(
                select(ExternalRef).where(
                    col(ExternalRef.provider) == self.provider,
                    col(ExternalRef.entity) == row.entity,
                    col(ExternalRef.entity_id) == row.entity_id,
                )
            ).first()
            blocked = set(
                s.scalars(
                    select(col(SyncConflict.field)).where(
                        col(SyncConflict.provider) == self.provider,
                        col(SyncConflict.entity) == row.entity,
                        col(SyncConflict.entity_id) == row.entity_id,
                        col(SyncConflict.resolved_at).is_(None),
                    )
                ).all()
            )
            account_ref = None
            if obj is not None and row.entity != "account":
                account_ref = s.scalars(
                    select(ExternalRef).where(
                        col(ExternalRef.provider) == self.provider,
                        col(ExternalRef.entity) == "account",
                        col(ExternalRef.entity_id) == obj.account_id,
                    )
                ).first()
        if obj is None:  # deleted here before it could be pushed
            with self.db.session() as s:
                s.execute(delete(SyncOutbox).where(col(SyncOutbox.id) == row.id))
            return False
        if row.entity in ("account", "contact"):
            return self._push_record(row, obj, ref, blocked, account_ref)
        return self._push_note(row, obj, ref, account_ref)

    def _push_record(
        self, row: SyncOutbox, obj: Any, ref: ExternalRef | None, blocked: set[str],
        account_ref: ExternalRef | None,
    ) -> bool:  # fmt: skip
        entity = row.entity
        object_type = self.objects[entity]
        currency = getattr(obj, "currency", None) or "USD"
        local = _local_values(entity, obj, self.owners)
        changed = set(json.loads(row.fields or "[]"))
        fields = {f"{entity}.{k}": p for k, p in self.mapping.of(entity).items()}
        sent: dict[str, str | None] = {}
        properties: dict[str, str] = {}
        for key, prop in fields.items():
            attr = key.split(".", 1)[1]
            touched = attr in changed or (entity == "contact" and "name" in changed
                                          and attr in ("first_name", "last_name"))  # fmt: skip
            if not m.FIELDS[key].push or key in blocked or (ref is not None and not touched):
                continue
            value = m.to_crm(m.FIELDS[key].kind, local[key], currency)
            properties[prop] = value or ""
            sent[key] = value
        if ref is not None:
            if properties:
                self.client.update(object_type, ref.external_id, properties)
            self._done(row, entity, obj.id, ref.external_id, sent)
            return bool(properties)
        if entity == "account" or account_ref is None:
            with self.db.session() as s:  # not for this CRM (yet): nothing to send
                s.execute(delete(SyncOutbox).where(col(SyncOutbox.id) == row.id))
            return False
        return self._create_contact(row, obj, properties, sent, account_ref)

    def _create_once(
        self, row: SyncOutbox, lookup: Callable[[], str | None], create: Callable[[], str]
    ) -> str:
        """The remote id of the record a row creates, created at most once: the attempt is
        committed before the request leaves, and a row attempted before (its answer maybe
        lost) first looks for what that attempt may have made."""
        retry = row.attempts > 0
        self._mark(row, attempt=True)
        found = lookup() if retry else None
        return found if found is not None else create()

    def _create_contact(
        self, row: SyncOutbox, obj: Contact, properties: dict[str, str],
        sent: dict[str, str | None], account_ref: ExternalRef,
    ) -> bool:  # fmt: skip
        from csmdesk.crm.errors import Conflict

        def lookup() -> str | None:
            if not obj.email:
                return None
            found = self.client.find_by_property("contacts", "email", [obj.email], ["email"])
            return str(found[0]["id"]) if found else None

        def create() -> str:
            try:
                created = self.client.create(
                    "contacts",
                    {k: v for k, v in properties.items() if v},
                    associations=[("companies", account_ref.external_id)],
                )
                return str(created["id"])
            except Conflict as exc:  # HubSpot knows this email: that record is ours
                if not exc.existing_id:
                    raise
                self.client.associate_default(
                    "contacts", exc.existing_id, "companies", account_ref.external_id
                )
                return exc.existing_id

        assert obj.id is not None
        self._done(row, "contact", obj.id, self._create_once(row, lookup, create), sent)
        return True

    def _note_ready(self, row: SyncOutbox, obj: Any, account_ref: ExternalRef | None) -> bool:
        """Whether a note or touchpoint is to go out now (an account not in the CRM: never)."""
        if account_ref is None:
            with self.db.session() as s:
                s.execute(delete(SyncOutbox).where(col(SyncOutbox.id) == row.id))
            return False
        return row.entity != "note" or bool((obj.body or "").strip())  # empty: wait for words

    def _note_html(self, obj: Any, row: SyncOutbox) -> tuple[str, int]:
        if row.entity == "note":
            body = obj.body or obj.title or ""
            when = obj.created_at
            html_body = markdown_html(body)
        else:
            kind = str(obj.kind).replace("_", " ").capitalize()
            when = obj.occurred_at
            minutes = f" ({obj.duration_minutes} min)" if obj.duration_minutes else ""
            html_body = f"<p><strong>{html.escape(kind)}{minutes}</strong></p>"
            if obj.summary:
                html_body += f"<p>{html.escape(obj.summary)}</p>"
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        # The record's CSM Desk id, a single word for HubSpot's token search (see _push_note).
        footer = f"<p><small>From CSM Desk · ref {obj.uid}</small></p>"
        return html_body + footer, int(when.timestamp() * 1000)

    def _push_note(
        self, row: SyncOutbox, obj: Any, ref: ExternalRef | None, account_ref: ExternalRef | None
    ) -> bool:
        if not self._note_ready(row, obj, account_ref):
            return False
        assert account_ref is not None
        body, stamp = self._note_html(obj, row)
        if ref is not None:
            self.client.update("notes", ref.external_id, {"hs_note_body": body})
            self._done(row, row.entity, obj.id, ref.external_id, {})
            return True

        def lookup() -> str | None:
            found = self.client.find_by_property(
                "notes", "hs_note_body", [obj.uid], ["hs_note_body"], operator="CONTAINS_TOKEN"
            )
            return str(found[0]["id"]) if found else None

        def create() -> str:
            created = self.client.create_note(
                body, stamp, company_ids=[account_ref.external_id],
                contact_ids=self._attendee_ids(obj, row),
            )  # fmt: skip
            return str(created["id"])

        self._done(row, row.entity, obj.id, self._create_once(row, lookup, create), {})
        return True

    def _attendee_ids(self, obj: Any, row: SyncOutbox) -> list[str]:
        from csmdesk.models import TouchpointAttendee

        touchpoint_id = obj.id if row.entity == "touchpoint" else obj.touchpoint_id
        if touchpoint_id is None:
            return []
        with self.db.session() as s:
            contact_ids = s.scalars(
                select(col(TouchpointAttendee.contact_id)).where(
                    col(TouchpointAttendee.touchpoint_id) == touchpoint_id
                )
            ).all()
            if not contact_ids:
                return []
            return list(
                s.scalars(
                    select(col(ExternalRef.external_id)).where(
                        col(ExternalRef.provider) == self.provider,
                        col(ExternalRef.entity) == "contact",
                        col(ExternalRef.entity_id).in_(contact_ids),
                    )
                ).all()
            )


def to_datetime(value: Any) -> datetime | None:
    from csmdesk.crm.hubspot import to_ms

    ms = to_ms(value)
    return datetime.fromtimestamp(ms / 1000, UTC) if ms is not None else None


def html_text(markup: str) -> str:
    """A HubSpot note's HTML as plain lines: paragraphs and list items on their own lines,
    tags dropped, entities decoded."""
    import re

    text = re.sub(r"(?i)<\s*br\s*/?>", "\n", markup)
    text = re.sub(r"(?i)<\s*li[^>]*>", "\n- ", text)
    text = re.sub(r"(?i)</\s*(p|div|h[1-6]|li|ul|ol)\s*>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    lines = [html.unescape(line).rstrip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line.strip())


def markdown_html(text: str) -> str:
    """The CSM's Markdown as the simple HTML HubSpot notes hold: headings, bullets, checkboxes,
    bold and italics; everything else as escaped paragraphs."""
    import re

    out: list[str] = []
    items: list[str] = []

    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"(?<!\*)\*(?!\*)(.+?)\*", r"<em>\1</em>", s)
        return s

    def close() -> None:
        if items:
            out.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.splitlines():
        stripped = line.strip()
        bullet = re.match(r"^[-*]\s+(\[( |x|X)\]\s+)?(.*)$", stripped)
        if bullet:
            box = {" ": "\u2610 ", "x": "\u2611 ", "X": "\u2611 "}.get(bullet.group(2) or "", "")
            items.append(box + inline(bullet.group(3)))
            continue
        close()
        heading = re.match(r"^(#{1,3})\s+(.*)$", stripped)
        if heading:
            level = len(heading.group(1)) + 2
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif stripped:
            out.append(f"<p>{inline(stripped)}</p>")
    close()
    return "".join(out)


def today_utc() -> date:
    return datetime.now(UTC).date()
