"""Export the book: everything to one JSON file, the main tables to CSV or XLSX, notes to
Markdown. No lock-in: the JSON file reads back in with :mod:`csmdesk.services.book_json`.

Every export reads one consistent snapshot of the database, writes into a temporary
file or folder next to the target and moves it into place only when complete, so a
failure or a Cancel never leaves a half-written export behind.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy import func, select, type_coerce

from csmdesk import __version__
from csmdesk.models import Meta, TouchpointAttendee
from csmdesk.services import export_tables
from csmdesk.services.book_format import (
    ALL_SECTIONS,
    CURRENCY_NOTE,
    ENTITY_SECTIONS,
    FORMAT,
    SECTION_BY_NAME,
    VERSION,
    Field,
    Kind,
    Section,
)
from csmdesk.store import Database
from csmdesk.store.migrate import HEAD

log = logging.getLogger(__name__)

Progress = Callable[[int, int], bool]
"""``(done, total) -> keep going``; returning False cancels the export."""

CHUNK = 2000


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    MARKDOWN = "markdown"

    @property
    def is_folder(self) -> bool:
        return self in (ExportFormat.CSV, ExportFormat.MARKDOWN)


class ExportError(Exception):
    """The export cannot be written; the message says why and what to do."""


class ExportTargetExistsError(ExportError):
    """The target exists and is not empty; pass ``overwrite=True`` to replace it."""


class ExportCancelledError(Exception):
    """The progress callback asked to stop; nothing was written."""


@dataclass
class ExportResult:
    format: ExportFormat
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    files: int = 1
    seconds: float = 0.0

    def describe(self) -> str:
        parts = ", ".join(
            f"{n:,} {_LABELS.get(name, name.replace('_', ' '))}"
            for name, n in self.counts.items()
            if n or name == "accounts"
        )
        what = f"{self.files:,} files" if self.format.is_folder else "1 file"
        return f"Exported {parts or 'nothing'} to {self.path} ({what})."


_LABELS = {"arr_events": "ARR events", "external_refs": "CRM links"}


class _Ticker:
    def __init__(self, progress: Progress | None) -> None:
        self.progress, self.done, self.total = progress, 0, 0

    def start(self, total: int) -> None:
        self.total = total
        self.tick(0)

    def tick(self, n: int) -> None:
        self.done += n
        if self.progress is not None and not self.progress(self.done, self.total):
            raise ExportCancelledError("export cancelled")


def export_book(
    db: Database,
    fmt: ExportFormat | str,
    out: Path | str,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    """Export the whole book to ``out`` (a file for JSON/XLSX, a folder for CSV/Markdown)."""
    fmt = ExportFormat(fmt)
    out = Path(out).expanduser()
    ticker = _Ticker(progress)
    started = time.perf_counter()
    _check_target(fmt, out, overwrite)
    with _snapshot(db) as conn, _staged(fmt, out) as staging:
        if fmt is ExportFormat.JSON:
            with staging.open("w", encoding="utf-8", newline="\n") as fh:
                counts = write_json(conn, fh, ticker)
                _sync(fh)
            files = 1
        elif fmt is ExportFormat.XLSX:
            counts = export_tables.write_xlsx(conn, staging, ticker.start, ticker.tick)
            files = 1
        elif fmt is ExportFormat.CSV:
            counts = export_tables.write_csv(conn, staging, ticker.start, ticker.tick)
            files = len(counts)
        else:
            counts, files = export_tables.write_markdown(conn, staging, ticker.start, ticker.tick)
    result = ExportResult(fmt, out, counts, files, time.perf_counter() - started)
    log.info("exported %s to %s in %.2fs", fmt.value, out, result.seconds)
    return result


# --- where the export goes ---------------------------------------------------------------


def target_in_use(out: Path) -> bool:
    """Whether ``out`` is a non-empty file or folder (an export there needs ``overwrite``)."""
    if out.is_dir():
        return any(out.iterdir())
    return out.exists() and out.stat().st_size > 0


def _check_target(fmt: ExportFormat, out: Path, overwrite: bool) -> None:
    if fmt.is_folder and out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; {fmt.value} export writes a folder. Choose a folder.")
    if not fmt.is_folder and out.is_dir():
        raise ExportError(f"{out} is a folder; choose a file name such as book.{fmt.value}.")
    if not target_in_use(out):
        return
    if not overwrite:
        raise ExportTargetExistsError(f"{out} already exists and is not empty.")
    if fmt is ExportFormat.MARKDOWN and not export_tables.is_markdown_export(out):
        raise ExportError(
            f"{out} holds other files; a Markdown export only replaces an earlier one. "
            "Choose an empty or new folder."
        )


def _sync(fh: IO[Any]) -> None:
    fh.flush()
    os.fsync(fh.fileno())


@contextmanager
def _staged(fmt: ExportFormat, out: Path) -> Iterator[Path]:
    """A temporary file or folder next to ``out``, moved into place on success only."""
    staging = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt.is_folder:
            staging.mkdir()
        else:
            staging.touch(exist_ok=False)
    except OSError as exc:
        raise ExportError(f"Cannot write to {out.parent}: {exc.strerror or exc}.") from exc
    try:
        yield staging
        _move_into_place(fmt, staging, out)
    except OSError as exc:
        raise ExportError(f"Cannot write {out}: {exc.strerror or exc}.") from exc
    finally:
        if staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
        else:
            staging.unlink(missing_ok=True)


def _move_into_place(fmt: ExportFormat, staging: Path, out: Path) -> None:
    if not fmt.is_folder:
        os.replace(staging, out)
        return
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        os.replace(staging, out)
        return
    if fmt is ExportFormat.CSV:  # replace our files only; anything else in the folder stays
        for item in staging.iterdir():
            os.replace(item, out / item.name)
        return
    old = out.with_name(f".{out.name}.{secrets.token_hex(4)}.old")
    os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _snapshot(db: Database) -> Iterator[sa.Connection]:
    """One read transaction, so the export is consistent even while the window keeps writing."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()


# --- JSON --------------------------------------------------------------------------------


def _iso_z(column: Any) -> Any:
    text = func.replace(type_coerce(column, sa.String), " ", "T").concat("Z")
    return sa.case((column.is_(None), sa.null()), else_=text)


def _exact_float(column: Any) -> Any:
    """SQLite writes 15 significant digits; fall back to 17 when 15 would not read back equal."""
    short = sa.cast(func.printf("%!.15g", column), sa.Float)
    return sa.case(
        (column.is_(None), sa.null()),
        (short == column, column),
        else_=func.json(func.printf("%!.17g", column)),
    )


def _roles(column: Any) -> Any:
    listed = sa.literal("[").concat(func.replace(func.json_quote(column), ",", '","').concat("]"))
    return func.json(sa.case((func.coalesce(column, "") == "", "[]"), else_=listed))


def _object(column: Any) -> Any:
    """Stored JSON text as an object in the file; anything else (never written by CSM Desk,
    but a file must not lose it) as a string."""
    text = sa.case(
        (func.json_valid(column) == 0, func.json_quote(column)),  # checked first: no errors
        (func.json_type(column) == "object", column),
        else_=func.json_quote(column),
    )
    return func.json(text)


def _attendees(table: sa.Table) -> Any:
    contact = SECTION_BY_NAME["contacts"].table
    attendee: sa.Table = TouchpointAttendee.__table__  # type: ignore[attr-defined]
    uids = (
        select(contact.c.uid)
        .join(attendee, attendee.c.contact_id == contact.c.id)
        .where(attendee.c.touchpoint_id == table.c.id)
        .order_by(contact.c.uid)
        .correlate(table)
        .subquery()
    )
    array = select(func.json_group_array(uids.c.uid)).scalar_subquery()
    return func.json(func.coalesce(array, "[]"))


def _entity_uid(table: sa.Table) -> Any:
    whens = []
    for entity, name in ENTITY_SECTIONS.items():
        target = SECTION_BY_NAME[name].table
        uid = select(target.c.uid).where(target.c.id == table.c.entity_id).scalar_subquery()
        whens.append((table.c.entity == entity, uid))
    return sa.case(*whens, else_=sa.null())


def _json_query(section: Section) -> tuple[sa.Select[Any], Any]:
    """``SELECT json_object(...)`` for every record of ``section``, oldest first."""
    table = section.table
    source: Any = table
    pairs: list[Any] = []
    entity_uid = None
    for f in section.fields:
        expr = _json_value(f, table)
        if f.kind in (Kind.REF, Kind.REF_OR_NULL):
            target = SECTION_BY_NAME[f.target].table.alias(f"ref_{f.key}")
            source = source.outerjoin(target, target.c.id == table.c[f.column])
            expr = target.c.uid
        elif f.kind is Kind.ENTITY_REF:
            entity_uid = expr
        pairs += [sa.literal(f.key), expr]
    query = select(func.json_object(*pairs, type_=sa.String)).select_from(source)
    if entity_uid is not None:
        query = query.where(entity_uid.is_not(None))
    return query.order_by(table.c.id), entity_uid


def _json_value(f: Field, table: sa.Table) -> Any:
    column = table.c.get(f.column)
    if f.kind is Kind.ATTENDEES:
        return _attendees(table)
    if f.kind is Kind.ENTITY_REF:
        return _entity_uid(table)
    assert column is not None, f"{table.name} has no column {f.column}"
    if f.kind in (Kind.DATETIME, Kind.DATETIME_OR_NULL, Kind.STAMP):
        return _iso_z(column)
    if f.kind is Kind.FLOAT_OR_NULL:
        return _exact_float(column)
    if f.kind is Kind.BOOL:
        return func.json(sa.case((type_coerce(column, sa.Integer) != 0, "true"), else_="false"))
    if f.kind is Kind.ROLES:
        return _roles(column)
    if f.kind is Kind.OBJECT:
        return _object(column)
    return column


def write_json(conn: sa.Connection, fh: IO[str], ticker: _Ticker | None = None) -> dict[str, int]:
    """Write the book file to ``fh``: a header, then one record per line, section by section."""
    ticker = ticker or _Ticker(None)
    queries = {s.name: _json_query(s)[0] for s in ALL_SECTIONS}
    counts = {}
    for section in ALL_SECTIONS:  # counting the plain table is cheaper than the query
        filtered = any(f.kind is Kind.ENTITY_REF for f in section.fields)
        source = queries[section.name].subquery() if filtered else section.table
        counts[section.name] = int(
            conn.execute(select(func.count()).select_from(source)).scalar_one()
        )
    meta_table: sa.Table = Meta.__table__  # type: ignore[attr-defined]
    rows = conn.execute(select(meta_table.c.key, meta_table.c.value).order_by(meta_table.c.key))
    meta: dict[str, str] = {key: value for key, value in rows}
    ticker.start(sum(counts.values()))
    header: dict[str, object] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "app_version": __version__,
        "schema": HEAD,
        "currency_note": CURRENCY_NOTE,
        "counts": counts,
        "meta": meta,
    }
    fh.write("{\n")
    for key, value in header.items():
        fh.write(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    last = ALL_SECTIONS[-1].name
    for name, query in queries.items():
        fh.write(f'"{name}": [')
        sep = "\n"
        for chunk in conn.execute(query).scalars().partitions(CHUNK):
            fh.write(sep + ",\n".join(chunk))
            sep = ",\n"
            ticker.tick(len(chunk))
        fh.write("\n]" if sep != "\n" else "]")
        fh.write("\n" if name == last else ",\n")
    fh.write("}\n")
    return counts
