"""Encounters: every meeting of young and old, the three stages of community
building worked out from them, and well-being check-ins before and after."""

from app.encounters import checkin_routes, routes, stage_routes, template_helpers  # noqa: F401  (each page module registers its routes on bp)
from app.encounters.blueprint import bp

__all__ = ["bp"]
