"""The pure week planner on small instances whose optimum is known by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.planning.solver import (
    CAPS,
    NO_ONE_AVAILABLE,
    TAKEN,
    Instance,
    Option,
    PlanErrand,
    PlanHelper,
    best_first,
    conflict,
    solve,
)

MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 10:00 in Helsinki


def errand(id, day=0, hour=0, options=(), minutes=60, order=None, need=1, place=(64.22, 27.73)):
    start = MONDAY + timedelta(days=day, hours=hour)
    return PlanErrand(
        id=id,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        options=tuple(options),
        lat=place[0],
        lon=place[1],
        helpers_needed=need,
        order=id if order is None else order,
    )


def helpers(*ids, **kw):
    return tuple(PlanHelper(i, **kw) for i in ids)


def test_best_first_leaves_an_errand_uncovered_that_the_plan_covers():
    # Helper 1 is the best for both errands at the same time; helper 2 can only do the first.
    a = errand(1, options=[Option(1, 90.0), Option(2, 50.0)])
    b = errand(2, options=[Option(1, 90.0)])
    instance = Instance((a, b), helpers(1, 2))
    greedy = best_first(instance)
    assert greedy.lines == {1: (1,), 2: ()}
    assert greedy.uncovered == {2: TAKEN}
    plan = solve(instance, seconds=2)
    assert plan.lines == {1: (2,), 2: (1,)}
    assert plan.uncovered == {}
    assert plan.gap == pytest.approx(0.0, abs=1e-3)
    assert plan.objective > greedy.objective


def test_the_plan_spreads_the_work_when_the_scores_are_close():
    # Three two-hour errands on three days; helper 1 scores 80, helper 2 scores 75 on each.
    # All to helper 1: 240 - 5 * 6 h (largest load) - 8 * 3 h (beyond 3 h) = 186; two and one: 235 - 20 - 8 = 207.
    week = tuple(errand(i, day=i, minutes=120, options=[Option(1, 80.0), Option(2, 75.0)]) for i in range(3))
    instance = Instance(week, helpers(1, 2))
    assert [hs for hs in best_first(instance).lines.values()] == [(1,), (1,), (1,)]
    plan = solve(instance, seconds=2)
    loads = sorted(sum(1 for hs in plan.lines.values() if h in hs) for h in (1, 2))
    assert loads == [1, 2]


def test_the_regular_helper_keeps_the_person():
    a = errand(1, options=[Option(1, 70.0), Option(2, 72.0, regular=True)])
    assert solve(Instance((a,), helpers(1, 2)), seconds=1).lines == {1: (2,)}


def test_weekly_caps_hold_and_say_why():
    week = tuple(errand(i, day=i, options=[Option(1, 80.0)]) for i in range(3))
    for helper in (PlanHelper(1, max_errands=2), PlanHelper(1, max_minutes=120)):
        instance = Instance(week, (helper,))
        plan = solve(instance, seconds=1)
        assert sum(len(hs) for hs in plan.lines.values()) == 2
        assert list(plan.uncovered.values()) == [CAPS]
        assert sum(len(hs) for hs in best_first(instance).lines.values()) == 2


def test_no_candidate_is_reported_as_no_one_available():
    plan = solve(Instance((errand(1),), helpers(1)), seconds=1)
    assert plan.lines == {1: ()} and plan.uncovered == {1: NO_ONE_AVAILABLE}


def test_travel_time_between_errands_depends_on_the_way_of_moving():
    # 10:00-11:00 in Kajaani, then 11:40 in Sotkamo (~35 km straight, ~46 km by road).
    a = errand(1, hour=0, place=(64.2222, 27.7278))
    b = PlanErrand(2, a.ends_at + timedelta(minutes=40), a.ends_at + timedelta(minutes=100), (), 64.1333, 28.3833)
    assert conflict(a, b, "foot") and conflict(a, b, "bike")
    assert conflict(a, b, "car")  # 46 km at 45 km/h takes an hour
    c = PlanErrand(3, a.ends_at + timedelta(minutes=70), a.ends_at + timedelta(minutes=120), (), 64.1333, 28.3833)
    assert not conflict(a, c, "car") and conflict(a, c, "bike")
    opts = [Option(1, 80.0)]
    plan = solve(Instance((_with(a, opts), _with(c, opts)), helpers(1, transport="car")))
    assert plan.lines == {1: (1,), 3: (1,)}
    plan = solve(Instance((_with(a, opts), _with(c, opts)), helpers(1, transport="bike")))
    assert sum(len(hs) for hs in plan.lines.values()) == 1


def _fields(e):
    return {name: getattr(e, name) for name in PlanErrand.__slots__}


def _with(e, options):
    return PlanErrand(**{**_fields(e), "options": tuple(options)})


def test_locks_are_kept_on_re_solve():
    a = errand(1, options=[Option(1, 90.0), Option(2, 50.0)])
    b = errand(2, day=1, options=[Option(1, 90.0), Option(2, 60.0)])
    assert solve(Instance((a, b), helpers(1, 2)), seconds=1).lines[1] == (1,)
    locked = solve(Instance((a, b), helpers(1, 2), locks={1: (2,)}), seconds=1)
    assert locked.lines[1] == (2,)
    assert best_first(Instance((a, b), helpers(1, 2), locks={1: (2,)})).lines[1] == (2,)


def test_helpers_needed_and_one_helper_once():
    a = errand(1, need=2, options=[Option(1, 90.0), Option(2, 80.0), Option(3, 10.0)])
    plan = solve(Instance((a,), helpers(1, 2, 3)), seconds=1)
    assert plan.lines == {1: (1, 2)}


def test_day_by_day_carries_the_caps_over_the_days():
    from app.planning.solver import day_by_day

    a = errand(1, day=0, options=[Option(1, 90.0), Option(2, 40.0)])
    b = errand(2, day=1, options=[Option(1, 90.0)])
    instance = Instance((a, b), (PlanHelper(1, max_errands=1), PlanHelper(2)))
    plan = day_by_day(instance, seconds=2)
    # Monday alone gives helper 1 the first errand; Tuesday then has no one (helper 1's cap is used).
    assert plan.lines == {1: (1,), 2: ()}
    # The whole week at once does better: helper 2 on Monday, helper 1 on Tuesday.
    assert solve(instance, seconds=2).lines == {1: (2,), 2: (1,)}
