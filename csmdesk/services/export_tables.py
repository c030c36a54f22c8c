"""The table-shaped exports: CSV files, one XLSX workbook, and notes as Markdown files.

CSV and XLSX hold the same sheets with the same columns, named so that the CSV
importer recognises a CSM Desk export. Text a spreadsheet would run as a formula is
escaped (see :mod:`csmdesk.domain.cells`); numbers stay numbers.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, func, select

from csmdesk.domain.cells import escape_cell
from csmdesk.domain.money import minor_factor
from csmdesk.models import (
    Account,
    ActionItem,
    ArrEvent,
    Contact,
    ExternalRef,
    HealthReading,
    Note,
    Renewal,
    Risk,
    RiskEvent,
    Touchpoint,
)

Start = Callable[[int], None]
Tick = Callable[[int], None]
CHUNK = 2000
MARKDOWN_MARKER = "<!-- csmdesk-notes-export v1 -->"


def _t(model: type) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


A, C, N, AI, H, TP, XR = (
    _t(m) for m in (Account, Contact, Note, ActionItem, HealthReading, Touchpoint, ExternalRef)
)
RN, AE, RK, RE = (_t(m) for m in (Renewal, ArrEvent, Risk, RiskEvent))


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[tuple[str, str], ...]  # (header, kind)
    query: sa.Select[Any]
    count: sa.Select[Any]

    @property
    def headers(self) -> list[str]:
        return [name for name, _ in self.columns]


Column = tuple[str, str, Any]  # header, kind, SQL expression


def _sheet(name: str, columns: list[Column], source: Any, table: sa.Table) -> Sheet:
    query = select(*(expr for _, _, expr in columns)).select_from(source).order_by(table.c.id)
    count = select(func.count()).select_from(table)
    return Sheet(name, tuple((h, k) for h, k, _ in columns), query, count)


def _money(minor: int, currency: str) -> Decimal:
    """Major units, exact: ``12000000, USD`` → ``120000.00``; ``120000, JPY`` → ``120000``."""
    return Decimal(minor) if minor_factor(currency) == 1 else Decimal(minor).scaleb(-2)


def _stamps(table: sa.Table) -> list[Column]:
    return [
        ("created_at", "datetime", table.c.created_at),
        ("updated_at", "datetime", table.c.updated_at),
    ]


def _account_link(provider: str) -> tuple[Any, Any]:
    ref = XR.alias(f"{provider}_ref")
    on = and_(ref.c.entity_id == A.c.id, ref.c.provider == provider, ref.c.entity == "account")
    return ref, on


def _sheets() -> tuple[Sheet, ...]:
    hs, hs_on = _account_link("hubspot")
    sf, sf_on = _account_link("salesforce")
    accounts: list[Column] = [
        ("id", "text", A.c.uid),
        ("name", "text", A.c.name),
        ("domain", "text", A.c.domain),
        ("segment", "text", A.c.segment),
        ("industry", "text", A.c.industry),
        ("arr", "money", A.c.arr_minor),
        ("currency", "text", A.c.currency),
        ("contract_start", "date", A.c.contract_start),
        ("renewal_date", "date", A.c.renewal_date),
        ("lifecycle", "text", A.c.lifecycle),
        ("licensed_seats", "int", A.c.licensed_seats),
        ("owner", "text", A.c.owner),
        ("tags", "text", A.c.tags),
        ("payment_issue", "bool", A.c.payment_issue),
        ("cadence_days", "int", A.c.cadence_days),
        ("review_kind", "text", A.c.review_kind),
        ("archived", "bool", A.c.archived_at.is_not(None)),
        ("hubspot_id", "text", hs.c.external_id),
        ("salesforce_id", "text", sf.c.external_id),
        *_stamps(A),
    ]
    contacts: list[Column] = [
        ("id", "text", C.c.uid),
        ("account_id", "text", A.c.uid),
        ("account_name", "text", A.c.name),
        ("account_domain", "text", A.c.domain),
        ("name", "text", C.c.name),
        ("email", "text", C.c.email),
        ("title", "text", C.c.title),
        ("phone", "text", C.c.phone),
        ("roles", "text", C.c.roles),
        ("primary", "bool", C.c.is_primary),
        ("left_on", "date", C.c.left_on),
        *_stamps(C),
    ]
    notes: list[Column] = [
        ("id", "text", N.c.uid),
        ("account_id", "text", A.c.uid),
        ("account_name", "text", A.c.name),
        ("kind", "text", N.c.kind),
        ("title", "text", N.c.title),
        ("body", "text", N.c.body),
        ("touchpoint_id", "text", TP.c.uid),
        ("archived", "bool", N.c.archived_at.is_not(None)),
        *_stamps(N),
    ]
    action_items: list[Column] = [
        ("id", "text", AI.c.uid),
        ("account_id", "text", A.c.uid),
        ("account_name", "text", A.c.name),
        ("note_id", "text", N.c.uid),
        ("text", "text", AI.c.text),
        ("owner", "text", AI.c.owner),
        ("due_date", "date", AI.c.due_date),
        ("done_on", "date", AI.c.done_on),
        *_stamps(AI),
    ]
    readings: list[Column] = [
        ("id", "text", H.c.uid),
        ("account_id", "text", A.c.uid),
        ("account_name", "text", A.c.name),
        ("account_domain", "text", A.c.domain),
        ("date", "date", H.c.on),
        *((m, "int", H.c[m]) for m in ("active_users", "logins")),
        ("feature_adoption_pct", "float", H.c.feature_adoption_pct),
        *((m, "int", H.c[m]) for m in ("open_tickets", "escalations", "nps")),
        ("csat", "float", H.c.csat),
        *_stamps(H),
    ]
    renewals: list[Column] = [
        ("id", "text", RN.c.uid),
        ("account_id", "text", A.c.uid),
        ("account_name", "text", A.c.name),
        ("renewal_date", "date", RN.c.renewal_date),
        ("status", "text", RN.c.status),
        ("outcome", "text", RN.c.outcome),
        ("closed_on", "date", RN.c.closed_on),
        ("checklist", "text", RN.c.checklist),
        ("comment", "text", RN.c.comment),
        ("arr_event_id", "text", AE.c.uid),
        *_stamps(RN),
    ]
    risk_events: list[Column] = [  # a risk's history, each step with the risk it belongs to
        ("risk_id", "text", RK.c.uid),
        ("account_id", "text", A.c.uid),
        ("account_name", "text", A.c.name),
        ("risk_kind", "text", RK.c.kind),
        ("risk_title", "text", RK.c.title),
        ("at", "datetime", RE.c.at),
        ("status", "text", RE.c.status),
        ("severity", "text", RE.c.severity),
        ("note", "text", RE.c.note),
    ]
    return (
        _sheet("accounts", accounts, A.outerjoin(hs, hs_on).outerjoin(sf, sf_on), A),
        _sheet("contacts", contacts, C.join(A, C.c.account_id == A.c.id), C),
        _sheet(
            "notes",
            notes,
            N.join(A, N.c.account_id == A.c.id).outerjoin(TP, N.c.touchpoint_id == TP.c.id),
            N,
        ),
        _sheet(
            "action_items",
            action_items,
            AI.join(A, AI.c.account_id == A.c.id).outerjoin(N, AI.c.note_id == N.c.id),
            AI,
        ),
        _sheet("health_readings", readings, H.join(A, H.c.account_id == A.c.id), H),
        _sheet(
            "renewals",
            renewals,
            RN.join(A, RN.c.account_id == A.c.id).outerjoin(AE, RN.c.arr_event_id == AE.c.id),
            RN,
        ),
        _sheet(
            "risk_events",
            risk_events,
            RE.join(RK, RE.c.risk_id == RK.c.id).join(A, RK.c.account_id == A.c.id),
            RE,
        ),
    )


SHEETS = _sheets()


def _rows(conn: sa.Connection, sheet: Sheet, tick: Tick) -> Any:
    """Rows of plain values in column order, in chunks (money already turned into amounts)."""
    kinds = [kind for _, kind in sheet.columns]
    m = kinds.index("money") if "money" in kinds else -1
    cur = sheet.headers.index("currency") if m >= 0 else -1
    for chunk in conn.execute(sheet.query).partitions(CHUNK):
        if m >= 0:
            yield [(*r[:m], _money(r[m], r[cur]), *r[m + 1 :]) for r in chunk]
        else:
            yield chunk
        tick(len(chunk))


def _start(conn: sa.Connection, sheets: Sequence[Sheet], start: Start) -> dict[str, int]:
    counts = {s.name: int(conn.execute(s.count).scalar_one()) for s in sheets}
    start(sum(counts.values()))
    return counts


def iso_z(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- CSV -----------------------------------------------------------------------------------

_CSV_FORMAT: dict[str, Callable[[Any], str]] = {
    "text": lambda v: "" if v is None else escape_cell(v),
    "int": lambda v: "" if v is None else str(v),
    "float": lambda v: "" if v is None else repr(v),
    "money": str,
    "date": lambda v: "" if v is None else v.isoformat(),
    "datetime": lambda v: "" if v is None else iso_z(v),
    "bool": lambda v: "true" if v else "false",
}


def write_csv(conn: sa.Connection, folder: Path, start: Start, tick: Tick) -> dict[str, int]:
    """One ``<sheet>.csv`` per sheet: UTF-8 with a BOM (so Excel reads it right), comma, header."""
    counts = _start(conn, SHEETS, start)
    for sheet in SHEETS:
        formats = [_CSV_FORMAT[kind] for _, kind in sheet.columns]
        with (folder / f"{sheet.name}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(sheet.headers)
            for chunk in _rows(conn, sheet, tick):
                writer.writerows([f(v) for f, v in zip(formats, row, strict=True)] for row in chunk)
    return counts


# --- XLSX ----------------------------------------------------------------------------------

_WIDTHS = {"text": 22, "money": 14, "date": 12, "datetime": 20, "int": 10, "float": 10, "bool": 9}
_WIDE = {"name": 28, "account_name": 28, "title": 32, "body": 60, "text": 48, "id": 34}
_WIDE |= {"risk_title": 32, "note": 60, "comment": 40, "checklist": 40}


def _xlsx_value(kind: str) -> Callable[[Any], Any] | None:
    if kind == "text":
        return lambda v: None if v is None else escape_cell(v)
    if kind == "datetime":  # Excel has no time zones: UTC, as the header of the CSV says
        return lambda v: None if v is None else v.astimezone(UTC).replace(tzinfo=None)
    return None


def _fill_workbook(conn: sa.Connection, book: Any, tick: Tick) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        ws.freeze_panes = "A2"
        for i, (name, kind) in enumerate(sheet.columns, start=1):
            width = _WIDE.get(name, _WIDTHS[kind])
            ws.column_dimensions[get_column_letter(i)].width = width
        header = []
        for name in sheet.headers:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        converters = [(i, f) for i, (_, k) in enumerate(sheet.columns) if (f := _xlsx_value(k))]
        for chunk in _rows(conn, sheet, tick):
            for row in chunk:
                values = list(row)
                for i, convert in converters:
                    values[i] = convert(values[i])
                ws.append(values)


def _discard(book: Any) -> None:
    """Close an abandoned write-only workbook, removing the temporary files of its sheets."""
    for ws in book.worksheets:
        writer = getattr(ws, "_writer", None)  # openpyxl writes each sheet to a temp file
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            ws.close()
        with contextlib.suppress(Exception):
            writer.cleanup()


def write_xlsx(conn: sa.Connection, path: Path, start: Start, tick: Tick) -> dict[str, int]:
    """One workbook, one sheet per table; numbers as numbers, dates as dates, header frozen."""
    from openpyxl import Workbook

    counts = _start(conn, SHEETS, start)
    book = Workbook(write_only=True)
    try:
        _fill_workbook(conn, book, tick)
    except BaseException:
        _discard(book)
        raise
    book.save(path)
    return counts


# --- Markdown ------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10))}
_RESERVED |= {f"lpt{i}" for i in range(1, 10)}


def safe_name(text: str, max_bytes: int = 80, fallback: str = "Untitled") -> str:
    """A file or folder name that every common file system accepts."""
    name = " ".join(_UNSAFE.sub("_", text).split()).strip(". ")
    raw = name.encode("utf-8")[:max_bytes]
    name = raw.decode("utf-8", errors="ignore").strip(". ") or fallback
    return f"_{name}" if name.split(".")[0].lower() in _RESERVED else name


def _yaml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML scalar


def _md_link_text(text: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def is_markdown_export(folder: Path) -> bool:
    index = folder / "index.md"
    try:
        with index.open(encoding="utf-8") as fh:
            return fh.readline().strip() == MARKDOWN_MARKER
    except OSError:
        return False


def _note_file(row: Any) -> tuple[str, str, str]:
    """(file name, link label, file text) of one note."""
    label = row.title or row.kind.replace("_", " ").capitalize()
    name = (
        f"{row.created_at:%Y-%m-%d} {safe_name(row.account_name, 60, 'Account')} - "
        f"{safe_name(label, 90)} ({row.uid[:8]}).md"
    )
    front = ["---", f"account: {_yaml(row.account_name)}", f"kind: {row.kind}"]
    if row.title:
        front.append(f"title: {_yaml(row.title)}")
    front += [f"created: {iso_z(row.created_at)}", f"updated: {iso_z(row.updated_at)}"]
    if row.tp_kind is not None:
        front.append(f"touchpoint: {_yaml(f'{row.tp_kind} on {iso_z(row.tp_at)}')}")
    if row.archived_at is not None:
        front.append(f"archived: {iso_z(row.archived_at)}")
    front += [f"uid: {row.uid}", "---", "", ""]
    return name, label, "\n".join(front) + row.body


def write_markdown(
    conn: sa.Connection, folder: Path, start: Start, tick: Tick
) -> tuple[dict[str, int], int]:
    """One ``.md`` file per note in a folder per account, plus an ``index.md``."""
    query = (
        select(
            N.c.uid,
            N.c.kind,
            N.c.title,
            N.c.body,
            N.c.created_at,
            N.c.updated_at,
            N.c.archived_at,
            A.c.uid.label("account_uid"),
            A.c.name.label("account_name"),
            TP.c.kind.label("tp_kind"),
            TP.c.occurred_at.label("tp_at"),
        )
        .join_from(N, A, N.c.account_id == A.c.id)
        .outerjoin(TP, N.c.touchpoint_id == TP.c.id)
        .order_by(func.lower(A.c.name), A.c.id, N.c.created_at, N.c.id)
    )
    total = int(conn.execute(select(func.count()).select_from(N)).scalar_one())
    start(total)
    folders: dict[str, str] = {}  # account uid -> folder name
    taken: set[str] = set()  # folder names, case-folded (macOS and Windows ignore case)
    index: list[str] = []
    for chunk in conn.execute(query).partitions(200):
        for row in chunk:
            if row.account_uid not in folders:
                base = safe_name(row.account_name, 60, "Account")
                name = base if base.casefold() not in taken else f"{base} ({row.account_uid[:8]})"
                taken.add(name.casefold())
                folders[row.account_uid] = name
                (folder / name).mkdir()
                index += ["", f"## {row.account_name}", ""]
            sub = folders[row.account_uid]
            file_name, label, text = _note_file(row)
            with (folder / sub / file_name).open("w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            kind = row.kind.replace("_", " ")
            link = f"[{_md_link_text(label)}](<{sub}/{file_name}>)"
            index.append(f"- {row.created_at:%Y-%m-%d} {link} · {kind}")
        tick(len(chunk))
    head = [
        MARKDOWN_MARKER,
        "# Notes exported from CSM Desk",
        "",
        f"Exported {iso_z(datetime.now(UTC))}: {total:,} notes of {len(folders):,} accounts, "
        "one Markdown file per note in a folder per account. Each file starts with a short "
        "header (account, kind, dates); the note follows exactly as written.",
    ]
    (folder / "index.md").write_text("\n".join(head + index) + "\n", encoding="utf-8")
    return {"notes": total}, total + 1
