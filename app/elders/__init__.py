"""Older residents: taken in by a coordinator on the phone, found fast, placed on the map."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("elders", __name__, url_prefix="/elders")

nav.add("coordinator", "elders.list_elders", _l("Older residents"), order=20)
nav.add("coordinator", "elders.new_elder", _l("New older resident"), order=21)

from app.elders import routes  # noqa: E402,F401
