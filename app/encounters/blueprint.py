"""The encounters area's blueprint and its places in the navigation; the pages import ``bp`` from here."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("encounters", __name__, url_prefix="/encounters")

nav.add("coordinator", "encounters.list_encounters", _l("Encounters"), order=50)
nav.add("coordinator", "encounters.due_checkins", _l("Check-ins"), order=51)
nav.add("helper", "encounters.list_encounters", _l("My encounters"), order=50)
