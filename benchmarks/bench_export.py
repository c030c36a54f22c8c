"""Export benchmark: the whole book to JSON (and CSV, XLSX, Markdown), then JSON back in.

    python benchmarks/bench_export.py --db /tmp/bench/book5000.sqlite3 [--runs 3] [--skip-xlsx]

The book is copied to a temporary folder first (the original is never opened for
writing). Each format is exported ``--runs`` times into that folder; the best and the
median wall time are printed, with the output size. Then the JSON file is imported
into a fresh empty database (one transaction) and exported again, and the two JSON
files are compared (they must match except ``exported_at``).
Budget (issue): a 5,000-account book to JSON in under 3 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from csmdesk.services.book_json import import_book_json
from csmdesk.services.export import ExportResult, export_book
from csmdesk.store import Database, open_database

TARGETS = {"json": "book.json", "csv": "csv", "xlsx": "book.xlsx", "markdown": "notes"}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _timed(db: Database, fmt: str, out: Path) -> tuple[float, ExportResult]:
    start = time.perf_counter()
    result = export_book(db, fmt, out, overwrite=True)
    return time.perf_counter() - start, result


def _same_except_stamp(a: Path, b: Path) -> bool:
    def lines(p: Path) -> list[str]:
        with p.open(encoding="utf-8") as fh:
            return [line for line in fh if '"exported_at"' not in line]

    return lines(a) == lines(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True, help="the book to export (copied)")
    parser.add_argument("--runs", type=int, default=3, help="runs per format (default: 3)")
    parser.add_argument("--skip-xlsx", action="store_true", help="skip the (slow) XLSX export")
    args = parser.parse_args(argv)
    if not args.db.is_file():
        print(f"{args.db} does not exist", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="csmdesk-bench-export-") as tmp:
        work = Path(tmp)
        copy = work / "book.sqlite3"
        for suffix in ("", "-wal"):
            source = args.db.with_name(args.db.name + suffix)
            if source.exists():
                shutil.copy(source, copy.with_name(copy.name + suffix))
        db = open_database(copy)
        formats = [f for f in TARGETS if not (args.skip_xlsx and f == "xlsx")]
        print(f"book: {args.db}")
        for fmt in formats:
            out = work / TARGETS[fmt]
            times = []
            for _ in range(args.runs):
                seconds, result = _timed(db, fmt, out)
                times.append(seconds)
            records = sum(result.counts.values())
            print(
                f"export {fmt:<8} best {min(times):6.2f}s  median {statistics.median(times):6.2f}s"
                f"  {records:>9,} records  {_size(out) / 1e6:7.1f} MB  {result.files:,} file(s)"
            )
        db.close()

        fresh = open_database(work / "fresh.sqlite3")
        start = time.perf_counter()
        report = import_book_json(fresh, work / "book.json")
        seconds = time.perf_counter() - start
        created = sum(report.created.values())
        print(f"import json      {seconds:6.2f}s  ok={report.ok}  created={created:,}")
        export_book(fresh, "json", work / "again.json")
        same = _same_except_stamp(work / "book.json", work / "again.json")
        print(f"round trip identical (except exported_at): {same}")
        start = time.perf_counter()
        report = import_book_json(fresh, work / "book.json")
        seconds = time.perf_counter() - start
        updated = sum(report.updated.values())
        print(f"re-import json   {seconds:6.2f}s  ok={report.ok}  updated={updated:,}")
        fresh.close()
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
