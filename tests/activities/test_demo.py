"""The demo world has activities: past ones with attendance (encounters), coming ones with sign-ups."""

from __future__ import annotations

import sqlalchemy as sa

from app import demo
from app.models import Activity, ActivitySignup, Encounter, SharedPlace, utcnow


def test_the_demo_has_places_past_activities_with_encounters_and_coming_ones_with_sign_ups(db):
    counts = demo.seed()
    db.session.commit()
    assert counts["activities held"] >= 8
    places = {p.name for p in db.session.scalars(sa.select(SharedPlace))}
    assert {"Kajaanin kaupunginkirjasto", "Sotkamon kirjasto"} <= places
    now = utcnow()
    past = db.session.scalars(sa.select(Activity).where(Activity.starts_at < now)).all()
    assert past and all(a.encounter_id is not None for a in past)
    assert db.session.scalar(sa.select(sa.func.count(Encounter.id)).where(Encounter.place_name == "Sotkamon kirjasto"))
    coming = db.session.scalars(sa.select(Activity).where(Activity.starts_at > now)).all()
    statuses = {s.status for a in coming for s in a.signups}
    assert {"signed_up", "waiting"} <= statuses
    assert demo.seed()["activities"] == 0  # idempotent
    assert db.session.scalar(sa.select(sa.func.count(ActivitySignup.id).filter(ActivitySignup.status == "no_show")))
