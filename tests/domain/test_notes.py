"""Action-item lines, checkbox toggles, titles, summaries: a table of cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from csmdesk.domain import notes as rules
from csmdesk.domain.notes import ParsedItem


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "- [ ] Send SSO docs @Priya due:2026-12-05",
            ("Send SSO docs", "Priya", date(2026, 12, 5), False),
        ),
        ("* [x] Share the recording", ("Share the recording", None, None, True)),
        (
            "+ [X] Book the QBR room due:2027/01/09",
            ("Book the QBR room", None, date(2027, 1, 9), True),
        ),
        ("1. [ ] Call @José about the budget", ("Call about the budget", "José", None, False)),
        ("  - [ ] Nested item @Li", ("Nested item", "Li", None, False)),
        ("- [ ] Invite @Priya and @Tom", ("Invite and @Tom", "Priya", None, False)),
        (
            "- [ ] Mail ops@example.com the export",
            ("Mail ops@example.com the export", None, None, False),
        ),
        ("- [ ] Fix it due:2026-02-30", ("Fix it due:2026-02-30", None, None, False)),
        ("- [ ] 🚀 Launch in العربية", ("🚀 Launch in العربية", None, None, False)),
        ("- [ ]    ", None),
        ("- [] not a box", None),
        ("[ ] no list marker", None),
        ("- [y] wrong mark", None),
        ("Plain text with [ ] inside", None),
    ],
)  # fmt: skip
def test_checkbox_lines_become_items(line: str, expected: tuple[object, ...] | None) -> None:
    items = rules.parse_items(f"# Call\n\n{line}\n")
    if expected is None:
        assert items == []
    else:
        (item,) = items
        assert (item.text, item.owner, item.due, item.done) == expected
        assert item.line == 2


def test_lines_in_a_code_block_are_not_items() -> None:
    body = "```\n- [ ] not me\n```\n- [ ] me"
    assert [i.text for i in rules.parse_items(body)] == ["me"]


def test_set_box_ticks_and_clears_only_that_line() -> None:
    body = "# A\n- [ ] one\n- [x] two\r\nplain"
    ticked = rules.set_box(body, 1, True)
    assert ticked == "# A\n- [x] one\n- [x] two\r\nplain"
    assert rules.set_box(ticked, 2, False) == "# A\n- [x] one\n- [ ] two\r\nplain"
    assert rules.set_box(body, 3, True) == body  # no box there
    assert rules.set_box(body, 99, True) == body


def _item(text: str, line: int = 0) -> ParsedItem:
    return ParsedItem(line, text, None, None, False)


def test_matching_keeps_items_by_text_then_by_order() -> None:
    parsed = [_item("Send deck", 0), _item("Call Priya again", 1), _item("Brand new", 2)]
    existing = [(10, "call priya"), (11, "send  DECK"), (12, "gone")]
    pairs, dropped = rules.match_items(parsed, existing)
    # "Send deck" by text; the edited line takes the first item left ("call priya").
    assert [(p.text, i) for p, i in pairs] == [
        ("Send deck", 11), ("Call Priya again", 10), ("Brand new", 12),
    ]  # fmt: skip
    assert dropped == []
    pairs, dropped = rules.match_items([_item("Send deck")], existing)
    assert [i for _, i in pairs] == [11] and dropped == [10, 12]


def test_title_and_summary() -> None:
    body = "\n\n## Check-in with Acme  \nAttendees: Priya\n- Usage is up\n"
    assert rules.title_of(body) == "Check-in with Acme"
    assert rules.summary_of(body) == "Check-in with Acme"
    assert rules.summary_of("Attendees: Priya\n- Usage is up") == "Usage is up"
    assert rules.title_of("") == "" and rules.title_of("x" * 400) == "x" * 300


def test_revision_every_five_minutes() -> None:
    now = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    assert rules.needs_revision(None, now)
    assert not rules.needs_revision(now - timedelta(minutes=4, seconds=59), now)
    assert rules.needs_revision(now - timedelta(minutes=5), now)


def test_elapsed_stamp() -> None:
    assert rules.elapsed_stamp(0) == "[00:00]"
    assert rules.elapsed_stamp(754.9) == "[12:34]"
    assert rules.elapsed_stamp(3 * 3600 + 65) == "[3:01:05]"
