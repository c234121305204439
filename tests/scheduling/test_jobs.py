"""Escalation, offer expiry, repeating errands, feedback requests and retention."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from app.errands.requests import RequestInput, create_request
from app.models import CoordinatorAlert, Errand, Offer, SmsMessage, TaskType, utcnow
from app.scheduling.jobs import (
    job_escalate,
    job_expire_offers,
    job_feedback_requests,
    job_generate_errands,
    job_purge,
)
from app.sms.outbox import queue_sms
from tests.factories import in_days
from tests.sms.support import outgoing


def test_errand_without_a_helper_is_escalated_in_two_steps(db, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "ESCALATION_OFFER_COUNT", 2)
    org = make.organization()
    elder = make.elder(org=org)
    # Adults: the errands fall at whatever hour the test runs (minors help 08-20 only).
    helpers = [make.helper(org=org, age=20, lat=64.2263 + i * 0.001) for i in range(6)]
    now = utcnow()
    errand = make.errand(elder, now + timedelta(hours=40), created_at=now - timedelta(days=3))
    fresh = make.errand(elder, now + timedelta(hours=30), created_at=now - timedelta(minutes=10))
    later = make.errand(elder, now + timedelta(hours=60), created_at=now - timedelta(days=3))

    assert job_escalate(now) == 1
    first = set(db.session.scalars(sa.select(Offer.helper_id).filter_by(errand_id=errand.id)))
    assert len(first) == 2 and first <= {h.id for h in helpers}
    assert db.session.get(Errand, errand.id).state == "offered"
    assert {m.helper_id for m in outgoing(db.session, kind="offer", errand_id=errand.id)} == first
    assert db.session.scalar(sa.select(CoordinatorAlert.kind).filter_by(errand_id=errand.id)) == "no_helper"
    assert db.session.scalar(sa.select(sa.func.count(Offer.id)).filter_by(errand_id=later.id)) == 0
    assert db.session.scalar(sa.select(sa.func.count(Offer.id)).filter_by(errand_id=fresh.id)) == 0

    assert job_escalate(now + timedelta(minutes=5)) == 0  # once per step

    assert job_escalate(now + timedelta(hours=17)) == 3  # 23 h left; and one step each for the other two
    second = set(db.session.scalars(sa.select(Offer.helper_id).filter_by(errand_id=errand.id)))
    assert len(second) == 6 and first < second  # 4 more helpers (twice the count), nobody twice
    kinds = set(db.session.scalars(sa.select(CoordinatorAlert.kind).filter_by(errand_id=errand.id)))
    assert kinds == {"no_helper", "no_helper_urgent"}


def test_assigned_errands_are_not_escalated(db, make):
    now = utcnow()
    errand = make.errand(make.elder(), now + timedelta(hours=20), created_at=now - timedelta(days=2))
    make.assignment(errand, make.helper(), assigned_at=now - timedelta(days=1))
    assert job_escalate(now) == 0
    assert db.session.scalar(sa.select(sa.func.count(CoordinatorAlert.id))) == 0


def test_expire_offers_job_uses_the_errand_state_machine(db, make):
    from app.errands.lifecycle import offer_errand

    now = utcnow()
    errand = make.errand(make.elder(), in_days(3))
    helper = make.helper()
    offer_errand(errand, [helper.id], by_user=None, expires_at=now + timedelta(hours=1))
    db.session.commit()
    assert job_expire_offers(now) == 0
    assert job_expire_offers(now + timedelta(hours=2)) >= 1
    assert db.session.scalar(sa.select(Offer.status)) == "expired"
    assert db.session.get(Errand, errand.id).state == "open"


def test_generate_job_fills_the_horizon_of_repeating_requests(db, app, make, monkeypatch):
    coordinator = make.coordinator()
    elder = make.elder(org=coordinator.organizations[0])
    today = utcnow().date()
    task = db.session.scalar(sa.select(TaskType).filter_by(code="walk"))
    create_request(
        RequestInput(
            elder_id=elder.id,
            task_type_id=task.id,
            date_from=today + timedelta(days=1),
            time_from=time(11, 0),
            recurrence="weekly",
            recurrence_until=today + timedelta(weeks=10),
        ),
        taken_by=coordinator,
        horizon_days=7,
    )
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count(Errand.id)))
    monkeypatch.setitem(app.config, "ERRAND_HORIZON_DAYS", 28)
    created = job_generate_errands(utcnow())
    assert created >= 2
    assert db.session.scalar(sa.select(sa.func.count(Errand.id))) == before + created
    assert job_generate_errands(utcnow()) == 0


def test_feedback_is_asked_once_after_a_done_errand(db, make):
    now = utcnow()
    org = make.organization()
    texting = make.elder(org=org, contact_channel="sms_self")
    calling = make.elder(org=org, contact_channel="coordinator_call")
    helper = make.helper(org=org)
    done = make.errand(texting, now - timedelta(hours=4), state="done")
    make.assignment(done, helper, assigned_at=now - timedelta(days=3), status="done")
    other = make.errand(calling, now - timedelta(hours=5), state="done")
    make.assignment(other, helper, assigned_at=now - timedelta(days=3), status="done")
    too_recent = make.errand(texting, now - timedelta(hours=2, minutes=55), state="done")  # ended 1 h 55 min ago
    make.assignment(too_recent, helper, assigned_at=now - timedelta(days=3), status="done")
    too_old = make.errand(texting, now - timedelta(days=5), state="done")
    make.assignment(too_old, helper, assigned_at=now - timedelta(days=8), status="done")

    assert job_feedback_requests(now) == 3
    sent = {(m.errand_id, m.to_phone) for m in outgoing(db.session, kind="feedback_request")}
    assert sent == {(done.id, texting.phone), (done.id, helper.phone), (other.id, helper.phone)}
    to_elder = db.session.scalar(sa.select(SmsMessage.body).filter_by(kind="feedback_request", elder_id=texting.id))
    assert "1-5" in to_elder and helper.first_name in to_elder
    assert job_feedback_requests(now + timedelta(minutes=10)) == 2  # the errand that has now waited long enough
    assert job_feedback_requests(now + timedelta(minutes=20)) == 0


def test_retention_blanks_old_bodies_and_deletes_old_handled_alerts(db, make):
    now = utcnow()
    old = now - timedelta(days=400)
    sent_old = queue_sms("+358401000001", "Vanha viesti", kind="manual")
    queued_old = queue_sms("+358401000002", "Jonossa", kind="manual")
    sent_new = queue_sms("+358401000003", "Uusi viesti", kind="manual")
    db.session.flush()
    sent_old.status = sent_new.status = "delivered"
    sent_old.created_at = queued_old.created_at = old
    handled_in = SmsMessage(
        direction="in", to_phone="x", from_phone="+3584", body="Kiitos", status="received", handled=True, created_at=old
    )
    unread_in = SmsMessage(
        direction="in", to_phone="x", from_phone="+3584", body="Lukematon", status="received", created_at=old
    )
    old_alert = CoordinatorAlert(kind="call_reminder", message="x", created_at=old, resolved_at=old)
    open_alert = CoordinatorAlert(kind="call_reminder", message="y", created_at=old)
    db.session.add_all([handled_in, unread_in, old_alert, open_alert])
    db.session.commit()

    assert job_purge(now) == 3
    db.session.expire_all()
    assert (sent_old.body, handled_in.body) == ("", "")
    assert (queued_old.body, sent_new.body, unread_in.body) == ("Jonossa", "Uusi viesti", "Lukematon")
    assert db.session.scalars(sa.select(CoordinatorAlert.message)).all() == ["y"]
    assert job_purge(now) == 0
