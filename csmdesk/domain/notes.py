"""Notes as plain text: titles, action-item lines, checkbox toggles, revision policy. Pure.

Action items
    A checkbox line becomes an action item: a list marker (``-``, ``*``, ``+`` or ``1.``), a box
    ``[ ]`` (open) or ``[x]``/``[X]`` (done), then the text. In the text, ``@Name`` (the first one)
    is the owner and ``due:YYYY-MM-DD`` (also ``due:YYYY/MM/DD``) the due date; both are taken
    out of the item's text. A ``due:`` that is not a real date stays in the text and sets no date.
    Lines inside a fenced code block (```) are not items.

        - [ ] Send SSO docs @Priya due:2026-12-05   ->  "Send SSO docs", Priya, 2026-12-05, open

Matching items across edits (``match_items``)
    Parsed lines are matched to the note's existing items first by the same text (any case,
    spacing), then the rest in order, so editing a line's words keeps its item (and its history)
    rather than replacing it; items whose line is gone are dropped.

Revisions (``needs_revision``)
    A save keeps the note's previous state as a revision when the newest kept revision is older
    than ``REVISION_EVERY`` (5 minutes), so typing for an hour leaves about a dozen restore
    points; ``KEEP_REVISIONS`` (30) are kept per note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

MAX_ITEM_TEXT = 500
MAX_TITLE = 300
REVISION_EVERY = timedelta(minutes=5)
KEEP_REVISIONS = 30

_BOX = re.compile(r"^(?P<lead>\s*(?:[-*+]|\d{1,3}[.)])\s+\[)(?P<mark>[ xX])(?P<rest>\]\s?.*)$")
_OWNER = re.compile(r"(?<![\w@])@(?P<name>[^\W\d_][\w.\-']*)", re.UNICODE)
_DUE = re.compile(r"(?<!\S)due:(?P<date>\d{4}[-/]\d{1,2}[-/]\d{1,2})(?!\S)", re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_SPACE = re.compile(r"\s+")


class ParsedItem(NamedTuple):
    line: int  # 0-based line number in the note
    text: str
    owner: str | None
    due: date | None
    done: bool


def _due(text: str) -> tuple[str, date | None]:
    match = _DUE.search(text)
    if match is None:
        return text, None
    y, m, d = (int(p) for p in re.split(r"[-/]", match.group("date")))
    try:
        when = date(y, m, d)
    except ValueError:
        return text, None
    return text[: match.start()] + text[match.end() :], when


def parse_items(body: str) -> list[ParsedItem]:
    """Every checkbox line of ``body`` as an action item (rules in the module docstring)."""
    items: list[ParsedItem] = []
    fenced = False
    for n, line in enumerate(body.splitlines()):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or "[" not in line:
            continue
        match = _BOX.match(line)
        if match is None:
            continue
        text = match.group("rest")[1:].strip()
        text, due = _due(text)
        owner_match = _OWNER.search(text)
        owner = None
        if owner_match is not None:
            owner = owner_match.group("name").rstrip(".-'")
            text = text[: owner_match.start()] + text[owner_match.start() + 1 + len(owner) :]
        text = _SPACE.sub(" ", text).strip()
        if not text:
            continue
        items.append(ParsedItem(n, text[:MAX_ITEM_TEXT], owner, due, match.group("mark") != " "))
    return items


def set_box(body: str, line: int, done: bool) -> str:
    """``body`` with the checkbox on ``line`` ticked or cleared; unchanged if it has none."""
    lines = body.split("\n")
    if not 0 <= line < len(lines):
        return body
    match = _BOX.match(lines[line])
    if match is None:
        return body
    lines[line] = f"{match.group('lead')}{'x' if done else ' '}{match.group('rest')}"
    return "\n".join(lines)


def box_state(line: str) -> bool | None:
    """A line's checkbox: True ticked, False open, None when it has none."""
    match = _BOX.match(line)
    return None if match is None else match.group("mark") != " "


def _key(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def match_items(
    parsed: Sequence[ParsedItem], existing: Sequence[tuple[int, str]]
) -> tuple[list[tuple[ParsedItem, int | None]], list[int]]:
    """Pair parsed lines with existing items ``(id, text)``: (pairs, ids of items to drop).
    A pair's id is None for a new item."""
    free = list(existing)
    pairs: list[tuple[ParsedItem, int | None]] = []
    unmatched: list[int] = []
    for n, item in enumerate(parsed):
        key = _key(item.text)
        hit = next((i for i, (_id, text) in enumerate(free) if _key(text) == key), None)
        if hit is None:
            unmatched.append(n)
            pairs.append((item, None))
        else:
            pairs.append((item, free.pop(hit)[0]))
    for n in unmatched:  # edited lines keep the items left over, in order
        if not free:
            break
        pairs[n] = (pairs[n][0], free.pop(0)[0])
    return pairs, [item_id for item_id, _text in free]


def title_of(body: str) -> str:
    """The note's title: its first non-empty line without heading marks (≤ 300 characters)."""
    for line in body.splitlines():
        text = _HEADING.sub("", line).strip()
        if text:
            return text[:MAX_TITLE]
    return ""


def summary_of(body: str, limit: int = 200) -> str:
    """A one-line summary for a touchpoint: the first line that says something."""
    for line in body.splitlines():
        text = _HEADING.sub("", line).strip().lstrip("-*+ ").strip()
        if text and not text.lower().startswith("attendees:"):
            return text[:limit]
    return ""


def needs_revision(last_kept: datetime | None, now: datetime) -> bool:
    return last_kept is None or now - last_kept >= REVISION_EVERY


def elapsed_stamp(seconds: float) -> str:
    """``[mm:ss]`` (or ``[h:mm:ss]`` past an hour) for a call-note timestamp."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"[{hours}:{minutes:02d}:{secs:02d}]" if hours else f"[{minutes:02d}:{secs:02d}]"
