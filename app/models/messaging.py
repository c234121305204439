"""SMS messages (outbox and inbox), opt-outs and coordinator alerts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

SMS_STATUSES = ("queued", "held", "sending", "sent", "delivered", "undelivered", "failed", "received")
#: An outbox row is a text message or an automated phone call (app/sms/voice.py).
CHANNELS = ("sms", "voice")


class SmsMessage(Base):
    """One SMS or automated call (``channel``). Outgoing ones are written in the
    same transaction as the change that causes them (transactional outbox);
    ``dedupe_key`` makes a reminder impossible to create twice. A call's
    ``body`` is the text spoken; ``call_status``, ``answered_by``, ``digits``
    (keys pressed) and ``tries`` (calls made) are the call's own."""

    __tablename__ = "sms_messages"
    __table_args__ = (sa.Index("ix_sms_messages_due", "direction", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(3))  # out|in
    kind: Mapped[str] = mapped_column(sa.String(32), default="manual")
    channel: Mapped[str] = mapped_column(sa.String(5), default="sms", server_default="sms")
    to_phone: Mapped[str] = mapped_column(sa.String(20), index=True)
    from_phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(2), default="fi")
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    provider_sid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    not_before: Mapped[datetime | None]
    last_error_code: Mapped[str | None] = mapped_column(sa.String(16))
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    errand_id: Mapped[int | None] = mapped_column(sa.ForeignKey("errands.id"), index=True)
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id"))
    elder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elders.id"))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_persons.id"))
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    call_status: Mapped[str | None] = mapped_column(sa.String(16))  # Twilio's CallStatus
    answered_by: Mapped[str | None] = mapped_column(sa.String(24))  # human|machine_start|... (detection on)
    digits: Mapped[str | None] = mapped_column(sa.String(16))  # keys pressed, in order
    tries: Mapped[int] = mapped_column(default=0, server_default="0")  # calls that rang out
    handled: Mapped[bool] = mapped_column(default=False)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SmsOptOut(Base):
    __tablename__ = "sms_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(20), unique=True)
    keyword: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CoordinatorAlert(Base):
    """Something a coordinator must act on (no helper yet, undelivered SMS, late withdrawal)."""

    __tablename__ = "coordinator_alerts"
    __table_args__ = (sa.UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.String(500))
    errand_id: Mapped[int | None] = mapped_column(sa.ForeignKey("errands.id"))
    elder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elders.id"))
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id"))
    # The contact person an undelivered text went to (the alert names their number).
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_persons.id", ondelete="SET NULL"))
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120))
    activity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class ProviderErasure(Base):
    """A message the SMS provider still holds a copy of (body, numbers) whose
    person was erased: the scheduler's ``provider-erasure`` job deletes it at
    the provider, retrying until the provider confirms (``app/privacy/provider.py``).
    Holds only the provider's message id."""

    __tablename__ = "provider_erasures"
    __table_args__ = (sa.Index("ix_provider_erasures_due", "done_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(16))  # deleted|gone|local|failed (None: to do)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
