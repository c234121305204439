"""iCalendar: a feed of an organization's activities, and the activities a helper signed up for
in the helper's own calendar feed (app.errands.calendar, with its library and pattern).

The organization feed needs no login (a calendar app cannot log in): its URL carries a token
derived from the app's secret key and the organization (HMAC), shown to the organization's
coordinators on the calendar page. It holds what a poster would: title, place, time, description.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import sqlalchemy as sa
from flask import Response, abort, current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy.orm import selectinload

from app.activities import queries
from app.activities.blueprint import bp
from app.errands.calendar import add_feed_events
from app.extensions import db
from app.models import Activity, HelperProfile, Organization, utcnow
from app.security import public


def feed_token(organization_id: int) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"activities-feed:{organization_id}".encode(), hashlib.sha256).hexdigest()[:32]


def feed_url(organization_id: int) -> str:
    return url_for(
        "activities.organization_feed",
        organization_id=organization_id,
        token=feed_token(organization_id),
        _external=True,
    )


def _host() -> str:
    return current_app.config["PUBLIC_BASE_URL"].split("//", 1)[-1].split("/", 1)[0] or "arjen-pelastajat"


def activity_event(activity: Activity, language: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"activity-{activity.id}@{_host()}")
    event.add("dtstamp", now)
    event.add("dtstart", activity.starts_at)
    event.add("dtend", activity.ends_at)
    event.add("summary", activity.title)
    place = activity.place
    event.add("location", ", ".join(p for p in (place.name, place.address) if p))
    text = activity.description_sv if language == "sv" and activity.description_sv else activity.description_fi
    if text:
        event.add("description", text)
    event.add("status", "CANCELLED" if activity.status == "cancelled" else "CONFIRMED")
    return event


def helper_events(profile: HelperProfile, language: str, now: datetime) -> list[Event]:
    return [activity_event(a, language, now) for a in queries.helper_signed_activities(profile.id)]


add_feed_events(helper_events)


@bp.route("/feed/<int:organization_id>/<token>.ics")
@public
def organization_feed(organization_id: int, token: str):
    if not hmac.compare_digest(token, feed_token(organization_id)):
        abort(404)
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        abort(404)
    now = utcnow()
    rows = db.session.scalars(
        sa.select(Activity)
        .where(Activity.organization_id == organization_id, Activity.status.in_(("approved", "cancelled")))
        .options(selectinload(Activity.place))
        .order_by(Activity.starts_at)
    )
    cal = Calendar()
    cal.add("prodid", "-//Arjen pelastajat//Activities//FI")
    cal.add("version", "2.0")
    with force_locale("fi"):
        cal.add("x-wr-calname", _("Everyday rescuers: activities of %(name)s", name=organization.name))
    for activity in rows:
        cal.add_component(activity_event(activity, "fi", now))
    return Response(cal.to_ical(), mimetype="text/calendar")
