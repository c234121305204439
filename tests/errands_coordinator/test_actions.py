"""The rules behind the coordinator's and the helper's errand actions, at the
service level (app/errands/actions.py): who still needs helpers, offers that
remember the ranking, direct assignment among the best candidates only, a
failed accept that keeps only the closed offer, withdrawal checks."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.errands import actions, lifecycle
from app.models import Assignment, Errand, Offer, utcnow


def _assign(db, errand: Errand, helper, coordinator) -> Assignment:
    assignment = lifecycle.accept_errand(errand.id, helper.id, via="coordinator", by_user=coordinator)
    db.session.commit()
    return assignment


def test_needs_helpers_until_every_slot_is_taken_and_not_after_the_end(db, make, org, elder, coordinator):
    first, second = make.helper(org=org, age=25), make.helper(org=org, age=25)
    errand = make.request(elder, taken_by=coordinator, helpers_needed=2).errands[0]
    assert actions.needs_helpers(errand)
    assert not actions.needs_helpers(errand, now=errand.ends_at)
    _assign(db, errand, first, coordinator)
    db.session.refresh(errand)
    assert errand.state in ("open", "offered") and actions.needs_helpers(errand)
    _assign(db, errand, second, coordinator)
    db.session.refresh(errand)
    assert errand.state == "assigned" and not actions.needs_helpers(errand)
    assert actions.candidates_for(errand) is None
    refused = actions.offer_best(errand, 3, by_user=coordinator)
    assert refused.code == "not_allowed_transition" and not refused.ok


def test_offers_remember_each_helpers_place_and_score_in_the_ranking(db, make, org, elder, coordinator):
    helpers = [make.helper(org=org, age=25, lat=64.2263 + i * 0.01) for i in range(4)]
    errand = make.request(elder, taken_by=coordinator).errands[0]
    outcome = actions.offer_best(errand, 2, by_user=coordinator)
    assert outcome.ok and outcome.asked == 2 and len(outcome.names) == 2
    db.session.rollback()  # committed by the service
    offers = db.session.scalars(sa.select(Offer).order_by(Offer.rank)).all()
    assert [(o.helper_id, o.rank) for o in offers] == [(helpers[0].id, 1), (helpers[1].id, 2)]
    assert offers[0].score > offers[1].score > 0
    again = actions.offer_best(db.session.get(Errand, errand.id), 5, by_user=coordinator)
    assert [o.rank for o in again.offers] == [3, 4]  # places in the new ranking, the offered left aside
    assert actions.offer_best(db.session.get(Errand, errand.id), 5, by_user=coordinator).code == "no_candidates"


def test_chosen_helpers_outside_the_pool_are_left_out(db, make, org, elder, coordinator, monkeypatch):
    near = make.helper(org=org, age=25)
    other = make.helper(org=org, age=25, lat=64.2263 + 0.05)
    errand = make.request(elder, taken_by=coordinator).errands[0]
    assert actions.offer_chosen(errand, [], by_user=coordinator).code == "no_helpers"
    monkeypatch.setattr(actions, "DIRECT_POOL", 1)
    outcome = actions.offer_chosen(errand, [other.id, near.id, near.id], by_user=coordinator)
    assert outcome.ok and outcome.left_out == 2 and [o.helper_id for o in outcome.offers] == [near.id]


def test_direct_assignment_only_among_the_best_candidates(db, make, org, elder, coordinator, monkeypatch):
    near = make.helper(org=org, age=25, first_name="Lähi")
    farther = make.helper(org=org, age=25, lat=64.2263 + 0.05)
    errand = make.request(elder, taken_by=coordinator).errands[0]
    monkeypatch.setattr(actions, "DIRECT_POOL", 1)
    refused = actions.assign_directly(errand, farther.id, by_user=coordinator)
    assert refused.code == "not_eligible"
    assert actions.assign_directly(errand, None, by_user=coordinator).code == "not_eligible"
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0
    done = actions.assign_directly(errand, near.id, by_user=coordinator)
    assert done.ok and done.names[0].startswith("Lähi ")
    db.session.rollback()
    assert db.session.scalar(sa.select(Assignment.helper_id)) == near.id
    assert db.session.get(Errand, errand.id).state == "assigned"


def test_a_failed_accept_keeps_only_the_closed_offer(db, make, org, elder, coordinator):
    first, late = make.helper(org=org, age=25), make.helper(org=org, age=25)
    errand = make.request(elder, taken_by=coordinator).errands[0]
    actions.offer_chosen(errand, [first.id, late.id], by_user=coordinator)
    assert actions.take_errand(errand.id, first.id, via="web").ok
    db.session.rollback()
    offer = db.session.scalar(sa.select(Offer).where(Offer.helper_id == late.id))
    assert offer.status == "taken"  # closed by the first accept
    offer.status = "pending"  # as if it had stayed open
    db.session.commit()
    outcome = actions.take_errand(errand.id, late.id, via="web")
    assert outcome.code == "already_taken" and outcome.assignment is None
    db.session.rollback()  # the service has committed: what it closed is kept
    assert db.session.scalar(sa.select(Offer.status).where(Offer.helper_id == late.id)) == "taken"
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 1


def test_withdrawal_is_refused_when_not_active_or_started(db, make, org, elder, coordinator):
    helper = make.helper(org=org, age=25)
    errand = make.request(elder, taken_by=coordinator).errands[0]
    assignment = _assign(db, errand, helper, coordinator)
    now = utcnow()
    assert lifecycle.withdrawal_refusal(assignment, now) is None
    assert lifecycle.withdrawal_refusal(assignment, errand.starts_at + timedelta(minutes=1)) == "too_late"
    no_reason = actions.withdraw_assignment(assignment, by_user=helper.user, reason="  ")
    assert no_reason.code == "reason_required"
    db.session.rollback()  # rolled back: still theirs
    assignment = db.session.get(Assignment, assignment.id)
    assert assignment.status == "active"
    assert actions.withdraw_assignment(assignment, by_user=helper.user, reason="Sairastuin").ok
    db.session.rollback()
    assignment = db.session.get(Assignment, assignment.id)
    assert assignment.status == "withdrawn"
    assert lifecycle.withdrawal_refusal(assignment, now) == "not_active"
    assert actions.withdraw_assignment(assignment, by_user=helper.user, reason="Again").code == "not_active"


def test_cancel_and_no_show_commit_or_roll_back_and_say_why(db, make, org, elder, coordinator):
    helper = make.helper(org=org, age=25)
    errand = make.request(elder, taken_by=coordinator).errands[0]
    assert actions.may_cancel(errand)
    # Not started yet: a no-show is refused and nothing is left half-done.
    _assign(db, errand, helper, coordinator)
    refused = actions.no_show(errand, by_user=coordinator)
    assert refused.code == "too_early" and not refused.ok
    db.session.expire_all()
    assert db.session.get(Errand, errand.id).state == "assigned"
    done = actions.cancel(errand, by_user=coordinator, by_kind="elder", reason="Sairaalassa")
    assert done.ok
    db.session.rollback()  # committed by the service
    errand = db.session.get(Errand, errand.id)
    assert errand.state == "cancelled" and not actions.may_cancel(errand)
    again = actions.cancel(errand, by_user=coordinator, by_kind="elder", reason="Uudestaan")
    assert again.code == "not_allowed_transition"


def test_a_whole_request_is_cancelled_once_with_its_coming_errands(db, make, org, elder, coordinator):
    request = make.request(elder, taken_by=coordinator)
    outcome = actions.cancel_whole_request(request.id, by_user=coordinator, by_kind="relative", reason="Muutti pois")
    assert outcome.ok and outcome.cancelled == len(request.errands) == 1
    db.session.rollback()  # committed by the service
    assert db.session.get(Errand, request.errands[0].id).state == "cancelled"
    again = actions.cancel_whole_request(request.id, by_user=coordinator, by_kind="relative", reason="Uudestaan")
    assert again.code == "already_cancelled"
