"""Hostile webhook fields: every signed inbound SMS is stored (sanitised) and answered.

Before app.sms.webhook_input, a NUL byte in the text made PostgreSQL refuse the
insert and the message was lost, and a MessageSid or number longer than its
column broke the insert the same way.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.models import SmsMessage
from app.sms.webhook_input import LIMITS, MAX_BODY, webhook_fields
from tests.sms.support import inbound, outgoing, signed_post


def _inbox(db) -> list[SmsMessage]:
    return list(db.session.scalars(sa.select(SmsMessage).filter_by(direction="in").order_by(SmsMessage.id)))


def test_a_text_with_nul_bytes_is_stored_cleaned_and_answered(client, db, twilio_token, make):
    helper = make.helper(phone="+358401000077")
    data = inbound(helper.phone, "Hei\x00 kiitos\x01 avusta\x00!")
    response = signed_post(client, "/sms/inbound", data, twilio_token)
    assert response.status_code == 200
    assert "<Message>" in response.get_data(as_text=True)
    (stored,) = _inbox(db)
    assert stored.body == "Hei kiitos avusta!"
    assert stored.helper_id == helper.id and stored.handled is False  # in the coordinators' inbox
    assert outgoing(db.session, kind="auto_reply")[0].to_phone == helper.phone


def test_fields_longer_than_their_columns_are_cut_not_lost(client, db, twilio_token):
    data = inbound("+358" + "4" * 40, "x" * 5000, sid="SM" + "a" * 200, to="+" + "9" * 40)
    response = signed_post(client, "/sms/inbound", data, twilio_token)
    assert response.status_code == 200 and "<Message>" in response.get_data(as_text=True)
    (stored,) = _inbox(db)
    assert stored.provider_sid == ("SM" + "a" * 200)[: LIMITS["MessageSid"]]
    assert len(stored.from_phone) <= 20 and len(stored.to_phone) <= 20
    assert stored.body == "x" * MAX_BODY
    # Twilio delivering the same message again: the same answer, nothing stored twice.
    again = signed_post(client, "/sms/inbound", data, twilio_token)
    assert again.get_data(as_text=True) == response.get_data(as_text=True)
    assert len(_inbox(db)) == 1


def test_the_signature_is_checked_on_the_fields_as_twilio_sent_them(client, db, twilio_token):
    data = inbound("+358401234567", "STOP\x00")
    assert signed_post(client, "/sms/inbound", data, twilio_token, tamper=True).status_code == 403
    cleaned = {**data, "Body": "STOP"}
    # A signature over the cleaned text is not Twilio's: refused.
    from app.sms.signature import SIGNATURE_HEADER, compute_signature

    forged = compute_signature(twilio_token, "http://testserver/sms/inbound", cleaned)
    assert client.post("/sms/inbound", data=data, headers={SIGNATURE_HEADER: forged}).status_code == 403
    assert _inbox(db) == []


def test_a_hostile_status_callback_is_answered_without_error(client, db, twilio_token):
    data = {"MessageSid": "SM\x00" + "b" * 100, "MessageStatus": "failed\x00", "ErrorMessage": "\x00" * 10}
    for query in ("", "?m=99999999999999999999", "?m=%20", "?m=abc"):
        assert signed_post(client, "/sms/status" + query, data, twilio_token).status_code == 204, query


def test_webhook_fields_cleans_and_cuts_every_field():
    fields = webhook_fields({"Body": "a\x00" * 2000, "From": "1" * 50, "Api\x00Version": "v" * 1000})
    assert fields["Body"] == "a" * MAX_BODY
    assert fields["From"] == "1" * LIMITS["From"]
    assert fields["ApiVersion"] == "v" * 300


def test_a_status_callback_naming_another_messages_id_is_ignored(client, db, twilio_token, make):
    from app.sms.outbox import queue_sms

    helper = make.helper(phone="+358401000088")
    taken = "SM" + "c" * 32
    assert signed_post(client, "/sms/inbound", inbound(helper.phone, "Hei", sid=taken), twilio_token).status_code == 200
    message = queue_sms(helper.phone, "Muistutus", kind="manual")
    db.session.commit()
    status = message.status  # queued, or held in the quiet hours
    data = {"MessageSid": taken, "MessageStatus": "delivered", "To": helper.phone}
    assert signed_post(client, f"/sms/status?m={message.id}", data, twilio_token).status_code == 204
    db.session.refresh(message)
    assert message.provider_sid is None and message.status == status
