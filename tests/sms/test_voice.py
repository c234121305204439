"""Automated calls (issue 16): the same outbox and dispatcher as SMS, the real twilio
client against the fake Twilio's Calls API, the TwiML parsed and checked, and signed
keypad answers handled by the same service functions as the SMS keywords."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errands import notifications
from app.models import CoordinatorAlert, EncounterParticipant, Errand, SmsMessage, SmsOptOut, utcnow
from app.scheduling.jobs import job_reminders
from app.scheduling.reminders import create_feedback_requests
from app.sms import voice_texts
from app.sms.dispatcher import dispatch_outbox
from app.sms.voice import queue_call
from tests.factories import helsinki
from tests.sms.support import outgoing, press, said, signed_post

VOICE_FROM = "+358931234567"
LANDLINE = "+35886155432"
START = helsinki(2030, 1, 16, 10, 30)  # a Wednesday
DAY_BEFORE = helsinki(2030, 1, 15, 18)


@pytest.fixture()
def voice_twilio(app, fake_twilio, monkeypatch):
    """Calls and SMS through the real twilio client against the fake Twilio."""
    for key, value in {"VOICE_BACKEND": "twilio", "TWILIO_VOICE_FROM": VOICE_FROM, "VOICE_RETRY_MINUTES": 10}.items():
        monkeypatch.setitem(app.config, key, value)
    return fake_twilio


@pytest.fixture()
def landline_errand(db, make):
    """An older person on a landline whose channel is "voice", with an assigned errand."""

    def build(language: str = "fi", starts_at=START):
        org = make.organization()
        elder = make.elder(org=org, phone=LANDLINE, phone_kind="landline", contact_channel="voice", language=language)
        helper = make.helper(org=org, first_name="Eetu")
        errand = make.errand(elder, starts_at)
        make.assignment(errand, helper, assigned_at=starts_at - timedelta(days=5))
        db.session.commit()
        return errand, elder, helper

    return build


def calls(db) -> list[SmsMessage]:
    return outgoing(db.session, channel="voice")


def reminder_call(db, landline_errand, **kw) -> tuple[SmsMessage, Errand, object, object]:
    errand, elder, helper = landline_errand(**kw)
    job_reminders(DAY_BEFORE)
    db.session.commit()
    [call] = calls(db)
    return call, errand, elder, helper


def twiml_of(client, token, call, **fields) -> ET.Element:
    data = {"CallSid": call.provider_sid or "CA0", "To": call.to_phone, "CallStatus": "in-progress", **fields}
    response = signed_post(client, f"/sms/voice/twiml?m={call.id}", data, token)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return ET.fromstring(response.get_data(as_text=True))


def call_status(client, token, call, status: str, **extra):
    data = {"CallSid": call.provider_sid, "To": call.to_phone, "CallStatus": status, **extra}
    return signed_post(client, f"/sms/voice/status?m={call.id}", data, token)


# --------------------------------------------------------------------------
# What is said, and that it goes through the outbox
# --------------------------------------------------------------------------


def test_a_landline_reminder_is_a_call_in_the_outbox_with_its_spoken_text(db, landline_errand):
    call, errand, elder, helper = reminder_call(db, landline_errand)
    assert (call.channel, call.kind, call.to_phone, call.status) == ("voice", "reminder_elder_day", LANDLINE, "queued")
    assert "Eetu" in call.body and helper.last_name not in call.body
    assert "huomenna kello puoli yksitoista" in call.body
    assert "paina 1" in call.body and "paina 2" in call.body and "paina 3" in call.body
    for private in ("Diabetes", "Ovikoodi", elder.street_address):
        assert private not in call.body
    # The same dedupe key as the SMS: running again creates nothing; no SMS to the landline.
    job_reminders(DAY_BEFORE + timedelta(minutes=5))
    assert len(calls(db)) == 1
    assert [m for m in outgoing(db.session, to_phone=LANDLINE) if m.channel == "sms"] == []


def test_swedish_is_spoken_in_swedish(db, landline_errand):
    call, *_ = reminder_call(db, landline_errand, language="sv")
    assert "i morgon klockan halv elva" in call.body and "tryck på 2" in call.body


def test_outbox_backend_stores_the_call_and_the_log_shows_what_is_said(db, landline_errand, client, make):
    call, errand, elder, _helper = reminder_call(db, landline_errand)
    report = dispatch_outbox(DAY_BEFORE)
    db.session.refresh(call)
    assert report.sent == 2  # the helper's SMS reminder and the call
    assert call.status == "sent" and call.provider_sid.startswith("outbox-")
    coordinator = make.coordinator(org=elder.organization)
    client.login(coordinator.email)
    html = client.get("/sms/").get_data(as_text=True)
    assert "Automaattipuhelu" in html and "huomenna kello puoli yksitoista" in html


# --------------------------------------------------------------------------
# The dispatcher places the call through the real twilio client
# --------------------------------------------------------------------------


def test_the_call_is_placed_with_the_calls_api_and_no_sms_is_sent(db, landline_errand, voice_twilio):
    call, *_ = reminder_call(db, landline_errand)
    dispatch_outbox(DAY_BEFORE)
    db.session.refresh(call)
    [placed] = voice_twilio.calls
    assert (placed["to"], placed["from"]) == (LANDLINE, VOICE_FROM)
    assert placed["url"] == f"http://testserver/sms/voice/twiml?m={call.id}" and placed["method"] == "POST"
    assert placed["status_callback"] == f"http://testserver/sms/voice/status?m={call.id}"
    assert placed["status_callback_event"] == ["initiated", "ringing", "answered", "completed"]
    assert placed["machine_detection"] is None
    assert call.status == "sent" and call.provider_sid == placed["sid"] and placed["sid"].startswith("CA")
    assert [m for m in voice_twilio.messages if m["to"] == LANDLINE] == []


def test_machine_detection_is_asked_for_when_the_setting_is_on(app, db, landline_errand, voice_twilio, monkeypatch):
    monkeypatch.setitem(app.config, "VOICE_MACHINE_DETECTION", True)
    reminder_call(db, landline_errand)
    dispatch_outbox(DAY_BEFORE)
    assert voice_twilio.calls[0]["machine_detection"] == "Enable"


def test_the_twiml_speaks_finnish_slowly_twice_and_asks_for_one_key(client, db, landline_errand, voice_twilio):
    call, *_ = reminder_call(db, landline_errand)
    dispatch_outbox(DAY_BEFORE)
    db.session.refresh(call)
    root = twiml_of(client, voice_twilio.auth_token, call)
    [gather] = root.findall("Gather")
    assert gather.get("numDigits") == "1" and gather.get("method") == "POST"
    assert gather.get("action") == f"http://testserver/sms/voice/gather?m={call.id}"
    says = list(gather.iter("Say"))
    assert {(s.get("language"), s.get("voice")) for s in says} == {("fi-FI", "Polly.Suvi")}
    assert all(s.find("prosody").get("rate") == "85%" for s in says)
    assert len(gather.findall("Pause")) >= 3  # short sentences, a pause after each
    text = said(gather)
    assert text.count("Eetu tulee auttamaan") == 2  # said, then repeated once
    assert "paina 2" in text
    assert root[-1].tag == "Hangup"


def test_swedish_call_uses_the_swedish_voice_setting(app, client, db, landline_errand, voice_twilio, monkeypatch):
    monkeypatch.setitem(app.config, "VOICE_NAME_SV", "Polly.Elin")
    call, *_ = reminder_call(db, landline_errand, language="sv")
    dispatch_outbox(DAY_BEFORE)
    db.session.refresh(call)
    root = twiml_of(client, voice_twilio.auth_token, call)
    assert {(s.get("language"), s.get("voice")) for s in root.iter("Say")} == {("sv-SE", "Polly.Elin")}


# --------------------------------------------------------------------------
# Keys pressed go to the same service functions as the SMS keywords
# --------------------------------------------------------------------------


def test_key_2_cancels_as_an_sms_cancel_does_and_the_helper_is_told(client, db, landline_errand, voice_twilio):
    call, errand, elder, helper = reminder_call(db, landline_errand)
    dispatch_outbox(DAY_BEFORE)
    db.session.refresh(call)
    response = press(client, voice_twilio.auth_token, call, "2")
    assert response.status_code == 200
    assert "peruttu" in said(ET.fromstring(response.get_data(as_text=True)))
    db.session.expire_all()
    cancelled = db.session.get(Errand, errand.id)
    assert (cancelled.state, cancelled.cancelled_by_kind) == ("cancelled", "elder")
    [to_helper] = outgoing(db.session, kind="cancellation")
    assert (to_helper.to_phone, to_helper.channel) == (helper.phone, "sms")
    [alert] = db.session.scalars(sa.select(CoordinatorAlert)).all()
    assert (alert.kind, alert.errand_id) == ("call_cancellation", errand.id)
    assert db.session.get(SmsMessage, call.id).digits == "2"
    # The helper's SMS goes out through the same dispatcher.
    dispatch_outbox(DAY_BEFORE + timedelta(minutes=1))
    assert [m["to"] for m in voice_twilio.messages] == [helper.phone, helper.phone]  # reminder, cancellation


def test_key_1_records_the_confirmation_and_changes_nothing_else(client, db, landline_errand, twilio_token):
    call, errand, *_ = reminder_call(db, landline_errand)
    response = press(client, twilio_token, call, "1")
    assert "Kiitos" in said(ET.fromstring(response.get_data(as_text=True)))
    db.session.expire_all()
    assert db.session.get(SmsMessage, call.id).digits == "1"
    assert db.session.get(Errand, errand.id).state == "assigned"
    assert db.session.scalar(sa.select(sa.func.count(CoordinatorAlert.id))) == 0


def test_key_3_asks_the_coordinator_to_call_back(client, db, landline_errand, twilio_token):
    call, errand, elder, _ = reminder_call(db, landline_errand)
    press(client, twilio_token, call, "3")
    press(client, twilio_token, call, "3")  # Twilio may post again: one alert
    [alert] = db.session.scalars(sa.select(CoordinatorAlert)).all()
    assert (alert.kind, alert.elder_id, alert.errand_id) == ("call_back", elder.id, errand.id)
    assert alert.organization_id == elder.organization_id


def test_a_key_that_does_nothing_asks_again(client, db, landline_errand, twilio_token):
    call, *_ = reminder_call(db, landline_errand)
    root = ET.fromstring(press(client, twilio_token, call, "7").get_data(as_text=True))
    [gather] = root.findall("Gather")
    assert "paina 2" in said(gather)
    db.session.expire_all()
    assert db.session.get(SmsMessage, call.id).digits is None


def test_feedback_keys_1_to_5_are_recorded_as_the_sms_digit_is(client, db, make, twilio_token):
    elder = make.elder(phone=LANDLINE, phone_kind="landline", contact_channel="voice")
    helper = make.helper(first_name="Eetu")
    ended = helsinki(2030, 1, 14, 12)
    errand = make.errand(elder, ended - timedelta(hours=1), state="done")
    make.assignment(errand, helper, status="done")
    make.encounter(helper, elder, at=errand.starts_at, errand_id=errand.id)
    db.session.commit()
    create_feedback_requests(ended + timedelta(hours=3))
    db.session.commit()
    [call] = calls(db)
    assert call.kind == "feedback_request" and "Miten apu sujui" in call.body
    root = twiml_of(client, twilio_token, call)
    assert "yhdestä viiteen" in said(root)
    press(client, twilio_token, call, "4")
    db.session.expire_all()
    by_elder = db.session.scalar(sa.select(EncounterParticipant).filter_by(elder_id=elder.id))
    assert (by_elder.feedback_score, by_elder.feedback_via) == (4, "voice")


# --------------------------------------------------------------------------
# Signatures: 403 and nothing written
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["twiml", "gather", "status"])
def test_unsigned_or_tampered_voice_webhooks_are_refused(client, db, landline_errand, twilio_token, path):
    call, errand, *_ = reminder_call(db, landline_errand)
    data = {"CallSid": "CA1", "To": call.to_phone, "Digits": "2", "CallStatus": "no-answer", "AnsweredBy": "human"}
    url = f"/sms/voice/{path}?m={call.id}"
    assert client.post(url, data=data).status_code == 403
    assert signed_post(client, url, data, twilio_token, tamper=True).status_code == 403
    assert signed_post(client, url, data, "another-token").status_code == 403
    db.session.expire_all()
    again = db.session.get(SmsMessage, call.id)
    assert (again.digits, again.call_status, again.answered_by, again.tries) == (None, None, None, 0)
    assert db.session.get(Errand, errand.id).state == "assigned"
    assert db.session.scalar(sa.select(sa.func.count(CoordinatorAlert.id))) == 0


# --------------------------------------------------------------------------
# Quiet hours, opt-outs, retries, not answered
# --------------------------------------------------------------------------


def test_no_calls_in_the_quiet_hours_the_call_waits_for_the_morning(db, landline_errand, app, monkeypatch):
    call, *_ = reminder_call(db, landline_errand)
    report = dispatch_outbox(helsinki(2030, 1, 15, 21, 30))
    db.session.refresh(call)
    assert report.held == 1 and call.status == "held"
    assert call.next_attempt_at == helsinki(2030, 1, 16, 8)
    # The setting is the calls' own: 20-9 holds a call at 20.30 until 9.
    monkeypatch.setitem(app.config, "VOICE_QUIET_HOURS", (20, 9))
    call.status, call.next_attempt_at = "queued", helsinki(2030, 1, 15, 20, 30)
    db.session.commit()
    dispatch_outbox(helsinki(2030, 1, 15, 20, 30))
    db.session.refresh(call)
    assert (call.status, call.next_attempt_at) == ("held", helsinki(2030, 1, 16, 9))


def test_a_number_that_opted_out_is_not_called(db, landline_errand):
    call, *_ = reminder_call(db, landline_errand)
    db.session.add(SmsOptOut(phone=LANDLINE, keyword="stop"))
    db.session.commit()
    dispatch_outbox(DAY_BEFORE)
    db.session.refresh(call)
    assert (call.status, call.last_error_code) == ("failed", "opted_out")


def test_a_temporary_failure_is_retried_with_backoff(db, landline_errand, voice_twilio):
    call, *_ = reminder_call(db, landline_errand)
    voice_twilio.fail_next(2, status=503)  # the call and the helper's SMS reminder
    dispatch_outbox(DAY_BEFORE)
    db.session.refresh(call)
    assert (call.status, call.attempts) == ("queued", 1)
    assert call.next_attempt_at > DAY_BEFORE
    dispatch_outbox(call.next_attempt_at)
    db.session.refresh(call)
    assert call.status == "sent" and len(voice_twilio.calls) == 1 and len(voice_twilio.call_requests) == 2
    assert call.attempts == 2


def test_not_answered_is_called_again_then_the_coordinator_is_asked_to_call(
    client, db, landline_errand, voice_twilio, app, monkeypatch
):
    monkeypatch.setitem(app.config, "VOICE_MAX_TRIES", 3)
    call, errand, elder, _ = reminder_call(db, landline_errand)
    token = voice_twilio.auth_token
    for attempt, status in enumerate(["no-answer", "busy", "no-answer"], start=1):
        # The webhook runs on the real clock: the next call is due then (the dispatcher's
        # own clock is a quiet 19-21 in 2030, so no quiet hours hold it).
        dispatch_outbox(DAY_BEFORE + timedelta(minutes=30 * attempt))
        db.session.refresh(call)
        assert call.status == "sent" and len(voice_twilio.calls) == attempt
        assert call_status(client, token, call, "ringing").status_code == 204
        first_sid = call.provider_sid
        before = utcnow()
        assert call_status(client, token, call, status).status_code == 204
        call_status(client, token, call, status)  # a repeated callback counts once
        db.session.refresh(call)
        assert call.tries == attempt
        if attempt < 3:
            assert call.status == "queued" and call.provider_sid is None
            # Backoff: at least half of VOICE_RETRY_MINUTES (10), doubling per try.
            assert before + timedelta(minutes=5 * attempt) <= call.next_attempt_at
            assert call.next_attempt_at <= utcnow() + timedelta(minutes=10 * attempt)
            assert db.session.scalar(sa.select(sa.func.count(CoordinatorAlert.id))) == 0
    assert first_sid == voice_twilio.calls[-1]["sid"]
    assert (call.status, call.call_status) == ("undelivered", "no-answer")
    [alert] = db.session.scalars(sa.select(CoordinatorAlert)).all()
    assert (alert.kind, alert.errand_id, alert.elder_id) == ("call_reminder", errand.id, elder.id)
    assert alert.dedupe_key == f"call_reminder:{errand.id}"


def test_an_answered_call_is_delivered_and_a_machine_counts_as_not_reached(
    client, db, landline_errand, voice_twilio, app, monkeypatch
):
    call, *_ = reminder_call(db, landline_errand)
    token = voice_twilio.auth_token
    dispatch_outbox(DAY_BEFORE)
    db.session.refresh(call)
    # A machine answered (detection on): the text once, no question; then it is tried again.
    root = twiml_of(client, token, call, AnsweredBy="machine_end_beep")
    assert root.find("Gather") is None and "Eetu" in said(root)
    call_status(client, token, call, "completed", AnsweredBy="machine_end_beep")
    db.session.refresh(call)
    assert (call.status, call.tries, call.answered_by) == ("queued", 1, "machine_end_beep")
    dispatch_outbox(DAY_BEFORE + timedelta(hours=1))  # due (the webhook's clock is today's)
    db.session.refresh(call)
    twiml_of(client, token, call, AnsweredBy="human")
    call_status(client, token, call, "completed", AnsweredBy="human", CallDuration="41")
    db.session.refresh(call)
    assert (call.status, call.call_status, call.answered_by) == ("delivered", "completed", "human")


def test_a_failed_call_alerts_the_coordinator(client, db, landline_errand, voice_twilio):
    call, errand, *_ = reminder_call(db, landline_errand)
    dispatch_outbox(DAY_BEFORE)
    db.session.refresh(call)
    call_status(client, voice_twilio.auth_token, call, "failed", ErrorCode="13224")
    db.session.refresh(call)
    assert (call.status, call.last_error_code) == ("failed", "13224")
    assert db.session.scalar(sa.select(CoordinatorAlert.kind)) == "call_reminder"


# --------------------------------------------------------------------------
# Confirmations, "cannot come", and the hook for invitations
# --------------------------------------------------------------------------


def test_confirmation_and_withdrawal_are_calls_with_the_helpers_first_name_and_time(db, landline_errand, client):
    errand, elder, helper = landline_errand(language="sv")
    assignment = errand.assignments[0]
    assert notifications.queue_elder_confirmation(assignment) is True
    notifications.queue_elder_withdrawal(assignment)
    db.session.commit()
    confirmation, withdrawal = calls(db)
    assert (confirmation.kind, withdrawal.kind) == ("elder_confirmation", "elder_withdrawal")
    assert "Eetu kommer och hjälper" in confirmation.body and "klockan halv elva" in confirmation.body
    assert "Eetu kan ändå inte komma" in withdrawal.body
    assert withdrawal.body.endswith("tryck på 3.") and "tryck på 2" not in withdrawal.body
    for call in (confirmation, withdrawal):
        assert call.to_phone == LANDLINE and helper.last_name not in call.body and "Diabetes" not in call.body


def test_other_areas_queue_calls_through_the_hook_and_after_a_reminder_only_key_3_acts(client, db, make, twilio_token):
    elder = make.elder(phone=LANDLINE, phone_kind="landline", contact_channel="voice")
    call = queue_call(
        elder.phone,
        voice_texts.activity_script(
            "activity_reminder", "Kahvihetki", "Sotkamon seurakuntatalo", START, "fi", DAY_BEFORE
        ),
        kind="activity_reminder",
        language="fi",
        dedupe_key=f"activity_reminder:1:e{elder.id}",
        elder_id=elder.id,
        organization_id=elder.organization_id,
    )
    db.session.commit()
    assert "Muistutus: Kahvihetki huomenna kello puoli yksitoista. Paikka on Sotkamon seurakuntatalo." in call.body
    assert call.body.endswith("paina 3.") and "paina 1" not in call.body
    root = ET.fromstring(press(client, twilio_token, call, "1").get_data(as_text=True))
    assert root.find("Gather") is not None  # 1 does nothing here: asked again
    press(client, twilio_token, call, "3")
    assert db.session.scalar(sa.select(CoordinatorAlert.kind)) == "call_back"
