"""Shared fixtures: a headless Qt, isolated settings and data dirs, real temporary databases."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

# Must be set before anything imports Qt: the suite runs with no display.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

import pytest

TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No test may read or write the real user data, logs or settings."""
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("CSMDESK_DATA_DIR", str(data))
    monkeypatch.delenv("CSMDESK_DB", raising=False)
    yield


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    from PySide6.QtCore import QSettings

    path = str(tmp_path_factory.mktemp("settings"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, path)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "book.sqlite3"


@pytest.fixture
def db(db_path: Path):  # type: ignore[no-untyped-def]
    from csmdesk.store import open_database

    database = open_database(db_path)
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo book, built once per run; tests get their own copy."""
    from csmdesk.services.demo import build_demo_book
    from csmdesk.store import open_database

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    database = open_database(path)
    build_demo_book(database, today=TODAY)
    database.close()
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    from csmdesk.store import open_database

    target = tmp_path / "demo.sqlite3"
    shutil.copy(demo_template, target)
    database = open_database(target)
    yield database
    database.close()


@pytest.fixture
def message_log() -> Iterator[list[tuple[str, str, str]]]:
    """Record every message box instead of showing it; confirmations answer yes."""
    from csmdesk.gui import messages

    seen: list[tuple[str, str, str]] = []

    def handler(kind: str, title: str, text: str) -> bool:
        seen.append((kind, title, text))
        return True

    messages.set_handler(handler)
    yield seen
    messages.set_handler(None)
