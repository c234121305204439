"""The outbox dispatcher against the real twilio client and a fake Twilio on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.models import CoordinatorAlert, SmsMessage, SmsOptOut
from app.sms.dispatcher import CLAIM_SECONDS, claim_batch, dispatch_outbox
from app.sms.outbox import queue_sms
from tests.factories import helsinki
from tests.sms.support import outgoing, signed_post

NOON = helsinki(2030, 1, 15, 12)  # a weekday noon, well in the future


def queue(db, to: str, body: str = "Hei", **kw) -> SmsMessage:
    message = queue_sms(to, body, kind=kw.pop("kind", "manual"), **kw)
    db.session.commit()
    return message


def drain(now, rounds: int = 30, step: timedelta = timedelta(seconds=61)):
    """Run dispatcher rounds, moving the clock on, until nothing is waiting."""
    for _ in range(rounds):
        dispatch_outbox(now)
        now += step
    return now


def test_outbox_backend_stores_and_sends_nothing(db):
    message = queue(db, "+358401234567", "Tervehdys")
    report = dispatch_outbox(NOON)
    db.session.refresh(message)
    assert report.sent == 1
    assert message.status == "sent"
    assert message.provider_sid.startswith("outbox-")
    assert message.attempts == 1 and message.sent_at is not None


def test_sends_through_twilio_with_status_callback(db, fake_twilio):
    message = queue(db, "+358401234567", "Muistutus huomisesta")
    dispatch_outbox(NOON)
    db.session.refresh(message)
    [sent] = fake_twilio.messages
    assert sent["to"] == "+358401234567" and sent["body"] == "Muistutus huomisesta"
    assert sent["status_callback"] == f"http://testserver/sms/status?m={message.id}"
    assert message.status == "sent" and message.provider_sid == sent["sid"]


def test_every_message_delivered_exactly_once_after_500s_and_429s(db, fake_twilio):
    numbers = [f"+35840555{i:04d}" for i in range(6)]
    messages = [queue(db, n, f"Viesti {i}") for i, n in enumerate(numbers)]
    fake_twilio.fail_next(4, status=500)
    fake_twilio.fail_next(3, status=429)
    fake_twilio.fail_next(1, status=503)

    first = dispatch_outbox(NOON)
    # Every request of the first round fails. A 500 backs off only its own message and the
    # round goes on; the first 429 stops it: nothing new starts, the rest waits untouched.
    assert first.sent == 0 and first.stopped == "rate_limited"
    assert 5 <= first.retrying == len(fake_twilio.send_requests) <= 6
    assert first.retrying + first.released == 6
    waiting = outgoing(db.session, status="queued")
    assert len(waiting) == 6
    assert sorted(m.attempts for m in waiting) == [0] * first.released + [1] * first.retrying

    drain(NOON)
    assert sorted(m["to"] for m in fake_twilio.messages) == sorted(numbers)  # each exactly once
    for message in messages:
        db.session.refresh(message)
        assert message.status == "sent"
    assert max(m.attempts for m in messages) > 1


def test_permanent_failure_is_never_retried(db, fake_twilio):
    bad = queue(db, "+1234", "Ei mene perille")
    dispatch_outbox(NOON)
    db.session.refresh(bad)
    assert bad.status == "failed" and bad.last_error_code == "21211" and bad.attempts == 1
    drain(NOON, rounds=3, step=timedelta(hours=2))
    assert len(fake_twilio.send_requests) == 1


def test_number_unsubscribed_at_twilio_is_remembered(db, fake_twilio, make):
    helper = make.helper(phone="+358401112222")
    fake_twilio.opted_out.add(helper.phone)
    message = queue(db, helper.phone, "Tarjous", helper_id=helper.id)
    dispatch_outbox(NOON)
    db.session.refresh(message)
    db.session.refresh(helper)
    assert message.status == "failed" and message.last_error_code == "21610"
    assert db.session.scalar(sa.select(SmsOptOut.keyword).filter_by(phone=helper.phone)) == "provider"
    assert helper.sms_opt_out


def test_opted_out_number_gets_nothing(db, fake_twilio):
    db.session.add(SmsOptOut(phone="+358401119999", keyword="stop"))
    db.session.commit()
    message = queue(db, "+358401119999", "Ei saa lähteä")
    dispatch_outbox(NOON)
    db.session.refresh(message)
    assert message.status == "failed" and message.last_error_code == "opted_out"
    assert fake_twilio.send_requests == []


def test_quiet_hours_hold_texts_to_older_people_until_eight(db, fake_twilio, make):
    elder = make.elder(with_relative=True)
    contact = elder.contacts[0]
    to_elder = queue(db, elder.phone, "Vahvistus", elder_id=elder.id, kind="elder_confirmation")
    to_relative = queue(db, contact.phone, "Vahvistus", elder_id=elder.id, contact_id=contact.id)
    to_helper = queue(db, "+358401230001", "Tarjous", helper_id=make.helper().id, kind="offer")
    late = helsinki(2030, 1, 15, 22, 30)

    dispatch_outbox(late)
    for m in (to_elder, to_relative, to_helper):
        db.session.refresh(m)
    assert to_helper.status == "sent"
    assert to_elder.status == to_relative.status == "held"
    assert to_elder.next_attempt_at == to_elder.not_before == helsinki(2030, 1, 16, 8)
    assert [m["to"] for m in fake_twilio.messages] == ["+358401230001"]

    dispatch_outbox(helsinki(2030, 1, 16, 7, 59))
    assert len(fake_twilio.messages) == 1
    dispatch_outbox(helsinki(2030, 1, 16, 8, 0))
    assert sorted(m["to"] for m in fake_twilio.messages) == sorted([to_helper.to_phone, elder.phone, contact.phone])


def test_same_day_cancellation_is_sent_during_quiet_hours(db, fake_twilio, make):
    elder = make.elder()
    errand = make.errand(elder, helsinki(2030, 1, 16, 9))
    # A kind that cancels (declared in app.sms.kinds), to the older person's side.
    urgent = queue(db, elder.phone, "Peruttu", elder_id=elder.id, errand_id=errand.id, kind="cancellation")
    dispatch_outbox(helsinki(2030, 1, 15, 22))
    db.session.refresh(urgent)
    assert urgent.status == "sent"


def test_reminder_for_an_errand_that_began_is_not_sent(db, fake_twilio, make):
    helper = make.helper()
    errand = make.errand(make.elder(), NOON - timedelta(minutes=5))
    message = queue(
        db, helper.phone, "Muistutus", helper_id=helper.id, errand_id=errand.id, kind="reminder_helper_soon"
    )
    dispatch_outbox(NOON)
    db.session.refresh(message)
    assert message.status == "failed" and message.last_error_code == "stale"
    assert fake_twilio.send_requests == []


def test_sends_at_the_configured_rate(db, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_RATE_PER_SECOND", 4)
    for i in range(5):
        queue(db, f"+35840666{i:04d}")
    waits: list[float] = []
    report = dispatch_outbox(NOON, sleep=waits.append)
    assert report.sent == 5
    assert len(waits) == 4 and all(0.2 < w <= 0.25 for w in waits)


def test_timeout_is_an_unknown_outcome_settled_by_the_status_callback(db, app, client, fake_twilio):
    message = queue(db, "+358401234000", "Tärkeä muistutus")
    fake_twilio.timeout_next(1)  # Twilio stores it, but the answer is lost
    report = dispatch_outbox(NOON)
    db.session.refresh(message)
    assert report.unknown == 1
    assert message.status == "sending" and message.last_error_code == "timeout" and message.provider_sid is None
    assert len(fake_twilio.messages) == 1

    dispatch_outbox(NOON + timedelta(seconds=30))  # too early to send again
    assert len(fake_twilio.messages) == 1

    stored = fake_twilio.messages[0]
    path = stored["status_callback"].removeprefix("http://testserver")
    data = {"MessageSid": stored["sid"], "MessageStatus": "delivered", "To": stored["to"], "From": stored["from"]}
    assert signed_post(client, path, data, fake_twilio.auth_token).status_code == 204

    drain(NOON + timedelta(minutes=5), rounds=3, step=timedelta(minutes=10))
    db.session.refresh(message)
    assert message.status == "delivered" and message.provider_sid == stored["sid"]
    assert len(fake_twilio.messages) == 1  # never sent twice


def test_timeout_without_any_callback_is_sent_again_after_the_wait(db, fake_twilio):
    """The documented choice: a rare duplicate rather than a lost reminder."""
    message = queue(db, "+358401234001", "Muistutus")
    fake_twilio.timeout_next(1, accept=False)
    dispatch_outbox(NOON)
    dispatch_outbox(NOON + timedelta(seconds=119))
    assert fake_twilio.messages == []
    dispatch_outbox(NOON + timedelta(seconds=121))
    db.session.refresh(message)
    assert message.status == "sent" and message.attempts == 2
    assert [m["sid"] for m in fake_twilio.messages] == [message.provider_sid]


def test_gives_up_after_max_attempts_and_alerts_for_an_older_person(db, app, monkeypatch, fake_twilio, make):
    monkeypatch.setitem(app.config, "SMS_MAX_ATTEMPTS", 3)
    elder = make.elder()
    errand = make.errand(elder, NOON + timedelta(days=2))
    message = queue(db, elder.phone, "Muistutus", elder_id=elder.id, errand_id=errand.id, kind="reminder_elder_day")
    fake_twilio.fail_next(10, status=503)
    drain(NOON, rounds=6, step=timedelta(minutes=5))
    db.session.refresh(message)
    assert message.status == "failed" and message.attempts == 3
    assert len(fake_twilio.send_requests) == 3
    alert = db.session.scalar(sa.select(CoordinatorAlert))
    assert alert.kind == "sms_undelivered" and alert.errand_id == errand.id


def test_stopping_mid_batch_puts_the_rest_back_and_nothing_is_sent_twice(db, app, monkeypatch, fake_twilio):
    # One request at a time, so that exactly two are out when should_stop says stop
    # (test_dispatcher_concurrency.py stops a round with several requests in flight).
    monkeypatch.setitem(app.config, "SMS_SEND_CONCURRENCY", 1)
    for i in range(6):
        queue(db, f"+35840777{i:04d}", f"Viesti {i}")
    sent_so_far = []
    report = dispatch_outbox(NOON, should_stop=lambda: len(fake_twilio.messages) >= 2 and not sent_so_far.append(1))
    assert report.sent == 2
    waiting = outgoing(db.session, status="queued")
    assert len(waiting) == 4 and all(m.attempts == 0 for m in waiting)
    dispatch_outbox(NOON + timedelta(seconds=5))
    assert len(fake_twilio.messages) == 6
    assert len({m["to"] for m in fake_twilio.messages}) == 6


def test_claims_left_by_a_crashed_dispatcher_are_sent_after_the_claim_runs_out(db, fake_twilio):
    """Claimed, never started (no attempt counted): back after CLAIM_SECONDS, not the longer recheck wait."""
    message = queue(db, "+358401234002", "Muistutus")
    assert claim_batch(NOON, 10) == [message.id]  # ...and then the process died
    dispatch_outbox(NOON + timedelta(seconds=CLAIM_SECONDS - 1))
    assert fake_twilio.messages == []
    dispatch_outbox(NOON + timedelta(seconds=CLAIM_SECONDS + 1))
    db.session.refresh(message)
    assert message.status == "sent" and len(fake_twilio.messages) == 1
    assert fake_twilio.list_requests == []  # never attempted: nothing to look for
