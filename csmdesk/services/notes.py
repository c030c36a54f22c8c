"""Notes: create, save as typed (with revisions and action items), restore, call notes, templates.

``save_note`` is what the editor's autosave calls, about once a second while the CSM types: one
transaction writes the text, keeps a revision when one is due (``csmdesk.domain.notes``), and
brings the note's action items in line with its checkbox lines. Ticking an item elsewhere
(``set_item_done``) ticks its line in the note in the same transaction, so the two never disagree.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from csmdesk.domain import notes as rules
from csmdesk.domain.accounts import ValidationError
from csmdesk.models import ActionItem, Note, NoteKind, NoteRevision, utcnow
from csmdesk.paths import data_dir, resources_dir
from csmdesk.services import records
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database

log = logging.getLogger(__name__)

KIND_LABELS = {
    NoteKind.GENERAL.value: "Note",
    NoteKind.CALL.value: "Call",
    NoteKind.DISCOVERY.value: "Discovery call",
    NoteKind.CHECK_IN.value: "Check-in",
    NoteKind.ONBOARDING.value: "Onboarding call",
    NoteKind.QBR.value: "QBR",
    NoteKind.EBR.value: "EBR",
    NoteKind.RENEWAL.value: "Renewal call",
    NoteKind.INTERNAL.value: "Internal",
    NoteKind.CRM.value: "From HubSpot",
}
READ_ONLY_KINDS = frozenset({NoteKind.CRM.value})  # the CRM's own notes: shown, not edited


@dataclass(frozen=True)
class NoteRow:
    """A line of a notes list (no body: lists stay light however long the notes are)."""

    id: int
    account_id: int
    account_name: str
    kind: str
    title: str
    created_at: datetime
    updated_at: datetime


def _get(s: Session, note_id: int) -> Note:
    note = s.get(Note, note_id)
    if note is None:
        raise NotFoundError(f"Note {note_id} does not exist.")
    return note


def get_note(db: Database, note_id: int) -> Note:
    with db.session() as s:
        return _get(s, note_id)


def create_note(
    db: Database,
    account_id: int,
    body: str = "",
    *,
    kind: str = NoteKind.GENERAL.value,
    title: str = "",
) -> Note:
    """A new note; its checkbox lines become action items at once."""
    with db.session() as s:
        note = records.add_note(
            db, account_id, body, kind=kind, title=title or rules.title_of(body), session=s
        )
        assert note.id is not None
        _sync_items(s, note)
        return note


def save_note(db: Database, note_id: int, body: str, *, now: datetime | None = None) -> Note:
    """Store what the CSM typed (title from the first line); a no-op when nothing changed."""
    now = now or utcnow()
    with db.session() as s:
        note = _get(s, note_id)
        if note.body == body:
            return note
        if note.kind in READ_ONLY_KINDS:  # the editor never offers it; refuse all the same
            log.warning("note %s is the CRM's and read-only here; not saved", note_id)
            return note
        last = s.scalar(
            select(func.max(NoteRevision.saved_at)).where(col(NoteRevision.note_id) == note_id)
        )
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        if note.body and rules.needs_revision(last, now):
            _keep_revision(s, note, now)
        note.body = body
        note.title = rules.title_of(body)
        note.updated_at = now
        s.add(note)
        _sync_items(s, note)
        return note


def _keep_revision(s: Session, note: Note, now: datetime) -> None:
    assert note.id is not None
    s.add(NoteRevision(note_id=note.id, title=note.title, body=note.body, saved_at=now))
    s.flush()
    keep = select(col(NoteRevision.id)).where(col(NoteRevision.note_id) == note.id)
    keep = keep.order_by(col(NoteRevision.saved_at).desc(), col(NoteRevision.id).desc())
    stale = list(s.scalars(keep.offset(rules.KEEP_REVISIONS)))
    if stale:
        s.execute(delete(NoteRevision).where(col(NoteRevision.id).in_(stale)))


def _sync_items(s: Session, note: Note) -> None:
    """The note's action items, brought in line with its checkbox lines."""
    assert note.id is not None
    parsed = rules.parse_items(note.body)
    existing = _items_of(s, note.id)
    if not parsed and not existing:
        return
    by_id = {i.id: i for i in existing}
    pairs, dropped = rules.match_items(parsed, [(i.id, i.text) for i in existing if i.id])
    today = datetime.now(UTC).astimezone().date()
    for item, item_id in pairs:
        row = by_id.get(item_id) if item_id is not None else None
        if row is None:
            row = ActionItem(account_id=note.account_id, note_id=note.id, text=item.text)
        done_on = (row.done_on or today) if item.done else None
        if (row.text, row.owner, row.due_date, row.done_on) != (
            item.text, item.owner, item.due, done_on,
        ):  # fmt: skip
            row.text, row.owner, row.due_date, row.done_on = (
                item.text, item.owner, item.due, done_on,
            )  # fmt: skip
            row.updated_at = utcnow()
            s.add(row)
    if dropped:
        s.execute(delete(ActionItem).where(col(ActionItem.id).in_(dropped)))


def set_item_done(db: Database, item_id: int, done: bool, *, on: date | None = None) -> None:
    """Tick (or clear) an action item; its line in the note follows in the same transaction."""
    with db.session() as s:
        item = s.get(ActionItem, item_id)
        if item is None:
            raise NotFoundError(f"Action item {item_id} does not exist.")
        item.done_on = (on or date.today()) if done else None
        s.add(item)
        if item.note_id is None:
            return
        note = _get(s, item.note_id)
        parsed = rules.parse_items(note.body)
        siblings = _items_of(s, item.note_id)
        pairs, _dropped = rules.match_items(parsed, [(i.id, i.text) for i in siblings if i.id])
        line = next((p.line for p, pid in pairs if pid == item_id), None)
        if line is not None:
            note.body = rules.set_box(note.body, line, done)
            note.updated_at = utcnow()
            s.add(note)


def _items_of(s: Session, note_id: int) -> list[ActionItem]:
    query = select(ActionItem).where(col(ActionItem.note_id) == note_id)
    return list(s.scalars(query.order_by(col(ActionItem.id))))


def note_items(db: Database, note_id: int) -> list[ActionItem]:
    with db.session() as s:
        return _items_of(s, note_id)


def list_notes(
    db: Database,
    account_id: int | None = None,
    *,
    kinds: Sequence[str] = (),
    limit: int | None = None,
) -> list[NoteRow]:
    """Notes newest first (not archived), optionally of one account and some kinds."""
    from csmdesk.models import Account

    query = (
        select(
            col(Note.id), col(Note.account_id), col(Account.name), col(Note.kind),
            col(Note.title), col(Note.created_at), col(Note.updated_at),
        )
        .join(Account, col(Account.id) == col(Note.account_id))
        .where(col(Note.archived_at).is_(None))
    )  # fmt: skip
    if account_id is not None:
        query = query.where(col(Note.account_id) == account_id)
    if kinds:
        query = query.where(col(Note.kind).in_(list(kinds)))
    query = query.order_by(col(Note.created_at).desc(), col(Note.id).desc())
    if limit is not None:
        query = query.limit(limit)
    with db.session() as s:
        return [NoteRow(*row) for row in s.execute(query)]


@dataclass(frozen=True)
class ItemRow:
    id: int
    account_id: int
    account_name: str
    text: str
    owner: str | None
    due_date: date | None
    done_on: date | None
    note_id: int | None


def list_items(
    db: Database, *, open_only: bool = True, account_id: int | None = None
) -> list[ItemRow]:
    """Action items across the book (active accounts): open first by due date, then done."""
    from csmdesk.models import Account

    query = (
        select(
            col(ActionItem.id), col(ActionItem.account_id), col(Account.name),
            col(ActionItem.text), col(ActionItem.owner), col(ActionItem.due_date),
            col(ActionItem.done_on), col(ActionItem.note_id),
        )
        .join(Account, col(Account.id) == col(ActionItem.account_id))
        .where(col(Account.archived_at).is_(None))
    )  # fmt: skip
    if open_only:
        query = query.where(col(ActionItem.done_on).is_(None))
    if account_id is not None:
        query = query.where(col(ActionItem.account_id) == account_id)
    query = query.order_by(
        col(ActionItem.done_on).is_not(None),
        col(ActionItem.due_date).is_(None),
        col(ActionItem.due_date),
        col(ActionItem.id),
    )
    with db.session() as s:
        return [ItemRow(*row) for row in s.execute(query)]


def set_kind(db: Database, note_id: int, kind: str) -> None:
    if kind not in KIND_LABELS:
        raise ValidationError({"kind": f"'{kind}' is not a kind of note."})
    with db.session() as s:
        note = _get(s, note_id)
        note.kind = kind
        s.add(note)


def archive_note(db: Database, note_id: int, archived: bool = True) -> None:
    with db.session() as s:
        note = _get(s, note_id)
        note.archived_at = utcnow() if archived else None
        s.add(note)


# --- revisions --------------------------------------------------------------------------------


def revisions(db: Database, note_id: int) -> list[NoteRevision]:
    """Kept revisions, newest first."""
    with db.session() as s:
        query = select(NoteRevision).where(col(NoteRevision.note_id) == note_id)
        query = query.order_by(col(NoteRevision.saved_at).desc(), col(NoteRevision.id).desc())
        return list(s.scalars(query))


def restore_revision(
    db: Database, note_id: int, revision_id: int, *, now: datetime | None = None
) -> Note:
    """Put a revision back; the text it replaces is kept as a revision first (undoable)."""
    now = now or utcnow()
    with db.session() as s:
        note = _get(s, note_id)
        revision = s.get(NoteRevision, revision_id)
        if revision is None or revision.note_id != note_id:
            raise NotFoundError(f"Revision {revision_id} of note {note_id} does not exist.")
        if note.body != revision.body:
            _keep_revision(s, note, now)
            note.body = revision.body
            note.title = rules.title_of(revision.body)
            note.updated_at = now
            s.add(note)
            _sync_items(s, note)
        return note


# --- calls ------------------------------------------------------------------------------------


def start_call_note(db: Database, account_id: int, account_name: str, started: datetime) -> Note:
    """A new call note from the shipped call template (filled in for the account)."""
    template = next((t for t in load_templates() if t.kind == "call" and not t.own), None)
    body = (
        fill_template(template.body, account=account_name, when=started.astimezone(), attendees=[])
        if template
        else f"# Call — {account_name}\n\n"
    )
    return create_note(db, account_id, body, kind=NoteKind.CALL.value)


def end_call(
    db: Database,
    note_id: int,
    *,
    started_at: datetime,
    ended_at: datetime,
    attendee_ids: Iterable[int] = (),
    kind: str = "call",
) -> int:
    """Log the call as a touchpoint (duration, summary from the note's first line) and link the
    note to it; returns the touchpoint id."""
    minutes = max(1, round((ended_at - started_at).total_seconds() / 60))
    with db.session() as s:
        note = _get(s, note_id)
        touchpoint = records.log_touchpoint(
            db, note.account_id, kind, started_at,
            summary=rules.summary_of(note.body) or "Call", duration_minutes=minutes,
            attendee_ids=attendee_ids, session=s,
        )  # fmt: skip
        note.touchpoint_id = touchpoint.id
        s.add(note)
        assert touchpoint.id is not None
        return touchpoint.id


# --- templates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteTemplate:
    name: str
    kind: str
    body: str
    own: bool  # the CSM's own (in the data folder) rather than shipped


def own_templates_dir() -> Path:
    return data_dir() / "templates" / "notes"


def load_templates() -> list[NoteTemplate]:
    """Shipped templates (resources/templates/notes), then the CSM's own; ``kind-name.md``."""
    found: dict[str, NoteTemplate] = {}
    shipped = resources_dir() / "templates" / "notes"
    for folder, own in ((shipped, False), (own_templates_dir(), True)):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            try:
                body = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                log.warning("note template %s not readable: %s", path.name, exc)
                continue
            kind, _, rest = path.stem.partition("-")
            if kind not in KIND_LABELS:
                kind, rest = NoteKind.GENERAL.value, path.stem
            name = (rest or path.stem).replace("-", " ").capitalize()
            found[name.casefold()] = NoteTemplate(name, kind, body, own)
    return sorted(found.values(), key=lambda t: (t.own, t.name.casefold()))


def save_own_template(name: str, kind: str, body: str) -> Path:
    """Keep a note as one of the CSM's own templates."""
    clean = "-".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())
    if not clean:
        raise ValidationError({"name": "Name the template."})
    if kind not in KIND_LABELS:
        kind = NoteKind.GENERAL.value
    folder = own_templates_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{clean}.md"
    path.write_text(body, encoding="utf-8")
    return path


def fill_template(body: str, *, account: str, when: datetime, attendees: Sequence[str]) -> str:
    """Placeholders a template may use: {account}, {date}, {time}, {attendees}."""
    values = {
        "{account}": account,
        "{date}": when.date().isoformat(),
        "{time}": when.strftime("%H:%M"),
        "{attendees}": ", ".join(attendees),
    }
    for key, value in values.items():
        body = body.replace(key, value)
    return body
