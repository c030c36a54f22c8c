"""Notes reach the database off the GUI thread: the editor hands over text, a writer thread saves.

One writer thread per window. ``submit(note_id, body)`` costs the GUI thread a dictionary store
and a condition notify; the thread saves the newest text of each note in its own transaction
(``csmdesk.services.notes.save_note``), so a burst of typing becomes one write. A failed save
keeps the text and is retried with a growing pause; ``flush`` waits until everything handed
over is written (closing a note, ending a call, quitting).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from csmdesk.services import notes as service
from csmdesk.store import Database

log = logging.getLogger(__name__)

RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)


class NoteWriter(QObject):
    saved = Signal(int)  # note id: the newest text handed over is in the database
    failed = Signal(int, str)  # note id, why (the text is kept and retried)

    def __init__(
        self,
        db: Database,
        parent: QObject | None = None,
        save: Callable[[Database, int, str], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self._save = save or (lambda d, note_id, body: service.save_note(d, note_id, body))
        self._pending: dict[int, str] = {}
        self._busy: set[int] = set()
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="note-writer", daemon=True)
        self._thread.start()

    def submit(self, note_id: int, body: str) -> None:
        with self._cond:
            self._pending[note_id] = body
            self._cond.notify()

    def pending(self, note_id: int | None = None) -> bool:
        with self._cond:
            if note_id is None:
                return bool(self._pending or self._busy)
            return note_id in self._pending or note_id in self._busy

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every text handed over is written; False if that took too long."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> bool:
        done = self.flush(timeout)
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=2.0)
        return done

    def _run(self) -> None:
        failures = 0
        while True:
            with self._cond:
                while not self._pending and not self._stop:
                    self._cond.wait()
                if not self._pending and self._stop:
                    return
                note_id, body = next(iter(self._pending.items()))
                del self._pending[note_id]
                self._busy.add(note_id)
            try:
                self._save(self.db, note_id, body)
            except Exception as exc:  # kept and retried; the editor says so
                failures += 1
                log.warning("note %s not saved (attempt %d): %s", note_id, failures, type(exc))
                with self._cond:
                    self._pending.setdefault(note_id, body)  # newer text wins if typed since
                    self._busy.discard(note_id)
                    self._cond.notify_all()
                self.failed.emit(note_id, str(exc).splitlines()[0] if str(exc) else repr(exc))
                pause = RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1]
                with self._cond:
                    self._cond.wait_for(lambda: self._stop, timeout=pause)
                    if self._stop and failures > len(RETRY_SECONDS):
                        return
                continue
            failures = 0
            with self._cond:
                self._busy.discard(note_id)
                still = note_id in self._pending
                self._cond.notify_all()
            if not still:
                self.saved.emit(note_id)
