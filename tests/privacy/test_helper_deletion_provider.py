"""A helper who deletes their own account: their SMS and their guardian's are
blanked here and their copies at Twilio deleted by the ``provider-erasure`` job
(the real twilio client against the fake Twilio)."""

from __future__ import annotations

import sqlalchemy as sa

from app.helpers.consent import request_consent
from app.models import AuditLog, ProviderErasure, SmsMessage, utcnow
from app.scheduling.jobs import job_dispatch_sms, job_provider_erasure
from app.sms.inbound import receive
from app.sms.outbox import queue_sms
from app.sms.rules import quiet_until

GUARDIAN = "+358401117777"
BYSTANDER = "+358401118888"


def _dispatch(app) -> None:
    """Send what is due, after quiet hours if it is night now."""
    now = utcnow()
    quiet = quiet_until(now, int(app.config["SMS_QUIET_START_HOUR"]), int(app.config["SMS_QUIET_END_HOUR"]))
    job_dispatch_sms(quiet or now)


def test_a_helpers_own_deletion_deletes_their_and_their_guardians_sms_at_twilio(app, client, db, fake_twilio, make):
    org = make.organization()
    helper = make.helper(org=org, age=15, consent=False, first_name="Nuppuliina")
    helper.guardian_name, helper.guardian_phone = "Huoltaja Hilkka", GUARDIAN
    request_consent(helper)  # the consent SMS to the guardian
    queue_sms(helper.phone, "Nuppuliina, tehtävä tarjolla", kind="manual", helper_id=helper.id, organization_id=org.id)
    other = make.helper(org=org, age=19, phone=BYSTANDER)
    queue_sms(other.phone, "Toinen auttaja", kind="manual", helper_id=other.id, organization_id=org.id)
    db.session.commit()
    _dispatch(app)
    db.session.commit()
    # The helper and the guardian answer (the messages are in Twilio's log too).
    for phone, body in ((helper.phone, "Nuppuliina kiittaa"), (GUARDIAN, "Kuka te olette?")):
        sid = fake_twilio.receive(phone, body)
        receive({"MessageSid": sid, "From": phone, "Body": body})
        db.session.commit()
    at_twilio = {m["sid"]: m for m in fake_twilio.messages}
    theirs = {sid for sid, m in at_twilio.items() if {m["to"], m["from"]} & {helper.phone, GUARDIAN}}
    others = {sid for sid, m in at_twilio.items() if BYSTANDER in (m["to"], m["from"])}
    assert len(theirs) == 4 and len(others) == 1  # consent SMS, offer, two answers; the other helper's

    client.login(helper.user.email)
    assert client.submit("/helpers/me/delete", {"confirm": "y"}).status_code == 302
    db.session.expire_all()

    queued = set(db.session.scalars(sa.select(ProviderErasure.provider_sid)))
    assert theirs <= queued and not (others & queued)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "helper_account_deleted"))
    assert entry.details["provider_copies"] == len(queued)
    # Nothing of theirs is left in the platform's messages either.
    for message in db.session.scalars(sa.select(SmsMessage).where(SmsMessage.provider_sid.in_(theirs))):
        assert message.body == "" and GUARDIAN not in (message.to_phone, message.from_phone)
    assert db.session.scalar(sa.select(SmsMessage.body).where(SmsMessage.to_phone == BYSTANDER)) == "Toinen auttaja"

    assert job_provider_erasure(utcnow()) == len(queued)
    assert theirs <= set(fake_twilio.deleted)
    assert {m["sid"] for m in fake_twilio.messages} == others
    assert {e.outcome for e in db.session.scalars(sa.select(ProviderErasure))} == {"deleted"}
