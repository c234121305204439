"""The demo world's encounters: every stage in several municipalities, check-ins before and after."""

from __future__ import annotations

import random
from collections import defaultdict

import sqlalchemy as sa

from app import demo
from app.encounters import services, stages
from app.encounters.demo import seed_encounters
from app.models import CheckIn, Elder, Encounter, Errand, utcnow


def test_seed_encounters_spreads_stages_and_is_idempotent(db):
    first = demo.seed()  # the demo seeds its encounters itself
    db.session.commit()
    now = utcnow()
    done = db.session.scalar(sa.select(sa.func.count(Errand.id)).where(Errand.state == "done"))
    assert first["errand encounters"] == done > 0
    assert first["other encounters"] > 100
    assert first["check-ins"] > 10

    facts = services.encounter_facts(db.session)
    pairs = {(h, e) for f in facts for h in f.helper_ids for e in f.elder_ids}
    results = stages.pair_stages(facts, pairs, now=now)
    elder_muni = dict(db.session.execute(sa.select(Elder.id, Elder.municipality_id)).all())
    by_muni: dict[int, set[int]] = defaultdict(set)
    for (_h, e), result in results.items():
        by_muni[elder_muni[e]].add(result.stage)
    complete = [m for m, seen in by_muni.items() if {1, 2, 3} <= seen]
    assert len(complete) >= 3, by_muni

    kinds = set(db.session.scalars(sa.select(Encounter.kind).distinct()))
    assert kinds == {"home_help", "company_walk", "shared_activity", "community_event"}
    assert db.session.scalar(sa.select(sa.func.count()).where(Encounter.led_by == "elder")) > 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Encounter.place_name.like("%seurakuntatalo%"))) > 0

    changes = services.checkin_changes(None, None, None, None)
    assert changes["by_kind"]["elder"]["n"] > 0 and changes["by_kind"]["helper"]["n"] > 0
    assert services.due_checkins(now)  # some people have not been asked yet

    funnel = services.stage_funnel(None, None, now - __import__("datetime").timedelta(days=90), None, now)
    assert funnel["pairs"]["end"][3] > 0 and funnel["pairs"]["moved_up"] > 0

    again = seed_encounters(random.Random(1), now)
    assert again == {"errand encounters": 0, "other encounters": 0, "check-ins": 0}
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == first["check-ins"]
