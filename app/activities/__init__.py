"""Shared activities: plan, invite, sign up and take attendance for the group activities that move
people and pairs to stages 2 and 3; the attendance becomes one encounter (app.encounters)."""

from app.activities import feeds, helper_routes, routes  # noqa: F401  (the pages register their routes on bp)
from app.activities.blueprint import bp

__all__ = ["bp"]
