"""QBR/EBR records travel in the book file: exported, imported back exactly, never doubled."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from csmdesk.models import Account, Review, Touchpoint
from csmdesk.services import reviews
from csmdesk.services.book_json import BookRejectedError, import_book_json
from csmdesk.services.export import export_book
from csmdesk.store import Database, open_database
from tests.conftest import TODAY
from tests.services.test_reviews import HEBREW, make_globex


@pytest.fixture
def fresh(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = open_database(tmp_path / "fresh.sqlite3")
    yield database
    database.close()


def _reviews(db: Database) -> dict[str, dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(Review, Account.uid.label("account_uid"), Touchpoint.uid.label("tp_uid"))
            .join(Account, Account.id == Review.account_id)
            .outerjoin(Touchpoint, Touchpoint.id == Review.touchpoint_id)
        ).mappings()
        return {
            row["uid"]: {
                k: v for k, v in row.items() if k not in ("id", "account_id", "touchpoint_id")
            }
            for row in rows
        }


def test_reviews_round_trip_through_the_book_file(
    db: Database, fresh: Database, tmp_path: Path
) -> None:
    aid = make_globex(db)
    held = reviews.prefill(db, aid, date(2026, 8, 20))
    assert held.id is not None
    reviews.update_review(db, held.id, {"goals": f"🚀 EU launch\n{HEBREW}\n\tindented\n"})
    reviews.mark_held(db, held.id, date(2026, 9, 15))
    reviews.prefill(db, aid, TODAY)
    path = tmp_path / "book.json"
    result = export_book(db, "json", path)
    assert result.counts["reviews"] == 2
    data = json.loads(path.read_text(encoding="utf-8"))
    record = next(r for r in data["reviews"] if r["period"] == "2026-Q3")
    assert record["goals"] == f"🚀 EU launch\n{HEBREW}\n\tindented\n"
    assert record["held_on"] == "2026-09-15"
    assert record["touchpoint_uid"] in {t["uid"] for t in data["touchpoints"]}
    report = import_book_json(fresh, path)
    assert report.created["reviews"] == 2
    assert _reviews(fresh) == _reviews(db)
    again = import_book_json(fresh, path)  # a second import updates, never doubles
    assert again.updated["reviews"] == 2 and len(_reviews(fresh)) == 2


def test_a_review_taking_another_reviews_period_is_refused(
    db: Database, fresh: Database, tmp_path: Path
) -> None:
    aid = make_globex(db)
    reviews.prefill(db, aid, TODAY)
    path = tmp_path / "book.json"
    export_book(db, "json", path)
    import_book_json(fresh, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["reviews"][0]["uid"] = "f" * 32  # same account, kind and period, another record
    data["reviews"].append({**data["reviews"][0], "uid": "e" * 32, "period": "2026-13"})
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BookRejectedError) as caught:
        import_book_json(fresh, path)
    text = str(caught.value)
    assert "the book already holds qbr review" in text
    assert "'2026-13' is not a quarter" in text
    assert len(_reviews(fresh)) == 1
