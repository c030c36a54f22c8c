"""Logging: a rotating file in the platform log dir, named loggers per area.

Never log note bodies, tokens or other user content beyond ids and counts.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from csmdesk import paths

LOG_FILENAME = "csmdesk.log"
_configured = False


def log_file() -> Path:
    return paths.log_dir() / LOG_FILENAME


def setup_logging(level: str | None = None) -> Path | None:
    """Attach the rotating file handler once; returns the log file (None if unwritable)."""
    global _configured
    root = logging.getLogger()
    root.setLevel(level or os.environ.get("CSMDESK_LOG_LEVEL", "INFO"))
    if _configured:
        return log_file()
    _configured = True
    target = log_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler()
        target = None  # type: ignore[assignment]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return target
