"""Errands: requests taken on the phone, matching, offers, the helper's board
and the errand's whole life."""

from app.errands import coordinator, helper_routes  # noqa: F401  (each page module registers its routes on bp)
from app.errands.blueprint import bp

__all__ = ["bp"]
