"""Young helpers: sign-up on a phone, guardian consent, needs-based profile,
approval by a coordinator, suspension and pause. Deleting one's account is an
erasure, so it is the privacy area's (:mod:`app.privacy.accounts`)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import blocks, nav

bp = Blueprint("helpers", __name__, url_prefix="/helpers")

nav.add("public", "helpers.register", _l("Sign up as a helper"))
nav.add("coordinator", "helpers.list_helpers", _l("Helpers"), order=30)
nav.add("helper", "helpers.edit_profile", _l("My profile"))
blocks.add("coordinator_home", "helpers/_pending_block.html")
blocks.add("helper_home", "helpers/_status_block.html")

from app.helpers import coordinator_routes, helper_routes, public_routes, template_helpers  # noqa: E402,F401
