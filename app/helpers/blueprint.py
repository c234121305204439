"""The helpers area's blueprint and its places in the navigation; the pages import ``bp`` from here."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("helpers", __name__, url_prefix="/helpers")

nav.add("public", "helpers.register", _l("Sign up as a helper"))
nav.add("coordinator", "helpers.list_helpers", _l("Helpers"), order=30)
nav.add("helper", "helpers.edit_profile", _l("My profile"))
nav.add("helper", "helpers.my_weeks", _l("My weeks"), order=35)
