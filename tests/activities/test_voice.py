"""Older people whose channel is an automated call are invited, told of a place and reminded
by call; keys 1 and 2 answer the invitation exactly as the SMS yes and no do (issues 16 and 17)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import sqlalchemy as sa

from app.activities import invitations
from app.activities.signups import Person, cancel_signup, sign_up
from app.models import ActivityInvitation, ActivitySignup, CoordinatorAlert, SmsMessage
from app.scheduling.jobs import job_activity_reminders
from tests.factories import in_days
from tests.sms.support import press, said

LANDLINE = "+35886155432"
OTHER_LANDLINE = "+35886155433"


def voice_elder(make, org, phone=LANDLINE, **fields):
    return make.elder(org=org, phone=phone, phone_kind="landline", contact_channel="voice", **fields)


def calls(db, kind: str) -> list[SmsMessage]:
    return list(db.session.scalars(sa.select(SmsMessage).filter_by(channel="voice", kind=kind).order_by(SmsMessage.id)))


def test_an_invitation_to_a_landline_is_a_call_counted_as_such(db, make):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    activity = make.activity(org=org, title="Kahvihetki kirjastolla")
    finn = voice_elder(make, org)
    swede = voice_elder(make, org, phone=OTHER_LANDLINE, language="sv")

    reach = invitations.candidates(activity, invitations.InviteFilter(side="old"))
    assert reach.by_channel == {"voice": 2}
    sent = invitations.send_invitations(activity, [f"e{finn.id}", f"e{swede.id}"], by=coordinator)
    db.session.commit()

    assert sent == {"voice": 2}
    by_phone = {c.to_phone: c for c in calls(db, "activity_invitation")}
    assert set(by_phone) == {LANDLINE, OTHER_LANDLINE}
    assert "Kahvihetki kirjastolla" in by_phone[LANDLINE].body and "Paikka on Kirjasto" in by_phone[LANDLINE].body
    assert by_phone[LANDLINE].body.endswith("paina 3.") and "tulla, paina 1" in by_phone[LANDLINE].body
    assert "Platsen är Kirjasto" in by_phone[OTHER_LANDLINE].body and "tryck på 1" in by_phone[OTHER_LANDLINE].body
    assert not db.session.scalars(sa.select(SmsMessage).filter_by(channel="sms")).all()  # no text to a landline
    assert not db.session.scalars(sa.select(CoordinatorAlert)).all()  # nobody to call by hand
    assert {i.channel for i in db.session.scalars(sa.select(ActivityInvitation))} == {"voice"}


def test_keys_1_and_2_answer_the_invitation_as_the_sms_yes_and_no(client, db, make, twilio_token):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    activity = make.activity(org=org, capacity_old=1)
    first, second = voice_elder(make, org), voice_elder(make, org, phone=OTHER_LANDLINE)
    third = make.elder(org=org, phone="+35886155434", phone_kind="landline", contact_channel="voice")
    invitations.send_invitations(activity, [f"e{first.id}", f"e{second.id}", f"e{third.id}"], by=coordinator)
    db.session.commit()
    call = {c.to_phone: c for c in calls(db, "activity_invitation")}

    yes = said(ET.fromstring(press(client, twilio_token, call[LANDLINE], "1").get_data(as_text=True)))
    assert "Olette nyt ilmoittautunut" in yes
    full = said(ET.fromstring(press(client, twilio_token, call[OTHER_LANDLINE], "1").get_data(as_text=True)))
    assert "jonossa" in full  # one place only: the second yes waits, as an SMS yes would
    no = said(ET.fromstring(press(client, twilio_token, call["+35886155434"], "2").get_data(as_text=True)))
    assert "Kiitos tiedosta" in no

    db.session.expire_all()
    rows = {s.elder_id: (s.status, s.via) for s in db.session.scalars(sa.select(ActivitySignup))}
    assert rows == {first.id: ("signed_up", "voice"), second.id: ("waiting", "voice")}
    answers = {i.elder_id: i.answer for i in db.session.scalars(sa.select(ActivityInvitation))}
    assert answers == {first.id: "yes", second.id: "yes", third.id: "no"}
    assert [c.digits for c in calls(db, "activity_invitation")] == ["1", "1", "2"]

    # A place opens: the one waiting is told by a call, and reminded by a call the day before.
    signup = db.session.scalars(sa.select(ActivitySignup).filter_by(elder_id=first.id)).one()
    cancel_signup(signup.id, by=None, via="coordinator")
    db.session.commit()
    [opened] = calls(db, "activity_place_opened")
    assert opened.to_phone == OTHER_LANDLINE and "Olette nyt ilmoittautunut" in opened.body


def test_a_key_after_the_activity_is_closed_asks_the_coordinator_to_call_back(client, db, make, twilio_token):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    activity = make.activity(org=org)
    elder = voice_elder(make, org)
    invitations.send_invitations(activity, [f"e{elder.id}"], by=coordinator)
    activity.status = "cancelled"
    db.session.commit()
    [call] = calls(db, "activity_invitation")

    spoken = said(ET.fromstring(press(client, twilio_token, call, "1").get_data(as_text=True)))
    assert "koordinaattori soittaa" in spoken.lower()
    assert db.session.scalar(sa.select(CoordinatorAlert.kind)) == "call_back"
    assert not db.session.scalars(sa.select(ActivitySignup)).all()


def test_the_reminder_the_day_before_is_a_call(db, make):
    org = make.organization()
    activity = make.activity(org=org, at=in_days(1, 14), minimum=1)
    elder = voice_elder(make, org)
    sign_up(activity.id, Person.of(elder), via="coordinator")
    db.session.commit()

    assert job_activity_reminders(in_days(0, 19)) == 1
    [call] = calls(db, "activity_reminder")
    assert call.to_phone == LANDLINE and "Muistutus" in call.body and "huomenna" in call.body
    assert not db.session.scalars(sa.select(CoordinatorAlert).filter_by(kind="activity_call_reminder")).all()
