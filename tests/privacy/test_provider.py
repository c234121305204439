"""Copies of an erased person's SMS at the provider: queued by the erasure, deleted
by the scheduler's job with the real twilio client against the fake Twilio, with
retries when Twilio is down; the outbox backend only marks them done."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import ProviderErasure, SmsMessage, utcnow
from app.privacy import provider
from app.privacy.erasure import erase_elder
from app.scheduling.jobs import JOBS, job_provider_erasure
from app.sms.backends import DeleteFailed, TwilioBackend
from tests.privacy.conftest import ELDER_SECRETS, cancel_coming
from tests.sms.support import TWILIO_FROM


def _queue(db) -> list[ProviderErasure]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ProviderErasure).order_by(ProviderErasure.id)))


def _backend(fake) -> TwilioBackend:
    return TwilioBackend(fake.account_sid, fake.auth_token, from_number=TWILIO_FROM, api_base_url=fake.base_url)


def test_the_client_deletes_a_message_and_knows_a_missing_one(fake_twilio):
    backend = _backend(fake_twilio)
    sent = backend.send(ELDER_SECRETS["phone"], "Hei Hiljaliisa")
    assert backend.delete_message(sent.provider_id) == "deleted"
    assert fake_twilio.messages == [] and fake_twilio.deleted == [sent.provider_id]
    assert [r.status for r in fake_twilio.delete_requests] == [204]
    assert backend.delete_message(sent.provider_id) == "gone"  # 404: nothing left
    fake_twilio.fail_delete_next(1, 503)
    with pytest.raises(DeleteFailed) as info:
        backend.delete_message(sent.provider_id)
    assert info.value.code == "20503"


def test_twilio_down_at_erasure_time_then_the_retry_deletes(app, db, fake_twilio, scenario):
    cancel_coming(scenario)
    sids = set(db.session.scalars(sa.select(SmsMessage.provider_sid).where(SmsMessage.provider_sid.like("SM%"))))
    at_twilio = {m["sid"] for m in fake_twilio.messages}
    assert at_twilio and at_twilio <= sids

    erase_elder(scenario.elder, by=scenario.coordinator, reason="Omainen pyysi poistoa")
    db.session.commit()
    queued = _queue(db)
    assert {e.provider_sid for e in queued} >= at_twilio
    assert provider.pending() == len(queued)

    now = utcnow()
    fake_twilio.fail_delete_next(len(queued), 503)  # Twilio is down for the first round
    assert job_provider_erasure(now) == 0
    assert all(e.done_at is None and e.attempts == 1 and e.next_attempt_at > now for e in _queue(db))
    assert all("20503" in e.last_error for e in _queue(db))
    assert {m["sid"] for m in fake_twilio.messages} == at_twilio

    # Not due yet: the job waits (no request sent).
    calls = len(fake_twilio.delete_requests)
    assert job_provider_erasure(now + timedelta(seconds=1)) == 0
    assert len(fake_twilio.delete_requests) == calls

    later = now + timedelta(seconds=float(app.config["SMS_RETRY_BASE_SECONDS"]) + 1)
    assert job_provider_erasure(later) == len(queued)
    assert fake_twilio.messages == []
    done = _queue(db)
    assert all(e.done_at is not None and e.last_error is None for e in done)
    assert {e.outcome for e in done if e.provider_sid in at_twilio} == {"deleted"}
    assert {e.outcome for e in done if e.provider_sid not in at_twilio} <= {"gone"}
    assert provider.pending() == 0
    assert job_provider_erasure(later + timedelta(hours=1)) == 0  # nothing more to do


def test_a_refusal_that_is_not_temporary_gives_up_after_the_attempts(app, db, fake_twilio, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_MAX_ATTEMPTS", 2)
    sid = _backend(fake_twilio).send(ELDER_SECRETS["phone"], "Hei").provider_id
    provider.queue([sid])
    db.session.commit()
    fake_twilio.fail_delete_next(2, 400)
    now = utcnow()
    assert job_provider_erasure(now) == 0
    assert job_provider_erasure(now + timedelta(hours=2)) == 1
    [entry] = _queue(db)
    assert entry.outcome == "failed" and entry.attempts == 2 and entry.done_at is not None


def test_the_outbox_backend_marks_them_done_without_a_provider(db, scenario):
    cancel_coming(scenario)
    erase_elder(scenario.elder, by=scenario.coordinator, reason="Omainen pyysi poistoa")
    db.session.commit()
    queued = _queue(db)
    assert queued  # the outbox's ids and the inbound SMS's sid
    assert job_provider_erasure(utcnow()) == len(queued)
    assert {e.outcome for e in _queue(db)} == {"local"}


def test_queueing_twice_keeps_one_entry(db):
    assert provider.queue(["SMaaa", "SMaaa", None, "SMbbb"]) == 2
    db.session.commit()
    assert provider.queue(["SMaaa"]) == 0


def test_the_job_runs_every_few_minutes():
    spec = next(j for j in JOBS if j.func is job_provider_erasure)
    assert spec.id == "provider-erasure" and spec.interval_key == "SCHEDULER_PROVIDER_ERASURE_SECONDS"


def test_erasing_a_contact_person_queues_their_sms_at_twilio(db, fake_twilio, scenario):
    from app.privacy.erasure import erase_contact
    from app.sms.inbound import receive
    from tests.privacy.conftest import CONTACT_SECRETS

    phone = CONTACT_SECRETS["phone"]
    sid = fake_twilio.receive(phone, "Tassa Tyttaretta")
    receive({"MessageSid": sid, "From": phone, "Body": "Tassa Tyttaretta"})
    db.session.commit()
    report = erase_contact(scenario.contact, by=scenario.coordinator, reason="Pyysi itse")
    db.session.commit()
    assert report.provider_copies >= 1 and sid in {e.provider_sid for e in _queue(db)}
    job_provider_erasure(utcnow())
    assert sid in fake_twilio.deleted
    assert [m for m in fake_twilio.messages if phone in (m["to"], m["from"])] == []
