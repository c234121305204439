"""Places and organizations: municipalities, villages, partner organizations."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow

organization_municipalities = sa.Table(
    "organization_municipalities",
    Base.metadata,
    sa.Column("organization_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("municipality_id", sa.ForeignKey("municipalities.id", ondelete="CASCADE"), primary_key=True),
)

#: An explicit, admin-managed partnership between two organizations: each one's
#: helpers may be offered, see and take the other's errands in the municipalities
#: the helper's own organization serves (the rule lives in app.policy).
#: Stored in both directions (one row per side) so either side is one index
#: lookup; app.admin.services adds and removes both rows together.
organization_partnerships = sa.Table(
    "organization_partnerships",
    Base.metadata,
    sa.Column("organization_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("partner_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_by_id", sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    sa.CheckConstraint("organization_id <> partner_id", name="not_self"),
    sa.Index("ix_organization_partnerships_partner_id", "partner_id"),
)

ORGANIZATION_KINDS = (
    "4h",
    "parish",
    "home_care",
    "youth_council",
    "friend_service",
    "pensioners",
    "elderly_council",
    "rehabilitative_work",
    "association",
    "municipality",
)


class Municipality(Base):
    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name_sv: Mapped[str | None] = mapped_column(sa.String(80))
    region: Mapped[str] = mapped_column(sa.String(80), default="Kainuu")
    lat: Mapped[float | None]
    lon: Mapped[float | None]

    villages: Mapped[list[Village]] = relationship(back_populates="municipality", order_by="Village.name")


class Village(Base):
    """A village or district inside a municipality, with its centre point."""

    __tablename__ = "villages"
    __table_args__ = (sa.UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    postcode: Mapped[str | None] = mapped_column(sa.String(5))
    lat: Mapped[float | None]
    lon: Mapped[float | None]

    municipality: Mapped[Municipality] = relationship(back_populates="villages")


class Organization(TimestampMixin, Base):
    """A partner in the multi-producer network (4H, parish, home care, ...)."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    is_active: Mapped[bool] = mapped_column(default=True)

    municipalities: Mapped[list[Municipality]] = relationship(secondary=organization_municipalities)
