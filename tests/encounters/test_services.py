"""Read services for reports and the scheduler: facts, stages, funnel, check-in changes, due list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.encounters import services
from app.encounters.operations import clear_override, set_override
from app.models import utcnow
from tests.encounters.conftest import elder_answers, helper_answers
from tests.factories import local_today


@pytest.fixture()
def world(make):
    org = make.organization(name="Kainuun 4H", municipalities=("Kajaani", "Paltamo"))
    other = make.organization(name="Muu yhdistys", municipalities=("Kuhmo",))
    coordinator = make.coordinator(org=org)
    h1, h2 = make.helper(org=org), make.helper(org=org)
    e1, e2 = make.elder(org=org), make.elder(org=org)
    stranger_h, stranger_e = make.helper(org=other), make.elder(org=other)
    return {
        "org": org,
        "other": other,
        "coordinator": coordinator,
        "h1": h1,
        "h2": h2,
        "e1": e1,
        "e2": e2,
        "sh": stranger_h,
        "se": stranger_e,
    }


def _climb_to_three(make, h, e):
    """Encounters that take a pair through stages 1, 2 and 3."""
    make.encounter(h, e, days_ago=60)
    make.encounter(h, e, days_ago=50, kind="shared_activity", place="shared_space")
    make.encounter(h, e, days_ago=40, kind="community_event", place="outdoors")
    make.encounter(h, e, days_ago=30, initiated_by="participants", led_by="elder")
    make.encounter(h, e, days_ago=20, initiated_by="elder")
    make.encounter(h, e, days_ago=10, initiated_by="helper")


class TestEncounterFacts:
    def test_filters(self, db, world, make):
        w = world
        a = make.encounter(w["h1"], w["e1"], days_ago=10, scores=(5, 4))
        b = make.encounter([w["h1"], w["h2"]], w["e2"], days_ago=5, kind="shared_activity", place="shared_space")
        c = make.encounter(w["sh"], w["se"], days_ago=3)
        session = db.session
        ids = lambda facts: [f.encounter_id for f in facts]  # noqa: E731
        assert ids(services.encounter_facts(session)) == [a.id, b.id, c.id]
        assert ids(services.encounter_facts(session, helper_id=w["h1"].id)) == [a.id, b.id]
        assert ids(services.encounter_facts(session, elder_id=w["e2"].id)) == [b.id]
        assert ids(services.encounter_facts(session, helper_id=w["h2"].id, elder_id=w["e1"].id)) == []
        assert ids(services.encounter_facts(session, organization_ids=[w["org"].id])) == [a.id, b.id]
        assert ids(services.encounter_facts(session, organization_ids=[])) == []
        assert ids(services.encounter_facts(session, since=utcnow() - timedelta(days=6))) == [b.id, c.id]
        kajaani = w["e1"].municipality_id
        assert ids(services.encounter_facts(session, municipality_id=kajaani)) == [a.id, b.id, c.id]
        assert services.encounter_facts(session, municipality_id=-5) == []
        fact_b = services.encounter_facts(session, elder_id=w["e2"].id)[0]
        assert fact_b.helper_ids == {w["h1"].id, w["h2"].id}
        assert fact_b.is_together
        assert services.encounter_facts(session, elder_id=w["e1"].id)[0].feedback_scores == (5, 4)

    def test_encounter_without_an_elder_is_left_out(self, db, world, make):
        e = make.encounter(world["h1"], world["e1"])
        from app.models import EncounterParticipant

        db.session.query(EncounterParticipant).filter_by(encounter_id=e.id, elder_id=world["e1"].id).delete()
        db.session.commit()
        assert services.encounter_facts(db.session) == []

    def test_one_query_whatever_the_number(self, db, world, make, count_queries):
        for d in range(12):
            make.encounter([world["h1"], world["h2"]], [world["e1"], world["e2"]], days_ago=d + 1)
        org_id, helper_id = world["org"].id, world["h1"].id
        with count_queries() as q:
            facts = services.encounter_facts(db.session, organization_ids=[org_id], helper_id=helper_id)
        assert len(facts) == 12
        assert q.count == 1


class TestStagesFor:
    def test_pair_and_person_stages_climb(self, db, world, make):
        h, e = world["h1"], world["e1"]
        now = utcnow()
        assert services.pair_stage_for(h.id, e.id, now).stage == 0
        _climb_to_three(make, h, e)
        result = services.pair_stage_for(h.id, e.id, utcnow())
        assert result.stage == 3
        assert services.pair_stage_for(h.id, e.id, now - timedelta(days=55)).stage == 1
        assert services.pair_stage_for(h.id, e.id, now - timedelta(days=35)).stage == 2
        assert services.person_stage_for("helper", h.id, utcnow()).stage == 3
        assert services.person_stage_for("elder", world["e2"].id, utcnow()).stage == 0
        with pytest.raises(ValueError):
            services.person_stage_for("coordinator", h.id, utcnow())

    def test_override_applies_and_clears(self, db, world, make):
        h, e = world["h1"], world["e1"]
        make.encounter(h, e)
        set_override("pair", h.id, e.id, 2, "They meet weekly at the library", by=world["coordinator"])
        db.session.commit()
        result = services.pair_stage_for(h.id, e.id, utcnow())
        assert (result.stage, result.computed_stage, result.overridden) == (2, 1, True)
        assert result.override_reason == "They meet weekly at the library"
        assert services.person_stage_for("helper", h.id, utcnow()).stage == 1
        clear_override("pair", h.id, e.id, by=world["coordinator"])
        db.session.commit()
        assert services.pair_stage_for(h.id, e.id, utcnow()).overridden is False
        history = services.override_history("pair", h.id, e.id)
        assert len(history) == 1 and history[0].cleared_at is not None and not history[0].active


class TestFunnel:
    def test_people_and_pairs_and_how_they_moved(self, db, world, make):
        w = world
        _climb_to_three(make, w["h1"], w["e1"])  # 60..10 days ago
        make.encounter(w["h2"], w["e2"], days_ago=5)  # new pair in the period
        make.encounter(w["sh"], w["se"], days_ago=5)  # other organization
        now = utcnow()
        funnel = services.stage_funnel([w["org"].id], None, now - timedelta(days=35), None, now)
        helpers = funnel["helpers"]
        assert helpers["total"] == 2
        assert helpers["start"] == {0: 1, 1: 0, 2: 1, 3: 0}  # h1 at stage 2 35 days ago, h2 nothing yet
        assert helpers["end"] == {0: 0, 1: 1, 2: 0, 3: 1}
        assert helpers["moved_up"] == 2 and helpers["moved_down"] == 0
        assert helpers["transitions"][2][3] == 1 and helpers["transitions"][0][1] == 1
        assert helpers["reached_at_least"] == {0: 2, 1: 2, 2: 1, 3: 1}
        assert funnel["elders"]["end"] == {0: 0, 1: 1, 2: 0, 3: 1}
        assert funnel["people"]["total"] == 4
        assert funnel["people"]["end"][3] == 2
        pairs = funnel["pairs"]
        assert pairs["total"] == 2
        assert pairs["start"] == {0: 1, 1: 0, 2: 1, 3: 0}
        assert pairs["end"] == {0: 0, 1: 1, 2: 0, 3: 1}
        assert funnel["until"] == now

    def test_municipality_and_no_start(self, db, world, make):
        w = world
        make.encounter(w["h1"], w["e1"])
        now = utcnow()
        funnel = services.stage_funnel(None, w["se"].municipality_id, None, now + timedelta(days=5), now)
        assert funnel["since"] is None and funnel["until"] == now
        assert funnel["helpers"]["start"] == {0: funnel["helpers"]["total"], 1: 0, 2: 0, 3: 0}
        nowhere = services.stage_funnel(None, -1, None, None, now)
        assert nowhere["people"]["total"] == 0

    def test_override_in_force_counts(self, db, world, make):
        w = world
        make.encounter(w["h1"], w["e1"], days_ago=20)
        set_override("helper", w["h1"].id, None, 3, "Runs the Thursday club", by=w["coordinator"])
        db.session.commit()
        now = utcnow()
        funnel = services.stage_funnel([w["org"].id], None, now - timedelta(days=10), None, now)
        assert funnel["helpers"]["start"][1] == 1  # the override came later
        assert funnel["helpers"]["end"][3] == 1

    def test_constant_queries(self, db, world, make, count_queries):
        w = world

        org_id = w["org"].id

        def measure():
            now = utcnow()
            with count_queries() as q:
                services.stage_funnel([org_id], None, now - timedelta(days=30), None, now)
            return q.count

        make.encounter(w["h1"], w["e1"])
        few = measure()
        for d in range(15):
            make.encounter([w["h1"], w["h2"]], [w["e1"], w["e2"]], days_ago=d, kind="shared_activity")
        for _ in range(3):
            make.encounter(w["h2"], w["e2"], initiated_by="elder")
        assert measure() == few <= 6


class TestCheckinChanges:
    def test_first_vs_latest_in_period(self, db, world, make):
        w = world
        make.checkin(w["e1"], elder_answers(7, good_days=2), days_ago=200)
        make.checkin(w["e1"], elder_answers(6, good_days=3), days_ago=100)
        make.checkin(w["e1"], elder_answers(5, good_days=4), days_ago=10)
        make.checkin(w["e2"], elder_answers(4), days_ago=10)  # only one: not counted
        make.checkin(w["h1"], helper_answers(2, 3), days_ago=90)
        make.checkin(w["h1"], helper_answers(4, 3), days_ago=5)
        make.checkin(w["se"], elder_answers(9), days_ago=90)  # other organization
        make.checkin(w["se"], elder_answers(3), days_ago=5)
        today = local_today()
        result = services.checkin_changes([w["org"].id], None, today - timedelta(days=30), today)
        assert result["n"] == 2
        assert result["people_with_checkins"] == 3
        lonely = result["measures"]["loneliness_total"]
        assert (lonely["n"], lonely["mean_before"], lonely["mean_after"], lonely["mean_change"]) == (1, 7, 5, -2)
        assert result["measures"]["meaningful_role"]["mean_change"] == 2
        assert result["lonely"]["no_longer_lonely"] == 1
        assert result["by_kind"]["elder"]["n"] == 1 and result["by_kind"]["helper"]["n"] == 1
        # A period that ended before the latest check-ins: the 100-days-ago one is the "after".
        earlier = services.checkin_changes([w["org"].id], None, today - timedelta(days=150), today - timedelta(days=50))
        assert earlier["measures"]["loneliness_total"]["mean_after"] == 6
        assert "meaningful_role" not in earlier["measures"]  # its second check-in came later
        everyone = services.checkin_changes(None, None, None, None)
        assert everyone["n"] == 3

    def test_constant_queries(self, db, world, make, count_queries):
        w = world
        org_id = w["org"].id
        for person in (w["e1"], w["e2"]):
            make.checkin(person, elder_answers(6), days_ago=100)
        with count_queries() as q:
            services.checkin_changes([org_id], None, None, None)
        few = q.count
        for person in (w["e1"], w["e2"], w["se"]):
            for d in (50, 20, 5):
                make.checkin(person, elder_answers(5), days_ago=d)
        with count_queries() as q:
            services.checkin_changes([org_id], None, None, None)
        assert q.count == few == 1


class TestDueCheckins:
    def test_first_at_enrolment_then_every_91_days(self, db, world, make):
        w = world
        now = utcnow()
        due = services.due_checkins(now, [w["org"].id])
        assert {(d.kind, d.person_id) for d in due} == {
            ("helper", w["h1"].id),
            ("helper", w["h2"].id),
            ("elder", w["e1"].id),
            ("elder", w["e2"].id),
        }
        assert all(d.first for d in due)
        helper_due = next(d for d in due if d.person_id == w["h1"].id and d.kind == "helper")
        assert helper_due.phone == w["h1"].phone and helper_due.helper_user_id == w["h1"].user_id
        make.checkin(w["e1"], elder_answers(5), at=now)
        due = services.due_checkins(now + timedelta(minutes=1), [w["org"].id])
        assert ("elder", w["e1"].id) not in {(d.kind, d.person_id) for d in due}
        later = services.due_checkins(now + timedelta(days=91, minutes=1), [w["org"].id])
        again = next(d for d in later if d.kind == "elder" and d.person_id == w["e1"].id)
        assert again.first is False and again.due_at == now + timedelta(days=91)
        everyone = services.due_checkins(now)
        assert {("helper", w["sh"].id), ("elder", w["se"].id)} <= {(d.kind, d.person_id) for d in everyone}

    def test_pending_helpers_and_ended_elders_are_not_due(self, db, world, make):
        pending = make.helper(org=world["org"], status="pending")
        ended = make.elder(org=world["org"], status="ended")
        keys = {(d.kind, d.person_id) for d in services.due_checkins(utcnow())}
        assert ("helper", pending.id) not in keys and ("elder", ended.id) not in keys

    def test_constant_queries(self, db, world, make, count_queries):
        with count_queries() as q:
            services.due_checkins(utcnow())
        few = q.count
        for _ in range(4):
            make.elder(org=world["org"])
        with count_queries() as q:
            services.due_checkins(utcnow())
        assert q.count == few == 3
