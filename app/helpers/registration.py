"""Signing up as a helper and editing one's own profile.

The route turns a valid form into a :class:`HelperDetails` (and, for a new
helper, a :class:`Registration`); these functions store it. Checks that need
the database (email and phone already in use) are repeated here so that a
race between two sign-ups still ends in a clear :class:`RegistrationError`.

Home location: the helper picks a municipality and optionally a village, and
may add a street address. Without an address the home is the village (or
municipal) centre, ``geocode_status="approximate"``. With an address the
configured geocoder is asked; a street-level answer within 60 km of the
municipality gives ``"ok"``, a coarser one ``"approximate"``. When the
geocoder fails (no answer, an error, or a place far away) the home is still
the village centre, flagged ``"failed"`` so a coordinator can place it by
hand. Geocoding never loses the form.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from app.audit import record
from app.extensions import db
from app.geocoding import Geocoder, build_geocoder
from app.helpers.consent import request_consent
from app.helpers.labels import DEFAULT_DISTANCE_KM, MAX_DISTANCE_KM
from app.helpers.profile_fit import Sliders, suggest
from app.helpers.services import MIN_AGE
from app.i18n import today_local
from app.matching.geo import haversine_km
from app.models import ADULT_AGE, HelperProfile, Municipality, User, Village, age_on

log = logging.getLogger(__name__)

#: A geocoded street further than this from the chosen municipality's centre is not trusted.
MAX_GEOCODE_OFFSET_KM = 60.0


class RegistrationError(Exception):
    """``code``: email_taken | phone_taken | too_young | guardian_missing; ``field`` names the form field."""

    def __init__(self, code: str, field: str):
        super().__init__(code)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class HelperDetails:
    """What a helper can set about themselves (at sign-up and when editing)."""

    first_name: str
    last_name: str
    phone: str  # E.164
    municipality_id: int
    village_id: int | None
    address_text: str | None
    transport: str
    max_distance_km: int | None
    task_types: tuple[str, ...]
    availability: tuple[tuple[int, str], ...]
    languages: tuple[str, ...]
    introduction: str
    sliders: Sliders = field(default_factory=Sliders)
    guardian_name: str | None = None
    guardian_phone: str | None = None  # E.164


@dataclass(frozen=True)
class Registration:
    details: HelperDetails
    email: str
    password: str
    birth_date: date
    organization_id: int
    locale: str = "fi"


@dataclass(frozen=True)
class HomePoint:
    lat: float | None
    lon: float | None
    status: str  # ok | approximate | failed


def distance_for(transport: str, km: int | None) -> float:
    """The helper's own limit, or the default for how they move; never over the maximum."""
    value = km if km else DEFAULT_DISTANCE_KM.get(transport, DEFAULT_DISTANCE_KM["foot"])
    return float(min(value, MAX_DISTANCE_KM))


def _geocoder() -> Geocoder:
    """One geocoder per configuration (Nominatim keeps its cache and rate limit across requests)."""
    config = current_app.config
    key = ("helpers.geocoder", config["GEOCODER"], config.get("NOMINATIM_URL"))
    cache = current_app.extensions.setdefault("helpers.geocoders", {})
    if key not in cache:
        cache[key] = build_geocoder(config["GEOCODER"], config)
    return cache[key]


def geocode_home(municipality: Municipality, village: Village | None, address: str | None) -> HomePoint:
    """Where the helper's home is, as well as can be told (see the module doc)."""
    centre = village if village is not None and village.lat is not None else municipality
    fallback_lat, fallback_lon = centre.lat, centre.lon
    if not address:
        status = "approximate" if fallback_lat is not None else "failed"
        return HomePoint(fallback_lat, fallback_lon, status)
    query = f"{address}, {village.name + ', ' if village is not None else ''}{municipality.name}"
    try:
        result = _geocoder().geocode(query)
    except Exception:  # a geocoder must never cost the helper their form
        log.exception("geocoding a helper's home failed")
        result = None
    too_far = (
        result is not None
        and municipality.lat is not None
        and haversine_km(municipality.lat, municipality.lon, result.lat, result.lon) > MAX_GEOCODE_OFFSET_KM
    )
    if too_far:
        result = None
    if result is None:
        return HomePoint(fallback_lat, fallback_lon, "failed")
    if result.precision == "address":
        return HomePoint(result.lat, result.lon, "ok")
    if village is not None and village.lat is not None and result.precision == "municipality":
        return HomePoint(fallback_lat, fallback_lon, "approximate")  # the village is more precise
    return HomePoint(result.lat, result.lon, "approximate")


def email_taken(email: str, *, except_user_id: int | None = None) -> bool:
    stmt = sa.select(User.id).where(sa.func.lower(User.email) == email.strip().lower())
    if except_user_id is not None:
        stmt = stmt.where(User.id != except_user_id)
    return db.session.scalar(stmt) is not None


def phone_taken(e164: str, *, except_profile_id: int | None = None) -> bool:
    """A phone number identifies a helper's SMS replies, so two helpers cannot share one."""
    stmt = sa.select(HelperProfile.id).where(HelperProfile.phone == e164, HelperProfile.status != "deleted")
    if except_profile_id is not None:
        stmt = stmt.where(HelperProfile.id != except_profile_id)
    return db.session.scalar(stmt) is not None


def _apply(profile: HelperProfile, details: HelperDetails) -> bool:
    """Copy the details onto the profile; returns True when the home changed (geocode again)."""
    home_changed = (
        profile.municipality_id != details.municipality_id
        or profile.village_id != details.village_id
        or (profile.address_text or None) != (details.address_text or None)
        or profile.lat is None
    )
    profile.first_name = details.first_name
    profile.last_name = details.last_name
    profile.phone = details.phone
    profile.municipality_id = details.municipality_id
    profile.village_id = details.village_id
    profile.address_text = details.address_text or None
    profile.transport = details.transport
    profile.max_distance_km = distance_for(details.transport, details.max_distance_km)
    profile.task_types = list(details.task_types)
    profile.availability = [[day, part] for day, part in sorted(set(details.availability))]
    profile.languages = list(details.languages)
    profile.introduction = details.introduction.strip()
    s = details.sliders
    profile.slider_sociable, profile.slider_producer, profile.slider_others, profile.slider_digital = s.as_tuple()
    profile.suggested_profile = suggest(s).profile
    if profile.profile_corrected_by_id is None:
        profile.youth_profile = profile.suggested_profile
    return home_changed


def _place_home(profile: HelperProfile) -> None:
    municipality = db.session.get(Municipality, profile.municipality_id)
    village = db.session.get(Village, profile.village_id) if profile.village_id else None
    home = geocode_home(municipality, village, profile.address_text)
    profile.lat, profile.lon, profile.geocode_status = home.lat, home.lon, home.status


def register_helper(reg: Registration) -> HelperProfile:
    """Create the helper's account and profile (status ``pending``).

    A minor's guardian is asked for consent by SMS at once. Raises
    :class:`RegistrationError`.
    """
    details = reg.details
    today = today_local()
    if age_on(reg.birth_date, today) < MIN_AGE:
        raise RegistrationError("too_young", "birth_date")
    if email_taken(reg.email):
        # The route answers as if it were a new sign-up (no account enumeration):
        # spend the time a new account's password hash takes.
        User(password_hash="").set_password(reg.password)
        raise RegistrationError("email_taken", "email")
    if phone_taken(details.phone):
        raise RegistrationError("phone_taken", "phone")
    minor = age_on(reg.birth_date, today) < ADULT_AGE
    if minor and not (details.guardian_name and details.guardian_phone):
        raise RegistrationError("guardian_missing", "guardian_name")

    user = User(
        email=reg.email.strip(),
        name=f"{details.first_name} {details.last_name}",
        role="helper",
        phone=details.phone,
        locale=reg.locale,
    )
    user.set_password(reg.password)
    profile = HelperProfile(user=user, birth_date=reg.birth_date, organization_id=reg.organization_id)
    profile.status = "pending"
    profile.profile_corrected_by_id = None
    _apply(profile, details)
    _place_home(profile)
    if minor:
        profile.guardian_name = details.guardian_name
        profile.guardian_phone = details.guardian_phone
    db.session.add(profile)
    db.session.flush()
    record("helper_registered", profile, actor=user, organization_id=reg.organization_id, minor=minor)
    if minor:
        request_consent(profile)
    return profile


def update_profile(profile: HelperProfile, details: HelperDetails) -> bool:
    """Save the helper's own changes. Returns True when a new guardian consent was requested.

    Guardian details can be changed only while no consent is in force; a
    change asks the (new) guardian again. Raises :class:`RegistrationError`
    ``phone_taken``.
    """
    if phone_taken(details.phone, except_profile_id=profile.id):
        raise RegistrationError("phone_taken", "phone")
    home_changed = _apply(profile, details)
    profile.user.name = f"{details.first_name} {details.last_name}"
    profile.user.phone = details.phone
    if home_changed:
        _place_home(profile)
    asked = False
    if profile.is_minor_on(today_local()) and not profile.has_valid_guardian_consent:
        guardian_changed = (details.guardian_name, details.guardian_phone) != (
            profile.guardian_name,
            profile.guardian_phone,
        )
        if details.guardian_name and details.guardian_phone and guardian_changed:
            profile.guardian_name = details.guardian_name
            profile.guardian_phone = details.guardian_phone
            db.session.flush()
            request_consent(profile)
            asked = True
    db.session.flush()
    record("helper_profile_updated", profile, actor=profile.user, home_changed=home_changed or None)
    return asked
