"""Running slow work off the GUI thread and hearing back by signal.

    task = Task(lambda report: importing.commit_plan(db, plan, progress=report))
    task.progressed.connect(bar.setValue2)
    task.succeeded.connect(done)
    task.failed.connect(show_error)
    task.start()

The callable receives ``report(done, total) -> bool``; it returns False once the user
cancelled, and the work is expected to stop (and roll back) then. Signals arrive on the
GUI thread through Qt's queued connections.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

Report = Callable[[int, int], bool]


class Task(QObject):
    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    finished = Signal()

    _running: set[Task] = set()  # keeps a started task alive until it reports

    def __init__(self, work: Callable[[Report], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _report(self, done: int, total: int) -> bool:
        try:
            self.progressed.emit(done, total)
        except RuntimeError:  # the owner was deleted: stop
            return False
        return not self._cancel.is_set()

    def start(self, pool: QThreadPool | None = None) -> None:
        Task._running.add(self)
        self.finished.connect(lambda: Task._running.discard(self))
        (pool or QThreadPool.globalInstance()).start(_Runner(self))

    def run_here(self) -> None:
        """Run on the calling thread (tests, or work known to be instant)."""
        _Runner(self).run()


class _Runner(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task = task

    def run(self) -> None:
        task = self.task
        try:
            result = task._work(task._report)
        except Exception as exc:  # reported to the GUI, which decides how to tell the user
            log.error("background task failed:\n%s", traceback.format_exc())
            _emit(task, "failed", exc)
        else:
            _emit(task, "succeeded", result)
        finally:
            _emit(task, "finished")


def _emit(task: Task, name: str, *args: object) -> None:
    """Emit unless the task's owner (and with it the task) is gone: nobody is listening then."""
    try:
        getattr(task, name).emit(*args)
    except RuntimeError:
        log.debug("task signal %s dropped: its owner was deleted", name)
