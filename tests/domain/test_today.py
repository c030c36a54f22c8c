from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from csmdesk.domain import today as td
from csmdesk.domain.rhythm import RhythmSettings
from csmdesk.domain.today import (
    AccountRow,
    ActionRow,
    Book,
    Category,
    MilestoneRow,
    RenewalRow,
    RiskRow,
    TodayItem,
    TodayQueue,
)

TODAY = date(2026, 11, 25)
D = date
START = D(2024, 1, 10)


def account(
    id: int,
    name: str = "",
    *,
    segment: str = "smb",
    lifecycle: str = "mature",
    start: date | None = START,
    renewal: date | None = None,
    arr: int = 10_000_00,
    cadence: int | None = None,
    review_kind: str | None = None,
) -> AccountRow:
    return AccountRow(
        id, name or f"Account {id}", segment, lifecycle, start, renewal, arr, cadence,
        review_kind, D(2024, 1, 1),
    )  # fmt: skip


def book(*accounts: AccountRow, **kwargs: object) -> Book:
    return Book(accounts={a.id: a for a in accounts}, **kwargs)  # type: ignore[arg-type]


def keys(items: object) -> list[str]:
    return [i.key for i in items]  # type: ignore[attr-defined]


# --- sources ---------------------------------------------------------------------------------


def test_milestones_overdue_or_due_within_a_week_of_active_accounts_only() -> None:
    milestones = [
        MilestoneRow(1, 1, "Kickoff", TODAY - timedelta(days=30), "us"),
        MilestoneRow(2, 1, "Admin training", TODAY + timedelta(days=7), "customer"),
        MilestoneRow(3, 1, "Later", TODAY + timedelta(days=8), "us"),
        MilestoneRow(4, 99, "Of an archived account", TODAY, "us"),
    ]
    items = list(td.milestone_items(book(account(1), milestones=milestones), TODAY))
    assert keys(items) == ["milestone:1", "milestone:2"]
    assert items[1].title == "Milestone: Admin training (customer)"
    assert items[0].record_id == 1 and items[0].due == TODAY - timedelta(days=30)


def test_action_items_overdue_or_due_within_a_week() -> None:
    actions = [
        ActionRow(7, 1, "Send the deck", "Priya", TODAY - timedelta(days=1)),
        ActionRow(8, 1, "Book the QBR", None, TODAY + timedelta(days=7)),
        ActionRow(9, 1, "Far off", None, TODAY + timedelta(days=10)),
    ]
    items = list(td.action_items(book(account(1), actions=actions), TODAY))
    assert keys(items) == ["action:7", "action:8"]
    assert items[0].title == "Send the deck (Priya)"


def test_touchpoint_due_by_cadence_from_the_last_one() -> None:
    accounts = (
        account(1, segment="enterprise"),  # 30 days: last 1 Nov -> due 1 Dec (in 6 days)
        account(2, segment="smb"),  # 90 days: last 1 Nov -> due 30 Jan, not yet
        account(3, segment="mid_market", cadence=10),  # own cadence: due 11 Nov, overdue
        account(4, start=D(2026, 11, 1), lifecycle="onboarding"),  # never touched: due 8 Nov
        account(5, segment="enterprise"),  # 30 days: last 26 Oct -> due 25 Nov (today)
    )
    last = {1: D(2026, 11, 1), 2: D(2026, 11, 1), 3: D(2026, 11, 1), 5: D(2026, 10, 26)}
    items = list(td.touchpoint_items(book(*accounts, last_touch=last), TODAY))
    assert sorted(keys(items)) == [
        "touch:1:2026-12-01",
        "touch:3:2026-11-11",
        "touch:4:2026-11-08",
        "touch:5:2026-11-25",
    ]
    by_key = {i.key: i for i in items}
    assert by_key["touch:3:2026-11-11"].done_hides_days == 10
    assert by_key["touch:4:2026-11-08"].title == "Touchpoint due every 7 days (none logged yet)"
    assert by_key["touch:1:2026-12-01"].title == "Touchpoint due every 30 days (last 1 Nov 2026)"


def test_touchpoint_cadence_across_a_leap_day() -> None:
    today = D(2028, 2, 25)
    items = list(
        td.touchpoint_items(
            book(account(1, segment="enterprise"), last_touch={1: D(2028, 1, 31)}), today
        )
    )
    assert keys(items) == ["touch:1:2028-03-01"]  # 31 Jan + 30 days, through 29 Feb


def test_reviews_due_within_two_weeks_once_past_the_first_quarter() -> None:
    accounts = (
        account(1, segment="enterprise"),  # last EBR 1 Sep -> due 1 Dec: in 6 days
        account(2, start=D(2026, 9, 1)),  # no review, started < a quarter ago: not yet
        account(3, start=D(2026, 8, 25)),  # no review, due 25 Nov: today
        account(4, start=None),  # no start, no review: nothing to go on
        account(5),  # last QBR 1 May -> due 1 Aug: overdue
        account(6, review_kind="ebr"),  # last 20 Sep -> due 20 Dec: 25 days off
    )
    last = {1: D(2026, 9, 1), 5: D(2026, 5, 1), 6: D(2026, 9, 20)}
    items = list(td.review_items(book(*accounts, last_review=last), TODAY))
    assert sorted(keys(items)) == [
        "review:1:2026-12-01",
        "review:3:2026-11-25",
        "review:5:2026-08-01",
    ]
    titles = {i.account_id: i.title for i in items}
    assert titles[1] == "EBR due (last 1 Sep 2026)"
    assert titles[3] == "QBR due (none held yet)"
    assert {i.account_id: i.done_hides_days for i in items}[1] == 90  # 1 Dec -> 1 Mar


def test_review_kind_follows_the_settings_and_the_account() -> None:
    settings = RhythmSettings(review_kind={"enterprise": "qbr", "smb": "ebr"})
    last = {1: D(2026, 8, 25), 2: D(2026, 8, 25), 3: D(2026, 8, 25)}
    accounts = (account(1, segment="enterprise"), account(2), account(3, review_kind="qbr"))
    items = td.review_items(book(*accounts, last_review=last, settings=settings), TODAY)
    assert {i.account_id: i.title.split()[0] for i in items} == {1: "QBR", 2: "EBR", 3: "QBR"}


def test_one_renewal_item_for_the_current_window() -> None:
    accounts = (
        account(1, renewal=TODAY + timedelta(days=91)),
        account(2, renewal=TODAY + timedelta(days=90)),
        account(3, renewal=TODAY + timedelta(days=45)),
        account(4, renewal=TODAY),
        account(5, renewal=TODAY - timedelta(days=3)),
        account(6, renewal=TODAY + timedelta(days=20)),  # already renewed (closed row)
        account(7, renewal=None),
    )
    in45, in20 = TODAY + timedelta(days=45), TODAY + timedelta(days=20)
    rows = {
        (3, in45): RenewalRow(30, 3, in45, "at_risk", 2),
        (6, in20): RenewalRow(60, 6, in20, "renewed", 4),
    }
    items = {i.account_id: i for i in td.renewal_items(book(*accounts, renewals=rows), TODAY)}
    assert sorted(items) == [2, 3, 4, 5]
    assert items[2].key == "renewal:2:2027-02-23:90" and items[2].severity == "low"
    assert items[3].key == "renewal:3:2027-01-09:60" and items[3].severity == "high"  # at risk
    assert items[3].title == "Renewal in 45 days (60-day window; at risk, checklist 2/4)"
    assert items[3].record_id == 30
    assert items[4].key == "renewal:4:2026-11-25:30" and items[4].title.startswith("Renewal today")
    assert items[5].key == "renewal:5:2026-11-22:passed" and items[5].severity == "critical"
    assert items[5].due == D(2026, 11, 22)


def test_risks_new_or_high_and_unresolved() -> None:
    old = TODAY - timedelta(days=30)
    risks = [
        RiskRow(1, 1, "detractor_nps", "medium", "open", "Detractor", TODAY - timedelta(days=7)),
        RiskRow(2, 1, "ticket_spike", "medium", "open", "Tickets", TODAY - timedelta(days=8)),
        RiskRow(3, 1, "champion_left", "high", "mitigating", "Champion left", old),
        RiskRow(4, 1, "payment_issue", "critical", "resolved", "Payment", old),
        RiskRow(5, 1, "usage_decline", "critical", "open", "Usage down", old),
    ]
    items = list(td.risk_items(book(account(1), risks=risks), TODAY))
    assert keys(items) == ["risk:1:medium", "risk:3:high", "risk:5:critical"]
    assert items[0].title == "New risk (medium): Detractor"
    assert items[0].due is None and items[0].topic == "detractor_nps"


def test_a_risk_another_row_stands_for_folds_into_it() -> None:
    risks = [
        RiskRow(1, 1, "no_touchpoint", "high", "open", "No touchpoint for 70 days", D(2026, 10, 1)),
        RiskRow(2, 2, "no_touchpoint", "high", "open", "No touchpoint for 70 days", D(2026, 10, 1)),
        RiskRow(3, 1, "champion_left", "high", "open", "Champion left", D(2026, 10, 1)),
    ]  # fmt: skip
    snapshot = book(
        account(1, segment="enterprise"),
        account(2, segment="smb"),
        last_touch={1: D(2026, 9, 16), 2: D(2026, 9, 16)},
        risks=risks,
    )
    items = [i for i in td.REGISTRY.collect(snapshot, TODAY) if i.category != td.REVIEW]
    assert sorted(keys(items)) == ["risk:2:high", "risk:3:high", "touch:1:2026-10-16"]
    touch = next(i for i in items if i.category == td.TOUCHPOINT)
    assert touch.severity == "high"  # taken from the folded risk


# --- ordering ----------------------------------------------------------------------------------


def item(key: str, due: date | None, **kw: object) -> TodayItem:
    category = kw.pop("category", key.split(":")[0].replace("touch", "touchpoint"))
    base: dict[str, object] = {"account_id": 1, "account_name": "Acme", "title": key}
    base.update(kw)
    return TodayItem(key, category, due=due, **base)  # type: ignore[arg-type]


def test_ordering_urgent_first_then_overdue_then_today_then_upcoming() -> None:
    expected = [
        # urgent: critical whenever due, high when overdue, now or within a week; worst first
        item("risk:9:critical", TODAY - timedelta(days=1), severity="critical"),
        item("risk:10:critical", None, severity="critical"),
        item("renewal:18:2026-12-15:30", TODAY + timedelta(days=20), severity="critical"),
        item("touch:19:2026-11-01", TODAY - timedelta(days=24), severity="high"),
        item("renewal:11:2026-11-25:30", TODAY, severity="high"),
        item("risk:12:high", None, severity="high"),
        item("renewal:20:2026-12-02:30", TODAY + timedelta(days=7), severity="high"),
        # overdue, most overdue first
        item("milestone:1", TODAY - timedelta(days=40)),
        item("action:2", TODAY - timedelta(days=3)),
        # due the same day: severity, then ARR, then category, then name, then key
        item("action:3", TODAY - timedelta(days=1), arr_minor=900),
        item("renewal:4:2026-11-24:passed", TODAY - timedelta(days=1), arr_minor=5),
        item("milestone:5", TODAY - timedelta(days=1), arr_minor=5),
        item("action:6", TODAY - timedelta(days=1), arr_minor=5, account_name="beta"),
        item("action:7", TODAY - timedelta(days=1), arr_minor=5, account_name="Gamma"),
        item("action:8", TODAY - timedelta(days=1), arr_minor=5, account_name="gamma"),
        # today, and items with no due date, severity first
        item("touch:13:2026-11-25", TODAY),
        item("risk:14:low", None, severity="low"),
        # upcoming, soonest first (a high one further than a week is not urgent yet)
        item("action:15", TODAY + timedelta(days=1)),
        item("review:16:2026-12-05", TODAY + timedelta(days=10)),
        item("renewal:22:2026-12-06:30", TODAY + timedelta(days=11), severity="high"),
        item("renewal:17:2027-02-20:90", TODAY + timedelta(days=87), severity="low"),
    ]
    for seed in range(5):
        shuffled = list(expected)
        random.Random(seed).shuffle(shuffled)
        assert keys(td.ordered(shuffled, TODAY)) == keys(expected)


def test_sort_key_matches_the_inlined_ordering() -> None:
    items = [
        item("action:1", TODAY + timedelta(days=2), arr_minor=3),
        item("risk:2:medium", None, severity="medium"),
        item("milestone:3", TODAY - timedelta(days=2)),
        item("custom:4", TODAY, category="custom"),
        item("renewal:5:2026-11-30:30", TODAY + timedelta(days=5), severity="high"),
        item("renewal:6:2026-12-30:30", TODAY + timedelta(days=35), severity="critical"),
        item("risk:7:high", TODAY + timedelta(days=9), severity="high"),
    ]
    ranks = {c.key: c.rank for c in td.REGISTRY.categories}
    by_key = sorted(items, key=lambda i: td.sort_key(i, TODAY, ranks))
    assert keys(by_key) == keys(td.ordered(items, TODAY))


def test_describe_due() -> None:
    assert td.describe_due(None, TODAY) == "now"
    assert td.describe_due(TODAY, TODAY) == "today"
    assert td.describe_due(TODAY - timedelta(days=1), TODAY) == "yesterday"
    assert td.describe_due(TODAY - timedelta(days=5), TODAY) == "5 days overdue"
    assert td.describe_due(TODAY + timedelta(days=1), TODAY) == "tomorrow"
    assert td.describe_due(TODAY + timedelta(days=9), TODAY) == "in 9 days"


# --- the queue and the registry -------------------------------------------------------------------


def test_counts_per_category_and_filter() -> None:
    items = (
        item("milestone:1", TODAY),
        item("action:2", TODAY),
        item("action:3", TODAY - timedelta(days=2)),
    )
    queue = TodayQueue(TODAY, items, tuple(td.REGISTRY.categories))
    assert queue.counts == {
        "renewal": 0,
        "risk": 0,
        "review": 0,
        "milestone": 1,
        "touchpoint": 0,
        "action": 2,
    }
    assert keys(queue.only("action")) == ["action:2", "action:3"]
    assert queue.only() == items
    assert queue.overdue() == 1
    assert queue.label("review") == "QBRs/EBRs" and queue.label("other") == "other"


def test_a_new_source_plugs_in() -> None:
    def opportunities(book: Book, today: date) -> Iterator[TodayItem]:
        for account_id, close in book.extra["closing"].items():  # type: ignore[attr-defined]
            account = book.accounts[account_id]
            yield TodayItem(
                f"opportunity:{account_id}", "opportunity", account_id, account.name,
                "Opportunity closing", close,
            )  # fmt: skip

    registry = td.default_registry()
    registry.register(
        Category("opportunity", "Opportunities", 70, actions=("open",)), opportunities
    )
    snapshot = book(
        account(1, start=None),
        last_touch={1: TODAY},
        extra={"closing": {1: TODAY - timedelta(days=1)}},
    )
    items = td.ordered(registry.collect(snapshot, TODAY), TODAY, registry)
    assert keys(items) == ["opportunity:1"]
    assert registry.category("opportunity") is not None
    assert [c.key for c in registry.categories][-1] == "opportunity"
    assert td.REGISTRY.category("opportunity") is None  # the shared registry is untouched
    with pytest.raises(ValueError, match="already"):
        registry.register(Category("risk", "Risks again", 1), opportunities)
    with pytest.raises(ValueError):
        registry.register(Category("a:b", "Bad", 1), opportunities)
    clone = registry.copy()
    clone.unregister("opportunity")
    assert clone.category("opportunity") is None and registry.category("opportunity")


def test_built_in_categories_say_how_done_works() -> None:
    done_completes = {c.key for c in td.REGISTRY.categories if c.done_completes_record}
    assert done_completes == {td.MILESTONE, td.ACTION}
    assert all(td.DONE in c.actions and td.SNOOZE in c.actions for c in td.REGISTRY.categories)


def test_several_risks_of_one_account_make_one_row() -> None:
    risks = [
        RiskRow(7, 1, "ticket_spike", "high", "open", "Tickets up", TODAY - timedelta(days=20)),
        RiskRow(4, 1, "detractor_nps", "medium", "open", "Detractor NPS (3)", TODAY),
        RiskRow(9, 1, "usage_decline", "critical", "open", "Usage down 40%", TODAY),
        RiskRow(5, 2, "champion_left", "high", "open", "Champion left", TODAY),
    ]  # fmt: skip
    snapshot = book(account(1), account(2), last_touch={1: TODAY, 2: TODAY}, risks=risks)
    items = [i for i in td.REGISTRY.collect(snapshot, TODAY) if i.category == td.RISK]
    assert sorted(keys(items)) == ["risk:5:high", "risks:1:critical:4-7-9"]
    group = next(i for i in items if i.account_id == 1)
    assert group.severity == "critical" and group.due is None and group.record_id is None
    assert group.title == (
        "3 risks, 2 new (critical at worst): Usage down 40%; Tickets up; Detractor NPS (3)"
    )
    # A risk joining the group (or the worst severity changing) makes a new key.
    more = [*risks, RiskRow(11, 1, "payment_issue", "high", "open", "Payment", TODAY)]
    again = td.REGISTRY.collect(book(account(1), last_touch={1: TODAY}, risks=more), TODAY)
    assert [i.key for i in again if i.category == td.RISK] == ["risks:1:critical:4-7-9-11"]
