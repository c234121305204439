"""The demo shows the voice channel (issue 16): a landline older person whose reminder
call waits in the outbox with its spoken text, on the message log, and whose key 2
cancels the errand as an SMS cancel does."""

from __future__ import annotations

import sqlalchemy as sa

from app import demo
from app.models import Elder, Errand, SmsMessage, User
from app.scheduling.jobs import job_reminders
from app.scheduling.reminders import day_before_at
from app.sms.dispatcher import dispatch_outbox
from tests.sms.support import outgoing, signed_post


def test_the_demo_has_a_landline_reminder_call_on_the_log_and_key_2_cancels(client, db, twilio_token):
    demo.seed()
    db.session.commit()
    [call] = outgoing(db.session, channel="voice", kind="reminder_elder_day")
    elder = db.session.get(Elder, call.elder_id)
    assert (elder.contact_channel, elder.phone_kind, call.to_phone) == ("voice", "landline", elder.phone)
    assert "huomenna kello" in call.body and "paina 2" in call.body
    assert elder.municipality.name in {
        "Kajaani",
        "Sotkamo",
        "Paltamo",
        "Suomussalmi",
        "Kuhmo",
        "Hyrynsalmi",
        "Ristijärvi",
    }
    # The scheduler's reminder run at 18 the day before makes no second call (the same dedupe key).
    job_reminders(day_before_at(db.session.get(Errand, call.errand_id).starts_at, 18))
    db.session.commit()
    assert len(outgoing(db.session, channel="voice", kind="reminder_elder_day")) == 1
    coordinator = db.session.scalar(
        sa.select(User).where(User.role == "coordinator", User.organizations.any(id=elder.organization_id))
    )
    client.login(coordinator.email, demo.DEMO_PASSWORD)
    html = client.get(f"/sms/?kind=reminder_elder_day&phone={elder.phone[-6:]}").get_data(as_text=True)
    assert "Automaattipuhelu" in html and call.body.split("\n\n")[0] in html

    dispatch_outbox()
    db.session.refresh(call)
    response = signed_post(
        client, f"/sms/voice/gather?m={call.id}", {"CallSid": "CA1", "To": call.to_phone, "Digits": "2"}, twilio_token
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Errand, call.errand_id).state == "cancelled"
    helper_told = db.session.scalars(
        sa.select(SmsMessage).filter_by(kind="cancellation", errand_id=call.errand_id, channel="sms")
    ).all()
    assert len(helper_told) == 1
