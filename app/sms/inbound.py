"""Incoming SMS: what the sender asked for, done with the same services the web uses.

:func:`receive` stores the message (``direction="in"``, ``status="received"``,
``provider_sid`` = Twilio's MessageSid, unique) and returns the answer to send
back. The order of reading:

1. a guardian's answer to a consent request (the helpers area decides);
2. STOP / LOPETA / SLUTA and START / ALOITA, HELP / APUA / HJÄLP;
3. a helper accepting, declining or marking done an errand by its short code
   (``KYLLÄ 123``, ``EI 123``, ``VALMIS 123``): :func:`accept_errand` and
   friends with ``via="sms"``, exactly what the web board calls;
4. an older person or their contact person cancelling (``PERU 123``);
5. a digit 1-5 answering the latest feedback request to that number;
6. anything else goes to the coordinators' inbox (``handled=False``) with a
   polite automatic answer.

The answer is stored as an outgoing message (kind ``auto_reply``, key
``reply:<MessageSid>``) so a repeated delivery of the same MessageSid gets
the same answer and changes nothing. Flushes; the route commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from app.alerts import raise_alert
from app.extensions import db
from app.models import (
    Assignment,
    Encounter,
    EncounterParticipant,
    Errand,
    GuardianConsent,
    HelperProfile,
    Offer,
    SmsMessage,
    SmsOptOut,
    utcnow,
)
from app.sms import keywords
from app.sms.dispatcher import record_opt_out
from app.sms.people import Sender, identify, normal_phone, set_opt_out_flags
from app.sms.texts import refusal_reply, reply_text, sms_language
from app.sms.webhook_input import webhook_fields
from app.vocabulary import LIVE_ERRAND_STATES

log = logging.getLogger(__name__)

FEEDBACK_REPLY_DAYS = 14
CANCEL_WITHOUT_CODE_DAYS = 14


@dataclass
class Outcome:
    """What handling a message did: the answer, how to file the message, whether to keep changes."""

    reply: str | None
    kind: str
    handled: bool = True
    keep_changes: bool = True
    errand_id: int | None = None
    extra: dict = field(default_factory=dict)


def find_inbound(message_sid: str) -> SmsMessage | None:
    return db.session.scalar(
        sa.select(SmsMessage).where(SmsMessage.provider_sid == message_sid, SmsMessage.direction == "in")
    )


def stored_reply(message_sid: str) -> str | None:
    reply = db.session.scalar(sa.select(SmsMessage).where(SmsMessage.dedupe_key == f"reply:{message_sid}"))
    return reply.body if reply is not None else None


def receive(params: Mapping[str, str], now: datetime | None = None) -> str | None:
    """Handle one incoming SMS (Twilio's form fields); returns the answer text or None.

    Whatever the fields hold, the message is stored (cleaned and cut to its columns by
    :func:`~app.sms.webhook_input.webhook_fields`) and answered."""
    now = now or utcnow()
    params = webhook_fields(params)
    sid = (params.get("MessageSid") or params.get("SmsMessageSid") or params.get("SmsSid") or "").strip()
    if sid and find_inbound(sid) is not None:
        return stored_reply(sid)
    phone = normal_phone(params.get("From"))
    body = params.get("Body") or ""
    command = keywords.parse(body)
    sender = identify(phone)
    try:
        outcome = handle(sender, command, body, now)
    except Exception:
        log.exception("Handling an incoming SMS failed; it goes to the inbox")
        db.session.rollback()
        outcome = Outcome(None, "other", handled=False, keep_changes=False)
    if not outcome.keep_changes:
        db.session.rollback()
        sender = identify(phone)
    language = sms_language(sender.language or command.language)
    if outcome.reply is None and not outcome.handled:
        outcome.reply = reply_text("received", language)
    helper = sender.helper
    contact = sender.contacts[0] if sender.contacts and not sender.elders else None
    elder_id = sender.elders[0].id if sender.elders else (contact.elder_id if contact else None)
    inbound = SmsMessage(
        direction="in",
        kind=outcome.kind,
        to_phone=params.get("To") or "",
        from_phone=phone,
        body=body,
        language=language,
        status="received",
        provider_sid=sid or None,
        errand_id=outcome.errand_id,
        helper_id=helper.id if helper else None,
        elder_id=elder_id,
        contact_id=contact.id if contact else None,
        organization_id=_organization_of(outcome.errand_id) or sender.organization_id or _guardians_org(phone, outcome),
        handled=outcome.handled,
        created_at=now,
        sent_at=now,
    )
    db.session.add(inbound)
    if outcome.reply:
        db.session.add(
            SmsMessage(
                direction="out",
                kind="auto_reply",
                to_phone=phone,
                body=outcome.reply,
                language=language,
                dedupe_key=f"reply:{sid}" if sid else None,
                status="sent",
                errand_id=outcome.errand_id,
                helper_id=inbound.helper_id,
                elder_id=inbound.elder_id,
                contact_id=inbound.contact_id,
                organization_id=inbound.organization_id,
                handled=True,
                created_at=now,
                sent_at=now,
            )
        )
    db.session.flush()
    return outcome.reply


def _guardians_org(phone: str, outcome: Outcome) -> int | None:
    """A guardian is nobody on file themselves: file their answer under the child's organization."""
    if outcome.kind != "consent":
        return None
    return db.session.scalar(
        sa.select(HelperProfile.organization_id)
        .join(GuardianConsent, GuardianConsent.helper_id == HelperProfile.id)
        .where(GuardianConsent.guardian_phone == phone)
        .order_by(GuardianConsent.requested_at.desc())
        .limit(1)
    )


def _organization_of(errand_id: int | None) -> int | None:
    if errand_id is None:
        return None
    return db.session.scalar(sa.select(Errand.organization_id).where(Errand.id == errand_id))


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


def handle(sender: Sender, command: keywords.Command, body: str, now: datetime) -> Outcome:
    guardian_answer = _guardian(sender.phone, body)
    if guardian_answer is not None:
        return Outcome(guardian_answer, "consent")
    lang = sms_language(sender.language or command.language)
    if command.name == "stop":
        return _stop(sender, lang, now)
    if command.name == "start":
        return _start(sender, lang)
    if command.name == "help":
        return Outcome(reply_text("help", lang), "help")
    if command.name in ("accept", "decline", "done") and sender.helper is not None:
        return _helper_command(sender, command, lang, now)
    if command.name == "cancel" and sender.elder_ids:
        return _cancel(sender, command, lang, now)
    if command.name == "feedback":
        outcome = _feedback(sender, command, lang, now)
        if outcome is not None:
            return outcome
    return Outcome(None, "other", handled=False)


def _guardian(phone: str, body: str) -> str | None:
    try:
        from app.helpers.consent import handle_guardian_sms
    except ImportError:  # the helpers area is not installed
        return None
    return handle_guardian_sms(phone, body)


def _stop(sender: Sender, lang: str, now: datetime) -> Outcome:
    record_opt_out(sender.phone, "stop", now)
    waiting = db.session.scalars(
        sa.select(SmsMessage).where(
            SmsMessage.direction == "out",
            SmsMessage.to_phone == sender.phone,
            SmsMessage.status.in_(("queued", "held")),
        )
    )
    for message in waiting:
        message.status = "failed"
        message.last_error_code = "opted_out"
        message.last_error = "The recipient asked for no more text messages"
        message.next_attempt_at = None
    for elder_id in sorted(sender.elder_ids):
        elder = next((e for e in sender.elders if e.id == elder_id), None) or next(
            c.elder for c in sender.contacts if c.elder_id == elder_id
        )
        raise_alert(
            "sms_opt_out",
            dedupe_key=f"sms_opt_out:{sender.phone}:{elder_id}:{now:%Y%m%d%H%M%S}",
            organization_id=elder.organization_id,
            elder_id=elder_id,
            now=now,
        )
    return Outcome(reply_text("stopped", lang), "stop")


def _start(sender: Sender, lang: str) -> Outcome:
    db.session.execute(sa.delete(SmsOptOut).where(SmsOptOut.phone == sender.phone))
    set_opt_out_flags(sender.phone, False)
    return Outcome(reply_text("started", lang), "start")


def _active_errand(code: str) -> Errand | None:
    return db.session.scalar(
        sa.select(Errand)
        .where(Errand.short_code == code, Errand.state.in_(LIVE_ERRAND_STATES))
        .order_by(Errand.starts_at.desc())
        .limit(1)
    )


def _helper_command(sender: Sender, command: keywords.Command, lang: str, now: datetime) -> Outcome:
    from app.errands.lifecycle import ErrandError, accept_errand, decline_offer

    helper = sender.helper
    assert helper is not None
    code = command.code
    if code is None:
        if command.name == "done":
            return Outcome(reply_text("need_code", lang), command.name, handled=False, keep_changes=False)
        pending = list(
            db.session.scalars(
                sa.select(Errand)
                .join(Offer, Offer.errand_id == Errand.id)
                .where(Offer.helper_id == helper.id, Offer.status == "pending", Errand.state.in_(LIVE_ERRAND_STATES))
                .where(Errand.starts_at > now)
            )
        )
        if not pending:
            return Outcome(reply_text("no_offer", lang), command.name)
        if len(pending) > 1:
            what = "need_code" if command.name == "accept" else "need_code_no"
            return Outcome(reply_text(what, lang, code=pending[0].short_code), command.name)
        errand = pending[0]
    else:
        errand = _active_errand(code)
        if errand is None:
            return Outcome(reply_text("unknown_code", lang, code=code), command.name, handled=False)
    if command.name == "done":
        return _done(helper.id, errand, lang)
    try:
        if command.name == "accept":
            accept_errand(errand.id, helper.id, via="sms")
            return Outcome(reply_text("accepted", lang), "accept", errand_id=errand.id)
        decline_offer(errand.id, helper.id, via="sms")
        return Outcome(reply_text("declined", lang), "decline", errand_id=errand.id)
    except ErrandError as err:
        known = {"already_taken", "already_assigned", "too_late", "offer_closed"}
        if err.code == "not_eligible":
            reply = refusal_reply(err.details.get("codes", ()), lang)
        else:
            reply = reply_text(err.code if err.code in known else "error", lang)
        # As on the web board: what accepting closed (this helper's offer when the errand was
        # taken or closed) is kept; a failed decline changes nothing.
        return Outcome(reply, command.name, errand_id=errand.id, keep_changes=command.name == "accept")


def _done(helper_id: int, errand: Errand, lang: str) -> Outcome:
    from app.errands.lifecycle import ErrandError, mark_done

    assignment = db.session.scalar(
        sa.select(Assignment).where(
            Assignment.errand_id == errand.id, Assignment.helper_id == helper_id, Assignment.status == "active"
        )
    )
    if assignment is None:
        return Outcome(reply_text("done_failed", lang), "done", errand_id=errand.id, handled=False, keep_changes=False)
    with force_locale(lang):
        report = _("Marked done by text message.")
    try:
        mark_done(assignment.id, helper_id=helper_id, report_text=report, minutes=errand.duration_minutes, via="sms")
    except ErrandError:
        return Outcome(reply_text("done_failed", lang), "done", errand_id=errand.id, handled=False, keep_changes=False)
    return Outcome(reply_text("done", lang), "done", errand_id=errand.id)


def _cancel(sender: Sender, command: keywords.Command, lang: str, now: datetime) -> Outcome:
    from app.errands.lifecycle import ErrandError, cancel_errand

    elder_ids = sender.elder_ids
    if command.code is not None:
        errand = _active_errand(command.code)
        if errand is None or errand.elder_id not in elder_ids:
            return Outcome(reply_text("unknown_code", lang, code=command.code), "cancel", handled=False)
    else:
        upcoming = list(
            db.session.scalars(
                sa.select(Errand).where(
                    Errand.elder_id.in_(elder_ids),
                    Errand.state.in_(LIVE_ERRAND_STATES),
                    Errand.starts_at > now,
                    Errand.starts_at < now + timedelta(days=CANCEL_WITHOUT_CODE_DAYS),
                )
            )
        )
        if len(upcoming) != 1:
            return Outcome(reply_text("need_cancel_code", lang), "cancel", handled=False)
        errand = upcoming[0]
    own = any(e.id == errand.elder_id for e in sender.elders)
    try:
        cancel_errand(
            errand.id, by_user=None, by_kind="elder" if own else "relative", reason="Peruttu tekstiviestillä (SMS)"
        )
    except ErrandError:
        return Outcome(
            reply_text("cancel_failed", lang), "cancel", errand_id=errand.id, handled=False, keep_changes=False
        )
    raise_alert(
        "sms_cancellation",
        dedupe_key=f"sms_cancellation:{errand.id}",
        organization_id=errand.organization_id,
        errand_id=errand.id,
        elder_id=errand.elder_id,
        now=now,
    )
    return Outcome(reply_text("cancelled", lang, code=errand.short_code), "cancel", errand_id=errand.id)


def _feedback(sender: Sender, command: keywords.Command, lang: str, now: datetime) -> Outcome | None:
    request = db.session.scalar(
        sa.select(SmsMessage)
        .where(
            SmsMessage.direction == "out",
            SmsMessage.kind == "feedback_request",
            SmsMessage.to_phone == sender.phone,
            SmsMessage.created_at >= now - timedelta(days=FEEDBACK_REPLY_DAYS),
            SmsMessage.errand_id.is_not(None),
        )
        .order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
        .limit(1)
    )
    if request is None:
        return None
    encounter = db.session.scalar(sa.select(Encounter).where(Encounter.errand_id == request.errand_id))
    if encounter is None:
        return None
    if request.helper_id is not None:
        who = {"helper_id": request.helper_id}
    elif request.elder_id is not None:
        who = {"elder_id": request.elder_id}
    else:
        return None
    participant = db.session.scalar(sa.select(EncounterParticipant).filter_by(encounter_id=encounter.id, **who))
    if participant is None:
        participant = EncounterParticipant(encounter_id=encounter.id, **who)
        db.session.add(participant)
    participant.feedback_score = command.score
    participant.feedback_via = "sms"
    if command.comment:
        participant.feedback_comment = command.comment[:2000]
    # A comment is for a person to read; a bare number is filed.
    return Outcome(reply_text("feedback", lang), "feedback", errand_id=request.errand_id, handled=not command.comment)
