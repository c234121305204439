"""Automated phone calls (Twilio Programmable Voice) through the SMS outbox.

A call is an outbox row with ``channel="voice"`` whose ``body`` is its
:class:`~app.sms.voice_texts.Script`. Everything the SMS path does once
applies to it from the same functions: the dedupe key (:func:`queue_call` is
:func:`~app.sms.outbox.queue_sms`), the dispatcher's claiming, opt-outs,
staleness, retries with backoff for temporary failures, and quiet hours
(``VOICE_QUIET_HOURS``). The dispatcher places the call with the voice
backend (``VOICE_BACKEND``); Twilio then asks ``/sms/voice/twiml`` what to
say (:func:`call_twiml`), posts the key pressed to ``/sms/voice/gather``
(:mod:`app.sms.voice_answers`) and reports the call's progress to
``/sms/voice/status`` (:func:`apply_call_status`).

A call that rings out (``no-answer``, ``busy``, or a machine when
``VOICE_MACHINE_DETECTION`` is on) is tried again after
``VOICE_RETRY_MINUTES`` (doubling, with jitter); after ``VOICE_MAX_TRIES``
calls it is ``undelivered`` and, for an errand, the coordinator gets the
"call to remind" alert (:func:`app.sms.dispatcher.alert_if_undelivered`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from twilio.twiml.voice_response import VoiceResponse

from app.extensions import db
from app.models import SmsMessage, utcnow
from app.sms import rules
from app.sms.dispatcher import advance_status, alert_if_undelivered, set_provider_sid
from app.sms.outbox import queue_sms
from app.sms.settings import setting
from app.sms.voice_texts import SAY_LANGUAGE, Script, answer, sentences, voice_language

log = logging.getLogger(__name__)

#: Twilio's CallStatus values that mean the call is still going.
CALL_GOING = frozenset({"queued", "initiated", "ringing", "in-progress", "answered"})
#: The call rang out: worth another try.
CALL_NOT_REACHED = frozenset({"no-answer", "busy"})
CALL_FAILED = frozenset({"failed", "canceled"})
#: How long Twilio waits for a key after the question (seconds).
GATHER_TIMEOUT = 8
#: Slower than the voice's normal pace (SSML prosody; Amazon Polly and Google voices).
SLOW_RATE = "85%"


def queue_call(
    to: str,
    script: Script,
    *,
    kind: str,
    language: str,
    dedupe_key: str | None = None,
    errand_id: int | None = None,
    elder_id: int | None = None,
    contact_id: int | None = None,
    organization_id: int | None = None,
    sent_by_id: int | None = None,
) -> SmsMessage | None:
    """Queue one automated call in the current transaction (None when ``dedupe_key`` exists).

    The hook for every area: e.g. an activity invitation is ``queue_call(elder.phone,
    voice_texts.activity_script("activity_invitation", ...), kind="activity_invitation", ...)``."""
    return queue_sms(
        to,
        script.body,
        kind=kind,
        language=voice_language(language),
        dedupe_key=dedupe_key,
        errand_id=errand_id,
        elder_id=elder_id,
        contact_id=contact_id,
        organization_id=organization_id,
        sent_by_id=sent_by_id,
        channel="voice",
    )


def find_call(message_id: int | None) -> SmsMessage | None:
    if message_id is None:
        return None
    message = db.session.get(SmsMessage, message_id)
    if message is None or message.channel != "voice" or message.direction != "out":
        return None
    return message


# --------------------------------------------------------------------------
# TwiML: what the call says
# --------------------------------------------------------------------------


def _say(parent, text: str, language: str) -> None:
    voice = setting(f"VOICE_NAME_{language.upper()}")
    say = parent.say(language=SAY_LANGUAGE[language], voice=voice)
    if voice.startswith(("Polly.", "Google.")):
        say.prosody(text, rate=SLOW_RATE)
    else:
        say.value = text


def _speak(parent, text: str, language: str) -> None:
    """Short sentences, each said on its own with a pause after it."""
    for sentence in sentences(text):
        _say(parent, sentence, language)
        parent.pause(length=1)


def call_twiml(message: SmsMessage, gather_url: str, *, machine: bool = False) -> str:
    """What Twilio says when the call is answered: the text, a pause, the text again,
    and the keypad question in a ``<Gather>`` posting the key to ``gather_url``.
    To an answering machine (``machine``) the text is said once, without a question."""
    language = voice_language(message.language)
    script = Script.from_body(message.body)
    response = VoiceResponse()
    if machine:
        _speak(response, script.text, language)
        response.hangup()
        return str(response)
    gather = response.gather(
        num_digits=1, action=gather_url, method="POST", timeout=GATHER_TIMEOUT, finish_on_key="", input="dtmf"
    )
    _speak(gather, script.text, language)
    gather.pause(length=1)
    _say(gather, answer("repeat", language), language)
    _speak(gather, script.text, language)
    if script.question:
        _speak(gather, script.question, language)
    _say(response, answer("no_answer", language), language)
    response.hangup()
    return str(response)


def question_twiml(message: SmsMessage, gather_url: str, spoken_first: str) -> str:
    """After a key that does nothing here: say so and ask the question once more."""
    language = voice_language(message.language)
    script = Script.from_body(message.body)
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, action=gather_url, method="POST", timeout=GATHER_TIMEOUT, finish_on_key="", input="dtmf"
    )
    _speak(gather, spoken_first, language)
    _speak(gather, script.question or script.text, language)
    _say(response, answer("no_answer", language), language)
    response.hangup()
    return str(response)


def goodbye_twiml(text: str, language: str) -> str:
    response = VoiceResponse()
    if text:
        _speak(response, text, voice_language(language))
    response.hangup()
    return str(response)


# --------------------------------------------------------------------------
# Status callbacks: what happened to the call
# --------------------------------------------------------------------------


def is_machine(answered_by: str | None) -> bool:
    return bool(answered_by) and answered_by.startswith(("machine", "fax"))


def note_answered(message: SmsMessage, params: Mapping[str, str]) -> None:
    """Twilio fetched the TwiML: the call was answered (by a person, or a machine when detection is on)."""
    answered_by = (params.get("AnsweredBy") or "").strip()[:24] or None
    message.call_status = "in-progress"
    if answered_by:
        message.answered_by = answered_by


def apply_call_status(
    params: Mapping[str, str], message_id: int | None, now: datetime | None = None
) -> SmsMessage | None:
    """Record a call's status callback; returns the call, or None when it is not ours. Flushes.

    ``completed`` by a person is ``delivered``; one that rang out is tried again
    or, after the last try, ``undelivered`` with the coordinator's alert;
    ``failed`` and ``canceled`` are ``failed`` (with the alert). A repeated
    callback changes nothing: only the call's current sid counts."""
    now = now or utcnow()
    sid = (params.get("CallSid") or "").strip()[:64]
    raw = (params.get("CallStatus") or "").strip().lower()[:16]
    message = None
    if sid:
        message = db.session.scalar(
            sa.select(SmsMessage).where(SmsMessage.provider_sid == sid, SmsMessage.channel == "voice")
        )
    if message is None:
        candidate = find_call(message_id)
        # The send timed out (no sid recorded yet) but Twilio placed the call.
        if candidate is not None and candidate.provider_sid is None and candidate.status == "sending" and sid:
            set_provider_sid(candidate.id, sid)
            message = candidate
    if message is None:
        return None
    answered_by = (params.get("AnsweredBy") or "").strip()[:24] or None
    if answered_by:
        message.answered_by = answered_by
    if raw:
        message.call_status = raw
    if raw in CALL_GOING:
        advance_status(message.id, "sent", sent_at=message.sent_at or now, next_attempt_at=None)
    elif raw == "completed" and not is_machine(message.answered_by):
        advance_status(message.id, "delivered", next_attempt_at=None)
    elif raw in CALL_NOT_REACHED or raw == "completed":
        _not_reached(message, raw if raw != "completed" else "machine", now)
    elif raw in CALL_FAILED:
        code = (params.get("ErrorCode") or "").strip()[:16] or raw
        if advance_status(message.id, "failed", last_error_code=code, last_error=f"Call {raw}", next_attempt_at=None):
            db.session.flush()
            db.session.refresh(message)
            alert_if_undelivered(message, now)
    db.session.flush()
    db.session.refresh(message)
    return message


def _not_reached(message: SmsMessage, why: str, now: datetime) -> None:
    """The call rang out: try again later, or give up after ``VOICE_MAX_TRIES`` calls."""
    if message.status not in ("sending", "sent"):
        return  # already handled (a repeated callback)
    message.tries += 1
    message.last_error_code, message.last_error = why[:16], f"Not reached ({why}), call {message.tries}"
    if message.tries < int(setting("VOICE_MAX_TRIES")):
        base = float(setting("VOICE_RETRY_MINUTES")) * 60
        message.status = "queued"
        message.provider_sid = None  # the next call gets its own sid
        message.call_status = why
        message.next_attempt_at = now + timedelta(seconds=rules.backoff_seconds(message.tries, base, base * 8))
        return
    message.status = "undelivered"
    message.next_attempt_at = None
    db.session.flush()
    alert_if_undelivered(message, now)
