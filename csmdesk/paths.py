"""Where CSM Desk keeps its files.

The user's database lives in the platform data dir; ``--db`` or ``CSMDESK_DB``
override it. The demo book always lives in a separate file so that trying the
demo can never touch real data.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import PlatformDirs

from csmdesk import APP_ID, ORG_NAME

DB_ENV = "CSMDESK_DB"
DATA_DIR_ENV = "CSMDESK_DATA_DIR"
DB_FILENAME = "csmdesk.sqlite3"
DEMO_FILENAME = "csmdesk-demo.sqlite3"

_dirs = PlatformDirs(APP_ID, ORG_NAME)


def data_dir() -> Path:
    """The folder for databases and backups (``CSMDESK_DATA_DIR`` overrides)."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override).expanduser() if override else Path(_dirs.user_data_dir)


def log_dir() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override).expanduser() / "logs" if override else Path(_dirs.user_log_dir)


def backup_dir() -> Path:
    return data_dir() / "backups"


def default_db_path() -> Path:
    return data_dir() / DB_FILENAME


def demo_db_path() -> Path:
    return data_dir() / DEMO_FILENAME


def resolve_db_path(cli_value: str | None, *, demo: bool = False) -> Path:
    """``--db`` wins over ``--demo``, which wins over ``CSMDESK_DB``, then the default."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    if demo:
        return demo_db_path()
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return default_db_path()


def resources_dir() -> Path:
    """Icons, themes and templates: inside the package when installed, beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "resources", here.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("CSM Desk resources are missing from this installation")
