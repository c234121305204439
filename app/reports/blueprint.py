"""The reports area's blueprint and its places in the navigation; the pages import ``bp`` from here."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("reports", __name__, url_prefix="/reports")

nav.add("coordinator", "reports.index", _l("Reports"), order=60)
nav.add("helper", "reports.my_certificate", _l("Certificate"), order=40)
