"""A key pressed in an automated call (``POST /sms/voice/gather``), handled by the
same service functions as the SMS keywords.

After a reminder or a confirmation (``KEYPAD`` "answer"):

* **1** records the confirmation on the call (its ``digits``);
* **2** cancels the errand exactly as the older person's ``PERU <code>`` does:
  the registered ``cancel`` command handler (:mod:`app.errands.sms_commands`)
  with ``channel="voice"``, so the helper is told by SMS; when it cannot be
  cancelled the coordinator is asked to call back;
* **3** raises the coordinator alert "call back" (:mod:`app.alerts`).

After an activity invitation (``KEYPAD`` "invitation"), **1** and **2** are the SMS
yes and no to the same number's open invitation (the registered ``accept`` and
``decline`` handlers: :mod:`app.activities.sms_commands` records the sign-up with
``via="voice"``); **3** as above.

After a feedback question, **1-5** is the score, recorded by the registered
``feedback`` handler (:mod:`app.encounters.sms_feedback`) as the SMS digit is.
After other calls only **3** does something. This module knows the handlers
only as registered (:func:`app.sms.inbound.register`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.alerts import raise_alert
from app.extensions import db
from app.models import Errand, SmsMessage, utcnow
from app.sms.inbound import run_command
from app.sms.keywords import Command
from app.sms.people import identify
from app.sms.voice_texts import KEYPAD, answer, voice_language

#: The keys each keypad question offers.
KEYS = {
    "answer": frozenset("123"),
    "invitation": frozenset("123"),
    "feedback": frozenset("12345"),
    "coordinator": frozenset("3"),
}

#: The incoming kinds (app.sms.kinds) of an answer to an activity invitation.
INVITATION_ANSWERS = frozenset({"activity_yes", "activity_no"})


@dataclass(frozen=True)
class KeyOutcome:
    """What the call says back, and whether it asks the question again."""

    spoken: str
    ask_again: bool = False


def handle_key(message: SmsMessage, digits: str, now: datetime | None = None) -> KeyOutcome:
    """Act on the key pressed in the call ``message``; records it on the call. Flushes."""
    now = now or utcnow()
    language = voice_language(message.language)
    key = (digits or "").strip()[:1]
    keypad = KEYPAD.get(message.kind, "coordinator")
    if key not in KEYS[keypad]:
        return KeyOutcome(answer("again", language), ask_again=True)
    message.digits = ((message.digits or "") + key)[-16:]
    if keypad == "feedback":
        outcome = _command(message, Command("feedback", score=int(key), channel="voice"), language, now)
        return KeyOutcome(answer("feedback", language) if outcome is not None else answer("call_back", language))
    if keypad == "invitation" and key in "12":
        return _invitation_answer(message, key, language, now)
    if key == "1":
        return KeyOutcome(answer("confirmed", language))
    if key == "2":
        errand = db.session.get(Errand, message.errand_id) if message.errand_id else None
        if errand is not None:
            command = Command("cancel", code=errand.short_code, language=language, channel="voice")
            outcome = _command(message, command, language, now)
            if outcome is not None and outcome.handled and outcome.errand_id == errand.id:
                db.session.flush()
                return KeyOutcome(answer("cancelled", language))
        _call_back(message, now)
        return KeyOutcome(answer("not_cancelled", language))
    _call_back(message, now)
    return KeyOutcome(answer("call_back", language))


def _invitation_answer(message: SmsMessage, key: str, language: str, now: datetime) -> KeyOutcome:
    """1 or 2 after an activity invitation: the SMS yes or no to the same number's open
    invitation, through the same handlers (the activities area records it as a sign-up)."""
    command = Command("accept" if key == "1" else "decline", language=language, channel="voice")
    outcome = _command(message, command, language, now)
    if outcome is None or not outcome.handled or outcome.kind not in INVITATION_ANSWERS:
        _call_back(message, now)
        return KeyOutcome(answer("not_signed_up", language))
    if command.name == "decline":
        return KeyOutcome(answer("declined", language))
    return KeyOutcome(answer("waiting" if outcome.extra.get("status") == "waiting" else "signed_up", language))


def _command(message: SmsMessage, command: Command, language: str, now: datetime):
    """Run the registered SMS command handlers for the call's number; the Outcome or None."""
    sender = identify(message.to_phone)
    if not sender.known:
        return None
    savepoint = db.session.begin_nested()
    try:
        outcome = run_command(sender, command, language, now)
    except Exception:
        savepoint.rollback()
        raise
    if outcome is not None and not outcome.keep_changes:
        savepoint.rollback()
    else:
        savepoint.commit()
    return outcome


def _call_back(message: SmsMessage, now: datetime) -> None:
    raise_alert(
        "call_back",
        dedupe_key=f"call_back:{message.id}",
        organization_id=message.organization_id,
        errand_id=message.errand_id,
        elder_id=message.elder_id,
        contact_id=message.contact_id,
        now=now,
    )
