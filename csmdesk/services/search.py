"""Finding things: notes through the FTS5 index, accounts and contacts by name, domain or email.

Any text is a valid query: words are matched as quoted FTS5 strings (so quotes, operators
and symbols are plain words, never a syntax error), every word must match, best first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import text

from csmdesk.store import Database

MARK_START, MARK_END = "\x02", "\x03"  # around matched words in a snippet; callers style them


@dataclass(frozen=True)
class Hit:
    kind: str  # "account", "contact" or "note"
    id: int
    account_id: int
    account_name: str
    title: str
    snippet: str
    when: str  # ISO date of the note, "" for accounts and contacts

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def fts_query(query: str) -> str | None:
    """``acme "sso`` → ``"acme" "sso"``: each word a literal string; ``None`` when empty."""
    words = [w.replace('"', '""') for w in query.split()]
    words = [w for w in words if w.strip('"')]
    return " ".join(f'"{w}"' for w in words) or None


def _like(word: str) -> str:
    """A LIKE pattern for ``word`` at the start of a space-separated word."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "% " + escaped + "%"


def search(db: Database, query: str, *, limit: int = 20) -> list[Hit]:
    """Accounts and contacts first (they are what people jump to), then ranked notes."""
    words = query.casefold().split()
    match = fts_query(query)
    if not words or match is None:
        return []
    hits: list[Hit] = []
    # Accounts and contacts match at the start of a word ("sso" finds the tag "sso", not
    # "Johansson"); notes go through the full-text index.
    account_where = " AND ".join(
        f"(' ' || lower(name) || ' ' || lower(coalesce(domain, '')) || ' ' || "
        f"replace(lower(tags), ',', ' ')) LIKE :w{i} ESCAPE '\\'"
        for i in range(len(words))
    )
    contact_where = " AND ".join(
        f"(' ' || lower(c.name) || ' ' || replace(replace(lower(coalesce(c.email, '')), '@', ' '), "
        f"'.', ' ')) LIKE :w{i} ESCAPE '\\'"
        for i in range(len(words))
    )
    params: dict[str, object] = {f"w{i}": _like(w) for i, w in enumerate(words)}
    params["limit"] = limit
    with db.engine.connect() as conn:
        for row in conn.execute(
            text(
                f"SELECT id, name, coalesce(domain, '') FROM account WHERE {account_where} "
                "AND archived_at IS NULL ORDER BY lower(name) LIMIT :limit"
            ),
            params,
        ):
            hits.append(Hit("account", row[0], row[0], row[1], row[1], row[2], ""))
        for row in conn.execute(
            text(
                "SELECT c.id, c.account_id, a.name, c.name, coalesce(c.email, ''), "
                "coalesce(c.title, '') FROM contact c JOIN account a ON a.id = c.account_id "
                f"WHERE {contact_where} ORDER BY lower(c.name) LIMIT :limit"
            ),
            params,
        ):
            detail = " · ".join(x for x in (row[5], row[4]) if x)
            hits.append(Hit("contact", row[0], row[1], row[2], row[3], detail, ""))
        for row in conn.execute(
            text(
                "SELECT n.id, n.account_id, a.name, n.title, n.kind, n.created_at, "
                f"snippet(note_fts, 1, '{MARK_START}', '{MARK_END}', '…', 12) "
                "FROM note_fts JOIN note n ON n.id = note_fts.rowid "
                "JOIN account a ON a.id = n.account_id "
                "WHERE note_fts MATCH :match AND n.archived_at IS NULL "
                "ORDER BY note_fts.rank LIMIT :limit"
            ),
            {"match": match, "limit": limit},
        ):
            created = row[5]
            when = created[:10] if isinstance(created, str) else _iso_day(created)
            title = row[3] or row[4].replace("_", " ").capitalize() + " note"
            hits.append(Hit("note", row[0], row[1], row[2], title, row[6], when))
    return hits


def _iso_day(value: object) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else str(value or "")[:10]
