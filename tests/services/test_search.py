"""Search: any text is a valid query; accounts and contacts by word start, notes by full text."""

from __future__ import annotations

import pytest

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.services import accounts, contacts, records
from csmdesk.services.search import MARK_END, MARK_START, fts_query, search


@pytest.fixture
def book(db):  # type: ignore[no-untyped-def]
    acme = accounts.create_account(
        db, AccountDraft(name="Acme Robotics", domain="acme.com", tags=("sso",))
    )
    other = accounts.create_account(db, AccountDraft(name="Johansson Partners"))
    assert acme.id is not None and other.id is not None
    contacts.add_contact(db, acme.id, ContactDraft(name="Priya Nair", email="priya@acme.com"))
    records.add_note(db, acme.id, "Talked about the SSO rollout and 50% discount", title="Call")
    records.add_note(db, other.id, "Nothing about single sign-on here", title="Check-in")
    return db


def test_words_match_at_word_starts_and_notes_by_full_text(book) -> None:  # type: ignore[no-untyped-def]
    hits = search(book, "sso")
    assert [(h.kind, h.account_name) for h in hits] == [
        ("account", "Acme Robotics"),  # the tag, not "Johansson"
        ("note", "Acme Robotics"),
    ]
    note = hits[1]
    assert f"{MARK_START}SSO{MARK_END}" in note.snippet and note.title == "Call"
    assert [h.title for h in search(book, "priya acme")] == ["Priya Nair"]


@pytest.mark.parametrize(
    "query", ['"', 'acme "OR', "NEAR(", "*", "-", "AND OR NOT", "50%", "a_b", "\\", "'; DROP", "🚀"]
)
def test_hostile_queries_are_plain_words(book, query: str) -> None:  # type: ignore[no-untyped-def]
    search(book, query)  # never raises


def test_percent_is_literal(book) -> None:  # type: ignore[no-untyped-def]
    assert [h.kind for h in search(book, "50%")] == ["note"]


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('acme "sso') == '"acme" """sso"'
    assert fts_query("   ") is None
