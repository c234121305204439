"""Accounts (admins, coordinators, helpers) and the helper's profile."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.models.base import Base, TimestampMixin
from app.models.org import Municipality, Organization, Village

ROLES = ("admin", "coordinator", "helper")
#: A helper under this age (on the errand's Helsinki date) needs a guardian's consent.
ADULT_AGE = 18


def age_on(birth_date: date, on: date) -> int:
    """Whole years of age on a date (a 29 February birthday counts from 1 March)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


# The helper's facts on plain values, for readers that hold the columns but not a
# HelperProfile (the matching statement's rows); the profile's methods call them.


def minor_on(birth_date: date, on: date) -> bool:
    """Under 18 on the given date."""
    return age_on(birth_date, on) < ADULT_AGE


def paused_on(paused_until: date | None, on: date) -> bool:
    """Paused through ``paused_until`` (that day included)."""
    return paused_until is not None and paused_until >= on


user_organizations = sa.Table(
    "user_organizations",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("organization_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(16), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session of the user at once (suspension, password change);
    # the sessions themselves are rows of ``user_sessions`` (app/auth/sessions.py).
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]

    organizations: Mapped[list[Organization]] = relationship(secondary=user_organizations)
    helper_profile: Mapped[HelperProfile | None] = relationship(
        back_populates="user", uselist=False, foreign_keys="HelperProfile.user_id"
    )

    def set_password(self, password: str) -> None:
        # scrypt, a memory-hard KDF (Config.PASSWORD_HASH_METHOD; cheaper only in TestConfig).
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    #: The plain id of the login session this object was loaded with (not a column;
    #: set by ``app.auth.sessions``). It travels in the session and remember cookies.
    session_token = None

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}.{self.session_token or ''}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    #: The ids of the user's organizations read with the login (:func:`app.auth.sessions.load_user`,
    #: in the same statement), used while the ``organizations`` collection is not loaded; forgotten
    #: when the object is expired or refreshed (a commit), so that a changed membership is read again.
    _login_organization_ids = None  # frozenset[int] once read

    def note_organization_ids(self, ids: frozenset[int]) -> None:
        """The user's organization ids as just read from ``user_organizations`` (by the login)."""
        self._login_organization_ids = ids

    @property
    def organization_ids(self) -> set[int]:
        read = self._login_organization_ids
        if read is not None and "organizations" not in self.__dict__:
            return set(read)
        return {org.id for org in self.organizations}

    @staticmethod
    def organization_ids_column() -> sa.ScalarSelect:
        """The ids of a user's (``users.id`` of the enclosing statement) organizations as one
        text column ("3,7"; NULL for none): :meth:`organization_ids_of` reads it."""
        uo = user_organizations.c
        return (
            # The separator as SQL text, not a value: SQLAlchemy renders a value here into
            # the SQL string again on every run (a "post-compile" parameter).
            sa.select(sa.func.aggregate_strings(sa.cast(uo.organization_id, sa.String), sa.literal_column("','")))
            .where(uo.user_id == User.id)
            .scalar_subquery()
        )

    @staticmethod
    def organization_ids_of(text: str | None) -> frozenset[int]:
        return frozenset(int(i) for i in text.split(",")) if text else frozenset()


def _forget_organization_ids(user: User | None, *_args) -> None:
    if user is not None:  # None: an object already gone (its state expired at a commit)
        user.__dict__.pop("_login_organization_ids", None)


sa.event.listen(User, "expire", _forget_organization_ids)
sa.event.listen(User, "refresh", _forget_organization_ids)


HELPER_STATUSES = ("pending", "approved", "suspended")
TRANSPORTS = ("foot", "bike", "moped", "car")


class HelperProfile(TimestampMixin, Base):
    """A young helper: where they live, what they do, when, and their approval."""

    __tablename__ = "helper_profiles"
    __table_args__ = (
        sa.Index("ix_helper_profiles_lat_lon", "lat", "lon"),
        # Matching reads the network's helpers near a point (and serves lookups by organization).
        sa.Index("ix_helper_profiles_org_lat_lon", "organization_id", "lat", "lon"),
        # The report counts a municipality's helpers by organization and village from the index alone.
        sa.Index("ix_helper_profiles_area_count", "municipality_id", "status", "organization_id", "village_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    first_name: Mapped[str] = mapped_column(sa.String(60))
    last_name: Mapped[str] = mapped_column(sa.String(60))
    birth_date: Mapped[date]
    phone: Mapped[str] = mapped_column(sa.String(20), index=True)

    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("villages.id"))
    address_text: Mapped[str | None] = mapped_column(sa.String(200))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    geocode_status: Mapped[str] = mapped_column(sa.String(16), default="pending")

    transport: Mapped[str] = mapped_column(sa.String(8), default="foot")
    max_distance_km: Mapped[float] = mapped_column(default=3.0)
    task_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    # List of [weekday 0-6, "morning"|"afternoon"|"evening"].
    availability: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Weekly caps the helper chose (None: no cap of their own; minors get MINOR_WEEKLY_ERRANDS).
    max_errands_week: Mapped[int | None]
    max_hours_week: Mapped[float | None]
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The three lists above as bits (app.vocabulary; a task type's bit is TaskType.bit),
    # for the matcher. Kept in step on every flush by app.models.masks (bulk writers
    # call its functions): never set them by hand.
    task_mask: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    availability_mask: Mapped[int] = mapped_column(default=0, server_default="0")
    language_mask: Mapped[int] = mapped_column(default=0, server_default="0")
    introduction: Mapped[str] = mapped_column(sa.Text, default="")

    # Needs-based profile: four sliders 1-5 and the youth profile.
    slider_sociable: Mapped[int] = mapped_column(default=3)
    slider_producer: Mapped[int] = mapped_column(default=3)
    slider_others: Mapped[int] = mapped_column(default=3)
    slider_digital: Mapped[int] = mapped_column(default=3)
    suggested_profile: Mapped[str | None] = mapped_column(sa.String(32))
    youth_profile: Mapped[str | None] = mapped_column(sa.String(32))
    profile_corrected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    paused_until: Mapped[date | None]
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    identity_seen: Mapped[bool] = mapped_column(default=False)
    training_held: Mapped[bool] = mapped_column(default=False)
    criminal_record_seen_on: Mapped[date | None]
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(sa.String(300))

    guardian_name: Mapped[str | None] = mapped_column(sa.String(120))
    guardian_phone: Mapped[str | None] = mapped_column(sa.String(20))
    calendar_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    sms_opt_out: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="helper_profile", foreign_keys=[user_id])
    organization: Mapped[Organization | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    village: Mapped[Village | None] = relationship()
    consents: Mapped[list[GuardianConsent]] = relationship(
        back_populates="helper", order_by="GuardianConsent.requested_at"
    )

    @staticmethod
    def name_of(first_name: str, last_name: str) -> str:
        """The name shown for a helper ("Aino N."; lists read the two columns, not the row)."""
        return f"{first_name} {last_name[:1]}."

    @property
    def display_name(self) -> str:
        return self.name_of(self.first_name, self.last_name)

    # The plain facts about a helper every area asks (dates are Helsinki calendar dates).

    def age_on(self, on: date) -> int:
        return age_on(self.birth_date, on)

    def is_minor_on(self, on: date) -> bool:
        """Under 18 on the given date."""
        return minor_on(self.birth_date, on)

    def is_paused_on(self, on: date) -> bool:
        """Paused through ``paused_until`` (that day included)."""
        return paused_on(self.paused_until, on)

    @property
    def current_consent(self) -> GuardianConsent | None:
        """The newest guardian consent request, or None."""
        if not self.consents:
            return None
        return max(self.consents, key=lambda c: (c.requested_at, c.id or 0))

    @property
    def has_valid_guardian_consent(self) -> bool:
        """The newest guardian consent is given (and not withdrawn).

        Says nothing about age: combine it with :meth:`is_minor_on` (a helper
        of 18 or over needs no consent).
        """
        consent = self.current_consent
        return consent is not None and consent.status == "given"

    def is_eligible_on(self, on: date) -> bool:
        """Approved, not paused, and (for a minor) with a valid guardian consent."""
        if self.status != "approved" or self.is_paused_on(on):
            return False
        return not self.is_minor_on(on) or self.has_valid_guardian_consent


class GuardianConsent(Base):
    """A guardian's consent for a 13-17-year-old helper: who, when, how, which text."""

    __tablename__ = "guardian_consents"
    # The newest request of a helper (which decides) from the index alone.
    __table_args__ = (sa.Index("ix_guardian_consents_newest", "helper_id", "requested_at", "id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    helper_id: Mapped[int] = mapped_column(sa.ForeignKey("helper_profiles.id", ondelete="CASCADE"))
    guardian_name: Mapped[str] = mapped_column(sa.String(120))
    guardian_phone: Mapped[str] = mapped_column(sa.String(20), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    sms_code: Mapped[str] = mapped_column(sa.String(8))
    text_version: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default="requested")  # requested|given|withdrawn
    requested_at: Mapped[datetime]
    given_at: Mapped[datetime | None]
    given_via: Mapped[str | None] = mapped_column(sa.String(8))  # sms|link
    withdrawn_at: Mapped[datetime | None]
    withdrawn_via: Mapped[str | None] = mapped_column(sa.String(16))

    helper: Mapped[HelperProfile] = relationship(back_populates="consents")


class UserSession(Base):
    """One login on one device: its random id travels in the session and remember cookies.

    Only the SHA-256 of the id is stored. Logging out, a password change and a
    suspension set ``ended_at``; the user loader accepts a cookie only while its
    row is open (see ``app/auth/sessions.py``).
    """

    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    remember: Mapped[bool] = mapped_column(default=False)
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(sa.String(16))  # logout|all_ended|expired
