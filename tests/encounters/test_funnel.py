"""The reports' funnel reads the stored stage changes; it must agree with the pure stage rules.

Random encounters (every kind, place, initiator and leader, over 400 days,
encounters without an older person, people out
of scope and overrides) are counted by ``stage_funnel`` and by a reference
that loads the encounters and runs ``stages.all_stages`` at both ends.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import rollups
from app.encounters import funnel, services, stages
from app.models import Encounter, EncounterParticipant, StageOverride, utcnow


def reference_funnel(db, org_ids, since, now):
    """The funnel the slow way: every encounter into Python, then the pure module."""
    helper_ids = list(db.session.scalars(funnel.helper_scope(org_ids, None)))
    elder_ids = list(db.session.scalars(funnel.elder_scope(org_ids, None)))
    facts = services.encounter_facts(db.session, until=now)
    elder_set, helper_set = set(elder_ids), set(helper_ids)
    facts = [f for f in facts if f.elder_ids & elder_set or f.helper_ids & helper_set]
    pairs = sorted({(h, e) for f in facts for e in f.elder_ids if e in elder_set for h in f.helper_ids})
    overrides = list(db.session.scalars(sa.select(StageOverride).order_by(StageOverride.at, StageOverride.id)))

    def snapshot(at):
        overview = stages.all_stages(facts, now=at, pairs=pairs, helper_ids=helper_ids, elder_ids=elder_ids)
        in_force = funnel.overrides_at(overrides, at)

        def stage(kind, key, result):
            o = in_force.get((kind, key))
            return o.stage if o is not None else result.stage

        return (
            {h: stage("helper", h, overview.helpers[h]) for h in helper_ids},
            {e: stage("elder", e, overview.elders[e]) for e in elder_ids},
            {p: stage("pair", p, overview.pairs[p]) for p in pairs},
        )

    start, end = snapshot(since), snapshot(now)
    return {
        "helpers": funnel._movement(start[0], end[0]),
        "elders": funnel._movement(start[1], end[1]),
        "pairs": funnel._movement(start[2], end[2]),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_funnel_equals_the_pure_rules(db, make, seed):
    rng = random.Random(seed)
    org = make.organization(name="Kainuun 4H", municipalities=("Kajaani",))
    other = make.organization(name="Muu", municipalities=("Kuhmo",))
    helpers = [make.helper(org=org) for _ in range(6)] + [make.helper(org=other)]
    elders = [make.elder(org=org) for _ in range(5)] + [make.elder(org=other)]
    now = utcnow()
    for _ in range(120):
        enc = Encounter(
            organization_id=org.id,
            kind=rng.choice(sorted(stages.KINDS)),
            place_kind=rng.choice(sorted(stages.PLACE_KINDS)),
            municipality_id=elders[0].municipality_id,
            occurred_at=now - timedelta(days=rng.uniform(-5, 400)),
            duration_minutes=60,
            initiated_by=rng.choice(sorted(stages.INITIATORS)),
            led_by=rng.choice(sorted(stages.LEADERS)),
            organised_by_participant=rng.random() < 0.1,
        )
        for h in rng.sample(helpers, rng.choice((1, 1, 2))):
            enc.participants.append(EncounterParticipant(helper_id=h.id))
        if rng.random() > 0.08:  # some have no older person: they never count
            for e in rng.sample(elders, rng.choice((1, 1, 2))):
                enc.participants.append(EncounterParticipant(elder_id=e.id))
        db.session.add(enc)
        rollups.touch(enc)  # written straight: told as the encounter services tell
    db.session.add_all(
        [
            StageOverride(
                subject_kind="helper", helper_id=helpers[0].id, stage=3, reason="x", at=now - timedelta(days=10)
            ),
            StageOverride(
                subject_kind="pair",
                helper_id=helpers[1].id,
                elder_id=elders[1].id,
                stage=2,
                reason="y",
                at=now - timedelta(days=100),
            ),
        ]
    )
    db.session.commit()
    since = now - timedelta(days=rng.choice((30, 90, 200)))
    got = services.stage_funnel([org.id], None, since, None, now)
    want = reference_funnel(db, [org.id], since, now)
    for group in ("helpers", "elders", "pairs"):
        assert got[group] == want[group], group
    assert got["helpers"]["total"] == 6 and got["elders"]["total"] == 5
    assert sum(got["pairs"]["end"].values()) > 5


@pytest.mark.parametrize(
    ("counts", "stage"),
    [
        ((0, 0, 0, 0), 0),
        ((1, 0, 0, 0), 1),
        ((5, 1, 5, 5), 1),
        ((2, 2, 0, 0), 2),
        ((5, 2, 3, 0), 2),
        ((5, 2, 2, 1), 2),
        ((5, 2, 3, 1), 3),
    ],
)
def test_stage_from_counts(counts, stage):
    assert stages.stage_from_counts(*counts) == stage
