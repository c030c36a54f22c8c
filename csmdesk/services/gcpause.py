"""Keeping Python's cyclic garbage collector out of long bulk work.

Reading or syncing a book builds hundreds of thousands of small objects. Left alone, the
collector walks every live object of the process again and again meanwhile (15% of the time
of the book's numbers), and its full passes hold the interpreter lock for 50-100 ms, which a
worker thread must not do to the GUI thread. ``paused()`` switches automatic collection off;
``collect_young()`` (say, after each page of a sync) frees the young cycles in a few
milliseconds, so the full passes never come. Reference counting frees everything else as
usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def collect_young() -> None:
    """Collect the two young generations (cheap), as automatic collection would have."""
    gc.collect(1)
