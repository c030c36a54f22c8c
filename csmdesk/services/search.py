"""Finding things: notes through the FTS5 index, accounts and contacts by name, domain or email.

Any text is a valid query. The query is never handed to FTS5 as written: it is cut into words
(and phrases between a balanced pair of double quotes), each becomes a quoted FTS5 string, so
quotes, operators (``AND``, ``NEAR(``, ``-foo``, ``*``) and symbols are plain words, never a
syntax error. Every word must match; the last word also matches as a prefix while it is being
typed (no trailing space), so ``renew`` finds "renewal".

Notes are ranked by bm25 with the title weighted above the body. Snippets carry
``MARK_START``/``MARK_END`` around matched words; :func:`marked_html` turns them into HTML with
the note text escaped, so a note is always shown as text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from csmdesk.store import Database

MARK_START, MARK_END = "\x02", "\x03"  # around matched words in a snippet; callers style them

TITLE_WEIGHT, BODY_WEIGHT = 5.0, 1.0  # bm25 column weights: a word in the title counts 5 times
MAX_TERMS = 16  # a pasted paragraph still answers fast; the first 16 distinct words decide
MAX_QUERY_CHARS = 1000
MIN_PREFIX_CHARS = 4  # "the", "sso", "api" are words; shorter prefixes merge much of the index
SNIPPET_TOKENS = 16


@dataclass(frozen=True)
class Hit:
    kind: str  # "account", "contact" or "note"
    id: int
    account_id: int
    account_name: str
    title: str
    snippet: str
    when: str  # ISO date (UTC) of the note, "" for accounts and contacts
    note_kind: str = ""  # the note's kind ("qbr", "call", …), "" for accounts and contacts
    # Where the first match in the note's body starts, -1 when only the title matched: in
    # characters (code points, Python's str index) and in UTF-16 units (what a QTextCursor
    # position counts; they differ once an emoji or other astral character comes before).
    offset: int = -1
    offset_utf16: int = -1

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool  # written between double quotes: the words must follow each other


def _has_token_chars(word: str) -> bool:
    """Whether the FTS5 unicode61 tokenizer would find a token in ``word`` (letters, digits)."""
    return any(
        unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Co" for ch in word
    )


def terms(query: str) -> list[Term]:
    """The words and quoted phrases of ``query``; words of symbols only (``*``, ``🚀``) drop out.

    A double quote without its pair is an ordinary character of its word.
    """
    query = query[:MAX_QUERY_CHARS]
    found: list[Term] = []
    seen: set[tuple[str, bool]] = set()
    pos = 0
    for m in re.finditer(r'"([^"]*)"', query):
        pieces = [(w, False) for w in query[pos : m.start()].split()]
        pieces.append((" ".join(m.group(1).split()), True))
        pos = m.end()
        _add_terms(found, seen, pieces)
    _add_terms(found, seen, [(w, False) for w in query[pos:].split()])
    return found[:MAX_TERMS]


def _add_terms(
    found: list[Term], seen: set[tuple[str, bool]], pieces: list[tuple[str, bool]]
) -> None:
    for word, phrase in pieces:
        if " " not in word:
            phrase = False  # a quoted single word is just that word
        key = (word.casefold(), phrase)
        if word and _has_token_chars(word) and key not in seen:
            seen.add(key)
            found.append(Term(word, phrase))


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts_query(query: str, *, prefix_last: bool = False) -> str | None:
    """Each word as a literal FTS5 string (a quote inside doubled); ``None`` when empty.

    With ``prefix_last`` the last word (unless it is a quoted phrase, or the query ends with a
    space) also matches longer words: ``"acme" "ren"*``.
    """
    found = terms(query)
    if not found:
        return None
    parts = [_quote(t.text) for t in found]
    last = found[-1]
    if (
        prefix_last
        and not last.phrase
        and not query[:MAX_QUERY_CHARS][-1:].isspace()
        and not query.rstrip().endswith('"')
        and sum(ch.isalnum() for ch in last.text) >= MIN_PREFIX_CHARS
    ):
        parts[-1] += "*"
    return " ".join(parts)


def _like(word: str) -> str:
    """A LIKE pattern for ``word`` at the start of a space-separated word."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "% " + escaped + "%"


def _like_words(found: list[Term]) -> list[str]:
    """Words for the name/domain/email match, without the punctuation around them (``(acme``)."""
    words = []
    for t in found:
        word = t.text.lower().strip("\"'()[]{}<>*-+!?,;:.~^")
        if word and _has_token_chars(word):
            words.append(word)
    return words


def _day_start(day: date) -> str:
    """``created_at`` is stored as naive UTC text ("2026-11-25 09:30:00.000000")."""
    return day.isoformat()


def search(
    db: Database,
    query: str,
    *,
    limit: int = 20,
    account_id: int | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[Hit]:
    """Accounts and contacts first (they are what people jump to), then ranked notes.

    ``limit`` applies to each of the three kinds. ``account_id`` narrows everything to that
    account (the account itself, its contacts, its notes); ``kind`` and the date range
    (``since``/``until``, inclusive days of ``created_at`` in UTC, as ``Hit.when`` shows them)
    concern notes only, so with either set no accounts or contacts come back.
    """
    found = terms(query)
    match = fts_query(query, prefix_last=True)
    if not found or match is None:
        return []
    hits: list[Hit] = []
    notes_only = kind is not None or since is not None or until is not None
    with db.engine.connect() as conn:
        words = _like_words(found)
        if words and not notes_only:
            hits += _accounts_and_contacts(conn, words, limit, account_id)
        hits += _notes(conn, match, limit, account_id, kind, since, until)
    return hits


def _accounts_and_contacts(
    conn: Any, words: list[str], limit: int, account_id: int | None
) -> list[Hit]:
    # Accounts and contacts match at the start of a word ("sso" finds the tag "sso", not
    # "Johansson"); notes go through the full-text index.
    account_where = " AND ".join(
        f"(' ' || name || ' ' || coalesce(domain, '') || ' ' || replace(tags, ',', ' ')) "
        f"LIKE :w{i} ESCAPE '\\'"
        for i in range(len(words))
    )
    contact_where = " AND ".join(
        f"(' ' || c.name || ' ' || replace(replace(coalesce(c.email, ''), '@', ' '), '.', ' ')) "
        f"LIKE :w{i} ESCAPE '\\'"
        for i in range(len(words))
    )
    params: dict[str, object] = {f"w{i}": _like(w) for i, w in enumerate(words)}
    params["limit"] = limit
    params["account"] = account_id
    hits: list[Hit] = []
    for row in conn.execute(
        text(
            f"SELECT id, name, coalesce(domain, '') FROM account WHERE {account_where} "
            "AND archived_at IS NULL AND (:account IS NULL OR id = :account) "
            "ORDER BY lower(name) LIMIT :limit"
        ),
        params,
    ):
        hits.append(Hit("account", row[0], row[0], row[1], row[1], row[2], ""))
    for row in conn.execute(
        text(
            "SELECT c.id, c.account_id, a.name, c.name, coalesce(c.email, ''), "
            "coalesce(c.title, '') FROM contact c JOIN account a ON a.id = c.account_id "
            f"WHERE {contact_where} AND (:account IS NULL OR c.account_id = :account) "
            "ORDER BY lower(c.name) LIMIT :limit"
        ),
        params,
    ):
        detail = " · ".join(x for x in (row[5], row[4]) if x)
        hits.append(Hit("contact", row[0], row[1], row[2], row[3], detail, ""))
    return hits


WINDOW = 10_000  # notes ranked at a time: the most recent matches first, best first within


def _notes(
    conn: Any,
    match: str,
    limit: int,
    account_id: int | None,
    kind: str | None,
    since: date | None,
    until: date | None,
) -> list[Hit]:
    """The best ``limit`` notes matching ``match``, through one of two plans that stay fast.

    Without an account, FTS5 ranks by bm25 itself (``rank MATCH`` sets the column weights),
    over windows of the ``WINDOW`` most recently added matches, newest window first: bm25 has
    to score every row it ranks, and a word found in most of 200,000 notes would cost
    ~200 ms; a window costs ~20 ms. A query with fewer matches is ranked as a whole.

    With an account, its notes are few: FTS5 walks the matches without ranking, keeps that
    account's (a set lookup) and they are ranked here with the same weights (FTS5's bm25
    would recount every word's matches once per row in this plan).
    """
    params: dict[str, object] = {"match": match, "s": MARK_START, "e": MARK_END}
    params.update(ellipsis="…", tokens=SNIPPET_TOKENS, limit=limit)
    where = ["n.archived_at IS NULL"]
    if account_id is not None:
        where.append("n.account_id = :account")
        params["account"] = account_id
    if kind is not None:
        where.append("n.kind = :kind")
        params["kind"] = kind
    if since is not None:
        where.append("n.created_at >= :since")
        params["since"] = _day_start(since)
    if until is not None:
        where.append("n.created_at < :until")
        params["until"] = _day_start(until + timedelta(days=1))
    columns = (
        "n.id, n.account_id, a.name, n.title, n.kind, n.created_at, "
        "snippet(note_fts, 1, :s, :e, :ellipsis, :tokens), "
        "highlight(note_fts, 1, :s, :e), highlight(note_fts, 0, :s, :e), length(n.body)"
    )
    if account_id is not None:
        # ``+`` keeps the IN list from being handed to FTS5 as one rowid lookup per note.
        rows = conn.execute(
            text(
                f"SELECT {columns} FROM note_fts CROSS JOIN note n ON n.id = note_fts.rowid "
                "JOIN account a ON a.id = n.account_id WHERE note_fts MATCH :match "
                f"AND +note_fts.rowid IN (SELECT n.id FROM note n WHERE {' AND '.join(where)})"
            ),
            params,
        ).all()
        rows.sort(key=lambda r: (-_score(r[8], r[7], r[9]), -r[0]))
        rows = rows[:limit]
    else:
        rows = []
        params["rank"] = f"bm25({TITLE_WEIGHT}, {BODY_WEIGHT})"
        below: int | None = None
        while len(rows) < limit:
            # Constraints written out rather than "(:x IS NULL OR …)", which FTS5 cannot use.
            span = "" if below is None else " AND rowid < :below"
            floor = conn.execute(
                text(
                    f"SELECT rowid FROM note_fts WHERE note_fts MATCH :match{span} "
                    "ORDER BY rowid DESC LIMIT 1 OFFSET :window"
                ),
                {"match": match, "below": below, "window": WINDOW - 1},
            ).scalar()
            if floor is not None:
                span += " AND rowid >= :floor"
            params.update(floor=floor, below=below, limit=limit - len(rows))
            rows += conn.execute(
                text(
                    f"SELECT {columns} FROM note_fts CROSS JOIN note n ON n.id = note_fts.rowid "
                    "JOIN account a ON a.id = n.account_id WHERE note_fts MATCH :match "
                    f"AND note_fts.rank MATCH :rank{span.replace('rowid', 'note_fts.rowid')} "
                    f"AND {' AND '.join(where)} ORDER BY note_fts.rank LIMIT :limit"
                ),
                params,
            ).all()
            if floor is None:
                break
            below = floor
    hits = []
    for row in rows:
        created = row[5]
        when = created[:10] if isinstance(created, str) else _iso_day(created)
        title = row[3] or row[4].replace("_", " ").capitalize() + " note"
        body = row[7] or ""
        offset = first_mark(body)
        utf16 = utf16_length(body[:offset]) if offset >= 0 else -1
        hits.append(Hit("note", row[0], row[1], row[2], title, row[6], when, row[4], offset, utf16))
    return hits


def _score(title: str | None, body: str | None, length: int | None) -> float:
    """A bm25-like score from the matches marked in the title and the body (k1 1.2, b 0.75)."""

    def part(marked: str | None, size: float, average: float) -> float:
        tf = (marked or "").count(MARK_START)
        return tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * size / average)) if tf else 0.0

    return TITLE_WEIGHT * part(title, len(title or ""), 40) + BODY_WEIGHT * part(
        body, length or 0, 800
    )


def first_mark(marked: str) -> int:
    """Index of the first match in a highlighted text, in the unmarked text; -1 if none."""
    return marked.find(MARK_START)


def utf16_length(value: str) -> int:
    """Length in UTF-16 code units (a Qt string's length): astral characters count twice."""
    return len(value) + sum(1 for ch in value if ord(ch) > 0xFFFF)


def marked_html(marked: str, start: str = "<b>", end: str = "</b>") -> str:
    """HTML for a snippet: the text escaped, the matched words between ``start`` and ``end``.

    Tags always pair up, even if a note itself contained the marker characters. Runs of
    whitespace (line breaks in a snippet) become one space.
    """
    out: list[str] = []
    inside = False
    for piece in re.split(f"([{MARK_START}{MARK_END}])", " ".join(marked.split())):
        if piece == MARK_START:
            if not inside:
                out.append(start)
                inside = True
        elif piece == MARK_END:
            if inside:
                out.append(end)
                inside = False
        elif piece:
            out.append(html.escape(piece, quote=True))
    if inside:
        out.append(end)
    return "".join(out)


def plain(marked: str) -> str:
    """A snippet without its match markers."""
    return marked.replace(MARK_START, "").replace(MARK_END, "")


def account_choices(db: Database) -> list[tuple[int, str]]:
    """(id, name) of the active accounts by name, for an account filter."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, name FROM account WHERE archived_at IS NULL ORDER BY lower(name)")
        )
        return [(r[0], r[1]) for r in rows]


def _iso_day(value: object) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else str(value or "")[:10]
