"""Onboarding templates (parsing, loading, dates) and the onboarding measures on hand-computed
cases."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from csmdesk.domain.onboarding import (
    MilestoneState,
    PlanMilestone,
    PlanRun,
    Template,
    TemplateError,
    TemplateMilestone,
    due_warning,
    first_value_measure,
    load_templates,
    milestone_state,
    on_time_onboarding,
    parse_template,
    plan_dates,
    plan_verdict,
    plan_warnings,
    progress,
    template_from_data,
    time_to_first_value,
    window_verdict,
)
from csmdesk.paths import resources_dir

BUILTIN = resources_dir() / "templates" / "onboarding"


def _text(**overrides: object) -> str:
    data: dict[str, object] = {
        "name": "Pilot",
        "version": 1,
        "milestones": [
            {"title": "Kickoff", "day": 0, "owner": "us"},
            {"title": "First value", "day": 14, "owner": "customer", "first_value": True},
        ],
    }
    data.update(overrides)
    return json.dumps(data)


def _one(**fields: object) -> str:
    milestone: dict[str, object] = {"title": "Kickoff", "day": 3, "owner": "us"}
    milestone.update(fields)
    return _text(milestones=[{k: v for k, v in milestone.items() if v is not ...}])


# --- templates ------------------------------------------------------------------------------


def test_parse_reads_a_template() -> None:
    template = parse_template(_text(description="Two steps"), "pilot.json")
    assert template.name == "Pilot" and template.description == "Two steps"
    assert [m.title for m in template.milestones] == ["Kickoff", "First value"]
    assert template.first_value == TemplateMilestone("First value", 14, "customer", "", True)
    assert template.length_days == 14


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not valid JSON (line 1, column 2"),
        ("[]", "must hold one JSON object"),
        (json.dumps({"milestones": []}), "missing field 'name'"),
        (json.dumps({"name": "X"}), "missing field 'milestones'"),
        (_text(milestones=[]), "the plan has no milestones"),
        (_text(milestones="none"), "'milestones' must be a list"),
        (_text(name="  "), "'name' is empty"),
        (_text(version=2), "newer CSM Desk (format version 2"),
        (_text(colour="red"), "unknown field 'colour'"),
        (_one(day=...), "milestone 1 (\"Kickoff\"): missing field 'day'"),
        (_one(title=...), "milestone 1: missing field 'title'"),
        (_one(owner=...), "missing field 'owner'"),
        (_one(day=-3), "'day' is -3; it must be between 0 and 365"),
        (_one(day=400), "'day' is 400; it must be between 0 and 365"),
        (_one(day=7.5), "'day' must be a whole number of days after the start, not 7.5"),
        (_one(day="7"), 'not "7"'),
        (_one(day=True), "not true"),
        (_one(owner="vendor"), '\'owner\' is "vendor"; it must be "us" or "customer"'),
        (_one(dya=3), "unknown field 'dya'"),
        (_one(first_value="yes"), "'first_value' must be true or false"),
        (
            _text(
                milestones=[
                    {"title": "Kickoff", "day": 0, "owner": "us"},
                    {"title": "kickoff", "day": 5, "owner": "us"},
                ]
            ),
            'milestones 1 and 2 have the same title "kickoff"',
        ),
        (
            _text(
                milestones=[
                    {"title": "A", "day": 0, "owner": "us", "first_value": True},
                    {"title": "B", "day": 5, "owner": "us", "first_value": True},
                ]
            ),
            "milestones 1 and 2 are all marked first_value",
        ),
    ],
)
def test_parse_names_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(text, "broken.json")
    assert caught.value.source == "broken.json"
    assert str(caught.value).startswith("broken.json: ")
    assert problem in caught.value.problem


def test_a_template_round_trips_through_json() -> None:
    template = parse_template(_text(description="d"), "a.json")
    again = template_from_data(json.loads(template.to_json()), "b.json")
    assert again.milestones == template.milestones and again.description == "d"


def test_load_skips_a_broken_file_and_user_templates_override_builtin(tmp_path: Path) -> None:
    builtin, user = tmp_path / "builtin", tmp_path / "user"
    builtin.mkdir()
    user.mkdir()
    (builtin / "pilot.json").write_text(_text(), encoding="utf-8")
    (builtin / "other.json").write_text(_text(name="Other"), encoding="utf-8")
    (user / "mine.json").write_text(_text(description="my pilot"), encoding="utf-8")
    (user / "broken.json").write_text(_one(day=-1), encoding="utf-8")
    (user / "twin.json").write_text(_text(name="PILOT"), encoding="utf-8")
    (user / "notes.txt").write_text("not a template", encoding="utf-8")
    templates, problems = load_templates([builtin, user, tmp_path / "missing"], builtin_dirs=1)
    assert [t.name for t in templates] == ["Other", "Pilot"]
    other, pilot = templates
    assert other.builtin and not pilot.builtin
    assert pilot.description == "my pilot" and pilot.source == str(user / "mine.json")
    assert [p.source for p in problems] == [str(user / "broken.json"), str(user / "twin.json")]
    assert "'day' is -1" in problems[0].problem
    assert 'same name "PILOT" as mine.json' in problems[1].problem


def test_load_reports_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "latin.json").write_bytes(b'{"name": "Caf\xe9"}')
    templates, problems = load_templates([tmp_path])
    assert templates == [] and "cannot be read" in problems[0].problem


def test_the_shipped_templates_load() -> None:
    templates, problems = load_templates([BUILTIN], builtin_dirs=1)
    assert problems == []
    by_name = {t.name: t for t in templates}
    standard, smb = by_name["Standard 90-day"], by_name["SMB 30-day"]
    assert all(t.builtin for t in templates)
    assert 10 <= len(standard.milestones) <= 12 and standard.length_days == 90
    assert 5 <= len(smb.milestones) <= 6 and smb.length_days == 30
    assert standard.first_value is not None and smb.first_value is not None
    assert {m.owner for m in standard.milestones} == {"us", "customer"}


def test_the_standard_template_matches_the_demo_book() -> None:
    from csmdesk.services.demo import _ONBOARDING_PLAN

    templates, _ = load_templates([BUILTIN])
    standard = next(t for t in templates if t.name == "Standard 90-day")
    assert [(m.title, m.day, m.owner) for m in standard.milestones] == _ONBOARDING_PLAN
    assert standard.first_value and standard.first_value.title == "First success milestone"


# --- dates ----------------------------------------------------------------------------------


def _plan(*days: int) -> Template:
    return Template("P", tuple(TemplateMilestone(f"m{d}", d) for d in days))


@pytest.mark.parametrize(
    ("start", "day", "due"),
    [
        (date(2027, 1, 31), 30, date(2027, 3, 2)),  # across a short February
        (date(2028, 1, 31), 30, date(2028, 3, 1)),  # leap year
        (date(2028, 2, 28), 1, date(2028, 2, 29)),  # onto the leap day
        (date(2028, 2, 29), 365, date(2029, 2, 28)),  # from the leap day, a year of days
        (date(2026, 12, 31), 1, date(2027, 1, 1)),  # across a year end
        (date(2026, 11, 25), 0, date(2026, 11, 25)),  # day 0 is the start
    ],
)
def test_due_dates_are_calendar_days_after_the_start(start: date, day: int, due: date) -> None:
    assert plan_dates(_plan(day), start)[0][1] == due


def test_warnings_for_a_start_in_the_past_or_far_ahead() -> None:
    today = date(2026, 11, 25)
    assert plan_warnings(_plan(7, 30), today, today) == []
    (past,) = plan_warnings(_plan(7, 30), date(2026, 11, 1), today)
    assert (
        past
        == "The plan starts 2026-11-01, 24 days ago: 1 of 2 milestones would already be overdue."
    )
    (ahead,) = plan_warnings(_plan(7), date(2028, 1, 1), today)
    assert "more than a year from now" in ahead
    assert due_warning(date(2026, 10, 31), date(2026, 11, 1)) is not None
    assert due_warning(date(2026, 11, 1), date(2026, 11, 1)) is None
    assert due_warning(None, date(2026, 11, 1)) is None


# --- state and progress ---------------------------------------------------------------------

TODAY = date(2026, 6, 30)


def test_milestone_state_and_progress() -> None:
    done = PlanMilestone("Done", date(2026, 6, 1), completed_on=date(2026, 6, 2))
    skipped = PlanMilestone("Skipped", date(2026, 6, 1), skipped_reason="not needed")
    overdue_old = PlanMilestone("Old", date(2026, 6, 1))
    overdue = PlanMilestone("Yesterday", date(2026, 6, 29))
    soon = PlanMilestone("Soon", date(2026, 7, 6))  # six days ahead: this week
    later = PlanMilestone("Later", date(2026, 7, 7))
    undated = PlanMilestone("Undated", None)
    states = [milestone_state(m, TODAY) for m in (done, skipped, overdue, soon, later, undated)]
    assert states == [
        MilestoneState.DONE,
        MilestoneState.SKIPPED,
        MilestoneState.OVERDUE,
        MilestoneState.DUE_SOON,
        MilestoneState.LATER,
        MilestoneState.UNDATED,
    ]
    p = progress([later, done, overdue, skipped, soon, overdue_old, undated], TODAY)
    assert (p.total, p.done, p.skipped, p.open) == (7, 1, 1, 5)
    assert p.overdue == (overdue_old, overdue)
    assert p.next_due is soon
    assert p.fraction == pytest.approx(1 / 6)
    assert progress([], TODAY).fraction == 1.0


# --- measures, computed by hand -------------------------------------------------------------
#
# Window: 30 days. Today 2026-06-30. "FV" marks first value.
#   1  start 03-01: Kickoff due 03-08 done 03-07; FV due 03-31 done 03-30; Review due 05-30
#      done 06-02.   window: both month-one milestones by 03-31 → on time; plan: Review late.
#   2  start 03-01: Kickoff due 03-08 done 03-10; FV due 03-31 done 04-02.
#      window: FV after 03-31 → late; plan: late.
#   3  start 03-01: Kickoff due 03-08 done 03-08; Training due 03-20 skipped; FV due 03-31
#      done 03-31 (the last day counts).   window: on time; plan: on time.
#   4  start 06-20: Kickoff due 06-27 done 06-26; FV due 07-20 open.   both pending.
#   5  start 05-01: Kickoff due 05-08 open.   window ended 05-31 → late; plan: overdue → late.
#   6  start 03-01: everything skipped → not measured.
#   7  start 06-10: Setup due 06-20 open.   window ends 07-10 → pending; plan: overdue → late.
# Within 30 days: on time {1, 3}, late {2, 5}, pending {4, 7} → 2 / 4 = 50 %.
# Within plan: on time {3}, late {1, 2, 5, 7}, pending {4} → 1 / 5 = 20 %.
# First value: 1 → 29 days, 2 → 32, 3 → 30 (median 30); 4 waiting; 5, 6, 7 unknown.


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def _runs() -> list[PlanRun]:
    m = PlanMilestone
    skip = "not needed"
    return [
        PlanRun(1, "P", d(3, 1), [m("Kickoff", d(3, 8), d(3, 7)), m("FV", d(3, 31), d(3, 30)),
                                  m("Review", d(5, 30), d(6, 2))], "FV"),
        PlanRun(2, "P", d(3, 1), [m("Kickoff", d(3, 8), d(3, 10)), m("fv", d(3, 31), d(4, 2))],
                "FV"),
        PlanRun(3, "P", d(3, 1), [m("Kickoff", d(3, 8), d(3, 8)),
                                  m("Training", d(3, 20), None, skip),
                                  m("FV", d(3, 31), d(3, 31))], "FV"),
        PlanRun(4, "P", d(6, 20), [m("Kickoff", d(6, 27), d(6, 26)), m("FV", d(7, 20))], "FV"),
        PlanRun(5, "P", d(5, 1), [m("Kickoff", d(5, 8))], "FV"),
        PlanRun(6, "P", d(3, 1), [m("Kickoff", d(3, 8), None, skip)], "FV"),
        PlanRun(7, "P", d(6, 10), [m("Setup", d(6, 20))], None),
    ]  # fmt: skip


def test_on_time_onboarding_by_hand() -> None:
    measure = on_time_onboarding(_runs(), TODAY)
    assert measure.within_days == 30 and measure.benchmark == 0.9
    window, plan = measure.within_window, measure.within_plan
    assert (window.on_time, window.late, window.pending) == ((1, 3), (2, 5), (4, 7))
    assert window.value == pytest.approx(0.5) and window.measured == 4
    assert (plan.on_time, plan.late, plan.pending) == ((3,), (1, 2, 5, 7), (4,))
    assert plan.value == pytest.approx(0.2)
    assert measure.not_measured == (6,)


def test_on_time_window_is_a_parameter() -> None:
    # Within 35 days account 2's first value (day 32) is on time.
    measure = on_time_onboarding(_runs(), TODAY, within_days=35)
    assert 2 in measure.within_window.on_time


def test_a_milestone_added_without_a_date_must_be_done_but_is_never_late() -> None:
    run = PlanRun(1, "P", d(6, 1), [PlanMilestone("Kickoff", d(6, 5), d(6, 5)),
                                    PlanMilestone("Extra", None)])  # fmt: skip
    assert plan_verdict(run, TODAY) == "pending"
    assert window_verdict(run, TODAY) == "on_time"  # undated: outside the 30-day scope
    nothing = PlanRun(1, "P", d(6, 1), [PlanMilestone("Review", d(8, 1))])
    assert window_verdict(nothing, TODAY) is None  # no milestone due within 30 days


def test_no_runs_give_no_share() -> None:
    measure = on_time_onboarding([], TODAY)
    assert measure.within_window.value is None and measure.within_plan.value is None


def test_time_to_first_value_by_hand() -> None:
    runs = _runs()
    assert time_to_first_value(runs[0].milestones, d(3, 1), "FV") == 29
    assert time_to_first_value(runs[1].milestones, d(3, 1), "fv") == 32  # any case
    assert time_to_first_value(runs[3].milestones, d(6, 20), "FV") is None
    assert time_to_first_value(runs[0].milestones, d(3, 1), None) is None
    early = [PlanMilestone("FV", d(3, 10), d(2, 25))]
    assert time_to_first_value(early, d(3, 1), "FV") == 0
    measure = first_value_measure(runs)
    assert measure.reached == ((1, 29), (2, 32), (3, 30))
    assert measure.median_days == 30
    assert measure.waiting == (4,)
    assert measure.unknown == (5, 6, 7)
