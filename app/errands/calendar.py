"""The helper's personal calendar feed (iCalendar), reached by a secret token.

The URL ``/calendar/<HelperProfile.calendar_token>.ics`` needs no login (a
phone's calendar app cannot log in), so the token is the secret: it is
random (``secrets.token_urlsafe(24)``) and the helper can rotate it, which
ends the old URL at once.

The feed lists the helper's active and done assignments: one VEVENT per
assignment with a UID that stays the same, times in UTC, the task and village
as the summary. Since the helper is assigned, the description may carry the
first name and address; never the surname or the health notes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy.orm import selectinload

from app.audit import record
from app.errands.notifications import my_errands_link, place_name
from app.extensions import db
from app.models import Assignment, Errand, HelperProfile, utcnow
from app.sms.people import helper_language

FEED_STATUSES = ("active", "done")

#: Areas above this one that add events of their own to the helper's feed (shared activities):
#: ``source(profile, language, now) -> list[Event]``, added by :func:`add_feed_events`.
_EXTRA_EVENTS: list[Callable[[HelperProfile, str, datetime], list[Event]]] = []


def add_feed_events(source: Callable[[HelperProfile, str, datetime], list[Event]]) -> None:
    if source not in _EXTRA_EVENTS:
        _EXTRA_EVENTS.append(source)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def ensure_calendar_token(profile: HelperProfile) -> str:
    """The helper's token, created on first use (flushes; the caller commits)."""
    if not profile.calendar_token:
        profile.calendar_token = new_token()
        db.session.flush()
    return profile.calendar_token


def rotate_calendar_token(profile: HelperProfile) -> str:
    """A new token; the old feed URL stops working."""
    profile.calendar_token = new_token()
    record("helper.calendar_token_rotated", profile)
    db.session.flush()
    return profile.calendar_token


def feed_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/calendar/{token}.ics"


def profile_for_token(token: str) -> HelperProfile | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(HelperProfile).where(HelperProfile.calendar_token == token))


def _uid(assignment: Assignment) -> str:
    host = current_app.config["PUBLIC_BASE_URL"].split("//", 1)[-1].split("/", 1)[0] or "arjen-pelastajat"
    return f"assignment-{assignment.id}@{host}"


def build_feed(profile: HelperProfile, now: datetime | None = None) -> bytes:
    """The iCalendar document of the helper's errands, in their language."""
    now = now or utcnow()
    assignments = db.session.scalars(
        sa.select(Assignment)
        .join(Errand, Errand.id == Assignment.errand_id)
        .options(
            selectinload(Assignment.errand).selectinload(Errand.elder),
            selectinload(Assignment.errand).selectinload(Errand.task_type),
        )
        .where(Assignment.helper_id == profile.id, Assignment.status.in_(FEED_STATUSES))
        .order_by(Errand.starts_at)
    )
    lang = helper_language(profile)
    cal = Calendar()
    cal.add("prodid", "-//Arjen pelastajat//Errands//FI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    with force_locale(lang):
        cal.add("x-wr-calname", _("Everyday rescuers: my errands"))
        for assignment in assignments:
            errand = assignment.errand
            elder = errand.elder
            place = place_name(elder, lang)
            event = Event()
            event.add("uid", _uid(assignment))
            event.add("dtstamp", now)
            event.add("dtstart", errand.starts_at)
            event.add("dtend", errand.ends_at)
            event.add("summary", f"{errand.task_type.name(lang)}, {place}")
            lines = []
            until = assignment.details_visible_until
            if until is not None and now <= until:
                # Assigned: the address may be shown, as on "My errands" (and hidden after the same time).
                postal = " ".join(x for x in (elder.postcode, place) if x)
                address = ", ".join(p for p in (elder.street_address, postal) if p)
                if address:
                    event.add("location", address)
                lines.append(_("Errand for %(name)s.", name=elder.first_name))
            else:
                event.add("location", place)
            if assignment.status == "done":
                lines.append(_("Marked done. Thank you!"))
            lines.append(_("Details: %(link)s", link=my_errands_link()))
            event.add("description", "\n".join(lines))
            event.add("status", "CONFIRMED")
            cal.add_component(event)
        for source in _EXTRA_EVENTS:
            for event in source(profile, lang, now):
                cal.add_component(event)
    return cal.to_ical()
