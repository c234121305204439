"""Young helpers: sign-up on a phone, guardian consent, needs-based profile,
approval by a coordinator, suspension and pause. Deleting one's account is an
erasure, so it is the privacy area's (:mod:`app.privacy.accounts`)."""

from app.helpers import coordinator_routes, helper_routes, public_routes, template_helpers  # noqa: F401  (each page module registers its routes on bp)
from app.helpers.blueprint import bp

__all__ = ["bp"]
