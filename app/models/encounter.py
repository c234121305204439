"""Encounters, their participants, stage overrides and well-being check-ins."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, utcnow

ENCOUNTER_KINDS = ("home_help", "company_walk", "shared_activity", "community_event")
PLACE_KINDS = ("home", "shared_space", "outdoors")
INITIATORS = ("coordinator", "helper", "elder", "participants")
LEADERS = ("coordinator", "helper", "elder", "together")


class Encounter(TimestampMixin, Base):
    __tablename__ = "encounters"
    __table_args__ = (sa.Index("ix_encounters_municipality_occurred", "municipality_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    errand_id: Mapped[int | None] = mapped_column(sa.ForeignKey("errands.id"), unique=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    place_kind: Mapped[str] = mapped_column(sa.String(16), default="home")
    place_name: Mapped[str | None] = mapped_column(sa.String(120))
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("villages.id"))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int] = mapped_column(default=60)
    initiated_by: Mapped[str] = mapped_column(sa.String(16), default="coordinator")
    led_by: Mapped[str] = mapped_column(sa.String(16), default="helper")
    organised_by_participant: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str | None] = mapped_column(sa.String(160))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    logged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    participants: Mapped[list[EncounterParticipant]] = relationship(
        back_populates="encounter", cascade="all, delete-orphan"
    )


class EncounterParticipant(Base):
    __tablename__ = "encounter_participants"
    __table_args__ = (
        sa.UniqueConstraint("encounter_id", "helper_id"),
        sa.UniqueConstraint("encounter_id", "elder_id"),
        sa.CheckConstraint("(helper_id IS NULL) <> (elder_id IS NULL)", name="one_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(sa.ForeignKey("encounters.id", ondelete="CASCADE"), index=True)
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id"), index=True)
    elder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elders.id"), index=True)
    feedback_score: Mapped[int | None]
    feedback_comment: Mapped[str | None] = mapped_column(sa.Text)
    feedback_via: Mapped[str | None] = mapped_column(sa.String(16))  # web|sms|voice|coordinator

    encounter: Mapped[Encounter] = relationship(back_populates="participants")


class StageOverride(Base):
    """A coordinator's recorded override of a computed stage."""

    __tablename__ = "stage_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(8))  # pair|helper|elder
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id"), index=True)
    elder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elders.id"), index=True)
    stage: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
    # Set when a coordinator clears the override; the row stays as history.
    cleared_at: Mapped[datetime | None]
    cleared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class CheckIn(Base):
    """A structured well-being check-in (time series per person)."""

    __tablename__ = "check_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(8))  # elder|helper
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id"), index=True)
    elder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elders.id"), index=True)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    taken_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(sa.String(16), default="coordinator")  # coordinator|web|sms
