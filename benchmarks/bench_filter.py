"""Filter-as-you-type and sort benchmark for the book table.

    python benchmarks/bench_filter.py --db /tmp/bench/book5000.sqlite3 [--rounds 3] [--profile]
                                      [--during-rescore [--key-interval-ms 80]]

Works on a temporary copy of the book (opening a book migrates it; the original is never
written). Builds the main window on the copy in this process (QT_QPA_PLATFORM=offscreen,
temporary CSMDESK_DATA_DIR and XDG_CONFIG_HOME so no real settings are touched), then types
realistic queries into the filter box key by key with QTest (a name, name fragments, a tag, a
domain fragment), backspaces them away and clears the box. Each keystroke is timed from the key
press until QApplication.processEvents() has returned, so the refilter, the selection
follow-up (detail pane) and the table repaint are all inside the measurement. It then times
a click on every column header (ascending and descending) and the quick filters. Budget
(GUIDE.md): < 16 ms per keystroke for 5,000 accounts.

With --during-rescore the stored health scores of the copy are made stale first (as on the
first start of every day), so the window starts its whole-book rescore in the background,
and the queries are typed at a human pace (--key-interval-ms) from the moment the window is
up until a second after the rescore finished. Keystrokes that overlapped the rescore and
those of the second after it are reported apart, with the longest event-loop stall between
keystrokes (work done then delays the next key the user presses) and the rescore's own time.
The usual measurements follow once it is done.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLineEdit

    from csmdesk.gui.main_window import MainWindow

BUDGET_MS = 16.0
# PySide6 6.12.0 on Python 3.11 drops references to None/True on every call and emit, which
# aborts the interpreter (pyproject.toml excludes it). The drop per keystroke is still measured
# and printed, so a build with that bug shows up here.


def _queries(rows: list) -> list[str]:
    """Queries built from the book itself, so each one matches something."""
    active = [r for r in rows if not r.archived]
    name = active[len(active) // 3].name
    first_word = name.split()[0]
    tags = Counter(t.strip() for r in active for t in r.tags.split(",") if t.strip())
    tag = tags.most_common(1)[0][0] if tags else "enterprise"
    domain = next((r.domain for r in active[len(active) // 2 :] if r.domain), "example.com")
    fragment = domain.split(".")[0][1:5]
    return [name.lower(), first_word[:4].lower(), tag, fragment, f"{first_word.lower()} {tag}"]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _stats(name: str, values: list[float]) -> str:
    return (
        f"{name} n={len(values)} median={statistics.median(values):.2f}ms "
        f"p95={_percentile(values, 95):.2f}ms max={max(values):.2f}ms "
        f"over_{BUDGET_MS:.0f}ms={sum(v > BUDGET_MS for v in values)}"
    )


def _copy_book(source: Path, folder: str) -> Path:
    """The book and its write-ahead log, if one was left behind, copied into ``folder``."""
    target = Path(folder) / source.name
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + "-wal")
    if wal.is_file():
        shutil.copyfile(wal, target.with_name(target.name + "-wal"))
    return target


def _during_rescore(
    window: MainWindow,
    edit: QLineEdit,
    queries: list[str],
    interval_ms: float,
    slowest: int,
    after_s: float = 1.0,
) -> dict[str, list[float]]:
    """Type at a human pace while the start-up rescore runs and for ``after_s`` after it;
    prints the figures and returns the raw ones (ms) for pooling over several runs."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    recompute = window.recompute
    finished: list[float] = []
    # Stamped once the window has handled the result (connected after its own slot).
    recompute.finished.connect(lambda *_: finished.append(time.perf_counter()))
    started = time.perf_counter()
    QApplication.processEvents()  # the start-up check runs from a zero timer
    if not recompute.running:
        print("during_rescore: the window did not start a rescore (scores not stale?)")
        return {}
    keys: list[tuple[float, float, float, str]] = []  # start, end, ms, what
    stalls: list[tuple[float, float]] = []  # start, ms of processEvents between keystrokes

    def strokes() -> Iterator[str | Qt.Key | None]:
        while True:
            for query in queries:
                yield from query
                yield from [Qt.Key.Key_Backspace] * (len(query) // 2)
                yield None  # select all + backspace

    switch = sys.getswitchinterval()  # the lowest seen while the rescore ran
    due = time.perf_counter()
    for key in strokes():
        if finished and time.perf_counter() > finished[0] + after_s:
            break
        if time.perf_counter() - started > 120:
            print("during_rescore: gave up waiting for the rescore")
            break
        while (now := time.perf_counter()) < due:
            if not finished:
                switch = min(switch, sys.getswitchinterval())
            QApplication.processEvents()
            stalls.append((now, (time.perf_counter() - now) * 1000))
            time.sleep(0.001)
        t = time.perf_counter()
        if key is None:
            edit.selectAll()
            QTest.keyClick(edit, Qt.Key.Key_Backspace)
        elif isinstance(key, str):
            QTest.keyClick(edit, key)  # type: ignore[call-overload]  # a char: the stubs omit it
        else:
            QTest.keyClick(edit, key)
        QApplication.processEvents()
        end = time.perf_counter()
        keys.append((t, end, (end - t) * 1000, repr(edit.text())))
        due = t + interval_ms / 1000
    if not finished:
        return {}
    done = finished[0]
    took = [ms for s, _, ms, _ in keys if s < done <= s + ms / 1000]
    idle = [ms for s, ms in stalls if s < done <= s + ms / 1000]
    where = f"keystroke of {took[0]:.2f}ms" if took else f"event-loop pass of {idle[0]:.2f}ms"
    during = [ms for s, _, ms, _ in keys if s < done]
    after = [ms for s, _, ms, _ in keys if done <= s <= done + after_s]
    idle_during = [ms for s, ms in stalls if s < done] or [0.0]
    idle_after = [ms for s, ms in stalls if done <= s <= done + after_s] or [0.0]
    print(
        f"during_rescore rescore_ms={(done - started) * 1000:.0f} "
        f"key_interval_ms={interval_ms:.0f} switchinterval_ms={switch * 1000:g}"
    )
    print(f"rescore result handled in a {where}")
    if during:
        print(_stats("keystroke_during_rescore", during))
    if after:
        print(_stats(f"keystroke_after_rescore_{after_s:g}s", after))
    print(
        f"event_loop_stall_between_keys max_during={max(idle_during):.2f}ms "
        f"max_after={max(idle_after):.2f}ms"
    )
    for s, _, ms, what in sorted(keys, key=lambda k: -k[2])[:slowest]:
        print(f"  slow {ms:.2f}ms at +{(s - started) * 1000:.0f}ms -> {what}")
    for s, ms in sorted(stalls, key=lambda k: -k[1])[:2]:
        print(f"  stall {ms:.2f}ms at +{(s - started) * 1000:.0f}ms between keystrokes")
    return {
        "rescore": [(done - started) * 1000],
        "during": during,
        "after": after,
        "stall_during": idle_during,
        "stall_after": idle_after,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True, help="book file (make_book.py)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="times to type the whole query list (default: 3)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also cProfile the typing and print the top functions",
    )
    parser.add_argument(
        "--slowest", type=int, default=5, help="list the N slowest keystrokes (default: 5)"
    )
    parser.add_argument(
        "--during-rescore",
        action="store_true",
        help="make the stored health scores stale and type while the start-up rescore runs",
    )
    parser.add_argument(
        "--key-interval-ms",
        type=float,
        default=80.0,
        help="time from one keystroke to the next with --during-rescore (default: 80)",
    )
    args = parser.parse_args(argv)
    db_path = args.db.expanduser().resolve()
    if not db_path.is_file():
        parser.error(f"{db_path} does not exist; build it with benchmarks/make_book.py")

    tmp = tempfile.TemporaryDirectory(prefix="csmdesk-bench-")
    os.environ.update(
        QT_QPA_PLATFORM="offscreen",
        CSMDESK_DATA_DIR=f"{tmp.name}/data",
        XDG_CONFIG_HOME=f"{tmp.name}/config",
    )

    import PySide6
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from csmdesk.gui.app import make_app
    from csmdesk.gui.book_model import COLUMNS
    from csmdesk.gui.main_window import MainWindow
    from csmdesk.gui.theme import apply_theme
    from csmdesk.store import open_database

    app = make_app()
    apply_theme(app, "system")
    db = open_database(_copy_book(db_path, tmp.name))
    if args.during_rescore:
        from sqlalchemy import text

        with db.engine.begin() as conn:
            conn.execute(text("UPDATE healthscore SET \"on\" = '2000-01-01'"))
    window = MainWindow(db)
    window.show()
    if args.during_rescore:
        window.book.filter_edit.setFocus()
        queries = _queries(window.model.rows())
        _during_rescore(
            window, window.book.filter_edit, queries, args.key_interval_ms, args.slowest
        )
        window.book.filter_edit.clear()
    for _ in range(3):
        app.processEvents()
    # Health scores are recomputed in the background when they are stale (a new day, new
    # readings); that thread competes for the GIL and reloads the book when it finishes, so
    # wait for it rather than time keystrokes against it.
    recompute = getattr(window, "recompute", None)
    waited = time.perf_counter()
    while recompute is not None and recompute.running and time.perf_counter() - waited < 120:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(3):
        app.processEvents()
    waited_ms = (time.perf_counter() - waited) * 1000
    book = window.book
    edit, table, proxy = book.filter_edit, book.table, book.proxy
    edit.setFocus()
    app.processEvents()

    def timed(action: Callable[[], object]) -> float:
        t = time.perf_counter()
        action()
        QApplication.processEvents()
        return (time.perf_counter() - t) * 1000

    queries = _queries(window.model.rows())
    print(
        f"book={db_path} accounts={window.model.rowCount()} shown={proxy.rowCount()} "
        f"qt_platform={app.platformName()} pyside={PySide6.__version__} "
        f"python={sys.version.split()[0]}"
    )
    print("queries=" + " | ".join(repr(q) for q in queries))
    if waited_ms > 100:
        print(f"waited {waited_ms:.0f}ms for the background health rescore before typing")

    typing: list[float] = []
    backspace: list[float] = []
    clears: list[float] = []
    log: list[tuple[float, str, int]] = []

    def type_all() -> None:
        for query in queries:
            for ch in query:
                ms = timed(lambda ch=ch: QTest.keyClick(edit, ch))
                typing.append(ms)
                log.append((ms, f"type {edit.text()!r}", proxy.rowCount()))
            for _ in range(len(query) // 2):
                ms = timed(lambda: QTest.keyClick(edit, Qt.Key.Key_Backspace))
                backspace.append(ms)
                log.append((ms, f"backspace -> {edit.text()!r}", proxy.rowCount()))
            edit.selectAll()
            ms = timed(lambda: QTest.keyClick(edit, Qt.Key.Key_Backspace))
            clears.append(ms)
            log.append((ms, "clear (select all + backspace)", proxy.rowCount()))

    refs_before = [sys.getrefcount(x) for x in (None, True, False)]
    profiler = None
    for round_no in range(args.rounds):
        if args.profile and round_no == args.rounds - 1:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        type_all()
    if profiler is not None:
        profiler.disable()

    keystrokes = typing + backspace + clears
    drops = [sys.getrefcount(x) - b for x, b in zip((None, True, False), refs_before, strict=True)]
    # A leaking build loses a reference per call (hundreds per keystroke); a few either way
    # are objects the app keeps or frees (the proxy keeps recent filter masks of True/False).
    if any(d <= -len(keystrokes) for d in drops):
        per = ", ".join(
            f"{n} {d / len(keystrokes):+.1f}" for n, d in zip("NTF", drops, strict=True)
        )
        print(f"WARNING refcount leak in PySide6 per keystroke: {per} (N=None T=True F=False)")
    print(_stats("keystroke_all", keystrokes))
    print(_stats("keystroke_type", typing))
    print(_stats("keystroke_backspace", backspace))
    print(_stats("keystroke_clear", clears))
    for ms, what, shown in sorted(log, reverse=True)[: args.slowest]:
        print(f"  slow {ms:.2f}ms {what} shown={shown}")

    header = table.horizontalHeader()
    sorts: list[float] = []
    for column, title in enumerate(COLUMNS):
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        pos = QPoint(x, header.height() // 2)
        for _ in range(2):  # first click sorts by the column, the second reverses it
            ms = timed(
                lambda pos=pos: QTest.mouseClick(
                    header.viewport(), Qt.MouseButton.LeftButton, pos=pos
                )
            )
            sorts.append(ms)
            order = "desc" if header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder else "asc"
            ok = header.sortIndicatorSection() == column
            print(f"sort column={title!r} order={order} ms={ms:.2f}{'' if ok else ' (NOT SORTED)'}")
    print(_stats("sort_click", sorts))
    timed(lambda: table.sortByColumn(0, Qt.SortOrder.AscendingOrder))

    quick: list[float] = []
    combo = book.segment_combo
    for i in [*range(1, combo.count()), 0]:
        ms = timed(lambda i=i: combo.setCurrentIndex(i))
        quick.append(ms)
        print(f"quick segment={combo.currentText()!r} ms={ms:.2f} shown={proxy.rowCount()}")
    renewal = book.renewal_combo
    for i in (renewal.findData(90), renewal.findData(30), 0):
        ms = timed(lambda i=i: renewal.setCurrentIndex(i))
        quick.append(ms)
        print(f"quick renewal={renewal.currentText()!r} ms={ms:.2f} shown={proxy.rowCount()}")
    for checked in (True, False):
        ms = timed(lambda checked=checked: book.archived_button.setChecked(checked))
        quick.append(ms)
        print(f"quick archived={checked} ms={ms:.2f} shown={proxy.rowCount()}")
    print(_stats("quick_filter", quick))

    if profiler is not None:
        import pstats

        print("\nprofile of the last typing round (cumulative, top 25):")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    window.close()
    db.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
