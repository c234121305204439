"""Unit tests for app.matching.score (pure, no fixtures, no database)."""

from __future__ import annotations

import dataclasses
import math
import pickle
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.matching.geo import EARTH_RADIUS_KM, haversine_km
from app.matching.score import (
    EXCLUSION_CODES,
    HELSINKI,
    PART_OF_DAY_HOURS,
    PARTS_OF_DAY,
    PROFILE_FIT,
    REASON_CODES,
    WEIGHTS,
    ErrandSpec,
    Excluded,
    Exclusion,
    HelperCandidate,
    Ranked,
    Reason,
    errand_rules,
    evaluate,
    hard_rules,
    hard_rules_each,
    hard_rules_of,
    minor_hours_ok,
    new_candidate,
    passing_each,
    rank,
    slots_for_window,
)
from app.vocabulary import ELDER_PROFILES, YOUTH_PROFILES
from tests.factories import helsinki

KM_PER_DEG = EARTH_RADIUS_KM * math.pi / 180.0
ELDER_LAT, ELDER_LON = 64.2270, 27.7285  # Kajaani
ALL_SLOTS = frozenset((d, p) for d in range(7) for p in PARTS_OF_DAY)


def utc(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def north_of_elder(km: float) -> tuple[float, float]:
    return ELDER_LAT + km / KM_PER_DEG, ELDER_LON


# Tuesday 10 June 2025, 10:00-11:00 Helsinki (EEST) = 07:00-08:00 UTC.
START = helsinki(2025, 6, 10, 10)
END = helsinki(2025, 6, 10, 11)


def make_errand(**kw: Any) -> ErrandSpec:
    base: dict[str, Any] = {
        "errand_id": 1,
        "elder_id": 100,
        "task_type": "shopping",
        "lat": ELDER_LAT,
        "lon": ELDER_LON,
        "starts_at": START,
        "ends_at": END,
        "language": "fi",
        "elder_profile": None,
        "prefers_continuity": False,
        "preferred_helper_id": None,
    }
    base.update(kw)
    return ErrandSpec(**base)


def make_helper(helper_id: int = 1, km: float | None = 1.0, **kw: Any) -> HelperCandidate:
    """An adult, approved, available helper ``km`` north of the elder."""
    lat, lon = north_of_elder(km) if km is not None else (None, None)
    base: dict[str, Any] = {
        "helper_id": helper_id,
        "lat": lat,
        "lon": lon,
        "max_distance_km": 5.0,
        "task_types": frozenset({"shopping", "post", "walk"}),
        "availability": ALL_SLOTS,
        "languages": frozenset({"fi"}),
        "is_approved": True,
        "is_paused": False,
        "is_suspended": False,
        "is_minor": False,
        "has_guardian_consent": False,
        "busy_intervals": (),
        "youth_profile": None,
        "past_errands_with_elder": 0,
        "past_feedback_with_elder": None,
        "recent_assignments": 0,
    }
    base.update(kw)
    return HelperCandidate(**base)


def random_errand(rng: random.Random) -> ErrandSpec:
    """An errand on a summer day at a random hour, now and then with no place."""
    start = helsinki(2025, 6, 10, rng.randint(5, 22), rng.choice((0, 30)))
    end = start + timedelta(minutes=rng.choice((30, 60, 120)))
    placed = rng.random() > 0.05
    return make_errand(
        starts_at=start, ends_at=end, lat=ELDER_LAT if placed else None, lon=ELDER_LON if placed else None
    )


def random_helper(rng: random.Random, helper_id: int, start: datetime) -> HelperCandidate:
    """A helper failing each hard rule now and then (busy around ``start``)."""
    busy = ((start - timedelta(minutes=30), start + timedelta(minutes=15)),) if rng.random() < 0.2 else ()
    return make_helper(
        helper_id,
        km=None if rng.random() < 0.05 else rng.uniform(0, 12),
        max_distance_km=rng.choice((2.0, 5.0, 10.0)),
        is_approved=rng.random() > 0.1,
        is_paused=rng.random() < 0.1,
        is_suspended=rng.random() < 0.05,
        is_minor=rng.random() < 0.4,
        has_guardian_consent=rng.random() < 0.7,
        busy_intervals=busy,
    )


def ranked(errand: ErrandSpec, helper: HelperCandidate) -> Ranked:
    res = evaluate(errand, helper)
    assert isinstance(res, Ranked), res
    return res


def excluded(errand: ErrandSpec, helper: HelperCandidate) -> Excluded:
    res = evaluate(errand, helper)
    assert isinstance(res, Excluded), res
    return res


def reason(res: Ranked, code: str) -> Reason:
    found = [r for r in res.reasons if r.code == code]
    assert len(found) == 1, (code, res.reasons)
    return found[0]


def codes(res: Ranked) -> list[str]:
    return [r.code for r in res.reasons]


# --------------------------------------------------------------------------
# Baseline
# --------------------------------------------------------------------------


def test_eligible_helper_is_ranked_with_reasons() -> None:
    res = ranked(make_errand(), make_helper(km=1.0))
    assert res.helper_id == 1
    assert res.distance_km == pytest.approx(1.0, rel=1e-9)
    assert codes(res) == ["distance", "task", "availability", "language", "fairness"]
    assert res.score == pytest.approx(sum(r.points for r in res.reasons))
    assert all(c in REASON_CODES for c in codes(res))


def test_score_components_follow_weights() -> None:
    res = ranked(make_errand(), make_helper(km=1.0))
    half = WEIGHTS["distance_half_km"]
    assert reason(res, "distance").points == pytest.approx(WEIGHTS["distance"] * half / (half + 1))
    assert reason(res, "task").points == WEIGHTS["task"]
    assert reason(res, "availability").points == WEIGHTS["availability"]
    assert reason(res, "language").points == WEIGHTS["language"]
    assert reason(res, "fairness").points == WEIGHTS["fairness"]


def test_weights_are_read_only() -> None:
    with pytest.raises(TypeError):
        WEIGHTS["distance"] = 0.0  # type: ignore[index]


def test_results_are_immutable_and_hashable() -> None:
    res = ranked(make_errand(), make_helper())
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.score = 0.0  # type: ignore[misc]
    assert hash(res.reasons) == hash(res.reasons)
    r = reason(res, "distance")
    assert r.get("max_km") == 5.0
    assert r.get("nope", "x") == "x"
    assert r.as_dict()["distance_km"] == res.distance_km


def test_now_does_not_change_the_result() -> None:
    e, h = make_errand(), make_helper()
    assert evaluate(e, h, now=utc(2030, 1, 1, 0)) == evaluate(e, h)


# --------------------------------------------------------------------------
# Hard rules, each individually
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"is_approved": False}, "not_approved"),
        ({"is_paused": True}, "paused"),
        ({"is_suspended": True}, "suspended"),
        ({"is_minor": True, "has_guardian_consent": False}, "no_guardian_consent"),
        ({"busy_intervals": ((helsinki(2025, 6, 10, 10, 30), helsinki(2025, 6, 10, 12)),)}, "busy"),
        ({"max_distance_km": 0.5}, "too_far"),
    ],
)
def test_each_hard_rule_excludes_alone(overrides: dict[str, Any], code: str) -> None:
    res = excluded(make_errand(), make_helper(km=1.0, **overrides))
    assert res.codes == (code,)
    assert res.helper_id == 1


def test_minor_hours_excludes_alone() -> None:
    e = make_errand(starts_at=helsinki(2025, 6, 10, 19, 30), ends_at=helsinki(2025, 6, 10, 20, 30))
    res = excluded(e, make_helper(is_minor=True, has_guardian_consent=True))
    assert res.codes == ("minor_hours",)
    assert res.exclusions[0].get("start") == e.starts_at  # the window itself; the page words it
    assert res.exclusions[0].get("end") == e.ends_at
    # The same window is fine for an adult.
    assert isinstance(evaluate(e, make_helper()), Ranked)


def test_minor_with_consent_in_daytime_is_ranked() -> None:
    assert isinstance(evaluate(make_errand(), make_helper(is_minor=True, has_guardian_consent=True)), Ranked)


def test_guardian_consent_irrelevant_for_adults() -> None:
    assert isinstance(evaluate(make_errand(), make_helper(has_guardian_consent=False)), Ranked)


def test_all_failed_rules_reported_in_stable_order() -> None:
    e = make_errand(starts_at=helsinki(2025, 6, 10, 21), ends_at=helsinki(2025, 6, 10, 22))
    h = make_helper(
        km=10.0,
        is_approved=False,
        is_paused=True,
        is_suspended=True,
        is_minor=True,
        has_guardian_consent=False,
        busy_intervals=((helsinki(2025, 6, 10, 20), helsinki(2025, 6, 10, 23)),),
    )
    res = excluded(e, h)
    assert res.codes == EXCLUSION_CODES
    assert res.distance_km == pytest.approx(10.0, rel=1e-9)


def test_exclusions_win_over_any_score() -> None:
    # Preferred, continuity, everything good - but paused.
    e = make_errand(preferred_helper_id=1, prefers_continuity=True)
    h = make_helper(is_paused=True, past_errands_with_elder=5, past_feedback_with_elder=5.0)
    assert excluded(e, h).codes == ("paused",)


# ---- busy ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("busy_start", "busy_end", "is_busy"),
    [
        (helsinki(2025, 6, 10, 9), helsinki(2025, 6, 10, 10), False),  # ends as errand starts
        (helsinki(2025, 6, 10, 11), helsinki(2025, 6, 10, 12), False),  # starts as errand ends
        (helsinki(2025, 6, 10, 9), helsinki(2025, 6, 10, 10, 1), True),  # overlaps the start
        (helsinki(2025, 6, 10, 10, 59), helsinki(2025, 6, 10, 12), True),  # overlaps the end
        (helsinki(2025, 6, 10, 10, 15), helsinki(2025, 6, 10, 10, 45), True),  # inside
        (helsinki(2025, 6, 10, 8), helsinki(2025, 6, 10, 18), True),  # covers it
        (helsinki(2025, 6, 11, 10), helsinki(2025, 6, 11, 11), False),  # same hours, next day
    ],
)
def test_busy_overlap(busy_start: datetime, busy_end: datetime, is_busy: bool) -> None:
    res = evaluate(make_errand(), make_helper(busy_intervals=((busy_start, busy_end),)))
    assert isinstance(res, Excluded) is is_busy


def test_busy_checks_every_interval_and_reports_the_conflict() -> None:
    free = (helsinki(2025, 6, 10, 8), helsinki(2025, 6, 10, 9))
    clash = (helsinki(2025, 6, 10, 10, 30), helsinki(2025, 6, 10, 11, 30))
    res = excluded(make_errand(), make_helper(busy_intervals=(free, clash)))
    assert res.codes == ("busy",)
    ex = res.exclusions[0]
    assert (ex.get("start"), ex.get("end")) == clash


def test_busy_with_non_utc_aware_intervals() -> None:
    local = (
        datetime(2025, 6, 10, 10, 30, tzinfo=HELSINKI),
        datetime(2025, 6, 10, 11, 30, tzinfo=HELSINKI),
    )
    assert excluded(make_errand(), make_helper(busy_intervals=(local,))).codes == ("busy",)


# ---- distance limit ------------------------------------------------------


def test_exactly_at_own_limit_is_not_too_far() -> None:
    h = make_helper(km=3.0)
    assert h.lat is not None and h.lon is not None
    d = haversine_km(ELDER_LAT, ELDER_LON, h.lat, h.lon)
    assert isinstance(evaluate(make_errand(), dataclasses.replace(h, max_distance_km=d)), Ranked)
    res = excluded(make_errand(), dataclasses.replace(h, max_distance_km=d - 0.001))
    assert res.codes == ("too_far",)
    ex = res.exclusions[0]
    assert ex.get("distance_km") == pytest.approx(3.0, rel=1e-9)
    assert ex.get("max_km") == pytest.approx(d - 0.001)


def test_too_far_uses_each_helpers_own_limit() -> None:
    walker = make_helper(1, km=4.0, max_distance_km=2.0, travel_mode="walk")
    cyclist = make_helper(2, km=4.0, max_distance_km=8.0, travel_mode="bike")
    ranked_list, excl = rank(make_errand(), [walker, cyclist])
    assert [r.helper_id for r in ranked_list] == [2]
    assert [x.helper_id for x in excl] == [1]
    too_far = excl[0].exclusions[0]
    assert too_far.code == "too_far" and too_far.get("distance_km") == pytest.approx(4.0, abs=0.01)
    assert (too_far.get("max_km"), too_far.get("travel_mode")) == (2.0, "walk")


def test_zero_max_distance_same_spot_is_allowed() -> None:
    assert isinstance(evaluate(make_errand(), make_helper(km=0.0, max_distance_km=0.0)), Ranked)


# ---- missing locations ---------------------------------------------------


def test_helper_without_coordinates_is_ranked_with_unknown_distance() -> None:
    res = ranked(make_errand(), make_helper(km=None, max_distance_km=0.0))
    assert res.distance_km is None
    r = reason(res, "distance_unknown")
    assert r.get("missing") == "helper"
    assert r.points == WEIGHTS["distance_unknown"]
    assert "distance" not in codes(res)


def test_errand_without_coordinates_scores_everyone_unknown() -> None:
    e = make_errand(lat=None, lon=None)
    near = ranked(e, make_helper(1, km=0.5))
    far = ranked(e, make_helper(2, km=500.0, max_distance_km=1.0))  # not too_far: unknown
    assert near.distance_km is None and far.distance_km is None
    assert reason(near, "distance_unknown").get("missing") == "errand"
    assert near.score == far.score


def test_known_distance_beats_unknown_at_same_other_factors() -> None:
    ranked_list, _ = rank(make_errand(), [make_helper(1, km=None), make_helper(2, km=4.9)])
    assert [r.helper_id for r in ranked_list] == [2, 1]


# --------------------------------------------------------------------------
# Minors: only 08:00-20:00 Europe/Helsinki, incl. DST dates
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "ok"),
    [
        # Summer (EEST, UTC+3): 08:00 local = 05:00 UTC, 20:00 local = 17:00 UTC.
        (utc(2025, 6, 15, 5, 0), utc(2025, 6, 15, 6, 0), True),
        (utc(2025, 6, 15, 4, 59), utc(2025, 6, 15, 6, 0), False),
        (utc(2025, 6, 15, 16, 0), utc(2025, 6, 15, 17, 0), True),
        (utc(2025, 6, 15, 16, 0), utc(2025, 6, 15, 17, 1), False),
        # Winter (EET, UTC+2): same UTC times are an hour earlier locally.
        (utc(2025, 1, 15, 5, 0), utc(2025, 1, 15, 6, 0), False),  # 07:00 local
        (utc(2025, 1, 15, 6, 0), utc(2025, 1, 15, 7, 0), True),
        (utc(2025, 1, 15, 17, 0), utc(2025, 1, 15, 18, 0), True),  # ends 20:00 local
        (utc(2025, 1, 15, 17, 0), utc(2025, 1, 15, 18, 30), False),
        # Spring forward 30.3.2025 at 03:00 local (01:00 UTC): 05:00 UTC = 08:00.
        (utc(2025, 3, 30, 5, 0), utc(2025, 3, 30, 6, 0), True),
        (utc(2025, 3, 30, 4, 30), utc(2025, 3, 30, 6, 0), False),
        (utc(2025, 3, 30, 16, 30), utc(2025, 3, 30, 17, 0), True),
        # Day before spring forward: still winter time, 05:00 UTC = 07:00.
        (utc(2025, 3, 29, 5, 0), utc(2025, 3, 29, 6, 0), False),
        # Fall back 26.10.2025 at 04:00 local (01:00 UTC): 06:00 UTC = 08:00.
        (utc(2025, 10, 26, 5, 30), utc(2025, 10, 26, 6, 30), False),
        (utc(2025, 10, 26, 6, 0), utc(2025, 10, 26, 7, 0), True),
        (utc(2025, 10, 26, 17, 30), utc(2025, 10, 26, 18, 0), True),
        (utc(2025, 10, 26, 17, 30), utc(2025, 10, 26, 18, 1), False),
        # Crossing midnight or spanning two days is never allowed.
        (helsinki(2025, 6, 15, 10), helsinki(2025, 6, 16, 10), False),
        (helsinki(2025, 6, 15, 23), helsinki(2025, 6, 16, 9), False),
    ],
)
def test_minor_hours(starts_at: datetime, ends_at: datetime, ok: bool) -> None:
    assert minor_hours_ok(starts_at, ends_at) is ok
    e = make_errand(starts_at=starts_at, ends_at=ends_at)
    res = evaluate(e, make_helper(is_minor=True, has_guardian_consent=True))
    if ok:
        assert isinstance(res, Ranked)
    else:
        assert isinstance(res, Excluded) and res.codes == ("minor_hours",)


def test_minor_hours_exact_bounds() -> None:
    assert minor_hours_ok(helsinki(2025, 12, 1, 8), helsinki(2025, 12, 1, 20))
    assert not minor_hours_ok(helsinki(2025, 12, 1, 7, 59), helsinki(2025, 12, 1, 9))
    assert not minor_hours_ok(helsinki(2025, 12, 1, 19), helsinki(2025, 12, 1, 20, 1))


def test_minor_hours_requires_aware_datetimes() -> None:
    with pytest.raises(ValueError):
        minor_hours_ok(datetime(2025, 6, 1, 10), datetime(2025, 6, 1, 11))


# --------------------------------------------------------------------------
# slots_for_window
# --------------------------------------------------------------------------


def test_part_of_day_constants() -> None:
    assert dict(PART_OF_DAY_HOURS) == {"morning": (8, 12), "afternoon": (12, 16), "evening": (16, 20)}
    assert PARTS_OF_DAY == ("morning", "afternoon", "evening")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ((10, 0), (11, 0), {(1, "morning")}),
        ((8, 0), (12, 0), {(1, "morning")}),  # ends exactly at the boundary
        ((11, 30), (12, 30), {(1, "morning"), (1, "afternoon")}),
        ((12, 0), (16, 0), {(1, "afternoon")}),
        ((9, 0), (19, 0), {(1, "morning"), (1, "afternoon"), (1, "evening")}),
        ((19, 30), (21, 0), {(1, "evening")}),
        ((20, 0), (22, 0), set()),
        ((6, 0), (8, 0), set()),
    ],
)
def test_slots_for_window_tuesday(start: tuple[int, int], end: tuple[int, int], expected: set[tuple[int, str]]) -> None:
    # 10.6.2025 is a Tuesday (weekday 1).
    assert slots_for_window(helsinki(2025, 6, 10, *start), helsinki(2025, 6, 10, *end)) == expected


def test_slots_use_helsinki_time_in_both_seasons() -> None:
    # 09:30-10:30 UTC is 12:30 local in summer (afternoon), 11:30 in winter (morning+).
    assert slots_for_window(utc(2025, 6, 10, 9, 30), utc(2025, 6, 10, 10, 30)) == {(1, "afternoon")}
    assert slots_for_window(utc(2025, 1, 14, 9, 30), utc(2025, 1, 14, 10, 30)) == {
        (1, "morning"),
        (1, "afternoon"),
    }


def test_slots_on_dst_change_days() -> None:
    # Sunday 30.3.2025: 05:00 UTC = 08:00 EEST (after the change).
    assert slots_for_window(utc(2025, 3, 30, 5), utc(2025, 3, 30, 6)) == {(6, "morning")}
    # Sunday 26.10.2025: 05:00 UTC = 07:00 EET (after the change) -> no slot.
    assert slots_for_window(utc(2025, 10, 26, 5), utc(2025, 10, 26, 6)) == frozenset()


def test_slots_span_midnight_and_weekdays() -> None:
    # Sunday 19:00 -> Monday 09:00 local.
    got = slots_for_window(helsinki(2025, 6, 15, 19), helsinki(2025, 6, 16, 9))
    assert got == {(6, "evening"), (0, "morning")}


def test_slots_for_a_long_window_cover_every_slot() -> None:
    assert slots_for_window(helsinki(2025, 6, 1, 0), helsinki(2025, 7, 1, 0)) == ALL_SLOTS


def test_slots_for_window_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        slots_for_window(datetime(2025, 6, 10, 10), datetime(2025, 6, 10, 11))
    with pytest.raises(ValueError):
        slots_for_window(END, START)
    with pytest.raises(ValueError):
        slots_for_window(START, START)


# --------------------------------------------------------------------------
# Soft factors
# --------------------------------------------------------------------------


def test_task_not_offered_is_a_penalty_not_an_exclusion() -> None:
    e = make_errand(task_type="digital")
    res = ranked(e, make_helper(task_types=frozenset({"walk"})))
    r = reason(res, "task_not_offered")
    assert r.points == WEIGHTS["task_not_offered"] < 0
    assert r.get("task_type") == "digital"
    good = ranked(e, make_helper(task_types=frozenset({"digital"})))
    assert good.score - res.score == pytest.approx(WEIGHTS["task"] - WEIGHTS["task_not_offered"])


def test_availability_none_partial_full() -> None:
    # 11:00-13:00 local Tuesday covers morning and afternoon.
    e = make_errand(starts_at=helsinki(2025, 6, 10, 11), ends_at=helsinki(2025, 6, 10, 13))
    full = ranked(e, make_helper(availability=frozenset({(1, "morning"), (1, "afternoon")})))
    part = ranked(e, make_helper(availability=frozenset({(1, "morning"), (2, "afternoon")})))
    none = ranked(e, make_helper(availability=frozenset({(0, "morning"), (1, "evening")})))
    assert reason(full, "availability").points == WEIGHTS["availability"]
    rp = reason(part, "availability_partial")
    assert rp.points == pytest.approx(WEIGHTS["availability"] / 2)
    assert (rp.get("covered"), rp.get("total")) == (1, 2)
    assert reason(none, "availability_none").points == WEIGHTS["availability_none"] < 0
    assert full.score > part.score > none.score


def test_availability_outside_parts_of_day_is_neutral() -> None:
    e = make_errand(starts_at=helsinki(2025, 6, 10, 21), ends_at=helsinki(2025, 6, 10, 22))
    a = ranked(e, make_helper(1, availability=frozenset()))
    b = ranked(e, make_helper(2, availability=ALL_SLOTS))
    assert reason(a, "availability_unknown").points == 0.0
    assert a.score == b.score


def test_language() -> None:
    e = make_errand(language="sv")
    fi_only = ranked(e, make_helper(1, languages=frozenset({"fi"})))
    both = ranked(e, make_helper(2, languages=frozenset({"fi", "sv"})))
    assert reason(fi_only, "language_missing").points == WEIGHTS["language_missing"]
    assert reason(both, "language").points == WEIGHTS["language"]
    assert reason(both, "language").get("language") == reason(fi_only, "language_missing").get("language") == "sv"
    sv_only = make_helper(2, languages=frozenset({"sv"}))
    assert [r.helper_id for r in rank(e, [make_helper(1), sv_only])[0]] == [2, 1]


def test_fairness_prefers_helpers_with_fewer_recent_errands() -> None:
    cap = int(WEIGHTS["fairness_cap"])
    pts = [reason(ranked(make_errand(), make_helper(recent_assignments=n)), "fairness").points for n in range(cap + 3)]
    assert pts[0] == WEIGHTS["fairness"]
    assert all(a > b for a, b in zip(pts[: cap + 1], pts[1 : cap + 1], strict=False))
    assert pts[cap] == pts[cap + 1] == pts[cap + 2] == 0.0
    hs = [make_helper(i, recent_assignments=n) for i, n in [(1, 5), (2, 0), (3, 2)]]
    assert [r.helper_id for r in rank(make_errand(), hs)[0]] == [2, 3, 1]


def test_continuity_good_none_poor() -> None:
    e = make_errand()
    good = ranked(e, make_helper(past_errands_with_elder=3, past_feedback_with_elder=5.0))
    new = ranked(e, make_helper())
    poor = ranked(e, make_helper(past_errands_with_elder=3, past_feedback_with_elder=2.0))
    assert reason(good, "continuity").points == WEIGHTS["continuity"]
    assert "continuity" not in codes(new) and "continuity_poor" not in codes(new)
    assert reason(poor, "continuity_poor").points == WEIGHTS["continuity_poor"] < 0
    assert good.score > new.score > poor.score
    assert (reason(good, "continuity").get("errands"), reason(good, "continuity").get("feedback")) == (3, 5.0)
    assert (reason(poor, "continuity_poor").get("errands"), reason(poor, "continuity_poor").get("feedback")) == (3, 2.0)


def test_continuity_grows_with_visits_and_feedback() -> None:
    def pts(n: int, fb: float | None) -> float:
        res = ranked(make_errand(), make_helper(past_errands_with_elder=n, past_feedback_with_elder=fb))
        return reason(res, "continuity").points

    assert pts(1, 5.0) < pts(2, 5.0) < pts(3, 5.0) == pts(10, 5.0)
    assert pts(3, 3.0) < pts(3, 4.0) < pts(3, 5.0)
    assert pts(3, 3.0) < pts(3, None) < pts(3, 5.0)  # unknown feedback: in between
    assert pts(1, None) > 0


def test_prefers_continuity_weighs_it_more() -> None:
    h = make_helper(past_errands_with_elder=2, past_feedback_with_elder=4.5)
    plain = reason(ranked(make_errand(), h), "continuity")
    prefers = reason(ranked(make_errand(prefers_continuity=True), h), "continuity")
    assert prefers.points == pytest.approx(plain.points * WEIGHTS["continuity_prefers_factor"])
    assert prefers.get("prefers") and not plain.get("prefers")


def test_continuity_beats_a_slightly_closer_stranger_when_elder_prefers_it() -> None:
    e = make_errand(prefers_continuity=True)
    familiar = make_helper(1, km=3.0, past_errands_with_elder=4, past_feedback_with_elder=4.8)
    stranger = make_helper(2, km=0.5)
    assert [r.helper_id for r in rank(e, [stranger, familiar])[0]] == [1, 2]


def test_profile_fit() -> None:
    e = make_errand(elder_profile="koti_kunniaan")
    fit = ranked(e, make_helper(1, youth_profile="vahaan_tyytyvat"))
    other = ranked(e, make_helper(2, youth_profile="tulevaisuususkoiset"))
    unknown = ranked(e, make_helper(3, youth_profile=None))
    r = reason(fit, "profile")
    assert r.points == WEIGHTS["profile"]
    assert (r.get("elder_profile"), r.get("youth_profile")) == ("koti_kunniaan", "vahaan_tyytyvat")
    assert "profile" not in codes(other) and "profile" not in codes(unknown)
    assert fit.score - other.score == pytest.approx(WEIGHTS["profile"])


def test_profile_fit_needs_elder_profile() -> None:
    res = ranked(make_errand(elder_profile=None), make_helper(youth_profile="vahaan_tyytyvat"))
    assert "profile" not in codes(res)


def test_profile_fit_table_is_complete_and_valid() -> None:
    assert set(PROFILE_FIT) == set(ELDER_PROFILES)
    for fits in PROFILE_FIT.values():
        assert fits and fits <= set(YOUTH_PROFILES)


def test_preferred_helper() -> None:
    e = make_errand(preferred_helper_id=2)
    res = rank(e, [make_helper(1, km=0.2), make_helper(2, km=4.0)])[0]
    assert [r.helper_id for r in res] == [2, 1]
    assert res[0].reasons[0].code == "preferred"
    assert res[0].reasons[0].points == WEIGHTS["preferred"]
    assert "preferred" not in codes(res[1])


def test_closer_ranks_higher_all_else_equal() -> None:
    hs = [make_helper(i, km=km) for i, km in [(1, 4.0), (2, 0.3), (3, 2.0), (4, 1.0)]]
    res = rank(make_errand(), hs)[0]
    assert [r.helper_id for r in res] == [2, 4, 3, 1]
    assert [r.distance_km for r in res] == sorted(r.distance_km for r in res)  # type: ignore[type-var]


# --------------------------------------------------------------------------
# rank(): ordering, ties, limit, determinism
# --------------------------------------------------------------------------


def test_rank_splits_and_sorts() -> None:
    hs = [
        make_helper(5, km=1.0),
        make_helper(3, is_paused=True),
        make_helper(4, km=2.0),
        make_helper(1, is_approved=False),
    ]
    ranked_list, excl = rank(make_errand(), hs)
    assert [r.helper_id for r in ranked_list] == [5, 4]
    assert [x.helper_id for x in excl] == [1, 3]
    assert [x.codes for x in excl] == [("not_approved",), ("paused",)]


def test_identical_helpers_tie_break_by_id() -> None:
    hs = [make_helper(i, km=1.0) for i in (7, 3, 9, 1)]
    res = rank(make_errand(), hs)[0]
    assert len({r.score for r in res}) == 1
    assert [r.helper_id for r in res] == [1, 3, 7, 9]


def test_equal_score_tie_breaks_by_distance_then_unknown_last() -> None:
    w_d, w_f, half = WEIGHTS["distance"], WEIGHTS["fairness"], WEIGHTS["distance_half_km"]
    cap = int(WEIGHTS["fairness_cap"])
    # A: at the door (full distance points), no fairness points.
    a = make_helper(1, km=0.0, recent_assignments=cap)
    # B: farther, full fairness points; distance chosen so the totals match.
    d_b = half * w_d / (w_d - w_f) - half
    b = make_helper(0, km=d_b, recent_assignments=0)
    # C: unknown location; D: known distance giving the same total as C.
    c = make_helper(2, km=None, recent_assignments=0)
    target = WEIGHTS["distance_unknown"] + w_f
    d_d = half * w_d / target - half
    d = make_helper(3, km=d_d, recent_assignments=cap, max_distance_km=50.0)
    res = rank(make_errand(), [c, b, d, a])[0]
    by_id = {r.helper_id: r for r in res}
    assert by_id[0].score == by_id[1].score
    assert by_id[2].score == by_id[3].score
    order = [r.helper_id for r in res]
    assert order.index(1) < order.index(0)  # same score, closer first (despite higher id)
    assert order.index(3) < order.index(2)  # same score, unknown distance last


def test_rank_is_deterministic_under_input_order() -> None:
    rng = random.Random(12)
    hs = [
        make_helper(
            i,
            km=rng.choice([None, 0.5, 1.0, 2.0, 3.0, 6.0]),
            recent_assignments=rng.randint(0, 8),
            task_types=frozenset(rng.sample(["shopping", "walk", "post"], 2)),
            is_paused=rng.random() < 0.2,
        )
        for i in range(60)
    ]
    first = rank(make_errand(), hs)
    for _ in range(5):
        rng.shuffle(hs)
        assert rank(make_errand(), hs) == first
    scores = [r.score for r in first[0]]
    assert scores == sorted(scores, reverse=True)


def test_rank_limit() -> None:
    hs = [make_helper(i, km=0.1 * (i + 1)) for i in range(10)] + [make_helper(99, is_paused=True)]
    full, excl_full = rank(make_errand(), hs)
    top3, excl = rank(make_errand(), hs, limit=3)
    assert top3 == full[:3]
    assert [r.helper_id for r in top3] == [0, 1, 2]
    assert excl == excl_full and [x.helper_id for x in excl] == [99]  # never truncated
    assert rank(make_errand(), hs, limit=0)[0] == []
    assert rank(make_errand(), hs, limit=100)[0] == full
    with pytest.raises(ValueError):
        rank(make_errand(), hs, limit=-1)


def test_rank_accepts_any_iterable_and_empty() -> None:
    assert rank(make_errand(), []) == ([], [])
    gen = (make_helper(i) for i in range(3))
    assert len(rank(make_errand(), gen)[0]) == 3


def test_rank_matches_evaluate() -> None:
    e = make_errand(elder_profile="yhteisoaktiivi", prefers_continuity=True, language="sv")
    hs = [
        make_helper(1, youth_profile="toivokkaat", languages=frozenset({"sv"})),
        make_helper(2, past_errands_with_elder=2, past_feedback_with_elder=4.0),
        make_helper(3, is_suspended=True),
        make_helper(4, km=None, recent_assignments=3),
    ]
    ranked_list, excl = rank(e, hs)
    by_id = {r.helper_id: r for r in [*ranked_list, *excl]}
    for h in hs:
        assert evaluate(e, h) == by_id[h.helper_id]


# --------------------------------------------------------------------------
# What the sentences are made of (the pages' sentences: app/errands/reasons.py)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("km", "max_km", "mode"),
    [(3.2, 5.0, "bike"), (0.4, 2.0, "walk"), (12.3, 30.0, "car"), (1.0, 5.0, None)],
)
def test_distance_reason_carries_the_distance_and_the_helpers_limit(km: float, max_km: float, mode: str | None) -> None:
    res = ranked(make_errand(), make_helper(km=km, max_distance_km=max_km, travel_mode=mode))
    r = reason(res, "distance")
    assert r.get("distance_km") == pytest.approx(km, abs=0.01)
    assert (r.get("max_km"), r.get("travel_mode")) == (max_km, mode)


def test_fairness_reason_carries_the_recent_count() -> None:
    for n in (0, 1, 4):
        assert reason(ranked(make_errand(), make_helper(recent_assignments=n)), "fairness").get("recent") == n


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"starts_at": datetime(2025, 6, 10, 10)},  # naive
        {"ends_at": START},  # empty window
        {"ends_at": START - timedelta(hours=1)},
        {"lat": None},  # lat/lon must come as a pair
        {"lat": 95.0},
        {"elder_profile": "unknown"},
    ],
)
def test_errand_validation(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make_errand(**overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        {"lon": None},
        {"max_distance_km": -1.0},
        {"max_distance_km": float("nan")},
        {"youth_profile": "unknown"},
        {"past_feedback_with_elder": 0.0},
        {"past_feedback_with_elder": 5.5},
    ],
)
def test_helper_validation(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make_helper(**overrides)


def test_specs_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        ErrandSpec(1, 2, "post", None, None, START, END)  # type: ignore[misc]


def test_hard_rules_agree_with_evaluate_on_random_inputs() -> None:
    """The board's light check finds exactly the exclusions and distance of the full score."""
    rng = random.Random(31)
    seen: set[tuple[str, ...]] = set()
    for i in range(3000):
        errand = random_errand(rng)
        helper = random_helper(rng, i, errand.starts_at)
        full = evaluate(errand, helper)
        failed, km = hard_rules(errand, helper)
        if isinstance(full, Ranked):
            assert failed == ()
        else:
            assert failed == full.exclusions
            seen.add(full.codes)
        assert km == full.distance_km
    assert {code for codes in seen for code in codes} == set(EXCLUSION_CODES)


# ---------------------------------------------------------------------------
# new_candidate: the faster way to build a HelperCandidate is the same candidate
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(30))
def test_new_candidate_equals_the_dataclass(seed: int) -> None:
    rnd = random.Random(seed)
    fields: dict[str, Any] = {
        "helper_id": rnd.randint(1, 10**6),
        "max_distance_km": rnd.choice([0.0, 2.5, 50.0]),
        "is_approved": rnd.random() < 0.5,
        "is_paused": rnd.random() < 0.5,
        "is_suspended": rnd.random() < 0.5,
        "is_minor": rnd.random() < 0.5,
        "has_guardian_consent": rnd.random() < 0.5,
    }
    if rnd.random() < 0.8:
        fields["lat"], fields["lon"] = north_of_elder(rnd.uniform(0, 60))
    else:
        fields["lat"] = fields["lon"] = None
    # Every optional field sometimes given, sometimes left to its default.
    optional = {
        "task_types": frozenset(rnd.sample(["shopping", "post", "walk"], rnd.randint(0, 3))),
        "availability": frozenset({(rnd.randint(0, 6), "morning")}),
        "languages": frozenset({"sv"}),
        "busy_intervals": ((datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 1, 5, 10, tzinfo=UTC)),),
        "youth_profile": rnd.choice(sorted(YOUTH_PROFILES)),
        "past_errands_with_elder": rnd.randint(0, 5),
        "past_feedback_with_elder": rnd.choice([None, 1.0, 4.5]),
        "recent_assignments": rnd.randint(0, 9),
        "travel_mode": rnd.choice([None, "walk", "bus"]),
    }
    fields.update({k: v for k, v in optional.items() if rnd.random() < 0.5})
    built, expected = new_candidate(**fields), HelperCandidate(**fields)
    assert type(built) is HelperCandidate
    assert built == expected and hash(built) == hash(expected) and repr(built) == repr(expected)
    assert evaluate(make_errand(), built) == evaluate(make_errand(), expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.max_distance_km = 99.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "bad",
    [
        {"lat": 60.0, "lon": None},
        {"lat": 91.0, "lon": 25.0},
        {"max_distance_km": -1.0},
        {"max_distance_km": math.nan},
        {"youth_profile": "nobody"},
        {"past_feedback_with_elder": 6.0},
    ],
)
def test_new_candidate_checks_as_the_dataclass(bad: dict[str, Any]) -> None:
    fields = {**dataclasses.asdict(make_helper()), **bad}
    with pytest.raises(ValueError) as expected:
        HelperCandidate(**fields)
    with pytest.raises(ValueError) as built:
        new_candidate(**fields)
    assert str(built.value) == str(expected.value)


def test_new_candidate_takes_the_fields_in_order_or_by_name_and_needs_the_required_ones() -> None:
    """Positional, in the dataclass's field order (candidate_from_profile's one call, ~2 µs
    cheaper than 18 keywords), or by name as the dataclass; the required fields are required."""
    helper = make_helper(busy_intervals=((START, END),), youth_profile=sorted(YOUTH_PROFILES)[0], travel_mode="bus")
    fields = {f.name: getattr(helper, f.name) for f in dataclasses.fields(HelperCandidate)}
    in_order = [fields[f.name] for f in dataclasses.fields(HelperCandidate)]
    assert new_candidate(*in_order) == HelperCandidate(**fields) == new_candidate(**fields)
    with pytest.raises(TypeError):
        new_candidate(1, 60.0, 25.0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        new_candidate(helper_id=1)
    with pytest.raises(TypeError):
        new_candidate(*in_order, None)  # one too many


def test_a_rankings_results_built_with_plain_stores_equal_the_dataclasses() -> None:
    """rank() builds its Ranked, Excluded, Reason and Exclusion objects the way new_candidate
    is built: the same classes, equal, hashable and frozen, positional as the dataclasses."""
    from app.matching import score

    reason = score._new_reason("distance", 12.5, (("distance_km", 1.0), ("max_km", 5.0)))
    exclusion = score._new_exclusion("busy", (("start", START), ("end", END)))
    built = [
        reason,
        exclusion,
        score._new_ranked(7, 61.25, 1.0, (reason,)),
        score._new_excluded(8, (exclusion,), None),
        score._new_excluded(9, (exclusion,)),  # the default distance
    ]
    expected = [
        Reason("distance", 12.5, (("distance_km", 1.0), ("max_km", 5.0))),
        Exclusion("busy", (("start", START), ("end", END))),
        Ranked(7, 61.25, 1.0, (Reason("distance", 12.5, (("distance_km", 1.0), ("max_km", 5.0))),)),
        Excluded(8, (Exclusion("busy", (("start", START), ("end", END))),), None),
        Excluded(9, (Exclusion("busy", (("start", START), ("end", END))),)),
    ]
    for got, want in zip(built, expected, strict=True):
        assert type(got) is type(want)
        assert got == want and hash(got) == hash(want) and repr(got) == repr(want)
        assert pickle.loads(pickle.dumps(got)) == want
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(got, dataclasses.fields(got)[0].name, None)
    assert built[3].codes == ("busy",)


def test_slots_for_window_kept_gives_the_same_for_equal_instants_and_still_checks() -> None:
    utc_start, utc_end = START.astimezone(UTC), END.astimezone(UTC)
    assert slots_for_window(START, END) == slots_for_window(utc_start, utc_end) == frozenset({(1, "morning")})
    for _ in range(2):  # a bad window is refused every time, not kept
        with pytest.raises(ValueError):
            slots_for_window(END, START)
        with pytest.raises(ValueError):
            slots_for_window(START.replace(tzinfo=None), END)


def test_kept_errand_rules_agree_with_hard_rules_on_random_inputs() -> None:
    """The board keeps each errand's part of the rules (errand_rules, also through the
    shared cache's pickle) and judges many helpers with it: the same exclusions and
    distance as hard_rules, for every helper, whatever was judged with it before."""
    rng = random.Random(57)
    seen: set[str] = set()
    for _ in range(300):
        errand = random_errand(rng)
        kept = errand_rules(errand)
        for rules in (kept, pickle.loads(pickle.dumps(kept))):
            for i in range(10):
                helper = random_helper(rng, i, errand.starts_at)
                expected = hard_rules(errand, helper)
                assert hard_rules_of(rules, helper) == expected
                seen.update(f.code for f in expected[0])
    assert seen == set(EXCLUSION_CODES)


def test_hard_rules_each_agrees_with_hard_rules_of_for_every_errand() -> None:
    """The board judges one helper against many kept errands at once (hard_rules_each):
    the same exclusions and distance as hard_rules_of, errand by errand, for helpers who
    fail each rule now and then and for plain approved adults (its shortcut), with errands
    near and far, on and off their limit, and with no place."""
    rng = random.Random(61)
    seen: set[str] = set()
    plain = passed_each = 0
    for i in range(400):
        errands = []
        for _ in range(rng.randint(0, 30)):
            errand = random_errand(rng)
            if errand.lat is not None and rng.random() < 0.7:  # somewhere around the person
                errand = dataclasses.replace(
                    errand, lat=ELDER_LAT + rng.uniform(-0.15, 0.15), lon=ELDER_LON + rng.uniform(-0.3, 0.3)
                )
            errands.append(errand)
        rules = [errand_rules(e) for e in errands]
        start = errands[0].starts_at if errands else START
        helper = random_helper(rng, i, start)
        if i % 3 == 0:  # an approved adult, neither paused, suspended nor busy
            helper = dataclasses.replace(
                helper, is_approved=True, is_paused=False, is_suspended=False, is_minor=False, busy_intervals=()
            )
        if i % 7 == 0 and errands and errands[0].lat is not None:  # exactly on their limit
            limit = haversine_km(helper.lat or ELDER_LAT, helper.lon or ELDER_LON, errands[0].lat, errands[0].lon)
            helper = dataclasses.replace(helper, max_distance_km=limit)
        expected = [hard_rules_of(r, helper) for r in rules]
        assert hard_rules_each(rules, helper) == expected
        assert hard_rules_each(iter(rules), helper) == expected  # any iterable
        # passing_each: only for a helper who can fail only by distance, the errands passed.
        chosen = [j for j in range(len(rules)) if rng.random() < 0.8]
        only_distance = helper.is_approved and not (
            helper.is_paused or helper.is_suspended or helper.is_minor or helper.busy_intervals
        )
        passing = passing_each(rules, chosen, helper)
        if not only_distance:
            assert passing is None
        else:
            assert passing == [
                (True, 0.0, j) if expected[j][1] is None else (False, expected[j][1], j)
                for j in chosen
                if not expected[j][0]
            ]
            assert passing_each(rules, iter(chosen), helper) == passing
            passed_each += 1
        plain += helper.is_approved and not helper.is_minor and not helper.busy_intervals
        seen.update(f.code for failed, _ in expected for f in failed)
    assert seen == set(EXCLUSION_CODES)
    assert plain > 100
    assert passed_each > 100
