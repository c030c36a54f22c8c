"""Read a CSM Desk book file (JSON, see :mod:`csmdesk.services.book_format`) back in.

The whole file is checked before anything is written: its format and version, every
field of every record, and every reference (to a record in the file or already in
the book). Then everything is written in one transaction: records whose ``uid`` is
already in the book are updated, the others created; a risk's history in the file
replaces the one in the book, and a muted signal replaces the book's for the same
account and kind, so importing a file again never duplicates anything. Any problem
means nothing is written at all.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select

from csmdesk.services.book_format import (
    ALL_SECTIONS,
    DISMISSED_SIGNALS,
    EXTERNAL_REFS,
    FORMAT,
    RISK_EVENTS,
    SECTION_BY_NAME,
    VERSION,
    Field,
    Kind,
    Section,
)
from csmdesk.services.book_writer import Counts, existing_ids, targets, write_book, write_meta
from csmdesk.store import Database
from csmdesk.store.errors import classify

log = logging.getLogger(__name__)

MAX_ERRORS = 200
SHOWN_ERRORS = 20  # in the exception's message
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD = re.compile(r"^\d{4}-Q[1-4]$")
_MISSING = object()


class BookJsonError(ValueError):
    """Nothing was imported; the message says why. ``exit_code`` follows the command line's
    rule: 1 for a user error (no such file), 2 when the data is refused."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class BookFileError(BookJsonError):
    """The file as a whole cannot be imported (unreadable, not a book file)."""


class NewerBookVersionError(BookFileError):
    """The file was written by a newer CSM Desk, in a format this version cannot read."""


class BookRejectedError(BookJsonError):
    """Records of the file are invalid or name records that do not exist; ``report.errors``
    lists every problem (up to :data:`MAX_ERRORS`)."""

    def __init__(self, report: ImportReport) -> None:
        lines = [report.describe(), *(f"  {issue}" for issue in report.errors[:SHOWN_ERRORS])]
        hidden = len(report.errors) + report.more_errors - SHOWN_ERRORS
        if hidden > 0:
            lines.append(f"  … and {hidden:,} more")
        super().__init__("\n".join(lines))
        self.report = report


@dataclass(frozen=True)
class ImportIssue:
    section: str  # "accounts", "contacts", ... or "file"
    where: str  # the record's uid, or "#3" (its position, from 1) when it has none
    message: str

    def __str__(self) -> str:
        return f"{self.section} {self.where}: {self.message}"


@dataclass
class ImportReport:
    path: Path
    dry_run: bool = False
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    errors: list[ImportIssue] = field(default_factory=list)
    more_errors: int = 0  # problems found beyond the first MAX_ERRORS

    @property
    def ok(self) -> bool:
        return not self.errors

    def describe(self) -> str:
        if self.errors:
            total = len(self.errors) + self.more_errors
            return f"{self.path} was not imported: {total:,} problem(s) found; nothing was written."
        parts = []
        for name in (s.name for s in ALL_SECTIONS):
            new, changed = self.created.get(name, 0), self.updated.get(name, 0)
            counts = [f"{new:,} new"] if new else []
            counts += [f"{changed:,} updated"] if changed else []
            if counts:
                parts.append(f"{name.replace('_', ' ')} {' + '.join(counts)}")
        verb = "Would import" if self.dry_run else "Imported"
        return f"{verb} {self.path}: " + ("; ".join(parts) if parts else "nothing to import") + "."

    __str__ = describe


class _Problems:
    def __init__(self, report: ImportReport) -> None:
        self.report = report

    def add(self, section: str, where: str, message: str) -> None:
        if len(self.report.errors) < MAX_ERRORS:
            self.report.errors.append(ImportIssue(section, where, message))
        else:
            self.report.more_errors += 1


class _Bad(ValueError):
    pass


# --- reading and checking ----------------------------------------------------------------


def read_book_file(path: Path) -> dict[str, Any]:
    """The parsed file, after checking it is a book file this version can read."""
    try:
        with path.open(encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except FileNotFoundError as exc:
        raise BookFileError(f"{path} does not exist.", exit_code=1) from exc
    except IsADirectoryError as exc:
        raise BookFileError(f"{path} is a folder, not a CSM Desk book file.", exit_code=1) from exc
    except OSError as exc:
        raise BookFileError(f"Cannot read {path}: {exc.strerror or exc}.", exit_code=1) from exc
    except UnicodeDecodeError as exc:
        raise BookFileError(f"{path} is not a CSM Desk book file (not UTF-8 text).") from exc
    except json.JSONDecodeError as exc:
        raise BookFileError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BookFileError(
            f'{path} is JSON but not a CSM Desk book file (no "format": "{FORMAT}").'
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BookFileError(f"{path} has no valid format version; it cannot be imported.")
    if version > VERSION:
        raise NewerBookVersionError(
            f"{path} was written by a newer version of CSM Desk (book file version {version}; "
            f"this version reads up to {VERSION}). Update CSM Desk to import it."
        )
    return data


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise _Bad("must be a date and time such as 2026-03-01T14:30:00Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(f"'{value}' is not a date and time such as 2026-03-01T14:30:00Z") from None
    if parsed.tzinfo is None:
        raise _Bad(f"'{value}' has no time zone (end it with Z for UTC)")
    return parsed.astimezone(UTC)


def _parse_date(value: object) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise _Bad(f"{value!r} is not a date such as 2026-03-01")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad(f"'{value}' is not a real date") from None


def _uid(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > 32 or value != value.strip():
        raise _Bad(f"{value!r} is not a uid (1 to 32 characters, no spaces)")
    return value


def _uids(value: object) -> list[str]:
    if not isinstance(value, list):
        raise _Bad("must be a list of uids")
    return list(dict.fromkeys(_uid(v) for v in value))


def _roles(f: Field, value: object) -> str:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise _Bad("must be a list of roles")
    bad = [v for v in items if v and v not in f.choices]
    if bad:
        raise _Bad(f"'{bad[0]}' is not a role (one of {', '.join(f.choices)})")
    return ",".join(v for v in items if v)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(f: Field, value: object) -> object:
    if not isinstance(value, str):
        raise _Bad("must be text")
    if f.required and not value.strip():
        raise _Bad("must not be empty")
    return value


def _int(f: Field, value: object) -> object:
    if not _is_int(value):
        raise _Bad(f"{value!r} is not a whole number")
    return value


def _float(f: Field, value: object) -> object:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise _Bad(f"{value!r} is not a number")
    return float(value)


def _bool(f: Field, value: object) -> object:
    if not isinstance(value, bool):
        raise _Bad(f"{value!r} is not true or false")
    return value


def _enum(f: Field, value: object) -> object:
    if value not in f.choices:
        raise _Bad(f"{value!r} is not one of {', '.join(f.choices)}")
    return value


def _object(f: Field, value: object) -> object:
    """JSON text of an object. Text is kept as it is: an export writes a stored value
    that is not a JSON object as text, so that it reads back unchanged."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise _Bad("must be an object such as {}")
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        raise _Bad("holds a number JSON cannot store (NaN or Infinity)") from None


_CONVERTERS: dict[Kind, Callable[[Field, object], object]] = {
    Kind.UID: lambda f, v: _uid(v),
    Kind.REF: lambda f, v: _uid(v),
    Kind.REF_OR_NULL: lambda f, v: _uid(v),
    Kind.ENTITY_REF: lambda f, v: _uid(v),
    Kind.TEXT: _text,
    Kind.TEXT_OR_NULL: _text,
    Kind.INT: _int,
    Kind.INT_OR_NULL: _int,
    Kind.FLOAT_OR_NULL: _float,
    Kind.BOOL: _bool,
    Kind.DATE: lambda f, v: _parse_date(v),
    Kind.DATE_OR_NULL: lambda f, v: _parse_date(v),
    Kind.DATETIME: lambda f, v: _parse_datetime(v),
    Kind.DATETIME_OR_NULL: lambda f, v: _parse_datetime(v),
    Kind.STAMP: lambda f, v: _parse_datetime(v),
    Kind.ENUM: _enum,
    Kind.ROLES: _roles,
    Kind.ATTENDEES: lambda f, v: _uids(v),
    Kind.OBJECT: _object,
}


def _convert(f: Field, value: object, now: datetime) -> object:
    """The column value for ``value`` of field ``f``, or :class:`_Bad` saying why not."""
    if value is _MISSING or value is None:
        if f.required:
            raise _Bad("is missing")
        if f.kind is Kind.STAMP:
            return now
        if f.kind is Kind.ROLES:
            return ""
        if f.kind is Kind.ATTENDEES:
            return []
        return f.default
    return _CONVERTERS[f.kind](f, value)


def _records(section: Section, data: dict[str, Any], problems: _Problems) -> list[Any]:
    records = data.get(section.name, [])
    if not isinstance(records, list):
        problems.add(section.name, "-", "must be a list of records")
        return []
    return records


def parse_section(
    section: Section, data: dict[str, Any], problems: _Problems, now: datetime
) -> list[dict[str, Any]]:
    """Checked rows of one section (references still as uids), in file order."""
    rows: list[dict[str, Any]] = []
    seen: set[object] = set()
    for index, record in enumerate(_records(section, data, problems)):
        where = f"#{index + 1}"
        if not isinstance(record, dict):
            problems.add(section.name, where, "is not a record (a JSON object)")
            continue
        uid = record.get("uid")
        if section.keyed_by_uid and isinstance(uid, str) and uid:
            where = uid
        row: dict[str, Any] = {}
        for f in section.fields:
            try:
                row[f.column] = _convert(f, record.get(f.key, _MISSING), now)
            except _Bad as exc:
                problems.add(section.name, where, f"{f.key} {exc}")
        if len(row) != len(section.fields):
            continue
        if section.name == "reviews" and not _PERIOD.match(row["period"]):
            problems.add(
                section.name, where, f"period {row['period']!r} is not a quarter such as 2026-Q4"
            )
            continue
        keys = _identities(section, row)
        if any(key in seen for key in keys):
            problems.add(
                section.name, where, _DUPLICATE.get(section.name, "appears twice in the file")
            )
            continue
        seen.update(keys)
        row["_where"] = where
        rows.append(row)
    return rows


_DUPLICATE = {
    "health_readings": "appears twice in the file (one reading per account and day)",
    "renewals": "appears twice in the file (one renewal per account and renewal date)",
    "reviews": "appears twice in the file (one review per account, kind and period)",
    "external_refs": "links a record or a CRM id twice",
    "dismissed_signals": "mutes the same signal of an account twice",
}


def _identities(section: Section, row: dict[str, Any]) -> list[object]:
    """What must be unique within the file."""
    if section is EXTERNAL_REFS:
        p, e = row["provider"], row["entity"]
        return [("local", p, e, row["entity_id"]), ("remote", p, e, row["external_id"])]
    if section is DISMISSED_SIGNALS:
        return [(row["account_id"], row["kind"])]
    if section is RISK_EVENTS:  # two identical steps may well happen
        return []
    if section.name == "health_readings":
        return [row["uid"], ("day", row["account_id"], row["on"])]
    if section.name == "renewals":
        return [row["uid"], ("date", row["account_id"], row["renewal_date"])]
    if section.name == "reviews":
        return [row["uid"], ("period", row["account_id"], row["kind"], row["period"])]
    return [row["uid"]]


def declared_uids(data: dict[str, Any]) -> dict[str, set[str]]:
    """Every uid the file gives, valid record or not (a bad record is reported once, not
    again by each record that names it)."""
    found: dict[str, set[str]] = {}
    for section in ALL_SECTIONS:
        records = data.get(section.name)
        if section.keyed_by_uid and isinstance(records, list):
            found[section.name] = {
                r["uid"] for r in records if isinstance(r, dict) and isinstance(r.get("uid"), str)
            }
    return found


def check_references(
    conn: sa.Connection,
    parsed: dict[str, list[dict[str, Any]]],
    in_file: dict[str, set[str]],
    problems: _Problems,
) -> None:
    """Every uid a record names must be in the file or already in the book."""
    wanted: dict[str, set[str]] = {}
    for name, rows in parsed.items():
        for row in rows:
            for _, target, uid in targets(SECTION_BY_NAME[name], row):
                if uid not in in_file.get(target, ()):
                    wanted.setdefault(target, set()).add(uid)
    in_book = {
        target: set(existing_ids(conn, SECTION_BY_NAME[target].table, uids))
        for target, uids in wanted.items()
    }
    for name, rows in parsed.items():
        for row in rows:
            for key, target, uid in targets(SECTION_BY_NAME[name], row):
                if uid not in in_file.get(target, ()) and uid not in in_book.get(target, ()):
                    label = SECTION_BY_NAME[target].label
                    problems.add(
                        name,
                        row["_where"],
                        f"{key} {uid} matches no {label} in the file or the book",
                    )


def check_renewal_dates(
    conn: sa.Connection,
    parsed: dict[str, list[dict[str, Any]]],
    in_file: dict[str, set[str]],
    problems: _Problems,
) -> None:
    """An account renews once on a given date: a renewal of the file may not take the date
    of another renewal already in the book (unless the file moves that one too)."""
    rows = parsed.get("renewals", [])
    table = SECTION_BY_NAME["renewals"].table
    accounts = existing_ids(
        conn, SECTION_BY_NAME["accounts"].table, (r["account_id"] for r in rows)
    )
    if not accounts:
        return
    moved = in_file.get("renewals", set())
    taken: dict[tuple[int, date], str] = {}
    ids = sorted(set(accounts.values()))
    for start in range(0, len(ids), 500):
        query = select(table.c.account_id, table.c.renewal_date, table.c.uid).where(
            table.c.account_id.in_(ids[start : start + 500])
        )
        taken.update({(a, on): uid for a, on, uid in conn.execute(query) if uid not in moved})
    for row in rows:
        account = accounts.get(row["account_id"])
        other = taken.get((account, row["renewal_date"])) if account is not None else None
        if other is not None:
            problems.add(
                "renewals",
                row["_where"],
                f"renewal_date {row['renewal_date'].isoformat()}: the book already holds "
                f"renewal {other} of this account on that date",
            )


def check_review_periods(
    conn: sa.Connection,
    parsed: dict[str, list[dict[str, Any]]],
    in_file: dict[str, set[str]],
    problems: _Problems,
) -> None:
    """An account has one review of a kind per period: a review of the file may not take the
    period of another review already in the book (unless the file moves that one too)."""
    rows = parsed.get("reviews", [])
    table = SECTION_BY_NAME["reviews"].table
    accounts = existing_ids(
        conn, SECTION_BY_NAME["accounts"].table, (r["account_id"] for r in rows)
    )
    if not accounts:
        return
    moved = in_file.get("reviews", set())
    taken: dict[tuple[int, str, str], str] = {}
    ids = sorted(set(accounts.values()))
    for start in range(0, len(ids), 500):
        query = select(table.c.account_id, table.c.kind, table.c.period, table.c.uid).where(
            table.c.account_id.in_(ids[start : start + 500])
        )
        taken.update({(a, k, p): uid for a, k, p, uid in conn.execute(query) if uid not in moved})
    for row in rows:
        account = accounts.get(row["account_id"])
        other = None if account is None else taken.get((account, row["kind"], row["period"]))
        if other is not None:
            problems.add(
                "reviews",
                row["_where"],
                f"period {row['period']}: the book already holds {row['kind']} review {other} "
                "of this account for that period",
            )


# --- the import ------------------------------------------------------------------------------


def import_book_json(db: Database, path: Path | str, *, dry_run: bool = False) -> ImportReport:
    """Import a book file, all or nothing; the report counts records created and updated.

    Raises :class:`BookFileError` (or :class:`NewerBookVersionError`) for a file that is not
    a book file this version reads, and :class:`BookRejectedError` (whose ``report`` lists
    every problem) when any record is invalid. Either way nothing was written.
    """
    path = Path(path)
    report = ImportReport(path, dry_run=dry_run)
    problems = _Problems(report)
    data = read_book_file(path)
    now = datetime.now(UTC)
    declared = declared_uids(data)
    parsed: dict[str, list[dict[str, Any]]] = {}
    for section in ALL_SECTIONS:
        parsed[section.name] = parse_section(section, data, problems, now)
        data[section.name] = None  # let the raw records go: big files, less memory
    meta = data.get("meta", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        problems.add("meta", "-", "must be an object of text values")
        meta = {}
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, for a consistent check
            committed = False
            try:
                check_references(conn, parsed, declared, problems)
                check_renewal_dates(conn, parsed, declared, problems)
                check_review_periods(conn, parsed, declared, problems)
                if report.ok:
                    _write(conn, parsed, meta, report)
                    if not dry_run:
                        conn.commit()
                        committed = True
            finally:
                if not committed:
                    conn.rollback()
    except sa.exc.IntegrityError as exc:
        raise BookJsonError(
            f"{path} conflicts with the book ({exc.orig}); nothing was imported."
        ) from exc
    except sa.exc.DBAPIError as exc:
        problem = classify(exc, db.path)
        if problem is None:
            raise
        raise problem from exc
    if not report.ok:
        raise BookRejectedError(report)
    if not dry_run:
        log.info("imported %s: created %s, updated %s", path.name, report.created, report.updated)
    return report


def _write(
    conn: sa.Connection,
    parsed: dict[str, list[dict[str, Any]]],
    meta: dict[str, str],
    report: ImportReport,
) -> None:
    accounts = SECTION_BY_NAME["accounts"].table
    was_empty = not conn.execute(select(func.count()).select_from(accounts)).scalar_one()
    counts = Counts()
    write_book(conn, parsed, counts)
    if was_empty:  # facts about the book (such as "this is the demo") only into an empty book
        write_meta(conn, meta)
    report.created, report.updated = counts.created, counts.updated
