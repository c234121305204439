"""Incoming SMS: read what the sender asked for and hand it to the area that does it.

:func:`receive` stores the message (``direction="in"``, ``status="received"``,
``provider_sid`` = Twilio's MessageSid, unique) and returns the answer to send
back. The order of reading:

1. a guardian's answer to a consent request (the helpers area decides);
2. STOP / LOPETA / SLUTA and START / ALOITA, HELP / APUA / HJÄLP (this area,
   :mod:`app.sms.optouts`);
3. a command with a handler (:func:`register`, called by ``create_app``): a
   helper accepting, declining or marking done an errand by its short code
   (``KYLLÄ 123``, ``EI 123``, ``VALMIS 123``) and an older person or their
   contact person cancelling (``PERU 123``): :mod:`app.errands.sms_commands`;
   a digit 1-5 answering the latest feedback request to that number:
   :mod:`app.encounters.sms_feedback`; a bare yes or no answering an activity
   invitation: :mod:`app.activities.sms_commands`. A command may have several
   handlers, asked in order; a handler that returns None passes;
4. anything else goes to the coordinators' inbox (``handled=False``) with a
   polite automatic answer.

This module imports no area above it: it knows the handlers only as registered.

The answer is stored as an outgoing message (kind ``auto_reply``, key
``reply:<MessageSid>``) so a repeated delivery of the same MessageSid gets
the same answer and changes nothing. Flushes; the route commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from flask import Flask, current_app

from app.alerts import raise_alert
from app.extensions import db
from app.models import Errand, GuardianConsent, HelperProfile, SmsMessage, utcnow
from app.sms import keywords, optouts
from app.sms.people import Sender, identify, normal_phone
from app.sms.texts import sms_language, sms_reply
from app.sms.webhook_input import webhook_fields

log = logging.getLogger(__name__)

EXTENSION = "sms_inbound"
#: The commands other areas handle (the rest, stop, start and help, are this area's own).
COMMANDS_FOR_HANDLERS = frozenset({"accept", "accept_all", "decline", "done", "cancel", "feedback"})


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
        outcome.reply = sms_reply("received", language)
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


class CommandHandler(Protocol):
    """Does what an SMS command asks, or returns None when it is not for this handler."""

    def __call__(self, sender: Sender, command: keywords.Command, lang: str, now: datetime) -> Outcome | None: ...


@dataclass(frozen=True)
class Handlers:
    """Who handles what: registered by ``create_app`` (see :func:`register`)."""

    guardian: Callable[[str, str], str | None]
    commands: Mapping[str, tuple[CommandHandler, ...]]


def register(
    app: Flask,
    *,
    guardian: Callable[[str, str], str | None],
    commands: Mapping[str, CommandHandler | tuple[CommandHandler, ...]],
) -> None:
    """Wire the areas that act on incoming SMS: ``guardian(phone, body)`` answers a guardian's
    consent reply (or returns None), ``commands`` maps a command name (accept, decline, done,
    cancel, feedback) to its handler, or to several asked in order until one answers.
    This area only reads and routes."""
    unknown = set(commands) - COMMANDS_FOR_HANDLERS
    if unknown:
        raise ValueError(f"no such SMS commands: {sorted(unknown)}")
    handlers = {name: h if isinstance(h, tuple) else (h,) for name, h in commands.items()}
    app.extensions[EXTENSION] = Handlers(guardian=guardian, commands=handlers)


def handle(sender: Sender, command: keywords.Command, body: str, now: datetime) -> Outcome:
    handlers: Handlers = current_app.extensions[EXTENSION]
    guardian_answer = handlers.guardian(sender.phone, body)
    if guardian_answer is not None:
        return Outcome(guardian_answer, "consent")
    lang = sms_language(sender.language or command.language)
    if command.name == "stop":
        return _stop(sender, lang, now)
    if command.name == "start":
        return _start(sender, lang)
    if command.name == "help":
        return Outcome(sms_reply("help", lang), "help")
    outcome = run_command(sender, command, lang, now)
    return outcome if outcome is not None else Outcome(None, "other", handled=False)


def run_command(sender: Sender, command: keywords.Command, lang: str, now: datetime) -> Outcome | None:
    """Ask the handlers registered for ``command`` in order; the first one's answer, or None
    when none takes it. The one way a command is acted on, for an SMS and a key pressed in a call."""
    handlers: Handlers = current_app.extensions[EXTENSION]
    for handler in handlers.commands.get(command.name, ()):
        outcome = handler(sender, command, lang, now)
        if outcome is not None:
            return outcome
    return None


def _stop(sender: Sender, lang: str, now: datetime) -> Outcome:
    optouts.stop(sender.phone, "stop", now)
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
    return Outcome(sms_reply("stopped", lang), "stop")


def _start(sender: Sender, lang: str) -> Outcome:
    optouts.start(sender.phone)
    return Outcome(sms_reply("started", lang), "start")
