"""Taking in an older resident and keeping their record: the person, their contact
persons, consent and status.

Functions here change the session and ``flush()``; the route commits once.
Input problems a coordinator can fix raise :class:`~app.elders.problems.ElderInputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import policy
from app.audit import record
from app.elders.location import geocode_elder
from app.elders.problems import ElderInputError, Problem
from app.extensions import db
from app.geocoding import Geocoder
from app.models import (
    CONTACT_CHANNELS,
    ContactPerson,
    Elder,
    HelpRequest,
    Municipality,
    Organization,
    SmsMessage,
    User,
    Village,
    utcnow,
)

ELDER_STATUSES = ("active", "paused", "ended")
#: The earliest birth year the intake accepts (the latest is this year).
FIRST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class ContactInput:
    """One contact person row. ``id`` is set for an existing contact; ``remove`` deletes it."""

    name: str
    phone: str  # E.164
    phone_is_mobile: bool
    relation: str | None = None
    language: str = "fi"
    may_contact: bool = False
    is_primary: bool = False
    id: int | None = None
    remove: bool = False
    row: int = 0


@dataclass(frozen=True)
class ElderInput:
    organization_id: int
    first_name: str
    last_name: str
    phone: str | None  # E.164
    phone_is_mobile: bool
    contact_channel: str
    language: str
    street_address: str
    postcode: str | None
    municipality_id: int
    village_id: int | None
    birth_year: int | None = None
    access_notes: str | None = None
    elder_profile: str | None = None
    slider_sociable: int | None = None
    slider_producer: int | None = None
    slider_others: int | None = None
    slider_digital: int | None = None
    prefers_continuity: bool = True
    preferences: str | None = None
    health_notes: str | None = None
    consent_given: bool = False
    consent_method: str | None = None
    contacts: tuple[ContactInput, ...] = field(default_factory=tuple)

    @property
    def kept_contacts(self) -> list[ContactInput]:
        return [c for c in self.contacts if not c.remove]


def organizations_for(user: User, *, keep: int | None = None) -> list[Organization]:
    """Organizations the user can file a resident under (``keep``: the current one, even if inactive)."""
    return [org for org in policy.scope_organizations(user) if org.is_active or org.id == keep]


def default_organization(organizations: list[Organization], municipality_id: int | None) -> Organization | None:
    """The organization a new resident is filed under when none was chosen: the user's only
    one, or the only one of theirs serving the municipality; None (ask) otherwise."""
    if len(organizations) == 1:
        return organizations[0]
    serving = [o for o in organizations if any(m.id == municipality_id for m in o.municipalities)]
    return serving[0] if municipality_id and len(serving) == 1 else None


def municipalities_with_villages() -> list[Municipality]:
    return list(
        db.session.scalars(
            sa.select(Municipality).options(selectinload(Municipality.villages)).order_by(Municipality.name)
        )
    )


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------


def default_channel(data: ElderInput) -> ElderInput:
    """The way to reach them when none was chosen: a landline gets automated calls
    (``voice``), anyone else is called by the coordinator."""
    if data.contact_channel in CONTACT_CHANNELS:
        return data
    landline = bool(data.phone) and not data.phone_is_mobile
    return replace(data, contact_channel="voice" if landline else "coordinator_call")


def reachability_problems(data: ElderInput) -> list[Problem]:
    """Can the chosen way of reaching the person work with the numbers given?"""
    contacts = data.kept_contacts
    problems: list[Problem] = []
    primaries = [c for c in contacts if c.is_primary]
    if data.contact_channel == "sms_self":
        if not data.phone:
            problems.append(Problem("phone", "sms_self_needs_phone"))
        elif not data.phone_is_mobile:
            problems.append(Problem("phone", "sms_self_needs_mobile"))
    elif data.contact_channel == "voice":
        if not data.phone:
            problems.append(Problem("phone", "voice_needs_phone"))
    elif data.contact_channel == "sms_relative":
        if not primaries:
            problems.append(Problem("primary_contact", "sms_relative_needs_contact"))
        elif not primaries[0].may_contact:
            problems.append(Problem("primary_contact", "primary_must_agree"))
        elif not primaries[0].phone_is_mobile:
            problems.append(Problem("primary_contact", "primary_needs_mobile"))
    elif not data.phone and not any(c.may_contact for c in contacts):
        problems.append(Problem("phone", "no_way_to_call"))
    return problems


def _place_problems(data: ElderInput) -> list[Problem]:
    problems: list[Problem] = []
    if db.session.get(Municipality, data.municipality_id) is None:
        problems.append(Problem("municipality_id", "unknown_municipality"))
    if data.village_id is not None:
        village = db.session.get(Village, data.village_id)
        if village is None:
            problems.append(Problem("village_id", "unknown_village"))
        elif village.municipality_id != data.municipality_id:
            problems.append(Problem("village_id", "village_elsewhere"))
    return problems


def _check(data: ElderInput, user: User, elder: Elder | None = None) -> None:
    problems = _place_problems(data) + reachability_problems(data)
    allowed = {org.id for org in organizations_for(user, keep=elder.organization_id if elder else None)}
    if data.organization_id not in allowed:
        problems.append(Problem("organization_id", "not_your_organization"))
    if elder is not None:
        own = {c.id for c in elder.contacts}
        if any(c.id is not None and c.id not in own for c in data.contacts):
            problems.append(Problem("contacts", "unknown_contact"))
    if problems:
        raise ElderInputError(problems)


# --------------------------------------------------------------------------
# Changes
# --------------------------------------------------------------------------

_PLAIN_FIELDS = (
    "organization_id",
    "first_name",
    "last_name",
    "birth_year",
    "contact_channel",
    "language",
    "street_address",
    "postcode",
    "municipality_id",
    "village_id",
    "access_notes",
    "elder_profile",
    "slider_sociable",
    "slider_producer",
    "slider_others",
    "slider_digital",
    "prefers_continuity",
    "preferences",
    "health_notes",
)
ADDRESS_FIELDS = {"street_address", "postcode", "municipality_id", "village_id"}


def create_elder(data: ElderInput, *, by: User, geocoder: Geocoder) -> Elder:
    """Take in a new older resident with their contact persons, and place them on the map.

    Raises ElderInputError when a rule is broken (nothing is written then).
    """
    data = default_channel(data)
    _check(data, by)
    elder = Elder(created_by_id=by.id, status="active")
    for name in _PLAIN_FIELDS:
        setattr(elder, name, getattr(data, name))
    _set_phone(elder, data)
    _set_consent(elder, data, by)
    for contact in data.kept_contacts:
        elder.contacts.append(_new_contact(contact))
    db.session.add(elder)
    geocode_elder(elder, geocoder)
    db.session.flush()
    record(
        "elder.created",
        elder,
        geocode_status=elder.geocode_status,
        contacts=len(elder.contacts),
        consent=elder.consent_given,
    )
    return elder


def update_elder(elder: Elder, data: ElderInput, *, by: User, geocoder: Geocoder) -> list[str]:
    """Save the edit form. Returns the names of the fields that changed (also logged,
    without their values). The address is geocoded again only when it changed."""
    data = default_channel(data)
    _check(data, by, elder)
    changed = [name for name in _PLAIN_FIELDS if getattr(elder, name) != getattr(data, name)]
    for name in changed:
        setattr(elder, name, getattr(data, name))
    if elder.phone != data.phone:
        changed.append("phone")
    _set_phone(elder, data)
    if _set_consent(elder, data, by):
        changed.append("consent")
    if _update_contacts(elder, data.contacts):
        changed.append("contacts")
    if ADDRESS_FIELDS & set(changed) or elder.geocode_status == "pending":
        geocode_elder(elder, geocoder)
    db.session.flush()  # a move: the report rollups see it (app.rollups, on the flush)
    if changed:
        record("elder.updated", elder, fields=changed, geocode_status=elder.geocode_status)
    return changed


def _set_phone(elder: Elder, data: ElderInput) -> None:
    elder.phone = data.phone
    elder.phone_kind = "mobile" if (data.phone is None or data.phone_is_mobile) else "landline"


def _set_consent(elder: Elder, data: ElderInput, by: User) -> bool:
    """Record consent with who took it and when; keep the original record while it stands."""
    if data.consent_given and not elder.consent_given:
        elder.consent_given = True
        elder.consent_method = data.consent_method or "verbal"
        elder.consent_taken_by_id = by.id
        elder.consent_at = utcnow()
        return True
    if data.consent_given and data.consent_method and data.consent_method != elder.consent_method:
        elder.consent_method = data.consent_method
        return True
    if not data.consent_given and elder.consent_given:
        elder.consent_given = False
        elder.consent_method = None
        elder.consent_taken_by_id = None
        elder.consent_at = None
        return True
    return False


def _new_contact(data: ContactInput) -> ContactPerson:
    contact = ContactPerson()
    _fill_contact(contact, data)
    return contact


def _fill_contact(contact: ContactPerson, data: ContactInput) -> bool:
    values = {
        "name": data.name,
        "relation": data.relation,
        "phone": data.phone,
        "language": data.language,
        "is_primary": data.is_primary,
    }
    changed = False
    for name, value in values.items():
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed = True
    if data.may_contact and not contact.may_contact:
        contact.may_contact, contact.consent_at, changed = True, utcnow(), True
    elif not data.may_contact and contact.may_contact:
        contact.may_contact, contact.consent_at, changed = False, None, True
    return changed


def _update_contacts(elder: Elder, rows: tuple[ContactInput, ...]) -> bool:
    existing = {c.id: c for c in elder.contacts}
    changed = False
    for row in rows:
        contact = existing.get(row.id) if row.id is not None else None
        if contact is not None and row.remove:
            forget_contact(contact)
            elder.contacts.remove(contact)
            changed = True
        elif contact is not None:
            changed |= _fill_contact(contact, row)
        elif not row.remove:
            elder.contacts.append(_new_contact(row))
            changed = True
    return changed


def forget_contact(contact: ContactPerson) -> None:
    """Loosen the weak links to a contact person who is removed (who asked, to whom an SMS went)."""
    db.session.execute(
        sa.update(HelpRequest)
        .where(HelpRequest.requested_by_contact_id == contact.id)
        .values(requested_by_contact_id=None)
    )
    db.session.execute(sa.update(SmsMessage).where(SmsMessage.contact_id == contact.id).values(contact_id=None))


def change_status(elder: Elder, status: str, *, reason: str | None = None) -> bool:
    """Pause, end or reactivate. Returns False when the status was already that.
    Ending clears the health and access notes at once and stamps ``ended_at``, which
    starts the retention period (``app.privacy.retention`` reads it); made active or
    paused again, the period stops."""
    if status not in ELDER_STATUSES:
        raise ElderInputError([Problem("status", "unknown_status")])
    if elder.erased_at is not None and status != "ended":
        raise ElderInputError([Problem("status", "erased")])
    if elder.status == status:
        return False
    before, elder.status = elder.status, status
    if status == "ended":
        elder.clear_notes()
        elder.ended_at = utcnow()
    elif before == "ended":
        elder.ended_at = None
    db.session.flush()
    record("elder.status", elder, before=before, after=status, reason=reason or None)
    return True
