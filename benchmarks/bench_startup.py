"""Start-up benchmark: process start to a populated, interactive main window.

    python benchmarks/bench_startup.py --db /tmp/bench/book5000.sqlite3 [--runs 5]

Each run starts a fresh interpreter (so import cost counts) with QT_QPA_PLATFORM=offscreen,
a temporary CSMDESK_DATA_DIR and a temporary XDG_CONFIG_HOME (QSettings), so no real user
settings are read or written. The child builds the window the way ``run_gui`` does
(make_app, apply_theme, SingleInstance, open_database, MainWindow, show), enters the event
loop, and once the loop has run its first events prints its timings as JSON. Clocks are
CLOCK_MONOTONIC (``time.monotonic``), shared by parent and child on Linux, so
``startup_to_window_ms`` runs from just before the parent launches the child until the
window is shown, populated and the first events are processed.

Then the real entry point, ``python -m csmdesk --db PATH --quit-after 1``, is timed as a
whole (start to exit, including close and interpreter teardown; its 1 ms timer may close the
window before its first paint). Budget (GUIDE.md): < 1500 ms to the window, < 350 MB
resident, Matplotlib and Alembic not imported.
"""

import time

T_TOP = time.monotonic()  # before any other import: the child's first Python statement

# ruff: noqa: E402
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MUST_BE_LAZY = ("matplotlib", "alembic")
STEPS = """startup_to_window_ms interpreter_ms import_main_window_ms import_rest_ms
app_theme_lock_ms open_database_ms main_window_ms show_ms first_events_ms first_paint_ms
process_wall_ms"""
ALSO_WATCH = ("numpy", "pandas", "httpx", "requests", "keyring", "PySide6.QtCharts")


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(db_path: Path) -> int:
    """Runs inside the fresh interpreter; prints one JSON line on stdout."""
    import resource

    t0 = time.monotonic()
    from csmdesk.gui.main_window import MainWindow

    t1 = time.monotonic()
    from PySide6.QtCore import QEvent, QObject, QTimer

    from csmdesk.gui.app import make_app
    from csmdesk.gui.instance import SingleInstance
    from csmdesk.gui.theme import apply_theme
    from csmdesk.store import open_database

    t2 = time.monotonic()
    app = make_app()
    apply_theme(app, "system")
    instance = SingleInstance(db_path)
    if not instance.acquire():
        sys.exit(f"{db_path} is locked by another CSM Desk")
    t3 = time.monotonic()
    db = open_database(db_path)
    t4 = time.monotonic()
    window = MainWindow(db)
    t5 = time.monotonic()
    first_paint: list[float] = []

    class PaintSpy(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not first_paint:
                first_paint.append(time.monotonic())
            return False

    spy = PaintSpy()
    window.book.table.viewport().installEventFilter(spy)
    window.show()
    t6 = time.monotonic()
    result: dict[str, object] = {}

    def ready() -> None:  # first pass of the event loop
        app.processEvents()  # flush the layout and paint requests queued by show()
        t7 = time.monotonic()
        book = window.book
        result.update(
            t_top=T_TOP,
            t_ready=t7,
            import_main_window_ms=_ms(t1 - t0),
            import_rest_ms=_ms(t2 - t1),
            app_theme_lock_ms=_ms(t3 - t2),
            open_database_ms=_ms(t4 - t3),
            main_window_ms=_ms(t5 - t4),
            show_ms=_ms(t6 - t5),
            first_events_ms=_ms(t7 - t6),
            t_first_paint=first_paint[0] if first_paint else None,
            visible=window.isVisible(),
            rows_shown=book.proxy.rowCount(),
            rows_total=window.model.rowCount(),
            current_account=book.current_id(),
            vm_rss_mb=round(_vm_rss_mb(), 1),
            maxrss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            imported={m: m in sys.modules for m in MUST_BE_LAZY},
            watched=[m for m in ALSO_WATCH if m in sys.modules],
            modules=len(sys.modules),
        )
        window.close()
        app.quit()

    QTimer.singleShot(0, ready)
    app.exec()
    db.close()
    instance.release()
    print(json.dumps(result))
    return 0


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        CSMDESK_DATA_DIR=str(tmp / "data"),
        XDG_CONFIG_HOME=str(tmp / "config"),
    )
    env.pop("CSMDESK_DB", None)
    return env


def run_child(db: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="csmdesk-bench-") as tmp:
        cmd = [sys.executable, __file__, "--child", "--db", str(db)]
        t_launch = time.monotonic()
        proc = subprocess.run(cmd, env=_env(Path(tmp)), capture_output=True, text=True)
        t_exit = time.monotonic()
    if proc.returncode != 0:
        sys.exit(f"child failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["startup_to_window_ms"] = _ms(data["t_ready"] - t_launch)
    data["interpreter_ms"] = _ms(data["t_top"] - t_launch)
    paint = data["t_first_paint"]
    data["first_paint_ms"] = _ms(paint - t_launch) if paint is not None else None  # table
    data["process_wall_ms"] = _ms(t_exit - t_launch)
    return data


def run_entry_point(db: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="csmdesk-bench-") as tmp:
        cmd = [sys.executable, "-m", "csmdesk", "--db", str(db), "--quit-after", "1"]
        t = time.monotonic()
        proc = subprocess.run(cmd, env=_env(Path(tmp)), capture_output=True, text=True)
        wall = time.monotonic() - t
    if proc.returncode != 0:
        sys.exit(f"csmdesk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return _ms(wall)


def _line(name: str, values: list[float], unit: str = "ms") -> str:
    return (
        f"{name} median={statistics.median(values):.1f}{unit} min={min(values):.1f}{unit} "
        f"max={max(values):.1f}{unit} runs={len(values)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True, help="book file (make_book.py)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs (default: 5)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs (default: 1)")
    parser.add_argument(
        "--entry-runs", type=int, default=3, help="runs of python -m csmdesk (default: 3)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    db = args.db.expanduser().resolve()
    if not db.is_file():
        parser.error(f"{db} does not exist; build it with benchmarks/make_book.py")
    if args.child:
        return child(db)

    for _ in range(args.warmup):
        run_child(db)
    runs = [run_child(db) for _ in range(args.runs)]
    print(
        f"book={db} rows_total={runs[0]['rows_total']} rows_shown={runs[0]['rows_shown']} "
        f"visible={runs[0]['visible']} current_account={runs[0]['current_account']}"
    )
    for key in STEPS.split():
        values = [r[key] for r in runs if r[key] is not None]
        if values:
            print(_line(key, values))
    median = statistics.median(r["startup_to_window_ms"] for r in runs)
    print(f"budget startup<1500ms: {'ok' if median < 1500 else 'OVER'} (median {median:.0f} ms)")
    print(_line("vm_rss_mb", [r["vm_rss_mb"] for r in runs], " MB"))
    print(_line("maxrss_mb", [r["maxrss_mb"] for r in runs], " MB"))
    for name in MUST_BE_LAZY:
        hits = sum(r["imported"][name] for r in runs)
        print(f"imported_at_startup {name}={'yes' if hits else 'no'} ({hits}/{len(runs)} runs)")
    print(
        f"other_heavy_modules={sorted({m for r in runs for m in r['watched']}) or 'none'} "
        f"sys_modules={runs[0]['modules']}"
    )
    if args.entry_runs:
        walls = [run_entry_point(db) for _ in range(args.entry_runs)]
        print(_line("entry_point_wall_ms (python -m csmdesk --quit-after 1, start to exit)", walls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
