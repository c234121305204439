"""The elders area's blueprint and its places in the navigation; the pages import ``bp`` from here."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("elders", __name__, url_prefix="/elders")

nav.add("coordinator", "elders.list_elders", _l("Older residents"), order=20)
nav.add("coordinator", "elders.new_elder", _l("New older resident"), order=21)
