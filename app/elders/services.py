"""Older residents: intake, editing, placing on the map, status, and finding them.

Functions here change the session and ``flush()``; the route commits once.
Input problems a coordinator can fix raise :class:`ElderInputError` with a
list of ``(field, code)`` pairs that the form turns into messages.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import policy
from app.audit import NOTES_VIEWED, record
from app.elders.consent import consent_recorded, has_consent
from app.extensions import db
from app.geocoding import Geocoder, GeoResult
from app.models import (
    AuditLog,
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

log = logging.getLogger(__name__)

ELDER_STATUSES = ("active", "paused", "ended")
#: Latitude and longitude limits of mainland Finland and Åland, with a small margin.
FINLAND_BOUNDS = (59.4, 70.2, 19.0, 31.7)


# --------------------------------------------------------------------------
# Inputs and errors
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    field: str
    code: str


class ElderInputError(Exception):
    """The input breaks a rule; ``problems`` says which field and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__(", ".join(f"{p.field}:{p.code}" for p in problems))
        self.problems = problems


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
    access_notes: str | None = None
    elder_profile: str | None = None
    slider_sociable: int = 3
    slider_producer: int = 3
    slider_others: int = 3
    slider_digital: int = 3
    prefers_continuity: bool = True
    preferences: str | None = None
    health_notes: str | None = None
    consent_given: bool = False
    consent_method: str | None = None
    contacts: tuple[ContactInput, ...] = field(default_factory=tuple)

    @property
    def kept_contacts(self) -> list[ContactInput]:
        return [c for c in self.contacts if not c.remove]


@dataclass(frozen=True)
class Location:
    lat: float | None
    lon: float | None
    status: str  # ok|approximate|failed


# --------------------------------------------------------------------------
# Who may see whom
# --------------------------------------------------------------------------


def can_manage(user: User, elder: Elder) -> bool:
    """Admins manage everyone; a coordinator the residents of their own organizations
    (:mod:`app.policy`)."""
    return bool(policy.coordinator_may_change_elder(user, elder))


def visible_elders(user: User) -> sa.Select:
    stmt = sa.select(Elder)
    return stmt.where(policy.scope_condition(user, Elder.organization_id))


def organizations_for(user: User, *, keep: int | None = None) -> list[Organization]:
    """Organizations the user can file a resident under (``keep``: the current one, even if inactive)."""
    return [org for org in policy.scope_organizations(user) if org.is_active or org.id == keep]


def municipalities_with_villages() -> list[Municipality]:
    return list(
        db.session.scalars(
            sa.select(Municipality).options(selectinload(Municipality.villages)).order_by(Municipality.name)
        )
    )


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------


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
# Geocoding
# --------------------------------------------------------------------------


def address_query(street: str | None, postcode: str | None, municipality: str) -> str:
    """``"Koulutie 3, 88600 Sotkamo"``: the form both geocoders understand best."""
    locality = " ".join(part for part in (postcode, municipality) if part)
    return ", ".join(part for part in ((street or "").strip(), locality) if part)


def in_finland(lat: float, lon: float) -> bool:
    lat_min, lat_max, lon_min, lon_max = FINLAND_BOUNDS
    return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


def locate(geocoder: Geocoder, query: str, village: Village | None = None) -> Location:
    """Find the point for an address.

    An exact address wins. Otherwise the centre of the village the coordinator
    chose, otherwise the geocoder's approximate point (postal code area or
    municipal centre). Nothing found (or a point outside Finland) is ``failed``:
    the record is then saved without coordinates for the coordinator to place.
    """
    result: GeoResult | None
    try:
        result = geocoder.geocode(query)
    except Exception:  # a geocoder must never stop a coordinator from saving
        log.exception("geocoding %r failed", query)
        result = None
    if result is not None and not in_finland(result.lat, result.lon):
        result = None
    if result is not None and result.precision == "address":
        return Location(result.lat, result.lon, "ok")
    if village is not None and village.lat is not None and village.lon is not None:
        return Location(village.lat, village.lon, "approximate")
    if result is not None:
        return Location(result.lat, result.lon, "approximate")
    return Location(None, None, "failed")


def _geocode(elder: Elder, geocoder: Geocoder) -> None:
    municipality = db.session.get(Municipality, elder.municipality_id) if elder.municipality_id else None
    village = db.session.get(Village, elder.village_id) if elder.village_id else None
    query = address_query(elder.street_address, elder.postcode, municipality.name if municipality else "")
    where = locate(geocoder, query, village)
    elder.lat, elder.lon, elder.geocode_status = where.lat, where.lon, where.status


# --------------------------------------------------------------------------
# Changes
# --------------------------------------------------------------------------

_PLAIN_FIELDS = (
    "organization_id",
    "first_name",
    "last_name",
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
    _check(data, by)
    elder = Elder(created_by_id=by.id, status="active")
    for name in _PLAIN_FIELDS:
        setattr(elder, name, getattr(data, name))
    _set_phone(elder, data)
    _set_consent(elder, data, by)
    for contact in data.kept_contacts:
        elder.contacts.append(_new_contact(contact))
    db.session.add(elder)
    _geocode(elder, geocoder)
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
        _geocode(elder, geocoder)
    db.session.flush()
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


def place_by_hand(
    elder: Elder, *, lat: float | None = None, lon: float | None = None, village: Village | None = None
) -> None:
    """Put the resident on the map: at a point, or at the centre of a village.

    Raises ElderInputError(out_of_finland / village_without_point / nothing_given).
    """
    if village is not None:
        if village.lat is None or village.lon is None:
            raise ElderInputError([Problem("village_id", "village_without_point")])
        lat, lon = village.lat, village.lon
        elder.village_id = village.id
        elder.municipality_id = village.municipality_id
    elif lat is None or lon is None:
        raise ElderInputError([Problem("lat", "nothing_given")])
    elif not in_finland(lat, lon):
        raise ElderInputError([Problem("lat", "out_of_finland")])
    elder.lat, elder.lon, elder.geocode_status = lat, lon, "manual"
    db.session.flush()
    record("elder.placed", elder, lat=round(lat, 5), lon=round(lon, 5), village=village.name if village else None)


def change_status(elder: Elder, status: str, *, reason: str | None = None) -> bool:
    """Pause, end or reactivate. Returns False when the status was already that.
    Ending clears the health and access notes and starts the retention period
    (``app.privacy.retention``)."""
    from app.privacy.retention import on_status_change

    if status not in ELDER_STATUSES:
        raise ElderInputError([Problem("status", "unknown_status")])
    if elder.erased_at is not None and status != "ended":
        raise ElderInputError([Problem("status", "erased")])
    if elder.status == status:
        return False
    before, elder.status = elder.status, status
    on_status_change(elder, before=before)
    db.session.flush()
    record("elder.status", elder, before=before, after=status, reason=reason or None)
    return True


# --------------------------------------------------------------------------
# Finding people
# --------------------------------------------------------------------------

_PHONEISH = re.compile(r"^[\d\s+()./-]+$")


@dataclass(frozen=True)
class ElderFilter:
    q: str = ""
    municipality_id: int | None = None
    status: str | None = None
    needs_attention: bool = False
    erased: str = ""  # "": leave out people whose data was erased, "include": with them, "only": only them


def phone_fragment(text: str) -> str | None:
    """Digits to look for in stored E.164 numbers: ``"040 12"`` → ``"3584012"``, ``"4567"`` → ``"4567"``."""
    digits = re.sub(r"\D", "", text)
    if not digits:
        return None
    if digits.startswith("00"):
        return digits[2:] or None
    if digits.startswith("0"):
        return "358" + digits[1:]
    return digits


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_elders(user: User, flt: ElderFilter) -> sa.Select:
    """The residents the user may see that match the filter, sorted by last name."""
    stmt = visible_elders(user).options(selectinload(Elder.municipality), selectinload(Elder.village))
    query = flt.q.strip()
    if query and _PHONEISH.match(query) and any(ch.isdigit() for ch in query):
        stmt = stmt.where(_phone_matches(phone_fragment(query) or ""))
    elif query:
        for term in query.split():
            if term.isdigit():
                stmt = stmt.where(_phone_matches(phone_fragment(term) or term))
            else:
                pattern = _like(term)
                stmt = stmt.where(
                    sa.or_(Elder.first_name.ilike(pattern, escape="\\"), Elder.last_name.ilike(pattern, escape="\\"))
                )
    if flt.erased == "only":
        stmt = stmt.where(Elder.erased_at.is_not(None))
    elif flt.erased != "include":
        stmt = stmt.where(Elder.erased_at.is_(None))
    if flt.municipality_id:
        stmt = stmt.where(Elder.municipality_id == flt.municipality_id)
    if flt.status in ELDER_STATUSES:
        stmt = stmt.where(Elder.status == flt.status)
    if flt.needs_attention:
        stmt = stmt.where(sa.or_(Elder.lat.is_(None), Elder.lon.is_(None), sa.not_(consent_recorded())))
    return stmt.order_by(sa.func.lower(Elder.last_name), sa.func.lower(Elder.first_name), Elder.id)


def _phone_matches(fragment: str) -> sa.ColumnElement[bool]:
    pattern = _like(fragment)
    in_contacts = (
        sa.select(ContactPerson.id)
        .where(ContactPerson.elder_id == Elder.id, ContactPerson.phone.like(pattern, escape="\\"))
        .exists()
    )
    return sa.or_(Elder.phone.like(pattern, escape="\\"), in_contacts)


def flags(elder: Elder) -> list[str]:
    """What needs a coordinator's attention: ``no_location``, ``no_consent``."""
    out = []
    if elder.lat is None or elder.lon is None:
        out.append("no_location")
    if not has_consent(elder):
        out.append("no_consent")
    return out


def history(elder: Elder, limit: int = 20) -> list[tuple[AuditLog, User | None]]:
    """The latest changes to the resident in the audit log, with who made them (who
    read the notes is in the admins' audit log, not here)."""
    rows = db.session.execute(
        sa.select(AuditLog, User)
        .outerjoin(User, User.id == AuditLog.actor_user_id)
        .where(AuditLog.subject_type == "Elder", AuditLog.subject_id == elder.id, AuditLog.action != NOTES_VIEWED)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return [(entry, user) for entry, user in rows]


def same_phone_elsewhere(elder: Elder, user: User) -> list[Elder]:
    """Other residents the user can see with the same phone number: a couple sharing a
    landline, or someone taken in twice."""
    if not elder.phone:
        return []
    stmt = visible_elders(user).where(Elder.phone == elder.phone, Elder.id != elder.id).order_by(Elder.id)
    return list(db.session.scalars(stmt.limit(5)))
