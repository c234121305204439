"""Opt-outs: numbers that asked for no more text messages (STOP / LOPETA / SLUTA).

A number's opt-out is kept in ``sms_opt_outs`` and mirrored on every person
with that number (``sms_opt_out``), so the people pages can show it. The
dispatcher fails a message to such a number with ``opted_out``; START /
ALOITA / BÖRJA lifts it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import ContactPerson, Elder, HelperProfile, SmsMessage, SmsOptOut, utcnow


def opted_out_numbers(numbers: Iterable[str]) -> set[str]:
    """Those of ``numbers`` that asked for no more texts."""
    numbers = set(numbers)
    if not numbers:
        return set()
    return set(db.session.scalars(sa.select(SmsOptOut.phone).where(SmsOptOut.phone.in_(numbers))))


def has_opted_out(phone: str) -> bool:
    return db.session.scalar(sa.select(SmsOptOut.id).where(SmsOptOut.phone == phone)) is not None


def is_opted_out(message: SmsMessage, opted_out: set[str]) -> bool:
    """True when ``message`` must not go: its number, or its person, opted out."""
    if message.to_phone in opted_out:
        return True
    if message.helper_id is not None:
        helper = db.session.get(HelperProfile, message.helper_id)
        return bool(helper and helper.sms_opt_out and helper.phone == message.to_phone)
    if message.contact_id is not None:
        contact = db.session.get(ContactPerson, message.contact_id)
        return bool(contact and contact.sms_opt_out)
    if message.elder_id is not None:
        elder = db.session.get(Elder, message.elder_id)
        return bool(elder and elder.sms_opt_out)
    return False


def record_opt_out(phone: str, keyword: str, now: datetime | None = None) -> bool:
    """Remember that ``phone`` wants no texts and flag every person with it. True when new."""
    new = False
    if not has_opted_out(phone):
        db.session.add(SmsOptOut(phone=phone, keyword=keyword[:16], at=now or utcnow()))
        new = True
    set_opt_out_flags(phone, True)
    db.session.flush()
    return new


def stop(phone: str, keyword: str, now: datetime) -> None:
    """The number asked for no more texts: remember it, and fail what still waits for it."""
    record_opt_out(phone, keyword, now)
    waiting = db.session.scalars(
        sa.select(SmsMessage).where(
            SmsMessage.direction == "out",
            SmsMessage.to_phone == phone,
            SmsMessage.status.in_(("queued", "held")),
        )
    )
    for message in waiting:
        message.status = "failed"
        message.last_error_code = "opted_out"
        message.last_error = "The recipient asked for no more text messages"
        message.next_attempt_at = None


def start(phone: str) -> None:
    """The number wants texts again."""
    db.session.execute(sa.delete(SmsOptOut).where(SmsOptOut.phone == phone))
    set_opt_out_flags(phone, False)


def set_opt_out_flags(phone: str, value: bool) -> None:
    """Set ``sms_opt_out`` on every person with this number."""
    for model in (HelperProfile, Elder, ContactPerson):
        db.session.execute(
            sa.update(model)
            .where(model.phone == phone)
            .values(sms_opt_out=value)
            .execution_options(synchronize_session="fetch")
        )
