"""Writing checked book-file rows into the database: parents first, matched by uid.

Used by :mod:`csmdesk.services.book_json` inside its one transaction. Values were
checked before; here uids become ids and rows are inserted or updated in bulk. Records
without a uid are matched by what they belong to: a CRM link by its record or CRM id, a
risk's history by its risk (the file's history replaces the book's), a muted signal by
its account and kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from csmdesk.models import Meta, TouchpointAttendee
from csmdesk.services.book_format import (
    ALL_SECTIONS,
    DISMISSED_SIGNALS,
    ENTITY_SECTIONS,
    EXTERNAL_REFS,
    RISK_EVENTS,
    SECTION_BY_NAME,
    Kind,
    Section,
)

T = TypeVar("T")


@dataclass
class Counts:
    """Records created and updated, per section."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)


def _chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_ids(conn: sa.Connection, table: sa.Table, uids: Iterable[str]) -> dict[str, int]:
    """``{uid: id}`` of the records of ``table`` already in the book, among ``uids``."""
    wanted = set(uids)
    if len(wanted) > 5000:  # one scan beats many lookups
        rows = conn.execute(select(table.c.uid, table.c.id))
        return {uid: id_ for uid, id_ in rows if uid in wanted}
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(wanted)):
        query = select(table.c.uid, table.c.id).where(table.c.uid.in_(chunk))
        found.update({uid: id_ for uid, id_ in conn.execute(query)})
    return found


def targets(section: Section, row: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(field key, target section, uid) of every reference in ``row``."""
    for f in section.references:
        value = row[f.column]
        if value is None:
            continue
        if f.kind in (Kind.REF, Kind.REF_OR_NULL):
            yield f.key, f.target, value
        elif f.kind is Kind.ATTENDEES:
            yield from ((f.key, f.target, uid) for uid in value)
        elif f.kind is Kind.ENTITY_REF:
            yield f.key, ENTITY_SECTIONS[row["entity"]], value


Ids = dict[str, dict[str, int]]  # section -> uid -> id


def _load_refs(conn: sa.Connection, section: Section, rows: list[dict[str, Any]], ids: Ids) -> None:
    wanted: dict[str, set[str]] = {}
    for row in rows:
        for _, target, uid in targets(section, row):
            if uid not in ids.setdefault(target, {}):
                wanted.setdefault(target, set()).add(uid)
    for target, uids in wanted.items():
        ids[target].update(existing_ids(conn, SECTION_BY_NAME[target].table, uids))


def _values(section: Section, rows: list[dict[str, Any]], ids: Ids) -> list[dict[str, Any]]:
    """Column values of ``rows``, with references turned from uids into ids."""
    plain = [f.column for f in section.fields if not f.is_reference]
    refs = [
        (f.column, ids.setdefault(f.target, {}))
        for f in section.references
        if f.kind in (Kind.REF, Kind.REF_OR_NULL)
    ]
    entity = next((f.column for f in section.references if f.kind is Kind.ENTITY_REF), None)
    out = []
    for row in rows:
        values = {c: row[c] for c in plain}
        for column, known in refs:
            uid = row[column]
            values[column] = None if uid is None else known[uid]
        if entity is not None:
            values[entity] = ids[ENTITY_SECTIONS[row["entity"]]][row[entity]]
        out.append(values)
    return out


def _update_many(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    columns = [c for c in rows[0] if c != "id"]
    statement = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id", type_=table.c.id.type))
        .values({c: sa.bindparam(f"b_{c}", type_=table.c[c].type) for c in columns})
    )
    conn.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows])


def _readings_by_day(
    conn: sa.Connection, rows: list[dict[str, Any]], ids: Ids, known: dict[str, int]
) -> dict[str, int]:
    """New readings that land on a day the account already has a reading for: update that one."""
    table = SECTION_BY_NAME["health_readings"].table
    fresh = [r for r in rows if r["uid"] not in known]
    accounts = sorted({ids["accounts"][r["account_id"]] for r in fresh})
    days: dict[tuple[int, date], int] = {}
    for start in range(0, len(accounts), 500):
        chunk = accounts[start : start + 500]
        query = select(table.c.account_id, table.c.on, table.c.id).where(
            table.c.account_id.in_(chunk)
        )
        days.update({(a, on): id_ for a, on, id_ in conn.execute(query)})
    found = {}
    for r in fresh:
        match = days.get((ids["accounts"][r["account_id"]], r["on"]))
        if match is not None:
            found[r["uid"]] = match
    return found


def _write_section(
    conn: sa.Connection,
    section: Section,
    rows: list[dict[str, Any]],
    ids: Ids,
    counts: Counts,
) -> None:
    table = section.table
    _load_refs(conn, section, rows, ids)
    known = existing_ids(conn, table, (r["uid"] for r in rows))
    if section.name == "health_readings":
        known.update(_readings_by_day(conn, rows, ids, known))
    inserts, updates = [], []
    for values in _values(section, rows, ids):
        if values["uid"] in known:
            updates.append({"id": known[values["uid"]], **values})
        else:
            inserts.append(values)
    if updates:  # first, so a record that moves (to another day, say) frees its place
        _update_many(conn, table, updates)
    if inserts:
        conn.execute(sa.insert(table), inserts)
    mine = ids.setdefault(section.name, {})
    mine.update(known)
    mine.update(existing_ids(conn, table, (v["uid"] for v in inserts)))
    counts.created[section.name] = len(inserts)
    counts.updated[section.name] = len(updates)
    if any(f.kind is Kind.ATTENDEES for f in section.fields):
        _write_attendees(conn, rows, ids)


def _write_attendees(conn: sa.Connection, rows: list[dict[str, Any]], ids: Ids) -> None:
    table: sa.Table = TouchpointAttendee.__table__  # type: ignore[attr-defined]
    touchpoints = [ids["touchpoints"][r["uid"]] for r in rows]
    for start in range(0, len(touchpoints), 500):
        chunk = touchpoints[start : start + 500]
        conn.execute(sa.delete(table).where(table.c.touchpoint_id.in_(chunk)))
    pairs = [
        {"touchpoint_id": ids["touchpoints"][r["uid"]], "contact_id": ids["contacts"][uid]}
        for r in rows
        for uid in r["attendee_uids"]
    ]
    if pairs:
        conn.execute(sa.insert(table), pairs)


def _write_links(conn: sa.Connection, rows: list[dict[str, Any]], ids: Ids, counts: Counts) -> None:
    """Links to CRM records: the file's links replace any link of the same record or CRM id."""
    table = EXTERNAL_REFS.table
    _load_refs(conn, EXTERNAL_REFS, rows, ids)
    values = _values(EXTERNAL_REFS, rows, ids)
    local, remote = {}, {}
    for id_, p, e, entity_id, external_id in conn.execute(
        select(table.c.id, table.c.provider, table.c.entity, table.c.entity_id, table.c.external_id)
    ):
        local[(p, e, entity_id)] = id_
        remote[(p, e, external_id)] = id_
    stale: set[int] = set()
    updated = 0
    for v in values:
        p, e = v["provider"], v["entity"]
        if (p, e, v["entity_id"]) in local:
            stale.add(local[(p, e, v["entity_id"])])
            updated += 1
        if (p, e, v["external_id"]) in remote:
            stale.add(remote[(p, e, v["external_id"])])
    if stale:
        conn.execute(sa.delete(table).where(table.c.id.in_(sorted(stale))))
    if values:
        conn.execute(sa.insert(table), values)
    counts.created[EXTERNAL_REFS.name] = len(values) - updated
    counts.updated[EXTERNAL_REFS.name] = updated


def _write_history(
    conn: sa.Connection, rows: list[dict[str, Any]], ids: Ids, counts: Counts
) -> None:
    """Risk events: for every risk the file has events of, the file's history replaces the
    book's, so importing a file twice does not repeat any step. Counted as new: the events
    the book did not hold before."""
    table = RISK_EVENTS.table
    _load_refs(conn, RISK_EVENTS, rows, ids)
    values = _values(RISK_EVENTS, rows, ids)
    columns = [table.c[c] for c in ("risk_id", "at", "status", "severity", "note")]
    before: Counter[tuple[Any, ...]] = Counter()
    for chunk in _chunks(sorted({v["risk_id"] for v in values})):
        before.update(tuple(r) for r in conn.execute(select(*columns).where(columns[0].in_(chunk))))
        conn.execute(sa.delete(table).where(table.c.risk_id.in_(chunk)))
    conn.execute(sa.insert(table), values)
    after = Counter(tuple(v[c.name] for c in columns) for v in values)
    counts.created[RISK_EVENTS.name] = (after - before).total()
    counts.updated[RISK_EVENTS.name] = 0


def _write_mutes(conn: sa.Connection, rows: list[dict[str, Any]], ids: Ids, counts: Counts) -> None:
    """Dismissed signals: one per account and kind; the file's replaces the book's."""
    table = DISMISSED_SIGNALS.table
    _load_refs(conn, DISMISSED_SIGNALS, rows, ids)
    values = _values(DISMISSED_SIGNALS, rows, ids)
    muted: set[tuple[int, str]] = set()
    for chunk in _chunks(sorted({v["account_id"] for v in values})):
        query = select(table.c.account_id, table.c.kind).where(table.c.account_id.in_(chunk))
        muted.update((a, k) for a, k in conn.execute(query))
    statement = sqlite_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.account_id, table.c.kind],
        set_={c: statement.excluded[c] for c in ("dismissed_on", "until", "severity")},
    )
    conn.execute(statement, values)
    updated = sum((v["account_id"], v["kind"]) in muted for v in values)
    counts.created[DISMISSED_SIGNALS.name] = len(values) - updated
    counts.updated[DISMISSED_SIGNALS.name] = updated


Writer = Callable[[sa.Connection, list[dict[str, Any]], Ids, Counts], None]
_WRITERS: dict[str, Writer] = {
    EXTERNAL_REFS.name: _write_links,
    RISK_EVENTS.name: _write_history,
    DISMISSED_SIGNALS.name: _write_mutes,
}


def write_book(
    conn: sa.Connection, parsed: dict[str, list[dict[str, Any]]], counts: Counts
) -> None:
    """Write checked rows, parents before children, inside the caller's transaction."""
    ids: Ids = {}
    for section in ALL_SECTIONS:
        rows = parsed.get(section.name, [])
        if not rows:
            continue
        writer = _WRITERS.get(section.name)
        if writer is not None:
            writer(conn, rows, ids, counts)
        else:
            _write_section(conn, section, rows, ids, counts)


def write_meta(conn: sa.Connection, meta: dict[str, str]) -> None:
    table: sa.Table = Meta.__table__  # type: ignore[attr-defined]
    for key, value in meta.items():
        conn.execute(sqlite_insert(table).values(key=key, value=value).on_conflict_do_nothing())
