"""Privacy: a person's data export, erasure of older residents and relatives,
a helper deleting their own account, and anonymising people whose service
ended long ago (GDPR articles 15 and 17, and storage limitation).

The pages live under ``/privacy/`` (coordinators and admins), except the
helper's own "delete my account" page, which keeps its address among the
helper's pages (``/helpers/me/delete``); so the blueprint has no URL prefix
and each route writes its whole path."""

from app.privacy import routes  # noqa: F401  (each page module registers its routes on bp)
from app.privacy.blueprint import bp

__all__ = ["bp"]
