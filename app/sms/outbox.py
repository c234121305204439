"""The transactional SMS outbox.

``queue_sms`` only adds a row to the caller's session: the message is saved in
the same transaction as the change that causes it, and the scheduler's
dispatcher sends it later. A ``dedupe_key`` makes the same message impossible
to queue twice (for example one reminder per errand, kind and recipient).
``channel="voice"`` queues an automated phone call instead (``body`` is the
text spoken): it goes through the same dispatcher, retries, opt-outs and
quiet hours (:mod:`app.sms.voice`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import SmsMessage, utcnow


def queue_sms(
    to: str,
    body: str,
    *,
    kind: str,
    language: str = "fi",
    dedupe_key: str | None = None,
    errand_id: int | None = None,
    helper_id: int | None = None,
    elder_id: int | None = None,
    contact_id: int | None = None,
    organization_id: int | None = None,
    sent_by_id: int | None = None,
    not_before: datetime | None = None,
    channel: str = "sms",
) -> SmsMessage | None:
    """Queue one outgoing SMS in the current transaction.

    Returns the new message, or None when a message with the same
    ``dedupe_key`` already exists.
    """
    if dedupe_key is not None:
        exists = db.session.scalar(sa.select(SmsMessage.id).where(SmsMessage.dedupe_key == dedupe_key))
        if exists is not None:
            return None
    message = SmsMessage(
        direction="out",
        kind=kind,
        channel=channel,
        to_phone=to,
        body=body,
        language=language,
        dedupe_key=dedupe_key,
        status="queued",
        next_attempt_at=not_before or utcnow(),
        not_before=not_before,
        errand_id=errand_id,
        helper_id=helper_id,
        elder_id=elder_id,
        contact_id=contact_id,
        organization_id=organization_id,
        sent_by_id=sent_by_id,
    )
    db.session.add(message)
    return message
