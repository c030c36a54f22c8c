"""The rules of an ARR history: validation, order, same-day ties, changes, placeholders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from csmdesk.domain import arr_history as rules


@dataclass
class Ev:
    id: int | None
    on: date
    kind: str
    arr_after_minor: int
    currency: str = "USD"
    implicit: bool = False


D1, D2, D3 = date(2025, 1, 1), date(2025, 6, 1), date(2026, 1, 1)


@pytest.mark.parametrize(
    ("kind", "arr", "field", "message"),
    [
        ("expansion", -1, "arr", "ARR cannot be negative."),
        ("churn", 500, "arr", "After a churn the ARR is 0."),
        ("upsell", 5, "kind", "'upsell' is not one of"),
    ],
)
def test_invalid_events_are_refused_with_a_message(
    kind: str, arr: int, field: str, message: str
) -> None:
    errors = rules.arr_event_errors(kind, arr)
    assert errors[field].startswith(message)


def test_valid_events_and_a_date_after_today() -> None:
    assert rules.arr_event_errors("churn", 0) == {}
    assert rules.arr_event_errors("expansion", 10, D2, today=D3) == {}
    assert "after today" in rules.arr_event_errors("expansion", 10, D3, today=D2)["on"]


def test_arr_on_a_day_and_the_later_entered_wins_a_tie() -> None:
    events = [Ev(3, D2, "expansion", 150), Ev(1, D1, "new", 100), Ev(2, D2, "contraction", 90)]
    assert rules.arr_on(events, date(2024, 12, 31)) is None
    assert rules.arr_on(events, D1) == 100
    assert rules.arr_on(events, D2) == 150  # id 3 was entered after id 2
    assert [e.id for e in rules.ordered(events)] == [1, 2, 3]
    assert rules.latest(events).id == 3  # type: ignore[union-attr]


def test_changes_against_the_event_before() -> None:
    events = [
        Ev(1, D1, "new", 100_00),
        Ev(2, D2, "expansion", 220_00),
        Ev(3, D3, "contraction", 170_00),
        Ev(4, date(2026, 2, 1), "renewal", 170_00),
        Ev(5, date(2026, 3, 1), "expansion", 200_00, currency="EUR"),
    ]
    got = rules.changes(events)
    assert got == {1: 100_00, 2: 120_00, 3: -50_00, 4: 0, 5: None}
    assert [rules.change_text(got[i], "USD") for i in (1, 2, 3, 4, 5)] == [
        "+$100",
        "+$120",
        "\u2212$50",
        "No change",
        "—",
    ]
    # A history that does not start from nothing: the size of its first change is unknown.
    assert rules.changes([Ev(7, D1, "expansion", 5)]) == {7: None}


def test_same_day_warning_names_the_winner() -> None:
    assert rules.same_day_warning([Ev(1, D1, "new", 100), Ev(2, D2, "expansion", 200)]) == ""
    one = rules.same_day_warning(
        [Ev(1, D1, "new", 100_00), Ev(2, D1, "expansion", 200_00), Ev(3, D2, "churn", 0)]
    )
    assert "2025-01-01" in one and "later-entered one wins" in one and "Expansion, $200" in one
    two = rules.same_day_warning(
        [Ev(1, D1, "new", 1), Ev(2, D1, "new", 2), Ev(3, D2, "new", 3), Ev(4, D2, "new", 4)]
    )
    assert "2025-01-01, 2025-06-01" in two


def test_clash_warning_for_a_new_and_an_edited_event() -> None:
    events = [Ev(1, D1, "new", 100), Ev(2, D2, "expansion", 200)]
    assert rules.clash_warning(events, D3) == ""
    assert "this one, entered later, wins" in rules.clash_warning(events, D2)
    assert "does not set the ARR" in rules.clash_warning(events, D2, editing_id=1)
    assert "wins" in rules.clash_warning(events, D1, editing_id=2)
    assert rules.clash_warning(events, D2, editing_id=2) == ""


def test_direction_warning() -> None:
    assert "usually raises" in rules.direction_warning("expansion", 200_00, 150_00, "USD")
    assert "\u2212$50" in rules.direction_warning("expansion", 200_00, 150_00, "USD")
    assert "unchanged" in rules.direction_warning("contraction", 100, 100, "USD")
    assert rules.direction_warning("expansion", 100, 200, "USD") == ""
    assert rules.direction_warning("expansion", None, 200, "USD") == ""


def test_placeholders_dated_on_or_after_a_new_event_give_way() -> None:
    placeholder = Ev(1, D2, "new", 100, implicit=True)
    assert rules.placeholders_replaced([placeholder], D3) == []
    assert rules.placeholders_replaced([placeholder], D2) == [placeholder]
    assert rules.placeholders_replaced([placeholder], D1) == [placeholder]
