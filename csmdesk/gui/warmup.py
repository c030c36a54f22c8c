"""Loading Matplotlib before the first chart is asked for.

Every chart page (Health tab, Book health, Numbers) needs Matplotlib, whose import takes
about 0.4 s. Left to the first chart, that is 0.4 s the CSM waits for; done on a background
thread a few seconds after the window is up, it costs nothing anyone sees: the import is
Python byte code, which yields the interpreter lock to the GUI thread every few
milliseconds. Only the Qt-free parts are imported there; the Qt backend (30 ms) loads with
the first chart, on the GUI thread.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

from PySide6.QtCore import QTimer

log = logging.getLogger(__name__)

MODULES = (
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.ticker",
    "matplotlib.dates",
    "matplotlib.patches",
)
DELAY_MS = 3000


def warm_later(delay_ms: int = DELAY_MS) -> None:
    """Start the import ``delay_ms`` after the event loop runs (so never during start-up)."""
    QTimer.singleShot(delay_ms, _start)


def _start() -> None:
    threading.Thread(target=_import, name="chart-warmup", daemon=True).start()


def _import() -> None:
    start = time.perf_counter()
    try:
        for name in MODULES:
            importlib.import_module(name)
    except Exception:  # charts then load on first use, as without the warm-up
        log.warning("Matplotlib warm-up failed", exc_info=True)
        return
    log.debug(
        "Matplotlib loaded in the background in %.0f ms", (time.perf_counter() - start) * 1000
    )
