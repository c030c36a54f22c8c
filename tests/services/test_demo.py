from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from csmdesk.domain.accounts import AccountDraft
from csmdesk.services import accounts
from csmdesk.services.demo import NotADemoBookError, build_demo_book, ensure_demo_book, is_demo
from csmdesk.store import open_database
from tests.conftest import TODAY

SUMMARY_SQL = {
    "accounts": "SELECT count(*) FROM account",
    "segments": "SELECT count(DISTINCT segment) FROM account",
    "stages": "SELECT count(DISTINCT lifecycle) FROM account",
    "champions": "SELECT count(*) FROM contact WHERE roles LIKE '%champion%'",
    "milestones": "SELECT count(*) FROM milestone",
    "enterprise": "SELECT count(*) FROM account WHERE segment = 'enterprise'",
    "touchpoints": "SELECT count(*) FROM touchpoint",
    "notes": "SELECT count(*) FROM note",
    "readings": "SELECT count(*) FROM healthreading",
    "risks": "SELECT count(*) FROM risk",
    "opportunities": "SELECT count(*) FROM opportunity",
    "arr_events": "SELECT count(*) FROM arrevent",
    "churned": "SELECT count(*) FROM arrevent WHERE kind='churn'",
    "weeks": "SELECT max(n) FROM (SELECT count(*) AS n FROM healthreading GROUP BY account_id)",
}


def _summary(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {k: conn.execute(q).fetchone()[0] for k, q in SUMMARY_SQL.items()}


def test_demo_book_is_rich(demo_db) -> None:  # type: ignore[no-untyped-def]
    s = _summary(demo_db.path)
    assert s["accounts"] == 40
    assert s["segments"] == 3 and s["stages"] == 5
    assert s["champions"] >= 40
    # Enterprise accounts follow the 90-day plan (10 milestones), the others the 30-day one (6).
    assert 0 < s["enterprise"] < 40
    assert s["milestones"] == 10 * s["enterprise"] + 6 * (40 - s["enterprise"])
    assert s["notes"] >= 80 and s["touchpoints"] >= 80
    assert s["weeks"] == 53  # a year of weekly readings, both ends included
    assert s["risks"] > 0 and s["opportunities"] > 0 and s["churned"] > 0
    assert is_demo(demo_db)


def test_demo_book_is_deterministic(tmp_path: Path, demo_template: Path) -> None:
    other = tmp_path / "again.sqlite3"
    db = open_database(other)
    build_demo_book(db, today=TODAY)
    db.close()
    assert _summary(other) == _summary(demo_template)
    with sqlite3.connect(other) as a, sqlite3.connect(demo_template) as b:
        query = "SELECT name, arr_minor, renewal_date, lifecycle FROM account ORDER BY id"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


def test_demo_never_writes_into_a_real_book(db) -> None:  # type: ignore[no-untyped-def]
    accounts.create_account(db, AccountDraft(name="My real customer"))
    with pytest.raises(NotADemoBookError):
        ensure_demo_book(db, today=TODAY)
    assert [r.name for r in accounts.list_book(db)] == ["My real customer"]


def test_ensure_demo_book_is_idempotent(demo_db) -> None:  # type: ignore[no-untyped-def]
    assert ensure_demo_book(demo_db, today=TODAY) is None
    assert accounts.count_accounts(demo_db, include_archived=True) == 40


def test_demo_book_has_a_believable_spread_of_health_and_risks(demo_db) -> None:  # type: ignore[no-untyped-def]
    with sqlite3.connect(demo_db.path) as conn:
        bands = dict(conn.execute("SELECT effective_band, count(*) FROM healthscore GROUP BY 1"))
        statuses = dict(conn.execute("SELECT status, count(*) FROM risk GROUP BY 1"))
        kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM risk")}
        history = conn.execute("SELECT count(DISTINCT risk_id) FROM riskevent").fetchone()[0]
        opened = {d for (d,) in conn.execute("SELECT DISTINCT opened_on FROM risk")}
    assert bands["at_risk"] >= 3 and bands["watch"] >= 3
    assert 0.6 <= bands["healthy"] / sum(bands.values()) <= 0.85
    assert statuses["open"] > statuses.get("mitigating", 0) >= 1 and statuses["resolved"] >= 1
    assert {"usage_decline", "ticket_spike", "detractor_nps", "champion_left"} <= kinds
    assert history == sum(statuses.values())  # every risk has its story
    assert len(opened) >= 3  # opened on the days their signals first fired
