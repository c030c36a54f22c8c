"""Guard against Qt bindings that leak references to None/True (fatal on Python 3.11).

PySide6 6.12.0 loses one reference to ``None`` per void call and one to ``True`` per signal
emission on Python 3.11; after a few thousand keystrokes the interpreter aborts with
"deallocating None". pyproject.toml excludes it; this test fails if such a build comes back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    ping = Signal()


def test_void_calls_and_emits_keep_singleton_refcounts(qapp) -> None:  # type: ignore[no-untyped-def]
    label, emitter = QLabel(), _Emitter()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(500):
        label.setText("x")
        emitter.ping.emit()
    assert abs(sys.getrefcount(None) - none_before) < 50
    assert abs(sys.getrefcount(True) - true_before) < 50
