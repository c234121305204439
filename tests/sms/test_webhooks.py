"""POST /sms/inbound and /sms/status: signatures, keywords, idempotency, TwiML."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errands.lifecycle import offer_errand
from app.models import (
    Assignment,
    AuditLog,
    CoordinatorAlert,
    Encounter,
    EncounterParticipant,
    Errand,
    ErrandEvent,
    GuardianConsent,
    Offer,
    SmsMessage,
    SmsOptOut,
    utcnow,
)
from app.sms.dispatcher import dispatch_outbox
from app.sms.outbox import queue_sms
from tests.factories import helsinki, in_days
from tests.sms.support import inbound, outgoing, signed_post


def all_rows(db):
    return db.session.scalar(sa.select(sa.func.count(SmsMessage.id)))


@pytest.fixture()
def offered(db, make):
    """An errand in three days offered to one helper (through the errands area's own service)."""
    org = make.organization()
    elder = make.elder(org=org)
    helper = make.helper(org=org, phone="+358401000001")
    errand = make.errand(elder, in_days(3))
    offer_errand(errand, [helper.id], by_user=None)
    db.session.commit()
    return errand, helper


# --------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------


def test_tampered_signature_is_refused_and_nothing_is_written(client, db, twilio_token):
    data = inbound("+358401234567", "Hei")
    assert signed_post(client, "/sms/inbound", data, twilio_token, tamper=True).status_code == 403
    assert signed_post(client, "/sms/inbound", data, twilio_token, signature="").status_code == 403
    assert signed_post(client, "/sms/inbound", data, "another-token").status_code == 403
    assert client.post("/sms/inbound", data=data).status_code == 403
    assert all_rows(db) == 0


def test_without_an_auth_token_everything_is_refused(client, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")
    data = inbound("+358401234567", "Hei")
    assert signed_post(client, "/sms/inbound", data, "some-token").status_code == 403
    assert signed_post(client, "/sms/status?m=1", {"MessageSid": "SM1"}, "some-token").status_code == 403
    assert all_rows(db) == 0


def test_status_callback_with_bad_signature_changes_nothing(client, db, twilio_token):
    message = queue_sms("+358401234567", "Hei", kind="manual")
    db.session.commit()
    data = {"MessageSid": "SMx", "MessageStatus": "delivered", "To": "+358401234567"}
    assert signed_post(client, f"/sms/status?m={message.id}", data, twilio_token, tamper=True).status_code == 403
    # The query string is signed too.
    sig_for_other = signed_post(client, "/sms/status?m=999", data, twilio_token).request.headers["X-Twilio-Signature"]
    assert (
        signed_post(client, f"/sms/status?m={message.id}", data, twilio_token, signature=sig_for_other).status_code
        == 403
    )
    db.session.refresh(message)
    assert message.status == "queued" and message.provider_sid is None


# --------------------------------------------------------------------------
# Incoming messages
# --------------------------------------------------------------------------


def test_anything_else_goes_to_the_inbox_with_a_polite_answer(client, db, twilio_token, make):
    elder = make.elder()
    response = signed_post(client, "/sms/inbound", inbound(elder.phone, "Voisiko joku soittaa minulle?"), twilio_token)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert "<Response><Message>" in response.text and "koordinaattori" in response.text.lower()
    message = db.session.scalar(sa.select(SmsMessage).filter_by(direction="in"))
    assert message.status == "received" and message.handled is False and message.kind == "other"
    assert message.elder_id == elder.id and message.organization_id == elder.organization_id
    assert message.body == "Voisiko joku soittaa minulle?"


def test_repeated_message_sid_is_a_no_op_with_the_same_answer(client, db, twilio_token):
    data = inbound("+358401234567", "Kuka olette?")
    first = signed_post(client, "/sms/inbound", data, twilio_token)
    second = signed_post(client, "/sms/inbound", data, twilio_token)
    assert first.text == second.text and "<Message>" in first.text
    assert db.session.scalar(sa.select(sa.func.count()).where(SmsMessage.direction == "in")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(SmsMessage.kind == "auto_reply")) == 1


def test_help_answers_in_the_senders_language(client, db, twilio_token, make):
    elder = make.elder(language="sv")
    response = signed_post(client, "/sms/inbound", inbound(elder.phone, "HJÄLP"), twilio_token)
    assert "AVBOKA" in response.text and "SLUTA" in response.text


def test_stop_stops_everything_to_that_number_and_start_resumes(client, db, twilio_token, fake_twilio, make):
    elder = make.elder(contact_channel="sms_self")
    queue_sms(elder.phone, "Odottaa lähtöä", kind="manual", elder_id=elder.id)
    db.session.commit()

    response = signed_post(client, "/sms/inbound", inbound(elder.phone, "LOPETA"), fake_twilio.auth_token)
    assert "ALOITA" in response.text
    db.session.refresh(elder)
    assert elder.sms_opt_out
    assert db.session.scalar(sa.select(SmsOptOut.phone)) == elder.phone
    assert db.session.scalar(sa.select(CoordinatorAlert.kind)) == "sms_opt_out"

    queue_sms(elder.phone, "Uusi viesti", kind="reminder_elder_day", elder_id=elder.id)
    queue_sms(elder.phone, "Käsin kirjoitettu", kind="manual")
    db.session.commit()
    dispatch_outbox(helsinki(2030, 1, 15, 12))
    assert fake_twilio.messages_to(elder.phone) == []
    assert {m.status for m in outgoing(db.session, to_phone=elder.phone) if m.kind != "auto_reply"} == {"failed"}

    signed_post(client, "/sms/inbound", inbound(elder.phone, "ALOITA"), fake_twilio.auth_token)
    db.session.refresh(elder)
    assert not elder.sms_opt_out and db.session.scalar(sa.select(SmsOptOut.id)) is None
    queue_sms(elder.phone, "Taas tulee", kind="manual", elder_id=elder.id)
    db.session.commit()
    dispatch_outbox(helsinki(2030, 1, 15, 12))
    assert [m["body"] for m in fake_twilio.messages_to(elder.phone)] == ["Taas tulee"]


def test_accept_by_sms_assigns_exactly_as_the_web_board_does(client, db, twilio_token, make):
    org = make.organization()
    helper = make.helper(org=org, phone="+358401000002")
    by_web = make.errand(make.elder(org=org), in_days(3, 10))
    by_sms = make.errand(make.elder(org=org), in_days(4, 10))
    for errand in (by_web, by_sms):
        offer_errand(errand, [helper.id], by_user=None)
    db.session.commit()

    client.login(helper.user.email)
    client.submit(f"/errands/{by_web.id}/accept", page="/board")
    client.logout()
    response = signed_post(client, "/sms/inbound", inbound(helper.phone, f"kyllä {by_sms.short_code}"), twilio_token)
    assert "<Message>" in response.text

    def outcome(errand: Errand) -> dict:
        db.session.expire_all()
        assignment = db.session.scalar(sa.select(Assignment).filter_by(errand_id=errand.id))
        offer = db.session.scalar(sa.select(Offer).filter_by(errand_id=errand.id))
        return {
            "state": db.session.get(Errand, errand.id).state,
            "assignment": (assignment.helper_id, assignment.slot, assignment.status),
            "details_until": assignment.details_visible_until - errand.ends_at,
            "offer": offer.status,
            "texts": sorted(m.kind for m in outgoing(db.session, errand_id=errand.id) if m.kind != "auto_reply"),
            "events": [e.to_state for e in db.session.scalars(sa.select(ErrandEvent).filter_by(errand_id=errand.id))],
        }

    assert outcome(by_sms) == outcome(by_web)
    assert outcome(by_sms)["state"] == "assigned"
    assert db.session.scalar(sa.select(Offer.responded_via).filter_by(errand_id=by_sms.id)) == "sms"


def test_accept_without_code_when_only_one_offer_and_decline(client, db, twilio_token, offered):
    errand, helper = offered
    signed_post(client, "/sms/inbound", inbound(helper.phone, "EI"), twilio_token)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Offer.status).filter_by(errand_id=errand.id)) == "declined"
    assert db.session.scalar(sa.select(SmsMessage.kind).filter_by(direction="in")) == "decline"


def test_accept_when_someone_was_faster(client, db, twilio_token, offered, make):
    errand, helper = offered
    other = make.helper(org=db.session.get(type(helper), helper.id).organization, phone="+358401000003")
    offer_errand(errand, [other.id], by_user=None)
    db.session.commit()
    signed_post(client, "/sms/inbound", inbound(other.phone, f"JA {errand.short_code}"), twilio_token)
    response = signed_post(client, "/sms/inbound", inbound(helper.phone, f"KYLLÄ {errand.short_code}"), twilio_token)
    assert "ehti" in response.text.lower() or "already" in response.text.lower()
    db.session.expire_all()
    assert db.session.scalar(sa.select(Assignment.helper_id).filter_by(errand_id=errand.id)) == other.id
    assert db.session.scalar(sa.select(Offer.status).filter_by(errand_id=errand.id, helper_id=helper.id)) == "taken"


def test_unknown_code_is_answered_and_kept_for_a_person(client, db, twilio_token, offered):
    _errand, helper = offered
    response = signed_post(client, "/sms/inbound", inbound(helper.phone, "KYLLÄ 99999"), twilio_token)
    assert "99999" in response.text
    assert db.session.scalar(sa.select(SmsMessage.handled).filter_by(direction="in")) is False


def test_done_by_sms(client, db, twilio_token, make):
    helper = make.helper(phone="+358401000004")
    errand = make.errand(make.elder(), utcnow() - timedelta(hours=1), minutes=45)
    make.assignment(errand, helper, assigned_at=utcnow() - timedelta(days=2))
    signed_post(client, "/sms/inbound", inbound(helper.phone, f"VALMIS {errand.short_code}"), twilio_token)
    db.session.expire_all()
    assert db.session.get(Errand, errand.id).state == "done"
    assignment = db.session.scalar(sa.select(Assignment).filter_by(errand_id=errand.id))
    assert assignment.status == "done" and assignment.report_minutes == 45


def test_older_person_or_relative_cancels_by_sms(client, db, twilio_token, make):
    elder = make.elder(with_relative=True)
    own = make.errand(elder, in_days(2))
    by_relative = make.errand(elder, in_days(5))
    stranger_tries = make.errand(elder, in_days(6))

    response = signed_post(client, "/sms/inbound", inbound(elder.phone, f"PERU {own.short_code}"), twilio_token)
    assert own.short_code in response.text
    signed_post(
        client, "/sms/inbound", inbound(elder.contacts[0].phone, f"peru {by_relative.short_code}"), twilio_token
    )
    signed_post(client, "/sms/inbound", inbound("+358409998877", f"PERU {stranger_tries.short_code}"), twilio_token)

    db.session.expire_all()
    assert (db.session.get(Errand, own.id).state, db.session.get(Errand, own.id).cancelled_by_kind) == (
        "cancelled",
        "elder",
    )
    assert db.session.get(Errand, by_relative.id).cancelled_by_kind == "relative"
    assert db.session.get(Errand, stranger_tries.id).state == "open"
    assert db.session.scalar(sa.select(sa.func.count()).where(CoordinatorAlert.kind == "sms_cancellation")) == 2
    unread = db.session.scalar(sa.select(SmsMessage).filter_by(direction="in", handled=False))
    assert unread.from_phone == "+358409998877"


def test_feedback_digit_answers_the_latest_request(client, db, twilio_token, make):
    elder = make.elder(contact_channel="sms_self")
    helper = make.helper()
    errand = make.errand(elder, utcnow() - timedelta(days=1), state="done")
    encounter = make.encounter(helper, elder, at=errand.starts_at, errand_id=errand.id)
    queue_sms(elder.phone, "Miten meni?", kind="feedback_request", errand_id=errand.id, elder_id=elder.id)
    queue_sms(helper.phone, "Miten meni?", kind="feedback_request", errand_id=errand.id, helper_id=helper.id)
    db.session.commit()

    signed_post(client, "/sms/inbound", inbound(elder.phone, "5"), twilio_token)
    signed_post(client, "/sms/inbound", inbound(helper.phone, "4 mukava päivä"), twilio_token)
    db.session.expire_all()
    by_elder = db.session.scalar(sa.select(EncounterParticipant).filter_by(elder_id=elder.id))
    by_helper = db.session.scalar(sa.select(EncounterParticipant).filter_by(helper_id=helper.id))
    assert (by_elder.feedback_score, by_elder.feedback_via) == (5, "sms")
    assert (by_helper.feedback_score, by_helper.feedback_comment) == (4, "mukava päivä")
    # A comment is for a person to read; a bare number is filed.
    handled = dict(
        db.session.execute(sa.select(SmsMessage.from_phone, SmsMessage.handled).filter_by(direction="in")).all()
    )
    assert handled == {elder.phone: True, helper.phone: False}
    # The same record_feedback as the web: checked and audited, via SMS and by nobody logged in.
    audits = db.session.scalars(sa.select(AuditLog).filter_by(action="encounter.feedback")).all()
    assert {(a.subject_id, a.details["via"], a.details["side"], a.actor_user_id) for a in audits} == {
        (encounter.id, "sms", "elder", None),
        (encounter.id, "sms", "helper", None),
    }


def test_feedback_by_sms_from_someone_not_yet_a_participant_adds_them(client, db, twilio_token, make):
    elder = make.elder(contact_channel="sms_self")
    errand = make.errand(elder, utcnow() - timedelta(days=1), state="done")
    encounter = Encounter(errand_id=errand.id, kind="home_help", occurred_at=errand.starts_at)
    db.session.add(encounter)
    queue_sms(elder.phone, "Miten meni?", kind="feedback_request", errand_id=errand.id, elder_id=elder.id)
    db.session.commit()

    response = signed_post(client, "/sms/inbound", inbound(elder.phone, "3"), twilio_token)
    assert "Kiitos palautteesta!" in response.text
    db.session.expire_all()
    participant = db.session.scalar(sa.select(EncounterParticipant).filter_by(elder_id=elder.id))
    assert participant.encounter_id == encounter.id and participant.feedback_score == 3
    assert db.session.scalar(sa.select(AuditLog.details).filter_by(action="encounter.feedback"))["via"] == "sms"


def test_digit_without_a_feedback_request_goes_to_the_inbox(client, db, twilio_token):
    signed_post(client, "/sms/inbound", inbound("+358401234567", "3"), twilio_token)
    assert db.session.scalar(sa.select(SmsMessage.kind).filter_by(direction="in")) == "other"


def test_guardian_consent_reply_is_handled_by_the_helpers_area_first(client, db, twilio_token, make):
    from app.helpers.consent import request_consent

    helper = make.helper(age=15, consent=False, guardian_name="Hanna", guardian_phone="+358501112233")
    consent, _token = request_consent(helper)
    db.session.commit()
    signed_post(client, "/sms/inbound", inbound("+358501112233", f"KYLLÄ {consent.sms_code}"), twilio_token)
    db.session.expire_all()
    assert db.session.get(GuardianConsent, consent.id).status == "given"
    inbound_row = db.session.scalar(sa.select(SmsMessage).filter_by(direction="in"))
    assert (inbound_row.kind, inbound_row.organization_id) == ("consent", helper.organization_id)


# --------------------------------------------------------------------------
# Delivery status callbacks
# --------------------------------------------------------------------------


def _status(client, token, message, status, **extra):
    data = {"MessageSid": message.provider_sid or "SMnew", "MessageStatus": status, "To": message.to_phone, **extra}
    return signed_post(client, f"/sms/status?m={message.id}", data, token)


def test_status_callbacks_are_idempotent_and_never_go_backwards(client, db, twilio_token):
    message = queue_sms("+358401234567", "Hei", kind="manual")
    db.session.commit()
    dispatch_outbox(helsinki(2030, 1, 15, 12))
    db.session.refresh(message)
    assert message.status == "sent"
    for status, expected in [
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("delivered", "delivered"),
        ("sent", "delivered"),
        ("queued", "delivered"),
        ("undelivered", "delivered"),
    ]:
        assert _status(client, twilio_token, message, status).status_code == 204
        db.session.refresh(message)
        assert message.status == expected


def test_undelivered_reminder_to_an_older_person_raises_an_alert(client, db, twilio_token, make):
    elder = make.elder(contact_channel="sms_self")
    helper = make.helper()
    errand = make.errand(elder, helsinki(2030, 1, 16, 12))
    to_elder = queue_sms(elder.phone, "Muistutus", kind="reminder_elder_day", elder_id=elder.id, errand_id=errand.id)
    to_helper = queue_sms(
        helper.phone, "Muistutus", kind="reminder_helper_day", helper_id=helper.id, errand_id=errand.id
    )
    db.session.commit()
    dispatch_outbox(helsinki(2030, 1, 15, 12))
    for message in (to_elder, to_helper):
        db.session.refresh(message)
        _status(client, twilio_token, message, "undelivered", ErrorCode="30003")
        _status(client, twilio_token, message, "undelivered", ErrorCode="30003")
        db.session.refresh(message)
        assert message.status == "undelivered" and message.last_error_code == "30003"
    [alert] = db.session.scalars(sa.select(CoordinatorAlert)).all()
    assert (alert.kind, alert.errand_id, alert.elder_id) == ("sms_undelivered", errand.id, elder.id)
    assert alert.organization_id == elder.organization_id


@pytest.mark.parametrize("channel", ["sms_self", "sms_relative"])
def test_undelivered_alert_names_the_number_that_failed(app, client, db, twilio_token, make, channel):
    """The coordinator is told whose number failed: the older person's own, or the relative's."""
    from flask_babel import force_locale

    from app.alerts import describe
    from app.errands.notifications import elder_recipient

    elder = make.elder(contact_channel=channel, with_relative=True, phone="+358401112233")
    errand = make.errand(elder, helsinki(2030, 1, 16, 12))
    recipient = elder_recipient(elder)
    message = queue_sms(
        recipient.phone,
        "Muistutus",
        kind="reminder_elder_day",
        elder_id=elder.id,
        contact_id=recipient.contact_id,
        errand_id=errand.id,
    )
    db.session.commit()
    dispatch_outbox(helsinki(2030, 1, 15, 12))
    db.session.refresh(message)
    _status(client, twilio_token, message, "undelivered", ErrorCode="30003")
    [alert] = db.session.scalars(sa.select(CoordinatorAlert)).all()
    assert alert.contact_id == recipient.contact_id
    with app.test_request_context(), force_locale("fi"):
        text = describe(alert)
    contact = elder.contacts[0]
    if channel == "sms_relative":
        assert contact.name in text and "040 30" in text  # the relative's number (+3584030...)
        assert "040 111 2233" not in text
        assert text.endswith(f"Soita yhteyshenkilölle {contact.name}.")
    else:
        assert "040 111 2233" in text and contact.name not in text
    # The row keeps no number (an erasure of the relative could not find it there).
    assert contact.phone[4:] not in alert.message and "1112233" not in alert.message
