"""The dispatcher sends several messages at once, paced at SMS_RATE_PER_SECOND:
overlap at the fake Twilio, pacing, failures of single messages, a provider
that struggles, should_stop, and never a duplicate."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from app.models import SmsMessage
from app.sms.backends import OutboxBackend, SendResult, build_backend
from app.sms.dispatcher import STRUGGLING_AFTER, _PerThreadBackend, dispatch_outbox
from app.sms.outbox import queue_sms
from tests.factories import helsinki
from tests.sms.support import outgoing

NOON = helsinki(2030, 1, 15, 12)


def queue_many(db, n: int, prefix: str = "+35840888") -> list[SmsMessage]:
    messages = [queue_sms(f"{prefix}{i:04d}", f"Viesti {i}", kind="manual") for i in range(n)]
    db.session.commit()
    return messages


def drain(now, rounds: int = 30, step: timedelta = timedelta(seconds=61)) -> None:
    for _ in range(rounds):
        dispatch_outbox(now)
        now += step


def copies_by_body(fake) -> Counter:
    return Counter(m["body"] for m in fake.messages)


class SlowRecordingBackend:
    """Thread-safe: records when each send began (in its worker thread), answers after ``latency``."""

    def __init__(self, latency: float = 0.05, fail: set[str] | None = None) -> None:
        self.latency = latency
        self.fail = fail or set()
        self.starts: list[float] = []
        self.threads: set[int] = set()
        self._lock = threading.Lock()

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SendResult:
        with self._lock:
            self.starts.append(time.monotonic())
            self.threads.add(threading.get_ident())
        time.sleep(self.latency)
        if to in self.fail:
            raise RuntimeError("backend bug")
        return OutboxBackend().send(to, body, status_callback=status_callback)


def test_requests_overlap_against_a_slow_provider(db, fake_twilio):
    fake_twilio.delay_seconds = 0.1
    queue_many(db, 16)
    started = time.monotonic()
    report = dispatch_outbox(NOON)
    elapsed = time.monotonic() - started

    assert report.sent == 16 and report.stopped is None
    assert len(fake_twilio.messages) == 16
    assert 4 <= fake_twilio.max_in_flight <= 8  # SMS_SEND_CONCURRENCY defaults to 8
    requests = sorted(fake_twilio.send_requests, key=lambda r: r.started)
    overlapping = sum(1 for a, b in zip(requests, requests[1:], strict=False) if b.started < a.at)
    assert overlapping >= 10
    assert elapsed < 16 * 0.1 / 2  # one at a time would take at least 1.6 s
    assert all(m.status == "sent" and m.attempts == 1 for m in outgoing(db.session))


def test_never_more_requests_in_flight_than_the_setting(db, app, monkeypatch, fake_twilio):
    monkeypatch.setitem(app.config, "SMS_SEND_CONCURRENCY", 3)
    fake_twilio.delay_seconds = 0.05
    queue_many(db, 12)
    report = dispatch_outbox(NOON)
    assert report.sent == 12
    assert fake_twilio.max_in_flight == 3


def test_starts_are_paced_at_the_configured_rate(db, app, monkeypatch):
    rate = 20
    monkeypatch.setitem(app.config, "SMS_RATE_PER_SECOND", rate)
    queue_many(db, 30)
    backend = SlowRecordingBackend(latency=0.15)  # 3 in flight are needed to keep up
    report = dispatch_outbox(NOON, backend=backend)

    assert report.sent == 30
    assert len(backend.threads) >= 3
    starts = sorted(backend.starts)
    slack = 0.01  # a worker thread may pick its request up a little late
    # The k-th send starts no earlier than start + k/rate ...
    assert all(t - starts[0] >= k / rate - slack for k, t in enumerate(starts))
    # ... never more than `rate` of them in any second ...
    assert all(later - earlier >= 1.0 - slack for earlier, later in zip(starts, starts[rate:], strict=False))
    # ... and the rate is reached (one at a time would need 30 * 0.15 = 4.5 s).
    assert starts[-1] - starts[0] < 29 / rate * 1.25


def test_a_fake_sleep_sees_one_interval_per_start(db, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_RATE_PER_SECOND", 10)
    queue_many(db, 6)
    waits: list[float] = []
    report = dispatch_outbox(NOON, backend=SlowRecordingBackend(latency=0.01), sleep=waits.append)
    assert report.sent == 6
    assert len(waits) == 5 and all(0.05 < w <= 0.1 for w in waits)


def test_500s_back_off_only_their_own_messages_and_the_round_goes_on(db, fake_twilio):
    messages = queue_many(db, 10)
    fake_twilio.fail_next(2, status=500)
    report = dispatch_outbox(NOON)

    assert report.stopped is None and report.released == 0
    assert report.sent == 8 and report.retrying == 2
    assert len(fake_twilio.send_requests) == 10 and len(fake_twilio.messages) == 8
    retrying = outgoing(db.session, status="queued")
    assert len(retrying) == 2
    for message in retrying:
        assert message.attempts == 1 and message.last_error_code == "20500"
        assert message.next_attempt_at > NOON  # its own backoff
    assert len(outgoing(db.session, status="sent")) == 8

    drain(NOON + timedelta(seconds=61))
    assert sorted(copies_by_body(fake_twilio).values()) == [1] * 10
    for message in messages:
        db.session.refresh(message)
        assert message.status == "sent"


def test_429_stops_the_round_and_puts_the_rest_back(db, app, monkeypatch, fake_twilio):
    monkeypatch.setitem(app.config, "SMS_SEND_CONCURRENCY", 2)
    fake_twilio.delay_seconds = 0.05
    queue_many(db, 20)
    fake_twilio.fail_next(1, status=429)
    report = dispatch_outbox(NOON)

    # The second request was already out when the 429 came: it is finished and recorded.
    # (Rarely its answer is read first and frees a slot for a third one.)
    requests = len(fake_twilio.send_requests)
    assert report.stopped == "rate_limited"
    assert requests in (2, 3)
    assert report.retrying == 1 and report.sent == requests - 1 and report.released == 20 - requests
    [limited] = outgoing(db.session, status="queued", attempts=1)
    assert limited.last_error_code == "20429"
    rest = outgoing(db.session, status="queued", attempts=0)
    assert len(rest) == 20 - requests
    # The rest waits as long as the rate-limited message, untouched.
    assert {m.next_attempt_at for m in rest} == {limited.next_attempt_at}
    assert all(m.last_error_code is None for m in rest)
    assert outgoing(db.session, status="sending") == []

    drain(NOON + timedelta(seconds=61))
    assert sorted(copies_by_body(fake_twilio).values()) == [1] * 20


def test_temporary_failures_in_a_row_stop_the_round(db, app, monkeypatch, fake_twilio):
    monkeypatch.setitem(app.config, "SMS_SEND_CONCURRENCY", 2)
    fake_twilio.delay_seconds = 0.05
    queue_many(db, 20)
    # One fault more than needed: with two requests out, which one gets the fifth is a race.
    fake_twilio.fail_next(STRUGGLING_AFTER + 1, status=503)
    report = dispatch_outbox(NOON)

    requests = len(fake_twilio.send_requests)
    assert report.stopped == "failing"
    # When the fifth failure came, at most one more request was out (and it failed too).
    assert STRUGGLING_AFTER <= requests <= STRUGGLING_AFTER + 1
    assert report.retrying == requests and report.sent == 0
    assert report.released == 20 - requests
    assert len(outgoing(db.session, status="queued", attempts=0)) == report.released

    drain(NOON + timedelta(seconds=61))
    assert sorted(copies_by_body(fake_twilio).values()) == [1] * 20


def test_should_stop_finishes_the_sends_in_flight_and_releases_the_rest(db, app, monkeypatch, fake_twilio):
    monkeypatch.setitem(app.config, "SMS_SEND_CONCURRENCY", 3)
    fake_twilio.delay_seconds = 0.2
    queue_many(db, 6)
    # True as soon as Twilio has the first message: by then three requests are out.
    report = dispatch_outbox(NOON, should_stop=lambda: len(fake_twilio.messages) >= 1)

    assert report.stopped == "should_stop"
    assert report.sent == 3 and report.released == 3
    assert len(outgoing(db.session, status="sent", attempts=1)) == 3
    assert len(outgoing(db.session, status="queued", attempts=0)) == 3
    assert outgoing(db.session, status="sending") == []

    dispatch_outbox(NOON + timedelta(seconds=5))
    assert sorted(copies_by_body(fake_twilio).values()) == [1] * 6


def test_no_duplicates_with_random_failures(db, fake_twilio):
    fake_twilio.delay_seconds = 0.01
    fake_twilio.fail_rate = 0.2
    messages = queue_many(db, 60)
    drain(NOON, rounds=40)

    assert sorted(copies_by_body(fake_twilio).values()) == [1] * 60
    attempts = 0
    for message in messages:
        db.session.refresh(message)
        assert message.status == "sent"
        attempts += message.attempts
    assert attempts == len(fake_twilio.send_requests)  # every request counted once, before it went out


def test_attempt_is_committed_before_the_request_goes_out(db):
    queue_many(db, 5)
    engine = db.engine
    seen: list[int] = []

    class Checking(SlowRecordingBackend):
        def send(self, to, body, *, status_callback=None):
            # Another connection, in the worker thread: only committed data is visible.
            with engine.connect() as conn:
                seen.append(conn.scalar(sa.select(SmsMessage.attempts).where(SmsMessage.to_phone == to)))
            return super().send(to, body, status_callback=status_callback)

    report = dispatch_outbox(NOON, backend=Checking(latency=0.01))
    assert report.sent == 5
    assert seen == [1] * 5


def test_a_backend_that_raises_leaves_an_unknown_outcome_and_the_others_go_on(db):
    messages = queue_many(db, 4)
    backend = SlowRecordingBackend(latency=0.01, fail={messages[1].to_phone})
    report = dispatch_outbox(NOON, backend=backend)
    assert report.sent == 3 and report.unknown == 1 and report.stopped is None
    db.session.refresh(messages[1])
    # The request may have gone out: keep the claim and wait for a status callback.
    assert messages[1].status == "sending" and messages[1].last_error_code == "send_error"
    assert messages[1].attempts == 1


def test_each_worker_thread_gets_its_own_twilio_client(app, fake_twilio):
    shared = build_backend("twilio", app.config)
    per_thread = _PerThreadBackend(shared)
    barrier = threading.Barrier(3)
    used: dict[int, object] = {}
    results: list[SendResult] = []

    def work(i: int) -> None:
        barrier.wait()
        results.append(per_thread.send(f"+3584099900{i:02d}", f"Viesti {i}", "http://testserver/sms/status?m=1"))
        results.append(per_thread.send(f"+3584099910{i:02d}", f"Toinen {i}", "http://testserver/sms/status?m=2"))
        used[i] = per_thread._local.backend

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    per_thread.close()

    assert all(r.ok for r in results) and len(fake_twilio.messages) == 6
    clients = {id(b.client) for b in used.values()}
    sessions = {id(b.client.http_client.session) for b in used.values()}
    assert len(clients) == 3 and len(sessions) == 3  # one per thread, reused for its second send
    assert id(shared.client) not in clients


def test_outbox_backend_is_shared(db):
    backend = OutboxBackend()
    assert _PerThreadBackend(backend)._own() is backend
