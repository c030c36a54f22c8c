"""Backups through SQLite's online backup API, their retention, and restore.

A backup is one self-contained SQLite file (rollback journal, no ``-wal``) copied
from a single read snapshot, so the window keeps writing while it is made. Every
failure leaves the database as it was: copies are written to a temporary file and
renamed into place, and a restore writes through the backup API in one transaction.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import socket
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from csmdesk import paths
from csmdesk.domain.accounts import ValidationError
from csmdesk.store import Database, migrate
from csmdesk.store.database import BUSY_TIMEOUT_MS, SQLITE_HEADER
from csmdesk.store.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseProblem,
    DatabaseUnwritableError,
    NewerSchemaError,
    NotADatabaseError,
    classify,
)

log = logging.getLogger(__name__)

KEEP_DAILY_KEY = "backup.keep_daily"
KEEP_WEEKLY_KEY = "backup.keep_weekly"
DEFAULT_KEEP_DAILY = 14
DEFAULT_KEEP_WEEKLY = 8
MAX_KEEP = 999

STEP_PAGES = 256  # 1 MiB per step at 4 KiB pages: short read locks, steady progress
BUSY_GIVE_UP_S = 10.0
SUFFIX = ".sqlite3"
_STAMP = "%Y%m%d-%H%M%S"
_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?\.sqlite3$")
_PARTIAL_MAX_AGE = timedelta(days=1)

Progress = Callable[[int, int], bool]
"""Called with (pages copied, pages in total) after each step; False cancels the copy."""


class BackupError(DatabaseProblem):
    """A user error around a backup: a missing file, a bad destination."""

    exit_code = 1


class BackupCancelled(Exception):
    """The user cancelled; nothing was written."""


class DatabaseInUseError(DatabaseBusyError):
    """The database is open in a running CSM Desk window."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    revision: str
    accounts: int
    size_bytes: int
    created_at: datetime

    @property
    def needs_upgrade(self) -> bool:
        return self.revision != migrate.HEAD


@dataclass(frozen=True)
class Retention:
    keep_daily: int = DEFAULT_KEEP_DAILY
    keep_weekly: int = DEFAULT_KEEP_WEEKLY


# --- names and places -------------------------------------------------------


def _local(now: datetime | None) -> datetime:
    """Aware local time; a naive ``now`` is taken as local time."""
    return (now or datetime.now()).astimezone()


def backup_folder(db_path: Path) -> Path:
    """Backups of each database live apart (the demo book never mixes with the real one)."""
    return paths.backup_dir() / Path(db_path).stem


def _free_name(folder: Path, stem: str, when: datetime) -> Path:
    base = f"{stem}-{when.strftime(_STAMP)}"
    target = folder / f"{base}{SUFFIX}"
    n = 2
    while target.exists():
        target = folder / f"{base}-{n}{SUFFIX}"
        n += 1
    return target


def _parse_name(path: Path, stem: str) -> tuple[datetime, int] | None:
    match = _NAME.match(path.name)
    if match is None or match["stem"] != stem:
        return None
    try:
        stamp = datetime.strptime(match["stamp"], _STAMP)
    except ValueError:
        return None
    return stamp, int(match["n"] or 1)


def list_backups(folder: Path, stem: str | None = None) -> list[tuple[datetime, Path]]:
    """Backups made by CSM Desk in ``folder`` (naive local times), newest first."""
    stem = stem or Path(folder).name
    found: list[tuple[datetime, int, Path]] = []
    if not Path(folder).is_dir():
        return []
    for path in Path(folder).iterdir():
        parsed = _parse_name(path, stem)
        if parsed is not None and path.is_file():
            found.append((parsed[0], parsed[1], path))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [(stamp, path) for stamp, _, path in found]


# --- copying ----------------------------------------------------------------


def _open_ro(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _copy(src: sqlite3.Connection, dst: sqlite3.Connection, progress: Progress | None) -> None:
    started = time.monotonic()

    def step(status: int, remaining: int, total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            if time.monotonic() - started > BUSY_GIVE_UP_S:
                raise sqlite3.OperationalError("database is locked")
        elif progress is not None and progress(total - remaining, total) is False:
            raise BackupCancelled("Backup cancelled; nothing was written.")

    src.backup(dst, pages=STEP_PAGES, progress=step)


def _check_copy(conn: sqlite3.Connection, source: Path) -> None:
    rows = conn.execute("PRAGMA quick_check").fetchall()
    if rows != [("ok",)]:
        first = rows[0][0] if rows else "no answer"
        raise DatabaseCorruptError(
            source,
            f"{source} looks damaged: a fresh copy of it failed SQLite's check ({first}). "
            "The copy was discarded and the database was not changed.",
        )


def _snapshot(
    source: Path,
    target: Path,
    *,
    require_csmdesk: bool,
    progress: Progress | None = None,
) -> None:
    """Copy ``source`` from one read snapshot into ``target``, checked, renamed into place."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        src = _open_ro(source)
        try:
            # An open read transaction pins one WAL snapshot: other connections keep
            # writing, and the copy never restarts because of them.
            src.execute("BEGIN")
            revision = migrate.current_revision(src)
            if require_csmdesk and revision is None:
                raise NotADatabaseError(
                    source, f"{source} is not a CSM Desk database; nothing was backed up."
                )
            dst = sqlite3.connect(partial)
            try:
                _copy(src, dst, progress)
                dst.execute("PRAGMA journal_mode=DELETE")
                _check_copy(dst, source)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        problem = classify(exc, target if _writes_failed(exc) else source)
        if problem is None:
            raise
        raise problem from exc
    except OSError as exc:
        raise DatabaseUnwritableError(
            target, f"CSM Desk cannot write {target}: {exc.strerror or exc}."
        ) from exc
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)


def _writes_failed(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "full" in text or "readonly" in text or "unable to open" in text


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise BackupError(path, f"There is no {what} at {path}.")
    if not path.is_file():
        raise BackupError(path, f"{path} is a folder, not a {what} file.")
    if path.stat().st_size == 0:
        raise BackupError(path, f"{path} is empty; it holds no {what}.")
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise NotADatabaseError(
                path,
                f"{path} is not a CSM Desk {what} (not an SQLite file). It was left untouched.",
            )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def backup_now(
    db_path: Path | str,
    dest: Path | str | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> Path:
    """Back up the database at ``db_path``, safely while the window has it open.

    ``dest`` is a file to write (replaced atomically if it exists) or a folder to put
    the timestamped file in; by default the database's folder under the backups dir.
    """
    db_path = Path(db_path)
    _require_file(db_path, "database")
    when = _local(now)
    stem = db_path.stem
    if dest is None:
        folder = backup_folder(db_path)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnwritableError(
                folder, f"CSM Desk cannot create the backup folder {folder}: {exc.strerror}."
            ) from exc
        target = _free_name(folder, stem, when)
    else:
        dest = Path(dest).expanduser()
        if dest.is_dir():
            target = _free_name(dest, stem, when)
        elif not dest.parent.is_dir():
            raise BackupError(dest, f"The folder {dest.parent} does not exist.")
        else:
            target = dest
    own = [db_path.with_name(db_path.name + s) for s in ("", "-wal", "-shm", "-journal")]
    if any(_same_file(target, p) or target.resolve() == p.resolve() for p in own):
        raise BackupError(target, f"{target} is the database itself; choose another file.")
    started = time.monotonic()
    _snapshot(db_path, target, require_csmdesk=True, progress=progress)
    log.info(
        "backed up %s to %s (%d bytes) in %.2f s",
        db_path.name,
        target,
        target.stat().st_size,
        time.monotonic() - started,
    )
    return target


# --- retention --------------------------------------------------------------


def _parse_keep(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if 1 <= number <= MAX_KEEP else default


def retention(db: Database) -> Retention:
    from csmdesk.services.records import get_meta

    return Retention(
        _parse_keep(get_meta(db, KEEP_DAILY_KEY), DEFAULT_KEEP_DAILY),
        _parse_keep(get_meta(db, KEEP_WEEKLY_KEY), DEFAULT_KEEP_WEEKLY),
    )


def set_retention(db: Database, keep_daily: int, keep_weekly: int) -> Retention:
    """Store how many daily and weekly backups to keep (each 1 to 999)."""
    from csmdesk.services.records import set_meta

    errors: dict[str, str] = {}
    for field, value in (("keep_daily", keep_daily), ("keep_weekly", keep_weekly)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_KEEP:
            errors[field] = f"Choose a whole number from 1 to {MAX_KEEP}."
    if errors:
        raise ValidationError(errors)
    with db.session() as session:
        set_meta(db, KEEP_DAILY_KEY, str(keep_daily), session=session)
        set_meta(db, KEEP_WEEKLY_KEY, str(keep_weekly), session=session)
    return Retention(keep_daily, keep_weekly)


def _read_retention(db_path: Path) -> Retention:
    """The settings straight from the file: the daily backup has no Database to hand."""
    try:
        conn = _open_ro(db_path)
        try:
            rows = dict(
                conn.execute(
                    "SELECT key, value FROM meta WHERE key IN (?, ?)",
                    (KEEP_DAILY_KEY, KEEP_WEEKLY_KEY),
                ).fetchall()
            )
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("cannot read backup settings of %s (%s); using defaults", db_path.name, exc)
        return Retention()
    return Retention(
        _parse_keep(rows.get(KEEP_DAILY_KEY), DEFAULT_KEEP_DAILY),
        _parse_keep(rows.get(KEEP_WEEKLY_KEY), DEFAULT_KEEP_WEEKLY),
    )


def prune(
    folder: Path | str,
    keep_daily: int = DEFAULT_KEEP_DAILY,
    keep_weekly: int = DEFAULT_KEEP_WEEKLY,
    *,
    now: datetime | None = None,
    stem: str | None = None,
) -> list[Path]:
    """Keep the newest backup of each of the last ``keep_daily`` days that have one and of
    each of the last ``keep_weekly`` ISO weeks; delete the other backups, returned.

    Only files named like CSM Desk's own backups of ``stem`` (default: the folder's
    name) are considered; backups dated after ``now`` are kept and not counted.
    """
    if keep_daily < 1 or keep_weekly < 0:
        raise ValueError("keep at least one daily backup")
    folder = Path(folder)
    limit = _local(now).replace(tzinfo=None)
    backups = [(stamp, path) for stamp, path in list_backups(folder, stem) if stamp <= limit]
    keep: set[Path] = set()
    days: set[date] = set()
    weeks: set[tuple[int, int]] = set()
    for stamp, path in backups:  # newest first, so the first of a day is its newest
        if stamp.date() not in days and len(days) < keep_daily:
            days.add(stamp.date())
            keep.add(path)
        week = stamp.isocalendar()[:2]
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.add(week)
            keep.add(path)
    deleted = [path for _, path in backups if path not in keep]
    deleted += _stale_partials(folder, stem or folder.name)
    for path in deleted:
        try:
            path.unlink()
        except OSError as exc:
            log.warning("cannot delete old backup %s: %s", path, exc)
    if deleted:
        log.info("pruned %d old backups in %s", len(deleted), folder)
    return deleted


def _stale_partials(folder: Path, stem: str) -> list[Path]:
    """Copies a crash left half-written (a day old: never one being written now)."""
    cutoff = time.time() - _PARTIAL_MAX_AGE.total_seconds()
    found = []
    for path in folder.glob(f".{glob.escape(stem)}-*.partial*"):
        name = path.name[1:].split(".partial", 1)[0]
        if _parse_name(Path(name), stem) and path.stat().st_mtime < cutoff:
            found.append(path)
    return found


def ensure_daily_backup(db_path: Path | str, *, now: datetime | None = None) -> Path | None:
    """Back up unless this database already has a backup from today; then prune."""
    db_path = Path(db_path)
    if not db_path.is_file() or db_path.stat().st_size == 0:
        return None
    when = _local(now)
    folder = backup_folder(db_path)
    today = when.date()
    made = None
    if not any(stamp.date() == today for stamp, _ in list_backups(folder, db_path.stem)):
        made = backup_now(db_path, now=when)
    keep = _read_retention(db_path)
    prune(folder, keep.keep_daily, keep.keep_weekly, now=when, stem=db_path.stem)
    return made


# --- checking and restoring -------------------------------------------------


def check_backup_file(path: Path | str) -> BackupInfo:
    """Refuse anything that is not an intact CSM Desk database this version can open."""
    path = Path(path)
    _require_file(path, "backup")
    try:
        conn = _open_ro(path)
        try:
            conn.execute("BEGIN")
            revision = migrate.current_revision(conn)
            if revision is None:
                raise NotADatabaseError(
                    path, f"{path} is an SQLite file but not a CSM Desk database or backup."
                )
            if revision not in migrate.REVISIONS:
                raise NewerSchemaError(
                    path,
                    f"{path} was written by a newer version of CSM Desk (schema {revision}). "
                    "Update CSM Desk to restore it.",
                )
            rows = conn.execute("PRAGMA integrity_check(5)").fetchall()
            if rows != [("ok",)]:
                raise DatabaseCorruptError(
                    path, f"{path} is damaged ({rows[0][0]}); it cannot be restored."
                )
            accounts = _count_accounts(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if _is_busy(exc):
            raise DatabaseBusyError(path, f"{path} is busy in another program.") from exc
        raise DatabaseCorruptError(
            path, f"{path} is damaged ({exc}); it cannot be restored."
        ) from exc
    stat = path.stat()
    match = _NAME.match(path.name)
    parsed = _parse_name(path, match["stem"]) if match else None
    created = (
        parsed[0].astimezone() if parsed else datetime.fromtimestamp(stat.st_mtime).astimezone()
    )
    return BackupInfo(path, revision, accounts, stat.st_size, created)


def _count_accounts(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT count(*) FROM account WHERE archived_at IS NULL").fetchone()
    except sqlite3.OperationalError:
        row = conn.execute("SELECT count(*) FROM account").fetchone()
    return int(row[0])


def lock_path(db_path: Path) -> Path:
    """The lock file a CSM Desk window holds beside its database (a ``QLockFile``)."""
    return db_path.with_name(db_path.name + ".lock")


def window_pid(db_path: Path | str) -> int | None:
    """The process of a running CSM Desk window on this database, or None.

    The lock file's lines are PID, application name, host name. A lock whose process
    is gone is stale and ignored; one from another host cannot be checked and counts.
    """
    lock = lock_path(Path(db_path))
    try:
        lines = lock.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    except OSError:
        return 0  # unreadable: someone holds it, we cannot tell who
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        return None
    if pid <= 0:
        return None
    host = lines[2].strip() if len(lines) > 2 else ""
    if host and host.lower() != socket.gethostname().lower():
        return pid
    return pid if _pid_alive(pid) else None


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _refuse_if_open(db_path: Path) -> None:
    pid = window_pid(db_path)
    if pid is not None:
        owner = f" (process {pid})" if pid else ""
        raise DatabaseInUseError(
            db_path,
            f"{db_path} is open in a CSM Desk window{owner}. Close that window, or use "
            f"Restore… in it. If no CSM Desk is running, delete {lock_path(db_path)}.",
        )


def _aside_name(db_path: Path, when: datetime) -> Path:
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = db_path.suffix or SUFFIX
    target = db_path.with_name(f"{db_path.stem}.before-restore-{stamp}{suffix}")
    n = 2
    while target.exists():
        target = db_path.with_name(f"{db_path.stem}.before-restore-{stamp}-{n}{suffix}")
        n += 1
    return target


def _keep_aside(db_path: Path, when: datetime) -> Path:
    """Snapshot the current database (with its WAL); a damaged one is copied byte for byte."""
    target = _aside_name(db_path, when)
    try:
        _snapshot(db_path, target, require_csmdesk=False)
    except (NotADatabaseError, DatabaseCorruptError) as exc:
        log.warning("%s cannot be read (%s); keeping its bytes aside instead", db_path.name, exc)
        wal = db_path.with_name(db_path.name + "-wal")
        try:
            shutil.copy2(db_path, target)
            if wal.exists():
                shutil.copy2(wal, target.with_name(target.name + "-wal"))
        except OSError as os_exc:
            target.unlink(missing_ok=True)
            raise DatabaseUnwritableError(
                target, f"CSM Desk cannot keep {db_path} aside: {os_exc.strerror}."
            ) from os_exc
    return target


def _write_into(backup_file: Path, db_path: Path) -> None:
    """Replace the content of ``db_path`` in one transaction of the backup API."""
    src = _open_ro(backup_file)
    try:
        src.execute("BEGIN")
        dst = sqlite3.connect(db_path)
        try:
            dst.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            mode = dst.execute("PRAGMA journal_mode").fetchone()[0]
            src_size = src.execute("PRAGMA page_size").fetchone()[0]
            dst_size = dst.execute("PRAGMA page_size").fetchone()[0]
            if mode == "wal" and src_size != dst_size:
                # The backup API cannot change the page size of a WAL database.
                dst.execute("PRAGMA journal_mode=DELETE")
            try:
                # Stepwise, yet one write transaction on ``dst`` until the last page.
                _copy(src, dst, None)
            finally:
                try:
                    dst.execute("PRAGMA journal_mode=WAL")
                except sqlite3.Error as exc:
                    log.warning("cannot set WAL mode on %s: %s", db_path.name, exc)
        finally:
            dst.close()
    finally:
        src.close()


def _replace_file(backup_file: Path, db_path: Path) -> None:
    """For a target SQLite cannot read at all: write beside it, then swap files."""
    fresh = db_path.with_name(f".{db_path.name}.restoring")
    _snapshot(backup_file, fresh, require_csmdesk=True)
    for suffix in ("-wal", "-shm", "-journal"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    os.replace(fresh, db_path)


def _put_in_place(backup_file: Path, db_path: Path, has_data: bool) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_into(backup_file, db_path)
    except sqlite3.Error as exc:
        if _is_busy(exc) or _writes_failed(exc) or not has_data:
            problem = classify(exc, db_path)
            if problem is None:
                raise
            raise problem from exc
        # Kept aside byte for byte already; SQLite cannot write into what it cannot read.
        log.warning("%s is not readable (%s); replacing the file", db_path.name, exc)
        _replace_file(backup_file, db_path)


def restore(
    db_path: Path | str,
    backup_file: Path | str,
    *,
    now: datetime | None = None,
    ignore_lock: bool = False,
) -> Path | None:
    """Put a checked backup in place of the database; returns where the previous one was
    kept (None when there was none).

    Refused while a CSM Desk window has the database open; the window itself passes
    ``ignore_lock=True`` after closing its own connections.
    """
    db_path, backup_file = Path(db_path), Path(backup_file)
    info = check_backup_file(backup_file)
    if _same_file(backup_file, db_path):
        raise BackupError(backup_file, f"{backup_file} is the database itself.")
    if not ignore_lock:
        _refuse_if_open(db_path)
    when = _local(now)
    has_data = db_path.is_file() and db_path.stat().st_size > 0
    aside = _keep_aside(db_path, when) if has_data else None
    try:
        _put_in_place(backup_file, db_path, has_data)
    except DatabaseProblem:
        if aside is not None:  # the database was not changed: the copy is not needed
            for path in (aside, aside.with_name(aside.name + "-wal")):
                path.unlink(missing_ok=True)
        raise
    except OSError as exc:
        raise DatabaseUnwritableError(
            db_path, f"CSM Desk cannot write {db_path}: {exc.strerror or exc}."
        ) from exc
    log.info(
        "restored %s from %s (schema %s, %d accounts); previous kept as %s",
        db_path.name,
        backup_file,
        info.revision,
        info.accounts,
        aside,
    )
    return aside
