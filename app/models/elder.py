"""Older residents (they do not log in) and their contact persons."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedText
from app.models.base import Base, TimestampMixin
from app.models.org import Municipality, Organization, Village

CONTACT_CHANNELS = ("sms_self", "sms_relative", "voice", "coordinator_call")
#: The rule code forms and services turn into a message: help is arranged only with the
#: older resident's recorded consent (:attr:`Elder.has_consent`).
NO_CONSENT = "elder_no_consent"


class Elder(TimestampMixin, Base):
    __tablename__ = "elders"
    __table_args__ = (sa.Index("ix_elders_lat_lon", "lat", "lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    first_name: Mapped[str] = mapped_column(sa.String(60))
    last_name: Mapped[str] = mapped_column(sa.String(60), index=True)
    birth_year: Mapped[int | None] = mapped_column(sa.SmallInteger)  # optional; for the duplicate check
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    phone_kind: Mapped[str] = mapped_column(sa.String(10), default="mobile")  # mobile|landline
    contact_channel: Mapped[str] = mapped_column(sa.String(20), default="coordinator_call")
    language: Mapped[str] = mapped_column(sa.String(2), default="fi")

    street_address: Mapped[str | None] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(5))
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("villages.id"))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    geocode_status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # ok|approximate|failed|manual
    # Encrypted at rest and deferred: read (and decrypted) only where asked for (app/crypto.py).
    access_notes: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)

    elder_profile: Mapped[str | None] = mapped_column(sa.String(32))
    slider_sociable: Mapped[int | None]  # 1-5; None: not assessed
    slider_producer: Mapped[int | None]
    slider_others: Mapped[int | None]
    slider_digital: Mapped[int | None]
    prefers_continuity: Mapped[bool] = mapped_column(default=True)
    preferences: Mapped[str | None] = mapped_column(sa.Text)
    # Coordinators only: never shown to helpers, never sent by SMS.
    health_notes: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)

    consent_given: Mapped[bool] = mapped_column(default=False)
    consent_method: Mapped[str | None] = mapped_column(sa.String(16))  # verbal|written
    consent_taken_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    consent_at: Mapped[datetime | None]

    status: Mapped[str] = mapped_column(sa.String(16), default="active", index=True)  # active|paused|ended
    # When the person was last ended (starts the retention period) and when their
    # personal data was erased (app/privacy); the row stays for anonymous counts.
    ended_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    sms_opt_out: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    organization: Mapped[Organization] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    village: Mapped[Village | None] = relationship()
    contacts: Mapped[list[ContactPerson]] = relationship(
        back_populates="elder", cascade="all, delete-orphan", order_by="ContactPerson.id"
    )

    @staticmethod
    def name_of(first_name: str, last_name: str) -> str:
        """The full name as every page shows it (lists read the two columns, not the row)."""
        return f"{first_name} {last_name}"

    @property
    def full_name(self) -> str:
        return self.name_of(self.first_name, self.last_name)

    def clear_notes(self) -> bool:
        """Remove the health and access notes (when the service ends); True when there were any."""
        had = bool(self.health_notes or self.access_notes)
        self.health_notes = None
        self.access_notes = None
        return had

    @hybrid_property
    def has_consent(self) -> bool:
        """The person's consent is recorded (given, with its time): no request and no
        errand is created without it. In a query, ``Elder.has_consent`` is the same
        rule as a condition."""
        return bool(self.consent_given) and self.consent_at is not None

    @has_consent.inplace.expression
    @classmethod
    def _has_consent_condition(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.consent_given.is_(True), cls.consent_at.is_not(None))


class ContactPerson(TimestampMixin, Base):
    """A relative or other contact person of an older resident."""

    __tablename__ = "contact_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(sa.ForeignKey("elders.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    relation: Mapped[str | None] = mapped_column(sa.String(60))
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    language: Mapped[str] = mapped_column(sa.String(2), default="fi")
    may_contact: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None]
    is_primary: Mapped[bool] = mapped_column(default=False)
    sms_opt_out: Mapped[bool] = mapped_column(default=False)

    elder: Mapped[Elder] = relationship(back_populates="contacts")
