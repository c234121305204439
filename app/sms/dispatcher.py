"""The outbox dispatcher: sends queued messages, run only by the scheduler.

One round (:func:`dispatch_outbox`):

1. **Claim** a batch of due messages (``queued`` or ``held`` with
   ``next_attempt_at <= now``, and ``sending`` ones whose claim ran out) in one
   transaction: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the single
   scheduler instance and the status update in the same transaction. While
   claiming, a message to a number that opted out fails with ``opted_out``, a
   reminder or offer for an errand that has begun fails with ``stale``, and a
   message to an older person or a relative during quiet hours (21-08 Helsinki
   time) is ``held`` until 08:00 unless it cancels an errand of the same day.
   The rest become ``sending`` with ``next_attempt_at`` pushed forward by
   ``CLAIM_SECONDS`` (the claim); when a message's attempt starts, by
   ``SMS_UNKNOWN_RECHECK_SECONDS``. Automated calls (``channel="voice"``) are
   claimed the same way; their quiet hours are ``VOICE_QUIET_HOURS``, for
   every call. So after a crash the claimed messages that
   were never started go out a minute later, and only those whose request may
   have gone out wait for a status callback.
2. **Send** them with the configured backend, several at a time: up to
   ``SMS_SEND_CONCURRENCY`` requests in flight, started no faster than
   ``SMS_RATE_PER_SECOND`` (two starts are at least ``1/rate`` apart, so the
   k-th send of a round starts no earlier than ``start + k/rate``). Only the
   HTTP request runs in a worker thread; each attempt is counted and committed
   before its request goes out, and each result is recorded in its own
   transaction, all in the calling thread: ``sent`` with the provider's id; a
   temporary failure (HTTP 5xx, 429, connection trouble) goes back to
   ``queued`` with exponential backoff and jitter while the round goes on with
   the others; a permanent one is ``failed`` with its error code and never
   retried. When the provider answers 429 (rate limited) or
   ``STRUGGLING_AFTER`` temporary failures come in a row, it is struggling: no
   new sends start, the ones in flight are finished and recorded, and the rest
   of the batch is put back untouched. ``should_stop`` ends a round the same way.

**Timeouts and crashes.** Twilio has no idempotency key, and a timed-out
request may still have created the message (only the answer was lost). A
timeout is therefore an *unknown* outcome: the message stays ``sending`` for
``SMS_UNKNOWN_RECHECK_SECONDS``. Its status callback URL carries our message
id (``/sms/status?m=<id>``), so when Twilio reports on a message whose answer
we never saw, the callback records the provider id and the status and the
message is not sent again. A dispatcher that dies (``kill -9``, a lost
database) between claiming and recording leaves its claims to the same wait.
Three things keep such a crash from sending a message twice:

* a successful send is recorded (sid, ``sent``) by the worker thread, on its
  own database connection, the moment the answer arrives
  (:meth:`_PerThreadBackend.send_and_record`), not when the calling thread
  gets round to it; a claim that comes back with a sid is simply marked sent
  (:func:`claim_batch`);
* before a message is sent *again* (any attempt after the first), the
  provider's own list of messages to that number is searched for a copy with
  the same body, created after the message was, whose sid no other
  message of ours holds (:func:`settle_unknown`); a copy found is recorded
  and nothing is sent;
* only when there is no such copy, or the provider cannot be asked, is it
  sent again: a rare duplicate is still preferred to a lost reminder.

Status updates here and in callbacks are conditional UPDATEs that only move a
status forwards, so the two can race safely.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.alerts import raise_alert
from app.extensions import db
from app.models import Errand, SmsMessage, utcnow
from app.sms import kinds, optouts, rules
from app.sms.backends import (
    LookupFailed,
    ProviderCopy,
    SendResult,
    SmsBackend,
    TwilioBackend,
    build_backend,
    build_voice_backend,
    find_copy,
    mask_number,
)
from app.sms.settings import setting

log = logging.getLogger(__name__)

DUE_STATUSES = ("queued", "held")
# Twilio codes meaning the recipient unsubscribed at the carrier or at Twilio.
PROVIDER_OPT_OUT_CODES = frozenset({"21610"})
# Results whose outcome is unknown: the request may have reached the provider.
UNKNOWN_OUTCOME_CODES = frozenset({"timeout", "twilio_error", "request_error", "send_error"})
# Twilio's "too many requests" (its error code, or the bare HTTP status when the answer had none).
RATE_LIMITED_CODES = frozenset({"20429", "429"})
# This many temporary failures in a row (in the order their answers came) end a round.
STRUGGLING_AFTER = 5
# How long a claimed message not yet started stays claimed (at most SMS_UNKNOWN_RECHECK_SECONDS).
# Longer than a batch takes to start: one round claims the next batch only after starting this one.
CLAIM_SECONDS = 60.0
# A provider's copy sent this long before our message was created is still ours (clocks differ).
CLOCK_SKEW = timedelta(minutes=5)

_rng = random.Random()


@dataclass(frozen=True)
class CallRequest:
    """What placing a call needs besides the number: where Twilio gets the TwiML."""

    url: str
    machine_detection: bool = False


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    held: int = 0
    unknown: int = 0
    released: int = 0  # claimed but not started: put back when the round stopped early
    recovered: int = 0  # outcome was unknown, the provider had it: recorded as sent, not sent again
    stopped: str | None = None  # "should_stop", "rate_limited" or "failing" when the round ended early
    ids_sent: list[int] = field(default_factory=list)


def current_backend() -> SmsBackend:
    """The backend named by ``SMS_BACKEND``, built once per configuration."""
    cfg = current_app.config
    names = ("SMS_BACKEND", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_MESSAGING_SERVICE_SID")
    key = tuple(str(cfg.get(n, "")) for n in names) + (
        str(cfg.get("TWILIO_API_BASE_URL", "")),
        str(cfg.get("TWILIO_TIMEOUT", "")),
    )
    cache = current_app.extensions.setdefault("sms_backends", {})
    if key not in cache:
        cache[key] = build_backend(cfg["SMS_BACKEND"], cfg)
    return cache[key]


def current_voice_backend():
    """The call backend named by ``VOICE_BACKEND``, built once per configuration."""
    cfg = current_app.config
    names = ("VOICE_BACKEND", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_VOICE_FROM")
    key = tuple(str(cfg.get(n, "")) for n in names + ("TWILIO_API_BASE_URL", "TWILIO_TIMEOUT"))
    cache = current_app.extensions.setdefault("voice_backends", {})
    if key not in cache:
        cache[key] = build_voice_backend(cfg["VOICE_BACKEND"], cfg)
    return cache[key]


def status_callback_url(message_id: int) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/sms/status?m={message_id}"


def call_urls(message_id: int) -> tuple[str, str]:
    """A call's TwiML URL (Twilio asks it what to say) and its status callback URL."""
    base = current_app.config["PUBLIC_BASE_URL"]
    return f"{base}/sms/voice/twiml?m={message_id}", f"{base}/sms/voice/status?m={message_id}"


def to_older_persons_side(message: SmsMessage) -> bool:
    return message.helper_id is None and (message.elder_id is not None or message.contact_id is not None)


# --------------------------------------------------------------------------
# Claiming
# --------------------------------------------------------------------------


def _due_query(now: datetime, limit: int) -> sa.Select:
    stmt = (
        sa.select(SmsMessage)
        .where(
            SmsMessage.direction == "out",
            SmsMessage.status.in_(DUE_STATUSES + ("sending",)),
            SmsMessage.next_attempt_at <= now,
        )
        .order_by(SmsMessage.next_attempt_at, SmsMessage.id)
        .limit(limit)
        # What is in the table now (a worker may have written a sid), not what the session remembers.
        .execution_options(populate_existing=True)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return stmt


def claim_batch(now: datetime, limit: int, report: DispatchReport | None = None) -> list[int]:
    """Claim up to ``limit`` due messages for sending; commits. Returns their ids."""
    report = report or DispatchReport()
    messages = list(db.session.scalars(_due_query(now, limit)))
    if not messages:
        db.session.rollback()
        return []
    opted_out = optouts.opted_out_numbers(m.to_phone for m in messages)
    claim = timedelta(seconds=min(CLAIM_SECONDS, float(setting("SMS_UNKNOWN_RECHECK_SECONDS"))))
    claimed: list[int] = []
    for message in messages:
        if message.provider_sid is not None:
            # The worker recorded the provider's sid, then the dispatcher stopped before marking it sent.
            message.status, message.next_attempt_at = "sent", None
            message.sent_at = message.sent_at or now
            report.recovered += 1
            continue
        if optouts.is_opted_out(message, opted_out):
            _fail(message, "opted_out", "The recipient asked for no more text messages", now, alert=False)
            report.failed += 1
            continue
        errand = db.session.get(Errand, message.errand_id) if message.errand_id else None
        if errand is not None and kinds.goes_stale(message.kind) and errand.starts_at <= now:
            _fail(message, "stale", "The errand had already begun", now, alert=False)
            report.failed += 1
            continue
        release = _quiet_release(message, errand, now)
        if release is not None:
            message.status = "held"
            message.not_before = release
            message.next_attempt_at = release
            report.held += 1
            continue
        message.status = "sending"
        message.next_attempt_at = now + claim
        claimed.append(message.id)
    db.session.commit()
    return claimed


def _quiet_release(message: SmsMessage, errand: Errand | None, now: datetime) -> datetime | None:
    if message.channel == "voice":
        start, end = setting("VOICE_QUIET_HOURS")
    elif to_older_persons_side(message):
        start, end = int(setting("SMS_QUIET_START_HOUR")), int(setting("SMS_QUIET_END_HOUR"))
    else:
        return None
    release = rules.quiet_until(now, start, end)
    if release is None:
        return None
    if kinds.cancels(message.kind) and rules.cancellation_is_urgent(now, errand.starts_at if errand else None, release):
        return None
    return release


# --------------------------------------------------------------------------
# Recording results
# --------------------------------------------------------------------------


def advance_status(message_id: int, new_status: str, **values) -> bool:
    """Move a message to ``new_status`` only if that is forwards; True when it moved."""
    result = db.session.execute(
        sa.update(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.status.in_(rules.statuses_before(new_status)))
        .values(status=new_status, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def set_provider_sid(message_id: int, sid: str) -> None:
    """Record the provider's id once (a status callback may have recorded it first)."""
    db.session.execute(
        sa.update(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.provider_sid.is_(None))
        .values(provider_sid=sid)
        .execution_options(synchronize_session=False)
    )


def _fail(message: SmsMessage, code: str, text: str, now: datetime, *, alert: bool = True) -> None:
    message.status = "failed"
    message.last_error_code = code[:16]
    message.last_error = text[:300]
    message.next_attempt_at = None
    if alert:
        alert_if_undelivered(message, now)


def alert_if_undelivered(message: SmsMessage, now: datetime | None = None) -> None:
    """An errand text to an older person's side that did not arrive: a coordinator calls instead.
    The alert keeps the contact person it went to, so that it names the number that failed."""
    if not to_older_persons_side(message) or message.errand_id is None or message.kind == "feedback_request":
        return
    if message.channel == "voice":
        # A call nobody answered: the coordinator phones, as for people without SMS.
        raise_alert(
            "call_reminder",
            dedupe_key=f"call_reminder:{message.errand_id}",
            organization_id=message.organization_id,
            errand_id=message.errand_id,
            elder_id=message.elder_id,
            now=now,
        )
        return
    raise_alert(
        "sms_undelivered",
        dedupe_key=f"sms_undelivered:{message.id}",
        organization_id=message.organization_id
        or db.session.scalar(sa.select(Errand.organization_id).where(Errand.id == message.errand_id)),
        errand_id=message.errand_id,
        elder_id=message.elder_id,
        contact_id=message.contact_id,
        now=now,
    )


def record_result(message: SmsMessage, result: SendResult, now: datetime) -> str:
    """Store one send attempt's outcome; returns "sent", "retry", "unknown" or "failed". Commits."""
    message_id = message.id
    if result.ok:
        if result.provider_id:
            set_provider_sid(message_id, result.provider_id)
        advance_status(message_id, "sent", sent_at=now, next_attempt_at=None, last_error_code=None, last_error=None)
        db.session.commit()
        return "sent"
    code = (result.error_code or "error")[:16]
    text = (result.error_message or code)[:300]
    db.session.refresh(message)
    if message.status != "sending":  # a status callback got there first
        db.session.commit()
        return "sent"
    if result.temporary:
        if code in UNKNOWN_OUTCOME_CODES:
            # Keep the claim: a status callback may still tell that it arrived, and before
            # it is sent again (or given up after the last attempt) the provider is asked.
            message.last_error_code, message.last_error = code, text
            message.next_attempt_at = now + timedelta(seconds=float(setting("SMS_UNKNOWN_RECHECK_SECONDS")))
            db.session.commit()
            return "unknown"
        if message.attempts >= int(setting("SMS_MAX_ATTEMPTS")):
            _fail(message, code, f"Gave up after {message.attempts} attempts: {text}", now)
            db.session.commit()
            return "failed"
        message.last_error_code, message.last_error = code, text
        message.status = "queued"
        message.next_attempt_at = now + timedelta(
            seconds=rules.backoff_seconds(
                message.attempts,
                float(setting("SMS_RETRY_BASE_SECONDS")),
                float(setting("SMS_RETRY_MAX_SECONDS")),
                _rng,
            )
        )
        db.session.commit()
        return "retry"
    if code in PROVIDER_OPT_OUT_CODES:
        optouts.record_opt_out(message.to_phone, "provider", now)
    _fail(message, code, text, now)
    db.session.commit()
    return "failed"


def _release(ids: list[int], when: datetime) -> None:
    """Give claimed but unsent messages back to the queue, untouched."""
    if ids:
        db.session.execute(
            sa.update(SmsMessage)
            .where(SmsMessage.id.in_(ids), SmsMessage.status == "sending")
            .values(status="queued", next_attempt_at=when)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def _known_sids(to: str, since: datetime) -> frozenset[str]:
    """Provider sids already recorded on our messages to ``to`` created since ``since``."""
    return frozenset(
        db.session.scalars(
            sa.select(SmsMessage.provider_sid).where(
                SmsMessage.to_phone == to,
                SmsMessage.direction == "out",
                SmsMessage.provider_sid.is_not(None),
                SmsMessage.created_at >= since - timedelta(days=1),
            )
        )
    )


def _went_out(copy: ProviderCopy) -> bool:
    return rules.PROVIDER_STATUS.get(copy.status or "", "sent") in ("sent", "delivered")


def settle_unknown(
    ids: list[int], ask: Callable[..., ProviderCopy | None | LookupFailed], now: datetime, report: DispatchReport
) -> list[int]:
    """Before claimed messages are sent again, ask the provider whether an earlier attempt got through.

    A message that was attempted before (``attempts > 0``) and has no provider
    sid may already be at the provider: the answer was lost, or the
    dispatcher died. ``ask(to, body, since=..., exclude=...)`` (run in worker
    threads by the caller) looks for a copy created after the message was,
    whose sid no other message of ours holds; a copy the provider reports as
    failed does not count. A copy found is recorded (sid,
    ``sent``) and the message is not sent again; otherwise, or when the
    provider cannot say, it is sent, unless it has had ``SMS_MAX_ATTEMPTS``
    already: then it fails (``gave_up``, with an alert for an older person's
    errand). Returns the ids still to send; commits.
    """
    pending = [
        m for m in (db.session.get(SmsMessage, i) for i in ids) if m and m.attempts > 0 and m.provider_sid is None
    ]
    if not pending:
        return ids
    questions = []
    for message in pending:
        since = message.created_at - CLOCK_SKEW
        if message.channel == "voice":  # a call has no copy to look for: a second call is the lesser harm
            questions.append((message, None))
            continue
        questions.append(
            (message, ask(message.to_phone, message.body, since=since, exclude=_known_sids(message.to_phone, since)))
        )
    settled: set[int] = set()
    taken: set[str] = set()
    for message, answer in questions:
        copy = answer.result() if isinstance(answer, Future) else answer
        if isinstance(copy, LookupFailed):
            log.warning("SMS %s: could not ask the provider for a copy (%s); sending again", message.id, copy)
            continue
        if copy is None or copy.sid in taken or not _went_out(copy):
            continue
        taken.add(copy.sid)
        set_provider_sid(message.id, copy.sid)
        if advance_status(message.id, "sent", sent_at=now, next_attempt_at=None, last_error_code=None, last_error=None):
            report.recovered += 1
            log.info(
                "SMS %s to %s: the provider already had it (%s); not sent again",
                message.id,
                mask_number(message.to_phone),
                copy.sid,
            )
        settled.add(message.id)
    max_attempts = int(setting("SMS_MAX_ATTEMPTS"))
    for message in pending:
        if message.id not in settled and message.attempts >= max_attempts:
            db.session.refresh(message)
            if message.status == "sending":
                _fail(message, "gave_up", "No answer from the SMS provider after the last attempt", now)
                report.failed += 1
            settled.add(message.id)
    db.session.commit()
    return [i for i in ids if i not in settled]


# --------------------------------------------------------------------------
# Sending in worker threads
# --------------------------------------------------------------------------


class _PerThreadBackend:
    """Gives each worker thread its own copy of a :class:`TwilioBackend`.

    A ``TwilioBackend`` holds a twilio ``Client`` with one ``TwilioHttpClient``,
    which holds one ``requests.Session``. requests does not promise that a
    Session is safe to use from several threads at once, ``TwilioHttpClient``
    writes the last request and response onto itself on every call, the
    ``Client`` builds its API objects lazily without a lock, and the https
    adapter pools only ``min(32, cpus + 4)`` connections (6 on two cores, fewer
    than ``SMS_SEND_CONCURRENCY``; the rest would be opened and thrown away
    again and again). So rather than share one client, every worker thread
    builds its own on first use (a thread-local: one kept-alive connection per
    worker, nothing shared); they are closed at the end of the round. Other
    backends are called as they are: ``OutboxBackend`` has no state, and a
    backend handed to :func:`dispatch_outbox` must be safe to call from several
    threads.

    With an ``engine``, :meth:`send_and_record` records a successful send
    (the provider's sid, ``sent``) at once, on a connection of the worker's
    own (see the module's notes on crashes); when that write fails it is
    logged and the calling thread records the result instead.
    """

    def __init__(
        self,
        backend: SmsBackend,
        engine: sa.Engine | None = None,
        clock: Callable[[], datetime] | None = None,
        voice: Any = None,
    ) -> None:
        self._backend = backend
        self._voice = voice
        self._engine = engine
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._copies: list[TwilioBackend] = []

    def _own(self, voice: bool = False) -> Any:
        backend = self._voice if voice else self._backend
        if not isinstance(backend, TwilioBackend):
            return backend
        slot = "voice" if voice else "backend"
        own = getattr(self._local, slot, None)
        if own is None:
            own = type(backend)(
                account_sid=backend.account_sid,
                auth_token=backend.client.password,
                from_number=backend.from_number,
                messaging_service_sid=backend.messaging_service_sid,
                api_base_url=backend.api_base_url,
                timeout=backend.timeout,
            )
            setattr(self._local, slot, own)
            with self._lock:
                self._copies.append(own)
        return own

    def send(self, to: str, body: str, status_callback: str, call: CallRequest | None = None) -> SendResult:
        """Runs in a worker thread: no Flask context and no database here. With ``call``,
        an automated call is placed instead (Twilio fetches what to say from its URL)."""
        try:
            if call is not None:
                return self._own(voice=True).call(
                    to, url=call.url, status_callback=status_callback, machine_detection=call.machine_detection
                )
            return self._own().send(to, body, status_callback=status_callback)
        except Exception as exc:  # a backend bug; the request may or may not have gone out
            log.exception("SMS backend raised while sending to %s", mask_number(to))
            return SendResult(ok=False, error_code="send_error", error_message=repr(exc), temporary=True)

    def send_and_record(
        self, to: str, body: str, status_callback: str, message_id: int, call: CallRequest | None = None
    ) -> tuple[SendResult, bool]:
        """Runs in a worker thread: send, and when the provider took it, record that at once
        on the worker's own connection. Returns the result and whether it was recorded."""
        result = self.send(to, body, status_callback, call)
        if not (result.ok and result.provider_id and self._engine is not None):
            return result, False
        return result, self._record_sent(message_id, result.provider_id)

    def _record_sent(self, message_id: int, sid: str) -> bool:
        """The provider's sid (unless a status callback wrote it first) and ``sent`` (only forwards)."""
        when = self._clock() if self._clock else utcnow()
        try:
            with self._engine.begin() as conn:  # type: ignore[union-attr]
                conn.execute(
                    sa.update(SmsMessage)
                    .where(SmsMessage.id == message_id, SmsMessage.provider_sid.is_(None))
                    .values(provider_sid=sid)
                )
                conn.execute(
                    sa.update(SmsMessage)
                    .where(SmsMessage.id == message_id, SmsMessage.status.in_(rules.statuses_before("sent")))
                    .values(
                        status="sent",
                        sent_at=when,
                        next_attempt_at=None,
                        last_error_code=None,
                        last_error=None,
                        updated_at=utcnow(),
                    )
                )
        except Exception:  # e.g. the database is away: the calling thread records the result
            log.warning("Could not record SMS %s as sent at once", message_id, exc_info=True)
            return False
        return True

    def find_copy(
        self, to: str, body: str, *, since: datetime, exclude: frozenset[str]
    ) -> ProviderCopy | None | LookupFailed:
        """Runs in a worker thread: the provider's copy, None, or the LookupFailed (returned, not raised)."""
        try:
            return find_copy(self._own(), to, body, since=since, exclude=exclude)
        except LookupFailed as exc:
            return exc
        except Exception as exc:  # a backend bug: treat as "cannot say"
            log.exception("SMS backend raised while looking for a copy to %s", mask_number(to))
            return LookupFailed(repr(exc))

    def close(self) -> None:
        with self._lock:
            copies, self._copies = self._copies, []
        for copy in copies:
            session = getattr(copy.client.http_client, "session", None)
            if session is not None:
                session.close()


# --------------------------------------------------------------------------
# One round
# --------------------------------------------------------------------------


def dispatch_outbox(
    now: datetime | None = None,
    *,
    backend: SmsBackend | None = None,
    voice_backend: Any = None,
    limit: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DispatchReport:
    """Send what is due. ``now`` is the round's start (times advance with the real clock).

    The database work happens here, in the calling thread (the session is not
    thread-safe); worker threads make the HTTP requests and record a
    successful send on a connection of their own (one short transaction).
    """
    start_wall, start_mono = now or utcnow(), time.monotonic()

    def clock() -> datetime:
        return start_wall + timedelta(seconds=time.monotonic() - start_mono)

    backend = backend or current_backend()
    voice_backend = voice_backend or current_voice_backend()
    machine_detection = bool(setting("VOICE_MACHINE_DETECTION"))
    batch = int(setting("SMS_BATCH_SIZE"))
    limit = limit if limit is not None else batch * 10
    rate = float(setting("SMS_RATE_PER_SECOND"))
    interval = 1.0 / rate if rate > 0 else 0.0
    concurrency = max(1, int(setting("SMS_SEND_CONCURRENCY")))
    lease = timedelta(seconds=float(setting("SMS_UNKNOWN_RECHECK_SECONDS")))
    report = DispatchReport()
    sender = _PerThreadBackend(backend, db.engine, clock, voice=voice_backend)
    in_flight: dict[Future[tuple[SendResult, bool]], tuple[SmsMessage, int, str]] = {}  # message, its id and number
    # Why and from when new sends stop (set by a result or by should_stop).
    stop: list[tuple[str, datetime | None]] = []
    failures_in_a_row = 0

    def record(future: Future[tuple[SendResult, bool]]) -> None:
        nonlocal failures_in_a_row
        message, message_id, to = in_flight.pop(future)
        result, recorded = future.result()  # never raises: _PerThreadBackend.send catches
        outcome = "sent" if recorded else record_result(message, result, clock())
        if outcome == "sent":
            report.sent += 1
            report.ids_sent.append(message_id)
        elif outcome == "failed":
            report.failed += 1
        elif outcome == "unknown":
            report.unknown += 1
        else:
            report.retrying += 1
        if outcome != "sent":
            log.info("SMS %s to %s: %s", message_id, mask_number(to), outcome)
        if result.ok or not result.temporary:
            failures_in_a_row = 0
            return
        failures_in_a_row += 1
        if stop:
            return
        if result.error_code in RATE_LIMITED_CODES:
            reason = "rate_limited"
        elif failures_in_a_row >= STRUGGLING_AFTER:
            reason = "failing"
        else:
            return
        # The provider is struggling: start nothing more, and give the rest back
        # when this message is retried (its backoff), not at once.
        resume = message.next_attempt_at if outcome == "retry" else None
        stop.append((reason, resume))
        log.info("SMS provider busy (%s, %s); this round stops", reason, result.error_code)

    def collect(*, block: bool) -> None:
        """Record the sends that have finished; with ``block``, wait for at least one."""
        if not in_flight:
            return
        if block:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        else:
            done = {f for f in in_flight if f.done()}
        for future in sorted(done, key=lambda f: in_flight[f][1]):
            record(future)

    def stopping() -> bool:
        if not stop and should_stop and should_stop():
            stop.append(("should_stop", None))
        return bool(stop)

    next_start: float | None = None
    handled = 0
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sms-send")

    def ask(to: str, body: str, *, since: datetime, exclude: frozenset[str]) -> Future:
        """Look for the provider's copy in a worker thread (see :func:`settle_unknown`)."""
        return executor.submit(sender.find_copy, to, body, since=since, exclude=exclude)

    try:
        while handled < limit:
            collect(block=False)
            if stopping():
                break
            ids = claim_batch(clock(), min(batch, limit - handled), report)
            if not ids:
                break
            claimed = len(ids)
            ids = settle_unknown(ids, ask, clock(), report)
            for index, message_id in enumerate(ids):
                while len(in_flight) >= concurrency:
                    collect(block=True)
                collect(block=False)
                if stopping():
                    # Put the not-yet-started rest back; nothing of it was sent.
                    resume = stop[0][1]
                    rest = ids[index:]
                    _release(rest, resume if resume is not None else clock())
                    report.released += len(rest)
                    break
                message = db.session.get(SmsMessage, message_id)
                if message is None or message.status != "sending":
                    continue
                to, body, callback = message.to_phone, message.body, status_callback_url(message_id)
                call = None
                if message.channel == "voice":
                    url, callback = call_urls(message_id)
                    call = CallRequest(url, machine_detection)
                # Count the attempt before the request goes out: a crash mid-send must not lose it.
                # From now on its outcome may be unknown: it waits for a status callback that long.
                message.attempts += 1
                message.next_attempt_at = clock() + lease
                db.session.commit()
                # Pace by actual starts, two never closer than 1/rate. The database work
                # above is done while waiting, so that it does not slow the rate down.
                if next_start is not None:
                    pause = next_start - time.monotonic()
                    if pause > 0:
                        sleep(pause)
                next_start = time.monotonic() + interval
                in_flight[executor.submit(sender.send_and_record, to, body, callback, message_id, call)] = (
                    message,
                    message_id,
                    to,
                )
                handled += 1
            if stop or claimed < batch:
                break
        while in_flight:
            collect(block=True)
    finally:
        executor.shutdown(wait=True)
        sender.close()
    if stop:
        report.stopped = stop[0][0]
    return report
