"""Availability that holds for offers: the times a helper gave (when they gave any) and their days
away keep offers from them; an empty availability excludes nothing; a coordinator may still assign
directly, and the errand's history says so."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale

from app.errands.actions import assign_directly, offer_best
from app.errands.lifecycle import offer_errand
from app.errands.reasons import event_note
from app.models import AvailabilityException, ErrandEvent, Offer
from tests.factories import helsinki, local_today

MONDAY_MORNING = [[0, "morning"]]


def _monday_16():
    today = local_today()
    monday = today + timedelta(days=7 - today.weekday())
    return helsinki(monday.year, monday.month, monday.day, 16), monday


def test_offers_hold_to_the_times_given_and_the_days_away(app, db, make):
    at, monday = _monday_16()
    org = make.organization()
    coordinator = make.coordinator(org=org)
    mornings = make.helper(org=org, age=20, availability=MONDAY_MORNING)
    unknown = make.helper(org=org, age=20, availability=[])
    away = make.helper(org=org, age=20)
    db.session.add(AvailabilityException(helper=away, first_day=monday, last_day=monday, kind="holiday"))
    errand = make.errand(make.elder(org=org), at)
    db.session.commit()
    made = offer_errand(errand, [mornings.id, unknown.id, away.id], by_user=coordinator)
    assert [o.helper_id for o in made] == [unknown.id]
    db.session.rollback()
    outcome = offer_best(errand, 5, by_user=coordinator)
    assert {o.helper_id for o in outcome.offers} == {unknown.id}
    assert set(db.session.scalars(sa.select(Offer.helper_id))) == {unknown.id}


def test_a_coordinator_may_assign_past_the_availability_and_it_is_recorded(app, db, make):
    at, _monday = _monday_16()
    org = make.organization()
    coordinator = make.coordinator(org=org)
    mornings = make.helper(org=org, age=20, availability=MONDAY_MORNING)
    errand = make.errand(make.elder(org=org), at)
    db.session.commit()
    outcome = assign_directly(errand, mornings.id, by_user=coordinator)
    assert outcome.ok
    notes = list(db.session.scalars(sa.select(ErrandEvent.note).filter_by(errand_id=errand.id)))
    assert "assigned outside availability: unavailable" in notes
    with app.test_request_context(), force_locale("en"):
        assert event_note("assigned outside availability: unavailable").startswith("Assigned by a coordinator")
