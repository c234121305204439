"""Shared activities: places, activities (one row per occurrence), sign-ups and invitations."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, utcnow
from app.models.org import Municipality, Organization, Village

PLACE_KINDS = ("library", "parish_hall", "club_room", "cafe", "youth_centre", "other")
ACTIVITY_KINDS = ("shared_activity", "community_event", "company_walk")
"""The encounter kinds an activity can be (app.models.encounter.ENCOUNTER_KINDS)."""
RUN_BY = ("coordinator", "helpers", "elders", "together")
ACTIVITY_STATUSES = ("proposed", "approved", "cancelled")
SIGNUP_STATUSES = ("signed_up", "waiting", "cancelled", "attended", "no_show")
SIDES = ("young", "old")
INVITE_CHANNELS = ("sms", "sms_relative", "call")


class SharedPlace(TimestampMixin, Base):
    """A named shared space of a municipality (library, parish hall...); coordinators extend the list."""

    __tablename__ = "shared_places"
    __table_args__ = (sa.UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("villages.id"))
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(16), default="other")
    step_free: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str | None] = mapped_column(sa.String(200))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    municipality: Mapped[Municipality] = relationship()
    village: Mapped[Village | None] = relationship()


class Activity(TimestampMixin, Base):
    """One occurrence of a shared activity; a repeating one is a series of rows sharing ``series_id``."""

    __tablename__ = "activities"
    __table_args__ = (sa.Index("ix_activities_org_starts", "organization_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    place_id: Mapped[int] = mapped_column(sa.ForeignKey("shared_places.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(20), default="shared_activity")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    recurrence: Mapped[str] = mapped_column(sa.String(10), default="none")
    recurrence_until: Mapped[date | None]
    capacity_young: Mapped[int] = mapped_column(default=5)
    capacity_old: Mapped[int] = mapped_column(default=10)
    minimum: Mapped[int] = mapped_column(default=2)
    run_by: Mapped[str] = mapped_column(sa.String(12), default="coordinator")
    organised_by_participants: Mapped[bool] = mapped_column(default=False)
    description_fi: Mapped[str | None] = mapped_column(sa.Text)
    description_sv: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="approved")
    runner_helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id"))
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    idea_of_elder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elders.id"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    encounter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("encounters.id", ondelete="SET NULL"), unique=True)
    attendance_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()
    place: Mapped[SharedPlace] = relationship()
    signups: Mapped[list[ActivitySignup]] = relationship(
        back_populates="activity", order_by="ActivitySignup.id", cascade="all, delete-orphan"
    )

    @property
    def capacities(self) -> dict[str, int]:
        return {"young": self.capacity_young, "old": self.capacity_old}


class ActivitySignup(Base):
    """A young helper or an older resident on an activity: signed up, waiting, cancelled, attended or no-show.

    A signed-up (or attended) row holds a numbered place (``slot``) on its side; the unique
    (activity, side, slot) is the last guard of the capacity under races (as an errand's slots)."""

    __tablename__ = "activity_signups"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "helper_id"),
        sa.UniqueConstraint("activity_id", "elder_id"),
        sa.UniqueConstraint("activity_id", "side", "slot"),
        sa.CheckConstraint("(helper_id IS NULL) <> (elder_id IS NULL)", name="one_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id"), index=True)
    elder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elders.id"), index=True)
    side: Mapped[str] = mapped_column(sa.String(5))  # young|old
    slot: Mapped[int | None]
    status: Mapped[str] = mapped_column(sa.String(10), default="signed_up")
    via: Mapped[str] = mapped_column(sa.String(12), default="web")  # web|sms|voice|coordinator
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    activity: Mapped[Activity] = relationship(back_populates="signups")


class ActivityInvitation(Base):
    """Who was invited to an activity, by which channel (the SMS sent, or a call for the coordinator)."""

    __tablename__ = "activity_invitations"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "helper_id"),
        sa.UniqueConstraint("activity_id", "elder_id"),
        sa.CheckConstraint("(helper_id IS NULL) <> (elder_id IS NULL)", name="one_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id"), index=True)
    elder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elders.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(12))  # sms|sms_relative|voice|call|board
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sms_messages.id", ondelete="SET NULL"))
    answer: Mapped[str | None] = mapped_column(sa.String(4))  # yes|no
    answered_at: Mapped[datetime | None]
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship()
