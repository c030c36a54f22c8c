"""Reading a spreadsheet file into a plain table: CSV in any common dialect, or XLSX.

Files in the wild: UTF-8 with or without a BOM, UTF-16 from Excel's "Unicode text",
cp1252 from older Windows tools; comma, semicolon, tab or pipe; blank lines; ragged
rows; quoted cells spanning lines. Everything that cannot be read becomes a
:class:`FileProblem` with a sentence for the user, never a traceback.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

Cell = str | int | float | date | datetime | None

MAX_BYTES = 200 * 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class FileProblem(ValueError):
    """The file as a whole cannot be imported; the message says why."""


@dataclass
class Row:
    line: int  # the line (CSV) or row (XLSX) where the record starts, 1-based
    cells: list[Cell]


@dataclass
class Table:
    path: Path
    headers: list[str]
    rows: list[Row]
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    notes: list[str] = field(default_factory=list)  # things worth telling the user

    def describe(self) -> str:
        if self.kind == "xlsx":
            return f"Excel workbook, sheet '{self.sheet}', {len(self.rows):,} rows"
        name = _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        return f"CSV ({self.encoding}, {name}-separated), {len(self.rows):,} rows"


def read_table(path: Path | str) -> Table:
    """Read ``path`` (CSV or XLSX, decided by content, not by name)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise FileProblem(f"{path} is a folder, not a file.")
        if size > MAX_BYTES:
            raise FileProblem(f"{path.name} is {size / 1e6:.0f} MB; the limit is 200 MB.")
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileProblem(f"{path} does not exist.") from None
    except PermissionError:
        raise FileProblem(f"CSM Desk may not read {path}.") from None
    except OSError as exc:
        raise FileProblem(f"{path} cannot be read: {exc.strerror}.") from None
    if not data.strip():
        raise FileProblem(f"{path.name} is empty.")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            f"{path.name} is an old Excel (.xls) workbook. Save it as .xlsx or CSV and try again."
        )
    return _read_csv(path, data)


# --- CSV ------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 with BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise FileProblem("The file says it is UTF-16 but is not valid UTF-16.") from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if data.count(b"\x00") > len(data) // 100:
        raise FileProblem("This is not a text file (it looks binary). Choose a CSV or XLSX file.")
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _sniff_delimiter(text: str) -> str:
    sample_lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    sample = "\n".join(sample_lines)
    try:
        found = csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
        if found in _DELIMITERS:
            return found
    except csv.Error:
        pass
    header = sample_lines[0] if sample_lines else ""
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileProblem(f"Line {start}: the CSV cannot be read ({exc}).") from None


def _read_csv(path: Path, data: bytes) -> Table:
    text, encoding = _decode(data)
    if "\x00" in text:
        raise FileProblem("This is not a text file (it contains NUL bytes). Choose a CSV or XLSX.")
    delimiter = _sniff_delimiter(text)
    headers: list[str] | None = None
    rows: list[Row] = []
    notes: list[str] = []
    if text.lstrip().lower().startswith("sep=") and "\n" in text:  # Excel's dialect hint line
        first, _, text = text.partition("\n")
        delimiter = first.strip()[4:5] or delimiter
    for line, record in _records(text, delimiter):
        if not any(cell.strip() for cell in record):
            continue
        if headers is None:
            headers = [cell.strip() for cell in record]
            continue
        rows.append(Row(line, [cell for cell in record]))
    if headers is None:
        raise FileProblem(f"{path.name} has no header row.")
    return _finish(Table(path, headers, rows, "csv", encoding, delimiter, notes=notes))


# --- XLSX -------------------------------------------------------------------------------------


def _read_xlsx(path: Path, data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileProblem(f"{path.name} is not a readable Excel workbook ({exc}).") from None
    try:
        for sheet in book.worksheets:
            headers: list[str] | None = None
            rows: list[Row] = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells: list[Cell] = [_xlsx_cell(v) for v in values]
                if not any(c not in (None, "") for c in cells):
                    continue
                if headers is None:
                    headers = ["" if c is None else str(c).strip() for c in cells]
                    continue
                rows.append(Row(number, cells))
            if headers is not None:
                note = [f"Read the first sheet with data, '{sheet.title}'."]
                if len(book.worksheets) == 1:
                    note = []
                return _finish(Table(path, headers, rows, "xlsx", sheet=sheet.title, notes=note))
    finally:
        book.close()
    raise FileProblem(f"{path.name} has no sheet with data.")


def _xlsx_cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float | date | datetime):
        if isinstance(value, bool):
            return "true" if value else "false"
        return value  # type: ignore[return-value]
    return str(value)


# --- shared -------------------------------------------------------------------------------------


def _finish(table: Table) -> Table:
    """Trim trailing empty header cells; name blank or repeated headers so each is distinct."""
    headers = list(table.headers)
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise FileProblem(f"{table.path.name} has an empty header row.")
    seen: dict[str, int] = {}
    for i, header in enumerate(headers):
        name = header or f"Column {i + 1}"
        count = seen.get(name.lower(), 0)
        seen[name.lower()] = count + 1
        headers[i] = name if not count else f"{name} ({count + 1})"
    table.headers = headers
    if not table.rows:
        raise FileProblem(f"{table.path.name} has a header row but no data rows.")
    return table
