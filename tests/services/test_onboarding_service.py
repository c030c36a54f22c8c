"""Onboarding plans on a real database: templates on disk, applying a plan, working its
milestones, progress and the book's onboarding measures."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from csmdesk.domain.accounts import AccountDraft, ValidationError
from csmdesk.domain.onboarding import MilestoneDraft, Template, TemplateMilestone
from csmdesk.services import accounts, records
from csmdesk.services import onboarding as svc
from csmdesk.services.accounts import NotFoundError

TODAY = date(2026, 11, 25)


def _account(db, name: str = "Acme", start: date | None = date(2026, 11, 2)) -> int:  # type: ignore[no-untyped-def]
    account = accounts.create_account(db, AccountDraft(name=name, contract_start=start))
    assert account.id is not None
    return account.id


def _standard() -> Template:
    template = svc.list_templates().get("Standard 90-day")
    assert template is not None
    return template


def _small(name: str = "Pilot") -> Template:
    return Template(
        name,
        (
            TemplateMilestone("Kickoff", 0, "us"),
            TemplateMilestone("Setup", 7, "customer", "Connect the data"),
            TemplateMilestone("First value", 14, "customer", first_value=True),
        ),
    )


def _rows(db, account_id: int) -> list[tuple[str, int, date | None]]:  # type: ignore[no-untyped-def]
    return [(m.title, m.position, m.due_date) for m in records.list_milestones(db, account_id)]


# --- templates ------------------------------------------------------------------------------


def test_builtin_templates_are_listed() -> None:
    catalog = svc.list_templates()
    assert catalog.problems == ()
    assert {t.name for t in catalog.templates} >= {"Standard 90-day", "SMB 30-day"}
    assert all(t.builtin for t in catalog.templates)
    assert catalog.first_value_title("standard 90-DAY") == "First success milestone"
    assert catalog.get("nope") is None and catalog.first_value_title(None) is None


def test_save_a_template_and_it_overrides_nothing_else() -> None:
    saved = svc.save_template(_small())
    path = Path(saved.source)
    assert path.parent == svc.user_templates_dir() and path.name == "pilot.json"
    assert json.loads(path.read_text(encoding="utf-8"))["milestones"][2]["first_value"] is True
    assert [p.name for p in path.parent.iterdir()] == ["pilot.json"]  # no temporary left over
    catalog = svc.list_templates()
    pilot = catalog.get("Pilot")
    assert pilot is not None and not pilot.builtin and len(pilot.milestones) == 3
    assert catalog.get("Standard 90-day") is not None


def test_rename_keeps_the_file_and_refuses_a_clash() -> None:
    first = svc.save_template(_small("Pilot"))
    svc.save_template(_small("Other"))
    renamed = svc.save_template(_small("Pilot two"), previous_name="Pilot")
    assert renamed.source == first.source
    assert {t.name for t in svc.list_templates().templates if not t.builtin} == {
        "Pilot two",
        "Other",
    }
    with pytest.raises(ValidationError) as caught:
        svc.save_template(_small("other"), previous_name="Pilot two")
    assert "already have a template named" in caught.value.errors["name"]


def test_a_user_template_overrides_the_builtin_one_of_that_name() -> None:
    own = Template("Standard 90-day", (TemplateMilestone("Only this", 5, "us"),))
    svc.save_template(own)
    standard = svc.list_templates().get("Standard 90-day")
    assert standard is not None and not standard.builtin
    assert [m.title for m in standard.milestones] == ["Only this"]
    svc.delete_template("Standard 90-day")
    standard = svc.list_templates().get("Standard 90-day")
    assert standard is not None and standard.builtin and len(standard.milestones) == 10


def test_an_invalid_template_is_not_saved() -> None:
    bad = Template("Bad", (TemplateMilestone("A", 400, "us"),))
    with pytest.raises(ValidationError) as caught:
        svc.save_template(bad)
    assert "'day' is 400" in caught.value.errors["template"]
    assert not svc.user_templates_dir().exists() or not any(svc.user_templates_dir().iterdir())


def test_builtin_templates_cannot_be_deleted() -> None:
    with pytest.raises(ValidationError):
        svc.delete_template("SMB 30-day")


def test_a_broken_user_file_is_reported_and_the_rest_load() -> None:
    folder = svc.user_templates_dir()
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text('{"name": "Broken", "milestones": [{"title": "A"}]}')
    svc.save_template(_small())
    catalog = svc.list_templates()
    assert catalog.get("Pilot") is not None and catalog.get("SMB 30-day") is not None
    (problem,) = catalog.problems
    assert problem.source == str(folder / "broken.json")
    assert problem.problem == "milestone 1 (\"A\"): missing field 'day'"
    # Saving never overwrites the broken file, even when the name would map to it.
    saved = svc.save_template(_small("Broken"))
    assert Path(saved.source).name == "broken-2.json"


# --- applying -------------------------------------------------------------------------------


def test_apply_creates_dated_ordered_milestones_after_existing_ones(db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    records.add_milestone(db, account_id, "Contract signed", due_date=date(2026, 10, 30))
    result = svc.apply_template(db, account_id, _standard(), date(2026, 11, 30), TODAY)
    assert result.warnings == []
    rows = records.list_milestones(db, account_id)
    assert len(rows) == 11 and rows[0].title == "Contract signed" and rows[0].plan is None
    plan = rows[1:]
    assert [m.position for m in rows] == list(range(11))
    assert [m.id for m in result.milestones] == [m.id for m in plan]
    assert plan[0].title == "Kickoff and expectation setting"
    assert plan[0].due_date == date(2026, 12, 7) and plan[0].owner_side == "us"
    assert plan[2].title == "Admin training" and plan[2].owner_side == "customer"
    assert plan[-1].due_date == date(2027, 2, 28)  # 90 days after 30 November
    assert {m.plan for m in plan} == {"Standard 90-day"}
    assert {m.start_date for m in plan} == {date(2026, 11, 30)}
    assert plan[3].description.startswith("The first outcome")


def test_apply_across_a_leap_day(db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    svc.apply_template(db, account_id, _small(), date(2028, 2, 22), date(2028, 2, 1))
    assert [due for _, _, due in _rows(db, account_id)] == [
        date(2028, 2, 22),
        date(2028, 2, 29),
        date(2028, 3, 7),
    ]


def test_apply_warns_when_the_start_is_in_the_past(db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    result = svc.apply_template(db, account_id, _small(), TODAY - timedelta(days=10), TODAY)
    assert result.warnings == [
        "The plan starts 2026-11-15, 10 days ago: 2 of 3 milestones would already be overdue."
    ]
    assert len(result.milestones) == 3  # applied all the same


def test_apply_refuses_the_same_unfinished_plan_twice(db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    svc.apply_template(db, account_id, _small(), TODAY, TODAY)
    with pytest.raises(svc.PlanInProgressError) as caught:
        svc.apply_template(db, account_id, _small(), TODAY, TODAY)
    assert caught.value.unfinished == 3 and "3 unfinished milestones" in str(caught.value)
    assert len(_rows(db, account_id)) == 3  # nothing written
    # Another plan is fine alongside.
    svc.apply_template(db, account_id, _small("Other"), TODAY, TODAY)
    assert len(_rows(db, account_id)) == 6


def test_a_finished_plan_can_be_applied_again(db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    first = svc.apply_template(db, account_id, _small(), date(2026, 6, 1), TODAY).milestones
    for m in first:
        assert m.id is not None
        svc.complete_milestone(db, m.id, date(2026, 6, 20), TODAY)
    svc.apply_template(db, account_id, _small(), TODAY, TODAY)
    assert len(_rows(db, account_id)) == 6


def test_replace_replans_from_the_new_start_and_keeps_what_was_done(db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    first = svc.apply_template(db, account_id, _small(), date(2026, 11, 1), TODAY).milestones
    kickoff, setup, _ = first
    assert kickoff.id is not None and setup.id is not None
    svc.complete_milestone(db, kickoff.id, date(2026, 11, 3), TODAY)
    svc.skip_milestone(db, setup.id, "Done by their IT")
    extra, _ = svc.add_milestone_by_hand(
        db, account_id, MilestoneDraft("Security review", "customer", date(2026, 11, 20))
    )
    result = svc.apply_template(db, account_id, _small(), date(2026, 11, 23), TODAY, replace=True)
    rows = records.list_milestones(db, account_id)
    assert [m.title for m in rows] == ["Kickoff", "Setup", "First value", "Security review"]
    assert [m.id for m in rows] == [m.id for m in result.milestones]
    assert rows[0].id == kickoff.id and rows[0].completed_on == date(2026, 11, 3)
    assert rows[1].skipped_reason == "Done by their IT"
    assert [m.due_date for m in rows[:3]] == [
        date(2026, 11, 23),
        date(2026, 11, 30),
        date(2026, 12, 7),
    ]
    assert rows[3].id == extra.id and {m.start_date for m in rows} == {date(2026, 11, 23)}
    assert result.warnings == [
        "Security review: Due 2026-11-20, before the plan starts (2026-11-23). Check the date."
    ]


def test_apply_to_a_missing_account_writes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        svc.apply_template(db, 999, _small(), TODAY, TODAY)


def test_apply_checks_a_template_built_in_code(db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    bad = Template("Bad", (TemplateMilestone("A", -1, "us"),))
    with pytest.raises(ValidationError) as caught:
        svc.apply_template(db, account_id, bad, TODAY, TODAY)
    assert "'day' is -1" in caught.value.errors["template"]
    assert _rows(db, account_id) == []


# --- working the milestones -----------------------------------------------------------------


@pytest.fixture
def planned(db) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    result = svc.apply_template(db, account_id, _small(), date(2026, 11, 16), TODAY)
    return account_id, [m.id for m in result.milestones if m.id is not None]


def test_update_validates_and_warns_before_the_plan_start(db, planned) -> None:  # type: ignore[no-untyped-def]
    account_id, (kickoff, setup, _) = planned
    with pytest.raises(ValidationError) as caught:
        svc.update_milestone(db, setup, MilestoneDraft("  ", "vendor"))
    assert set(caught.value.errors) == {"title", "owner_side"}
    warnings = svc.update_milestone(
        db, setup, MilestoneDraft(" Data setup ", "us", date(2026, 11, 10), "All of it")
    )
    assert warnings == ["Due 2026-11-10, before the plan starts (2026-11-16). Check the date."]
    row = records.list_milestones(db, account_id)[1]
    assert (row.title, row.owner_side, row.due_date, row.description) == (
        "Data setup",
        "us",
        date(2026, 11, 10),
        "All of it",
    )
    assert svc.update_milestone(db, kickoff, MilestoneDraft("Kickoff", "us", None)) == []
    assert svc.plan_start_of(db, kickoff) == date(2026, 11, 16)


def test_add_by_hand_joins_the_latest_plan_after_the_selection(db, planned) -> None:  # type: ignore[no-untyped-def]
    account_id, (kickoff, *_) = planned
    added, warnings = svc.add_milestone_by_hand(
        db, account_id, MilestoneDraft("Data review", "customer", date(2026, 11, 18)),
        after_id=kickoff,
    )  # fmt: skip
    assert warnings == []
    assert [t for t, _, _ in _rows(db, account_id)] == [
        "Kickoff",
        "Data review",
        "Setup",
        "First value",
    ]
    assert (added.plan, added.start_date) == ("Pilot", date(2026, 11, 16))
    assert svc.current_plan(db, account_id) == ("Pilot", date(2026, 11, 16))
    _, warnings = svc.add_milestone_by_hand(
        db, account_id, MilestoneDraft("Too early", "us", date(2026, 11, 1))
    )
    assert warnings and "before the plan starts" in warnings[0]
    assert _rows(db, account_id)[-1][0] == "Too early"


def test_add_by_hand_without_a_plan(db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    added, warnings = svc.add_milestone_by_hand(db, account_id, MilestoneDraft("Go live"))
    assert added.plan is None and warnings == [] and svc.current_plan(db, account_id) is None


def test_complete_skip_and_reopen(db, planned) -> None:  # type: ignore[no-untyped-def]
    account_id, (kickoff, setup, value) = planned
    with pytest.raises(ValidationError):
        svc.complete_milestone(db, kickoff, TODAY + timedelta(days=1), TODAY)
    assert svc.complete_milestone(db, kickoff, date(2026, 11, 16), TODAY) == []
    warnings = svc.complete_milestone(db, value, date(2026, 11, 15), TODAY)
    assert warnings == ["Completed 2026-11-15, before the plan starts (2026-11-16)."]
    with pytest.raises(ValidationError):
        svc.skip_milestone(db, setup, "  ")
    svc.skip_milestone(db, value, "Not relevant")
    rows = records.list_milestones(db, account_id)
    assert rows[2].completed_on is None and rows[2].skipped_reason == "Not relevant"
    svc.complete_milestone(db, value, TODAY, TODAY)
    assert records.list_milestones(db, account_id)[2].skipped_reason is None
    svc.reopen_milestone(db, value)
    row = records.list_milestones(db, account_id)[2]
    assert row.completed_on is None and row.skipped_reason is None
    with pytest.raises(NotFoundError):
        svc.reopen_milestone(db, 999)


def test_reorder_move_and_delete(db, planned) -> None:  # type: ignore[no-untyped-def]
    account_id, (kickoff, setup, value) = planned
    svc.reorder_milestones(db, account_id, [value, kickoff, setup])
    assert [t for t, _, _ in _rows(db, account_id)] == ["First value", "Kickoff", "Setup"]
    for wrong in ([value, kickoff], [value, kickoff, kickoff], [value, kickoff, 999]):
        with pytest.raises(ValidationError):
            svc.reorder_milestones(db, account_id, wrong)
    assert svc.move_milestone(db, value, -1) is False
    assert svc.move_milestone(db, value, +1) is True
    assert [t for t, _, _ in _rows(db, account_id)] == ["Kickoff", "First value", "Setup"]
    assert svc.move_milestone(db, setup, +1) is False
    svc.delete_milestone(db, kickoff)
    assert _rows(db, account_id) == [
        ("First value", 0, date(2026, 11, 30)),
        ("Setup", 1, date(2026, 11, 23)),
    ]


# --- progress and measures ------------------------------------------------------------------


def test_progress_of_an_account(db, planned) -> None:  # type: ignore[no-untyped-def]
    account_id, (kickoff, setup, value) = planned
    svc.complete_milestone(db, kickoff, date(2026, 11, 17), TODAY)
    state = svc.onboarding_progress(db, account_id, TODAY)
    p = state.progress
    assert (p.total, p.done, p.skipped) == (3, 1, 0)
    assert [m.id for m in p.overdue] == [setup]  # due 11-23, today 11-25
    assert p.next_due is not None and p.next_due.id == value
    (plan,) = state.plans
    assert (plan.plan, plan.start, plan.first_value_title) == (
        "Pilot",
        date(2026, 11, 16),
        None,  # "Pilot" is not a saved template: nothing names its first value
    )
    svc.save_template(_small())
    svc.complete_milestone(db, value, date(2026, 11, 24), TODAY)
    state = svc.onboarding_progress(db, account_id, TODAY)
    assert state.plans[0].first_value_days == 8
    assert state.is_first_value(state.milestones[2])
    assert not state.is_first_value(state.milestones[0])
    assert state.plan_of(kickoff) is state.plans[0]


def test_book_measures_by_hand(db) -> None:  # type: ignore[no-untyped-def]
    """Four accounts on the SMB 30-day plan (first value: day 14, everything due by day 30).

    a: started 10-01, all done on their due dates          → on time both ways, value day 14
    b: started 10-01, all done, first value on day 20 (late against its due, inside 30 days)
                                                            → 30 days: on time; plan: late
    c: started 10-15, one milestone still open (due 11-14)  → late both ways, value day 10
    d: started 11-24: nothing due yet                        → pending both ways, waiting
    e: started 08-01: outside the period                     → not counted
    """
    smb = svc.list_templates().get("SMB 30-day")
    assert smb is not None
    ids = {}
    for key, start in (("a", date(2026, 10, 1)), ("b", date(2026, 10, 1)),
                       ("c", date(2026, 10, 15)), ("d", date(2026, 11, 24)),
                       ("e", date(2026, 8, 1))):  # fmt: skip
        ids[key] = _account(db, f"Account {key}", start=None)
        result = svc.apply_template(db, ids[key], smb, start, TODAY)
        for m in result.milestones:
            assert m.id is not None and m.due_date is not None
            done = m.due_date
            if key == "b" and m.title == "First value reached":
                done = m.due_date + timedelta(days=6)
            if key == "c" and m.title == "Adoption check-in":
                continue
            if key == "c" and m.title == "First value reached":
                done = m.due_date - timedelta(days=4)
            if key == "d" or done > TODAY:
                continue
            svc.complete_milestone(db, m.id, done, TODAY)
    measures = svc.onboarding_measures(db, date(2026, 9, 1), date(2026, 11, 30), TODAY)
    assert [r.account_id for r in measures.runs] == [ids["a"], ids["b"], ids["c"], ids["d"]]
    window, plan = measures.on_time.within_window, measures.on_time.within_plan
    assert window.on_time == (ids["a"], ids["b"]) and window.late == (ids["c"],)
    assert window.pending == (ids["d"],) and window.value == pytest.approx(2 / 3)
    assert plan.on_time == (ids["a"],) and plan.late == (ids["b"], ids["c"])
    assert plan.value == pytest.approx(1 / 3)
    assert measures.first_value.reached == ((ids["a"], 14), (ids["b"], 20), (ids["c"], 10))
    assert measures.first_value.median_days == 14
    assert measures.first_value.waiting == (ids["d"],)


def test_archived_accounts_are_left_out_of_the_measures(db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    svc.apply_template(db, account_id, _small(), date(2026, 11, 1), TODAY)
    assert len(svc.plan_runs(db)) == 1
    accounts.set_archived(db, [account_id], True)
    assert svc.plan_runs(db) == []


def test_demo_plans_without_a_stored_start_use_the_contract_start(demo_db) -> None:  # type: ignore[no-untyped-def]
    runs = svc.plan_runs(demo_db)
    assert runs and {r.plan for r in runs} == {"Standard 90-day", "SMB 30-day"}
    some = next(r for r in reversed(runs) if r.plan == "Standard 90-day")
    kickoff = next(m for m in some.milestones if m.title == "Kickoff and expectation setting")
    assert kickoff.due_date == some.start + timedelta(days=7)
    assert some.first_value_title == "First success milestone"
    small = next(r for r in runs if r.plan == "SMB 30-day")
    welcome = next(m for m in small.milestones if m.title == "Welcome call and kickoff")
    assert welcome.due_date == small.start + timedelta(days=2)
    assert small.first_value_title == "First value reached"
    measures = svc.onboarding_measures(demo_db, date(2020, 1, 1), TODAY, TODAY)
    assert measures.first_value.reached
    assert measures.on_time.within_window.measured > 0
