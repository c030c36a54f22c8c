"""A kill -9 while typing loses at most about a second of the note (a real process, a real kill)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from csmdesk.domain.accounts import AccountDraft
from csmdesk.services import accounts, notes
from csmdesk.store import open_database
from tests.gui.typing_driver import PACE_MS, TEXT

ROOT = Path(__file__).resolve().parents[2]


def test_kill_9_while_typing_loses_at_most_about_a_second(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite3"
    db = open_database(path)
    account = accounts.create_account(db, AccountDraft(name="Acme"))
    db.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CSMDESK_DATA_DIR": str(tmp_path)}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.typing_driver", str(path), str(account.id)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    typed = 0
    note_id = None
    deadline = time.monotonic() + 60
    try:
        for line in child.stdout:
            if line.startswith("note "):
                note_id = int(line.split()[1])
            elif line.startswith("typed "):
                typed = int(line.split()[1])
            if typed >= 400 or time.monotonic() > deadline:  # about 8 s of typing
                break
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL and note_id is not None and typed >= 400

    db = open_database(path)  # also proves the file is intact after the kill
    body = notes.get_note(db, note_id).body
    db.close()
    assert TEXT.startswith(body)  # never garbled, only possibly short
    lost = typed - len(body)
    print(f"typed {typed}, saved {len(body)}, lost {lost}")
    per_second = 1000 / PACE_MS
    assert lost <= 1.5 * per_second, f"lost {lost} characters ({lost / per_second:.2f} s)"
