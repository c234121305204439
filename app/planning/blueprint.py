"""The week plan's blueprint and its place in the navigation; the pages import ``bp`` from here."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("planning", __name__)

nav.add("coordinator", "planning.week_plan_home", _l("Week plan"), order=12)
