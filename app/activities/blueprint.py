"""The activities area's blueprint and its places in the navigation; the pages import ``bp`` from here."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("activities", __name__, url_prefix="/activities")

nav.add("coordinator", "activities.calendar", _l("Activities"), order=45)
nav.add("helper", "activities.helper_list", _l("Activities"), order=45)
