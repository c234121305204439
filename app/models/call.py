"""The coordinator's phone day: one row per phone call handled, and the callbacks
the organization's coordinators still have to make."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.elder import Elder
from app.models.user import HelperProfile, User

#: Who was on the line, what about, how it ended, how a callback ended (codes; labels: app/calls/labels.py).
CALLER_KINDS = ("elder", "relative", "helper", "other")
CALL_TOPICS = ("new_request", "change", "cancel", "question", "feedback", "other")
CALL_OUTCOMES = ("handled", "request_taken", "callback", "forwarded")
CALLBACK_OUTCOMES = ("done", "not_reached")


class CallLog(Base):
    """One phone call a coordinator handled (in or out). Holds no health data."""

    __tablename__ = "call_logs"
    __table_args__ = (sa.Index("ix_call_logs_org_called", "organization_id", "called_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    coordinator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    caller_kind: Mapped[str] = mapped_column(sa.String(16))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    topic: Mapped[str] = mapped_column(sa.String(16))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    elder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elders.id", ondelete="SET NULL"), index=True)
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id", ondelete="SET NULL"), index=True)
    errand_id: Mapped[int | None] = mapped_column(sa.ForeignKey("errands.id", ondelete="SET NULL"))
    called_at: Mapped[datetime] = mapped_column(default=utcnow)

    elder: Mapped[Elder | None] = relationship(lazy="raise")
    helper: Mapped[HelperProfile | None] = relationship(lazy="raise")
    coordinator: Mapped[User | None] = relationship(lazy="raise")


class Callback(Base):
    """A call to make at a time, in the shared queue of the organization's coordinators.
    Open while ``outcome`` is None; "try again" moves ``due_at`` and counts ``tries``."""

    __tablename__ = "callbacks"
    __table_args__ = (sa.Index("ix_callbacks_org_open", "organization_id", "outcome", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("call_logs.id", ondelete="SET NULL"))
    elder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elders.id", ondelete="SET NULL"), index=True)
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    due_at: Mapped[datetime]
    tries: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]

    elder: Mapped[Elder | None] = relationship(lazy="raise")
    helper: Mapped[HelperProfile | None] = relationship(lazy="raise")
