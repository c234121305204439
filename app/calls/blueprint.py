"""The calls area's blueprint and its place in the navigation; the pages import ``bp`` from here."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("calls", __name__, url_prefix="/calls")

nav.add("coordinator", "calls.list_calls", _l("Calls"), order=12)
nav.add("coordinator", "calls.new_call", _l("Log a call"), order=13)
