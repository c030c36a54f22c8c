"""One window per database: a second start brings the first forward or refuses clearly."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

_RAISE = b"raise\n"


def _server_name(db_path: Path) -> str:
    digest = hashlib.sha1(str(db_path.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"csmdesk-{digest}"


class SingleInstance(QObject):
    """Holds a lock file beside the database and listens for "bring to front" requests."""

    activated = Signal()

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.lock = QLockFile(str(db_path.with_name(db_path.name + ".lock")))
        self.lock.setStaleLockTime(0)
        self.server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True when this process may open the database."""
        if not self.lock.tryLock(100):
            # A lock left by a crashed process is reclaimed; a live owner keeps it.
            if self.lock.removeStaleLockFile() and self.lock.tryLock(100):
                pass
            else:
                return False
        name = _server_name(self.db_path)
        QLocalServer.removeServer(name)
        self.server = QLocalServer(self)
        if not self.server.listen(name):
            log.warning("cannot listen for other instances: %s", self.server.errorString())
        self.server.newConnection.connect(self._on_connection)
        return True

    def _on_connection(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_message(s))

    def _on_message(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(_RAISE.strip()):
            self.activated.emit()
        socket.disconnectFromServer()

    def ask_first_to_raise(self) -> bool:
        """Tell the running instance to come forward; False when it did not answer."""
        socket = QLocalSocket()
        socket.connectToServer(_server_name(self.db_path))
        if not socket.waitForConnected(1000):
            return False
        socket.write(_RAISE)
        ok = socket.waitForBytesWritten(1000)
        socket.disconnectFromServer()
        return ok

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
        self.lock.unlock()
