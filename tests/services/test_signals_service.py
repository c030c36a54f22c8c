"""Signals as records: risks open, refresh, resolve and keep their history; expansion
suggestions are accepted or dismissed; the keyword lists live in the book."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from csmdesk.domain.accounts import AccountDraft, ContactDraft, ValidationError
from csmdesk.models import RiskStatus
from csmdesk.services import accounts, contacts, health, records, signals

TODAY = date(2026, 11, 25)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(15), tzinfo=UTC)


@pytest.fixture
def acme(db) -> int:  # type: ignore[no-untyped-def]
    """A steady, well-looked-after account: no risk signal fires today."""
    account = accounts.create_account(
        db,
        AccountDraft(name="Acme", licensed_seats=100, lifecycle="mature", segment="mid_market",
                     contract_start=date(2025, 1, 1), renewal_date=date(2027, 6, 1)),
    )  # fmt: skip
    assert account.id is not None
    contacts.add_contact(db, account.id, ContactDraft(name="Priya Shah", roles=("champion",)))
    contacts.add_contact(db, account.id, ContactDraft(name="Sam Lee", roles=("executive_sponsor",)))
    for week in range(12, -1, -1):
        records.record_health(db, account.id, TODAY - timedelta(weeks=week), active_users=60,
                              logins=500, open_tickets=3, feature_adoption_pct=60.0)  # fmt: skip
    records.log_touchpoint(db, account.id, "call", _at(TODAY - timedelta(days=5)))
    return account.id


def _kinds(db, account_id: int, status: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        r.kind for r in signals.list_risks(db, account_id) if status is None or r.status == status
    )


def test_a_quiet_account_has_no_risks(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    health.recompute(db, TODAY)
    assert signals.list_risks(db, acme) == []


def test_a_signal_opens_a_risk_with_history_then_refreshes_it(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    records.record_health(db, acme, TODAY, nps=5)
    health.recompute(db, TODAY, account_ids=[acme])
    (risk,) = signals.list_risks(db, acme)
    assert (risk.kind, risk.severity, risk.status) == ("detractor_nps", "medium", "open")
    assert risk.title == "Detractor NPS (5)" and risk.opened_on == TODAY
    (opened,) = signals.risk_history(db, risk.id)  # type: ignore[arg-type]
    assert opened.note.startswith("Opened by the signal: Latest NPS response 5")
    # The same signal the next day refreshes the same risk; a worse answer raises severity.
    health.recompute(db, TODAY + timedelta(days=1))
    assert len(signals.list_risks(db, acme)) == 1
    assert len(signals.risk_history(db, risk.id)) == 1  # type: ignore[arg-type]
    records.record_health(db, acme, TODAY + timedelta(days=2), nps=2)
    health.recompute(db, TODAY + timedelta(days=2))
    (risk,) = signals.list_risks(db, acme)
    assert (risk.severity, risk.title) == ("high", "Detractor NPS (2)")
    history = signals.risk_history(db, risk.id)  # type: ignore[arg-type]
    assert history[-1].note == "Severity up, medium → high: Detractor NPS (2)"
    assert history[-1].severity == "high"


def test_an_open_risk_resolves_by_itself_when_the_signal_stops(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    # No touchpoint within cadence (mid-market: 45 days) opens a risk ...
    later = TODAY + timedelta(days=50)
    health.recompute(db, later)
    assert _kinds(db, acme) == ["no_touchpoint"]
    # ... and logging a touchpoint makes it go away, with a line in its history.
    records.log_touchpoint(db, acme, "call", _at(later))
    health.recompute(db, later, account_ids=[acme])
    (risk,) = signals.list_risks(db, acme)
    assert risk.status == "resolved" and risk.resolved_on == later
    assert signals.risk_history(db, risk.id)[-1].note.startswith("Resolved by itself")  # type: ignore[arg-type]


def test_a_mitigating_risk_waits_for_the_csm(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    later = TODAY + timedelta(days=50)
    health.recompute(db, later)
    (risk,) = signals.list_risks(db, acme)
    with pytest.raises(ValidationError) as caught:
        signals.update_risk(db, risk.id, "mitigating", on=later, recovery_plan=" ")  # type: ignore[arg-type]
    assert "recovery_plan" in caught.value.errors
    signals.update_risk(db, risk.id, "mitigating", on=later,  # type: ignore[arg-type]
                        recovery_plan="Weekly calls with Priya", escalated_to="VP CS")  # fmt: skip
    records.log_touchpoint(db, acme, "call", _at(later))
    health.recompute(db, later, account_ids=[acme])
    (risk,) = signals.list_risks(db, acme)
    assert risk.status == "mitigating" and risk.escalated_to == "VP CS"
    assert risk.recovery_plan == "Weekly calls with Priya"
    signals.update_risk(db, risk.id, "resolved", on=later)  # type: ignore[arg-type]
    notes = [e.note for e in signals.risk_history(db, risk.id)]  # type: ignore[arg-type]
    assert notes[1] == "Mitigating by you. Plan: Weekly calls with Priya. Escalated to VP CS."
    assert notes[2].startswith("Resolved by you. Signal quiet until 2027-02-13")
    assert [e.status for e in signals.risk_history(db, risk.id)] == [  # type: ignore[arg-type]
        "open", "mitigating", "resolved"
    ]  # fmt: skip


def test_resolving_by_hand_mutes_the_signal_unless_it_gets_worse(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    records.record_health(db, acme, TODAY, nps=5)
    health.recompute(db, TODAY)
    (risk,) = signals.list_risks(db, acme)
    signals.update_risk(db, risk.id, "resolved", on=TODAY, note="Billing mix-up, sorted")  # type: ignore[arg-type]
    health.recompute(db, TODAY + timedelta(days=1))
    assert _kinds(db, acme, "open") == []  # muted for 30 days at "medium"
    records.record_health(db, acme, TODAY + timedelta(days=2), nps=1)
    health.recompute(db, TODAY + timedelta(days=2))
    assert _kinds(db, acme, "open") == ["detractor_nps"]  # worse: it speaks again
    assert len(signals.list_risks(db, acme)) == 2  # a new episode; the old one keeps its story


def test_reopening_a_resolved_risk_is_recorded(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    risk = signals.add_risk(db, acme, "Budget freeze announced", on=TODAY, severity="high")
    signals.update_risk(db, risk.id, "resolved", on=TODAY)  # type: ignore[arg-type]
    signals.update_risk(db, risk.id, "open", on=TODAY + timedelta(days=3))  # type: ignore[arg-type]
    events = signals.risk_history(db, risk.id)  # type: ignore[arg-type]
    assert [e.note for e in events] == ["Opened by you.", "Resolved by you.", "Reopened by you."]
    (again,) = signals.list_risks(db, acme)
    assert again.status == RiskStatus.OPEN.value and again.resolved_on is None


def test_manual_risks_are_never_touched_by_the_rules(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    risk = signals.add_risk(db, acme, "Reorg rumoured", on=TODAY, detail="Heard from Sam")
    health.recompute(db, TODAY)
    (same,) = signals.list_risks(db, acme)
    assert same.id == risk.id and same.status == "open" and same.kind == "manual"


def test_competitor_keywords_are_the_csms(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    records.add_note(db, acme, "They are trialling Zendesk Sell next month.",
                     created_at=_at(TODAY - timedelta(days=3)))  # fmt: skip
    health.recompute(db, TODAY)
    assert _kinds(db, acme) == []
    signals.save_settings(db, signals.make_settings(["Zendesk Sell", "zendesk sell", " "], []))
    assert signals.load_settings(db).competitors == ("Zendesk Sell",)
    health.recompute(db, TODAY)
    (risk,) = signals.list_risks(db, acme)
    assert risk.kind == "competitor_mentioned" and '"Zendesk Sell"' in risk.detail


def test_notes_older_than_sixty_days_or_archived_are_not_read(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    records.add_note(
        db, acme, "Gainsight pitched them.", created_at=_at(TODAY - timedelta(days=61))
    )
    notes = signals.recent_notes(db, TODAY)
    assert notes == {}
    records.add_note(db, acme, "Gainsight again.", created_at=_at(TODAY - timedelta(days=60)))
    assert [n.text for n in signals.recent_notes(db, TODAY)[acme]] == ["Gainsight again."]


@pytest.mark.parametrize(
    "words", [["x" * 61], [f"word{i}" for i in range(201)]], ids=["too long", "too many"]
)
def test_bad_keyword_lists_are_refused(db, words: list[str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        signals.make_settings(words, [])
    assert signals.load_settings(db) == signals.SignalSettings()


def test_expansion_suggestion_accepted_becomes_an_opportunity(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    records.record_health(db, acme, TODAY, active_users=95, nps=10)
    found = {s.kind: s for s in signals.expansion_suggestions(db, acme, TODAY)}
    assert set(found) == {"seats_near_limit", "active_users_growing", "promoter_nps"}
    opp = signals.accept_suggestion(db, acme, found["seats_near_limit"], on=TODAY,
                                    amount_minor=1_200_000)  # fmt: skip
    assert (opp.title, opp.source, opp.kind) == ("95% of seats in use", "signal", "expansion")
    assert [o.id for o in records.list_opportunities(db, acme)] == [opp.id]
    left = {s.kind for s in signals.expansion_suggestions(db, acme, TODAY + timedelta(days=179))}
    assert "seats_near_limit" not in left
    back = {s.kind for s in signals.expansion_suggestions(db, acme, TODAY + timedelta(days=181))}
    assert "promoter_nps" not in back  # the NPS answer is too old by then
    assert signals.dismiss_suggestion(db, acme, "promoter_nps", on=TODAY, days=10) == date(
        2026, 12, 5
    )
    assert {s.kind for s in signals.expansion_suggestions(db, acme, TODAY)} == {
        "active_users_growing"
    }


def test_dismissing_checks_its_input(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        signals.dismiss_suggestion(db, acme, "usage_decline", on=TODAY)
    with pytest.raises(ValidationError):
        signals.dismiss_suggestion(db, acme, "promoter_nps", on=TODAY, days=0)
    with pytest.raises(ValidationError):
        risk_signal = signals.Signal("usage_decline", "high", "x", "y", is_expansion=False)
        signals.accept_suggestion(db, acme, risk_signal, on=TODAY)
    assert records.list_opportunities(db, acme) == []


def test_counts_by_account_reports_the_worst(db, acme: int) -> None:  # type: ignore[no-untyped-def]
    signals.add_risk(db, acme, "A", on=TODAY, severity="low")
    signals.add_risk(db, acme, "B", on=TODAY, severity="critical")
    done = signals.add_risk(db, acme, "C", on=TODAY, severity="high")
    signals.update_risk(db, done.id, "resolved", on=TODAY)  # type: ignore[arg-type]
    assert signals.counts_by_account(db) == {acme: (2, "critical")}


def test_a_failed_refresh_leaves_the_risks_as_they_were(db, acme: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    records.record_health(db, acme, TODAY, nps=5)
    health.recompute(db, TODAY)
    before = [(r.id, r.status, r.severity) for r in signals.list_risks(db, acme)]
    records.record_health(db, acme, TODAY + timedelta(days=1), nps=1)

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(signals, "insert", broken)  # the history insert comes last
    with pytest.raises(RuntimeError):
        health.recompute(db, TODAY + timedelta(days=1))
    assert [(r.id, r.status, r.severity) for r in signals.list_risks(db, acme)] == before
