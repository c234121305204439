"""Young helpers: sign-up on a phone, guardian consent, needs-based profile,
approval by a coordinator, suspension, pause and deleting one's account."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("helpers", __name__, url_prefix="/helpers")

nav.add("public", "helpers.register", _l("Sign up as a helper"))
nav.add("coordinator", "helpers.list_helpers", _l("Helpers"), order=30)
nav.add("helper", "helpers.edit_profile", _l("My profile"))

from app.helpers import coordinator_routes, helper_routes, public_routes, template_helpers  # noqa: E402,F401
