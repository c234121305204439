"""Reports for coordinators and decision makers, the CSV export, and the
helper's PDF certificate of volunteering."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("reports", __name__, url_prefix="/reports")

nav.add("coordinator", "reports.index", _l("Reports"), order=60)
nav.add("helper", "reports.my_certificate", _l("Certificate"), order=40)

from app.reports import routes  # noqa: E402,F401
