"""The benchmark data generator: realistic, complete, deterministic, and safe to
write next to existing rows (ids and PostgreSQL sequences)."""

from __future__ import annotations

import hashlib
import math
from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db as _db
from app.models import (
    Assignment,
    Elder,
    Encounter,
    EncounterParticipant,
    Errand,
    GuardianConsent,
    HelperProfile,
    HelpRequest,
    Municipality,
    TaskType,
    User,
)
from app.places import ensure_places, ensure_task_types
from app.vocabulary import ERRAND_STATES
from bench.datagen import Spec, generate
from bench.geography import CENTRES, in_finland

TODAY = date(2026, 11, 27)
SPEC = Spec(helpers=400, elders=80, seed=11, today=TODAY)


def _count(model) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _digest() -> str:
    """The generated content by natural values only (ids may differ between runs on PostgreSQL)."""
    h = hashlib.sha256()
    for row in _db.session.execute(
        sa.select(HelperProfile.lat, HelperProfile.lon, HelperProfile.birth_date, HelperProfile.status).order_by(
            HelperProfile.lat, HelperProfile.lon
        )
    ):
        h.update(repr(tuple(row)).encode())
    for row in _db.session.execute(sa.select(Errand.starts_at, Errand.state).order_by(Errand.starts_at, Errand.state)):
        h.update(repr(tuple(row)).encode())
    h.update(repr([_count(m) for m in (Assignment, Encounter, EncounterParticipant)]).encode())
    return h.hexdigest()


def _wipe() -> None:
    for table in reversed(_db.metadata.sorted_tables):
        _db.session.execute(table.delete())
    _db.session.commit()
    ensure_places()
    ensure_task_types()
    _db.session.commit()


def test_generates_a_complete_world(db, client):
    world = generate(SPEC)

    assert _count(HelperProfile) == 400
    assert _count(Elder) == 80
    assert world.counts["helper_profiles"] == 400
    # Every helper has an account; all of them share one password hash.
    assert _count(User) == 400 + world.counts["users"] - 400
    hashes = set(_db.session.scalars(sa.select(User.password_hash).where(User.role == "helper")))
    assert len(hashes) == 1
    # Every task type and every errand state occurs.
    codes = set(
        _db.session.scalars(sa.select(TaskType.code).join(HelpRequest, HelpRequest.task_type_id == TaskType.id))
    )
    assert codes == set(_db.session.scalars(sa.select(TaskType.code)))
    assert set(_db.session.scalars(sa.select(Errand.state).distinct())) == set(ERRAND_STATES)
    # A year of encounters, each with a helper and an older person.
    first, last = _db.session.execute(
        sa.select(sa.func.min(Encounter.occurred_at), sa.func.max(Encounter.occurred_at))
    ).one()
    assert (last - first).days > 300
    assert last.date() <= TODAY
    per_encounter = _db.session.execute(
        sa.select(sa.func.count(EncounterParticipant.helper_id), sa.func.count(EncounterParticipant.elder_id)).group_by(
            EncounterParticipant.encounter_id
        )
    ).all()
    assert len(per_encounter) == _count(Encounter)
    assert all(helpers >= 1 and elders >= 1 for helpers, elders in per_encounter)
    # Minors have a guardian consent request; done errands have a done assignment.
    minors = _db.session.scalar(
        sa.select(sa.func.count()).where(HelperProfile.birth_date > TODAY - timedelta(days=18 * 365 + 4))
    )
    assert _count(GuardianConsent) == minors > 0
    done = _db.session.scalar(sa.select(sa.func.count()).where(Errand.state == "done"))
    assert (
        _db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Assignment.errand_id))).where(Assignment.status == "done")
        )
        == done
    )

    # The benchmark logins work through the real login form.
    response = client.login(world.helper_email, world.password)
    assert response.status_code == 302


def test_people_live_where_finns_live(db):
    generate(SPEC)
    points = _db.session.execute(sa.select(HelperProfile.lat, HelperProfile.lon)).all()
    points += _db.session.execute(sa.select(Elder.lat, Elder.lon)).all()
    assert [p for p in points if not (59.7 < p[0] < 70.2 and 19.0 < p[1] < 31.7)] == []

    def km_to_nearest_town(lat, lon):
        return min(111.2 * math.hypot(lat - c.lat, (lon - c.lon) * math.cos(math.radians(lat))) for c in CENTRES)

    near_town = sum(1 for lat, lon in points if km_to_nearest_town(lat, lon) < 20)
    assert near_town / len(points) > 0.6  # dense towns...
    assert near_town / len(points) < 0.98  # ...and a sparse countryside
    helsinki = next(c for c in CENTRES if c.name == "Helsinki")
    kajaani = next(c for c in CENTRES if c.name == "Kajaani")
    in_capital = sum(1 for lat, lon in points if abs(lat - helsinki.lat) < 0.15 and abs(lon - helsinki.lon) < 0.3)
    in_kajaani = sum(1 for lat, lon in points if abs(lat - kajaani.lat) < 0.15 and abs(lon - kajaani.lon) < 0.3)
    assert in_capital > 3 * in_kajaani
    # The synthetic municipalities are added next to the gazetteer's.
    names = set(_db.session.scalars(sa.select(Municipality.name)))
    assert {"Helsinki", "Kajaani", "Rovaniemi", "Paltamo"} <= names
    assert in_finland(helsinki.lat, helsinki.lon) and not in_finland(59.3, 18.0)  # Stockholm is not


def test_same_seed_same_world(db):
    generate(SPEC)
    first = _digest()
    _wipe()
    generate(SPEC)
    assert _digest() == first
    _wipe()
    generate(Spec(helpers=400, elders=80, seed=12, today=TODAY))
    assert _digest() != first


def test_rows_before_and_after_get_their_own_ids(db, make):
    earlier = make.helper()  # rows that were there before: the generator continues after them
    generate(Spec(helpers=50, elders=10, seed=3, today=TODAY))
    assert _count(HelperProfile) == 51
    generated_max = _db.session.scalar(sa.select(sa.func.max(HelperProfile.id)))
    assert earlier.id < generated_max
    later = make.helper()  # through the ORM: PostgreSQL sequences were moved past the generated ids
    assert later.id > generated_max
    assert make.elder().id > 0
