"""Reminders fall due at the right Helsinki times (also across DST) and are created once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import CoordinatorAlert, SmsMessage
from app.scheduling.jobs import job_reminders
from app.scheduling.reminders import day_before_at
from app.sms.segments import segment_count
from tests.factories import helsinki
from tests.sms.support import outgoing


def kinds(db) -> list[tuple[str, str]]:
    return [(m.kind, m.to_phone) for m in outgoing(db.session)]


@pytest.fixture()
def assigned(db, make):
    """Tomorrow-ish errand (Wednesday 10:00) with a helper and an older person who reads SMS."""

    def factory(starts_at, *, channel="sms_self", assigned_at=None, **elder_fields):
        org = make.organization()
        elder = make.elder(org=org, contact_channel=channel, with_relative=channel == "sms_relative", **elder_fields)
        helper = make.helper(org=org)
        errand = make.errand(elder, starts_at)
        make.assignment(errand, helper, assigned_at=assigned_at or starts_at - timedelta(days=5))
        return errand, elder, helper

    return factory


def test_helper_and_older_person_reminded_the_day_before_at_six(db, assigned):
    errand, elder, helper = assigned(helsinki(2027, 6, 9, 10))
    assert job_reminders(helsinki(2027, 6, 8, 17, 59)) == 0
    assert job_reminders(helsinki(2027, 6, 8, 18, 0)) == 2
    assert sorted(kinds(db)) == sorted([("reminder_helper_day", helper.phone), ("reminder_elder_day", elder.phone)])
    # Running again, or restarting, creates nothing new.
    assert job_reminders(helsinki(2027, 6, 8, 18, 1)) == 0
    assert job_reminders(helsinki(2027, 6, 8, 23, 0)) == 0
    assert len(kinds(db)) == 2


def test_helper_reminded_two_hours_before_with_the_address(db, assigned):
    errand, elder, helper = assigned(helsinki(2027, 6, 9, 10))
    job_reminders(helsinki(2027, 6, 8, 18, 0))
    assert job_reminders(helsinki(2027, 6, 9, 7, 59)) == 0
    assert job_reminders(helsinki(2027, 6, 9, 8, 0)) == 1
    soon = db.session.scalar(sa.select(SmsMessage).filter_by(kind="reminder_helper_soon"))
    assert soon.to_phone == helper.phone and soon.helper_id == helper.id and soon.errand_id == errand.id
    assert elder.street_address in soon.body and "klo 10.00" in soon.body
    assert f"VALMIS {errand.short_code}" in soon.body
    day_before = db.session.scalar(sa.select(SmsMessage).filter_by(kind="reminder_helper_day"))
    assert elder.street_address not in day_before.body  # the address comes with the last reminder only
    assert job_reminders(helsinki(2027, 6, 9, 9, 0)) == 0


def test_texts_are_short_and_never_carry_health_or_access_notes(db, assigned):
    errand, elder, helper = assigned(helsinki(2027, 6, 9, 10), access_notes="Ovikoodi 4321", health_notes="Diabetes")
    job_reminders(helsinki(2027, 6, 8, 18, 0))
    job_reminders(helsinki(2027, 6, 9, 8, 0))
    bodies = [m.body for m in outgoing(db.session)]
    assert len(bodies) == 3
    for body in bodies:
        assert "Diabetes" not in body and "4321" not in body
        assert segment_count(body) == 1, body
    to_elder = db.session.scalar(sa.select(SmsMessage.body).filter_by(kind="reminder_elder_day"))
    assert helper.first_name in to_elder and helper.last_name not in to_elder
    assert f"PERU {errand.short_code}" in to_elder and elder.street_address not in to_elder


def test_swedish_older_person_gets_swedish(db, assigned):
    errand, elder, _helper = assigned(helsinki(2027, 6, 9, 10), language="sv")
    job_reminders(helsinki(2027, 6, 8, 18, 0))
    body = db.session.scalar(sa.select(SmsMessage.body).filter_by(kind="reminder_elder_day"))
    assert "Vardagens räddare" in body and f"AVBOKA {errand.short_code}" in body and "kl. 10.00" in body
    assert segment_count(body) == 1


def test_relative_is_reminded_when_that_is_the_channel(db, assigned):
    errand, elder, _helper = assigned(helsinki(2027, 6, 9, 10), channel="sms_relative")
    job_reminders(helsinki(2027, 6, 8, 18, 0))
    message = db.session.scalar(sa.select(SmsMessage).filter_by(kind="reminder_elder_day"))
    assert message.to_phone == elder.contacts[0].phone and message.contact_id == elder.contacts[0].id


@pytest.mark.parametrize("fields", [{"channel": "coordinator_call"}, {"channel": "sms_self", "phone_kind": "landline"}])
def test_without_sms_a_coordinator_is_asked_to_call(db, assigned, fields):
    errand, elder, _helper = assigned(helsinki(2027, 6, 9, 10), **fields)
    assert job_reminders(helsinki(2027, 6, 8, 8, 59)) == 0
    assert job_reminders(helsinki(2027, 6, 8, 9, 0)) == 1
    job_reminders(helsinki(2027, 6, 8, 18, 0))
    alert = db.session.scalar(sa.select(CoordinatorAlert))
    assert (alert.kind, alert.errand_id, alert.organization_id) == ("call_reminder", errand.id, elder.organization_id)
    assert db.session.scalar(sa.select(sa.func.count(CoordinatorAlert.id))) == 1
    assert [k for k, _ in kinds(db)] == ["reminder_helper_day"]


def test_no_reminder_when_the_helper_was_assigned_after_it_fell_due(db, assigned):
    assigned(helsinki(2027, 6, 9, 10), assigned_at=helsinki(2027, 6, 8, 20))
    assert job_reminders(helsinki(2027, 6, 8, 20, 5)) == 0  # the confirmation said it all
    assert job_reminders(helsinki(2027, 6, 9, 8, 0)) == 1  # the two-hour reminder still comes


def test_cancelled_or_withdrawn_errands_get_no_reminders(db, assigned, make):
    errand, _elder, _helper = assigned(helsinki(2027, 6, 9, 10))
    errand.state = "cancelled"
    db.session.commit()
    assert job_reminders(helsinki(2027, 6, 8, 18, 0)) == 0


# --------------------------------------------------------------------------
# Daylight saving time: the last Sundays of March and October
# --------------------------------------------------------------------------


def test_day_before_reminder_across_the_spring_change(db, assigned):
    # Sunday 28 March 2027 the clocks go 03:00 -> 04:00; the errand is at 10:00 summer time.
    errand, _elder, helper = assigned(helsinki(2027, 3, 28, 10))
    assert errand.starts_at.hour == 7  # UTC+3
    due = day_before_at(errand.starts_at, 18)
    assert due.hour == 16  # Saturday 18:00 is still winter time, UTC+2
    assert job_reminders(due - timedelta(minutes=1)) == 0
    assert job_reminders(due) == 2
    assert job_reminders(errand.starts_at - timedelta(hours=2, minutes=1)) == 0
    assert job_reminders(errand.starts_at - timedelta(hours=2)) == 1  # 08:00 summer time = 05:00 UTC
    assert helsinki(2027, 3, 28, 8) == errand.starts_at - timedelta(hours=2)


def test_day_before_reminder_across_the_autumn_change(db, assigned):
    # Sunday 31 October 2027 the clocks go 04:00 -> 03:00; the errand is at 10:00 winter time.
    errand, _elder, _helper = assigned(helsinki(2027, 10, 31, 10))
    assert errand.starts_at.hour == 8  # UTC+2
    due = day_before_at(errand.starts_at, 18)
    assert due == helsinki(2027, 10, 30, 18) and due.hour == 15  # Saturday is still summer time, UTC+3
    assert job_reminders(due - timedelta(seconds=1)) == 0
    assert job_reminders(due) == 2
    soon = db.session.scalars(sa.select(SmsMessage.body).filter_by(kind="reminder_helper_day")).one()
    assert "klo 10.00" in soon  # shown in Helsinki time, not UTC


def test_errand_the_day_after_the_change_is_reminded_at_local_six(db, assigned):
    errand, _elder, _helper = assigned(helsinki(2027, 3, 29, 9))
    due = day_before_at(errand.starts_at, 18)
    assert due == helsinki(2027, 3, 28, 18) and due.hour == 15  # Sunday evening is already summer time
    assert job_reminders(due - timedelta(minutes=1)) == 0
    assert job_reminders(due) == 2
