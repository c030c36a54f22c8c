"""Health in the book: facts gathered from the database, scores stored, overrides, settings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from csmdesk.domain.accounts import AccountDraft, ContactDraft, ValidationError
from csmdesk.domain.health import Settings
from csmdesk.services import accounts, contacts, health, records

TODAY = date(2026, 11, 25)


@pytest.fixture
def acme(db) -> int:  # type: ignore[no-untyped-def]
    account = accounts.create_account(
        db,
        AccountDraft(name="Acme", licensed_seats=60, lifecycle="mature",
                     contract_start=date(2025, 1, 1), segment="enterprise"),
    )  # fmt: skip
    assert account.id is not None
    contacts.add_contact(db, account.id, ContactDraft(name="Priya", roles=("champion",)))
    for week in range(12, -1, -1):
        records.record_health(db, account.id, TODAY - timedelta(weeks=week), active_users=45,
                              logins=400, open_tickets=3, feature_adoption_pct=60.0)  # fmt: skip
    return account.id


def test_recompute_stores_scores_the_book_shows(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    assert health.stale_count(db, TODAY) == 1
    scores = health.recompute(db, TODAY)
    assert set(scores) == {acme}
    assert health.stale_count(db, TODAY) == 0
    (row,) = accounts.list_book(db)
    assert row.health == scores[acme].value and row.health is not None
    assert row.health_band == scores[acme].effective_band.value  # type: ignore[union-attr]
    cached = health.cached_scores(db)[acme]
    assert cached.explanation == scores[acme].explanation


def test_gather_facts_reads_readings_people_and_touchpoints(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    facts = health.gather_facts(db, TODAY)[acme]
    assert facts.seats == 60 and len(facts.readings) == 13
    assert [p.roles for p in facts.people] == [("champion",)]
    only_old = health.gather_facts(db, TODAY - timedelta(weeks=6))[acme]
    assert len(only_old.readings) == 7  # nothing after the date asked about


def test_override_wins_until_it_expires_and_can_be_cleared(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    health.set_override(db, acme, "at_risk", "Champion resigning next month",
                        TODAY + timedelta(days=10), today=TODAY)  # fmt: skip
    score = health.recompute(db, TODAY, account_ids=[acme])[acme]
    assert score.effective_band is not None and score.effective_band.value == "at_risk"
    assert score.override is not None and "resigning" in score.override.reason
    later = health.score_book(db, TODAY + timedelta(days=11))[acme]
    assert later.override is None and later.effective_band == later.band
    health.clear_override(db, acme)
    assert health.recompute(db, TODAY, account_ids=[acme])[acme].override is None
    assert len(health.list_overrides(db, acme)) == 1  # history is kept


@pytest.mark.parametrize(
    ("band", "reason", "days", "field"),
    [("great", "x", 5, "band"), ("watch", " ", 5, "reason"), ("watch", "x", -1, "expires_on")],
)
def test_bad_overrides_are_refused(
    db,
    acme: int,
    band: str,
    reason: str,
    days: int,  # type: ignore[no-untyped-def]
    field: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        health.set_override(db, acme, band, reason, TODAY + timedelta(days=days), today=TODAY)
    assert field in caught.value.errors
    assert health.list_overrides(db, acme) == []


def test_settings_are_kept_in_the_book(db) -> None:  # type: ignore[no-untyped-def]
    assert health.load_settings(db) == Settings()
    custom = Settings(weights={"adoption": 50, "engagement": 10, "support": 10, "sentiment": 20,
                               "relationship": 10}, healthy_at=75, watch_at=45)  # fmt: skip
    health.save_settings(db, custom)
    assert health.load_settings(db) == custom


def test_archived_and_churned_accounts_lose_their_score(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    health.recompute(db, TODAY)
    accounts.set_archived(db, [acme], True)
    health.recompute(db, TODAY, account_ids=[acme])
    assert acme not in health.cached_scores(db)


def test_account_health_history_starts_with_the_contract(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    data = health.account_health(db, acme, TODAY)
    assert data.score is not None and data.history[-1].on == TODAY
    assert len(data.history) == 53  # weekly for a year, the contract is older
    assert data.seats == 60 and len(data.readings) == 13


def test_gather_facts_for_a_long_list_of_accounts(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    other = accounts.create_account(db, AccountDraft(name="Other", licensed_seats=10))
    assert other.id is not None
    records.record_health(db, other.id, TODAY, active_users=5)
    many = [acme, *range(10_000, 11_000)]  # more than one SQL "IN" may hold
    facts = health.gather_facts(db, TODAY, many)
    assert set(facts) == {acme} and len(facts[acme].readings) == 13
    assert len(health.gather_facts(db, TODAY, [other.id])[other.id].readings) == 1
    assert health.gather_facts(db, TODAY, []) == {}


def test_the_accounts_own_cadence_counts(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from csmdesk.models import Account

    assert health.gather_facts(db, TODAY)[acme].cadence_days is None
    with db.session() as s:
        s.execute(update(Account).where(Account.id == acme).values(cadence_days=14))
    assert health.gather_facts(db, TODAY)[acme].cadence_days == 14


def test_scoring_follows_the_rhythm_settings_cadence(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, time

    from csmdesk.domain.rhythm import RhythmSettings
    from csmdesk.services import rhythm, signals

    when = datetime.combine(TODAY - timedelta(days=40), time(15), tzinfo=UTC)
    records.log_touchpoint(db, acme, "call", when)
    facts = health.gather_facts(db, TODAY)[acme]
    assert health.health.cadence_for(facts, TODAY) == 30  # enterprise default
    health.recompute(db, TODAY)
    found = {r.kind: r for r in signals.list_risks(db, acme) if r.status != "resolved"}
    assert found["no_touchpoint"].severity == "medium"  # 40 days > 30
    rhythm.save_settings(db, RhythmSettings(cadence_days={"enterprise": 60}))
    facts = health.gather_facts(db, TODAY)[acme]
    assert health.health.cadence_for(facts, TODAY) == 60
    health.recompute(db, TODAY)
    still = {r.kind for r in signals.list_risks(db, acme) if r.status != "resolved"}
    assert "no_touchpoint" not in still
