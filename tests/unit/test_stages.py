"""Unit tests for app.encounters.stages (pure rules, no database)."""

from __future__ import annotations

import dataclasses
import itertools
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.encounters import stages as s
from app.encounters.stages import (
    EncounterFact,
    StageResult,
    all_stages,
    apply_override,
    area_summary,
    describe,
    pair_stage,
    pair_stages,
    person_stage,
    person_stages,
    reached_at_least,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
HELPER = 10
ELDER = 20
_ids = itertools.count(1)


def fact(
    days_ago: float = 1,
    *,
    eid: int | None = None,
    kind: str = "home_help",
    place: str = "home",
    initiated_by: str = "coordinator",
    led_by: str = "helper",
    helpers: frozenset[int] | set[int] = frozenset({HELPER}),
    elders: frozenset[int] | set[int] = frozenset({ELDER}),
    organised: bool = False,
    scores: tuple[int, ...] = (),
) -> EncounterFact:
    return EncounterFact(
        encounter_id=next(_ids) if eid is None else eid,
        occurred_at=NOW - timedelta(days=days_ago),
        kind=kind,  # type: ignore[arg-type]
        place_kind=place,  # type: ignore[arg-type]
        initiated_by=initiated_by,  # type: ignore[arg-type]
        led_by=led_by,  # type: ignore[arg-type]
        helper_ids=frozenset(helpers),
        elder_ids=frozenset(elders),
        organised_by_participant=organised,
        feedback_scores=scores,
    )


def together(days_ago: float = 1, **kw: object) -> EncounterFact:
    kw.setdefault("kind", "shared_activity")
    kw.setdefault("place", "shared_space")
    return fact(days_ago, **kw)  # type: ignore[arg-type]


def self_started(days_ago: float = 1, **kw: object) -> EncounterFact:
    kw.setdefault("initiated_by", "participants")
    return fact(days_ago, **kw)  # type: ignore[arg-type]


def pair(facts: list[EncounterFact], now: datetime = NOW) -> StageResult:
    return pair_stage(facts, HELPER, ELDER, now=now)


# --- EncounterFact ------------------------------------------------------------


class TestEncounterFact:
    def test_valid_fact_is_frozen_and_slotted(self) -> None:
        f = fact(scores=(1, 5))
        assert f.feedback_scores == (1, 5)
        with pytest.raises(dataclasses.FrozenInstanceError):
            f.kind = "company_walk"  # type: ignore[misc]
        assert not hasattr(f, "__dict__")

    def test_naive_datetime_rejected(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            EncounterFact(1, datetime(2025, 1, 1), "home_help", "home", "helper", "helper",
                          frozenset({1}), frozenset({2}))  # fmt: skip

    def test_other_timezone_normalised_to_utc(self) -> None:
        helsinki = timezone(timedelta(hours=3))
        f = EncounterFact(1, datetime(2025, 1, 1, 15, tzinfo=helsinki), "home_help", "home",
                          "helper", "helper", frozenset({1}), frozenset({2}))  # fmt: skip
        assert f.occurred_at.tzinfo is UTC
        assert f.occurred_at == datetime(2025, 1, 1, 12, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("kind", "coffee"),
            ("place", "library"),
            ("initiated_by", "parent"),
            ("led_by", "participants"),
        ],
    )
    def test_unknown_values_rejected(self, field: str, value: str) -> None:
        with pytest.raises(ValueError, match="unknown"):
            fact(**{field: value})  # type: ignore[arg-type]

    def test_every_encounter_needs_young_and_old(self) -> None:
        with pytest.raises(ValueError, match="helper_ids"):
            fact(helpers=frozenset())
        with pytest.raises(ValueError, match="elder_ids"):
            fact(elders=frozenset())

    def test_ids_coerced_to_frozenset_and_checked(self) -> None:
        f = EncounterFact(1, NOW, "home_help", "home", "helper", "helper",
                          [1, 2], {3}, feedback_scores=[4])  # type: ignore[arg-type]  # fmt: skip
        assert f.helper_ids == frozenset({1, 2}) and isinstance(f.helper_ids, frozenset)
        assert f.elder_ids == frozenset({3})
        assert f.feedback_scores == (4,)
        with pytest.raises(TypeError):
            fact(helpers={"1"})  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            fact(eid=True)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [0, 6, -1])
    def test_feedback_out_of_range(self, bad: int) -> None:
        with pytest.raises(ValueError, match="feedback"):
            fact(scores=(3, bad))

    def test_feedback_bounds_accepted(self) -> None:
        assert fact(scores=(1, 5)).feedback_scores == (1, 5)

    def test_organised_must_be_bool(self) -> None:
        with pytest.raises(TypeError):
            fact(organised=1)  # type: ignore[arg-type]

    def test_rule_properties(self) -> None:
        assert together().is_together
        assert fact(kind="company_walk", place="shared_space").is_together
        assert fact(kind="community_event", place="outdoors").is_together
        assert not fact(kind="company_walk", place="outdoors").is_together
        assert not fact(kind="home_help", place="home").is_together
        assert self_started().is_self_initiated
        assert not fact(initiated_by="coordinator").is_self_initiated
        assert fact(led_by="elder").is_roles_both_ways
        assert fact(led_by="together").is_roles_both_ways
        assert not fact(led_by="helper").is_roles_both_ways


# --- Pair progression -----------------------------------------------------------


class TestPairProgression:
    def test_moves_0_1_2_3_as_facts_are_added(self) -> None:
        facts: list[EncounterFact] = []
        r = pair(facts)
        assert (r.stage, r.reasons, r.evidence) == (0, (s.REASON_NO_ENCOUNTERS,), ())
        assert r.next_steps == (s.NEXT_FIRST_ENCOUNTER,)

        first = fact(30)
        facts.append(first)
        r = pair(facts)
        assert r.stage == 1
        assert r.reasons == (s.REASON_MET,)
        assert r.evidence == (first.encounter_id,)
        assert r.next_steps == (s.NEXT_MEET_TOGETHER,)

        t1, t2 = together(20), together(10)
        facts += [t1, t2]
        r = pair(facts)
        assert r.stage == 2
        assert r.reasons == (s.REASON_MET, s.REASON_TOGETHER)
        assert r.evidence == (t1.encounter_id, t2.encounter_id)
        assert r.next_steps == (s.NEXT_SELF_INITIATED, s.NEXT_OWNERSHIP)

        own = [self_started(d, led_by="elder") for d in (9, 8, 7)]
        facts += own
        r = pair(facts)
        assert r.stage == 3
        assert r.reasons == (
            s.REASON_MET,
            s.REASON_TOGETHER,
            s.REASON_SELF_INITIATED,
            s.REASON_ROLES_BOTH_WAYS,
        )
        assert r.evidence == (t1.encounter_id, t2.encounter_id, *(f.encounter_id for f in own))
        assert r.next_steps == ()
        assert r.name == "Communal operating models"
        assert r.name_fi == "Yhteisöllisiä toimintamalleja"

    def test_stage_names(self) -> None:
        assert pair([]).name == "No encounters yet"
        assert pair([fact()]).name_fi == "Helppoja kohtaamisia"
        assert set(s.STAGE_NAMES) == set(s.STAGE_NAMES_FI) == set(s.STAGES)

    def test_stage_1_evidence_is_every_past_encounter_oldest_first(self) -> None:
        newer, older = fact(5), fact(400)
        r = pair([newer, older])
        assert r.stage == 1
        assert r.evidence == (older.encounter_id, newer.encounter_id)
        assert r.encounter_count == 2
        assert r.evidence_for(s.REASON_MET) == r.evidence

    def test_same_time_ordered_by_id(self) -> None:
        a, b = fact(3, eid=902), fact(3, eid=901)
        assert pair([a, b]).evidence == (901, 902)


class TestStage2:
    def test_one_together_encounter_is_not_enough(self) -> None:
        r = pair([together(1), fact(2)])
        assert r.stage == 1
        assert r.together_count == 1
        assert r.next_steps == (s.NEXT_MEET_TOGETHER,)

    def test_exactly_two_reaches_stage_2(self) -> None:
        assert s.STAGE2_MIN_TOGETHER == 2
        r = pair([together(1), together(2)])
        assert r.stage == 2
        assert r.together_count == 2

    @pytest.mark.parametrize(
        ("kind", "place", "counts"),
        [
            ("home_help", "home", False),
            ("company_walk", "outdoors", False),
            ("company_walk", "home", False),
            ("home_help", "shared_space", True),
            ("company_walk", "shared_space", True),
            ("shared_activity", "outdoors", True),
            ("shared_activity", "home", True),
            ("community_event", "outdoors", True),
        ],
    )
    def test_what_counts_as_together(self, kind: str, place: str, counts: bool) -> None:
        r = pair([fact(1, kind=kind, place=place), fact(2, kind=kind, place=place)])
        assert r.stage == (2 if counts else 1)

    def test_home_visits_alone_never_reach_stage_2(self) -> None:
        r = pair([fact(d) for d in range(1, 40)])
        assert r.stage == 1

    def test_stage_2_evidence_excludes_home_visits(self) -> None:
        home, t1, t2 = fact(3), together(2), together(1)
        r = pair([home, t1, t2])
        assert r.evidence == (t1.encounter_id, t2.encounter_id)
        assert r.evidence_for(s.REASON_TOGETHER) == r.evidence
        assert r.evidence_for(s.REASON_MET) == (
            home.encounter_id,
            t1.encounter_id,
            t2.encounter_id,
        )
        assert r.evidence_for(s.REASON_SELF_INITIATED) == ()


class TestLookbackWindow:
    def test_encounter_exactly_at_window_edge_counts(self) -> None:
        assert s.LOOKBACK_DAYS == 180
        r = pair([together(180), together(1)])
        assert r.stage == 2

    def test_encounter_just_outside_window_does_not_count(self) -> None:
        edge = together(180)
        outside = EncounterFact(
            999_001,
            edge.occurred_at - timedelta(microseconds=1),
            "shared_activity",
            "shared_space",
            "coordinator",
            "helper",
            frozenset({HELPER}),
            frozenset({ELDER}),
        )
        r = pair([outside, together(1)])
        assert r.stage == 1
        assert r.together_count == 1
        assert r.encounter_count == 2

    def test_stage_2_drops_back_when_meetings_stop_but_stage_1_stays(self) -> None:
        facts = [together(10), together(5)]
        assert pair(facts).stage == 2
        # 170 days on, the older one is exactly 180 days old: still inside.
        assert pair(facts, NOW + timedelta(days=170)).stage == 2
        r = pair(facts, NOW + timedelta(days=170, seconds=1))
        assert r.stage == 1
        assert r.together_count == 1
        assert pair(facts, NOW + timedelta(days=3650)).stage == 1

    def test_stage_3_drops_back_when_self_initiated_meetings_age_out(self) -> None:
        facts = [
            together(1),
            together(2),
            self_started(100, led_by="elder"),
            self_started(101),
            self_started(102),
        ]
        assert pair(facts).stage == 3
        r = pair(facts, NOW + timedelta(days=79))  # 102-day one is now 181 days old
        assert r.stage == 2
        assert r.self_initiated_count == 2
        assert r.next_steps == (s.NEXT_SELF_INITIATED,)

    def test_future_encounters_are_ignored(self) -> None:
        planned = fact(-1)
        r = pair([planned])
        assert r.stage == 0
        assert r.encounter_count == 0

    def test_encounter_at_now_counts(self) -> None:
        assert pair([fact(0)]).stage == 1

    def test_naive_now_rejected(self) -> None:
        with pytest.raises(ValueError, match="now"):
            pair_stage([fact()], HELPER, ELDER, now=datetime(2025, 1, 1))


class TestStage3:
    @staticmethod
    def base() -> list[EncounterFact]:
        return [together(30), together(20)]

    def test_two_self_initiated_are_not_enough(self) -> None:
        r = pair(self.base() + [self_started(5, led_by="elder"), self_started(4)])
        assert r.stage == 2
        assert r.self_initiated_count == 2
        assert r.next_steps == (s.NEXT_SELF_INITIATED,)

    def test_three_self_initiated_with_elder_leading_reach_stage_3(self) -> None:
        assert s.STAGE3_MIN_SELF_INITIATED == 3
        r = pair(self.base() + [self_started(5, led_by="elder"), self_started(4), self_started(3)])
        assert r.stage == 3
        assert r.roles_both_ways_count == 1
        assert r.organised_count == 0

    @pytest.mark.parametrize("initiator", ["helper", "elder", "participants"])
    def test_every_participant_initiator_counts(self, initiator: str) -> None:
        extra = [self_started(d, initiated_by=initiator, led_by="together") for d in (3, 4, 5)]
        assert pair(self.base() + extra).stage == 3

    def test_coordinator_started_encounters_do_not_count(self) -> None:
        extra = [fact(d, initiated_by="coordinator", led_by="elder") for d in (3, 4, 5, 6)]
        r = pair(self.base() + extra)
        assert r.stage == 2
        assert r.self_initiated_count == 0
        assert r.roles_both_ways_count == 4
        assert r.next_steps == (s.NEXT_SELF_INITIATED,)

    def test_self_initiated_together_encounters_count_for_both_rules(self) -> None:
        extra = [together(d, initiated_by="elder", led_by="helper") for d in (3, 4)]
        extra.append(together(5, initiated_by="helper", organised=True))
        r = pair(extra)
        assert r.stage == 3
        assert r.together_count == 3
        assert r.self_initiated_count == 3
        assert r.reasons[-1] == s.REASON_ORGANISED
        assert s.REASON_ROLES_BOTH_WAYS not in r.reasons

    @pytest.mark.parametrize("leader", ["helper", "coordinator"])
    def test_one_way_roles_without_organising_stay_at_stage_2(self, leader: str) -> None:
        extra = [self_started(d, led_by=leader) for d in (3, 4, 5)]
        r = pair(self.base() + extra)
        assert r.stage == 2
        assert r.next_steps == (s.NEXT_OWNERSHIP,)

    @pytest.mark.parametrize("leader", ["elder", "together"])
    def test_roles_both_ways_satisfies_ownership(self, leader: str) -> None:
        extra = [self_started(3, led_by=leader), self_started(4), self_started(5)]
        r = pair(self.base() + extra)
        assert r.stage == 3
        assert s.REASON_ROLES_BOTH_WAYS in r.reasons

    def test_organising_for_others_satisfies_ownership(self) -> None:
        org = fact(3, organised=True)  # coordinator-started, but organised by a participant
        extra = [self_started(4), self_started(5), self_started(6), org]
        r = pair(self.base() + extra)
        assert r.stage == 3
        assert r.reasons[-1] == s.REASON_ORGANISED
        assert r.evidence_for(s.REASON_ORGANISED) == (org.encounter_id,)
        assert org.encounter_id in r.evidence

    def test_ownership_counts_each_encounter_once(self) -> None:
        both = self_started(3, led_by="elder", organised=True)
        r = pair(self.base() + [both, self_started(4), self_started(5)])
        assert r.stage == 3
        assert (r.roles_both_ways_count, r.organised_count, r.ownership_count) == (1, 1, 1)
        assert r.reasons[-2:] == (s.REASON_ROLES_BOTH_WAYS, s.REASON_ORGANISED)

    def test_ownership_outside_window_does_not_count(self) -> None:
        extra = [self_started(d) for d in (3, 4, 5)] + [fact(181, led_by="elder", organised=True)]
        r = pair(self.base() + extra)
        assert r.stage == 2
        assert r.roles_both_ways_count == 0
        assert r.organised_count == 0

    def test_stage_3_needs_stage_2(self) -> None:
        extra = [self_started(d, led_by="elder", organised=True) for d in (1, 2, 3, 4)]
        r = pair(extra)  # all at home: no shared spaces
        assert r.stage == 1
        assert r.next_steps == (s.NEXT_MEET_TOGETHER,)
        assert r.self_initiated_count == 4

    def test_stage_3_evidence_is_every_window_encounter_meeting_a_rule(self) -> None:
        old = together(300)  # outside the window
        plain = fact(9)  # coordinator-started home help led by the helper: meets no rule
        t1, t2 = together(8), together(7)
        s1, s2, s3 = self_started(6, led_by="together"), self_started(5), self_started(4)
        org = fact(3, organised=True)
        r = pair([org, s3, s2, s1, t2, t1, plain, old])
        assert r.stage == 3
        assert r.evidence == tuple(x.encounter_id for x in (t1, t2, s1, s2, s3, org))
        assert r.evidence_for(s.REASON_MET) == tuple(x.encounter_id for x in (old, plain, t1, t2, s1, s2, s3, org))
        assert r.evidence_for(s.REASON_SELF_INITIATED) == tuple(x.encounter_id for x in (s1, s2, s3))
        assert r.evidence_for(s.REASON_ROLES_BOTH_WAYS) == (s1.encounter_id,)
        assert r.evidence_for(s.REASON_ORGANISED) == (org.encounter_id,)
        assert r.reasons == tuple(code for code, _ in r.evidence_by_reason)


# --- Pairs and persons ------------------------------------------------------


class TestWhoCounts:
    def test_pair_counts_only_shared_encounters(self) -> None:
        with_other_elder = together(2, elders={ELDER + 1})
        with_other_helper = together(3, helpers={HELPER + 1})
        group = together(4, helpers={HELPER, 11, 12}, elders={ELDER, 21})
        r = pair([with_other_elder, with_other_helper, group])
        assert r.stage == 1
        assert r.evidence == (group.encounter_id,)

    def test_person_counts_all_their_encounters(self) -> None:
        facts = [together(2, elders={21}), together(3, elders={22}), fact(4, helpers={99})]
        helper = person_stage(facts, person_kind="helper", person_id=HELPER, now=NOW)
        assert helper.stage == 2
        assert helper.encounter_count == 2
        assert pair(facts).stage == 0
        elder = person_stage(facts, person_kind="elder", person_id=21, now=NOW)
        assert elder.stage == 1
        nobody = person_stage(facts, person_kind="elder", person_id=12345, now=NOW)
        assert nobody.stage == 0

    def test_helper_and_elder_ids_are_separate_namespaces(self) -> None:
        facts = [together(1, helpers={5}, elders={6}), together(2, helpers={5}, elders={6})]
        assert person_stage(facts, person_kind="helper", person_id=5, now=NOW).stage == 2
        assert person_stage(facts, person_kind="elder", person_id=5, now=NOW).stage == 0

    def test_invalid_person_kind(self) -> None:
        with pytest.raises(ValueError, match="person_kind"):
            person_stage([], person_kind="coordinator", person_id=1, now=NOW)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="person_kind"):
            person_stages([], person_kind="youth", now=NOW)  # type: ignore[arg-type]

    def test_identical_duplicates_count_once(self) -> None:
        t = together(1)
        copy = dataclasses.replace(t)
        r = pair([t, copy, t])
        assert r.stage == 1
        assert r.together_count == 1

    def test_conflicting_duplicates_rejected(self) -> None:
        t = together(1)
        with pytest.raises(ValueError, match="conflicting"):
            pair([t, dataclasses.replace(t, led_by="elder")])

    def test_facts_can_be_a_generator(self) -> None:
        r = pair_stage((f for f in [together(1), together(2)]), HELPER, ELDER, now=NOW)
        assert r.stage == 2


class TestBulk:
    @staticmethod
    def world() -> list[EncounterFact]:
        facts = [together(2), together(3)]
        facts += [self_started(d, led_by="elder") for d in (4, 5, 6)]  # pair 10-20: stage 3
        facts += [fact(7, helpers={11}, elders={20})]  # pair 11-20: stage 1
        facts += [together(d, helpers={12}, elders={21, 22}) for d in (8, 9)]  # 12-21, 12-22
        facts += [fact(-5, helpers={13}, elders={23})]  # future only
        facts += [fact(400, helpers={14}, elders={24})]  # long ago
        return facts

    def test_person_stages_match_single_calls(self) -> None:
        facts = self.world()
        for kind in ("helper", "elder"):
            bulk = person_stages(facts, person_kind=kind, now=NOW)  # type: ignore[arg-type]
            assert bulk, kind
            for pid, result in bulk.items():
                single = person_stage(facts, person_kind=kind, person_id=pid, now=NOW)  # type: ignore[arg-type]
                assert result == single
        helpers = person_stages(facts, person_kind="helper", now=NOW)
        assert {pid: r.stage for pid, r in helpers.items()} == {10: 3, 11: 1, 12: 2, 14: 1}

    def test_person_stages_include_listed_people_without_encounters(self) -> None:
        facts = self.world()
        result = person_stages(facts, person_kind="helper", now=NOW, person_ids=[10, 13, 77])
        assert result[13].stage == 0  # only a planned encounter
        assert result[77].stage == 0
        assert result[77].next_steps == (s.NEXT_FIRST_ENCOUNTER,)
        assert result[10].stage == 3

    def test_pair_stages_match_single_calls(self) -> None:
        facts = self.world()
        pairs = [(10, 20), (11, 20), (12, 21), (12, 22), (13, 23), (14, 24), (10, 21), (10, 20)]
        bulk = pair_stages(facts, pairs, now=NOW)
        assert set(bulk) == set(pairs)
        for (h, e), result in bulk.items():
            assert result == pair_stage(facts, h, e, now=NOW)
        stages = {p: r.stage for p, r in bulk.items()}
        assert stages == {
            (10, 20): 3,
            (11, 20): 1,
            (12, 21): 2,
            (12, 22): 2,
            (13, 23): 0,
            (14, 24): 1,
            (10, 21): 0,
        }

    def test_all_stages_matches_separate_calls(self) -> None:
        facts = self.world()
        pairs = [(10, 20), (12, 21), (99, 98)]
        overview = all_stages(facts, now=NOW, pairs=pairs, helper_ids=[77], elder_ids=[88])
        assert overview.helpers == person_stages(facts, person_kind="helper", now=NOW, person_ids=[77])
        assert overview.elders == person_stages(facts, person_kind="elder", now=NOW, person_ids=[88])
        assert overview.pairs == pair_stages(facts, pairs, now=NOW)
        assert overview.pairs[(99, 98)].stage == 0

    def test_input_order_does_not_matter(self) -> None:
        facts = self.world()
        forward = all_stages(facts, now=NOW, pairs=[(10, 20)])
        backward = all_stages(list(reversed(facts)), now=NOW, pairs=[(10, 20)])
        assert forward == backward

    def test_area_summary_from_bulk(self) -> None:
        helpers = person_stages(self.world(), person_kind="helper", now=NOW, person_ids=[13])
        summary = area_summary(r.stage for r in helpers.values())
        assert summary == {0: 1, 1: 2, 2: 1, 3: 1}

    def test_ten_thousand_people_over_a_year_is_fast(self) -> None:
        # 5,000 helpers and 5,000 elders in 5,000 pairs; each pair meets every
        # two weeks for a year (130,000 encounters), plus 100 village events
        # with 50 people each. Facts arrive in pair order, not time order.
        start = NOW - timedelta(days=365)
        facts: list[EncounterFact] = []
        eid = 0
        for p in range(5000):
            h, e = p, 100_000 + p
            for week in range(0, 52, 2):
                eid += 1
                shared = week % 4 == 0 and p % 7 != 6  # some pairs only meet at home
                facts.append(
                    EncounterFact(
                        eid,
                        start + timedelta(days=7 * week + p % 7),
                        "shared_activity" if shared else "home_help",
                        "shared_space" if shared else "home",
                        "participants" if p % 3 == 0 else "coordinator",
                        "elder" if p % 5 == 0 else "helper",
                        frozenset({h}),
                        frozenset({e}),
                    )
                )
        for ev in range(100):
            eid += 1
            members = range(ev * 25, ev * 25 + 25)
            facts.append(
                EncounterFact(
                    eid,
                    start + timedelta(days=3 * ev),
                    "community_event",
                    "shared_space",
                    "participants",
                    "together",
                    frozenset(members),
                    frozenset(100_000 + m for m in members),
                    organised_by_participant=True,
                )
            )
        pairs = [(p, 100_000 + p) for p in range(5000)]
        timings = []
        for _ in range(3):  # best of three: the test machine is shared
            t0 = time.perf_counter()
            overview = all_stages(facts, now=NOW, pairs=pairs)
            timings.append(time.perf_counter() - t0)
        assert len(overview.helpers) + len(overview.elders) == 10_000
        assert len(overview.pairs) == 5000
        funnel = area_summary(r.stage for r in [*overview.helpers.values(), *overview.elders.values()])
        assert sum(funnel.values()) == 10_000
        assert funnel[0] == 0 and funnel[1] > 0 and funnel[2] > 0 and funnel[3] > 0
        # A guard against quadratic work, not a benchmark: a linear pass takes well under
        # a second on an idle machine; the limit leaves room for a busy shared test machine.
        assert min(timings) < 2.5, f"took {min(timings):.2f}s"


# --- Funnel ---------------------------------------------------------------------


class TestAreaSummary:
    def test_counts_per_stage(self) -> None:
        assert area_summary([0, 1, 1, 2, 3, 3, 3]) == {0: 1, 1: 2, 2: 1, 3: 3}

    def test_empty_has_all_stages(self) -> None:
        summary = area_summary([])
        assert summary == {0: 0, 1: 0, 2: 0, 3: 0}
        assert list(summary) == [0, 1, 2, 3]

    @pytest.mark.parametrize("bad", [-1, 4, True, 1.0, "2"])
    def test_invalid_stage_rejected(self, bad: object) -> None:
        with pytest.raises(ValueError):
            area_summary([1, bad])  # type: ignore[list-item]

    def test_reached_at_least(self) -> None:
        assert reached_at_least({0: 1, 1: 2, 2: 1, 3: 3}) == {0: 7, 1: 6, 2: 4, 3: 3}
        assert reached_at_least({3: 2}) == {0: 2, 1: 2, 2: 2, 3: 2}


# --- Override -------------------------------------------------------------------


class TestOverride:
    def test_override_recorded_and_computed_stage_kept(self) -> None:
        computed = pair([together(1), together(2)])
        assert (computed.overridden, computed.override_reason) == (False, None)
        assert computed.computed_stage == 2
        r = apply_override(computed, 3, "  They run the Tuesday café themselves.  ")
        assert r.stage == 3
        assert r.computed_stage == 2
        assert r.overridden is True
        assert r.override_reason == "They run the Tuesday café themselves."
        assert r.reasons == (s.REASON_MET, s.REASON_TOGETHER, s.REASON_OVERRIDE)
        assert r.evidence == computed.evidence
        assert r.next_steps == ()
        assert computed.stage == 2 and not computed.overridden  # original untouched

    def test_override_down_recomputes_next_steps(self) -> None:
        computed = pair([fact(1)])
        r = apply_override(computed, 0, "Logged by mistake")
        assert r.stage == 0
        assert r.computed_stage == 1
        assert r.next_steps == ()  # the first encounter did happen
        r2 = apply_override(pair([together(1)]), 2, "Met at the library, not logged")
        assert r2.next_steps == (s.NEXT_MEET_TOGETHER, s.NEXT_SELF_INITIATED, s.NEXT_OWNERSHIP)

    def test_override_of_empty_result(self) -> None:
        r = apply_override(pair([]), 1, "Met before the platform existed")
        assert r.stage == 1
        assert r.computed_stage == 0
        assert r.next_steps == (s.NEXT_MEET_TOGETHER,)

    def test_second_override_replaces_first(self) -> None:
        computed = pair([fact(1)])
        first = apply_override(computed, 2, "first")
        second = apply_override(first, 3, "second")
        assert second.stage == 3
        assert second.computed_stage == 1
        assert second.override_reason == "second"
        assert second.reasons.count(s.REASON_OVERRIDE) == 1

    @pytest.mark.parametrize("reason", ["", "   ", None])
    def test_reason_required(self, reason: object) -> None:
        with pytest.raises(ValueError, match="reason"):
            apply_override(pair([fact()]), 2, reason)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [-1, 4, True, 2.0])
    def test_invalid_override_stage(self, bad: object) -> None:
        with pytest.raises(ValueError):
            apply_override(pair([fact()]), bad, "reason")  # type: ignore[arg-type]

    def test_stage_result_validates_stage(self) -> None:
        with pytest.raises(ValueError):
            StageResult(stage=5, reasons=(), evidence=(), next_steps=())


# --- Plain-language texts ---------------------------------------------------------


class TestTexts:
    CODES = (
        s.REASON_NO_ENCOUNTERS,
        s.REASON_MET,
        s.REASON_TOGETHER,
        s.REASON_SELF_INITIATED,
        s.REASON_ROLES_BOTH_WAYS,
        s.REASON_ORGANISED,
        s.REASON_OVERRIDE,
        s.NEXT_FIRST_ENCOUNTER,
        s.NEXT_MEET_TOGETHER,
        s.NEXT_SELF_INITIATED,
        s.NEXT_OWNERSHIP,
    )

    def test_every_code_has_a_sentence(self) -> None:
        assert set(self.CODES) == set(s.RULE_TEXT)
        for code in self.CODES:
            text = describe(code)
            assert text.endswith(".") and text[0].isupper()

    def test_codes_are_stable(self) -> None:
        assert self.CODES == (
            "no_encounters",
            "met_at_least_once",
            "met_together_in_shared_settings",
            "self_initiated_repeatedly",
            "roles_both_ways",
            "organised_for_others",
            "coordinator_override",
            "next_first_encounter",
            "next_meet_together",
            "next_self_initiated",
            "next_roles_both_ways_or_organising",
        )

    def test_sentences_use_the_constants(self) -> None:
        assert f"{s.LOOKBACK_DAYS} days" in describe(s.REASON_TOGETHER)
        assert f"at least {s.STAGE2_MIN_TOGETHER}" in describe(s.NEXT_MEET_TOGETHER)
        assert f"at least {s.STAGE3_MIN_SELF_INITIATED}" in describe(s.NEXT_SELF_INITIATED)

    def test_unknown_code(self) -> None:
        with pytest.raises(KeyError, match="unknown"):
            describe("nope")

    def test_module_docstring_matches_constants(self) -> None:
        doc = s.__doc__ or ""
        assert f"last {s.LOOKBACK_DAYS} days" in doc
        assert f"at least {s.STAGE2_MIN_TOGETHER} encounters" in doc
        assert f"at least {s.STAGE3_MIN_SELF_INITIATED} encounters" in doc
        assert f"at least {s.STAGE3_MIN_OWNERSHIP} encounter" in doc
        for name in s.STAGE_NAMES_FI.values():
            if name != s.STAGE_NAMES_FI[0]:
                assert name in doc.replace("\n  ", " ")
