"""Delivery status callbacks from Twilio (``POST /sms/status``).

Idempotent and monotonic: a callback only ever moves a message forwards
(queued < sending < sent < delivered; undelivered and failed are final), so
repeated or out-of-order callbacks change nothing. The callback URL carries
our own message id (``?m=<id>``): a message whose send timed out is matched
that way, its provider id recorded, and it is not sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import SmsMessage, utcnow
from app.sms.dispatcher import advance_status, alert_if_undelivered, set_provider_sid
from app.sms.rules import PROVIDER_STATUS
from app.sms.webhook_input import webhook_fields

log = logging.getLogger(__name__)


def apply_status_callback(
    params: Mapping[str, str], message_id: int | None, now: datetime | None = None
) -> SmsMessage | None:
    """Record a delivery report; returns the message it was about, or None if unknown. Flushes."""
    now = now or utcnow()
    params = webhook_fields(params)  # cleaned and cut to the columns
    sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
    raw = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    message = None
    if sid:
        message = db.session.scalar(
            sa.select(SmsMessage).where(SmsMessage.provider_sid == sid, SmsMessage.direction == "out")
        )
    if message is None and message_id is not None:
        candidate = db.session.get(SmsMessage, message_id)
        if candidate is not None and candidate.direction == "out" and _same_recipient(candidate, params):
            if candidate.provider_sid is None and sid:
                if _sid_taken(sid):  # another message's id (e.g. an incoming one): not this message's report
                    log.warning("Status for SMS %s names %s, the id of another message; ignored", candidate.id, sid)
                else:
                    set_provider_sid(candidate.id, sid)
                    message = candidate
            elif candidate.provider_sid in (None, sid):
                message = candidate
            else:
                log.warning(
                    "Status for a second copy (%s) of SMS %s; the first is %s",
                    sid,
                    candidate.id,
                    candidate.provider_sid,
                )
    if message is None:
        return None
    new = PROVIDER_STATUS.get(raw)
    if new is None:
        return message
    values: dict = {"next_attempt_at": None}
    if new in ("undelivered", "failed"):
        code = (params.get("ErrorCode") or "").strip()
        values["last_error_code"] = code or new
        values["last_error"] = params.get("ErrorMessage") or f"Provider reported {raw}"
    if message.sent_at is None:
        values["sent_at"] = now
    moved = advance_status(message.id, new, **values)
    db.session.flush()
    db.session.refresh(message)
    if moved and new in ("undelivered", "failed"):
        alert_if_undelivered(message, now)
    return message


def _sid_taken(sid: str) -> bool:
    return db.session.scalar(sa.select(SmsMessage.id).where(SmsMessage.provider_sid == sid).limit(1)) is not None


def _same_recipient(message: SmsMessage, params: Mapping[str, str]) -> bool:
    to = (params.get("To") or "").strip()
    return not to or to == message.to_phone
