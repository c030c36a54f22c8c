"""Notes benchmark: what typing costs the GUI thread, and opening a note.

    python benchmarks/bench_notes.py --db /tmp/bench/book5000.sqlite3 [--runs 50]

Works on a temporary copy of the book. Offscreen, with the real Notes tab and writer thread:
  * a keystroke: QTest.keyClick into the editor (highlighting included), median and p95;
  * a save on the GUI thread: ``NoteEditor.save_now`` (copy the text, hand it to the writer)
    for notes of 2 KB, 100 KB and 1 MB; the write itself happens on the writer thread, whose
    time is reported too;
  * opening a note: selecting it in the tab until its text is in the editor (2 KB and 100 KB).
Budgets (issue #5): a save under 5 ms on the GUI thread, opening a note under 30 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(values) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    from datetime import date

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from csmdesk.gui.note_writer import NoteWriter
    from csmdesk.gui.notes_tab import NotesTab
    from csmdesk.services import notes
    from csmdesk.store import open_database

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "book.sqlite3"
        shutil.copyfile(args.db, copy)
        db = open_database(copy)
        account_id = 1
        paragraph = "- Talked through **the rollout**; they want SSO by January @Priya\n"
        bodies = {
            "2 KB": paragraph * 30,
            "100 KB": paragraph * 1500,
            "1 MB": paragraph * 15000,
        }
        ids = {k: notes.create_note(db, account_id, v).id for k, v in bodies.items()}
        writer = NoteWriter(db)
        tab = NotesTab(db, date(2026, 11, 25), writer)
        tab.resize(900, 800)
        tab.show()
        tab.show_account(account_id, "Bench")
        app.processEvents()

        results: list[str] = []
        for label in ("2 KB", "100 KB"):
            opens = []
            for _ in range(args.runs // 5):
                tab.editor.load(None)
                t0 = time.perf_counter()
                tab.open_note(ids[label] or 0)
                opens.append(time.perf_counter() - t0)
            results.append(f"open a {label} note: {_ms(opens)}")

        for label in ("2 KB", "100 KB", "1 MB"):
            tab.open_note(ids[label] or 0)
            tab.editor.edit.moveCursor(tab.editor.edit.textCursor().MoveOperation.End)
            keys, saves, writes = [], [], []
            for n in range(args.runs):
                t0 = time.perf_counter()
                QTest.keyClick(
                    tab.editor.edit, "abcdefghij"[n % 10], Qt.KeyboardModifier.NoModifier
                )
                keys.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                tab.editor.save_now()
                saves.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                writer.flush(30)
                writes.append(time.perf_counter() - t0)
            results.append(f"{label} note: keystroke {_ms(keys)}")
            results.append(f"{label} note: save on the GUI thread {_ms(saves)}")
            results.append(f"{label} note: the write on the writer thread {_ms(writes)}")
        writer.close()
        tab.close()
        db.close()
    print(f"book: {args.db}")
    for line in results:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
