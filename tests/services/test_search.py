"""Search: any text is a valid query; accounts and contacts by word start, notes by full text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.services import accounts, contacts, records
from csmdesk.services.search import (
    MARK_END,
    MARK_START,
    fts_query,
    marked_html,
    plain,
    search,
    terms,
    utf16_length,
)


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


# --- ranking, filters, hostile text, escaping, offsets --------------------------------------


@pytest.fixture
def notes_book(db):  # type: ignore[no-untyped-def]
    acme = accounts.create_account(db, AccountDraft(name="Acme Robotics"))
    globex = accounts.create_account(db, AccountDraft(name="Globex"))
    assert acme.id is not None and globex.id is not None

    def add(account: int, title: str, body: str, kind: str, day: date) -> int:
        when = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
        note = records.add_note(db, account, body, title=title, kind=kind, created_at=when)
        assert note.id is not None
        return note.id

    ids = {
        "body_only": add(
            acme.id, "Weekly sync", "We talked about the migration plan.", "call", date(2026, 3, 2)
        ),
        "title": add(
            globex.id,
            "Migration kickoff",
            "First meeting, agenda attached.",
            "qbr",
            date(2026, 6, 15),
        ),
        "old": add(
            acme.id,
            "Old migration notes",
            "Earlier migration attempt.",
            "general",
            date(2025, 1, 10),
        ),
        "archived": add(acme.id, "Archived migration", "migration", "general", date(2026, 1, 1)),
    }
    from csmdesk.services import notes

    notes.archive_note(db, ids["archived"])
    return db, acme.id, globex.id, ids


def _note_ids(hits) -> list[int]:  # type: ignore[no-untyped-def]
    return [h.id for h in hits if h.kind == "note"]


def test_title_match_ranks_above_body_only_match(notes_book) -> None:  # type: ignore[no-untyped-def]
    db, _, _, ids = notes_book
    found = _note_ids(search(db, "migration"))
    assert found.index(ids["title"]) < found.index(ids["body_only"])
    assert ids["archived"] not in found


def test_filters_narrow_notes_by_account_kind_and_dates(notes_book) -> None:  # type: ignore[no-untyped-def]
    db, acme, globex, ids = notes_book
    assert set(_note_ids(search(db, "migration", account_id=acme))) == {
        ids["body_only"],
        ids["old"],
    }
    assert _note_ids(search(db, "migration", account_id=globex)) == [ids["title"]]
    assert _note_ids(search(db, "migration", kind="qbr")) == [ids["title"]]
    in_2026 = search(db, "migration", since=date(2026, 1, 1), until=date(2026, 3, 2))
    assert _note_ids(in_2026) == [ids["body_only"]]  # "until" includes its day
    assert _note_ids(search(db, "migration", until=date(2025, 12, 31))) == [ids["old"]]
    assert search(db, "migration", kind="ebr") == []


def test_account_filter_keeps_that_account_and_its_contacts_only(book) -> None:  # type: ignore[no-untyped-def]
    other = accounts.create_account(book, AccountDraft(name="Acme Labs"))
    assert other.id is not None
    hits = search(book, "acme", account_id=other.id)
    assert [(h.kind, h.account_name) for h in hits] == [("account", "Acme Labs")]
    assert all(h.kind == "note" for h in search(book, "sso", kind="general"))


def test_account_filter_ranks_title_matches_first(notes_book) -> None:  # type: ignore[no-untyped-def]
    db, acme, _, ids = notes_book
    assert _note_ids(search(db, "migration", account_id=acme)) == [ids["old"], ids["body_only"]]


HOSTILE = [
    '"',
    '""',
    '"unbalanced',
    "AND OR NOT",
    "*",
    "(",
    ")",
    "-foo",
    "NEAR(",
    'NEAR("a" "b", 2)',
    "title:secret",
    "^start",
    "a + b",
    "{col}",
    "🚀",
    "migration 🚀",
    "مرحبا بالعالم",
    "שלום migration",
    "\x00\x02\x03",
    "%_\\",
    "x" * 1000,
    ("migration " * 120)[:1000],
    "migration" + " AND" * 300,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_query_table_never_raises(notes_book, query: str) -> None:  # type: ignore[no-untyped-def]
    db, acme, _, _ = notes_book
    for filters in ({}, {"account_id": acme}, {"kind": "call"}):
        hits = search(db, query, **filters)  # type: ignore[arg-type]
        assert isinstance(hits, list)


def test_hostile_queries_give_sensible_results(notes_book) -> None:  # type: ignore[no-untyped-def]
    db, _, _, ids = notes_book
    assert search(db, "*") == [] and search(db, "🚀") == [] and search(db, '"') == []
    assert ids["title"] in _note_ids(search(db, "-migration"))  # a word, not a NOT
    assert ids["title"] in _note_ids(search(db, "(migration"))
    assert ids["title"] in _note_ids(search(db, "migration 🚀"))  # symbols-only words drop out
    assert ids["title"] in _note_ids(search(db, "migration AND"[:9]))
    assert _note_ids(search(db, "migration OR agenda")) == []  # OR is a word that must match
    assert ids["title"] in _note_ids(search(db, ("migration " * 120)[:1000]))


def test_quoted_phrase_means_words_in_order(notes_book) -> None:  # type: ignore[no-untyped-def]
    db, _, _, ids = notes_book
    assert _note_ids(search(db, '"migration plan"')) == [ids["body_only"]]
    assert _note_ids(search(db, '"plan migration"')) == []
    assert [t.text for t in terms('acme "sso')] == ["acme", '"sso']


def test_last_word_matches_as_prefix_while_typing(notes_book) -> None:  # type: ignore[no-untyped-def]
    db, _, _, ids = notes_book
    assert ids["title"] in _note_ids(search(db, "migra"))
    assert _note_ids(search(db, "migra ")) == []  # a space ends the word
    assert _note_ids(search(db, "mig")) == []  # three letters are a word, not a prefix


def test_snippet_html_escapes_the_note(db) -> None:  # type: ignore[no-untyped-def]
    acme = accounts.create_account(db, AccountDraft(name="Acme"))
    assert acme.id is not None
    records.add_note(
        db,
        acme.id,
        'Pasted <script>alert("x")</script> and <img src=http://evil.example/x.png> budget',
        title="Paste",
    )
    (hit,) = [h for h in search(db, "budget") if h.kind == "note"]
    rendered = marked_html(hit.snippet)
    assert "<script" not in rendered and "<img" not in rendered
    assert "&lt;script&gt;" in rendered and "&lt;img src=http://evil.example/x.png&gt;" in rendered
    assert "<b>budget</b>" in rendered
    assert plain(hit.snippet).count("<script>") == 1  # the CLI and the model keep the raw text


def test_marked_html_tags_always_pair() -> None:
    assert marked_html(f"a {MARK_END}b{MARK_START} c") == "a b<b> c</b>"
    assert marked_html(f"{MARK_START}{MARK_START}x{MARK_END}{MARK_END}") == "<b>x</b>"
    assert marked_html("line\n\nbreak &") == "line break &amp;"


@pytest.mark.parametrize(
    ("prefix", "astral"),
    [("", 0), ("Café résumé naïve — ", 0), ("🚀🎉 launch ", 2), ("e\u0301 👍🏽 Ωμέγα ", 2)],
)
def test_offset_of_first_match_counts_characters(db, prefix: str, astral: int) -> None:  # type: ignore[no-untyped-def]
    acme = accounts.create_account(db, AccountDraft(name="Acme"))
    assert acme.id is not None
    body = f"{prefix}the Renewal is due; renewal again"
    note = records.add_note(db, acme.id, body, title="Untitled")
    (hit,) = [h for h in search(db, "renewal") if h.kind == "note"]
    assert hit.id == note.id
    assert hit.offset == len(prefix) + 4 and body[hit.offset : hit.offset + 7] == "Renewal"
    assert hit.offset_utf16 == hit.offset + astral == utf16_length(body[: hit.offset])


def test_offset_finds_accented_match_and_is_minus_one_for_title_only(db) -> None:  # type: ignore[no-untyped-def]
    acme = accounts.create_account(db, AccountDraft(name="Acme"))
    assert acme.id is not None
    body = "Résumé: 🚀 the café opening"
    records.add_note(db, acme.id, body, title="Notes")
    (hit,) = [h for h in search(db, "cafe") if h.kind == "note"]  # diacritics folded
    assert body[hit.offset : hit.offset + 4] == "café"
    records.add_note(db, acme.id, "nothing here", title="Zanzibar trip")
    (title_only,) = [h for h in search(db, "zanzibar") if h.kind == "note"]
    assert title_only.offset == -1 and title_only.offset_utf16 == -1
