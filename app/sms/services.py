"""Coordinator-side reads and actions: the SMS log, the inbox, sending by hand.

A coordinator sees the messages of their organizations, plus incoming
messages (and our automatic answers) from numbers that belong to nobody on
file, so that nothing anyone writes to us goes unread. Admins see everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app import policy
from app.audit import record
from app.extensions import db
from app.inputs import to_int
from app.models import ContactPerson, Elder, HelperProfile, Organization, SmsMessage, User, utcnow
from app.phones import PhoneError, parse_phone
from app.sms import optouts, rules
from app.sms.outbox import queue_sms
from app.sms.people import helper_language, identify
from app.sms.settings import setting
from app.sms.voice import queue_call
from app.sms.voice_texts import script

DIRECTIONS = ("in", "out")
MAX_MANUAL_LENGTH = 480  # four SMS parts of GSM-7 text (153 characters each)


class SendError(Exception):
    """A hand-written message cannot be sent; ``code`` says why (and which field)."""

    def __init__(self, code: str, field: str = "recipient"):
        super().__init__(code)
        self.code = code
        self.field = field


def visible(user: User):
    """SQL condition: the messages ``user`` may see."""
    if user.role == "admin":
        return sa.true()
    unknown_sender = sa.and_(
        SmsMessage.organization_id.is_(None), SmsMessage.kind.in_(("other", "auto_reply", "help", "stop", "start"))
    )
    return sa.or_(policy.scope_condition(user, SmsMessage.organization_id), unknown_sender)


@dataclass(frozen=True)
class LogFilter:
    direction: str | None = None
    status: str | None = None
    kind: str | None = None
    phone: str | None = None


def log_query(user: User, flt: LogFilter) -> sa.Select:
    stmt = sa.select(SmsMessage).where(visible(user))
    if flt.direction in DIRECTIONS:
        stmt = stmt.where(SmsMessage.direction == flt.direction)
    if flt.status:
        stmt = stmt.where(SmsMessage.status == flt.status)
    if flt.kind:
        stmt = stmt.where(SmsMessage.kind == flt.kind)
    if flt.phone:
        digits = "".join(ch for ch in flt.phone if ch.isdigit()).lstrip("0")
        if digits:
            like = f"%{digits}%"
            stmt = stmt.where(sa.or_(SmsMessage.to_phone.like(like), SmsMessage.from_phone.like(like)))
    return stmt.order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())


def kinds_in_use(user: User) -> list[str]:
    return list(
        db.session.scalars(sa.select(SmsMessage.kind).where(visible(user)).distinct().order_by(SmsMessage.kind))
    )


def inbox_query(user: User, *, handled: bool = False) -> sa.Select:
    return (
        sa.select(SmsMessage)
        .where(visible(user), SmsMessage.direction == "in", SmsMessage.handled.is_(handled))
        .order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
    )


def unhandled_count(user: User) -> int:
    stmt = sa.select(sa.func.count(SmsMessage.id)).where(
        visible(user), SmsMessage.direction == "in", SmsMessage.handled.is_(False)
    )
    return db.session.scalar(stmt) or 0


def set_handled(message_id: int, *, by_user: User, handled: bool = True) -> SmsMessage | None:
    message = db.session.scalar(
        sa.select(SmsMessage).where(SmsMessage.id == message_id, SmsMessage.direction == "in", visible(by_user))
    )
    if message is None:
        return None
    message.handled = handled
    message.handled_by_id = by_user.id if handled else None
    db.session.flush()
    return message


@dataclass(frozen=True)
class Party:
    """Who a logged message was to or from, as a coordinator sees it."""

    name: str
    role: str  # helper|elder|contact
    url_endpoint: str | None = None
    url_id: int | None = None


def parties(messages: list[SmsMessage]) -> dict[int, Party]:
    """Names for a page of messages in three queries (not one per row)."""
    helper_ids = {m.helper_id for m in messages if m.helper_id}
    elder_ids = {m.elder_id for m in messages if m.elder_id}
    contact_ids = {m.contact_id for m in messages if m.contact_id}
    helpers = (
        {h.id: h for h in db.session.scalars(sa.select(HelperProfile).where(HelperProfile.id.in_(helper_ids)))}
        if helper_ids
        else {}
    )
    elders = {e.id: e for e in db.session.scalars(sa.select(Elder).where(Elder.id.in_(elder_ids)))} if elder_ids else {}
    contacts = (
        {c.id: c for c in db.session.scalars(sa.select(ContactPerson).where(ContactPerson.id.in_(contact_ids)))}
        if contact_ids
        else {}
    )
    result: dict[int, Party] = {}
    for m in messages:
        if m.helper_id in helpers:
            h = helpers[m.helper_id]
            result[m.id] = Party(f"{h.first_name} {h.last_name}", "helper", "helpers.helper_detail", h.id)
        elif m.contact_id in contacts:
            c = contacts[m.contact_id]
            elder = elders.get(m.elder_id) if m.elder_id else None
            name = f"{c.name} ({elder.full_name})" if elder else c.name
            result[m.id] = Party(name, "contact", "elders.show_elder", c.elder_id)
        elif m.elder_id in elders:
            e = elders[m.elder_id]
            result[m.id] = Party(e.full_name, "elder", "elders.show_elder", e.id)
    return result


# --------------------------------------------------------------------------
# Sending by hand
# --------------------------------------------------------------------------


def user_organizations(user: User) -> list[Organization]:
    """The organizations the user may send for (:func:`app.policy.scope_organizations`)."""
    return policy.scope_organizations(user)


def recipient_choices(user: User) -> list[tuple[str, list[tuple[str, str]]]]:
    """Groups of (value, label) for the recipient list: older people, contact persons, helpers."""
    org_ids = [o.id for o in user_organizations(user)] or [-1]
    elders = db.session.scalars(
        sa.select(Elder)
        .where(Elder.organization_id.in_(org_ids), Elder.status != "ended", Elder.phone.is_not(None))
        .order_by(Elder.last_name, Elder.first_name)
    ).all()
    contacts = db.session.scalars(
        sa.select(ContactPerson)
        .join(Elder, Elder.id == ContactPerson.elder_id)
        .where(Elder.organization_id.in_(org_ids), Elder.status != "ended", ContactPerson.phone.is_not(None))
        .options(joinedload(ContactPerson.elder))
        .order_by(Elder.last_name, ContactPerson.name)
    ).all()
    helpers = db.session.scalars(
        sa.select(HelperProfile)
        .where(HelperProfile.organization_id.in_(org_ids), HelperProfile.status == "approved")
        .order_by(HelperProfile.last_name, HelperProfile.first_name)
    ).all()
    return [
        ("elders", [(f"e:{e.id}", f"{e.last_name}, {e.first_name}") for e in elders if e.phone_kind == "mobile"]),
        ("contacts", [(f"c:{c.id}", f"{c.name} ({c.elder.full_name})") for c in contacts]),
        ("helpers", [(f"h:{h.id}", f"{h.last_name}, {h.first_name}") for h in helpers]),
    ]


@dataclass(frozen=True)
class Target:
    phone: str
    language: str
    organization_id: int | None
    elder_id: int | None = None
    contact_id: int | None = None
    helper_id: int | None = None


def resolve_target(user: User, choice: str | None, typed: str | None, organization_id: int | None) -> Target:
    """The person chosen from the list, or the typed number. Raises SendError."""
    org_ids = {o.id for o in user_organizations(user)}
    choice = (choice or "").strip()
    typed = (typed or "").strip()
    if choice and typed:
        raise SendError("both")
    if choice:
        prefix, _, raw_id = choice.partition(":")
        obj_id = to_int(raw_id)
        if obj_id is None:
            raise SendError("unknown")
        if prefix == "e":
            elder = db.session.get(Elder, obj_id)
            if elder is None or elder.organization_id not in org_ids or not elder.phone:
                raise SendError("unknown")
            return Target(elder.phone, elder.language or "fi", elder.organization_id, elder_id=elder.id)
        if prefix == "c":
            contact = db.session.get(ContactPerson, obj_id)
            if contact is None or contact.elder.organization_id not in org_ids or not contact.phone:
                raise SendError("unknown")
            return Target(
                contact.phone,
                contact.language or "fi",
                contact.elder.organization_id,
                elder_id=contact.elder_id,
                contact_id=contact.id,
            )
        if prefix == "h":
            helper = db.session.get(HelperProfile, obj_id)
            if helper is None or helper.organization_id not in org_ids:
                raise SendError("unknown")
            return Target(helper.phone, helper_language(helper), helper.organization_id, helper_id=helper.id)
        raise SendError("unknown")
    if not typed:
        raise SendError("missing")
    try:
        phone = parse_phone(typed, allow_foreign=True, require_mobile=True)
    except PhoneError as exc:
        raise SendError(f"phone_{exc.code}", "phone") from exc
    if organization_id is None or organization_id not in org_ids:
        raise SendError("organization", "organization")
    # A number on file is filed under its person, so quiet hours and opt-outs apply.
    sender = identify(phone.e164)
    elder = next((e for e in sender.elders if e.organization_id in org_ids), None)
    contact = next((c for c in sender.contacts if c.elder.organization_id in org_ids), None)
    helper = next((h for h in sender.helpers if h.organization_id in org_ids), None)
    if helper is not None:
        return Target(phone.e164, helper_language(helper), organization_id, helper_id=helper.id)
    if elder is not None:
        return Target(phone.e164, elder.language or "fi", organization_id, elder_id=elder.id)
    if contact is not None:
        return Target(
            phone.e164, contact.language or "fi", organization_id, elder_id=contact.elder_id, contact_id=contact.id
        )
    return Target(phone.e164, "fi", organization_id)


def manual_text(body: str | None) -> str:
    """A coordinator's own words for a message or a call: not empty, not too long. Raises SendError."""
    text = (body or "").strip()
    if not text:
        raise SendError("empty", "body")
    if len(text) > MAX_MANUAL_LENGTH:
        raise SendError("too_long", "body")
    return text


def send_by_hand(user: User, target: Target, body: str, now: datetime | None = None) -> SmsMessage:
    """Queue a coordinator's message through the outbox. Raises SendError."""
    now = now or utcnow()
    text = manual_text(body)
    if optouts.has_opted_out(target.phone):
        raise SendError("opted_out")
    message = queue_sms(
        target.phone,
        text,
        kind="manual",
        language=target.language,
        elder_id=target.elder_id,
        contact_id=target.contact_id,
        helper_id=target.helper_id,
        organization_id=target.organization_id,
        sent_by_id=user.id,
    )
    assert message is not None
    db.session.flush()
    record("sms.sent_by_hand", message, actor=user, to=target.phone[-4:])
    return message


def callable_elders(user: User) -> list[tuple[str, str]]:
    """(value, label) of the older residents of the user's organizations who have a phone."""
    org_ids = [o.id for o in user_organizations(user)] or [-1]
    elders = db.session.scalars(
        sa.select(Elder)
        .where(Elder.organization_id.in_(org_ids), Elder.status != "ended", Elder.phone.is_not(None))
        .order_by(Elder.last_name, Elder.first_name)
    )
    return [(str(e.id), f"{e.last_name}, {e.first_name}") for e in elders]


def call_by_hand(user: User, elder_id: int | None, text: str) -> SmsMessage:
    """Queue an automated call to an older resident that says ``text`` (twice), with
    "press 3 to talk to the coordinator". Through the outbox like any call, so quiet
    hours and opt-outs apply. Raises SendError."""
    elder = db.session.get(Elder, elder_id) if elder_id is not None else None
    if elder is None or elder.status == "ended" or not policy.coordinator_may_change_elder(user, elder):
        raise SendError("unknown")
    if not elder.phone:
        raise SendError("no_phone")
    text = manual_text(text)
    if elder.sms_opt_out or optouts.has_opted_out(elder.phone):
        raise SendError("opted_out")
    language = elder.language or "fi"
    message = queue_call(
        elder.phone,
        script("manual", text, language),
        kind="manual",
        language=language,
        elder_id=elder.id,
        organization_id=elder.organization_id,
        sent_by_id=user.id,
    )
    assert message is not None
    db.session.flush()
    record("sms.call_by_hand", message, actor=user, to=elder.phone[-4:])
    return message


def call_held_until(now: datetime | None = None) -> datetime | None:
    """When a call placed now would be made (``VOICE_QUIET_HOURS``), or None for at once."""
    start, end = setting("VOICE_QUIET_HOURS")
    return rules.quiet_until(now or utcnow(), start, end)


def held_until(target: Target, now: datetime | None = None) -> datetime | None:
    """When a message to ``target`` sent now would leave (quiet hours), or None for at once."""
    if target.helper_id is not None or (target.elder_id is None and target.contact_id is None):
        return None
    return rules.quiet_until(now or utcnow(), int(setting("SMS_QUIET_START_HOUR")), int(setting("SMS_QUIET_END_HOUR")))
