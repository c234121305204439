"""Help requests, their dated errands, offers, assignments and errand history."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, utcnow
from app.models.elder import ContactPerson, Elder
from app.models.user import HelperProfile, User


class TaskType(Base):
    """A kind of help; the list is kept by admins."""

    __tablename__ = "task_types"
    __table_args__ = (sa.Index("ix_task_types_bit", "bit", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: Its bit in helper_profiles.task_mask, for good: given when the type is
    #: added (the lowest free one, app.models.masks), never changed.
    bit: Mapped[int | None] = mapped_column(sa.SmallInteger)
    name_fi: Mapped[str] = mapped_column(sa.String(80))
    name_sv: Mapped[str] = mapped_column(sa.String(80))
    name_en: Mapped[str] = mapped_column(sa.String(80))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=100)

    @staticmethod
    def name_column(locale: str) -> str:
        """The column holding the name in ``locale`` (Finnish for any other): lists select it in SQL."""
        return {"sv": "name_sv", "en": "name_en"}.get(locale, "name_fi")

    def name(self, locale: str) -> str:
        return getattr(self, self.name_column(locale))


class HelpRequest(TimestampMixin, Base):
    """What an older person (or a relative for them) asked for on the phone."""

    __tablename__ = "help_requests"
    __table_args__ = (sa.Index("ix_help_requests_created_at", "created_at"),)  # the report rollups, day by day

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(sa.ForeignKey("elders.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    task_type_id: Mapped[int] = mapped_column(sa.ForeignKey("task_types.id"))
    requested_by: Mapped[str] = mapped_column(sa.String(16), default="elder")  # elder|relative|coordinator|other
    requested_by_contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_persons.id"))
    # Who called when it was neither the person nor a contact person on file.
    requested_by_name: Mapped[str | None] = mapped_column(sa.String(120))
    taken_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    date_from: Mapped[date]
    date_to: Mapped[date]
    time_from: Mapped[time | None]
    time_to: Mapped[time | None]
    flexible: Mapped[bool] = mapped_column(default=False)
    duration_minutes: Mapped[int] = mapped_column(default=60)
    helpers_needed: Mapped[int] = mapped_column(default=1)
    notes_for_helper: Mapped[str | None] = mapped_column(sa.Text)
    preferred_helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id"))
    recurrence: Mapped[str] = mapped_column(sa.String(10), default="none")  # none|weekly|biweekly
    recurrence_until: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="active", index=True)

    elder: Mapped[Elder] = relationship()
    task_type: Mapped[TaskType] = relationship()
    requested_by_contact: Mapped[ContactPerson | None] = relationship()
    preferred_helper: Mapped[HelperProfile | None] = relationship()
    errands: Mapped[list[Errand]] = relationship(back_populates="request", order_by="Errand.starts_at")


class Errand(TimestampMixin, Base):
    """One dated occurrence of a request, matched and tracked on its own."""

    __tablename__ = "errands"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "starts_at"),
        sa.Index("ix_errands_state_starts_at", "state", "starts_at"),
        # The helper's board: the open errands of their organizations from now on
        # (and every lookup by organization).
        sa.Index("ix_errands_org_state_starts_at", "organization_id", "state", "starts_at"),
        sa.Index("ix_errands_starts_at", "starts_at"),  # the report rollups, day by day
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("help_requests.id"), index=True)
    elder_id: Mapped[int] = mapped_column(sa.ForeignKey("elders.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    task_type_id: Mapped[int] = mapped_column(sa.ForeignKey("task_types.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=60)
    helpers_needed: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(sa.String(16), default="open")
    # Short number used in SMS replies ("KYLLÄ 123").
    short_code: Mapped[str] = mapped_column(sa.String(8), index=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancelled_by_kind: Mapped[str | None] = mapped_column(sa.String(16))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    request: Mapped[HelpRequest] = relationship(back_populates="errands")
    elder: Mapped[Elder] = relationship()
    task_type: Mapped[TaskType] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(back_populates="errand", order_by="Assignment.id")
    offers: Mapped[list[Offer]] = relationship(back_populates="errand", order_by="Offer.id")
    events: Mapped[list[ErrandEvent]] = relationship(back_populates="errand", order_by="ErrandEvent.id")


class Offer(Base):
    """An errand offered to one helper (board and SMS)."""

    __tablename__ = "offers"
    __table_args__ = (sa.UniqueConstraint("errand_id", "helper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    errand_id: Mapped[int] = mapped_column(sa.ForeignKey("errands.id", ondelete="CASCADE"), index=True)
    helper_id: Mapped[int] = mapped_column(sa.ForeignKey("helper_profiles.id"), index=True)
    status: Mapped[str] = mapped_column(
        sa.String(16), default="pending"
    )  # pending|accepted|declined|taken|expired|cancelled
    rank: Mapped[int | None]
    score: Mapped[float | None]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    responded_via: Mapped[str | None] = mapped_column(sa.String(8))  # web|sms
    offered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    errand: Mapped[Errand] = relationship(back_populates="offers")
    helper: Mapped[HelperProfile] = relationship()


class Assignment(Base):
    """A helper taking an errand. ``slot`` makes first-come acceptance race-safe:
    (errand_id, slot) is unique, slots run 1..helpers_needed, and a withdrawn
    assignment gives its slot back by setting it to NULL."""

    __tablename__ = "assignments"
    __table_args__ = (
        sa.UniqueConstraint("errand_id", "slot"),
        # The matcher's per-candidate facts (busy, recent errands) from the index alone.
        sa.Index("ix_assignments_helper_facts", "helper_id", "status", "assigned_at", "errand_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    errand_id: Mapped[int] = mapped_column(sa.ForeignKey("errands.id", ondelete="CASCADE"), index=True)
    helper_id: Mapped[int] = mapped_column(sa.ForeignKey("helper_profiles.id"))
    slot: Mapped[int | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="active")  # active|withdrawn|done|no_show|cancelled
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_via: Mapped[str] = mapped_column(sa.String(16), default="board")  # board|sms|coordinator
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None]
    withdraw_reason: Mapped[str | None] = mapped_column(sa.String(300))
    done_at: Mapped[datetime | None]
    report_text: Mapped[str | None] = mapped_column(sa.Text)
    report_minutes: Mapped[int | None]
    receipt_cents: Mapped[int | None]
    report_note_for_coordinator: Mapped[str | None] = mapped_column(sa.Text)
    # Starts and ends the helper's view of the person's contact details.
    details_visible_until: Mapped[datetime | None]

    errand: Mapped[Errand] = relationship(back_populates="assignments")
    helper: Mapped[HelperProfile] = relationship()


class ErrandEvent(Base):
    """One transition of an errand's state: who, when, from what to what."""

    __tablename__ = "errand_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    errand_id: Mapped[int] = mapped_column(sa.ForeignKey("errands.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_kind: Mapped[str] = mapped_column(
        sa.String(16), default="system"
    )  # coordinator|helper|elder|relative|system|sms
    note: Mapped[str | None] = mapped_column(sa.String(500))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    errand: Mapped[Errand] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
