"""Encounters: every meeting of young and old, the three stages of community
building worked out from them, and well-being check-ins before and after."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("encounters", __name__, url_prefix="/encounters")

nav.add("coordinator", "encounters.list_encounters", _l("Encounters"), order=50)
nav.add("coordinator", "encounters.due_checkins", _l("Check-ins"), order=51)
nav.add("helper", "encounters.list_encounters", _l("My encounters"), order=50)

from app.encounters import checkin_routes, routes, stage_routes, template_helpers  # noqa: E402,F401
